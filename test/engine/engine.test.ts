// The engine driver with hand-driven ports: every assertion states the virtual time it is about.
import t from 'tap';
import { buildRouterConfig, type RouterConfigInput } from '../../src/model/router-config.js';
import { masterDownIntervalMs, skewMs } from '../../src/core/timers.js';
import { Engine } from '../../src/engine/engine.js';
import type { StateChangeEvent } from '../../src/engine/events.js';
import { decodeAdvert, encodeAdvert } from '../../src/wire/codec.js';
import type { PacketMeta } from '../../src/wire/types.js';
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

const multicastMeta = (source: string): PacketMeta => ({
  family: 4,
  sourceAddress: source,
  destinationAddress: '224.0.0.18',
  ttl: 255,
});

/** An advert from another router, through the real codec. */
function peerAdvert(priority: number, source = '192.0.2.9', vrid = 51) {
  const meta = multicastMeta(source);
  const payload = encodeAdvert(
    { version: 2, vrid, priority, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    { family: 4, sourceAddress: source, destinationAddress: '224.0.0.18' },
  );
  return { interface: 'eth0', payload, meta };
}

function stateChanges(engine: Engine): StateChangeEvent[] {
  const seen: StateChangeEvent[] = [];
  engine.on('stateChange', (event) => seen.push(event));
  return seen;
}

t.test('address owner: Master at start, advert first, then VIPs and announcements', async (t) => {
  const { ports, packets, addresses } = fakePorts();
  const engine = new Engine([router({ priority: 255 })], ports);
  const changes = stateChanges(engine);
  engine.start();
  t.match(changes, [
    { router: 'VI_1', from: 'Initialize', to: 'Master', reason: 'startup-owner', priority: 255, atMs: 0 },
  ]);
  t.equal(packets.sent.length, 1, 't=0: one advert');
  const sent = packets.sent[0]!;
  t.equal(sent.destinationAddress, '224.0.0.18');
  t.equal(sent.sourceAddress, '192.0.2.1');
  const decoded = decodeAdvert(sent.payload, multicastMeta('192.0.2.1'));
  t.ok(decoded.ok, 'the advert decodes');
  if (decoded.ok)
    t.match(decoded.advert, { version: 2, vrid: 51, priority: 255, advertIntervalCs: 100, addresses: ['192.0.2.100'] });
  t.match(addresses.calls, [
    { op: 'add', iface: 'eth0', addresses: ['192.0.2.100'], options: { acceptMode: true } },
    { op: 'announce', iface: 'eth0', addresses: ['192.0.2.100'], count: 5 },
  ]);
});

t.test('backup: one timer at Master_Down_Interval, takeover when it fires', async (t) => {
  const { ports, clock, packets } = fakePorts();
  const engine = new Engine([router({ priority: 100 })], ports);
  const changes = stateChanges(engine);
  engine.start();
  const downMs = masterDownIntervalMs(2, 100, 100);
  t.equal(downMs, 3609.375, 'v2 priority 100: 3 s + 156/256 s');
  t.equal(clock.timerAtMs, downMs, 't=0: timer armed at the down interval');
  t.equal(packets.sent.length, 0);
  clock.advanceTo(downMs - 1);
  t.equal(changes.at(-1)!.to, 'Backup', 't=down-1: still Backup');
  clock.advanceTo(downMs);
  t.match(changes.at(-1), { from: 'Backup', to: 'Master', reason: 'master-down-timer', atMs: downMs });
  t.equal(packets.sent.length, 1, 'advert on becoming Master');
  t.equal(clock.timerAtMs, downMs + 1000, 'next advert one interval later');
  clock.advanceTo(downMs + 1000);
  t.equal(packets.sent.length, 2, 'advert timer sends');
});

t.test('received adverts: higher priority resets the down timer; counters and events', async (t) => {
  const { ports, clock, packets } = fakePorts();
  const engine = new Engine([router({ priority: 100 })], ports);
  const received: unknown[] = [];
  engine.on('advertReceived', (event) => received.push(event));
  engine.start();
  clock.advanceTo(2000);
  packets.onPacket!(peerAdvert(200));
  const downMs = masterDownIntervalMs(2, 100, 100);
  t.equal(clock.timerAtMs, downMs, 't=2000: the armed timer may stay early (a later deadline does not re-arm)');
  t.match(engine.snapshot(), [{ nextDeadlineMs: 2000 + downMs }], "but the router's down timer restarted");
  clock.advanceTo(downMs);
  t.equal(engine.snapshot()[0]!.state, 'Backup', `t=${downMs}: the early wake-up changes nothing`);
  t.equal(clock.timerAtMs, 2000 + downMs, 'and re-arms at the true deadline');
  t.match(received, [
    { router: 'VI_1', vrid: 51, sourceAddress: '192.0.2.9', priority: 200, advertIntervalCs: 100, atMs: 2000 },
  ]);
  t.match(engine.counters().routers, [{ router: 'VI_1', advertsReceived: 1, advertsSent: 0 }]);
  t.match(engine.snapshot(), [{ name: 'VI_1', state: 'Backup', masterAddress: '192.0.2.9' }]);
});

t.test('a Backup hearing the Master leave (priority 0) times out after Skew_Time', async (t) => {
  const { ports, clock, packets } = fakePorts();
  const engine = new Engine([router({ priority: 100 })], ports);
  engine.start();
  clock.advanceTo(1000);
  packets.onPacket!(peerAdvert(0));
  t.equal(clock.timerAtMs, 1000 + skewMs(2, 100, 100), 't=1000: down timer = Skew_Time (609.375 ms)');
});

t.test(
  'an advert counts from when the port received it: never later than now, never before an earlier input',
  async (t) => {
    const { ports, clock, packets } = fakePorts();
    const engine = new Engine([router({ priority: 100 })], ports);
    engine.start();
    const downMs = masterDownIntervalMs(2, 100, 100);
    clock.advanceTo(2000);
    packets.onPacket!({ ...peerAdvert(200), receivedAtMs: 1999.25 });
    t.match(
      engine.snapshot(),
      [{ nextDeadlineMs: 1999.25 + downMs }],
      'received at 1999.25, read at 2000: the down timer runs from 1999.25',
    );
    packets.onPacket!({ ...peerAdvert(200), receivedAtMs: 2500 });
    t.match(engine.snapshot(), [{ nextDeadlineMs: 2000 + downMs }], 'a stamp later than now is not believed');
    clock.advanceTo(downMs); // an early wake-up with nothing due: no router was given this time
    packets.onPacket!({ ...peerAdvert(200), receivedAtMs: downMs - 5 });
    t.match(
      engine.snapshot(),
      [{ nextDeadlineMs: downMs - 5 + downMs }],
      'a timer wake-up that gave no router an input does not hold a stamp back',
    );
    clock.advanceTo(downMs + 100);
    engine.input(engine.routerNames()[0]!, { kind: 'setPriority', priority: 100 });
    packets.onPacket!({ ...peerAdvert(200), receivedAtMs: downMs + 95 });
    t.match(
      engine.snapshot(),
      [{ nextDeadlineMs: downMs + 100 + downMs }],
      'a stamp before an input the routers were given counts from that input: their clock never runs backwards',
    );
  },
);

t.test('bad bytes and unknown VRIDs are dropped on the interface, counted, never thrown', async (t) => {
  const { ports, packets } = fakePorts();
  const engine = new Engine([router()], ports);
  const drops: unknown[] = [];
  engine.on('dropped', (event) => drops.push(event));
  engine.start();
  packets.onPacket!({ interface: 'eth0', payload: new Uint8Array([0x21, 51]), meta: multicastMeta('192.0.2.9') });
  packets.onPacket!(peerAdvert(100, '192.0.2.9', 52));
  t.match(drops, [
    { router: undefined, interface: 'eth0', reason: 'too-short' },
    { router: undefined, interface: 'eth0', reason: 'unknown-vrid' },
  ]);
  t.same(engine.counters().interfaces, [
    { interface: 'eth0', packetsReceived: 2, drops: { 'too-short': 1, 'unknown-vrid': 1 } },
  ]);
});

t.test('router-level drops (TTL) are counted per router', async (t) => {
  const { ports, packets } = fakePorts();
  const engine = new Engine([router()], ports);
  engine.start();
  const advert = peerAdvert(100);
  packets.onPacket!({ ...advert, meta: { ...advert.meta, ttl: 64 } });
  t.same(engine.counters().routers[0]!.drops, { ttl: 1 });
  t.equal(engine.counters().routers[0]!.advertsReceived, 0);
});

t.test('unicast: one packet per peer, each checksummed for its own destination (v3)', async (t) => {
  const { ports, clock, packets } = fakePorts();
  const engine = new Engine([router({ version: 3, priority: 255, unicastPeers: ['192.0.2.2', '192.0.2.3'] })], ports);
  engine.start();
  t.same(
    packets.sent.map((p) => p.destinationAddress),
    ['192.0.2.2', '192.0.2.3'],
  );
  for (const p of packets.sent) {
    const decoded = decodeAdvert(p.payload, {
      family: 4,
      sourceAddress: '192.0.2.1',
      destinationAddress: p.destinationAddress,
      ttl: 255,
    });
    t.ok(
      decoded.ok && decoded.checksumForm === 'v3-pseudo-header',
      `valid v3 checksum towards ${p.destinationAddress}`,
    );
  }
  const checksum = (payload: Uint8Array) => (payload[6]! << 8) | payload[7]!;
  t.not(
    checksum(packets.sent[0]!.payload),
    checksum(packets.sent[1]!.payload),
    'the checksums differ with the destination',
  );
  t.match(engine.counters().routers, [{ advertsSent: 2 }]);
  clock.advanceTo(1000);
  t.equal(packets.sent.length, 4);
});

t.test('v2 simple password goes on the wire', async (t) => {
  const { ports, packets } = fakePorts();
  const engine = new Engine([router({ priority: 255, auth: { type: 'pass', password: 'secret' } })], ports);
  engine.start();
  const decoded = decodeAdvert(packets.sent[0]!.payload, multicastMeta('192.0.2.1'));
  t.ok(decoded.ok);
  if (decoded.ok) {
    t.equal(decoded.advert.authType, 1);
    t.same([...decoded.advert.authData], [...new TextEncoder().encode('secret'), 0, 0]);
  }
});

t.test('one process timer for many routers: armed at the earliest deadline', async (t) => {
  const { ports, clock } = fakePorts();
  const routers = [
    router({ name: 'A', vrid: 1, priority: 50 }),
    router({ name: 'B', vrid: 2, priority: 200 }),
    router({ name: 'C', vrid: 3, priority: 100 }),
  ];
  const engine = new Engine(routers, ports);
  const changes = stateChanges(engine);
  engine.start();
  t.equal(clock.timerAtMs, masterDownIntervalMs(2, 200, 100), 'priority 200 has the smallest skew');
  t.equal(clock.setTimerCalls.length, 1, 'one setTimer for three routers');
  clock.advanceTo(masterDownIntervalMs(2, 50, 100));
  t.same(
    changes.filter((c) => c.to === 'Master').map((c) => c.router),
    ['B', 'C', 'A'],
    'each router took over at its own down interval, in deadline order',
  );
});

t.test('operator inputs: setPriority emits priorityChange; an unknown router is a caller mistake', async (t) => {
  const { ports } = fakePorts();
  const engine = new Engine([router()], ports);
  const changes: unknown[] = [];
  engine.on('priorityChange', (event) => changes.push(event));
  engine.start();
  engine.input('VI_1', { kind: 'setPriority', priority: 120 });
  t.match(changes, [{ router: 'VI_1', from: 100, to: 120 }]);
  t.throws(() => engine.input('nope', { kind: 'setPriority', priority: 1 }), /no virtual router named "nope"/);
  t.throws(() => new Engine([router(), router()], ports), /two virtual routers are named "VI_1"/);
});

t.test('link down on the interface: Master goes to Fault and drops its VIPs', async (t) => {
  const { ports, addresses } = fakePorts();
  const engine = new Engine([router({ priority: 255 })], ports);
  const changes = stateChanges(engine);
  engine.start();
  engine.linkChange('eth0', false);
  t.match(changes.at(-1), { from: 'Master', to: 'Fault', reason: 'link-down' });
  t.match(addresses.calls.at(-1), { op: 'remove', addresses: ['192.0.2.100'] });
  t.throws(() => engine.linkChange('eth9', false), /no virtual router uses interface "eth9"/);
});

t.test('stop(): priority-0 advert, VIPs removed, timer cancelled, port closed; later packets ignored', async (t) => {
  const { ports, clock, packets, addresses } = fakePorts();
  const engine = new Engine([router({ priority: 255 })], ports);
  engine.start();
  clock.advanceTo(500);
  await engine.stop();
  const last = packets.sent.at(-1)!;
  const decoded = decodeAdvert(last.payload, multicastMeta('192.0.2.1'));
  t.ok(decoded.ok && decoded.advert.priority === 0, 'last advert carries priority 0');
  t.match(addresses.calls.at(-1), { op: 'remove', addresses: ['192.0.2.100'] });
  t.equal(clock.timerAtMs, undefined, 'timer cancelled');
  t.ok(packets.closed);
  t.equal(engine.running, false);
  const advertsBefore = packets.sent.length;
  await Promise.all([engine.stop(), engine.stop()]);
  t.equal(packets.sent.length, advertsBefore, 'stopping again sends nothing more');
  const before = engine.counters();
  packets.onPacket!(peerAdvert(100));
  t.same(engine.counters(), before, 'a packet after stop changes nothing');
});

t.test('a port that rejects becomes an error event, not an unhandled rejection', async (t) => {
  const { ports, packets } = fakePorts();
  packets.failNextSend = new Error('EPERM: raw socket');
  const engine = new Engine([router({ priority: 255 })], ports);
  const errors: unknown[] = [];
  engine.on('error', (event) => errors.push(event));
  engine.start();
  await engine.stop(); // waits for the pending promise
  t.match(errors, [{ operation: 'send', router: 'VI_1', interface: 'eth0', error: { message: 'EPERM: raw socket' } }]);
});

t.test('a link reported down before start(): the owner starts in Fault and never touches its VIPs', async (t) => {
  const { ports, packets, addresses } = fakePorts();
  const engine = new Engine([router({ priority: 255 })], ports);
  const changes = stateChanges(engine);
  engine.linkChange('eth0', false);
  engine.start();
  t.match(changes, [{ from: 'Initialize', to: 'Fault', reason: 'link-down', atMs: 0 }]);
  t.equal(changes.length, 1, 'no detour through Master');
  t.equal(packets.sent.length, 0, 'no advert');
  t.same(addresses.calls, [], 'no VIP added or removed');
  await engine.stop();
});

t.test('adverts due in the same tick leave in one send call, before any VIP is touched', async (t) => {
  const { ports, clock, packets, addresses } = fakePorts();
  const owners = [51, 52, 53].map((vrid) =>
    router({ name: `VI_${vrid}`, vrid, priority: 255, virtualAddresses: [`192.0.2.${vrid}`] }),
  );
  const engine = new Engine(owners, ports);
  const order: string[] = [];
  const addVips = addresses.addVips.bind(addresses);
  addresses.addVips = (iface, list, options) => {
    order.push(`add after ${packets.sent.length} adverts`);
    return addVips(iface, list, options);
  };
  engine.start();
  t.same(
    order,
    ['add after 1 adverts', 'add after 2 adverts', 'add after 3 adverts'],
    't=0: each owner advertises before its VIPs',
  );
  packets.batches.length = 0;
  clock.advanceTo(1000);
  t.same(packets.batches, [3], 't=1000 ms: three adverts due together, one send call');
  await engine.stop();
  t.same(packets.batches, [3, 3], 'stop: the three priority-0 adverts also leave together');
});

t.test(
  'announcements wait for an add still in flight, and are dropped if the router left Master meanwhile',
  async (t) => {
    const { ports, addresses } = fakePorts();
    const engine = new Engine([router({ priority: 255 })], ports);
    let finishAdd: () => void = () => undefined;
    const add = addresses.addVips.bind(addresses);
    addresses.addVips = (iface, list, options) => {
      void add(iface, list, options);
      return new Promise<void>((resolve) => (finishAdd = resolve));
    };
    engine.start();
    t.same(
      addresses.calls.map((c) => c.op),
      ['add'],
      't=0: the add is in flight, no announcement yet',
    );
    finishAdd();
    await new Promise((resolve) => setImmediate(resolve));
    t.same(
      addresses.calls.map((c) => c.op),
      ['add', 'announce'],
      'announced once the address is there',
    );

    await engine.stop();

    // A second engine: the router leaves Master while its add is still in flight.
    const second = fakePorts();
    const engine2 = new Engine([router({ priority: 255 })], second.ports);
    let finishAdd2: () => void = () => undefined;
    const add2 = second.addresses.addVips.bind(second.addresses);
    second.addresses.addVips = (iface, list, options) => {
      void add2(iface, list, options);
      return new Promise<void>((resolve) => (finishAdd2 = resolve));
    };
    engine2.start();
    second.packets.onPacket!(peerAdvert(255, '192.0.2.9')); // owner conflict: lowered to 254, steps down
    t.equal(engine2.snapshot()[0]!.state, 'Backup');
    finishAdd2();
    await new Promise((resolve) => setImmediate(resolve));
    t.same(
      second.addresses.calls.map((c) => c.op),
      ['add', 'remove'],
      'the add finished after the step-down: nothing announced',
    );
    await engine2.stop();
  },
);

t.test(
  'timer expiry: the head-start port is drained first, so an advert queued before the deadline keeps the Backup',
  async (t) => {
    const { ports, clock, packets, headStart } = fakePorts();
    const queued: ReturnType<typeof peerAdvert>[] = [];
    let drains = 0;
    Object.assign(headStart, {
      drain(): void {
        drains++;
        for (const packet of queued.splice(0)) packets.onPacket!(packet);
      },
    });
    const engine = new Engine([router({ priority: 100 })], ports);
    const changes = stateChanges(engine);
    engine.start();
    const downMs = masterDownIntervalMs(2, 100, 100);
    // The Master's advert arrived (queued in the socket) but the process was not scheduled to read it.
    queued.push(peerAdvert(200));
    clock.advanceTo(downMs);
    t.ok(drains >= 1, 'the port was drained before the timeouts were acted on');
    t.equal(changes.at(-1)!.to, 'Backup', 'still Backup: the queued advert reset the down timer');
    t.equal(engine.counters().routers[0]!.advertsReceived, 1);
    t.equal(clock.timerAtMs, downMs + downMs, 'down timer re-armed from the advert');
    // Nothing queued at the next deadline: the takeover happens as before.
    clock.advanceTo(downMs + downMs);
    t.match(changes.at(-1), { from: 'Backup', to: 'Master', reason: 'master-down-timer' });
  },
);

t.test("a Master's due advert is sent without draining the port first: queued input cannot hold it back", async (t) => {
  const { ports, clock, packets, headStart } = fakePorts();
  let drains = 0;
  Object.assign(headStart, {
    drain(): void {
      drains++;
    },
  });
  const engine = new Engine([router({ priority: 255 })], ports);
  engine.start();
  t.equal(packets.sent.length, 1, 't=0: the owner advertises');
  clock.advanceTo(1000);
  t.equal(packets.sent.length, 2, 't=1000: the next advert left');
  t.equal(drains, 0, 'no drain: only a Backup is due when the port is read first');
  // With a Backup on another VRID beside it, the Backup's expiry reads the port first.
  const both = fakePorts();
  let bothDrains = 0;
  Object.assign(both.headStart, {
    drain(): void {
      bothDrains++;
    },
  });
  const engine2 = new Engine(
    [router({ priority: 255 }), router({ name: 'VI_2', vrid: 52, priority: 100 })],
    both.ports,
  );
  engine2.start();
  both.clock.advanceTo(masterDownIntervalMs(2, 100, 100));
  t.ok(bothDrains >= 1, "the Backup's Master_Down expiry drained the port");
  await engine.stop();
  await engine2.stop();
});

t.test('a drain that throws is an error event; the timeouts are still handled', async (t) => {
  const { ports, clock, headStart } = fakePorts();
  Object.assign(headStart, {
    drain(): void {
      throw new Error('boom');
    },
  });
  const engine = new Engine([router({ priority: 100 })], ports);
  const changes = stateChanges(engine);
  const errors: unknown[] = [];
  engine.on('error', (e) => errors.push(e));
  engine.start();
  clock.advanceTo(masterDownIntervalMs(2, 100, 100));
  t.match(errors, [{ operation: 'receive', router: undefined }]);
  t.match(changes.at(-1), { to: 'Master', reason: 'master-down-timer' });
});
