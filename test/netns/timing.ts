// RFC 3768 / RFC 9568 timers, written out here from the RFC text (not imported from the engine), so a
// test's time bounds do not inherit an engine mistake.

/** Skew_Time in ms. v2: (256 - Priority) / 256 s; v3: ((256 - Priority) * Master_Adver_Interval) / 256 cs. */
export function skewMs(priority: number, intervalCs: number, version: 2 | 3): number {
  return version === 2 ? ((256 - priority) / 256) * 1000 : ((256 - priority) * intervalCs * 10) / 256;
}

/** Master_Down_Interval in ms: 3 * Advertisement_Interval + Skew_Time. */
export function masterDownMs(priority: number, intervalCs: number, version: 2 | 3): number {
  return 3 * intervalCs * 10 + skewMs(priority, intervalCs, version);
}

/**
 * Slack added to every time bound: two shared cores, other test files running at the same time, and
 * process start-up. Bounds say "within the protocol's interval plus this", never "this fast".
 */
export const MARGIN_MS = 2500;

/**
 * Allowance for a process to start before protocol time counts: node loading the runner, or keepalived
 * forking its VRRP child, on two cores shared with other test files (seen: over 7 s with 12 runners
 * starting at once). Used only in waits that include a process start, never in a measured bound.
 */
export const STARTUP_MS = 20_000;
