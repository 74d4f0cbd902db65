// old_unicast_checksum 'auto' in the engine: once a peer is heard using keepalived's old unicast
// checksum, every advert of the router changes form, those the head-start port holds too (the
// takeover adverts of a Backup, the periodic ones of a Master).
import t from 'tap';
import { Engine } from '../../src/engine/engine.js';
import type { OutgoingPacket, PeriodicAdverts } from '../../src/engine/ports.js';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { decodeAdvertHeader, encodeAdvert } from '../../src/wire/codec.js';
import type { PacketMeta } from '../../src/wire/types.js';
import { fakePorts } from './fake-ports.js';

const CONFIG = buildRouterConfig({
  name: 'VI_1',
  interface: 'eth0',
  vrid: 51,
  version: 3,
  priority: 100,
  primaryAddress: '192.0.2.1',
  virtualAddresses: ['192.0.2.100'],
  unicastPeers: ['192.0.2.2'],
});

/** An advert from the peer to us, checksummed with 224.0.0.18 in the pseudo-header (the old form). */
function oldFormAdvert(priority: number) {
  const meta: PacketMeta = { family: 4, sourceAddress: '192.0.2.2', destinationAddress: '192.0.2.1', ttl: 255 };
  const payload = encodeAdvert(
    { version: 3, vrid: 51, priority, advertIntervalCs: 100, addresses: ['192.0.2.100'] },
    { ...meta, pseudoHeaderDestination: '224.0.0.18' },
  );
  return { interface: 'eth0', payload, meta };
}

/** The checksum form of our packet as the peer receives it. */
function form(packet: OutgoingPacket): string {
  const meta: PacketMeta = {
    family: 4,
    sourceAddress: packet.sourceAddress,
    destinationAddress: packet.destinationAddress,
    ttl: 255,
  };
  const decoded = decodeAdvertHeader(packet.payload, meta, true);
  return decoded.ok ? decoded.checksumForm : decoded.reason;
}

t.test('a Backup that hears the old form re-arms its takeover adverts in it', async (t) => {
  const fake = fakePorts();
  const takeovers: OutgoingPacket[][] = [];
  Object.assign(fake.headStart, { setTakeover: (packets: readonly OutgoingPacket[]) => takeovers.push([...packets]) });
  const engine = new Engine([CONFIG], fake.ports);
  t.teardown(() => engine.stop());
  engine.start();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(takeovers.at(-1)?.map(form), ['v3-pseudo-header'], 'armed in the RFC form');
  const notices: string[] = [];
  engine.on('notice', (event) => notices.push(event.notice));
  // Lower than ours: discarded (the down timer keeps its deadline), but its form is learnt.
  fake.packets.onPacket!(oldFormAdvert(50));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(notices, ['old-unicast-checksum']);
  t.same(takeovers.at(-1)?.map(form), ['v3-old-unicast'], 're-armed in the old form');
  fake.clock.advanceTo(4000);
  t.equal(engine.snapshot()[0]!.state, 'Master');
  t.same([...new Set(fake.packets.sent.map(form))], ['v3-old-unicast'], 'what the engine sends agrees');
});

t.test('a Master that hears the old form re-arms its periodic adverts in it', async (t) => {
  const fake = fakePorts();
  const periodic: (PeriodicAdverts | undefined)[] = [];
  Object.assign(fake.headStart, {
    setPeriodic: (_router: string, adverts: PeriodicAdverts | undefined) => periodic.push(adverts),
  });
  const engine = new Engine([CONFIG], fake.ports);
  t.teardown(() => engine.stop());
  engine.start();
  fake.clock.advanceTo(4000);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(periodic.at(-1)?.packets.map(form), ['v3-pseudo-header']);
  fake.packets.onPacket!(oldFormAdvert(50));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(periodic.at(-1)?.packets.map(form), ['v3-old-unicast'], 're-armed in the old form');
});
