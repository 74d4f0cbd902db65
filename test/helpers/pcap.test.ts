// The pcap reader the golden tests stand on: both byte orders, the Linux link types, and damaged files.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, readPcap } from './pcap.js';

const goldenDir = join(fileURLToPath(import.meta.url), '../../../../test/golden');

interface PcapRecord {
  readonly seconds: number;
  readonly fraction: number;
  readonly frame: Uint8Array;
}

/** A classic pcap file in the chosen byte order and timestamp resolution. */
function writePcap(
  linkType: number,
  records: readonly PcapRecord[],
  littleEndian: boolean,
  nanosecond = false,
): Uint8Array {
  const size = 24 + records.reduce((total, r) => total + 16 + r.frame.length, 0);
  const file = new Uint8Array(size);
  const view = new DataView(file.buffer);
  view.setUint32(0, nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, littleEndian);
  view.setUint16(4, 2, littleEndian);
  view.setUint16(6, 4, littleEndian);
  view.setUint32(16, 262144, littleEndian);
  view.setUint32(20, linkType, littleEndian);
  let offset = 24;
  for (const r of records) {
    view.setUint32(offset, r.seconds, littleEndian);
    view.setUint32(offset + 4, r.fraction, littleEndian);
    view.setUint32(offset + 8, r.frame.length, littleEndian);
    view.setUint32(offset + 12, r.frame.length, littleEndian);
    file.set(r.frame, offset + 16);
    offset += 16 + r.frame.length;
  }
  return file;
}

const ipv4Bytes = Uint8Array.of(0x45, 0xc0, 0, 20, 0, 1, 0, 0, 255, 112, 0, 0, 192, 0, 2, 1, 224, 0, 0, 18);
const ipv6Bytes = Uint8Array.of(0x60, ...new Array(39).fill(0));
const macs = [1, 0, 0x5e, 0, 0, 0x12, 2, 0, 0x5e, 0, 0xc0, 1];

const ethernet = (etherType: number, payload: Uint8Array) =>
  Uint8Array.of(...macs, etherType >> 8, etherType & 0xff, ...payload);

t.test('reads the committed keepalived capture as tshark numbers it', async (t) => {
  const result = readPcap(readFileSync(join(goldenDir, 'v2-ipv4.pcap')));
  t.equal(result.error, undefined);
  t.equal(result.linkType, LINKTYPE_ETHERNET);
  t.same(
    result.packets.map((p) => p.frameNumber),
    [1, 2, 3, 4],
  );
  t.equal(result.packets[0]!.ip[0], 0x45, 'IP packet starts after the Ethernet header');
  t.equal(result.packets[0]!.destinationMac, '01:00:5e:00:00:12');
  t.equal(result.packets[0]!.sourceMac, '02:00:5e:00:c0:01');
});

t.test('both byte orders and both timestamp resolutions', async (t) => {
  for (const littleEndian of [true, false]) {
    for (const nanosecond of [false, true]) {
      const fraction = nanosecond ? 123456789 : 123456;
      const file = writePcap(
        LINKTYPE_ETHERNET,
        [{ seconds: 1700000000, fraction, frame: ethernet(0x0800, ipv4Bytes) }],
        littleEndian,
        nanosecond,
      );
      const result = readPcap(file);
      const label = `${littleEndian ? 'little' : 'big'} endian, ${nanosecond ? 'ns' : 'us'}`;
      t.equal(result.error, undefined, label);
      t.equal(result.packets.length, 1, label);
      t.equal(result.packets[0]!.timeSeconds, 1700000000, label);
      t.equal(result.packets[0]!.timeFractionNs, nanosecond ? 123456789 : 123456000, label);
      t.same(Array.from(result.packets[0]!.ip), Array.from(ipv4Bytes), label);
    }
  }
});

t.test('Linux cooked SLL, SLL2 and raw IP frames', async (t) => {
  const sll = Uint8Array.of(0, 0, 0, 1, 0, 6, ...macs.slice(6), 0, 0, 0x86, 0xdd, ...ipv6Bytes);
  const sll2 = Uint8Array.of(0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, ...macs.slice(6), 0, 0, ...ipv4Bytes);
  const cases: Array<[string, number, Uint8Array, Uint8Array]> = [
    ['SLL', LINKTYPE_LINUX_SLL, sll, ipv6Bytes],
    ['SLL2', LINKTYPE_LINUX_SLL2, sll2, ipv4Bytes],
    ['raw', LINKTYPE_RAW, ipv4Bytes, ipv4Bytes],
  ];
  for (const [name, linkType, frame, ip] of cases) {
    const result = readPcap(writePcap(linkType, [{ seconds: 1, fraction: 0, frame }], true));
    t.equal(result.error, undefined, name);
    t.same(
      result.packets.map((p) => Array.from(p.ip)),
      [Array.from(ip)],
      name,
    );
  }
});

t.test('802.1Q tags are stepped over; frames without IP are skipped and counted', async (t) => {
  const tagged = Uint8Array.of(...macs, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00, ...ipv4Bytes);
  const arp = ethernet(0x0806, new Uint8Array(28));
  const result = readPcap(
    writePcap(
      LINKTYPE_ETHERNET,
      [
        { seconds: 1, fraction: 0, frame: arp },
        { seconds: 2, fraction: 0, frame: tagged },
        { seconds: 3, fraction: 0, frame: Uint8Array.of(1, 2, 3) },
      ],
      true,
    ),
  );
  t.equal(result.error, undefined);
  t.equal(result.skippedFrames, 2);
  t.same(
    result.packets.map((p) => p.frameNumber),
    [2],
  );
  t.same(Array.from(result.packets[0]!.ip), Array.from(ipv4Bytes));
});

t.test('damaged files return what was read and an error, never throw', async (t) => {
  const good = writePcap(
    LINKTYPE_ETHERNET,
    [
      { seconds: 1, fraction: 0, frame: ethernet(0x0800, ipv4Bytes) },
      { seconds: 2, fraction: 0, frame: ethernet(0x86dd, ipv6Bytes) },
    ],
    true,
  );
  const firstRecordEnd = 24 + 16 + 14 + ipv4Bytes.length;

  const cutInHeader = readPcap(good.subarray(0, firstRecordEnd + 7));
  t.equal(cutInHeader.packets.length, 1);
  t.match(cutInHeader.error, /frame 2: record header cut short/);

  const cutInData = readPcap(good.subarray(0, good.length - 1));
  t.equal(cutInData.packets.length, 1);
  t.match(cutInData.error, /frame 2: 54 bytes announced, 53 left/);

  t.match(readPcap(good.subarray(0, 10)).error, /pcap header needs 24/);
  t.match(readPcap(new Uint8Array(24).fill(0x0a)).error, /not a classic pcap file \(magic 0x0a0a0a0a\)/);
  t.match(readPcap(writePcap(105, [], true)).error, /unsupported link type 105/);

  // Every prefix of a real capture, and random damage to it, is handled without an exception.
  const real = readFileSync(join(goldenDir, 'v3-ipv6.pcap'));
  for (let length = 0; length <= real.length; length++) {
    const result = readPcap(real.subarray(0, length));
    if (length < real.length && length > 24 && result.error === undefined) {
      // A prefix ending exactly on a record boundary is a complete, shorter file.
      t.ok(result.packets.length < 4, `prefix ${length} read as a shorter file`);
    }
  }
  const damaged = Uint8Array.from(real, (byte, i) => (i >= 24 && (i - 24) % 7 === 0 ? byte ^ 0xff : byte));
  t.doesNotThrow(() => readPcap(damaged));
});
