// The command runner with real commands: exit codes, timeouts that kill the whole process group
// (SIGTERM, then SIGKILL 2 s later), programs that cannot start, started from this process.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandRunner } from '../../src/health/command-runner.js';
import { eventually, scratchDir } from './helpers.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('exit status and signals come back as they are', async (t) => {
  const runner = new CommandRunner();
  t.teardown(() => runner.close());
  t.strictSame(await runner.run({ argv: ['/bin/true'], timeoutMs: 5000 }), { kind: 'exited', code: 0, signal: null });
  t.strictSame(await runner.run({ argv: ['/bin/sh', '-c', 'exit 3'], timeoutMs: 5000 }), {
    kind: 'exited',
    code: 3,
    signal: null,
  });
  t.strictSame(await runner.run({ argv: ['/bin/sh', '-c', 'kill -USR1 $$'], timeoutMs: 5000 }), {
    kind: 'exited',
    code: null,
    signal: 'SIGUSR1',
  });
  t.match(await runner.run({ argv: ['/nonexistent/program'], timeoutMs: 5000 }), { kind: 'error', message: /ENOENT/ });
});

t.test('a command past its timeout is a timeout, and its whole process group is killed', async (t) => {
  const dir = await scratchDir(t);
  const runner = new CommandRunner();
  t.teardown(() => runner.close());
  const pidFile = join(dir, 'grandchild.pid');
  const started = performance.now();
  const outcome = await runner.run({
    argv: ['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`],
    timeoutMs: 300,
  });
  const took = performance.now() - started;
  t.strictSame(outcome, { kind: 'timeout' });
  t.ok(took >= 290 && took < 1500, `answered at the timeout (${took.toFixed(0)} ms)`);
  const grandchild = Number(await readFile(pidFile, 'utf8'));
  await eventually('the background sleep is gone too', () => !alive(grandchild));
});

t.test('a command that ignores SIGTERM is killed 2 s later', async (t) => {
  const dir = await scratchDir(t);
  const runner = new CommandRunner();
  t.teardown(() => runner.close());
  const pidFile = join(dir, 'stubborn.pid');
  const outcome = await runner.run({
    argv: ['/bin/sh', '-c', `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 0.1; done`],
    timeoutMs: 200,
  });
  t.strictSame(outcome, { kind: 'timeout' });
  const pid = Number(await readFile(pidFile, 'utf8'));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.ok(alive(pid), 'still alive 1 s after SIGTERM');
  await eventually('SIGKILL ends it', () => !alive(pid));
});

t.test('commands run side by side; closing the runner fails what is pending', async (t) => {
  const runner = new CommandRunner();
  const started = performance.now();
  const results = await Promise.all([1, 2, 3].map(() => runner.run({ argv: ['/bin/sleep', '1'], timeoutMs: 5000 })));
  t.ok(performance.now() - started < 2500, 'three 1 s commands took less than 2.5 s');
  t.ok(results.every((r) => r.kind === 'exited' && r.code === 0));
  const pending = runner.run({ argv: ['/bin/sleep', '10'], timeoutMs: 20_000 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  runner.close();
  t.match(await pending, { kind: 'error', message: /stopped/ });
  t.match(await runner.run({ argv: ['/bin/true'], timeoutMs: 1000 }), { kind: 'error' }, 'nothing runs after close');
});

t.test('commands start from this process, each in a group of its own; close kills the running ones', async (t) => {
  const dir = await scratchDir(t);
  const runner = new CommandRunner();
  t.teardown(() => runner.close());
  const pidFile = join(dir, 'ids');
  t.strictSame(
    await runner.run({ argv: ['/bin/sh', '-c', `echo $$ $PPID $(ps -o pgid= -p $$) > ${pidFile}`], timeoutMs: 5000 }),
    {
      kind: 'exited',
      code: 0,
      signal: null,
    },
  );
  const [pid, parent, pgid] = (await readFile(pidFile, 'utf8')).trim().split(/\s+/).map(Number);
  t.equal(parent, process.pid, 'its parent is this process: no helper process in between');
  t.equal(pgid, pid, 'it leads its own process group');
  const sleeper = join(dir, 'sleeper');
  const pending = runner.run({ argv: ['/bin/sh', '-c', `sleep 30 & echo $! > ${sleeper}; wait`], timeoutMs: 60_000 });
  await eventually('the sleeper started', () => existsSync(sleeper) && readFileSync(sleeper, 'utf8').trim() !== '');
  const grandchild = Number(await readFile(sleeper, 'utf8'));
  runner.close();
  t.match(await pending, { kind: 'error', message: /stopped/ });
  await eventually('close killed its group, the background sleep too', () => !alive(grandchild));
});
