// The command runner: a small process of its own that forks every check script and notify command.
//
// Why: child_process.spawn forks and waits for the exec inside the calling thread, and a fork of a big
// process (the engine's heap, its sockets) can take milliseconds, more when memory is tight. Here the
// fork costs only this small process's time, so neither a slow fork nor a hung script can delay an
// advert. Each command runs in its own process group, so a timeout kills everything it started.
// The process exits (killing what still runs) when the engine disconnects.

import { spawn } from 'node:child_process';
import type { RunOutcome, RunRequest, RunResult } from './runner-protocol.js';

const running = new Map<number, number>(); // request id -> process group id

function reply(result: RunResult): void {
  if (process.connected) process.send!(result);
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

function run(request: RunRequest): void {
  const startedAt = performance.now();
  let answered = false;
  const answer = (outcome: RunOutcome): void => {
    if (answered) return;
    answered = true;
    reply({ type: 'done', id: request.id, outcome, durationMs: performance.now() - startedAt });
  };
  let child;
  try {
    child = spawn(request.argv[0]!, request.argv.slice(1), {
      detached: true,
      stdio: 'ignore',
      ...(request.uid !== undefined ? { uid: request.uid } : {}),
      ...(request.gid !== undefined ? { gid: request.gid } : {}),
    });
  } catch (error) {
    answer({ kind: 'error', message: (error as Error).message });
    return;
  }
  let killTimer: NodeJS.Timeout | undefined;
  const timeoutTimer = setTimeout(() => {
    if (child.pid === undefined) return;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => {
      killGroup(child.pid!, 'SIGKILL');
      running.delete(request.id);
    }, request.killGraceMs);
    answer({ kind: 'timeout' });
  }, request.timeoutMs);
  if (child.pid !== undefined) running.set(request.id, child.pid);
  child.on('error', (error) => {
    clearTimeout(timeoutTimer);
    running.delete(request.id);
    answer({ kind: 'error', message: error.message });
  });
  child.on('exit', (code, signal) => {
    clearTimeout(timeoutTimer);
    // The leader is gone; anything it left in its group still gets the SIGKILL if one is due.
    if (killTimer === undefined) running.delete(request.id);
    answer({ kind: 'exited', code, signal });
  });
}

process.on('message', (message: RunRequest) => {
  if (message?.type === 'run' && Array.isArray(message.argv) && message.argv.length > 0) run(message);
});
process.on('disconnect', () => {
  for (const pgid of running.values()) killGroup(pgid, 'SIGKILL');
  process.exit(0);
});
