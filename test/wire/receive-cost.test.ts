// The two halves of a decode (decodeAdvertHeader, decodeAddresses) against the full decodeAdvert, and
// the address text caches against ipaddr.js under the traffic a hostile sender chooses: far more
// distinct addresses than the caches hold, repeated and interleaved, so every slot is hit, missed and
// overwritten.
import t from 'tap';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import {
  decodeAddresses,
  decodeAdvert,
  decodeAdvertHeader,
  encodeAdvert,
  formatIpv4,
  formatIpv6,
  type PacketMeta,
} from '../../src/wire/index.js';

const meta4: PacketMeta = { family: 4, sourceAddress: '192.0.2.20', destinationAddress: '224.0.0.18', ttl: 255 };
const meta6: PacketMeta = { family: 6, sourceAddress: 'fe80::20', destinationAddress: 'ff02::12', ttl: 255 };

/**
 * Formats `distinct` generated addresses in a shuffled order with repeats (twice as many lookups), so
 * a cache slot is read after a colliding address overwrote it; each text must be ipaddr.js's.
 */
function formatsLikeIpaddr(
  format: (bytes: Uint8Array, offset: number) => string,
  address: fc.Arbitrary<Uint8Array>,
  distinct: number,
): void {
  fc.assert(
    fc.property(
      fc.array(address, { minLength: distinct, maxLength: distinct }),
      fc.array(fc.nat(distinct - 1), { minLength: 2 * distinct, maxLength: 2 * distinct }),
      (addresses, order) => {
        for (const index of order) {
          const bytes = addresses[index]!;
          const text = format(bytes, 0);
          if (text !== ipaddr.fromByteArray(Array.from(bytes)).toString())
            throw new Error(`${text} for ${Array.from(bytes).join(',')}`);
        }
      },
    ),
    { numRuns: 5 },
  );
}

t.test('address text: the same as ipaddr.js for every address, whatever was formatted before', async (t) => {
  // More distinct addresses per run than the caches' 1,024 slots.
  formatsLikeIpaddr(formatIpv4, fc.uint8Array({ minLength: 4, maxLength: 4 }), 3000);
  // Same /24 (the prefix the old cache was keyed by), every last byte, twice.
  const subnet = Uint8Array.of(198, 51, 100, 0);
  for (let round = 0; round < 2; round++) {
    for (let last = 0; last < 256; last++) {
      subnet[3] = last;
      if (formatIpv4(subnet, 0) !== `198.51.100.${last}`) t.fail(`198.51.100.${last}`);
    }
  }
  // Zero groups drawn often, so runs of zeros (and ties between runs) are common.
  const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  const ipv6 = fc
    .array(group, { minLength: 8, maxLength: 8 })
    .map((groups) => Uint8Array.from(groups.flatMap((value) => [value >> 8, value & 0xff])));
  formatsLikeIpaddr(formatIpv6, ipv6, 2000);
  // An address read at an offset inside a larger buffer (as in a packet) is keyed by its own bytes.
  const packet = Uint8Array.of(0, 0, 192, 0, 2, 1, 192, 0, 2, 2);
  t.equal(formatIpv4(packet, 2), '192.0.2.1');
  t.equal(formatIpv4(packet, 6), '192.0.2.2');
  t.equal(formatIpv4(packet, 2), '192.0.2.1', 'a hit returns the text of the address asked for');
});

t.test('decodeAdvertHeader + decodeAddresses give what decodeAdvert gives, drop or advert', async (t) => {
  const bytesAndMeta = fc.tuple(
    fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 80 }),
      // Well-formed adverts with a few bytes flipped: most fail the checksum, some a length.
      fc
        .tuple(
          fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { minLength: 0, maxLength: 20 }),
          fc.integer({ min: 1, max: 255 }),
          fc.nat(5),
        )
        .map(([addresses, vrid, flips]) => {
          const bytes = encodeAdvert(
            {
              version: 3,
              vrid,
              priority: 100,
              advertIntervalCs: 100,
              addresses: addresses.map((a) => Array.from(a).join('.')),
            },
            { family: 4, sourceAddress: meta4.sourceAddress, destinationAddress: meta4.destinationAddress },
          );
          for (let i = 0; i < flips; i++) bytes[(vrid * (i + 3)) % bytes.length]! ^= 1 << i;
          return bytes;
        }),
    ),
    fc.constantFrom(meta4, meta6),
  );
  fc.assert(
    fc.property(bytesAndMeta, ([bytes, meta]) => {
      const full = decodeAdvert(bytes, meta);
      const header = decodeAdvertHeader(bytes, meta);
      if (!full.ok || !header.ok) {
        t.strictSame(header, full, 'the same drop, reason and detail');
        return;
      }
      const { family, addressCount, ...fields } = header.header;
      t.equal(family, meta.family);
      t.equal(addressCount, full.advert.addresses.length);
      t.strictSame({ ...fields, addresses: decodeAddresses(bytes, header.header) }, { ...full.advert });
      t.equal(header.checksumForm, full.checksumForm);
    }),
    { numRuns: 500 },
  );
});
