// vrrp_track_process by polling /proc (keepalived listens to the kernel's process connector instead,
// so it hears a process end at once; here a change is seen within one interval). One scan of /proc
// serves every process check due at that moment.

import { readdir, readFile } from 'node:fs/promises';
import type { ProcessCheckSpec } from '../plan.js';
import type { CheckStatus, CheckVerdict, RunningCheck } from '../check.js';

const DEFAULT_INTERVAL_MS = 1000;
/** /proc/PID/comm holds at most 15 characters of the name. */
const COMM_LENGTH = 15;

export interface ProcessEntry {
  readonly pid: number;
  readonly comm: string;
  /** argv from /proc/PID/cmdline (empty for kernel threads). */
  readonly argv: readonly string[];
}

/** Reads every process's name and command line; a process that ends during the scan is skipped. */
export async function scanProcesses(procRoot = '/proc'): Promise<ProcessEntry[]> {
  const names = await readdir(procRoot);
  const entries = await Promise.all(
    names.filter((name) => /^\d+$/.test(name)).map(async (name): Promise<ProcessEntry | undefined> => {
      try {
        const [comm, cmdline] = await Promise.all([readFile(`${procRoot}/${name}/comm`, 'utf8'), readFile(`${procRoot}/${name}/cmdline`, 'utf8')]);
        const argv = cmdline.split('\0');
        if (argv[argv.length - 1] === '') argv.pop();
        return { pid: Number(name), comm: comm.replace(/\n$/, ''), argv };
      } catch {
        return undefined;
      }
    }),
  );
  return entries.filter((entry): entry is ProcessEntry => entry !== undefined);
}

export function processMatches(spec: ProcessCheckSpec, entry: ProcessEntry): boolean {
  const nameMatches = spec.fullCommand ? entry.argv[0] === spec.process : entry.comm === spec.process.slice(0, COMM_LENGTH);
  if (!nameMatches) return false;
  const wanted = spec.parameters;
  if (wanted === undefined || wanted.length === 0) return true;
  const args = entry.argv.slice(1);
  switch (spec.paramMatch ?? 'exact') {
    case 'exact':
      return args.length === wanted.length && wanted.every((arg, index) => args[index] === arg);
    case 'initial':
      return wanted.every((arg, index) => args[index] === arg);
    case 'partial':
      return args.join(' ').includes(wanted.join(' '));
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

  constructor(spec: ProcessCheckSpec, scan: () => Promise<readonly ProcessEntry[]> = scanProcesses) {
    this.name = spec.name;
    this.spec = spec;
    this.scan = scan;
  }

  verdict(): CheckVerdict {
    return { up: this.up };
  }

  status(): CheckStatus {
    const failing = this.lostSinceMs !== undefined ? 1 : 0;
    return { name: this.name, kind: this.kind, up: this.up, lastResult: this.lastResult, failures: failing, successes: 1 - failing, runs: this.runs };
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
