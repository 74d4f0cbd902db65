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
          if (!withCommandLines) return { pid: Number(name), comm, argv: [] };
          const argv = (await readFile(`${procRoot}/${name}/cmdline`, 'utf8')).split('\0');
          if (argv[argv.length - 1] === '') argv.pop();
          return { pid: Number(name), comm, argv };
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
      this.record(entries.filter((entry) => processMatches(this.spec, entry)).length, startedAt);
    } catch (error) {
      this.lastResult = `cannot read /proc: ${(error as Error).message}`;
    }
    if (this.stopped) return;
    const intervalMs = this.spec.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, intervalMs - (performance.now() - startedAt)));
  }

  private record(count: number, nowMs: number): void {
    this.runs++;
    this.count = count;
    const quorum = this.spec.quorum ?? 1;
    const inQuorum = count >= quorum && (this.spec.quorumMax === undefined || count <= this.spec.quorumMax);
    this.lastResult = `${this.count} matching process${count === 1 ? '' : 'es'}`;
    let next = this.up;
    if (inQuorum) {
      this.lostSinceMs = undefined;
      next = true;
    } else {
      this.lostSinceMs ??= nowMs;
      if (nowMs - this.lostSinceMs >= (this.spec.delayMs ?? 0)) next = false;
    }
    if (next === this.up || this.stopped) return;
    this.up = next;
    this.onChange?.({ up: next });
  }
}
