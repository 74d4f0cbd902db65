// The engine keeps the head-start port's parting adverts (HeadStartPort.setParting) in step with which routers
// are Master: each Master's priority-0 adverts, byte for byte what its stop then sends, handed over
// once per turn whenever a router enters or leaves Master, is reconfigured or removed.
import t from 'tap';
import { buildRouterConfig, type RouterConfigInput } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import type { OutgoingPacket } from '../../src/engine/ports.js';
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

/** fakePorts with a head-start port that records every setParting call. */
function partingPorts() {
  const fake = fakePorts();
  const parting: OutgoingPacket[][] = [];
  Object.assign(fake.headStart, { setParting: (packets: readonly OutgoingPacket[]) => parting.push([...packets]) });
  return { ...fake, parting };
}

/** The engine hands the set over in a microtask at the end of each turn. */
const turnEnds = () => new Promise<void>((resolve) => setImmediate(resolve));

const hex = (packets: readonly OutgoingPacket[]) =>
  packets.map((p) => `${p.destinationAddress} ${Buffer.from(p.payload).toString('hex')}`);

t.test(
  'a Master is armed with its priority-0 advert, exactly the bytes its stop sends; stopping disarms',
  async (t) => {
    const { ports, packets, parting } = partingPorts();
    const engine = new Engine([router({ priority: 255 })], ports);
    engine.start();
    t.equal(parting.length, 0, 'not before the turn ends');
    await turnEnds();
    t.equal(parting.length, 1, 'one setParting call for the turn it became Master');
    const armed = parting[0]!;
    t.equal(armed.length, 1);
    const decoded = decodeAdvert(armed[0]!.payload, {
      family: 4,
      sourceAddress: '192.0.2.1',
      destinationAddress: '224.0.0.18',
      ttl: 255,
    });
    t.ok(decoded.ok && decoded.advert.priority === 0, 'priority 0');
    const before = packets.sent.length;
    const stopping = engine.stop();
    t.strictSame(hex(packets.sent.slice(before)), hex(armed), 'the stop sends the very packets that were armed');
    await stopping;
    t.strictSame(parting.at(-1), [], 'disarmed once stopped');
  },
);

t.test('stepping down disarms; a Backup is never armed; unicast: one advert per peer', async (t) => {
  const { ports, clock, packets, parting } = partingPorts();
  const engine = new Engine([router({ priority: 100, unicastPeers: ['192.0.2.2', '192.0.2.3'] })], ports);
  engine.start();
  await turnEnds();
  t.strictSame(parting, [], 'Backup: nothing armed, no call');
  clock.advanceTo(4000); // the down timer: Master
  await turnEnds();
  t.equal(parting.length, 1);
  t.strictSame(
    parting[0]!.map((p) => p.destinationAddress),
    ['192.0.2.2', '192.0.2.3'],
  );
  // r2 (a peer) advertises a higher priority to us: we step down.
  const meta = { family: 4 as const, sourceAddress: '192.0.2.2', destinationAddress: '192.0.2.1', ttl: 255 };
  const payload = encodeAdvert(
    { version: 2, vrid: 51, priority: 254, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    meta,
  );
  packets.onPacket!({ interface: 'eth0', payload, meta });
  await turnEnds();
  t.strictSame(parting.at(-1), [], 'a higher priority took over: disarmed');
  t.equal(engine.snapshot()[0]!.state, 'Backup');
  await engine.stop();
});

t.test('reconfigured with another VIP: re-armed with the new bytes; removed: disarmed', async (t) => {
  const { ports, parting } = partingPorts();
  const engine = new Engine(
    [router({ priority: 255 }), router({ name: 'VI_2', vrid: 52, priority: 255, virtualAddresses: ['192.0.2.102'] })],
    ports,
  );
  engine.start();
  await turnEnds();
  t.equal(parting.length, 1, 'two routers Master in one turn: one call');
  t.equal(parting[0]!.length, 2);
  await engine.reconfigureRouter('VI_1', router({ priority: 255, virtualAddresses: ['192.0.2.100', '192.0.2.101'] }));
  await turnEnds();
  const rearmed = parting.at(-1)!;
  t.equal(rearmed.length, 2);
  const vi1 = rearmed
    .map((p) =>
      decodeAdvert(p.payload, { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18', ttl: 255 }),
    )
    .find((d) => d.ok && d.advert.vrid === 51);
  t.ok(vi1?.ok && vi1.advert.addresses.length === 2, 'VI_1 armed with both VIPs now');
  await engine.removeRouter('VI_2', { release: true });
  await turnEnds();
  t.equal(parting.at(-1)!.length, 1, 'VI_2 removed: only VI_1 left');
  await engine.stop();
});

t.test('255 routers turning Master in one turn: one port call, not one per router', async (t) => {
  const { ports, parting } = partingPorts();
  const configs = Array.from({ length: 255 }, (_, i) =>
    router({ name: `VI_${i + 1}`, vrid: i + 1, priority: 255, virtualAddresses: [`192.0.2.${(i % 200) + 10}`] }),
  );
  const engine = new Engine(configs, ports);
  engine.start();
  await turnEnds();
  t.equal(parting.length, 1);
  t.equal(parting[0]!.length, 255);
  await engine.stop();
});

t.test('a port without setParting, as in the simulator: the stop still sends the priority-0 advert', async (t) => {
  const { ports, packets } = fakePorts();
  const engine = new Engine([router({ priority: 255 })], ports);
  engine.start();
  const before = packets.sent.length;
  await engine.stop();
  const priorities = packets.sent
    .slice(before)
    .map((p) =>
      decodeAdvert(p.payload, { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18', ttl: 255 }),
    );
  t.strictSame(
    priorities.map((d) => d.ok && d.advert.priority),
    [0],
  );
});
