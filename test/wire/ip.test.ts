// IP header parsing: what a raw IPv4 socket or a capture hands us, checked before a byte is trusted.
import t from 'tap';
import fc from 'fast-check';
import { parseIpPacket, parseIpv4Packet, parseIpv6Packet } from '../../src/wire/ip.js';

/** Internet checksum (RFC 1071) of a header whose checksum field is zero. */
function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface Ipv4Options {
  readonly source?: number[];
  readonly destination?: number[];
  readonly ttl?: number;
  readonly protocol?: number;
  readonly options?: number[];
  readonly flagsAndOffset?: number;
  readonly totalLengthOverride?: number;
}

/** An IPv4 packet with a correct header checksum unless the test spoils it afterwards. */
function ipv4Packet(payload: number[], o: Ipv4Options = {}): Uint8Array {
  const options = o.options ?? [];
  const headerBytes = 20 + options.length;
  const packet = new Uint8Array(headerBytes + payload.length);
  const totalLength = o.totalLengthOverride ?? packet.length;
  packet.set([0x40 | (headerBytes / 4), 0xc0, totalLength >> 8, totalLength & 0xff, 0x12, 0x34]);
  const flagsAndOffset = o.flagsAndOffset ?? 0;
  packet.set([flagsAndOffset >> 8, flagsAndOffset & 0xff, o.ttl ?? 255, o.protocol ?? 112], 6);
  packet.set(o.source ?? [192, 0, 2, 1], 12);
  packet.set(o.destination ?? [224, 0, 0, 18], 16);
  packet.set(options, 20);
  const checksum = internetChecksum(packet.subarray(0, headerBytes));
  packet.set([checksum >> 8, checksum & 0xff], 10);
  packet.set(payload, headerBytes);
  return packet;
}

const fe80Source = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0x5e, 0xff, 0xfe, 0x00, 0xc0, 0x01];
const ff02Vrrp = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12];

function ipv6Packet(payload: number[], nextHeader = 112, hopLimit = 255, source = fe80Source): Uint8Array {
  const packet = new Uint8Array(40 + payload.length);
  packet.set([0x60, 0, 0, 0, payload.length >> 8, payload.length & 0xff, nextHeader, hopLimit]);
  packet.set(source, 8);
  packet.set(ff02Vrrp, 24);
  packet.set(payload, 40);
  return packet;
}

const vrrpPayload = [0x21, 51, 150, 1, 0, 1, 0xaa, 0xbb, 192, 0, 2, 100, 0, 0, 0, 0, 0, 0, 0, 0];

t.test('IPv4: metadata and payload of a VRRP packet', async (t) => {
  const result = parseIpv4Packet(ipv4Packet(vrrpPayload, { ttl: 254 }));
  if (!result.ok) return t.fail(result.reason);
  t.same(result.meta, { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18', ttl: 254 });
  t.equal(result.protocol, 112);
  t.same(Array.from(result.payload), vrrpPayload);
});

t.test('IPv4: link-layer padding after Total Length is not payload', async (t) => {
  const packet = ipv4Packet([1, 2, 3, 4]);
  const padded = new Uint8Array(packet.length + 22);
  padded.set(packet);
  const result = parseIpv4Packet(padded);
  if (!result.ok) return t.fail(result.reason);
  t.same(Array.from(result.payload), [1, 2, 3, 4]);
});

t.test('IPv4: options (Router Alert) are skipped by IHL', async (t) => {
  const result = parseIpv4Packet(ipv4Packet(vrrpPayload, { options: [0x94, 0x04, 0x00, 0x00] }));
  if (!result.ok) return t.fail(result.reason);
  t.same(Array.from(result.payload), vrrpPayload);
});

t.test('IPv4: works on a view into a larger buffer', async (t) => {
  const packet = ipv4Packet(vrrpPayload, { source: [198, 51, 100, 7], destination: [192, 0, 2, 2] });
  const backing = new Uint8Array(packet.length + 10).fill(0xa5);
  backing.set(packet, 7);
  const result = parseIpv4Packet(backing.subarray(7, 7 + packet.length));
  if (!result.ok) return t.fail(result.reason);
  t.equal(result.meta.sourceAddress, '198.51.100.7');
  t.equal(result.meta.destinationAddress, '192.0.2.2');
  t.same(Array.from(result.payload), vrrpPayload);
});

t.test('IPv4: malformed headers are refused with a reason', async (t) => {
  const good = ipv4Packet(vrrpPayload);
  const cases: Array<[string, Uint8Array, string]> = [
    ['empty', new Uint8Array(0), 'too-short'],
    ['19 bytes', good.subarray(0, 19), 'too-short'],
    ['version 6 nibble', Uint8Array.from(good, (b, i) => (i === 0 ? 0x65 : b)), 'bad-ip-version'],
    ['IHL 4', Uint8Array.from(good, (b, i) => (i === 0 ? 0x44 : b)), 'bad-ihl'],
    ['IHL past the end', ipv4Packet([], { options: [1, 1, 1, 1] }).subarray(0, 22), 'bad-ihl'],
    ['total length below header', ipv4Packet(vrrpPayload, { totalLengthOverride: 19 }), 'bad-total-length'],
    ['total length past the end', ipv4Packet(vrrpPayload, { totalLengthOverride: 41 }), 'truncated'],
    ['cut inside the payload', good.subarray(0, good.length - 1), 'truncated'],
    ['more fragments', ipv4Packet(vrrpPayload, { flagsAndOffset: 0x2000 }), 'ipv4-fragment'],
    ['non-zero offset', ipv4Packet(vrrpPayload, { flagsAndOffset: 0x0004 }), 'ipv4-fragment'],
  ];
  for (const [name, bytes, reason] of cases) {
    const result = parseIpv4Packet(bytes);
    t.equal(result.ok ? 'ok' : result.reason, reason, name);
  }
  const badChecksum = Uint8Array.from(good, (b, i) => (i === 10 ? b ^ 0x01 : b));
  const result = parseIpv4Packet(badChecksum);
  t.equal(result.ok ? 'ok' : result.reason, 'bad-ipv4-header-checksum');
  // Don't Fragment alone is fine: keepalived's adverts carry no fragment bits, others may set DF.
  t.ok(parseIpv4Packet(ipv4Packet(vrrpPayload, { flagsAndOffset: 0x4000 })).ok, 'DF set is accepted');
});

t.test('IPv6: metadata and payload, addresses in RFC 5952 form', async (t) => {
  const result = parseIpv6Packet(ipv6Packet(vrrpPayload.slice(0, 8)));
  if (!result.ok) return t.fail(result.reason);
  t.same(result.meta, {
    family: 6,
    sourceAddress: 'fe80::5eff:fe00:c001',
    destinationAddress: 'ff02::12',
    ttl: 255,
  });
  t.equal(result.protocol, 112);
  t.same(Array.from(result.payload), vrrpPayload.slice(0, 8));

  // 2001:db8:0:0:1:0:0:1: two equal zero runs, the first is compressed (RFC 5952 4.2.3).
  const tie = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
  const tieResult = parseIpv6Packet(ipv6Packet([], 112, 1, tie));
  t.equal(tieResult.ok && tieResult.meta.sourceAddress, '2001:db8::1:0:0:1');
  t.equal(tieResult.ok && tieResult.meta.ttl, 1, 'hop limit reported as received');
});

t.test('IPv6: trailing bytes after Payload Length are not payload', async (t) => {
  const packet = ipv6Packet([9, 8, 7]);
  const padded = new Uint8Array(packet.length + 5);
  padded.set(packet);
  const result = parseIpv6Packet(padded);
  t.same(result.ok && Array.from(result.payload), [9, 8, 7]);
});

t.test('IPv6: extension headers and malformed headers are refused', async (t) => {
  for (const nextHeader of [0, 43, 44, 50, 51, 60]) {
    const result = parseIpv6Packet(ipv6Packet(vrrpPayload, nextHeader));
    t.equal(result.ok ? 'ok' : result.reason, 'ipv6-extension-header', `next header ${nextHeader}`);
  }
  const good = ipv6Packet(vrrpPayload);
  t.equal(((r) => (r.ok ? 'ok' : r.reason))(parseIpv6Packet(good.subarray(0, 39))), 'too-short');
  t.equal(((r) => (r.ok ? 'ok' : r.reason))(parseIpv6Packet(good.subarray(0, good.length - 1))), 'truncated');
  const v4Nibble = good.slice();
  v4Nibble[0] = 0x45;
  t.equal(((r) => (r.ok ? 'ok' : r.reason))(parseIpv6Packet(v4Nibble)), 'bad-ip-version');
  const jumbo = ipv6Packet([], 0);
  t.equal(((r) => (r.ok ? 'ok' : r.reason))(parseIpv6Packet(jumbo)), 'ipv6-jumbogram');
  // Another upper layer is returned as such: the caller, not the parser, insists on 112.
  const icmp = parseIpv6Packet(ipv6Packet([0x86, 0, 0, 0], 58));
  t.equal(icmp.ok && icmp.protocol, 58);
});

t.test('parseIpPacket dispatches on the version nibble', async (t) => {
  const v4 = parseIpPacket(ipv4Packet(vrrpPayload));
  t.equal(v4.ok && v4.meta.family, 4);
  const v6 = parseIpPacket(ipv6Packet(vrrpPayload));
  t.equal(v6.ok && v6.meta.family, 6);
  for (const first of [0x00, 0x50, 0xf0]) {
    const r = parseIpPacket(Uint8Array.of(first, ...new Array(60).fill(0)));
    t.equal(r.ok ? 'ok' : r.reason, 'bad-ip-version', `first byte 0x${first.toString(16)}`);
  }
  const empty = parseIpPacket(new Uint8Array(0));
  t.equal(empty.ok ? 'ok' : empty.reason, 'too-short');
});

t.test('property: arbitrary bytes never throw, and a success stays inside the input', async (t) => {
  const versionedBytes = fc
    .tuple(fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x00), fc.uint8Array({ maxLength: 120 }))
    .map(([first, rest]) => Uint8Array.of(first, ...rest));
  fc.assert(
    fc.property(versionedBytes, (bytes) => {
      const result = parseIpPacket(bytes);
      if (!result.ok) return typeof result.reason === 'string';
      return result.payload.byteOffset + result.payload.length <= bytes.byteOffset + bytes.length;
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 random packets parsed without throwing');
});

t.test('property: any well-formed IPv4 header round-trips its fields', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 10 }).map((words) => new Array(words * 4).fill(1)),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }),
      (source, destination, ttl, options, payload) => {
        const result = parseIpv4Packet(ipv4Packet(payload, { source, destination, ttl, options }));
        return (
          result.ok &&
          result.meta.sourceAddress === source.join('.') &&
          result.meta.destinationAddress === destination.join('.') &&
          result.meta.ttl === ttl &&
          Array.from(result.payload).join() === payload.join()
        );
      },
    ),
    { numRuns: 500 },
  );
  t.pass('500 generated headers round-tripped');
});
