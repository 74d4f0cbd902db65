// vrrp-explain on captures written here, frame by frame, with the real encoder (src/wire encodeAdvert):
// the stories the namespace captures do not tell (peers that disagree on version, VIPs, password and
// checksum form, an address tie-break, late adverts, a codec-refused peer, a host claiming a VIP).
import t from 'tap';
import { encodeAdvert, passwordToAuthData } from '../../src/wire/codec.js';
import { parseAddress } from '../../src/wire/address.js';
import { explainCapture, type GroupExplanation } from '../../src/explain/index.js';

interface Frame {
  readonly atMs: number;
  readonly bytes: Uint8Array;
}

const macOf = (source: string): Uint8Array => Uint8Array.of(2, 0, 0x5e, 1, 0, Number(source.split('.').at(-1)));

function ethernet(mac: Uint8Array, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(14 + payload.length);
  frame.set([1, 0, 0x5e, 0, 0, 0x12], 0);
  frame.set(mac, 6);
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
  frame.set(payload, 14);
  return frame;
}

interface AdvertSpec {
  readonly atMs: number;
  readonly source: string;
  readonly version?: 2 | 3;
  readonly vrid?: number;
  readonly priority: number;
  readonly intervalCs?: number;
  readonly addresses?: readonly string[];
  readonly password?: string;
  readonly pseudoHeader?: boolean;
  readonly corrupt?: boolean;
}

/** An IPv4 VRRP advert in an Ethernet frame, to 224.0.0.18 with TTL 255. */
function advert(spec: AdvertSpec): Frame {
  const version = spec.version ?? 2;
  const vrrp = encodeAdvert(
    {
      version,
      vrid: spec.vrid ?? 7,
      priority: spec.priority,
      advertIntervalCs: spec.intervalCs ?? 100,
      addresses: spec.addresses ?? ['192.0.2.7'],
      ...(spec.password === undefined ? {} : { authType: 1, authData: passwordToAuthData(spec.password) }),
    },
    {
      family: 4,
      sourceAddress: spec.source,
      destinationAddress: '224.0.0.18',
      v3Ipv4PseudoHeader: spec.pseudoHeader ?? true,
    },
  );
  if (spec.corrupt) vrrp[6] = vrrp[6]! ^ 0xff;
  const ip = new Uint8Array(20 + vrrp.length);
  ip.set([0x45, 0xc0, (ip.length >> 8) & 0xff, ip.length & 0xff, 0, 0, 0, 0, 255, 112, 0, 0]);
  ip.set(parseAddress(spec.source, 4)!.bytes, 12);
  ip.set([224, 0, 0, 18], 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (ip[i]! << 8) | ip[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  ip[10] = checksum >> 8;
  ip[11] = checksum & 0xff;
  ip.set(vrrp, 20);
  return { atMs: spec.atMs, bytes: ethernet(macOf(spec.source), 0x0800, ip) };
}

/** A gratuitous ARP request for `address` from `mac`. */
function garp(atMs: number, address: string, mac: Uint8Array): Frame {
  const arp = new Uint8Array(28);
  arp.set([0, 1, 8, 0, 6, 4, 0, 1]);
  arp.set(mac, 8);
  arp.set(parseAddress(address, 4)!.bytes, 14);
  arp.set(parseAddress(address, 4)!.bytes, 24);
  return { atMs, bytes: ethernet(mac, 0x0806, arp) };
}

/** Adverts every `everyMs` from `fromMs` until before `toMs`. */
function every(fromMs: number, toMs: number, everyMs: number, spec: Omit<AdvertSpec, 'atMs'>): Frame[] {
  const frames: Frame[] = [];
  for (let at = fromMs; at < toMs; at += everyMs) frames.push(advert({ ...spec, atMs: at }));
  return frames;
}

function capture(frames: readonly Frame[]): readonly GroupExplanation[] {
  const sorted = [...frames].sort((a, b) => a.atMs - b.atMs);
  const parts: Buffer[] = [
    Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]),
  ];
  for (const frame of sorted) {
    const record = Buffer.alloc(16);
    const micros = Math.round(frame.atMs * 1000) + 1_000_000;
    record.writeUInt32LE(1_700_000_000 + Math.floor(micros / 1e6), 0);
    record.writeUInt32LE(micros % 1e6, 4);
    record.writeUInt32LE(frame.bytes.length, 8);
    record.writeUInt32LE(frame.bytes.length, 12);
    parts.push(record, Buffer.from(frame.bytes));
  }
  return explainCapture(Buffer.concat(parts)).groups;
}

t.test('peers that disagree: version, VIP list, password, checksum form, as the core judges them', async (t) => {
  const [v2] = capture([
    ...every(0, 3000, 1000, { source: '192.0.2.1', priority: 200, password: 'secret12' }),
    ...every(500, 3000, 1000, { source: '192.0.2.2', priority: 100, password: 'other' }),
    ...every(600, 3000, 1000, {
      source: '192.0.2.3',
      priority: 90,
      password: 'secret12',
      addresses: ['192.0.2.7', '192.0.2.8'],
    }),
  ]);
  const said = v2!.disagreements.map((d) => `${d.router} ${d.peer} ${d.what} ${d.drops}`);
  t.ok(said.includes('192.0.2.1 192.0.2.2 auth-data-mismatch true'), said.join('\n'));
  t.ok(said.includes('192.0.2.1 192.0.2.3 address-list-mismatch false'), 'a VIP list is only logged');
  t.same(
    v2!.routers.map((r) => r.authentication),
    ['pass "secret12"', 'pass "other"', 'pass "secret12"'],
  );

  const [mixed] = capture([
    ...every(0, 3000, 1000, { source: '192.0.2.1', version: 3, priority: 200 }),
    ...every(300, 3000, 1000, { source: '192.0.2.2', version: 3, priority: 100, pseudoHeader: false }),
    ...every(400, 3000, 1000, { source: '192.0.2.4', version: 2, priority: 100 }),
  ]);
  const mixedSaid = mixed!.disagreements.map((d) => `${d.router} ${d.peer} ${d.what}`);
  t.ok(mixedSaid.includes('192.0.2.1 192.0.2.4 version-mismatch'), mixedSaid.join('\n'));
  t.ok(mixedSaid.includes('192.0.2.2 * checksum-form'), 'the RFC 9568 checksum form named');
  t.same(mixed!.routers.find((r) => r.address === '192.0.2.2')!.checksumForms, ['v3-no-pseudo-header']);
});

t.test('an address tie-break: both take over at once at equal priority, the lower address steps down', async (t) => {
  // The capture starts at 0 with nothing advertised; both down timers (3.414 s at priority 150) have
  // run out when the two send their first adverts 5 ms apart; 192.0.2.1 then falls silent.
  const [g] = capture([
    garp(0, '192.0.2.200', macOf('192.0.2.200')),
    advert({ atMs: 4000, source: '192.0.2.1', priority: 150 }),
    ...every(4005, 8000, 1000, { source: '192.0.2.9', priority: 150 }),
  ]);
  const down = g!.stepDowns.find((s) => s.router === '192.0.2.1');
  t.equal(down?.reason, 'tie-break-lost', down?.text ?? 'no step-down');
  t.equal(down?.by, '192.0.2.9');
  t.same(
    g!.elections.map((e) => [e.router, e.cause]),
    [
      ['192.0.2.1', 'no-master-heard'],
      ['192.0.2.9', 'address-tie-break'],
    ],
  );
});

t.test('late adverts: a Master that skips one is late by an interval; a steady one is not', async (t) => {
  const steady = every(0, 6000, 1000, { source: '192.0.2.1', priority: 200 });
  const [g] = capture([...steady.slice(0, 3), ...steady.slice(4)]);
  t.same(
    g!.late.map((l) => [l.router, l.gapMs, l.intervalMs]),
    [['192.0.2.1', 2000, 1000]],
  );
  t.same(g!.periods.length, 1, 'one skipped advert does not end its Master period');
});

t.test('refused adverts and a host claiming the VIP', async (t) => {
  const [g] = capture([
    ...every(0, 3000, 1000, { source: '192.0.2.1', priority: 200 }),
    garp(10, '192.0.2.7', macOf('192.0.2.1')),
    advert({ atMs: 1500, source: '192.0.2.5', priority: 100, corrupt: true }),
    garp(2500, '192.0.2.7', Uint8Array.of(2, 0, 0, 0, 0, 0x99)),
  ]);
  t.same(
    g!.refused.map((r) => [r.source, r.reason, r.count]),
    [['192.0.2.5', 'bad-checksum', 1]],
  );
  const conflict = g!.vipMoves.at(-1)!;
  t.equal(conflict.router, undefined);
  t.match(conflict.text, /02:00:00:00:00:99 \(no router of this VRID advertises from it\)/);
  t.match(g!.staleVips[0]?.text ?? '', /points hosts at 02:00:00:00:00:99; the Master now is 192\.0\.2\.1/);
});

t.test('a flood of spoofed sources: explained, only the busiest compared pairwise', async (t) => {
  const sources = [
    ...Array.from({ length: 200 }, (_, i) => `192.0.2.${i + 1}`),
    ...Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`),
  ];
  const started = performance.now();
  const [g] = capture([
    ...every(0, 3000, 1000, { source: '192.0.2.250', priority: 200 }),
    ...sources.map((source, i) => advert({ atMs: 100 + i * 5, source, priority: 100 })),
  ]);
  const tookMs = performance.now() - started;
  t.equal(g!.routers.length, 301);
  t.equal(g!.routersNotCompared, 301 - 64, 'the 64 busiest compared');
  t.ok(g!.elections.length > 300, `${g!.elections.length} elections explained in ${tookMs.toFixed(0)} ms`);
});
