// The daemon's own scheduling, as keepalived's vrrp_rt_priority, vrrp_priority, vrrp_cpu_affinity,
// vrrp_rlimit_rttime and vrrp_no_swap mean it (vrrp_no_swap for the native advert path only, see
// native/src/memory_lock.h), so that adverts keep leaving on time on a busy machine. Applied once, at start, before any router runs (startLinuxEngine), through the addon
// (native/src/scheduling.cc).
//
// Which threads: the main thread (sched_setscheduler, setpriority and sched_setaffinity with pid 0
// act on the calling thread), which runs the event loop, the timers, the receive path and decides
// every advert (keepalived's VRRP process is single-threaded, so this is what its keywords cover),
// and for SCHED_RR also the addon's thread that sends a Master's periodic adverts while the event
// loop is busy (native/src/periodic_adverts.h; it inherits the main thread's affinity and nice).
// The libuv pool (DNS, fs) and V8's GC helper threads are left as they
// are: making them SCHED_RR would let a long GC or fs job hold a CPU against the machine, with
// nothing of the advert path to gain. SCHED_RESET_ON_FORK keeps threads started later and every
// script we spawn (checks, notify) out of SCHED_RR, as keepalived does.

import { cpus as cpuList } from 'node:os';
import { ConfigError } from '../model/config-error.js';
import { DEFAULT_REALTIME_LIMIT_US, type ProcessScheduling, type SchedulingSetting } from '../model/scheduling.js';
import type { RuntimeLogger } from '../model/logger.js';
import { loadNative, type SystemError } from './native.js';

/** A setting the kernel refused at start; `capability` names what the process lacks, when that is why. */
export class SchedulingError extends ConfigError {
  readonly capability: string | undefined;
  readonly code: string | undefined;

  constructor(field: string, message: string, capability: string | undefined, code: string | undefined) {
    super(field, message);
    this.name = 'SchedulingError';
    this.capability = capability;
    this.code = code;
  }
}

/** The capability whose absence makes the kernel refuse a call with `code`. */
function missingCapability(setting: SchedulingSetting, code: string | undefined): string | undefined {
  if (setting === 'cpuAffinity') return undefined;
  // mlock2: EPERM with RLIMIT_MEMLOCK 0, ENOMEM past a non-zero one; CAP_IPC_LOCK lifts both.
  if (setting === 'lockMemory') return code === 'EPERM' || code === 'ENOMEM' ? 'CAP_IPC_LOCK' : undefined;
  return code === 'EPERM' || code === 'EACCES' ? 'CAP_SYS_NICE' : undefined;
}

function refused(
  settings: ProcessScheduling,
  setting: SchedulingSetting,
  what: string,
  error: unknown,
): SchedulingError {
  const code = (error as Partial<SystemError>).code;
  const capability = missingCapability(setting, code);
  const why = (error as Error).message;
  const hint = capability !== undefined ? `: the process needs ${capability}` : '';
  return new SchedulingError(
    settings.names?.[setting] ?? `scheduling.${setting}`,
    `${what} refused (${why})${hint}`,
    capability,
    code,
  );
}

function onlineCpuCount(): number {
  return cpuList().length;
}

/** What was applied, for the start log. */
export interface AppliedScheduling {
  readonly realtimePriority?: number;
  readonly realtimeLimitUs?: number;
  readonly nice?: number;
  readonly cpuAffinity?: readonly number[];
  /** vrrp_no_swap: the bytes of the mappings locked at start (MLOCK_ONFAULT: locked as touched). */
  readonly lockedBytes?: number;
}

/**
 * Applies `settings` to the calling (main) thread and the process, in keepalived's way: the CPU
 * affinity, then SCHED_RR (its RLIMIT_RTTIME comes later: armRealtimeLimit), else the nice value.
 * Throws SchedulingError, naming the setting and the missing capability, on the first
 * refusal; the settings applied before it stay (the runner exits).
 */
export function applyProcessScheduling(settings: ProcessScheduling): AppliedScheduling {
  const native = loadNative();
  const applied: { -readonly [K in keyof AppliedScheduling]: AppliedScheduling[K] } = {};
  const attempt = (setting: SchedulingSetting, what: string, call: () => void) => {
    try {
      call();
    } catch (error) {
      throw refused(settings, setting, what, error);
    }
  };
  if (settings.cpuAffinity !== undefined) {
    const cpus = settings.cpuAffinity;
    // The kernel takes a set with any one CPU it has and ignores the rest: say so instead (keepalived
    // refuses CPU numbers past the online count too).
    const online = onlineCpuCount();
    const missing = cpus.filter((cpu) => cpu >= online);
    if (missing.length > 0) {
      throw new SchedulingError(
        settings.names?.cpuAffinity ?? 'scheduling.cpuAffinity',
        `CPU ${missing.join(',')} does not exist: this machine has CPUs 0 to ${online - 1}`,
        undefined,
        undefined,
      );
    }
    attempt('cpuAffinity', `CPU affinity ${cpus.join(',')}`, () => native.setCpuAffinity(cpus));
    applied.cpuAffinity = cpus;
  }
  if (settings.realtimePriority !== undefined) {
    const priority = settings.realtimePriority;
    attempt('realtimePriority', `SCHED_RR priority ${priority}`, () => {
      native.setRealtime(priority);
      // The thread that sends a Master's periodic adverts (native/src/periodic_adverts.h) too: it
      // starts later, from this thread, whose SCHED_RESET_ON_FORK would leave it at SCHED_OTHER.
      native.setPeriodicRealtime(priority);
    });
    applied.realtimePriority = priority;
    applied.realtimeLimitUs = settings.realtimeLimitUs ?? DEFAULT_REALTIME_LIMIT_US;
  } else if (settings.nice !== undefined) {
    // keepalived sets the nice value only when not real-time: SCHED_RR threads do not use it.
    const nice = settings.nice;
    attempt('nice', `nice ${nice}`, () => native.setNice(nice));
    applied.nice = nice;
  }
  if (settings.lockMemory === true) {
    // Last, as keepalived does: the pages the settings above touched are then locked too.
    attempt('lockMemory', 'locking the advert path in memory', () => {
      applied.lockedBytes = native.lockMemory().lockedBytes;
    });
  }
  return applied;
}

/**
 * Sets RLIMIT_RTTIME for a real-time main thread: called once the routers run, not with the policy.
 * The start itself (loading and compiling the rest of the code, reading the interfaces, warming up the
 * Master path) is tens of ms of CPU without a sleep, and reading cached files never sleeps: with the
 * limit set before it, 10 ms killed 3 starts of 3 and 50 ms 1 of 3. After it the
 * thread sleeps in epoll between adverts, which is what the limit measures. keepalived's shape: soft
 * half the hard (SIGXCPU), hard = the limit (SIGKILL). Unlike keepalived, SIGXCPU demotes our SCHED_RR
 * threads on the spot (see watchRealtimeLimit), so the SIGKILL never comes. A refusal is logged, not
 * fatal: it only happens when a lower hard limit is already set, which then bounds the thread instead.
 */
export function armRealtimeLimit(
  applied: AppliedScheduling,
  logger?: RuntimeLogger,
  restoreDelayMs = REALTIME_RESTORE_DELAY_MS,
): void {
  if (applied.realtimePriority === undefined || applied.realtimeLimitUs === undefined) return;
  const limit = { priority: applied.realtimePriority, hardUs: applied.realtimeLimitUs, restoreDelayMs };
  armedLimit = limit;
  watchRealtimeLimit(logger);
  try {
    setRealtimeLimit(limit.hardUs);
  } catch (error) {
    logger?.warn(
      { event: 'notice', notice: 'realtime-limit-refused', code: (error as Partial<SystemError>).code },
      `RLIMIT_RTTIME ${limit.hardUs} µs refused (${(error as Error).message}); the limit already set stays`,
    );
  }
}

/**
 * The advert threads now run at SCHED_RR `priority` (max_auto_priority raised them, src/linux/auto-priority.ts):
 * the first time, RLIMIT_RTTIME is armed as for vrrp_rt_priority (`limitUs`, default
 * DEFAULT_REALTIME_LIMIT_US), as keepalived sets its rlimit when it first goes real-time; later, a
 * SIGXCPU restore goes back to the raised priority.
 */
export function realtimeRaised(priority: number, limitUs: number | undefined, logger?: RuntimeLogger): void {
  if (armedLimit !== undefined) armedLimit.priority = priority;
  else armRealtimeLimit({ realtimePriority: priority, realtimeLimitUs: limitUs ?? DEFAULT_REALTIME_LIMIT_US }, logger);
}

/** How long the advert threads stay at SCHED_OTHER after SIGXCPU demoted them. */
export const REALTIME_RESTORE_DELAY_MS = 10_000;

function setRealtimeLimit(hardUs: number): void {
  loadNative().setRealtimeLimit(Math.max(1, Math.floor(hardUs / 2)), hardUs);
}

/** "SCHED_RR 50 (RLIMIT_RTTIME 200000 µs once running), CPUs 0,1" for the start log. */
export function describeScheduling(applied: AppliedScheduling): string {
  const parts: string[] = [];
  if (applied.realtimePriority !== undefined)
    parts.push(`SCHED_RR ${applied.realtimePriority} (RLIMIT_RTTIME ${applied.realtimeLimitUs} µs once running)`);
  if (applied.nice !== undefined) parts.push(`nice ${applied.nice}`);
  if (applied.cpuAffinity !== undefined) parts.push(`CPUs ${applied.cpuAffinity.join(',')}`);
  if (applied.lockedBytes !== undefined)
    parts.push(`advert path locked in memory (${Math.round(applied.lockedBytes / 1048576)} MiB of mappings, on fault)`);
  return parts.join(', ') || 'unchanged';
}

let realtimeLimitWatched = false;

/**
 * SIGXCPU, the RLIMIT_RTTIME soft limit: a SCHED_RR thread of ours ran half the limit without
 * sleeping. Seen under 3 CPU hogs per core with every thread pinned to one CPU (a full GC whose helper
 * threads the SCHED_RR main thread starves). keepalived only logs it, and the hard limit's SIGKILL
 * would then leave our VIPs on a node that no longer advertises. The addon's handler has already put
 * the threads back to SCHED_OTHER when this runs: log it, and restore SCHED_RR (and the soft limit,
 * which the kernel raised by 1 s) after REALTIME_RESTORE_DELAY_MS.
 */
interface RealtimeLimit {
  /** The SCHED_RR priority to restore: vrrp_rt_priority's, or the last automatic raise. */
  priority: number;
  readonly hardUs: number;
  readonly restoreDelayMs: number;
}

/** The limit armed last (one process, one main thread). */
let armedLimit: RealtimeLimit | undefined;

function watchRealtimeLimit(logger: RuntimeLogger | undefined): void {
  if (realtimeLimitWatched) return;
  realtimeLimitWatched = true;
  let restore: NodeJS.Timeout | undefined;
  process.on('SIGXCPU', () => {
    const limit = armedLimit;
    if (limit === undefined) return;
    const demotions = loadNative().realtimeDemotions();
    logger?.warn(
      { event: 'notice', notice: 'realtime-limit', realtimeLimitUs: limit.hardUs, demotions },
      `SIGXCPU: a SCHED_RR thread ran ${Math.floor(limit.hardUs / 2)} µs without sleeping; the advert threads run at SCHED_OTHER for ${limit.restoreDelayMs / 1000} s rather than be killed at ${limit.hardUs} µs`,
    );
    if (restore !== undefined) clearTimeout(restore);
    restore = setTimeout(() => {
      restore = undefined;
      restoreRealtime(logger, armedLimit ?? limit);
    }, limit.restoreDelayMs);
    restore.unref();
  });
}

function restoreRealtime(logger: RuntimeLogger | undefined, limit: RealtimeLimit): void {
  try {
    const native = loadNative();
    native.setRealtime(limit.priority);
    native.setPeriodicRealtime(limit.priority);
    setRealtimeLimit(limit.hardUs);
    logger?.info(
      { event: 'notice', notice: 'realtime-restored', realtimePriority: limit.priority },
      `SCHED_RR ${limit.priority} restored for the advert threads`,
    );
  } catch (error) {
    logger?.warn(
      { event: 'notice', notice: 'realtime-restore-refused', code: (error as Partial<SystemError>).code },
      `SCHED_RR ${limit.priority} could not be restored (${(error as Error).message}); the advert threads stay at SCHED_OTHER`,
    );
  }
}
