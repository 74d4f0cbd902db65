// The engine's side of the command runner (runner-process.ts): hands commands to the runner process
// and resolves each with its outcome. If the runner dies, what it was running counts as failed and a
// new runner starts (at most one start a second).

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunOutcome, RunRequest, RunResult } from './runner-protocol.js';

const RUNNER_SCRIPT = fileURLToPath(new URL('./runner-process.js', import.meta.url));
const MIN_RESTART_INTERVAL_MS = 1000;
/** keepalived: SIGTERM at the timeout, SIGKILL 2 s later. */
export const KILL_GRACE_MS = 2000;

export interface CommandToRun {
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  readonly uid?: number;
  readonly gid?: number;
}

export class CommandRunner {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private lastStartMs = -Infinity;
  private closed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<number, { resolve: (result: RunOutcome) => void; request: RunRequest }>();
  private readonly onError: (message: string) => void;

  constructor(onError: (message: string) => void) {
    this.onError = onError;
  }

  run(command: CommandToRun): Promise<RunOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'error', message: 'health checks are stopping' });
    const request: RunRequest = {
      type: 'run',
      id: this.nextId++,
      argv: command.argv,
      timeoutMs: command.timeoutMs,
      killGraceMs: KILL_GRACE_MS,
      ...(command.uid !== undefined ? { uid: command.uid } : {}),
      ...(command.gid !== undefined ? { gid: command.gid } : {}),
    };
    return new Promise((resolve) => {
      this.waiting.set(request.id, { resolve, request });
      this.send(request);
      this.holdOpen();
    });
  }

  /** Disconnects the runner, which kills whatever still runs; pending commands resolve as errors. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    if (child?.connected) child.disconnect();
    this.failAll('health checks stopped');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private send(request: RunRequest): void {
    const child = this.ensureChild();
    if (child === undefined) return; // sent when the runner has restarted
    child.send(request, (error) => {
      if (error) this.finish(request.id, { kind: 'error', message: `runner: ${error.message}` });
    });
  }

  private ensureChild(): ChildProcess | undefined {
    if (this.child !== undefined) return this.child;
    if (this.restartTimer !== undefined) return undefined;
    const waitMs = this.lastStartMs + MIN_RESTART_INTERVAL_MS - Date.now();
    if (waitMs > 0) {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.resend();
      }, waitMs);
      return undefined;
    }
    this.lastStartMs = Date.now();
    const child = fork(RUNNER_SCRIPT, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child = child;
    child.on('message', (message: RunResult) => {
      if (message?.type === 'done') this.finish(message.id, message.outcome);
    });
    child.on('error', (error) => this.onError(`command runner: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.closed) return;
      this.onError(`command runner ${child.pid} ended (${signal ?? `exit ${code}`}); its commands count as failed`);
      this.failAll('the command runner ended');
    });
    // The runner keeps the process alive only while a command is waiting for its answer.
    this.holdOpen();
    return child;
  }

  private resend(): void {
    if (this.closed || this.child !== undefined) return;
    for (const { request } of this.waiting.values()) this.send(request);
  }

  private finish(id: number, outcome: RunOutcome): void {
    const entry = this.waiting.get(id);
    if (entry === undefined) return;
    this.waiting.delete(id);
    this.holdOpen();
    entry.resolve(outcome);
  }

  private holdOpen(): void {
    if (this.waiting.size > 0) {
      this.child?.ref();
      this.child?.channel?.ref();
    } else {
      this.child?.unref();
      this.child?.channel?.unref();
    }
  }

  private failAll(message: string): void {
    for (const id of [...this.waiting.keys()]) this.finish(id, { kind: 'error', message });
  }
}
