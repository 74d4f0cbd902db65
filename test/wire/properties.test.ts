// Properties of the codec over generated inputs (fast-check): decode never throws, encode-then-decode
// round-trips, every single-bit flip is caught, and address text matches ipaddr.js.
import t from 'tap';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import {
  decodeAdvert,
  encodeAdvert,
  encodedLength,
  formatIpv4,
  formatIpv6,
  type AdvertToEncode,
  type ChecksumForm,
  type EncodeOptions,
  type IpFamily,
  type PacketMeta,
} from '../../src/wire/index.js';

interface Case {
  readonly advert: AdvertToEncode;
  readonly options: EncodeOptions;
}

const vrid = fc.integer({ min: 1, max: 255 });
const priority = fc.integer({ min: 0, max: 255 });

const v2Case: fc.Arbitrary<Case> = fc
  .record({
    vrid,
    priority,
    seconds: fc.integer({ min: 1, max: 255 }),
    addresses: fc.array(fc.ipV4(), { maxLength: 12 }),
    password: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: undefined }),
    source: fc.ipV4(),
    destination: fc.ipV4(),
  })
  .map(({ seconds, password, source, destination, ...rest }) => ({
    advert: {
      version: 2,
      ...rest,
      advertIntervalCs: seconds * 100,
      ...(password === undefined ? { authType: 0 } : { authType: 1, authData: password }),
    },
    options: { family: 4, sourceAddress: source, destinationAddress: destination },
  }));

function v3Case(family: IpFamily): fc.Arbitrary<Case> {
  const address = family === 4 ? fc.ipV4() : fc.ipV6();
  return fc
    .record({
      vrid,
      priority,
      advertIntervalCs: fc.integer({ min: 1, max: 4095 }),
      addresses: fc.array(address, { maxLength: 12 }),
      source: address,
      destination: address,
      pseudoHeader: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map(({ source, destination, pseudoHeader, ...rest }) => ({
      advert: { version: 3, ...rest },
      options: {
        family,
        sourceAddress: source,
        destinationAddress: destination,
        ...(pseudoHeader === undefined ? {} : { v3Ipv4PseudoHeader: pseudoHeader }),
      },
    }));
}

const anyCase = fc.oneof(v2Case, v3Case(4), v3Case(6));

function metaFor(options: EncodeOptions): PacketMeta {
  return {
    family: options.family,
    sourceAddress: options.sourceAddress,
    destinationAddress: options.destinationAddress,
    ttl: 255,
  };
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The folded pseudo-header sum, computed here from ipaddr.js bytes, independently of the codec. */
function pseudoHeaderFold(options: EncodeOptions, vrrpLength: number): number {
  let sum = 112 + vrrpLength;
  for (const text of [options.sourceAddress, options.destinationAddress]) {
    const bytes = ipaddr.parse(text).toByteArray();
    for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  }
  return fold(sum);
}

/**
 * Accepting both v3 IPv4 checksum forms costs some error detection: if the pseudo-header sum P is
 * +-2^j in one's complement, a flip of bit j moves a packet from one valid form to the other.
 */
function formsCanCollide(pseudoFold: number): boolean {
  for (let bit = 0; bit < 16; bit++) {
    if (pseudoFold === 1 << bit || pseudoFold === (0xffff ^ (1 << bit))) return true;
  }
  return false;
}

function expectedForm({ advert, options }: Case, length: number): ChecksumForm {
  if (advert.version === 2) return 'v2';
  if (options.family === 6 || options.v3Ipv4PseudoHeader !== false) return 'v3-pseudo-header';
  // If the pseudo-header sums to (negative) zero both forms are the same bytes; the decoder names the
  // pseudo-header form first.
  return pseudoHeaderFold(options, length) === 0xffff ? 'v3-pseudo-header' : 'v3-no-pseudo-header';
}

function canonical(text: string): string {
  return ipaddr.parse(text).toString();
}

function expectedAuthData(advert: AdvertToEncode): Uint8Array {
  if (advert.version === 3) return new Uint8Array(0);
  const authData = new Uint8Array(8);
  authData.set((advert.authData ?? new Uint8Array(0)).subarray(0, 8));
  return authData;
}

const runs = { numRuns: 300 };

t.test('encode then decode round-trips every valid advert', async (t) => {
  fc.assert(
    fc.property(anyCase, (testCase) => {
      const { advert, options } = testCase;
      const packet = encodeAdvert(advert, options);
      const result = decodeAdvert(packet, metaFor(options));
      if (!result.ok) throw new Error(`rejected: ${result.reason} ${result.detail ?? ''}`);
      const decoded = result.advert;
      const matches =
        packet.length === encodedLength(advert.version, options.family, advert.addresses.length) &&
        decoded.version === advert.version &&
        decoded.vrid === advert.vrid &&
        decoded.priority === advert.priority &&
        decoded.advertIntervalCs === advert.advertIntervalCs &&
        decoded.authType === (advert.authType ?? 0) &&
        Buffer.from(decoded.authData).equals(expectedAuthData(advert)) &&
        decoded.checksum === ((packet[6]! << 8) | packet[7]!) &&
        decoded.addresses.length === advert.addresses.length &&
        decoded.addresses.every((address, index) => address === canonical(advert.addresses[index]!)) &&
        result.checksumForm === expectedForm(testCase, packet.length);
      if (!matches) throw new Error(`mismatch: ${JSON.stringify({ advert, decoded, form: result.checksumForm })}`);
    }),
    runs,
  );
  t.pass('300 generated adverts round-trip');
});

t.test('encoding into a dirty, larger buffer writes the same bytes and nothing past them', async (t) => {
  fc.assert(
    fc.property(anyCase, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 8 }), (testCase, fill, extra) => {
      const fresh = encodeAdvert(testCase.advert, testCase.options);
      const dirty = Buffer.alloc(fresh.length + extra, fill);
      const written = encodeAdvert(testCase.advert, testCase.options, dirty);
      return (
        Buffer.from(written).equals(fresh) &&
        written.byteOffset === dirty.byteOffset &&
        dirty.subarray(fresh.length).every((byte) => byte === fill)
      );
    }),
    runs,
  );
  t.pass('dirty buffers fully overwritten');
});

t.test('every single-bit flip of an encoded packet is caught', async (t) => {
  let flips = 0;
  let collisionsSeen = 0;
  fc.assert(
    fc.property(anyCase, (testCase) => {
      const meta = metaFor(testCase.options);
      const packet = encodeAdvert(testCase.advert, testCase.options);
      const original = decodeAdvert(packet, meta);
      if (!original.ok) return false;
      // VRRP checksums cover the whole message, so every bit is in the checksummed region.
      for (let bit = 0; bit < packet.length * 8; bit++) {
        const flipped = Uint8Array.from(packet, (byte, i) => (i === bit >> 3 ? byte ^ (0x80 >> (bit & 7)) : byte));
        const result = decodeAdvert(flipped, meta);
        flips++;
        if (!result.ok) continue;
        // The only way through: a v3 IPv4 packet now verifying under the other checksum form,
        // possible only for pseudo-header sums of +-2^j.
        const explained =
          testCase.advert.version === 3 &&
          testCase.options.family === 4 &&
          result.checksumForm !== original.checksumForm &&
          formsCanCollide(pseudoHeaderFold(testCase.options, packet.length));
        if (!explained) throw new Error(`bit ${bit} flip accepted: ${JSON.stringify(result)}`);
        collisionsSeen++;
      }
      return true;
    }),
    { numRuns: 60 },
  );
  t.ok(flips > 10000, `${flips} flips checked, ${collisionsSeen} crossed between the two v3 IPv4 forms`);
});

t.test('the two v3 IPv4 checksum forms can turn a bit flip into a valid packet (documented weakness)', async (t) => {
  // 192.0.2.1 -> 203.0.113.129, one address: the pseudo-header folds to 0xfeff, -(2^8) in one's
  // complement. A packet valid with the pseudo-header has message sum S = -P = +2^8; clearing a set
  // bit 8 of any word takes 2^8 off, leaving S' = 0, which verifies without the pseudo-header.
  const options: EncodeOptions = { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '203.0.113.129' };
  t.equal(pseudoHeaderFold(options, 12), 0xfeff, 'pseudo-header sum is -(2^8)');
  const packet = encodeAdvert(
    { version: 3, vrid: 1, priority: 101, advertIntervalCs: 100, addresses: ['192.0.2.100'] },
    options,
  );
  const flipped = packet.slice();
  flipped[2]! ^= 0x01; // priority 101 -> 100: bit 8 of the word holding priority and count
  const result = decodeAdvert(flipped, metaFor(options));
  t.ok(
    result.ok && result.checksumForm === 'v3-no-pseudo-header' && result.advert.priority === 100,
    'the flipped packet is accepted under the other form, with the wrong priority',
  );
});

const metaArbitrary: fc.Arbitrary<PacketMeta> = fc.record({
  // Includes values outside IpFamily: the codec must not throw even on a confused caller.
  family: fc.constantFrom(4, 6, 0, 5) as fc.Arbitrary<IpFamily>,
  sourceAddress: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()),
  destinationAddress: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()),
  ttl: fc.integer({ min: 0, max: 255 }),
});

/** Bytes shaped like a VRRP header (plausible first byte, small count) so decoding gets past the early checks. */
const vrrpShapedBytes = fc
  .tuple(
    fc.constantFrom(0x21, 0x31, 0x20, 0x32, 0x11),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 6 }),
    fc.uint8Array({ maxLength: 120 }),
  )
  .map(([versionType, vridByte, priorityByte, count, rest]) =>
    Uint8Array.of(versionType, vridByte, priorityByte, count, ...rest),
  );

/** A valid packet with a few bytes overwritten or the length changed. */
const mutatedPackets = fc
  .tuple(
    anyCase,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    fc.integer({ min: -4, max: 4 }),
  )
  .map(([testCase, writes, lengthChange]) => {
    const packet = encodeAdvert(testCase.advert, testCase.options);
    for (const [at, value] of writes) packet[at % packet.length] = value;
    const length = Math.max(0, packet.length + lengthChange);
    const resized = new Uint8Array(length);
    resized.set(packet.subarray(0, length));
    return resized;
  });

t.test('decode never throws, whatever the bytes and metadata', async (t) => {
  const inputs = fc.oneof(fc.uint8Array({ maxLength: 300 }), vrrpShapedBytes, mutatedPackets);
  fc.assert(
    fc.property(inputs, metaArbitrary, (bytes, meta) => {
      const result = decodeAdvert(bytes, meta);
      return typeof result.ok === 'boolean';
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 arbitrary inputs decoded without throwing');
});

t.test('address text matches ipaddr.js exactly', async (t) => {
  // Zero groups are drawn often, so runs of zeros (and ties between runs) are common.
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
      const bytes = Uint8Array.from(groups.flatMap((value) => [value >> 8, value & 0xff]));
      const expected = ipaddr.fromByteArray(Array.from(bytes)).toString();
      if (formatIpv6(bytes, 0) !== expected) throw new Error(`${formatIpv6(bytes, 0)} !== ${expected}`);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
      return formatIpv4(bytes, 0) === ipaddr.fromByteArray(Array.from(bytes)).toString();
    }),
    { numRuns: 500 },
  );
  t.pass('IPv4 and IPv6 text agree with ipaddr.js');
});
