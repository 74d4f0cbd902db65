// When a Master sends unsolicited Router Advertisements for its virtual router (RFC 9568 6.4.3;
// timing from RFC 4861 6.2.4): the first at once on becoming Master, then each after a random interval
// in [MinRtrAdvInterval, MaxRtrAdvInterval], the first MAX_INITIAL_RTR_ADVERTISEMENTS intervals capped
// at MAX_INITIAL_RTR_ADVERT_INTERVAL, and never two within MIN_DELAY_BETWEEN_RAS (a router flapping in
// and out of Master does not flood the link). Pure: the caller gives the time and the random draws,
// sends what is due and arms its own timer for `nextDueMs`.

/** RFC 4861 10: constants of router behaviour. */
export const MAX_INITIAL_RTR_ADVERT_INTERVAL_MS = 16_000;
export const MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
export const MIN_DELAY_BETWEEN_RAS_MS = 3_000;

export interface RouterAdvertTiming {
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
}

export class RouterAdvertSchedule {
  private dueMs: number | undefined;
  private sentSinceStart = 0;
  private lastSentMs: number | undefined;

  constructor(private readonly timing: RouterAdvertTiming) {}

  /** Advertising: between start and stop. */
  get active(): boolean {
    return this.dueMs !== undefined;
  }

  /** When the next RA is due, or undefined while not advertising. */
  nextDueMs(): number | undefined {
    return this.dueMs;
  }

  /** RAs sent since the last start: how many the initial burst has used. */
  get sentSinceStartCount(): number {
    return this.sentSinceStart;
  }

  /**
   * Becoming Master: the first RA is due now, or once MIN_DELAY_BETWEEN_RAS has passed since the last
   * one sent. A schedule already running keeps its timing.
   */
  start(nowMs: number): void {
    if (this.dueMs !== undefined) return;
    this.sentSinceStart = 0;
    const earliest = this.lastSentMs === undefined ? nowMs : this.lastSentMs + MIN_DELAY_BETWEEN_RAS_MS;
    this.dueMs = Math.max(nowMs, earliest);
  }

  /**
   * Leaving Master (or RAs turned off): nothing more is due. True when RAs went out since the start,
   * so that there is something a final RA (router lifetime 0) would withdraw.
   */
  stop(): boolean {
    const advertised = this.dueMs !== undefined && this.sentSinceStart > 0;
    this.dueMs = undefined;
    return advertised;
  }

  /**
   * At a timer: true when an RA is due at `nowMs` (the caller sends it now). The next one is then
   * scheduled `draw` of the way from the minimum to the maximum interval (`draw` in [0, 1)).
   * Early calls change nothing, so a timer may fire as often as it likes.
   */
  fire(nowMs: number, draw: number): boolean {
    if (this.dueMs === undefined || nowMs < this.dueMs) return false;
    this.lastSentMs = nowMs;
    this.sentSinceStart += 1;
    const { minIntervalMs, maxIntervalMs } = this.timing;
    const fraction = Math.min(Math.max(draw, 0), 1);
    let intervalMs = minIntervalMs + fraction * (maxIntervalMs - minIntervalMs);
    if (this.sentSinceStart <= MAX_INITIAL_RTR_ADVERTISEMENTS)
      intervalMs = Math.min(intervalMs, MAX_INITIAL_RTR_ADVERT_INTERVAL_MS);
    this.dueMs = nowMs + Math.max(intervalMs, MIN_DELAY_BETWEEN_RAS_MS);
    return true;
  }
}
