// A Linux runtime in its own process inside a network namespace (runtime-apply-child.ts), driven by
// JSON-line commands: for tests and benchmarks that need a runtime whose event loop they can block.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventually } from './runner-process.js';

const childScript = fileURLToPath(new URL('./runtime-apply-child.js', import.meta.url));

export type ChildLine = Record<string, unknown> & { type: string };

export class RuntimeChild {
  readonly child: ChildProcess;
  readonly lines: ChildLine[] = [];
  stderr = '';

  constructor(namespace: string) {
    // `ip netns exec` execs node, so child.pid is the runtime's process; tap's loader stays out.
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, childScript], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(JSON.parse(line) as ChildLine));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Sends a command; resolves with its result, rejects with the child's error. */
  async call<T>(command: Record<string, unknown>): Promise<T> {
    const from = this.lines.length;
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    let reply: ChildLine | undefined;
    await eventually(
      `reply to ${String(command.op)}; stderr: ${this.stderr}`,
      () => (reply = this.lines.slice(from).find((l) => l.type === 'reply')) !== undefined,
    );
    if (reply!.ok !== true) throw new Error(`${String(command.op)}: ${JSON.stringify(reply!.error)}`);
    return reply!.result as T;
  }

  /** The state its last stateChange log line went to. */
  state(): unknown {
    return this.lines.filter((l) => l.type === 'log' && l.event === 'stateChange').at(-1)?.to;
  }

  /** Whether it logged a change to `state` since line `from`. */
  enteredSince(state: string, from: number): boolean {
    return this.lines.slice(from).some((l) => l.type === 'log' && l.event === 'stateChange' && l.to === state);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** The longest gap between consecutive times, and the adverts missing at `intervalMs` (a gap of n intervals misses n - 1). */
export function advertGaps(times: readonly number[], intervalMs: number): { longestMs: number; missed: number } {
  let longestMs = 0;
  let missed = 0;
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    longestMs = Math.max(longestMs, gap);
    missed += Math.max(0, Math.round(gap / intervalMs) - 1);
  }
  return { longestMs, missed };
}
