// Engine.clearCounters (keepalived's STATS_CLEAR): every counter counters() reports goes back to zero,
// and nothing else moves: the Master keeps its state and its advert timer, and counting resumes.
import t from 'tap';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import { encodeAdvert } from '../../src/wire/codec.js';
import { fakePorts } from './fake-ports.js';

const meta = { family: 4 as const, sourceAddress: '192.0.2.9', destinationAddress: '224.0.0.18', ttl: 255 };

function advert(vrid: number, ttl = 255) {
  const payload = encodeAdvert(
    { version: 2, vrid, priority: 100, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    meta,
  );
  return { interface: 'eth0', payload, meta: { ...meta, ttl } };
}

t.test('clearCounters zeroes router and interface counters and changes nothing else', async (t) => {
  const { ports, clock, packets } = fakePorts();
  const owner = buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    primaryAddress: '192.0.2.1',
    priority: 255,
    virtualAddresses: ['192.0.2.100'],
  });
  const engine = new Engine([owner], ports);
  engine.start();
  clock.advanceTo(1000);
  packets.onPacket!(advert(51, 64)); // a TTL drop on the router
  packets.onPacket!(advert(52)); // an unknown VRID on the interface
  t.match(engine.counters(), {
    routers: [{ router: 'VI_1', advertsSent: 2, drops: { ttl: 1 } }],
    interfaces: [{ interface: 'eth0', packetsReceived: 2, drops: { 'unknown-vrid': 1 } }],
  });
  const before = engine.snapshot();

  engine.clearCounters();
  t.same(engine.counters(), {
    routers: [{ router: 'VI_1', interface: 'eth0', vrid: 51, advertsSent: 0, advertsReceived: 0, drops: {} }],
    interfaces: [{ interface: 'eth0', packetsReceived: 0, drops: {} }],
  });
  t.same(engine.snapshot(), before, 'state, priorities and deadlines untouched');

  clock.advanceTo(2000);
  t.match(engine.counters().routers, [{ advertsSent: 1 }], 'counting goes on from zero');
  t.equal(packets.sent.length, 3, 'the Master kept advertising');
});
