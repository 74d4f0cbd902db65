// Runs check scripts and notify commands from the daemon's own process, each in a process group of
// its own, and resolves each with its outcome: exit, timeout (SIGTERM to the group, SIGKILL
// KILL_GRACE_MS later, as keepalived), or could not start.
//
// Started by the addon's spawnCommand (native/src/spawn.h), not child_process.spawn: spawn forks, and
// the calling thread waits while the kernel copies the page tables of the whole daemon (a fork of a
// large process can take milliseconds); spawnCommand's clone(CLONE_VM | CLONE_VFORK) copies nothing
// and returns once the child has exec'd. The exit is read from a pidfd that libuv polls, so a hung
// script occupies nothing but its own process. Without pidfd support (Linux before 5.3) commands fall
// back to child_process.spawn.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { loadNative } from '../linux/native.js';
import { errorCode } from '../errors.js';
import type { RunOutcome } from './runner-protocol.js';

/** keepalived: SIGTERM at the timeout, SIGKILL 2 s later. */
export const KILL_GRACE_MS = 2000;

export interface CommandToRun {
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  readonly uid?: number;
  readonly gid?: number;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** The command ended: its exit code or the name of the signal that ended it. */
type OnExit = (code: number | null, signal: string | null) => void;
/** It runs (`pid`), or it could not start (`error`). */
type OnStarted = (error: Error | null, pid: number | null) => void;

/** Starts `command` in a new process group. */
function startCommand(command: CommandToRun, onStarted: OnStarted, onExit: OnExit): void {
  const options = {
    argv: command.argv,
    ...(command.uid !== undefined ? { uid: command.uid } : {}),
    ...(command.gid !== undefined ? { gid: command.gid } : {}),
  };
  loadNative().spawnCommand(
    options,
    (error, pid) => {
      if (error !== null && errorCode(error) === 'ENOSYS') startWithNode(command, onStarted, onExit);
      else onStarted(error, pid);
    },
    (code, signal) => onExit(code, signal === null ? null : (SIGNAL_NAMES.get(signal) ?? `signal ${signal}`)),
  );
}

/** The fallback: a fork of this process per command (no pidfd on this kernel). */
function startWithNode(command: CommandToRun, onStarted: OnStarted, onExit: OnExit): void {
  const child = spawn(command.argv[0]!, command.argv.slice(1), {
    detached: true,
    stdio: 'ignore',
    ...(command.uid !== undefined ? { uid: command.uid } : {}),
    ...(command.gid !== undefined ? { gid: command.gid } : {}),
  });
  child.on('spawn', () => onStarted(null, child.pid ?? null));
  child.on('error', (error) => onStarted(error, null));
  child.on('exit', (code, signal) => onExit(code, signal));
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

export class CommandRunner {
  private closed = false;
  /** Process groups still running (or killed and waiting for their SIGKILL), by pid. */
  private readonly running = new Set<number>();
  /** Commands not answered yet: what close() answers. */
  private readonly waiting = new Set<(outcome: RunOutcome) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();

  run(command: CommandToRun): Promise<RunOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'error', message: 'health checks are stopping' });
    return new Promise((resolve) => {
      const answer = (outcome: RunOutcome): void => {
        if (!this.waiting.delete(answer)) return;
        resolve(outcome);
      };
      this.waiting.add(answer);
      let pid: number | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      // From the request: a start that takes long counts against the command's time.
      const timeoutTimer = this.later(command.timeoutMs, () => {
        if (pid !== undefined) this.killLater(pid, (timer) => (killTimer = timer));
        answer({ kind: 'timeout' });
      });
      const started: OnStarted = (error, startedPid) => {
        if (error !== null || startedPid === null) {
          this.clear(timeoutTimer);
          answer({ kind: 'error', message: error?.message ?? 'not started' });
          return;
        }
        pid = startedPid;
        this.running.add(pid);
        // Closed, or past its time, while it was starting: it goes at once.
        if (this.closed) killGroup(pid, 'SIGKILL');
        else if (!this.waiting.has(answer)) this.killLater(pid, (timer) => (killTimer = timer));
      };
      startCommand(command, started, (code, signal) => {
        this.clear(timeoutTimer);
        // The leader is gone; anything it left in its group still gets the SIGKILL if one is due.
        if (killTimer === undefined && pid !== undefined) this.running.delete(pid);
        answer({ kind: 'exited', code, signal });
      });
    });
  }

  /** SIGTERM to the group now, SIGKILL KILL_GRACE_MS later. */
  private killLater(pid: number, onTimer: (timer: NodeJS.Timeout) => void): void {
    killGroup(pid, 'SIGTERM');
    onTimer(
      this.later(KILL_GRACE_MS, () => {
        killGroup(pid, 'SIGKILL');
        this.running.delete(pid);
      }),
    );
  }

  /** Kills whatever still runs (SIGKILL to each group); pending commands resolve as errors. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const pgid of this.running) killGroup(pgid, 'SIGKILL');
    this.running.clear();
    for (const answer of [...this.waiting]) answer({ kind: 'error', message: 'health checks stopped' });
  }

  private later(ms: number, job: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      job();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clear(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }
}
