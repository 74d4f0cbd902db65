// The engine keeps the head-start port's takeover adverts (HeadStartPort.setTakeover) in step with its timer:
// while the timer is armed for a Backup's own Master_Down_Timer, the port holds exactly the adverts
// that router sends first when the timer fires; at any other time it holds nothing that could go out.
// A port that sends them at the expiry (the Linux one) must therefore never send an advert the engine
// would not, nor one it would send later.
import t from 'tap';
import { buildRouterConfig, type RouterConfigInput } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import type { OutgoingPacket, TakeoverAddresses } from '../../src/engine/ports.js';
import { encodeAdvert } from '../../src/wire/codec.js';
import { fakePorts } from './fake-ports.js';

function router(overrides: Partial<RouterConfigInput> = {}) {
  return buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    version: 3,
    advertIntervalCs: 10,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
    ...overrides,
  });
}

const hex = (packets: readonly OutgoingPacket[]) =>
  packets.map((p) => `${p.destinationAddress} ${Buffer.from(p.payload).toString('hex')}`);

/**
 * fakePorts whose packet port records what it holds and, each time the timer fires, what it held at
 * that moment next to the engine's first send in the callback.
 */
function takeoverPorts() {
  const fake = fakePorts();
  let held: OutgoingPacket[] = [];
  let heldForMs: number | undefined;
  const calls: OutgoingPacket[][] = [];
  Object.assign(fake.headStart, {
    setTakeover: (packets: readonly OutgoingPacket[]) => {
      held = [...packets];
      heldForMs = fake.clock.timerAtMs;

      calls.push(held);
    },
  });
  const fires: {
    held: string[];
    heldForMs: number | undefined;
    firedForMs: number | undefined;
    firstSend: string[];
  }[] = [];
  const originalSetTimer = fake.clock.setTimer.bind(fake.clock);
  fake.clock.setTimer = (atMs, onDeadline) =>
    originalSetTimer(atMs, () => {
      const before = fake.packets.batches.length;
      const sentBefore = fake.packets.sent.length;
      // The deadline this expiry is for (a deadline already past fires at once, later than itself).
      const record = { held: hex(held), heldForMs, firedForMs: atMs, firstSend: [] as string[] };
      onDeadline();
      if (fake.packets.batches.length > before) {
        record.firstSend = hex(fake.packets.sent.slice(sentBefore, sentBefore + fake.packets.batches[before]!));
      }
      fires.push(record);
    });
  return { ...fake, calls, fires, held: () => held };
}

function advertFrom(source: string, priority: number, vrid = 51) {
  const meta = { family: 4 as const, sourceAddress: source, destinationAddress: '224.0.0.18', ttl: 255 };
  const payload = encodeAdvert(
    { version: 3, vrid, priority, advertIntervalCs: 10, addresses: ['192.0.2.100'], authType: 0 },
    meta,
  );
  return { interface: 'eth0', payload, meta };
}

t.test(
  'a Backup at its own down deadline holds its first advert as Master, which the timer then sends first',
  async (t) => {
    const { ports, clock, packets, calls, fires, held } = takeoverPorts();
    const engine = new Engine([router({ priority: 100 })], ports);
    engine.start();
    t.equal(calls.length, 1, 'armed with the down timer');
    t.equal(held().length, 1);
    clock.advanceTo(1000);
    const fire = fires[0]!;
    t.strictSame(fire.held, fire.firstSend, 'the held advert is exactly the first thing the expiry sends');
    t.equal(fire.heldForMs, fire.firedForMs, 'held for this very deadline');
    t.equal(engine.snapshot()[0]!.state, 'Master');
    t.strictSame(held(), [], 'withdrawn once Master');
    t.ok(packets.sent.length >= 1);
  },
);

t.test(
  'a received advert withdraws it before the timer can fire; the early timer re-arms it for the new deadline',
  async (t) => {
    const { ports, clock, packets, fires, held } = takeoverPorts();
    const engine = new Engine([router({ priority: 100 })], ports);
    engine.start();
    clock.advanceTo(50);
    packets.onPacket!(advertFrom('192.0.2.9', 200));
    t.strictSame(held(), [], 'the deadline moved later: the timer is now early, nothing held');
    const armedAt = clock.timerAtMs!;
    clock.advanceTo(armedAt);
    t.equal(fires.at(-1)!.firstSend.length, 0, 'the early expiry sent nothing');
    t.equal(engine.snapshot()[0]!.state, 'Backup');
    t.equal(held().length, 1, 're-armed for the true deadline');
    // A priority-0 advert just after a normal one: Skew_Time from now, earlier than the armed deadline.
    clock.advanceTo(armedAt + 10);
    packets.onPacket!(advertFrom('192.0.2.9', 200));
    clock.advanceTo(armedAt + 15);
    packets.onPacket!(advertFrom('192.0.2.9', 0));
    const skewDeadline = engine.snapshot()[0]!.nextDeadlineMs!;
    // The armed timer may still be an early one (adverts move the deadline later without re-arming):
    // it fires, finds nothing due and re-arms for the Skew_Time deadline, with the advert.
    if (clock.timerAtMs! < skewDeadline) clock.advanceTo(clock.timerAtMs!);
    t.equal(clock.timerAtMs, skewDeadline);
    t.equal(held().length, 1, 'armed for the Skew_Time deadline');
    clock.advanceTo(armedAt + 1000);
    const takeover = fires.find((f) => f.firstSend.length > 0)!;
    t.strictSame(takeover.held, takeover.firstSend);
    t.equal(engine.snapshot()[0]!.state, 'Master');
  },
);

t.test(
  'what is held follows the priority; nothing for preempt_delay, a sync group member or a stopping engine',
  async (t) => {
    const { ports, calls, held } = takeoverPorts();
    const engine = new Engine([router({ priority: 100 })], ports);
    engine.start();
    const first = hex(held());
    engine.input('VI_1', { kind: 'setPriority', priority: 150 });
    t.not(hex(held())[0], first[0], 're-encoded with the new priority');
    t.equal(calls.length, 2);
    const stopping = engine.stop();
    t.strictSame(held(), [], 'withdrawn when stopping');
    await stopping;

    const delayed = takeoverPorts();
    const preempting = new Engine(
      [router({ priority: 150, advertIntervalCs: 100, preemptDelayMs: 200 })],
      delayed.ports,
    );
    preempting.start();
    t.equal(delayed.held().length, 1, 'held with the down timer');
    delayed.packets.onPacket!(advertFrom('192.0.2.9', 100));
    t.strictSame(
      delayed.held(),
      [],
      'a lower-priority Master heard: the preempt_delay check comes first, nothing held',
    );

    const grouped = takeoverPorts();
    const member = new Engine([router({ priority: 100 })], grouped.ports);
    member.input('VI_1', { kind: 'syncGroup', command: 'join' });
    member.start();
    t.strictSame(grouped.held(), [], 'a sync group member waits for its group: nothing held');
  },
);

t.test(
  'many routers, random adverts, priorities and time: every expiry sends what was held, or nothing was held',
  async (t) => {
    const { ports, clock, packets, fires } = takeoverPorts();
    const routers = Array.from({ length: 8 }, (_, i) =>
      router({ name: `VI_${i}`, vrid: 10 + i, priority: 50 + i * 10, advertIntervalCs: 10 + i * 3 }),
    );
    const engine = new Engine(routers, ports);
    // Fire index of each takeover by the down timer.
    const downTimerTakeovers: number[] = [];
    engine.on('stateChange', (event) => {
      if (event.to === 'Master' && event.reason === 'master-down-timer') downTimerTakeovers.push(fires.length);
    });
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    engine.start();
    let nowMs = 0;
    for (let step = 0; step < 3000; step++) {
      nowMs += random() * 40;
      clock.advanceTo(nowMs);
      const choice = random();
      const vrid = 10 + Math.floor(random() * 8);
      if (choice < 0.6) packets.onPacket!(advertFrom('192.0.2.9', Math.floor(random() * 256), vrid));
      else if (choice < 0.65)
        engine.input(`VI_${vrid - 10}`, { kind: 'setPriority', priority: 1 + Math.floor(random() * 254) });
      else if (choice < 0.67) engine.linkChange('eth0', random() < 0.5);
    }
    engine.linkChange('eth0', true);
    const withHeld = fires.filter((f) => f.held.length > 0);
    t.ok(withHeld.length > 20, `${withHeld.length} of ${fires.length} expiries had a takeover held`);
    const wrong = withHeld.filter(
      (f) => f.heldForMs !== f.firedForMs || f.held.join() !== f.firstSend.slice(0, f.held.length).join(),
    );
    t.equal(wrong.length, 0, 'each held advert was for that expiry and was the first thing it sent');

    // The stateChange comes from inside the expiry, before it is recorded: its index is the fire's.
    t.ok(downTimerTakeovers.length > 10, `${downTimerTakeovers.length} takeovers by the down timer`);
    const unheld = downTimerTakeovers.filter((index) => fires[index]!.held.length === 0);
    t.equal(unheld.length, 0, 'every takeover by the down timer had its advert held');
  },
);

t.test('an expiry whose takeover the port already sent is acted on without reading the sockets again', async (t) => {
  // Two Backups of equal priority reach Skew_Time together: each port sends the takeover advert, and
  // each would then read the other's. Read before acting, it would reset the timer (equal priority)
  // and nobody would be Master for a Master_Down_Interval.
  for (const takeoverSent of [true, false]) {
    const { ports, clock, packets, headStart } = takeoverPorts();
    let drains = 0;
    let onDeadline: ((expiry?: { takeoverSent: boolean }) => void) | undefined;
    const setTimer = clock.setTimer.bind(clock);
    clock.setTimer = (atMs, callback) => {
      onDeadline = callback;
      setTimer(atMs, callback);
    };
    Object.assign(headStart, {
      drain: () => {
        drains++;
        packets.onPacket!(advertFrom('192.0.2.200', 100));
      },
    });
    const engine = new Engine([router({ priority: 100 })], ports);
    engine.start();
    clock.nowMsValue = clock.timerAtMs!;
    onDeadline!(takeoverSent ? { takeoverSent } : undefined);
    if (takeoverSent) {
      t.equal(drains, 0, 'takeover sent: no drain');
      t.equal(engine.snapshot()[0]!.state, 'Master', 'it goes Master, as its advert already said');
    } else {
      t.equal(drains, 1, 'nothing sent ahead: the sockets are read first');
      t.equal(engine.snapshot()[0]!.state, 'Backup', 'and the equal-priority advert read keeps it Backup');
    }
  }
});

t.test('a listener that throws leaves no takeover advert behind for a router that no longer takes over', async (t) => {
  const { ports, held } = takeoverPorts();
  const engine = new Engine([router({ priority: 100 })], ports);
  engine.start();
  t.equal(held().length, 1);
  engine.on('stateChange', () => {
    throw new Error('listener bug');
  });
  t.throws(
    () => engine.input('VI_1', { kind: 'link', up: false }),
    /listener bug/,
    'the listener error reaches the caller',
  );
  t.equal(engine.snapshot()[0]!.state, 'Fault');
  t.strictSame(held(), [], 'withdrawn all the same');
});

t.test('inputs that change neither deadline nor priority cost no port call', async (t) => {
  const { ports, packets, calls } = takeoverPorts();
  const engine = new Engine([router({ priority: 100 })], ports);
  engine.start();
  const before = calls.length;
  // Adverts of a lower priority: a preempting Backup discards them, its down timer untouched.
  for (let i = 0; i < 50; i++) packets.onPacket!(advertFrom('192.0.2.9', 50));
  t.equal(calls.length, before, '50 discarded adverts: the held advert stands, no call');
  t.equal(engine.snapshot()[0]!.state, 'Backup');
});

t.test("the held takeover names its address work: exactly the expiry's addVips and first announceVips", async (t) => {
  const fake = fakePorts();
  const work: (readonly TakeoverAddresses[] | undefined)[] = [];
  Object.assign(fake.headStart, {
    setTakeover: (_packets: readonly OutgoingPacket[], addresses?: readonly TakeoverAddresses[]) => {
      work.push(addresses);
    },
  });
  const config = router({
    priority: 100,
    virtualAddresses: ['192.0.2.100', '192.0.2.101'],
    excludedAddresses: ['198.51.100.7'],
    addressInterfaces: { '198.51.100.7': 'eth1' },
    acceptMode: true,
  });
  const engine = new Engine([config], fake.ports);
  engine.start();
  const held = work.at(-1)!;
  t.strictSame(
    held,
    [
      { interface: 'eth0', addresses: ['192.0.2.100', '192.0.2.101'], acceptMode: true, announceCount: 5 },
      { interface: 'eth1', addresses: ['198.51.100.7'], acceptMode: true, announceCount: 5 },
    ],
    'per interface the addresses live on',
  );
  fake.clock.advanceTo(1000);
  t.equal(engine.snapshot()[0]!.state, 'Master');
  const adds = fake.addresses.calls.filter((call) => call.op === 'add');
  const announces = fake.addresses.calls.filter((call) => call.op === 'announce');
  t.strictSame(
    adds.map((call) => ({ interface: call.iface, addresses: call.addresses, acceptMode: call.options.acceptMode })),
    held.map(({ interface: iface, addresses, acceptMode }) => ({ interface: iface, addresses, acceptMode })),
    'the addVips calls of the expiry are the ones held',
  );
  t.strictSame(
    announces.map((call) => ({ interface: call.iface, addresses: call.addresses, count: call.count })),
    held.map(({ interface: iface, addresses, announceCount }) => ({
      interface: iface,
      addresses,
      count: announceCount,
    })),
    'and so is the first announcement',
  );
  t.equal(work.at(-1), undefined, 'withdrawn once Master, address work and all');
});
