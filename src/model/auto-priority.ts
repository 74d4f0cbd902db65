// keepalived's automatic priority raise (max_auto_priority, min_auto_priority_delay), as a decision:
// lateness in, the SCHED_RR priority to set out. keepalived 2.2.7 checks, each time its event loop
// wakes (lib/scheduler.c), how long ago its earliest timer should have fired; more than
// min_auto_priority_delay µs ago, it calls increment_process_priority (lib/process.c): a process not
// yet real-time goes to SCHED_RR at the lowest priority (sched_get_priority_min, 1), one already
// real-time (vrrp_rt_priority, or an earlier raise) one step up, never past max_auto_priority; and
// nothing ever lowers it again. Applying the priority is the Linux adapter's (src/linux/auto-priority.ts).

import { DEFAULT_AUTO_PRIORITY_DELAY_US, type ProcessScheduling } from './scheduling.js';

/** sched_get_priority_min(SCHED_RR) on Linux: where a process not yet real-time starts. */
export const LOWEST_REALTIME_PRIORITY = 1;

export class AutoPriority {
  private current: number | undefined;

  /**
   * @param max the ceiling (max_auto_priority, 1..99)
   * @param minDelayUs lateness that must be exceeded for a raise (min_auto_priority_delay)
   * @param current the SCHED_RR priority the process already runs at (vrrp_rt_priority), if any
   */
  constructor(
    readonly max: number,
    readonly minDelayUs: number = DEFAULT_AUTO_PRIORITY_DELAY_US,
    current?: number,
  ) {
    this.current = current;
  }

  /** The priority the process runs at by this account (undefined: not real-time). */
  get priority(): number | undefined {
    return this.current;
  }

  /**
   * A timer fired `latenessUs` after its deadline: the SCHED_RR priority to set now, or undefined when
   * nothing changes (not late enough, or already at the ceiling). Like keepalived, the count moves on
   * whether or not the kernel then accepts the priority.
   */
  observe(latenessUs: number): number | undefined {
    if (!(latenessUs > this.minDelayUs)) return undefined;
    if (this.current === undefined) this.current = LOWEST_REALTIME_PRIORITY;
    else if (this.current >= this.max) return undefined;
    else this.current++;
    return this.current;
  }
}

/** The decision for `settings`, or undefined when they ask for no automatic raise. */
export function autoPriorityFor(settings: ProcessScheduling | undefined): AutoPriority | undefined {
  if (settings?.maxAutoPriority === undefined) return undefined;
  return new AutoPriority(settings.maxAutoPriority, settings.autoPriorityDelayUs, settings.realtimePriority);
}
