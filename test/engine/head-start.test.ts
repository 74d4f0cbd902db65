// The engine's HeadStart collaborator with an in-memory head-start port: each Master's periodic
// adverts are armed with exactly the bytes its timer sends, re-armed when they change, disarmed when it
// leaves Master and before any priority-0 advert; the engine marks its own periodic adverts, checks in
// at every expiry, and reports the port's counts. Without the port's periodic methods nothing changes.
import t from 'tap';
import { buildRouterConfig, type RouterConfigInput } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import { MIN_WATCHDOG_MS, watchdogMs } from '../../src/engine/head-start.js';
import type { OutgoingPacket, PeriodicAdverts, PeriodicCounters } from '../../src/engine/ports.js';
import { decodeAdvert, encodeAdvert } from '../../src/wire/codec.js';
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

type Call =
  | { readonly op: 'arm'; readonly router: string; readonly adverts: PeriodicAdverts }
  | { readonly op: 'disarm'; readonly router: string }
  | { readonly op: 'send'; readonly priorities: number[] };

const meta = { family: 4 as const, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18', ttl: 255 };
const priorityOf = (packet: OutgoingPacket) => {
  const decoded = decodeAdvert(packet.payload, meta);
  return decoded.ok ? decoded.advert.priority : -1;
};
const hex = (packets: readonly OutgoingPacket[]) => packets.map((p) => Buffer.from(p.payload).toString('hex'));

/** fakePorts whose head-start port takes periodic schedules; every arm, disarm and send in one log. */
function periodicPorts() {
  const fake = fakePorts();
  const calls: Call[] = [];
  let checkIns = 0;
  const counts = new Map<string, PeriodicCounters>();
  Object.assign(fake.headStart, {
    setPeriodic: (name: string, adverts: PeriodicAdverts | undefined) =>
      calls.push(adverts === undefined ? { op: 'disarm', router: name } : { op: 'arm', router: name, adverts }),
    checkIn: () => checkIns++,
    periodicCounters: (name: string) => counts.get(name),
    forgetPeriodic: (name: string) => counts.delete(name),
  });
  const send = fake.packets.send.bind(fake.packets);
  fake.packets.send = (packets) => {
    calls.push({ op: 'send', priorities: packets.map(priorityOf) });
    return send(packets);
  };
  return { ...fake, calls, counts, checkIns: () => checkIns };
}

const turnEnds = () => new Promise<void>((resolve) => setImmediate(resolve));

t.test(
  'a Master is armed with the advert its timer sends, on its interval; its periodic sends are marked',
  async (t) => {
    const { ports, clock, packets, calls, checkIns } = periodicPorts();
    const engine = new Engine([router({ priority: 255, advertIntervalCs: 100 })], ports);
    engine.start();
    await turnEnds();
    const arm = calls.find((c) => c.op === 'arm');
    t.ok(arm !== undefined && arm.op === 'arm', 'armed once it is Master');
    if (arm?.op !== 'arm') return;
    t.equal(arm.adverts.intervalMs, 1000);
    t.equal(arm.adverts.firstAtMs, 1000, 'first due an interval after the turn it became Master');
    t.equal(arm.adverts.watchdogMs, 3000, 'three intervals, above the floor');
    t.notOk(packets.sent[0]!.periodic, 'the startup advert is not periodic');
    clock.advanceTo(1000);
    const periodic = packets.sent.at(-1)!;
    t.equal(periodic.periodic, true, "the Adver_Timer's advert is marked periodic");
    t.strictSame(hex([periodic]), hex(arm.adverts.packets), 'byte for byte what the port was armed with');
    t.equal(checkIns(), 1, 'one check-in per expiry handled');
    await engine.stop();
  },
);

t.test('a priority change re-arms; leaving Master disarms in the same turn', async (t) => {
  const { ports, calls } = periodicPorts();
  const engine = new Engine(
    [router({ priority: 200, advertIntervalCs: 100 }), router({ name: 'VI_2', vrid: 52, priority: 255 })],
    ports,
  );
  engine.start();
  await turnEnds();
  calls.length = 0;
  engine.input('VI_2', { kind: 'setPriority', priority: 254 });
  await turnEnds();
  const rearm = calls.find((c) => c.op === 'arm' && c.router === 'VI_2');
  t.ok(rearm?.op === 'arm' && rearm.adverts.packets.map(priorityOf)[0] === 254, 're-armed at the new priority');

  calls.length = 0;
  // A higher-priority advert: VI_2 leaves Master.
  const payload = encodeAdvert(
    { version: 2, vrid: 52, priority: 255, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    { family: 4, sourceAddress: '192.0.2.9', destinationAddress: '224.0.0.18' },
  );
  (ports.packets as unknown as { onPacket: (p: unknown) => void }).onPacket({
    interface: 'eth0',
    payload,
    meta: { ...meta, sourceAddress: '192.0.2.9' },
  });
  // Its last advert as Master (higher_prio_send_advert) may go first; nothing goes after the disarm.
  t.equal(calls.at(-1)?.op, 'disarm', 'disarmed in the same turn, after everything it sent');
  t.equal(calls.filter((c) => c.op === 'disarm').length, 1);
  await turnEnds();
  t.notOk(
    calls.some((c) => c.op === 'arm'),
    'and not armed again at the end of the turn',
  );
  await engine.stop();
});

t.test(
  'stop disarms every Master before its priority-0 advert; removal disarms before it and forgets the counts',
  async (t) => {
    const { ports, calls, counts } = periodicPorts();
    const engine = new Engine([router({ priority: 255 }), router({ name: 'VI_2', vrid: 52, priority: 255 })], ports);
    engine.start();
    await turnEnds();
    counts.set('VI_2', { sent: 7, watchdogTrips: 1 });
    t.match(
      engine.counters().routers,
      [{ router: 'VI_1' }, { router: 'VI_2', advertsSentAhead: 7, watchdogTrips: 1 }],
      'the port counts reach the counters',
    );
    engine.clearCounters();
    counts.set('VI_2', { sent: 9, watchdogTrips: 1 });
    t.match(engine.counters().routers[1], { advertsSentAhead: 2, watchdogTrips: 0 }, 'counted from the last clear');
    t.notOk('advertsSentAhead' in engine.counters().routers[0]!, 'none for a router the port never counted');

    calls.length = 0;
    await engine.removeRouter('VI_2', { release: true });
    t.match(
      calls.slice(0, 2),
      [
        { op: 'disarm', router: 'VI_2' },
        { op: 'send', priorities: [0] },
      ],
      'disarmed, then its priority-0 advert',
    );
    t.notOk(counts.has('VI_2'), 'its counts forgotten');

    calls.length = 0;
    await engine.stop();
    t.match(
      calls.slice(0, 2),
      [
        { op: 'disarm', router: 'VI_1' },
        { op: 'send', priorities: [0] },
      ],
      'stop: disarmed before the priority-0 advert',
    );
  },
);

t.test('a port without setPeriodic: no advert is marked periodic', async (t) => {
  const { ports, clock, packets } = fakePorts();
  const engine = new Engine([router({ priority: 255 })], ports);
  engine.start();
  clock.advanceTo(3000);
  t.ok(packets.sent.length >= 3);
  t.ok(packets.sent.every((p) => p.periodic === undefined));
  await engine.stop();
});

t.test('the watchdog bound: at least MIN_WATCHDOG_MS, else three intervals', async (t) => {
  t.equal(watchdogMs(10), MIN_WATCHDOG_MS);
  t.equal(watchdogMs(1000), 3000);
  t.ok(MIN_WATCHDOG_MS > 200, 'a 200 ms stall stays inside it');
});
