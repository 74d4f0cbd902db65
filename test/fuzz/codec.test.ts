// Fuzzer for the VRRP codec's public entry points (src/wire/codec.ts decodeAdvert / encodeAdvert):
// decodeAdvert never throws on any bytes with any metadata, never reads past the packet, and returns an
// advert whose fields are in range or a typed drop reason; every valid advert round-trips through
// encodeAdvert; a mutated keepalived capture is accepted or dropped with a reason, and a single flipped
// bit is always dropped. Budget: FUZZ_SECONDS (test/fuzz/README.md); kept cases:
// test/fuzz/regressions/codec/.
import t from 'tap';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { decodeAdvert, encodeAdvert } from '../../src/wire/codec.js';
import { parseIpPacket } from '../../src/wire/ip.js';
import type { ChecksumForm, DecodeResult, PacketMeta, VrrpVersion, WireDropReason } from '../../src/wire/types.js';
import { bytesToHex, fuzz, fuzzBudgetMs, fuzzSeed, guardedBytes, hexToBytes, regressionCases } from './budget.js';
import { applyEdits, editArbitrary, goldenPackets } from './corpus.js';

const DROP_REASONS: Readonly<Record<WireDropReason, true>> = {
  'too-short': true,
  'bad-version': true,
  'version-family': true,
  'bad-type': true,
  truncated: true,
  'too-long': true,
  'bad-checksum': true,
};
const CHECKSUM_FORMS: ReadonlySet<ChecksumForm> = new Set(['v2', 'v3-pseudo-header', 'v3-no-pseudo-header']);

/** A kept case as JSON holds: the bytes in hex and the metadata as the socket layer would report it. */
interface CodecCase {
  readonly hex: string;
  readonly meta: PacketMeta;
}

const isByte = (value: number) => Number.isInteger(value) && value >= 0 && value <= 255;

/** Why `result` of decoding `bytes` with `meta` is malformed, or undefined. */
function resultProblem(bytes: Uint8Array, meta: PacketMeta, result: DecodeResult): string | undefined {
  if (!result.ok) {
    if (!Object.hasOwn(DROP_REASONS, result.reason)) return `unknown reason ${String(result.reason)}`;
    return result.detail === undefined || typeof result.detail === 'string' ? undefined : 'detail is not text';
  }
  const { advert, checksumForm } = result;
  if (!CHECKSUM_FORMS.has(checksumForm)) return `checksum form ${String(checksumForm)}`;
  if (advert.version !== bytes[0]! >> 4) return `version ${advert.version}`;
  if (![advert.vrid, advert.priority, advert.authType].every(isByte))
    return 'vrid, priority or auth type out of a byte';
  const maxIntervalCs = advert.version === 2 ? 255 * 100 : 0x0fff;
  if (
    !Number.isInteger(advert.advertIntervalCs) ||
    advert.advertIntervalCs < 0 ||
    advert.advertIntervalCs > maxIntervalCs
  ) {
    return `interval ${advert.advertIntervalCs} cs`;
  }
  if (advert.authData.length !== (advert.version === 2 ? 8 : 0)) return `auth data of ${advert.authData.length} bytes`;
  if (advert.addresses.length !== bytes[3]) return `${advert.addresses.length} addresses, count ${bytes[3]}`;
  const kind = meta.family === 4 ? 'ipv4' : 'ipv6';
  const wrong = advert.addresses.find((a) => !ipaddr.isValid(a) || ipaddr.parse(a).kind() !== kind);
  return wrong === undefined ? undefined : `address ${wrong} is not ${kind}`;
}

/** decodeAdvert behind the out-of-bounds guard: the result, or a failure message naming the input. */
function decodeChecked(bytes: Uint8Array, meta: PacketMeta): DecodeResult {
  const input = () => `packet ${bytesToHex(bytes)}, meta ${JSON.stringify(meta)}`;
  let result: DecodeResult;
  try {
    result = decodeAdvert(guardedBytes(bytes), meta);
  } catch (error) {
    throw new Error(`decodeAdvert threw ${(error as Error).name}: ${(error as Error).message}; ${input()}`);
  }
  const problem = resultProblem(bytes, meta, result);
  if (problem !== undefined) throw new Error(`${problem}; ${input()}`);
  return result;
}

/** Random bytes, mostly shaped like an advert: version/type byte, a count that may match the length. */
const advertLike: fc.Arbitrary<Uint8Array> = fc
  .record({
    first: fc.oneof(fc.constantFrom(0x21, 0x31), fc.integer({ min: 0, max: 255 })),
    count: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(255), fc.integer({ min: 0, max: 255 })),
    fitFamily: fc.constantFrom(4, 6, undefined),
    rest: fc.uint8Array({ maxLength: 120 }),
  })
  .map(({ first, count, fitFamily, rest }) => {
    // Often exactly as long as the count says (with v2 auth data), so the checksum check is reached.
    const length =
      fitFamily === undefined ? 8 + rest.length : 8 + count * (fitFamily === 4 ? 4 : 16) + (first >> 4 === 2 ? 8 : 0);
    const bytes = new Uint8Array(length);
    bytes.set(rest.subarray(0, length));
    bytes[0] = first;
    bytes[3] = count;
    return bytes;
  });

/** Metadata as the socket layer reports it, and worse: any family number, any text, zone indexes. */
const anyMeta: fc.Arbitrary<PacketMeta> = fc
  .record({
    family: fc.oneof(fc.constantFrom(4, 6), fc.integer(), fc.constant(Number.NaN)),
    sourceAddress: fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.constantFrom('fe80::1%eth0', 'fe80::1%', '', '::ffff:192.0.2.1'),
      fc.string(),
    ),
    destinationAddress: fc.oneof(fc.constantFrom('224.0.0.18', 'ff02::12'), fc.ipV4(), fc.ipV6(), fc.string()),
    ttl: fc.oneof(fc.constant(255), fc.integer()),
  })
  .map((meta) => meta as PacketMeta);

interface ValidAdvert {
  readonly version: VrrpVersion;
  readonly family: 4 | 6;
  readonly vrid: number;
  readonly priority: number;
  readonly advertIntervalCs: number;
  readonly addressBytes: readonly Uint8Array[];
  readonly password: Uint8Array | undefined;
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly pseudoHeader: boolean;
}

/** Any advert encodeAdvert must accept, addresses drawn as bytes (up to the 255 the count field holds). */
const validAdvert: fc.Arbitrary<ValidAdvert> = fc
  .record({
    version: fc.constantFrom<VrrpVersion>(2, 3),
    v3Family: fc.constantFrom<4 | 6>(4, 6),
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    interval: fc.integer({ min: 1, max: 0x0fff }),
    addressCount: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 255 })),
    addressSeed: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    password: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: undefined }),
    source: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    destination: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    pseudoHeader: fc.boolean(),
  })
  .map(({ version, v3Family, interval, addressCount, addressSeed, source, destination, ...rest }) => {
    const family = version === 2 ? 4 : v3Family;
    const size = family === 4 ? 4 : 16;
    // Distinct addresses without drawing 255 x 16 bytes: the seed with its last two bytes as a counter.
    const addressBytes = Array.from({ length: addressCount }, (_, i) => {
      const bytes = addressSeed.slice(0, size);
      bytes[size - 1] = i & 0xff;
      bytes[size - 2] = (bytes[size - 2]! + (i >> 8)) & 0xff;
      return bytes;
    });
    return {
      ...rest,
      version,
      family,
      advertIntervalCs: version === 2 ? (1 + (interval % 255)) * 100 : interval,
      addressBytes,
      source: source.slice(0, size),
      destination: destination.slice(0, size),
    };
  });

const text = (bytes: Uint8Array) => ipaddr.fromByteArray(Array.from(bytes)).toString();

function roundTrip(advert: ValidAdvert): void {
  const options = {
    family: advert.family,
    sourceAddress: text(advert.source),
    destinationAddress: text(advert.destination),
    v3Ipv4PseudoHeader: advert.pseudoHeader,
  };
  const addresses = advert.addressBytes.map(text);
  const auth = advert.version === 2 && advert.password !== undefined ? { authType: 1, authData: advert.password } : {};
  // Encoded into a dirty, larger buffer: nothing of the old bytes may survive into the packet.
  const out = new Uint8Array(8 + 255 * 16 + 100).fill(0xa5);
  const packet = encodeAdvert(
    {
      version: advert.version,
      vrid: advert.vrid,
      priority: advert.priority,
      advertIntervalCs: advert.advertIntervalCs,
      addresses,
      ...auth,
    },
    options,
    out,
  );
  const meta: PacketMeta = {
    family: advert.family,
    sourceAddress: options.sourceAddress,
    destinationAddress: options.destinationAddress,
    ttl: 255,
  };
  const result = decodeChecked(packet, meta);
  if (!result.ok)
    throw new Error(`a valid advert was dropped: ${result.reason} ${result.detail ?? ''}; ${bytesToHex(packet)}`);
  const decoded = result.advert;
  const password = new Uint8Array(8);
  if (advert.version === 2 && advert.password !== undefined) password.set(advert.password.subarray(0, 8));
  const expectedForms: ChecksumForm[] =
    advert.version === 2
      ? ['v2']
      : advert.family === 6 || advert.pseudoHeader
        ? ['v3-pseudo-header']
        : ['v3-no-pseudo-header', 'v3-pseudo-header'];
  const same =
    decoded.version === advert.version &&
    decoded.vrid === advert.vrid &&
    decoded.priority === advert.priority &&
    decoded.advertIntervalCs === advert.advertIntervalCs &&
    decoded.authType === (advert.version === 2 && advert.password !== undefined ? 1 : 0) &&
    bytesToHex(decoded.authData) === (advert.version === 2 ? bytesToHex(password) : '') &&
    decoded.addresses.join(',') === addresses.join(',') &&
    expectedForms.includes(result.checksumForm);
  if (!same)
    throw new Error(
      `round trip changed the advert: ${JSON.stringify({ decoded, checksumForm: result.checksumForm, addresses })}`,
    );
}

interface Received {
  readonly name: string;
  readonly vrrp: Uint8Array;
  readonly meta: PacketMeta;
}

/** The VRRP message and metadata of every golden packet, as the receive path sees them. */
function goldenAdverts(): Received[] {
  return goldenPackets().map(({ name, ip }) => {
    const parsed = parseIpPacket(ip);
    if (!parsed.ok) throw new Error(`${name}: ${parsed.reason}`);
    return { name, vrrp: parsed.payload, meta: parsed.meta };
  });
}

const seed = fuzzSeed();
const budgetMs = fuzzBudgetMs();
const golden = goldenAdverts();
const goldenIp = goldenPackets();

t.test('kept cases (test/fuzz/regressions/codec): decoded or dropped with a reason, never a throw', async (t) => {
  const cases = regressionCases<CodecCase>('codec');
  t.ok(cases.length > 0, 'the corpus is not empty');
  for (const { file, why, input } of cases) {
    t.doesNotThrow(() => decodeChecked(hexToBytes(input.hex), input.meta), `${file}: ${why}`);
  }
});

t.test('golden adverts decode as they are (the mutations start from good packets)', async (t) => {
  t.ok(golden.length > 20, `${golden.length} adverts`);
  for (const { name, vrrp, meta } of golden) t.equal(decodeChecked(vrrp, meta).ok, true, name);
});

t.test(`fuzz: any bytes and meta, round trips, mutated captures (seed ${seed}, ${budgetMs / 1000} s)`, async (t) => {
  const share = budgetMs / 5;
  const runs = {
    'advert-like bytes, any meta': fuzz(
      fc.property(advertLike, anyMeta, (bytes, meta) => void decodeChecked(bytes, meta)),
      share,
      seed,
    ),
    'valid adverts round-trip': fuzz(fc.property(validAdvert, roundTrip), share, seed + 1),
    'mutated golden adverts': fuzz(
      fc.property(
        fc.nat({ max: golden.length - 1 }),
        fc.array(editArbitrary, { minLength: 1, maxLength: 6 }),
        (index, edits) => {
          const { vrrp, meta } = golden[index]!;
          decodeChecked(applyEdits(vrrp, edits), meta);
        },
      ),
      share,
      seed + 2,
    ),
    // The Internet checksum catches every single-bit error, so no one flip may be accepted.
    'one flipped bit is always dropped': fuzz(
      fc.property(fc.nat({ max: golden.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (index, at, bit) => {
        const { name, vrrp, meta } = golden[index]!;
        const flipped = applyEdits(vrrp, [{ kind: 'flip', at, bit }]);
        if (decodeChecked(flipped, meta).ok)
          throw new Error(`${name} with bit ${bit} of byte ${at % vrrp.length} flipped was accepted`);
      }),
      share,
      seed + 3,
    ),
    // The receive path end to end: a mutated IP packet, its header parsed, its payload decoded.
    'mutated IP packets through parseIpPacket': fuzz(
      fc.property(
        fc.nat({ max: goldenIp.length - 1 }),
        fc.array(editArbitrary, { minLength: 1, maxLength: 6 }),
        (index, edits) => {
          const parsed = parseIpPacket(applyEdits(goldenIp[index]!.ip, edits));
          if (parsed.ok) decodeChecked(Uint8Array.from(parsed.payload), parsed.meta);
        },
      ),
      share,
      seed + 4,
    ),
  };
  for (const [what, run] of Object.entries(runs)) t.ok(run.runs > 0, `${what}: ${run.runs} inputs, no failure`);
});
