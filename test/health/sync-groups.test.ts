// vrrp_sync_group through the engine: two routers (VRIDs 51 and 52) move together, as keepalived
// 2.2.7 moves a group's instances (vrrp_sync.c): fault together, step down together, take over only
// together. Virtual time; the coordinator acts from a microtask, so each step awaits one tick.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { masterDownIntervalMs } from '../../src/core/timers.js';
import { startHealth, type HealthPlan } from '../../src/health/index.js';
import { engineWith, eventually, peerAdvert, recordingLogger, scratchDir } from './helpers.js';

const DOWN = masterDownIntervalMs(2, 100, 100);
const tick = () => new Promise((resolve) => setImmediate(resolve));

function group(extra: Partial<HealthPlan> = {}) {
  const setup = engineWith([
    { name: 'A', vrid: 51 },
    { name: 'B', vrid: 52, virtualAddresses: ['192.0.2.101'] },
  ]);
  const plan: HealthPlan = {
    checks: [],
    tracks: [],
    notify: [],
    syncGroups: [{ name: 'G', routers: ['A', 'B'] }],
    ...extra,
  };
  const health = startHealth(plan, { engine: setup.engine, logger: recordingLogger() });
  const state = (name: string) => setup.engine.snapshot().find((s) => s.name === name)!.state;
  return { ...setup, health, state };
}

t.test('both ready: the group goes Master together', async (t) => {
  const { engine, clock, health, state } = group();
  t.teardown(() => health.stop());
  engine.start();
  clock.advanceTo(DOWN);
  await tick();
  t.equal(state('A'), 'Master');
  t.equal(state('B'), 'Master');
  t.match(engine.snapshot()[0]!.lastTransition, { reason: 'sync-group' });
});

t.test('one member hears a master: the other never takes over alone', async (t) => {
  const { engine, clock, packets, health, state } = group();
  t.teardown(() => health.stop());
  engine.start();
  for (let at = 500; at <= 4 * DOWN; at += 500) {
    clock.advanceTo(at);
    packets.onPacket!(peerAdvert(200, 51));
    await tick();
  }
  t.equal(state('A'), 'Backup');
  t.equal(state('B'), 'Backup', 'B is ready but A is not');
  // The other node's A stops: our A becomes ready, and the whole group takes over.
  clock.advanceTo(4 * DOWN + DOWN + 1);
  await tick();
  t.equal(state('A'), 'Master');
  t.equal(state('B'), 'Master');
});

t.test('a Master member stepping down takes the other down with it', async (t) => {
  const { engine, clock, packets, health, state } = group();
  t.teardown(() => health.stop());
  engine.start();
  clock.advanceTo(DOWN);
  await tick();
  clock.advanceTo(DOWN + 100);
  packets.onPacket!(peerAdvert(200, 51));
  t.equal(state('A'), 'Backup');
  await tick();
  t.equal(state('B'), 'Backup');
  t.match(engine.snapshot()[1]!.lastTransition, { reason: 'sync-group' });
});

t.test("a member's fault takes the group to Fault; the group leaves Fault when no member has its own", async (t) => {
  const { engine, clock, health, state } = group();
  t.teardown(() => health.stop());
  engine.start();
  clock.advanceTo(DOWN);
  await tick();
  engine.input('A', { kind: 'link', up: false });
  await tick();
  t.equal(state('A'), 'Fault');
  t.equal(state('B'), 'Fault');
  engine.input('B', { kind: 'track', name: 'chk', up: false, weight: 0 });
  engine.input('A', { kind: 'link', up: true });
  await tick();
  t.equal(state('A'), 'Fault', "B's own fault holds A");
  engine.input('B', { kind: 'track', name: 'chk', up: true, weight: 0 });
  await tick();
  t.equal(state('A'), 'Backup');
  t.equal(state('B'), 'Backup');
});

t.test('the group notify: GROUP, name, state', async (t) => {
  const dir = await scratchDir(t);
  const log = join(dir, 'log');
  const { engine, clock, health } = group({
    syncGroups: [
      {
        name: 'G',
        routers: ['A', 'B'],
        notify: {
          notify: ['/bin/sh', '-c', `echo "$*" >> ${log}`, 'sh'],
          master: ['/bin/sh', '-c', `echo master >> ${log}`],
        },
      },
    ],
  });
  // Each change once the previous one's commands ran: a change still waiting would merge into the next.
  const settled = () => eventually('notify done', () => health.pendingNotifications === 0);
  engine.start();
  await settled();
  clock.advanceTo(DOWN);
  await tick(); // the group decides on the next turn
  await settled();
  engine.input('B', { kind: 'link', up: false });
  await tick();
  await health.stop();
  t.strictSame((await readFile(log, 'utf8')).split('\n').filter(Boolean), [
    'GROUP G BACKUP 0',
    'master',
    'GROUP G MASTER 0',
    'GROUP G FAULT 0',
  ]);
});

t.test('a reload that removes the group: its members take over alone again', async (t) => {
  const { engine, clock, packets, health, state } = group();
  const { replaceHealth } = await import('../../src/health/index.js');
  engine.start();
  for (let at = 500; at <= 2 * DOWN; at += 500) {
    clock.advanceTo(at);
    packets.onPacket!(peerAdvert(200, 51));
    await tick();
  }
  t.equal(state('B'), 'Backup', 'B waits for A');
  const plan: HealthPlan = { checks: [], tracks: [], notify: [], syncGroups: [{ name: 'G', routers: ['A', 'B'] }] };
  const next = replaceHealth(
    { handle: health, plan },
    { ...plan, syncGroups: [] },
    { engine, logger: recordingLogger() },
  );
  t.teardown(() => next.stop());
  clock.advanceTo(4 * DOWN);
  await tick();
  t.equal(state('B'), 'Master', 'B alone');
});
