// Fuzzer for the IP header parser (src/wire/ip.ts), which reads whole IP packets from a raw socket or a
// capture: on any bytes it never throws, never reads an index it has not checked against the length,
// and returns either a well-formed result inside the packet or a typed drop reason. Seeds: random
// bytes shaped like IPv4 / IPv6 headers, packets built here, and mutated keepalived captures.
// Budget: FUZZ_SECONDS (test/fuzz/README.md); kept cases: test/fuzz/regressions/ip-header/.
import t from 'tap';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import {
  parseIpPacket,
  parseIpv4Packet,
  parseIpv6Packet,
  type IpDropReason,
  type IpParseResult,
} from '../../src/wire/ip.js';
import {
  bytesToHex,
  fuzz,
  fuzzBudgetMs,
  fuzzSeed,
  guardedBytes,
  hexToBytes,
  OutOfBoundsRead,
  regressionCases,
} from './budget.js';
import { applyEdits, editArbitrary, goldenPackets } from './corpus.js';

const DROP_REASONS: Readonly<Record<IpDropReason, true>> = {
  'too-short': true,
  'bad-ip-version': true,
  'bad-ihl': true,
  'bad-total-length': true,
  truncated: true,
  'bad-ipv4-header-checksum': true,
  'ipv4-fragment': true,
  'ipv6-jumbogram': true,
  'ipv6-extension-header': true,
};

const PARSERS = { parseIpPacket, parseIpv4Packet, parseIpv6Packet } as const;

/** Why `result` of parsing `bytes` is malformed, or undefined. */
function resultProblem(bytes: Uint8Array, result: IpParseResult): string | undefined {
  if (!result.ok) {
    if (!Object.hasOwn(DROP_REASONS, result.reason)) return `unknown reason ${String(result.reason)}`;
    return result.detail === undefined || typeof result.detail === 'string' ? undefined : 'detail is not text';
  }
  const { meta, payload, protocol } = result;
  const version = bytes[0]! >> 4;
  if (meta.family !== version) return `family ${meta.family} for version ${version}`;
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) return `protocol ${protocol}`;
  if (!Number.isInteger(meta.ttl) || meta.ttl < 0 || meta.ttl > 255) return `ttl ${meta.ttl}`;
  for (const address of [meta.sourceAddress, meta.destinationAddress]) {
    if (!ipaddr.isValid(address) || ipaddr.parse(address).kind() !== (version === 4 ? 'ipv4' : 'ipv6'))
      return `address ${address}`;
  }
  // The payload must be a view into the packet, after the header and within it.
  const start = payload.byteOffset - bytes.byteOffset;
  if (payload.buffer !== bytes.buffer || start < 20 || start + payload.length > bytes.length) {
    return `payload at ${start}+${payload.length} outside the ${bytes.length}-byte packet`;
  }
  return undefined;
}

/** Runs every parser on `bytes` behind the out-of-bounds guard; a failure message, or undefined. */
function checkAllParsers(bytes: Uint8Array): string | undefined {
  for (const [name, parse] of Object.entries(PARSERS)) {
    let result: IpParseResult;
    try {
      result = parse(guardedBytes(bytes));
    } catch (error) {
      return `${name} threw ${(error as Error).name}: ${(error as Error).message}`;
    }
    const problem = resultProblem(bytes, result);
    if (problem !== undefined) return `${name}: ${problem}`;
  }
  return undefined;
}

function assertParsers(bytes: Uint8Array): void {
  const problem = checkAllParsers(bytes);
  if (problem !== undefined) throw new Error(`${problem}; packet ${bytesToHex(bytes)}`);
}

/** Random bytes, but mostly with a plausible version nibble and IHL, and lengths around the headers. */
const headerLike: fc.Arbitrary<Uint8Array> = fc
  .record({
    first: fc.oneof(
      fc.integer({ min: 0x45, max: 0x4f }),
      fc.constantFrom(0x60, 0x40, 0x44),
      fc.integer({ min: 0, max: 255 }),
    ),
    rest: fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.uint8Array({ minLength: 19, maxLength: 19 }),
      fc.uint8Array({ minLength: 39, maxLength: 39 }),
    ),
    lengthField: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
  })
  .map(({ first, rest, lengthField }) => {
    const bytes = Uint8Array.from([first, ...rest]);
    // Bytes 2-3 (IPv4 total length) or 4-5 (IPv6 payload length) near the real size reach deeper checks.
    if (lengthField !== undefined && bytes.length >= 6) {
      const offset = first >> 4 === 6 ? 4 : 2;
      bytes[offset] = lengthField >> 8;
      bytes[offset + 1] = lengthField & 0xff;
    }
    return bytes;
  });

function headerChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += (header[i]! << 8) | header[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface Built {
  readonly packet: Uint8Array;
  readonly headerBytes: number;
  readonly payload: Uint8Array;
}

/** A valid IPv4 packet (options, payload and link-layer padding drawn) or IPv6 packet with no extension header. */
const validPacket: fc.Arbitrary<Built> = fc.oneof(
  fc
    .record({
      optionWords: fc.integer({ min: 0, max: 10 }),
      header: fc.uint8Array({ minLength: 60, maxLength: 60 }),
      payload: fc.uint8Array({ maxLength: 100 }),
      padding: fc.uint8Array({ maxLength: 30 }),
    })
    .map(({ optionWords, header, payload, padding }) => {
      const headerBytes = 20 + optionWords * 4;
      const totalLength = headerBytes + payload.length;
      const packet = new Uint8Array(totalLength + padding.length);
      // DF may be set; MF and the fragment offset are not.
      packet.set(header.subarray(0, headerBytes).map((byte, i) => (i === 6 ? byte & 0x40 : byte)));
      packet[0] = 0x40 | (headerBytes / 4);
      packet[2] = totalLength >> 8;
      packet[3] = totalLength & 0xff;
      packet[7] = 0;
      packet[10] = 0;
      packet[11] = 0;
      const checksum = headerChecksum(packet.subarray(0, headerBytes));
      packet[10] = checksum >> 8;
      packet[11] = checksum & 0xff;
      packet.set(payload, headerBytes);
      packet.set(padding, totalLength);
      return { packet, headerBytes, payload };
    }),
  fc
    .record({
      header: fc.uint8Array({ minLength: 40, maxLength: 40 }),
      nextHeader: fc
        .integer({ min: 0, max: 255 })
        .filter((n) => ![0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254].includes(n)),
      payload: fc.uint8Array({ minLength: 1, maxLength: 100 }),
      padding: fc.uint8Array({ maxLength: 30 }),
    })
    .map(({ header, nextHeader, payload, padding }) => {
      const packet = new Uint8Array(40 + payload.length + padding.length);
      packet.set(header);
      packet[0] = 0x60 | (packet[0]! & 0x0f);
      packet[4] = payload.length >> 8;
      packet[5] = payload.length & 0xff;
      packet[6] = nextHeader;
      packet.set(payload, 40);
      packet.set(padding, 40 + payload.length);
      return { packet, headerBytes: 40, payload };
    }),
);

const seed = fuzzSeed();
const budgetMs = fuzzBudgetMs();
const golden = goldenPackets();

t.test('kept cases (test/fuzz/regressions/ip-header): every parser, none throws or reads past the end', async (t) => {
  const cases = regressionCases<{ hex: string }>('ip-header');
  t.ok(cases.length > 0, 'the corpus is not empty');
  for (const { file, why, input } of cases) {
    t.equal(checkAllParsers(hexToBytes(input.hex)), undefined, `${file}: ${why}`);
  }
});

t.test('the guard catches a read past the end, and only that', async (t) => {
  const guarded = guardedBytes(Uint8Array.of(0x45, 7));
  t.same([guarded[0], guarded[1], guarded.length], [0x45, 7, 2]);
  t.throws(() => guarded[2], OutOfBoundsRead);
  t.throws(() => guarded[-1], OutOfBoundsRead);
  t.same(Array.from(guarded.subarray(1)), [7], 'methods run on the real array');
});

t.test('golden captures parse as they are (the mutations start from good packets)', async (t) => {
  t.ok(golden.length > 20, `${golden.length} packets`);
  for (const { name, ip } of golden) t.equal(parseIpPacket(guardedBytes(ip)).ok, true, name);
});

t.test(`fuzz: header-like bytes, built packets, mutated captures (seed ${seed}, ${budgetMs / 1000} s)`, async (t) => {
  const share = budgetMs / 3;
  const anyBytes = fuzz(
    fc.property(headerLike, (bytes) => assertParsers(bytes)),
    share,
    seed,
  );
  const built = fuzz(
    fc.property(validPacket, ({ packet, headerBytes, payload }) => {
      assertParsers(packet);
      const result = parseIpPacket(guardedBytes(packet));
      if (!result.ok)
        throw new Error(`a valid packet was dropped (${result.reason}: ${result.detail}); ${bytesToHex(packet)}`);
      const start = result.payload.byteOffset - packet.byteOffset;
      if (start !== headerBytes || bytesToHex(result.payload) !== bytesToHex(payload)) {
        throw new Error(
          `payload ${start}+${result.payload.length}, expected ${headerBytes}+${payload.length}; ${bytesToHex(packet)}`,
        );
      }
    }),
    share,
    seed + 1,
  );
  const mutated = fuzz(
    fc.property(
      fc.nat({ max: golden.length - 1 }),
      fc.array(editArbitrary, { minLength: 1, maxLength: 6 }),
      (index, edits) => assertParsers(applyEdits(golden[index]!.ip, edits)),
    ),
    share,
    seed + 2,
  );
  for (const [what, run] of [
    ['header-like bytes', anyBytes],
    ['built packets', built],
    ['mutated captures', mutated],
  ] as const) {
    t.ok(run.runs > 0, `${what}: ${run.runs} inputs, no failure`);
  }
});
