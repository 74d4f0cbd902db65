// The interface demux: decode with the wire codec, route by (family, VRID), count interface-level drops.
import t from 'tap';
import { InterfaceDemux } from '../../src/core/demux.js';
import { VirtualRouter } from '../../src/core/virtual-router.js';
import { encodeAdvert } from '../../src/wire/codec.js';
import type { PacketMeta } from '../../src/wire/types.js';
import { startup, stateChange, v2Config, v6Config } from './scenario.js';

const meta4: PacketMeta = { family: 4, sourceAddress: '192.0.2.20', destinationAddress: '224.0.0.18', ttl: 255 };
const meta6: PacketMeta = { family: 6, sourceAddress: 'fe80::20', destinationAddress: 'ff02::12', ttl: 255 };

function v2Packet(vrid: number, priority: number): Uint8Array {
  return encodeAdvert(
    { version: 2, vrid, priority, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    { family: 4, sourceAddress: meta4.sourceAddress, destinationAddress: meta4.destinationAddress },
  );
}

t.test('demux: two routers with the same (family, VRID) on one interface is a configuration error', async (t) => {
  const a = new VirtualRouter(v2Config({ name: 'A' }));
  const b = new VirtualRouter(v2Config({ name: 'B' }));
  t.throws(() => new InterfaceDemux('eth0', [a, b]), /interface eth0: routers 'A' and 'B' both use VRID 51 over IPv4/);
});

// RFC 9568: an IPv4 and an IPv6 virtual router may share a VRID; they are separate routers.
t.test('demux: the same VRID over IPv4 and IPv6 are separate routers', async (t) => {
  const v4 = new VirtualRouter(v2Config({ version: 3 }));
  const v6 = new VirtualRouter(v6Config());
  const demux = new InterfaceDemux('eth0', [v4, v6]);
  v4.handle(startup, 0);
  v6.handle(startup, 0);
  const packet = encodeAdvert(
    { version: 3, vrid: 51, priority: 200, advertIntervalCs: 100, addresses: ['fe80::100', '2001:db8::100'] },
    { family: 6, sourceAddress: meta6.sourceAddress, destinationAddress: meta6.destinationAddress },
  );
  const result = demux.receive(packet, meta6, 1000);
  t.equal(result.router, v6);
  t.strictSame(result.actions, []);
  t.equal(v6.nextDeadlineMs(), 1000 + 3609.375, 'the IPv6 router reset its down timer');
  t.equal(v4.nextDeadlineMs(), 3609.375, 'the IPv4 router did not');
});

t.test('demux: a valid advert reaches its router with the network metadata', async (t) => {
  const router = new VirtualRouter(v2Config());
  const demux = new InterfaceDemux('eth0', [router]);
  t.strictSame(router.handle(startup, 0), [stateChange('Initialize', 'Backup', 'startup', 100)]);
  const result = demux.receive(v2Packet(51, 150), meta4, 1000);
  t.equal(result.router, router);
  t.strictSame(result.actions, []);
  t.equal(router.snapshot().masterAddress, '192.0.2.20');
  t.equal(router.nextDeadlineMs(), 4609.375);
  t.equal(demux.dropCounts.size, 0);
});

t.test('demux: router-level drops come back with the router and are counted by it', async (t) => {
  const router = new VirtualRouter(v2Config());
  const demux = new InterfaceDemux('eth0', [router]);
  router.handle(startup, 0);
  const result = demux.receive(v2Packet(51, 150), { ...meta4, ttl: 64 }, 1000);
  t.equal(result.router, router);
  t.strictSame(result.actions, [{ kind: 'dropped', reason: 'ttl' }]);
  t.equal(router.dropCounts.get('ttl'), 1);
  t.equal(demux.dropCounts.size, 0, 'not an interface-level drop');
});

t.test('demux: unknown VRID is dropped at the interface and counted', async (t) => {
  const demux = new InterfaceDemux('eth0', [new VirtualRouter(v2Config())]);
  const result = demux.receive(v2Packet(52, 100), meta4, 0);
  t.equal(result.router, undefined);
  t.strictSame(result.actions, [{ kind: 'dropped', reason: 'unknown-vrid', detail: 'VRID 52 over IPv4' }]);
  demux.receive(v2Packet(52, 100), meta4, 1);
  t.equal(demux.dropCounts.get('unknown-vrid'), 2);
});

t.test('demux: codec rejections are dropped at the interface with the codec reason and detail', async (t) => {
  const demux = new InterfaceDemux('eth0', [new VirtualRouter(v2Config())]);
  const short = demux.receive(new Uint8Array(3), meta4, 0);
  t.equal(short.router, undefined);
  t.equal(short.actions.length, 1);
  t.match(short.actions[0], { kind: 'dropped', reason: 'too-short' });
  const corrupt = v2Packet(51, 100);
  corrupt[2] = 99; // priority changed after the checksum was computed
  t.match(demux.receive(corrupt, meta4, 0).actions[0], { kind: 'dropped', reason: 'bad-checksum' });
  t.equal(demux.dropCounts.get('too-short'), 1);
  t.equal(demux.dropCounts.get('bad-checksum'), 1);
});

t.test('demux: random bytes never throw', async (t) => {
  const demux = new InterfaceDemux('eth0', [new VirtualRouter(v2Config())]);
  let state = 12345;
  const nextByte = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 24;
  };
  let dropped = 0;
  for (let round = 0; round < 2000; round++) {
    const bytes = Uint8Array.from({ length: nextByte() % 64 }, nextByte);
    const result = demux.receive(bytes, round % 2 === 0 ? meta4 : meta6, round);
    if (result.router === undefined && result.actions[0]?.kind === 'dropped') dropped++;
  }
  t.equal(dropped, 2000, 'every random packet was dropped at the interface, none threw');
});
