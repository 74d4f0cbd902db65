// Notify commands from the engine's state changes: keepalived's arguments, in order per instance, a
// hung one killed at the timeout without holding up the engine or other instances.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { masterDownIntervalMs } from '../../src/core/timers.js';
import { replaceHealth, startHealth, type HealthPlan } from '../../src/health/index.js';
import { engineWith, eventually, recordingLogger, scratchDir } from './helpers.js';

const plan = (partial: Partial<HealthPlan>): HealthPlan => ({ checks: [], tracks: [], notify: [], syncGroups: [], ...partial });
const append = (file: string, text: string) => ['/bin/sh', '-c', `echo "${text}" >> ${file}`, 'sh'];
const lines = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

t.test('notify_* then notify with INSTANCE, name, STATE, priority; STOP at shutdown; in order', async (t) => {
  const dir = await scratchDir(t);
  const log = join(dir, 'log');
  const { engine, clock } = engineWith([{ priority: 100 }]);
  const health = startHealth(
    plan({
      notify: [{
        router: 'VI_1',
        master: append(log, 'master'),
        backup: append(log, 'backup'),
        fault: append(log, 'fault'),
        stop: append(log, 'stop'),
        // Slow enough that order would break if commands overlapped.
        notify: ['/bin/sh', '-c', `sleep 0.1; echo "$*" >> ${log}`, 'sh'],
      }],
    }),
    { engine, logger: recordingLogger() },
  );
  engine.start();
  clock.advanceTo(masterDownIntervalMs(2, 100, 100));
  t.equal(engine.snapshot()[0]!.state, 'Master');
  engine.input('VI_1', { kind: 'link', up: false });
  engine.input('VI_1', { kind: 'link', up: true });
  await engine.stop();
  await health.stop();
  t.strictSame(await lines(log), [
    'backup', 'INSTANCE VI_1 BACKUP 100',
    'master', 'INSTANCE VI_1 MASTER 100',
    'fault', 'INSTANCE VI_1 FAULT 100',
    'backup', 'INSTANCE VI_1 BACKUP 100',
    'stop', 'INSTANCE VI_1 STOP 100',
  ]);
});

t.test('a hung notify command is killed at the timeout and logged; the next one runs; other instances are not held', async (t) => {
  const dir = await scratchDir(t);
  const log = join(dir, 'log');
  const { engine } = engineWith([{ name: 'A' }, { name: 'B', vrid: 52 }]);
  const logger = recordingLogger();
  const health = startHealth(
    plan({
      notifyTimeoutMs: 500,
      notify: [
        { router: 'A', backup: ['/bin/sleep', '30'], notify: append(log, 'A after the hung one') },
        { router: 'B', backup: append(log, 'B at once') },
      ],
    }),
    { engine, logger },
  );
  t.teardown(() => health.stop());
  engine.start();
  let seen: string[] = [];
  await eventually('B ran', () => (void lines(log).then((l) => (seen = l)), seen.length > 0));
  t.strictSame(seen, ['B at once'], 'B did not wait for A');
  t.equal(health.pendingNotifications, 2, "A's two commands are still queued");
  await eventually('A queue done', () => health.pendingNotifications === 0);
  t.strictSame(await lines(log), ['B at once', 'A after the hung one']);
  t.match(logger.records.find((r) => r.level === 'warn'), { object: { event: 'notify', subject: 'INSTANCE A', command: ['/bin/sleep', '30'], result: /timed out/ } });
});

t.test('enable_script_security: a notify command in a directory anyone may write to is not run', async (t) => {
  const dir = await scratchDir(t);
  const { chmod, writeFile } = await import('node:fs/promises');
  const script = join(dir, 'notify.sh');
  const log = join(dir, 'log');
  await writeFile(script, `#!/bin/sh\necho ran >> ${log}\n`, { mode: 0o755 });
  await chmod(dir, 0o777);
  const { engine } = engineWith([{}]);
  const logger = recordingLogger();
  const health = startHealth(plan({ scriptSecurity: { enabled: true }, notify: [{ router: 'VI_1', backup: [script] }] }), { engine, logger });
  engine.start();
  await health.stop();
  t.strictSame(await lines(log), []);
  t.match(logger.records.find((r) => r.level === 'error'), { object: { event: 'notify', refused: /writable by everyone/ } });
});

t.test('started beside a running engine: the current state is notified once; a replaced plan does not repeat it', async (t) => {
  const dir = await scratchDir(t);
  const log = join(dir, 'log');
  const { engine, clock } = engineWith([{ priority: 100 }]);
  engine.start();
  const first = plan({ notify: [{ router: 'VI_1', notify: ['/bin/sh', '-c', `echo "$*" >> ${log}`, 'sh'] }] });
  const handle = startHealth(first, { engine, logger: recordingLogger() });
  const second = replaceHealth({ handle, plan: first }, first, { engine, logger: recordingLogger() });
  clock.advanceTo(masterDownIntervalMs(2, 100, 100));
  await engine.stop();
  await second.stop();
  await handle.stop();
  t.strictSame(await lines(log), ['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 100', 'INSTANCE VI_1 STOP 100']);
});
