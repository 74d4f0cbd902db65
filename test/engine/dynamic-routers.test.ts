// Routers added, removed and reconfigured while the engine runs, with hand-driven ports.
// v2 at 1 s: priority 100 -> Master_Down_Interval 3609.375 ms; priority 150 -> 3414.0625 ms.
import t from 'tap';
import { buildRouterConfig, type RouterConfigInput } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import type { StateChangeEvent } from '../../src/engine/events.js';
import { encodeAdvert } from '../../src/wire/codec.js';
import { fakePorts } from './fake-ports.js';

function router(overrides: Partial<RouterConfigInput> = {}) {
  return buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
    ...overrides,
  });
}

function peerAdvert(vrid: number, priority: number, iface = 'eth0') {
  const source = '192.0.2.9';
  const payload = encodeAdvert(
    { version: 2, vrid, priority, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    { family: 4, sourceAddress: source, destinationAddress: '224.0.0.18' },
  );
  return {
    interface: iface,
    payload,
    meta: { family: 4 as const, sourceAddress: source, destinationAddress: '224.0.0.18', ttl: 255 },
  };
}

function stateChanges(engine: Engine): StateChangeEvent[] {
  const seen: StateChangeEvent[] = [];
  engine.on('stateChange', (event) => seen.push(event));
  return seen;
}

t.test('addRouter on a running engine: startup at once, its timer joins the others', async (t) => {
  const { ports, clock } = fakePorts();
  const engine = new Engine([router()], ports);
  const changes = stateChanges(engine);
  engine.start();
  clock.advanceTo(1000);
  engine.addRouter(router({ name: 'VI_2', vrid: 52, priority: 150 }));
  t.match(changes.at(-1), { router: 'VI_2', from: 'Initialize', to: 'Backup', reason: 'startup', atMs: 1000 });
  t.equal(clock.timerAtMs, 3609.375, "VI_1's deadline is still the earliest");
  clock.advanceTo(4414.0625);
  t.match(
    changes.slice(-2),
    [
      { router: 'VI_1', to: 'Master', atMs: 3609.375 },
      { router: 'VI_2', to: 'Master', atMs: 4414.0625 },
    ],
    "VI_2's timer joined the queue",
  );
  t.same(
    engine.snapshot().map((s) => `${s.name}:${s.state}`),
    ['VI_1:Master', 'VI_2:Master'],
  );
  t.same(engine.routerNames(), ['VI_1', 'VI_2']);
});

t.test('addRouter refuses a duplicate name or (interface, family, VRID), and changes nothing', async (t) => {
  const { ports } = fakePorts();
  const engine = new Engine([router()], ports);
  engine.start();
  t.throws(() => engine.addRouter(router({ vrid: 60 })), /two virtual routers are named "VI_1"/);
  t.throws(() => engine.addRouter(router({ name: 'VI_2' })), /routers 'VI_1' and 'VI_2' both use VRID 51 over IPv4/);
  t.same(engine.routerNames(), ['VI_1']);
  t.doesNotThrow(
    () => engine.addRouter(router({ name: 'VI_3', interface: 'eth1' })),
    'the same VRID on another interface is another router',
  );
  t.doesNotThrow(
    () =>
      engine.addRouter(
        router({ name: 'VI_6', family: 6, version: 3, primaryAddress: 'fe80::1', virtualAddresses: ['2001:db8::100'] }),
      ),
    'and so is the same VRID over IPv6',
  );
});

t.test('addRouter with inputs recorded before startup: a link already down starts it in Fault', async (t) => {
  const { ports, addresses } = fakePorts();
  const engine = new Engine([router()], ports);
  const changes = stateChanges(engine);
  engine.start();
  engine.addRouter(router({ name: 'VI_2', vrid: 52, priority: 255 }), [{ kind: 'link', up: false }]);
  t.match(changes.at(-1), { router: 'VI_2', from: 'Initialize', to: 'Fault', reason: 'link-down' });
  t.same(addresses.calls, [], 'the owner never touched its VIPs');
});

t.test('addRouter before start(): started with the others', async (t) => {
  const { ports } = fakePorts();
  const engine = new Engine([], ports);
  engine.addRouter(router());
  const changes = stateChanges(engine);
  engine.start();
  t.match(changes, [{ router: 'VI_1', to: 'Backup' }]);
});

t.test(
  'removeRouter with release: a Master sends priority 0 and removes its VIPs; then nothing reaches it',
  async (t) => {
    const { ports, clock, packets, addresses } = fakePorts();
    const engine = new Engine([router({ priority: 255 }), router({ name: 'VI_2', vrid: 52 })], ports);
    const changes = stateChanges(engine);
    engine.start();
    packets.sent.length = 0;
    addresses.calls.length = 0;
    await engine.removeRouter('VI_1', { release: true });
    t.equal(packets.sent.length, 1, 'one advert');
    t.equal(packets.sent[0]!.payload[2], 0, 'priority 0');
    t.match(addresses.calls, [{ op: 'remove', iface: 'eth0', addresses: ['192.0.2.100'] }]);
    t.match(changes.at(-1), { router: 'VI_1', from: 'Master', to: 'Initialize', reason: 'shutdown' });
    t.same(engine.routerNames(), ['VI_2']);
    t.throws(() => engine.input('VI_1', { kind: 'setPriority', priority: 10 }), /no virtual router named "VI_1"/);
    // Its timer is gone: the only deadline left is VI_2's.
    t.equal(clock.timerAtMs, 3609.375);
    packets.onPacket!(peerAdvert(51, 100));
    t.match(
      engine.counters().interfaces,
      [{ interface: 'eth0', drops: { 'unknown-vrid': 1 } }],
      "VRID 51's adverts are unknown now",
    );
    await t.rejects(engine.removeRouter('VI_1', { release: true }), /no virtual router named/);
  },
);

t.test('removeRouter without release: forgotten, VIPs left alone (keepalived -V)', async (t) => {
  const { ports, packets, addresses } = fakePorts();
  const engine = new Engine([router({ priority: 255 })], ports);
  engine.start();
  packets.sent.length = 0;
  addresses.calls.length = 0;
  await engine.removeRouter('VI_1', { release: false });
  t.same(packets.sent, []);
  t.same(addresses.calls, []);
  t.same(engine.snapshot(), []);
  t.same(engine.counters().interfaces, [], 'an interface without routers is forgotten');
});

t.test('removeRouter waits for the port work of its shutdown', async (t) => {
  const { ports } = fakePorts();
  let release: () => void = () => {};
  let removed = false;
  const slowRemove = new Promise<void>((resolve) => (release = resolve));
  const engine = new Engine([router({ priority: 255 })], {
    ...ports,
    addresses: { addVips: () => undefined, announceVips: () => undefined, removeVips: () => slowRemove },
  });
  engine.start();
  const done = engine.removeRouter('VI_1', { release: true }).then(() => (removed = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.notOk(removed, 'still waiting for removeVips');
  release();
  await done;
  t.ok(removed);
});

t.test("a removed router's index is reused by the next one, without inheriting its deadline", async (t) => {
  const { ports, clock } = fakePorts();
  const engine = new Engine([router(), router({ name: 'VI_2', vrid: 52 })], ports);
  const changes = stateChanges(engine);
  engine.start();
  await engine.removeRouter('VI_1', { release: true });
  clock.advanceTo(2000);
  engine.addRouter(router({ name: 'VI_3', vrid: 53 }));
  clock.advanceTo(3609.375);
  t.match(
    changes.filter((c) => c.to === 'Master'),
    [{ router: 'VI_2', atMs: 3609.375 }],
    'only VI_2 at 3609',
  );
  clock.advanceTo(2000 + 3609.375);
  t.match(
    changes.filter((c) => c.to === 'Master').map((c) => c.router),
    ['VI_2', 'VI_3'],
  );
});

t.test('a stateChange listener may remove a router while timeouts are handled', async (t) => {
  const { ports, clock } = fakePorts();
  const engine = new Engine([router(), router({ name: 'VI_2', vrid: 52 })], ports);
  engine.on('stateChange', (e) => {
    if (e.to === 'Master' && e.router === 'VI_1' && engine.routerNames().includes('VI_2'))
      void engine.removeRouter('VI_2', { release: true });
  });
  engine.start();
  t.doesNotThrow(() => clock.advanceTo(4000));
  t.same(engine.routerNames(), ['VI_1']);
  t.equal(engine.snapshot()[0]!.state, 'Master');
});

t.test('reconfigureRouter: a Master keeps its state, its VIP changes reach the port, its adverts change', async (t) => {
  const { ports, clock, packets, addresses } = fakePorts();
  const engine = new Engine([router({ priority: 255 })], ports);
  const changes = stateChanges(engine);
  engine.start();
  addresses.calls.length = 0;
  packets.sent.length = 0;
  clock.advanceTo(500);
  engine.reconfigureRouter(
    'VI_1',
    router({ priority: 255, virtualAddresses: ['192.0.2.101'], auth: { type: 'pass', password: 'pw' } }),
  );
  t.match(addresses.calls, [
    { op: 'remove', iface: 'eth0', addresses: ['192.0.2.100'] },
    { op: 'add', iface: 'eth0', addresses: ['192.0.2.101'] },
    { op: 'announce', iface: 'eth0', addresses: ['192.0.2.101'], count: 5 },
  ]);
  t.equal(changes.length, 1, 'no state change beyond the startup one');
  clock.advanceTo(1000);
  t.equal(packets.sent.length, 1, 'the next advert');
  const payload = packets.sent[0]!.payload;
  t.equal(payload[4], 1, 'v2 auth type: simple password');
  t.same([...payload.subarray(8, 12)], [192, 0, 2, 101], 'lists the new VIP');
  t.equal(engine.routerConfig('VI_1')!.virtualAddresses[0], '192.0.2.101');
});

t.test('reconfigureRouter refuses another identity; the router runs on unchanged', async (t) => {
  const { ports } = fakePorts();
  const engine = new Engine([router()], ports);
  engine.start();
  t.throws(() => engine.reconfigureRouter('VI_1', router({ vrid: 52 })), /cannot reconfigure vrid in place/);
  t.throws(() => engine.reconfigureRouter('VI_1', router({ name: 'VI_2' })), /cannot rename/);
  t.throws(() => engine.reconfigureRouter('VI_9', router({ name: 'VI_9' })), /no virtual router named "VI_9"/);
  t.equal(engine.routerConfig('VI_1')!.vrid, 51);
});

t.test('stopping: no router may be added or reconfigured', async (t) => {
  const { ports } = fakePorts();
  const engine = new Engine([router()], ports);
  engine.start();
  await engine.stop();
  t.throws(() => engine.addRouter(router({ name: 'VI_2', vrid: 52 })), /cannot add router "VI_2" when stopped/);
  t.throws(
    () => engine.reconfigureRouter('VI_1', router({ priority: 120 })),
    /cannot reconfigure router "VI_1" when stopped/,
  );
});
