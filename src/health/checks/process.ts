// vrrp_track_process by polling /proc (keepalived listens to the kernel's process connector instead,
// so it hears a process end at once; here a change is seen within one interval). Matching follows
// keepalived 2.2.7's manual: the name as in /proc/PID/stat (comm), or, when parameters are given or
// full_command is set, argv[0] of /proc/PID/cmdline; zombies do not count.

import { readdir, readFile } from 'node:fs/promises';
import type { ProcessCheckSpec } from '../../model/health-plan.js';
import type { CheckStatus, CheckVerdict, RunningCheck } from '../check.js';

const DEFAULT_INTERVAL_MS = 1000;
/** /proc/PID/comm holds at most 15 characters of the name. */
const COMM_LENGTH = 15;

export interface ProcessEntry {
  readonly pid: number;
  /** The parent's PID (field 4 of /proc/PID/stat); 0 when not known. */
  readonly ppid: number;
  readonly comm: string;
  /** argv from /proc/PID/cmdline (empty for kernel threads), read only when asked for. */
  readonly argv: readonly string[];
}

/** Reads every live process's name (and command line); a process that ends during the scan is skipped. */
export async function scanProcesses(withCommandLines: boolean, procRoot = '/proc'): Promise<ProcessEntry[]> {
  const names = await readdir(procRoot);
  const entries = await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name): Promise<ProcessEntry | undefined> => {
        try {
          const stat = await readFile(`${procRoot}/${name}/stat`, 'utf8');
          const close = stat.lastIndexOf(')');
          if (stat[close + 2] === 'Z') return undefined; // a zombie is not running
          const comm = stat.slice(stat.indexOf('(') + 1, close);
          const ppid = Number(stat.slice(close + 4).split(' ', 1)[0]) || 0;
          if (!withCommandLines) return { pid: Number(name), ppid, comm, argv: [] };
          const argv = (await readFile(`${procRoot}/${name}/cmdline`, 'utf8')).split('\0');
          if (argv[argv.length - 1] === '') argv.pop();
          return { pid: Number(name), ppid, comm, argv };
        } catch {
          return undefined;
        }
      }),
  );
  return entries.filter((entry): entry is ProcessEntry => entry !== undefined);
}

/** Whether a check needs /proc/PID/cmdline (parameters or full_command). */
export function needsCommandLine(spec: ProcessCheckSpec): boolean {
  return spec.parameters !== undefined || spec.fullCommand === true;
}

/**
 * keepalived's matching: parameters given, no param_match: exactly those; 'partial': the first n
 * arguments are those (more may follow); 'initial': the same, but the last given one may be a prefix.
 * An empty parameter list means the command must have no arguments.
 */
export function processMatches(spec: ProcessCheckSpec, entry: ProcessEntry): boolean {
  const nameMatches = needsCommandLine(spec)
    ? entry.argv[0] === spec.process
    : entry.comm === spec.process.slice(0, COMM_LENGTH);
  if (!nameMatches) return false;
  const wanted = spec.parameters;
  if (wanted === undefined) return true;
  const args = entry.argv.slice(1);
  const last = wanted.length - 1;
  switch (spec.paramMatch ?? 'exact') {
    case 'exact':
      return args.length === wanted.length && wanted.every((arg, index) => args[index] === arg);
    case 'partial':
      return args.length >= wanted.length && wanted.every((arg, index) => args[index] === arg);
    case 'initial':
      return (
        args.length >= wanted.length &&
        wanted.every((arg, index) => (index === last ? args[index]!.startsWith(arg) : args[index] === arg))
      );
  }
}

export class ProcessCheck implements RunningCheck {
  readonly name: string;
  readonly kind = 'process' as const;
  private readonly spec: ProcessCheckSpec;
  private up = true;
  private count: number | undefined;
  private runs = 0;
  private lostSinceMs: number | undefined;
  /** When a fork_delay started (a verdict change a fork made, held back until it has lasted). */
  private forkSinceMs: number | undefined;
  /** The PIDs counted at the last scan. */
  private counted: ReadonlySet<number> = new Set();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastResult = 'not scanned yet';
  private onChange: ((verdict: CheckVerdict) => void) | undefined;
  private readonly scan: () => Promise<readonly ProcessEntry[]>;

  constructor(
    spec: ProcessCheckSpec,
    scan: () => Promise<readonly ProcessEntry[]> = () => scanProcesses(needsCommandLine(spec)),
  ) {
    this.name = spec.name;
    this.spec = spec;
    this.scan = scan;
  }

  verdict(): CheckVerdict {
    return { up: this.up };
  }

  status(): CheckStatus {
    const failing = this.lostSinceMs !== undefined ? 1 : 0;
    return {
      name: this.name,
      kind: this.kind,
      up: this.up,
      lastResult: this.lastResult,
      failures: failing,
      successes: 1 - failing,
      runs: this.runs,
    };
  }

  start(onChange: (verdict: CheckVerdict) => void): void {
    this.onChange = onChange;
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    const startedAt = performance.now();
    try {
      const entries = await this.scan();
      this.record(
        entries.filter((entry) => processMatches(this.spec, entry)),
        startedAt,
      );
    } catch (error) {
      this.lastResult = `cannot read /proc: ${(error as Error).message}`;
    }
    if (this.stopped) return;
    const intervalMs = this.spec.intervalMs ?? DEFAULT_INTERVAL_MS;
    let waitMs = Math.max(0, intervalMs - (performance.now() - startedAt));
    // A fork_delay that runs out before the next scan: look again then, as keepalived's timer would.
    if (this.forkSinceMs !== undefined)
      waitMs = Math.min(waitMs, Math.max(0, this.forkSinceMs + this.forkDelayMs - performance.now()));
    this.timer = setTimeout(() => void this.tick(), waitMs);
  }

  private get forkDelayMs(): number {
    return this.spec.forkDelayMs ?? 0;
  }

  private inQuorum(count: number): boolean {
    return count >= (this.spec.quorum ?? 1) && (this.spec.quorumMax === undefined || count <= this.spec.quorumMax);
  }

  private record(matching: readonly ProcessEntry[], nowMs: number): void {
    this.runs++;
    const count = matching.length;
    const before = { count: this.count, pids: this.counted };
    this.count = count;
    this.counted = new Set(matching.map((entry) => entry.pid));
    this.lastResult = `${count} matching process${count === 1 ? '' : 'es'}`;
    const inQuorum = this.inQuorum(count);
    // keepalived's fork_delay: the count crossed a quorum bound upwards, and a process that is new
    // since the last scan is the child of a counted one (a fork, not yet exec'd, has its parent's name).
    const byFork =
      before.count !== undefined &&
      count > before.count &&
      this.inQuorum(before.count) !== inQuorum &&
      matching.some((e) => !before.pids.has(e.pid) && (before.pids.has(e.ppid) || this.counted.has(e.ppid)));
    const next =
      this.forkSinceMs !== undefined ? this.afterFork(inQuorum, nowMs) : this.decide(inQuorum, byFork, nowMs);
    if (next === this.up || this.stopped) return;
    this.up = next;
    this.onChange?.({ up: next });
  }

  /** A fork_delay runs: a count back within it cancels it (no change); once over, the count decides. */
  private afterFork(inQuorum: boolean, nowMs: number): boolean {
    if (inQuorum !== this.up && nowMs - this.forkSinceMs! < this.forkDelayMs) return this.up;
    this.forkSinceMs = undefined;
    return inQuorum;
  }

  private decide(inQuorum: boolean, byFork: boolean, nowMs: number): boolean {
    if (inQuorum) {
      this.lostSinceMs = undefined;
      if (!this.up && byFork && this.forkDelayMs > 0) {
        this.forkSinceMs = nowMs;
        return false;
      }
      return true;
    }
    if (this.up && byFork && this.forkDelayMs > 0) {
      // Too many (quorum_max) because of a fork: the same delay.
      this.forkSinceMs = nowMs;
      return true;
    }
    this.lostSinceMs ??= nowMs;
    return nowMs - this.lostSinceMs >= (this.spec.delayMs ?? 0) ? false : this.up;
  }
}
