// The daemon's own scheduling as plain settings (keepalived's vrrp_rt_priority, vrrp_priority,
// vrrp_cpu_affinity, vrrp_rlimit_rttime, vrrp_no_swap), with the checks every reader uses. Applying them is the Linux adapter's (src/linux/scheduling.ts `applyProcessScheduling`).

import { ConfigError } from './config-error.js';
import { unknownKeyMessage } from './known-keys.js';

export interface ProcessScheduling {
  /** SCHED_RR at this priority (1..99) for the main thread (keepalived: vrrp_rt_priority). */
  readonly realtimePriority?: number;
  /** Nice (-20..19) of the main thread when not real-time (keepalived: vrrp_priority). */
  readonly nice?: number;
  /** CPUs the main thread may run on (keepalived: vrrp_cpu_affinity). */
  readonly cpuAffinity?: readonly number[];
  /**
   * RLIMIT_RTTIME hard limit in µs with realtimePriority: CPU time without a blocking system call
   * before the kernel kills the process (SIGKILL); the soft limit, half of it, sends SIGXCPU, which is
   * logged. Default DEFAULT_REALTIME_LIMIT_US, 200000, not keepalived's 10000: see there
   * (keepalived: vrrp_rlimit_rttime).
   */
  readonly realtimeLimitUs?: number;
  /**
   * Lock the native advert path in memory (keepalived: vrrp_no_swap), with MLOCK_ONFAULT as keepalived's
   * mlockall: every file mapping (code), the main stack, the malloc heap and the advert sender's stack.
   * Not V8's heap: V8 aborts on locked heap pages (native/src/memory_lock.h). Needs CAP_IPC_LOCK.
   */
  readonly lockMemory?: boolean;
  /**
   * Raise the main thread automatically, one SCHED_RR step at a time up to this priority (1..99),
   * whenever the engine's timer fires more than autoPriorityDelayUs late; never lowered again
   * (keepalived: max_auto_priority). Absent: no automatic raise. See src/model/auto-priority.ts.
   */
  readonly maxAutoPriority?: number;
  /** How late (µs, 1..10000000; default 1000000) the timer must fire for a raise (keepalived: min_auto_priority_delay). */
  readonly autoPriorityDelayUs?: number;
  /** What the operator called each setting (a keepalived keyword, a variable), for errors; not a JSON field. */
  readonly names?: Readonly<Partial<Record<SchedulingSetting, string>>>;
}

export type SchedulingSetting =
  | 'realtimePriority'
  | 'nice'
  | 'cpuAffinity'
  | 'realtimeLimitUs'
  | 'lockMemory'
  | 'maxAutoPriority'
  | 'autoPriorityDelayUs';

/**
 * RLIMIT_RTTIME's default, µs. keepalived's (RT_RLIMIT_DEFAULT, lib/process.h) is 10000, sized for a
 * small C process; a Node main thread at 10 ms adverts was killed by it in 1 run of 4 even with the
 * limit set after the start, and drew SIGXCPU at 50000 (soft 25 ms) in 2 of 5: 200 ms still ends a
 * runaway within a fifth of a second, and vrrp_rlimit_rttime 10000 gives keepalived's back.
 */
export const DEFAULT_REALTIME_LIMIT_US = 200_000;
/** sched_setaffinity's cpu_set_t holds CPUs 0..1023 (CPU_SETSIZE). */
export const MAX_CPU = 1023;
const MAX_REALTIME_LIMIT_US = 4_294_967_295;
/** keepalived's default min_auto_priority_delay, µs (global_data.c). */
export const DEFAULT_AUTO_PRIORITY_DELAY_US = 1_000_000;
/** keepalived's ceiling for min_auto_priority_delay, µs (10 s). */
export const MAX_AUTO_PRIORITY_DELAY_US = 10_000_000;

const SETTINGS: readonly SchedulingSetting[] = [
  'realtimePriority',
  'nice',
  'cpuAffinity',
  'realtimeLimitUs',
  'lockMemory',
  'maxAutoPriority',
  'autoPriorityDelayUs',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks vrrp-engine's JSON `scheduling` object (unknown fields are errors); throws ConfigError naming the field. */
export function readProcessScheduling(value: unknown, field = 'scheduling'): ProcessScheduling {
  if (!isRecord(value)) throw new ConfigError(field, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!(SETTINGS as readonly string[]).includes(key))
      throw new ConfigError(`${field}.${key}`, unknownKeyMessage(key, SETTINGS));
  }
  const { realtimePriority, nice, cpuAffinity, realtimeLimitUs, lockMemory, maxAutoPriority, autoPriorityDelayUs } =
    value;
  if (lockMemory !== undefined && typeof lockMemory !== 'boolean') {
    throw new ConfigError(`${field}.lockMemory`, `must be true or false, got ${JSON.stringify(lockMemory)}`);
  }
  if (realtimePriority !== undefined && !integerIn(realtimePriority, 1, 99)) {
    throw new ConfigError(
      `${field}.realtimePriority`,
      `must be an integer from 1 to 99, got ${JSON.stringify(realtimePriority)}`,
    );
  }
  if (nice !== undefined && !integerIn(nice, -20, 19)) {
    throw new ConfigError(`${field}.nice`, `must be an integer from -20 to 19, got ${JSON.stringify(nice)}`);
  }
  if (cpuAffinity !== undefined) {
    if (!Array.isArray(cpuAffinity) || cpuAffinity.length === 0)
      throw new ConfigError(`${field}.cpuAffinity`, 'must be a non-empty list of CPU numbers');
    cpuAffinity.forEach((cpu, index) => {
      if (!integerIn(cpu, 0, MAX_CPU))
        throw new ConfigError(
          `${field}.cpuAffinity[${index}]`,
          `must be a CPU number from 0 to ${MAX_CPU}, got ${JSON.stringify(cpu)}`,
        );
    });
  }
  if (realtimeLimitUs !== undefined && !integerIn(realtimeLimitUs, 2, MAX_REALTIME_LIMIT_US)) {
    throw new ConfigError(
      `${field}.realtimeLimitUs`,
      `must be an integer from 2 to ${MAX_REALTIME_LIMIT_US} (µs), got ${JSON.stringify(realtimeLimitUs)}`,
    );
  }
  checkAutoPriority(field, maxAutoPriority, autoPriorityDelayUs);
  return {
    ...(realtimePriority !== undefined ? { realtimePriority } : {}),
    ...(nice !== undefined ? { nice } : {}),
    ...(cpuAffinity !== undefined ? { cpuAffinity: [...(cpuAffinity as number[])] } : {}),
    ...(realtimeLimitUs !== undefined ? { realtimeLimitUs } : {}),
    ...(lockMemory === true ? { lockMemory } : {}),
    ...(maxAutoPriority !== undefined ? { maxAutoPriority: maxAutoPriority as number } : {}),
    ...(autoPriorityDelayUs !== undefined ? { autoPriorityDelayUs: autoPriorityDelayUs as number } : {}),
  };
}

function checkAutoPriority(field: string, maxAutoPriority: unknown, delayUs: unknown): void {
  if (maxAutoPriority !== undefined && !integerIn(maxAutoPriority, 1, 99)) {
    throw new ConfigError(
      `${field}.maxAutoPriority`,
      `must be an integer from 1 to 99, got ${JSON.stringify(maxAutoPriority)}`,
    );
  }
  if (delayUs !== undefined && !integerIn(delayUs, 1, MAX_AUTO_PRIORITY_DELAY_US)) {
    throw new ConfigError(
      `${field}.autoPriorityDelayUs`,
      `must be an integer from 1 to ${MAX_AUTO_PRIORITY_DELAY_US} (µs), got ${JSON.stringify(delayUs)}`,
    );
  }
}

/** Checks settings built in code (a configuration reader's): readProcessScheduling's rules, `names` allowed. */
export function checkProcessScheduling(settings: unknown, field = 'scheduling'): void {
  if (!isRecord(settings)) throw new ConfigError(field, 'must be an object');
  const { names, ...rest } = settings;
  if (names !== undefined && (!isRecord(names) || Object.values(names).some((name) => typeof name !== 'string'))) {
    throw new ConfigError(`${field}.names`, 'must map settings to the names to use for them in errors');
  }
  readProcessScheduling(rest, field);
}

/** True when the settings ask for nothing (the default: the process is left as it was started). */
export function isDefaultScheduling(settings: ProcessScheduling | undefined): boolean {
  return settings === undefined || SETTINGS.every((key) => settings[key] === undefined);
}

/** Same effective settings (names aside): a reload compares with this to tell the operator a restart is needed. */
export function sameScheduling(a: ProcessScheduling | undefined, b: ProcessScheduling | undefined): boolean {
  const effective = (s: ProcessScheduling | undefined) =>
    JSON.stringify(SETTINGS.map((key) => (s?.[key] === false ? null : (s?.[key] ?? null))));
  return effective(a) === effective(b);
}
