// The deadlines of one virtual router, by name, as absolute times in ms. Only the timers of the current
// state are ever set: a state change clears the whole table (VirtualRouter.transition), so no timer of
// an old state can fire in a new one.

/**
 * - masterDown: RFC 9568 Master_Down_Timer (Backup).
 * - adver: RFC 9568 Adver_Timer (Master).
 * - preemptDelay: keepalived preempt_delay, the end of a Backup's wait before it preempts.
 * - secondBurst: keepalived garp_master_delay / garp_lower_prio_delay, a Master's second GARP/NA burst.
 * - announceRefresh: keepalived garp_master_refresh, a Master's periodic GARP/NA.
 */
export type TimerName = 'masterDown' | 'adver' | 'preemptDelay' | 'secondBurst' | 'announceRefresh';

const TIMER_NAMES: readonly TimerName[] = ['adver', 'secondBurst', 'announceRefresh', 'masterDown', 'preemptDelay'];

export class TimerTable {
  private readonly deadlines: Record<TimerName, number | undefined> = {
    masterDown: undefined,
    adver: undefined,
    preemptDelay: undefined,
    secondBurst: undefined,
    announceRefresh: undefined,
  };

  set(name: TimerName, atMs: number): void {
    this.deadlines[name] = atMs;
  }

  clear(name: TimerName): void {
    this.deadlines[name] = undefined;
  }

  get(name: TimerName): number | undefined {
    return this.deadlines[name];
  }

  isSet(name: TimerName): boolean {
    return this.deadlines[name] !== undefined;
  }

  /** Whether the timer is set and its deadline has come. */
  due(name: TimerName, nowMs: number): boolean {
    const atMs = this.deadlines[name];
    return atMs !== undefined && atMs <= nowMs;
  }

  /** Moves a running timer by `deltaMs`; a stopped one stays stopped. */
  shift(name: TimerName, deltaMs: number): void {
    const atMs = this.deadlines[name];
    if (atMs !== undefined) this.deadlines[name] = atMs + deltaMs;
  }

  clearAll(): void {
    for (const name of TIMER_NAMES) this.deadlines[name] = undefined;
  }

  /** The earliest deadline set, or undefined. Called after every input, so nothing is allocated. */
  earliest(): number | undefined {
    let earliest: number | undefined;
    for (const name of TIMER_NAMES) {
      const atMs = this.deadlines[name];
      if (atMs !== undefined && (earliest === undefined || atMs < earliest)) earliest = atMs;
    }
    return earliest;
  }
}
