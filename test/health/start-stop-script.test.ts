// startup_script / shutdown_script runs (src/health/start-stop-script.ts) with real commands: the
// arguments as given (no shell), waited for; a script past its timeout killed with its process group
// and waited for no longer than the SIGKILL grace; a refused script not run; each kind at most once,
// the shutdown script being the one of the plan in force.
import t from 'tap';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KILL_GRACE_MS } from '../../src/health/command-runner.js';
import { runStartStopScript, StartStopScripts } from '../../src/health/start-stop-script.js';
import { recordingLogger, scratchDir } from './helpers.js';

/** A script that sleeps `seconds`, then appends its arguments to `<dir>/log`. */
function script(dir: string, name: string, seconds = 0): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nsleep ${seconds}\necho "$*" >> "${join(dir, 'log')}"\n`);
  chmodSync(path, 0o755);
  return path;
}

const readLog = (dir: string) => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '');

t.test('the script runs with its arguments as given and is waited for', async (t) => {
  const dir = await scratchDir(t);
  const logger = recordingLogger();
  const started = Date.now();
  const outcome = await runStartStopScript(
    'startup',
    { command: [script(dir, 'up.sh', 0.3), 'a b', '$HOME;'], timeoutMs: 5000 },
    undefined,
    logger,
  );
  t.strictSame(outcome, { kind: 'exited', code: 0, signal: null });
  t.ok(Date.now() - started >= 300, 'resolved once the script ended');
  t.equal(readLog(dir), 'a b $HOME;\n', 'no shell: nothing expanded');
  t.match(
    logger.records.map((r) => r.message),
    [/running startup script .*up\.sh a b/, /startup script .*up\.sh succeeded/],
  );
});

t.test('past its timeout: killed, logged, and waited for no longer than the grace', async (t) => {
  const dir = await scratchDir(t);
  const logger = recordingLogger();
  const started = Date.now();
  const outcome = await runStartStopScript(
    'shutdown',
    { command: [script(dir, 'slow.sh', 30)], timeoutMs: 1000 },
    undefined,
    logger,
  );
  const tookMs = Date.now() - started;
  t.strictSame(outcome, { kind: 'timeout' });
  t.ok(tookMs >= 1000 + KILL_GRACE_MS - 100, `the SIGTERM's grace was given (${tookMs} ms)`);
  t.ok(tookMs < 1000 + KILL_GRACE_MS + 5000, `then it went on (${tookMs} ms)`);
  t.equal(readLog(dir), '', 'the script never got to write');
  t.match(logger.records.at(-1), { level: 'warn', message: /shutdown script .*slow\.sh: timed out \(killed\)/ });
});

t.test('a refused script is not run; a failing one is a warning', async (t) => {
  const dir = await scratchDir(t);
  const logger = recordingLogger();
  t.equal(
    await runStartStopScript(
      'startup',
      { command: [script(dir, 'up.sh')], timeoutMs: 5000, user: 'no-such-user-here' },
      undefined,
      logger,
    ),
    undefined,
  );
  t.equal(readLog(dir), '', 'not run');
  t.match(logger.records.at(-1), { level: 'error', message: /startup script .*up\.sh is not run/ });
  const failed = await runStartStopScript(
    'shutdown',
    { command: ['/bin/sh', '-c', 'exit 4'], timeoutMs: 5000 },
    undefined,
    logger,
  );
  t.strictSame(failed, { kind: 'exited', code: 4, signal: null });
  t.match(logger.records.at(-1), { level: 'warn', message: /shutdown script \/bin\/sh: exit 4/ });
});

t.test('StartStopScripts: each kind at most once, the shutdown script of the plan in force', async (t) => {
  const dir = await scratchDir(t);
  const logger = recordingLogger();
  const scripts = new StartStopScripts();
  const path = script(dir, 'record.sh');
  scripts.configure({
    startupScript: { command: [path, 'startup'], timeoutMs: 5000 },
    shutdownScript: { command: [path, 'old shutdown'], timeoutMs: 5000 },
  });
  await scripts.startup(logger);
  // A reload: its startup script is never run; its shutdown script replaces the old one.
  scripts.configure({
    startupScript: { command: [path, 'new startup'], timeoutMs: 5000 },
    shutdownScript: { command: [path, 'new shutdown'], timeoutMs: 5000 },
  });
  await scripts.startup(logger);
  await scripts.shutdown(logger);
  await scripts.shutdown(logger);
  t.equal(readLog(dir), 'startup\nnew shutdown\n');
});
