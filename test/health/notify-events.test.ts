// The notifications beyond a state change (src/health/notify-events.ts) on a real Engine with
// hand-driven ports and a real FIFO and scripts: a Master hearing lower priorities (each one, not a
// priority-0 advert, not a higher one, not an equal one from a greater address), priority changes
// (only with priorityChanges, MASTER_PRIORITY or BACKUP_PRIORITY by state), and a reload's deletion
// (FAULT by default, nothing from Fault, DELETED with notifyDeleted).
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHealth, type HealthPlan, type NotifySpec } from '../../src/health/index.js';
import { deletedByReload } from '../../src/cli/instances.js';
import { deletedNotifyState } from '../../src/health/notify-events.js';
import { engineWith, eventually, peerAdvert, recordingLogger, scratchDir, sleep } from './helpers.js';

/** What a reader of the FIFO gets until the plan closes it. */
function readAll(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    reader.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    reader.on('error', reject);
    reader.on('close', () => resolve(text));
  });
}

/** The FIFO's reader, once it has had the time to open it. */
async function reader(path: string): Promise<{ text: Promise<string> }> {
  const text = readAll(path);
  await sleep(100);
  return { text };
}

/** A script that appends its arguments, one line per run, to `<dir>/log`. */
function recorder(dir: string): string {
  const path = join(dir, 'record.sh');
  writeFileSync(path, `#!/bin/sh\necho "$*" >> "${join(dir, 'log')}"\n`, { mode: 0o755 });
  return path;
}

const readLog = (dir: string) => {
  try {
    return readFileSync(join(dir, 'log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

function plan(dir: string, notify: readonly NotifySpec[], extra: Partial<HealthPlan> = {}): HealthPlan {
  return { checks: [], tracks: [], notify, syncGroups: [], notifyFifos: [{ path: join(dir, 'vrrp.fifo') }], ...extra };
}

/** VI_1 at priority 100 from 192.0.2.1, started and made Master. */
function masterEngine() {
  const setup = engineWith([{ priority: 100 }]);
  return setup;
}

t.test('a Master hearing a lower priority: a FIFO line and the command each time', async (t) => {
  const dir = await scratchDir(t);
  const script = recorder(dir);
  const { engine, clock, packets } = masterEngine();
  const health = startHealth(plan(dir, [{ router: 'VI_1', masterRxLowerPri: [script, 'lower', 'x y'] }]), {
    engine,
    logger: recordingLogger(),
  });
  const read = (await reader(join(dir, 'vrrp.fifo'))).text;
  engine.start();
  clock.advanceTo(10_000);
  t.equal(engine.snapshot()[0]!.state, 'Master');
  packets.onPacket!(peerAdvert(50, 51, '192.0.2.9'));
  await sleep(10);
  packets.onPacket!(peerAdvert(0, 51, '192.0.2.9')); // priority 0: not a lower priority
  await sleep(10);
  packets.onPacket!(peerAdvert(100, 51, '192.0.2.0')); // equal priority, smaller address: lower
  await sleep(10);
  packets.onPacket!(peerAdvert(100, 51, '192.0.2.9')); // equal, greater address: we step down
  await sleep(10);
  t.equal(engine.snapshot()[0]!.state, 'Backup', 'the tie-break was lost');
  packets.onPacket!(peerAdvert(50, 51, '192.0.2.9')); // a Backup hears it: nothing
  await eventually('both commands ran', () => readLog(dir).length === 2);
  await engine.stop();
  await health.stop();
  t.equal(
    await read,
    [
      'INSTANCE "VI_1" BACKUP 100',
      'INSTANCE "VI_1" MASTER 100',
      'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100',
      'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100',
      'INSTANCE "VI_1" BACKUP 100',
      'INSTANCE "VI_1" STOP 100',
      '',
    ].join('\n'),
    "keepalived's lines, in its order",
  );
  t.strictSame(readLog(dir), ['lower x y', 'lower x y'], 'the command as written, nothing added');
});

t.test('priority changes reach the FIFO only with priorityChanges, worded by state', async (t) => {
  for (const priorityChanges of [true, false]) {
    const dir = await scratchDir(t);
    const { engine, clock } = masterEngine();
    const health = startHealth(plan(dir, [{ router: 'VI_1', priorityChanges }]), { engine, logger: recordingLogger() });
    const read = (await reader(join(dir, 'vrrp.fifo'))).text;
    engine.start();
    engine.input('VI_1', { kind: 'track', name: 'x', up: false, weight: -10 }); // Backup: 90
    clock.advanceTo(10_000);
    engine.input('VI_1', { kind: 'track', name: 'x', up: true, weight: -10 }); // Master: 100
    engine.input('VI_1', { kind: 'track', name: 'x', up: false, weight: -10 }); // Master: 90
    await engine.stop();
    await health.stop();
    const lines = (await read).split('\n').filter((line) => line.includes('PRIORITY'));
    t.strictSame(
      lines,
      priorityChanges
        ? [
            'INSTANCE "VI_1" BACKUP_PRIORITY 90',
            'INSTANCE "VI_1" MASTER_PRIORITY 100',
            'INSTANCE "VI_1" MASTER_PRIORITY 90',
          ]
        : [],
      `priorityChanges ${priorityChanges}`,
    );
  }
});

t.test('a deletion by a reload: FAULT by default, nothing from Fault, DELETED with notifyDeleted', async (t) => {
  t.equal(deletedNotifyState(undefined, 'Master'), 'FAULT');
  t.equal(deletedNotifyState({ router: 'VI_1' }, 'Backup'), 'FAULT');
  t.equal(deletedNotifyState({ router: 'VI_1' }, 'Fault'), undefined, 'keepalived: nothing for one in Fault');
  t.equal(deletedNotifyState({ router: 'VI_1', notifyDeleted: true }, 'Fault'), 'DELETED');

  const dir = await scratchDir(t);
  const script = recorder(dir);
  const { engine, clock } = engineWith([
    { name: 'VI_1', vrid: 51, priority: 100 },
    { name: 'VI_2', vrid: 52, priority: 100 },
    { name: 'VI_3', vrid: 53, priority: 100 },
  ]);
  const notify = [script, 'notify'];
  const health = startHealth(
    plan(dir, [
      { router: 'VI_1', notify, fault: [script, 'fault'], stop: [script, 'stop'] },
      { router: 'VI_2', notify, notifyDeleted: true, deleted: [script, 'deleted'] },
      { router: 'VI_3', notify },
    ]),
    { engine, logger: recordingLogger() },
  );
  const read = (await reader(join(dir, 'vrrp.fifo'))).text;
  engine.start();
  clock.advanceTo(10_000);
  // The start's commands (a BACKUP still waiting is merged into MASTER) have run.
  await eventually('the start is notified', () => readLog(dir).filter((l) => l.includes('MASTER')).length === 3);
  const mark = readLog(dir).length;
  health.markDeleting(['VI_1', 'VI_2']);
  await engine.removeRouter('VI_1', { release: true });
  await engine.removeRouter('VI_2', { release: true });
  health.markDeleting([]);
  await engine.stop();
  await health.stop();
  const fifo = (await read).split('\n');
  t.strictSame(
    fifo.filter((line) => /FAULT|DELETED|STOP/.test(line)),
    ['INSTANCE "VI_1" FAULT 100', 'INSTANCE "VI_2" DELETED 100', 'INSTANCE "VI_3" STOP 100'],
    'deleted: FAULT or DELETED; stopped: STOP',
  );
  // Instances are notified side by side; each one's commands in order.
  const after = readLog(dir).slice(mark);
  t.strictSame(
    [...after].sort(),
    [
      'deleted',
      'fault',
      'notify INSTANCE VI_1 FAULT 100',
      'notify INSTANCE VI_2 DELETED 100',
      'notify INSTANCE VI_3 STOP 100',
    ],
    'FAULT for VI_1 (its notify_fault, not notify_stop), DELETED for VI_2 (and its command), STOP for VI_3',
  );
  t.ok(after.indexOf('fault') < after.indexOf('notify INSTANCE VI_1 FAULT 100'), 'the state command, then notify');
  t.ok(
    after.indexOf('deleted') < after.indexOf('notify INSTANCE VI_2 DELETED 100'),
    'the deleted command, then notify',
  );
});

t.test("which instances a reload deletes: keepalived's match by VRID, family and interface", async (t) => {
  const instance = (name: string, vrid: number, iface = 'eth0', vip = `192.0.2.${vrid}`) => ({
    name,
    router: { name, interface: iface, vrid, priority: 100, virtualAddresses: [vip] },
    vips: [],
  });
  const running = [instance('VI_1', 1), instance('VI_2', 2), instance('VI_3', 3), instance('VI_6', 6)];
  const next = [
    instance('VI_1', 1), // kept
    instance('VI_2', 12), // same name, another VRID: deleted, a new one added
    instance('RENAMED', 3), // same VRID and interface, another name: kept by keepalived
    instance('VI_6', 6, 'eth0', '2001:db8::6'), // another family: deleted
  ];
  t.strictSame(deletedByReload(running, next), ['VI_2', 'VI_6']);
  t.strictSame(deletedByReload(running, []), ['VI_1', 'VI_2', 'VI_3', 'VI_6']);
});
