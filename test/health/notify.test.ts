// Notify commands from the engine's state changes: keepalived's arguments, in order per instance, a
// hung one killed at the timeout without holding up the engine or other instances.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { masterDownIntervalMs } from '../../src/core/timers.js';
import { CommandPreparation } from '../../src/health/command-prep.js';
import { CommandRunner } from '../../src/health/command-runner.js';
import { replaceHealth, startHealth, type HealthPlan } from '../../src/health/index.js';
import { NotifyQueues } from '../../src/health/notify.js';
import { engineWith, eventually, recordingLogger, scratchDir } from './helpers.js';

const plan = (partial: Partial<HealthPlan>): HealthPlan => ({
  checks: [],
  tracks: [],
  notify: [],
  syncGroups: [],
  ...partial,
});
const append = (file: string, text: string) => ['/bin/sh', '-c', `echo "${text}" >> ${file}`, 'sh'];
const lines = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

t.test('notify_* then notify with INSTANCE, name, STATE, priority; STOP at shutdown; in order', async (t) => {
  const dir = await scratchDir(t);
  const log = join(dir, 'log');
  const { engine, clock } = engineWith([{ priority: 100 }]);
  const health = startHealth(
    plan({
      notify: [
        {
          router: 'VI_1',
          master: append(log, 'master'),
          backup: append(log, 'backup'),
          fault: append(log, 'fault'),
          stop: append(log, 'stop'),
          // Slow enough that order would break if commands overlapped.
          notify: ['/bin/sh', '-c', `sleep 0.1; echo "$*" >> ${log}`, 'sh'],
        },
      ],
    }),
    { engine, logger: recordingLogger() },
  );
  // Each change once the previous one's commands are done: nothing waits, so nothing is merged.
  const settled = () => eventually('the queue is empty', () => health.pendingNotifications === 0);
  engine.start();
  await settled();
  clock.advanceTo(masterDownIntervalMs(2, 100, 100));
  t.equal(engine.snapshot()[0]!.state, 'Master');
  await settled();
  engine.input('VI_1', { kind: 'link', up: false });
  await settled();
  engine.input('VI_1', { kind: 'link', up: true });
  await settled();
  await engine.stop();
  await health.stop();
  t.strictSame(await lines(log), [
    'backup',
    'INSTANCE VI_1 BACKUP 100',
    'master',
    'INSTANCE VI_1 MASTER 100',
    'fault',
    'INSTANCE VI_1 FAULT 100',
    'backup',
    'INSTANCE VI_1 BACKUP 100',
    'stop',
    'INSTANCE VI_1 STOP 100',
  ]);
});

t.test(
  'a flapping router: changes waiting behind a running notify merge into the latest; other routers keep their own',
  async (t) => {
    const dir = await scratchDir(t);
    const log = join(dir, 'log');
    const { engine, clock } = engineWith([
      { name: 'A', priority: 100 },
      { name: 'B', vrid: 52 },
    ]);
    const logger = recordingLogger();
    const health = startHealth(
      plan({
        notify: [
          // Slow, so that the flaps below all happen while the first one runs.
          { router: 'A', notify: ['/bin/sh', '-c', `sleep 0.3; echo "$*" >> ${log}`, 'sh'] },
          { router: 'B', notify: ['/bin/sh', '-c', `echo "$*" >> ${log}`, 'sh'] },
        ],
      }),
      { engine, logger },
    );
    t.teardown(() => health.stop());
    engine.start();
    await eventually('A and B started as Backup', () => health.pendingNotifications === 1);
    clock.advanceTo(masterDownIntervalMs(2, 100, 100));
    await eventually("B's MASTER ran; A's waits", () => health.pendingNotifications === 2);
    let mostPending = 0;
    for (let i = 0; i < 1000; i++) {
      engine.input('A', { kind: 'link', up: false });
      engine.input('A', { kind: 'link', up: true });
      mostPending = Math.max(mostPending, health.pendingNotifications);
    }
    t.ok(
      mostPending <= 2,
      `2,000 flaps: at most one notify running and one waiting for A (${mostPending} commands pending at most)`,
    );
    await eventually('done', () => health.pendingNotifications === 0);
    const seen = await lines(log);
    t.equal(
      seen.find((line) => line.startsWith('INSTANCE A')),
      'INSTANCE A BACKUP 100',
      "A's first change ran as it came",
    );
    t.equal(seen.at(-1), 'INSTANCE A BACKUP 100', "A's latest state ran last, once");
    t.equal(
      seen.filter((line) => line.startsWith('INSTANCE A')).length,
      2,
      'the 2,001 changes after it merged into one',
    );
    t.ok(seen.includes('INSTANCE B MASTER 100'), "B's own changes are not merged into A's");
    t.equal(
      engine.snapshot().find((r) => r.name === 'A')!.state,
      'Backup',
      'the last notify matches the state A is in',
    );
    t.equal(health.notificationsSuperseded, 2000, 'every merge is counted');
    const last = logger.records.filter((r) => r.object.subject === 'INSTANCE A').at(-1);
    t.match(last?.object, { merged: 2001 }, 'the notify that ran says how many changes it stood for');
  },
);

t.test(
  'a hung notify command is killed at the timeout and logged; the next one runs; other instances are not held',
  async (t) => {
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
    t.match(
      logger.records.find((r) => r.level === 'warn'),
      { object: { event: 'notify', subject: 'INSTANCE A', command: ['/bin/sleep', '30'], result: /timed out/ } },
    );
  },
);

// Script security guards what runs as root (command-prep.ts): a test run by another user has nothing to check.
const notRoot = process.getuid?.() !== 0 ? 'needs root: enable_script_security checks only scripts run as root' : false;

t.test(
  'enable_script_security: a notify command in a directory anyone may write to is not run',
  { skip: notRoot },
  async (t) => {
    const dir = await scratchDir(t);
    const { chmod, writeFile } = await import('node:fs/promises');
    const script = join(dir, 'notify.sh');
    const log = join(dir, 'log');
    await writeFile(script, `#!/bin/sh\necho ran >> ${log}\n`, { mode: 0o755 });
    await chmod(dir, 0o777);
    const { engine } = engineWith([{}]);
    const logger = recordingLogger();
    const health = startHealth(
      plan({ scriptSecurity: { enabled: true }, notify: [{ router: 'VI_1', backup: [script] }] }),
      { engine, logger },
    );
    engine.start();
    await health.stop();
    t.strictSame(await lines(log), []);
    t.match(
      logger.records.find((r) => r.level === 'error'),
      { object: { event: 'notify', refused: /writable by everyone/ } },
    );
  },
);

t.test(
  'started beside a running engine: the current state is notified once; a replaced plan does not repeat it',
  async (t) => {
    const dir = await scratchDir(t);
    const log = join(dir, 'log');
    const { engine, clock } = engineWith([{ priority: 100 }]);
    engine.start();
    const first = plan({ notify: [{ router: 'VI_1', notify: ['/bin/sh', '-c', `echo "$*" >> ${log}`, 'sh'] }] });
    const handle = startHealth(first, { engine, logger: recordingLogger() });
    const second = replaceHealth({ handle, plan: first }, first, { engine, logger: recordingLogger() });
    await eventually('BACKUP ran', () => second.pendingNotifications === 0 && handle.pendingNotifications === 0);
    clock.advanceTo(masterDownIntervalMs(2, 100, 100));
    // Not merged into the STOP below: it has run by then.
    await eventually('MASTER ran', () => second.pendingNotifications === 0);
    await engine.stop();
    await second.stop();
    await handle.stop();
    t.strictSame(await lines(log), ['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 100', 'INSTANCE VI_1 STOP 100']);
  },
);

t.test(
  'past the cap on waiting notifications, a new one is dropped, counted and logged; the waiting ones run',
  async (t) => {
    const dir = await scratchDir(t);
    const log = join(dir, 'log');
    const logger = recordingLogger();
    const runner = new CommandRunner();
    t.teardown(() => runner.close());
    // Nothing starts until the previous plan's queue (this promise) is done, so all three wait.
    let previousDone!: () => void;
    const previous = new Promise<void>((resolve) => (previousDone = resolve));
    const queues = new NotifyQueues(runner, logger, 5000, new CommandPreparation(undefined), previous, 2);
    queues.enqueue('INSTANCE A', [append(log, 'A')]);
    queues.enqueue('INSTANCE B', [append(log, 'B')]);
    queues.enqueue('INSTANCE C', [append(log, 'C')]);
    queues.enqueue('INSTANCE A', [append(log, 'A again')]);
    t.equal(queues.dropped, 1, 'C did not fit');
    t.equal(queues.superseded, 1, "A's second change merged with its first, which takes no new room");
    t.match(logger.records, [{ level: 'error', object: { event: 'notify', subject: 'INSTANCE C', dropped: 1 } }]);
    previousDone();
    await queues.drain();
    t.strictSame((await lines(log)).sort(), ['A again', 'B']);
  },
);

t.test(
  'a notify command failing at every change: its warnings are rate-limited, and their counts add up',
  async (t) => {
    const { engine, clock } = engineWith([{ priority: 100 }]);
    const logger = recordingLogger();
    const health = startHealth(plan({ notify: [{ router: 'VI_1', notify: ['/bin/false'] }] }), { engine, logger });
    engine.start();
    await eventually('notify done', () => health.pendingNotifications === 0);
    clock.advanceTo(masterDownIntervalMs(2, 100, 100));
    // One change at a time, each notified (nothing merged): 1 + 1 + 30 failures.
    for (let i = 0; i < 30; i++) {
      await eventually('notify done', () => health.pendingNotifications === 0);
      engine.input('VI_1', { kind: 'link', up: i % 2 === 1 });
    }
    await eventually('notify done', () => health.pendingNotifications === 0);
    await engine.stop();
    await health.stop();
    const failures = logger.records.filter((r) => r.object.event === 'notify' && r.level === 'warn');
    const standsFor = failures.reduce(
      (sum, r) =>
        sum +
        (r.object.summary === true
          ? (r.object.suppressed as number)
          : 1 + ((r.object.suppressed as number | undefined) ?? 0)),
      0,
    );
    t.equal(standsFor, 33, 'every failure is accounted for (30 flaps, the first BACKUP and MASTER, STOP)');
    t.ok(failures.length < 33, `in fewer lines (${failures.length})`);
  },
);
