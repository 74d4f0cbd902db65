// A child process started inside a namespace (`ip netns exec` execs, so the PID is the program's own),
// its output split into lines and timestamped on arrival, and waiters for lines that match.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { forgetPid, rememberPid } from './cleanup.js';

export interface TimedLine {
  readonly atMs: number;
  readonly text: string;
  readonly stream: 'stdout' | 'stderr';
}

interface Waiter {
  readonly pred: (line: TimedLine) => boolean;
  readonly resolve: (line: TimedLine) => void;
}

export class NamespaceProcess {
  readonly lines: TimedLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly waiters: Waiter[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** When the exit was seen (Date.now()), or undefined while running. */
  exitedAtMs: number | undefined;

  constructor(
    readonly label: string,
    /** undefined: the command runs in this namespace (podman, which joins the container to one itself). */
    namespace: string | undefined,
    command: string,
    args: readonly string[],
  ) {
    // `env -u NODE_OPTIONS`: tap's process-info hook puts its loader into NODE_OPTIONS of every child
    // it sees spawned, and that loader require()s the main module, which the runner's extensionless
    // ES-module shim refuses (ERR_REQUIRE_CYCLE_MODULE). The processes under test should run as an
    // operator starts them anyway. `ip netns exec` and `env` both exec, so the PID stays the program's.
    const argv = ['env', '-u', 'NODE_OPTIONS', command, ...args];
    this.child = spawn(
      namespace === undefined ? argv[0]! : 'ip',
      namespace === undefined ? argv.slice(1) : ['netns', 'exec', namespace, ...argv],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    if (this.child.pid === undefined) throw new Error(`${label}: could not start ${command}`);
    rememberPid(this.child.pid);
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes after stdout and stderr have ended, so every line is in.
      this.child.once('close', (code, signal) => {
        this.exitInfo = { code, signal };
        this.exitedAtMs = Date.now();
        forgetPid(this.pid);
        resolve({ code, signal });
      });
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: this.child[stream]! }).on('line', (text) =>
        this.onLine({ atMs: Date.now(), text, stream }),
      );
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** "code 0", "signal SIGKILL", or "running". */
  get exitDescription(): string {
    if (!this.exitInfo) return 'running';
    return this.exitInfo.signal ? `signal ${this.exitInfo.signal}` : `code ${String(this.exitInfo.code)}`;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  protected onLine(line: TimedLine): void {
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      if (waiter.pred(line)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }

  /** The first line from `since` on (index into `lines`) that matches; rejects after `timeoutMs`. */
  waitForLine(pred: (line: TimedLine) => boolean, timeoutMs: number, what: string, since = 0): Promise<TimedLine> {
    const seen = this.lines.slice(since).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pred,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms; last output:\n${this.tail(15)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  tail(count: number): string {
    return this.lines
      .slice(-count)
      .map((l) => `  [${l.stream}] ${l.text}`)
      .join('\n');
  }

  /** Sends a signal to this process only (by PID); no-op once it has exited. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Exited between the check and the kill.
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exitInfo!;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }
}
