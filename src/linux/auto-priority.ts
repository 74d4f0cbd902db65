// max_auto_priority and min_auto_priority_delay on Linux: the lateness of the engine's timer (the
// earliest deadline of every router, src/linux/precise-time.ts) goes to the decision
// (src/model/auto-priority.ts), and each raise it asks for is set on the threads vrrp_rt_priority
// covers: the main thread (event loop, timers, receive path) and the addon's periodic advert sender
// (src/linux/scheduling.ts says why those two). SCHED_RESET_ON_FORK keeps scripts out of SCHED_RR, and
// RLIMIT_RTTIME is armed at the first raise, as with vrrp_rt_priority. Needs CAP_SYS_NICE, as
// vrrp_rt_priority does; without it each raise is logged as refused (keepalived logs "cannot raise
// priority" and goes on) and the process runs on as it was.

import { autoPriorityFor } from '../model/auto-priority.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { ProcessScheduling } from '../model/scheduling.js';
import { loadNative, type SystemError } from './native.js';
import { observeTimerLateness } from './precise-time.js';
import { realtimeRaised } from './scheduling.js';

/** The setter of a raise; the addon's by default (tests of the wiring may watch it). */
export type SetRealtime = (priority: number) => void;

function setAdvertThreadsRealtime(priority: number): void {
  const native = loadNative();
  native.setRealtime(priority);
  native.setPeriodicRealtime(priority);
}

/**
 * Starts raising the process as `settings` ask (nothing when maxAutoPriority is absent). Call once the
 * routers run, on the main thread: the raise acts on the calling thread. Returns a stop function.
 */
export function startAutoPriority(
  settings: ProcessScheduling | undefined,
  logger?: RuntimeLogger,
  setRealtime: SetRealtime = setAdvertThreadsRealtime,
): () => void {
  const decision = autoPriorityFor(settings);
  if (decision === undefined) {
    observeTimerLateness(undefined); // an earlier start's, in this process
    return () => undefined;
  }
  observeTimerLateness((latenessMs) => {
    const latenessUs = Math.round(latenessMs * 1000);
    const priority = decision.observe(latenessUs);
    if (priority === undefined) return;
    const late = `a timer fired ${(latenessUs / 1e6).toFixed(6)} s late (min_auto_priority_delay ${decision.minDelayUs} µs)`;
    try {
      setRealtime(priority);
    } catch (error) {
      const code = (error as Partial<SystemError>).code;
      const hint = code === 'EPERM' ? ': the process needs CAP_SYS_NICE' : '';
      logger?.warn(
        { event: 'notice', notice: 'auto-priority-refused', realtimePriority: priority, latenessUs, code },
        `${late}: SCHED_RR ${priority} refused (${(error as Error).message})${hint}`,
      );
      return;
    }
    realtimeRaised(priority, settings?.realtimeLimitUs, logger);
    logger?.info(
      { event: 'scheduling', notice: 'auto-priority', realtimePriority: priority, latenessUs, max: decision.max },
      `${late}: main thread now SCHED_RR ${priority} (max_auto_priority ${decision.max})`,
    );
  });
  return () => observeTimerLateness(undefined);
}
