// The interface demux: decode with the wire codec, route by (family, VRID), count interface-level drops.
import t from 'tap';
import fc from 'fast-check';
import { InterfaceDemux, receivedAdvert } from '../../src/core/demux.js';
import { checkAdvert, receiveChecksFor } from '../../src/core/validate.js';
import { VirtualRouter } from '../../src/core/virtual-router.js';
import { decodeAdvert, encodeAdvert, passwordToAuthData } from '../../src/wire/codec.js';
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

// The receive path checks a packet's header (codec checks, VRID, the router's checks that need no
// address) before it decodes the address list. That changes what a rejection costs, never the verdict:
// over generated packets the demux gives the reason a full decode followed by checkAdvert gives.
t.test('demux: header-first receive gives the verdict of a full decode + checkAdvert, for any packet', async (t) => {
  const config = v2Config({
    auth: { type: 'pass', password: 'secret' },
    strictAddressList: true,
    virtualAddresses: ['192.0.2.100', '192.0.2.101'],
  });
  const packet = fc.record({
    // Mostly what passes each check, so that packets reach the later ones too.
    version: fc.constantFrom<2 | 3>(2, 2, 3),
    vrid: fc.constantFrom(51, 51, 51, 52, 200),
    priority: fc.constantFrom(0, 100, 254, 255),
    intervalS: fc.constantFrom(1, 2),
    addresses: fc.array(fc.constantFrom('192.0.2.100', '192.0.2.101', '198.51.100.7'), { maxLength: 4 }),
    password: fc.constantFrom('secret', 'secret', 'secret', 'intruder', ''),
    ttl: fc.constantFrom(255, 255, 255, 64),
    source: fc.constantFrom('192.0.2.20', '192.0.2.20', '192.0.2.20', config.primaryAddress),
    destination: fc.constantFrom('224.0.0.18', '192.0.2.10'),
    flip: fc.constantFrom(-1, -1, -1, -1, -1, -1, 0, 3, 6, 9),
  });
  let accepted = 0;
  const reasons = new Set<string>();
  fc.assert(
    fc.property(packet, (p) => {
      const meta: PacketMeta = { family: 4, sourceAddress: p.source, destinationAddress: p.destination, ttl: p.ttl };
      const v2 = p.version === 2;
      const bytes = encodeAdvert(
        {
          version: p.version,
          vrid: p.vrid,
          priority: p.priority,
          advertIntervalCs: p.intervalS * 100,
          addresses: p.addresses,
          ...(v2 && p.password !== '' ? { authType: 1, authData: passwordToAuthData(p.password) } : {}),
        },
        { family: 4, sourceAddress: p.source, destinationAddress: p.destination },
      );
      if (p.flip >= 0 && p.flip < bytes.length) bytes[p.flip]! ^= 0x10;
      const router = new VirtualRouter(config);
      router.handle(startup, 0);
      const demux = new InterfaceDemux('eth0', [router]);
      const dropped = demux.receive(bytes, meta, 1000).actions.find((a) => a.kind === 'dropped');
      const got = dropped?.kind === 'dropped' ? dropped.reason : undefined;

      const full = decodeAdvert(bytes, meta);
      const expected = !full.ok
        ? full.reason
        : full.advert.vrid !== config.vrid
          ? 'unknown-vrid'
          : checkAdvert(receivedAdvert(full.advert, meta), receiveChecksFor(config));
      if (got !== expected)
        throw new Error(`${JSON.stringify(p)}: demux says ${String(got)}, full decode + checks ${String(expected)}`);
      if (got === undefined) accepted++;
      else reasons.add(got);
    }),
    { numRuns: 3000 },
  );
  t.ok(accepted > 0, 'some packets were accepted');
  for (const reason of [
    'bad-checksum',
    'unknown-vrid',
    'ttl',
    'version-mismatch',
    'auth-data-mismatch',
    'auth-type-mismatch',
    'own-packet',
    'zero-address-count',
    'interval-mismatch',
    'address-list-mismatch',
  ]) {
    t.ok(reasons.has(reason), `generated packets reached the reason ${reason}`);
  }
});

t.test('demux: a bad TTL or an unused VRID is the reason even when the address list is wrong too', async (t) => {
  const config = v2Config({ strictAddressList: true });
  const router = new VirtualRouter(config);
  router.handle(startup, 0);
  const demux = new InterfaceDemux('eth0', [router]);
  // 255 addresses none of which is ours: a full decode would format them all to find the list wrong.
  const addresses = Array.from({ length: 255 }, (_, i) => `203.0.113.${i}`);
  const packet = (vrid: number) =>
    encodeAdvert(
      { version: 2, vrid, priority: 254, advertIntervalCs: 100, addresses, authType: 0 },
      { family: 4, sourceAddress: meta4.sourceAddress, destinationAddress: meta4.destinationAddress },
    );
  t.match(demux.receive(packet(51), { ...meta4, ttl: 64 }, 1000).actions, [{ kind: 'dropped', reason: 'ttl' }]);
  t.match(demux.receive(packet(77), { ...meta4, ttl: 64 }, 1000), {
    router: undefined,
    actions: [{ kind: 'dropped', reason: 'unknown-vrid' }],
  });
  t.match(
    demux.receive(packet(51), meta4, 1000).actions,
    [{ kind: 'dropped', reason: 'address-list-mismatch' }],
    'with TTL 255 the list is judged',
  );
  t.strictSame(
    Object.fromEntries(router.dropCounts),
    { ttl: 1, 'address-list-mismatch': 1 },
    'the router counts its drops under its own name',
  );
  t.strictSame(Object.fromEntries(demux.dropCounts), { 'unknown-vrid': 1 });
});
