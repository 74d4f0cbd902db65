// The capture reader and frame decoding under hostile input (truncated, damaged and random files: a clear
// error, never a crash or a hang), pcapng's variants (byte order, timestamp resolution, several
// interfaces), and Linux cooked SLL / SLL2 frames explained as their Ethernet originals are.
// Fuzz budget: FUZZ_SECONDS (test/fuzz/README.md), replay with FUZZ_SEED.
import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureFormatError, explainCapture, readCaptureFile, type CaptureFrame } from '../../src/explain/index.js';
import { fuzz, fuzzBudgetMs, fuzzSeed } from '../fuzz/budget.js';

const captures = join(fileURLToPath(import.meta.url), '../../../../test/explain/captures');
const pcap = new Uint8Array(readFileSync(join(captures, 'keepalived-failover.pcap')));
const pcapng = new Uint8Array(readFileSync(join(captures, 'priority0-ipv6.pcapng')));

/** Explains `bytes`: the explanation, or the CaptureFormatError message; anything else thrown fails the test. */
function survive(bytes: Uint8Array): string {
  try {
    const e = explainCapture(bytes);
    return `${e.frames} frames${e.readError === undefined ? '' : `, error: ${e.readError}`}`;
  } catch (error) {
    if (error instanceof CaptureFormatError) return `not a capture: ${error.message}`;
    throw error;
  }
}

/** A classic little-endian microsecond pcap of `frames`. */
function writePcap(
  linkType: number,
  frames: readonly { seconds: number; micros: number; data: Uint8Array }[],
): Uint8Array {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(linkType, 20);
  const records = frames.map((f) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(f.seconds, 0);
    record.writeUInt32LE(f.micros, 4);
    record.writeUInt32LE(f.data.length, 8);
    record.writeUInt32LE(f.data.length, 12);
    return Buffer.concat([record, f.data]);
  });
  return new Uint8Array(Buffer.concat([header, ...records]));
}

/** One pcapng block in the given byte order: type, length, body padded to 4, length again. */
function block(type: number, body: Buffer, bigEndian: boolean): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const out = Buffer.alloc(12 + padded.length);
  const write = (value: number, offset: number) =>
    bigEndian ? out.writeUInt32BE(value, offset) : out.writeUInt32LE(value, offset);
  write(type, 0);
  write(out.length, 4);
  padded.copy(out, 8);
  write(out.length, out.length - 4);
  return out;
}

t.test('every truncation of a pcap and a pcapng file reads what is there and says where it ends', async (t) => {
  for (const [name, file] of [
    ['pcap', pcap],
    ['pcapng', pcapng],
  ] as const) {
    const full = readCaptureFile(file).frames.length;
    let errors = 0;
    for (let length = 0; length <= file.length; length++) {
      const verdict = survive(file.subarray(0, length));
      if (verdict.includes('error:')) errors++;
      if (length === file.length) t.equal(verdict, `${full} frames`, `${name}: the whole file`);
    }
    t.ok(errors > file.length / 2, `${name}: ${errors} cuts reported as damaged, none thrown`);
  }
  t.match(survive(pcap.subarray(0, 3)), /^not a capture: 3 bytes/);
  t.match(survive(pcap.subarray(0, 30)), /^0 frames, error: frame 1: record header cut short/);
});

t.test('not a capture: a clear error', async (t) => {
  t.throws(() => readCaptureFile(new TextEncoder().encode('hello, this is text')), {
    message: /not a pcap or pcapng file \(starts with 0x68656c6c\)/,
  });
  const badSection = Buffer.concat([block(0x0a0d0d0a, Buffer.alloc(16), false)]);
  t.throws(() => readCaptureFile(badSection), {
    message: /not a pcapng file: section header at byte 0 has no byte-order magic/,
  });
});

t.test('damaged pcap records: implausible lengths and timestamps stop the reading with a reason', async (t) => {
  const frames = [
    { seconds: 1, micros: 0, data: new Uint8Array(60) },
    { seconds: 2, micros: 0, data: new Uint8Array(60) },
  ];
  const good = writePcap(1, frames);
  const huge = Buffer.from(good);
  huge.writeUInt32LE(0x7fffffff, 24 + 16 + 60 + 8);
  t.match(readCaptureFile(huge), {
    frames: { length: 1 },
    error: /frame 2: captured length 2147483647 is not plausible/,
  });
  const badFraction = Buffer.from(good);
  badFraction.writeUInt32LE(2_000_000, 24 + 4);
  t.match(readCaptureFile(badFraction), {
    frames: { length: 0 },
    error: /frame 1: timestamp fraction 2000000 out of range/,
  });
});

t.test('hostile pcapng blocks: each stops the reading with a reason, the frames before kept', async (t) => {
  const shb = (bigEndian: boolean): Buffer => {
    const body = Buffer.alloc(16);
    if (bigEndian) body.writeUInt32BE(0x1a2b3c4d, 0);
    else body.writeUInt32LE(0x1a2b3c4d, 0);
    body.writeUInt16LE(1, 4);
    body.writeInt32LE(-1, 8);
    body.writeInt32LE(-1, 12);
    return block(0x0a0d0d0a, body, bigEndian);
  };
  const idb = block(1, Buffer.from([1, 0, 0, 0, 0, 0, 4, 0]), false);
  const epb = (iface: number, captured: number, data: Buffer): Buffer => {
    const head = Buffer.alloc(20);
    head.writeUInt32LE(iface, 0);
    head.writeUInt32LE(0, 4);
    head.writeUInt32LE(1_000_000, 8);
    head.writeUInt32LE(captured, 12);
    head.writeUInt32LE(captured, 16);
    return block(6, Buffer.concat([head, data]), false);
  };
  const good = epb(0, 60, Buffer.alloc(60));
  const cases: [string, Buffer, RegExp][] = [
    [
      'zero block length',
      Buffer.concat([shb(false), idb, good, Buffer.from([6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
      /length 0 is not a block length/,
    ],
    [
      'length not a multiple of 4',
      Buffer.concat([shb(false), idb, good, Buffer.from([6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
      /length 13 is not a block length/,
    ],
    [
      'length beyond the file',
      Buffer.concat([shb(false), idb, good, Buffer.from([6, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])]),
      /256 bytes announced, 12 left/,
    ],
    [
      'trailing length differs',
      Buffer.concat([shb(false), idb, good, Buffer.from([6, 0, 0, 0, 12, 0, 0, 0, 16, 0, 0, 0])]),
      /trailing length does not match 12/,
    ],
    [
      'packet on an undescribed interface',
      Buffer.concat([shb(false), idb, good, epb(3, 60, Buffer.alloc(60))]),
      /interface 3, which no interface block described/,
    ],
    [
      'captured length beyond the block',
      Buffer.concat([shb(false), idb, good, epb(0, 500, Buffer.alloc(60))]),
      /500 bytes announced, 60 in the block/,
    ],
  ];
  for (const [what, file, reason] of cases) {
    const read = readCaptureFile(file);
    t.equal(read.frames.length, 1, `${what}: the good frame kept`);
    t.match(read.error ?? '', reason, `${what}: ${read.error}`);
  }
});

t.test('pcapng: big-endian section, nanosecond and binary resolutions, two link types', async (t) => {
  // The first advert of the Ethernet capture, and the same IP packet in a Linux cooked SLL2 frame.
  const ethernet = Buffer.from(
    readCaptureFile(pcap).frames.find((f) => f.data.length > 14 && f.data[23] === 112)!.data,
  );
  const sll2 = Buffer.concat([
    Buffer.from([0x08, 0x00, 0, 0, 0, 0, 0, 7, 0, 1, 0, 6]),
    ethernet.subarray(6, 12),
    Buffer.alloc(2),
    ethernet.subarray(14),
  ]);
  const be = (values: [number, number][]): Buffer =>
    Buffer.concat(
      values.map(([v, size]) => {
        const b = Buffer.alloc(size);
        if (size === 2) b.writeUInt16BE(v);
        else b.writeUInt32BE(v);
        return b;
      }),
    );
  const shb = block(
    0x0a0d0d0a,
    Buffer.concat([
      be([
        [0x1a2b3c4d, 4],
        [1, 2],
        [0, 2],
      ]),
      Buffer.alloc(8, 0xff),
    ]),
    true,
  );
  // Interface 0: Ethernet, if_tsresol 9 (ns). Interface 1: SLL2, if_tsresol 0x94 (2^-20 s).
  const idb0 = block(
    1,
    Buffer.concat([
      be([
        [1, 2],
        [0, 2],
        [0, 4],
        [9, 2],
        [1, 2],
      ]),
      Buffer.from([9, 0, 0, 0]),
      be([
        [0, 2],
        [0, 2],
      ]),
    ]),
    true,
  );
  const idb1 = block(
    1,
    Buffer.concat([
      be([
        [276, 2],
        [0, 2],
        [0, 4],
        [9, 2],
        [1, 2],
      ]),
      Buffer.from([0x94, 0, 0, 0]),
      be([
        [0, 2],
        [0, 2],
      ]),
    ]),
    true,
  );
  const epb = (iface: number, units: bigint, data: Buffer): Buffer =>
    block(
      6,
      Buffer.concat([
        be([
          [iface, 4],
          [Number(units >> 32n), 4],
          [Number(units & 0xffffffffn), 4],
          [data.length, 4],
          [data.length, 4],
        ]),
        data,
      ]),
      true,
    );
  const file = Buffer.concat([
    shb,
    idb0,
    idb1,
    epb(0, 1_700_000_000_123_456_789n, ethernet),
    epb(1, (1_700_000_001n << 20n) + (1n << 19n), sll2),
  ]);
  const read = readCaptureFile(file);
  t.equal(read.error, undefined);
  t.same(read.linkTypes, [1, 276]);
  t.same(
    read.frames.map((f: CaptureFrame) => [f.linkType, f.seconds, f.nanoseconds]),
    [
      [1, 1_700_000_000, 123_456_789],
      [276, 1_700_000_001, 500_000_000],
    ],
  );
  const explained = explainCapture(file);
  t.same(
    explained.groups[0]!.routers.map((r) => [r.address, r.adverts, r.macs]),
    [['192.0.2.1', 2, ['02:00:5e:01:00:01']]],
    'both frames decoded, MAC from either link layer',
  );
});

t.test('Linux cooked SLL and SLL2 frames explain as their Ethernet originals', async (t) => {
  const original = explainCapture(pcap);
  const frames = readCaptureFile(pcap).frames;
  const asRecords = (rewrite: (ethernet: Uint8Array) => Uint8Array) =>
    frames.map((f) => ({ seconds: f.seconds, micros: Math.floor(f.nanoseconds / 1000), data: rewrite(f.data) }));
  const sll = writePcap(
    113,
    asRecords(
      (e) =>
        new Uint8Array(
          Buffer.concat([
            Buffer.from([0, 0, 0, 1, 0, 6]),
            Buffer.from(e.subarray(6, 12)),
            Buffer.alloc(2),
            Buffer.from(e.subarray(12)),
          ]),
        ),
    ),
  );
  const sll2 = writePcap(
    276,
    asRecords(
      (e) =>
        new Uint8Array(
          Buffer.concat([
            Buffer.from(e.subarray(12, 14)),
            Buffer.from([0, 0, 0, 0, 0, 3, 0, 1, 0, 6]),
            Buffer.from(e.subarray(6, 12)),
            Buffer.alloc(2),
            Buffer.from(e.subarray(14)),
          ]),
        ),
    ),
  );
  for (const [name, file] of [
    ['SLL', sll],
    ['SLL2', sll2],
  ] as const) {
    const explained = explainCapture(file);
    t.same(explained.groups, original.groups, `${name}: same routers, periods, elections and VIP moves`);
  }
});

t.test('fuzzed files: random bytes behind a capture header, and damaged real captures', async (t) => {
  const seed = fuzzSeed();
  const budget = fuzzBudgetMs(5);
  const headers = [pcap.subarray(0, 24), pcapng.subarray(0, 28)];
  const randomTail = fc
    .tuple(fc.constantFrom(...headers), fc.uint8Array({ maxLength: 600 }))
    .map(([head, tail]) => new Uint8Array([...head, ...tail]));
  const damaged = fc
    .tuple(
      fc.constantFrom(pcap, pcapng),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(),
    )
    .map(([file, edits, cut]) => {
      const copy = new Uint8Array(file);
      for (const [at, value] of edits) copy[at % copy.length] = value;
      return copy.subarray(0, copy.length - (cut % 64));
    });
  survive(pcap); // compiled once before timing starts
  let slowest = 0;
  const run = fuzz(
    fc.property(fc.oneof(randomTail, damaged), (bytes) => {
      const started = performance.now();
      survive(bytes);
      slowest = Math.max(slowest, performance.now() - started);
      if (slowest > 2000) throw new Error(`${bytes.length} bytes took ${slowest.toFixed(0)} ms`);
    }),
    budget,
    seed,
  );
  t.ok(
    run.runs > 100,
    `${run.runs} files (seed ${seed}), slowest ${slowest.toFixed(1)} ms, nothing thrown but CaptureFormatError`,
  );
});
