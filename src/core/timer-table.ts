// The deadlines of one virtual router, by name, as absolute times in ms. Only the timers of the current
// state are ever set: a state change clears the whole table (VirtualRouter.transition), so no timer of
// an old state can fire in a new one.
//
// The engine asks every router for its next deadline after every input, so the table is a small
// Float64Array indexed by timer, NaN meaning "not set" (NaN <= now is false: an unset timer is never
// due). Times are doubles either way, so nothing is rounded.

/**
 * - masterDown: RFC 9568 Master_Down_Timer (Backup).
 * - adver: RFC 9568 Adver_Timer (Master).
 * - preemptDelay: keepalived preempt_delay, the end of a Backup's wait before it preempts.
 * - secondBurst: keepalived garp_master_delay / garp_lower_prio_delay, a Master's second GARP/NA burst.
 * - announceRefresh: keepalived garp_master_refresh, a Master's periodic GARP/NA.
 */
export const Timer = { masterDown: 0, adver: 1, preemptDelay: 2, secondBurst: 3, announceRefresh: 4 } as const;
export type TimerName = keyof typeof Timer;
export type TimerId = (typeof Timer)[TimerName];

const TIMER_COUNT = 5;

export class TimerTable {
  private readonly deadlines = new Float64Array(TIMER_COUNT).fill(Number.NaN);

  set(timer: TimerId, atMs: number): void {
    this.deadlines[timer] = atMs;
  }

  clear(timer: TimerId): void {
    this.deadlines[timer] = Number.NaN;
  }

  get(timer: TimerId): number | undefined {
    const atMs = this.deadlines[timer]!;
    return Number.isNaN(atMs) ? undefined : atMs;
  }

  isSet(timer: TimerId): boolean {
    return !Number.isNaN(this.deadlines[timer]!);
  }

  /** Whether the timer is set and its deadline has come. */
  due(timer: TimerId, nowMs: number): boolean {
    return this.deadlines[timer]! <= nowMs;
  }

  /** Moves a running timer by `deltaMs`; a stopped one stays stopped (NaN + delta is NaN). */
  shift(timer: TimerId, deltaMs: number): void {
    this.deadlines[timer]! += deltaMs;
  }

  clearAll(): void {
    this.deadlines.fill(Number.NaN);
  }

  /** The earliest deadline set, or undefined. */
  earliest(): number | undefined {
    let earliest = Number.NaN;
    for (let timer = 0; timer < TIMER_COUNT; timer++) {
      const atMs = this.deadlines[timer]!;
      if (atMs < earliest || Number.isNaN(earliest)) earliest = atMs;
    }
    return Number.isNaN(earliest) ? undefined : earliest;
  }
}
