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
