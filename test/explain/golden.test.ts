// vrrp-explain against captures of real LANs (test/explain/captures, made in network namespaces by
// make-captures.ts with keepalived 2.2.7 and our runner): each explanation must match the checked-in
// text and JSON exactly, and say what the scenario did, in the core's words. Reads only the files.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explainCapture, formatExplanation, type Explanation, type GroupExplanation } from '../../src/explain/index.js';

const captures = join(fileURLToPath(import.meta.url), '../../../../test/explain/captures');
const read = (name: string): Buffer => readFileSync(join(captures, name));
const explain = (name: string): Explanation => explainCapture(read(name));
const onlyGroup = (e: Explanation): GroupExplanation => {
  if (e.groups.length !== 1) throw new Error(`expected one VRID, got ${e.groups.length}`);
  return e.groups[0]!;
};

const files = readdirSync(captures)
  .filter((f) => /\.pcap(ng)?$/.test(f))
  .sort();

t.test('every capture is explained exactly as checked in (text and JSON)', async (t) => {
  t.ok(files.length >= 7, `${files.length} captures`);
  for (const file of files) {
    const stem = file.replace(/\.pcap(ng)?$/, '');
    const explanation = explain(file);
    if (file.endsWith('.pcapng')) continue; // compared with its pcap twin below
    t.equal(formatExplanation(explanation, file), read(`${stem}.txt`).toString('utf8'), `${file}: text`);
    t.same(JSON.parse(JSON.stringify(explanation)), JSON.parse(read(`${stem}.json`).toString('utf8')), `${file}: JSON`);
  }
});

t.test('pcapng gives the same explanation as the pcap it was converted from', async (t) => {
  const pcap = explain('priority0-ipv6.pcap');
  const pcapng = explain('priority0-ipv6.pcapng');
  t.equal(pcapng.format, 'pcapng');
  t.same(pcapng.groups, pcap.groups);
  t.equal(pcapng.startedAt, pcap.startedAt);
});

t.test('keepalived failover (kill -9): the Backup takes over when the core says, after 3 missed adverts', async (t) => {
  const g = onlyGroup(explain('keepalived-failover.pcap'));
  t.same(
    g.elections.map((e) => [e.router, e.cause]),
    [
      ['192.0.2.1', 'no-master-heard'],
      ['192.0.2.2', 'down-timer'],
    ],
  );
  const takeover = g.elections[1]!;
  t.equal(takeover.previous, '192.0.2.1');
  t.ok(
    takeover.expectedMs !== undefined && Math.abs(takeover.atMs - takeover.expectedMs) < 20,
    `first advert ${takeover.atMs} vs the core's ${takeover.expectedMs}`,
  );
  t.match(takeover.text, /3 adverts missed/);
  t.same(
    g.stepDowns.map((s) => [s.router, s.end]),
    [['192.0.2.1', 'silent']],
  );
  t.same(
    g.vipMoves.map((m) => m.router),
    ['192.0.2.1', '192.0.2.2'],
    'the VIP announced by r1, then moved to r2',
  );
  t.same(g.twoMasters, []);
  t.same(g.staleVips, []);
});

t.test('ours failover (kill -9), on Ethernet and on `any` (SLL2, every frame seen on several ports)', async (t) => {
  const ethernet = onlyGroup(explain('ours-failover.pcap'));
  const anyFile = explain('ours-failover-any.pcap');
  const any = onlyGroup(anyFile);
  t.same(anyFile.linkTypes, [276]);
  t.ok(anyFile.tally.duplicates > 0, `${anyFile.tally.duplicates} copies recognised`);
  t.same(ethernet.elections.at(-1)!.cause, 'down-timer');
  t.same(any.elections.at(-1)!.cause, 'down-timer');
  // The `any` capture started later (r1 already Master), so only r2's adverts are all in both.
  t.equal(any.routers[1]!.adverts, ethernet.routers[1]!.adverts, "each of r2's adverts counted once, as on Ethernet");
  t.same(
    any.vipMoves.map((m) => m.router),
    ['192.0.2.1', '192.0.2.2'],
  );
});

t.test('priority-0 handover over IPv6 (ours stopped, keepalived takes over after Skew_Time)', async (t) => {
  const g = onlyGroup(explain('priority0-ipv6.pcap'));
  t.equal(g.family, 6);
  const takeover = g.elections.at(-1)!;
  t.equal(takeover.cause, 'priority-0');
  t.equal(takeover.previous, 'fe80::5eff:fe01:1');
  t.ok(takeover.expectedMs !== undefined && Math.abs(takeover.atMs - takeover.expectedMs) < 20);
  t.same(
    g.stepDowns.map((s) => s.end),
    ['priority-0'],
  );
  t.same(
    g.vipMoves.map((m) => m.how),
    ['unsolicited NA', 'unsolicited NA'],
  );
});

t.test('preemption: keepalived at 200 preempts ours at 100, which steps down at once', async (t) => {
  const g = onlyGroup(explain('preemption.pcap'));
  const preempt = g.elections.at(-1)!;
  t.same([preempt.router, preempt.cause, preempt.previous], ['192.0.2.1', 'preemption', '192.0.2.2']);
  t.same(
    g.stepDowns.map((s) => [s.router, s.reason, s.by]),
    [['192.0.2.2', 'higher-priority-advert', '192.0.2.1']],
  );
  t.same(g.twoMasters, [], 'a hand-over, not two Masters');
});

t.test('two keepalived routers with mismatched v2 intervals', async (t) => {
  const g = onlyGroup(explain('interval-mismatch.pcap'));
  t.same(
    g.disagreements.map((d) => [d.router, d.peer, d.what, d.drops]),
    [
      ['192.0.2.1', '192.0.2.2', 'interval-mismatch', true],
      ['192.0.2.2', '192.0.2.1', 'interval-mismatch', true],
    ],
  );
  const second = g.elections.at(-1)!;
  t.same([second.router, second.cause, second.previous], ['192.0.2.2', 'adverts-dropped', '192.0.2.1']);
  t.match(
    g.stepDowns[0]!.text,
    /stops advertising .* while 192\.0\.2\.1 .* the core drops those adverts \(interval-mismatch/,
  );
  t.same(
    g.staleVips.map((v) => [v.address, v.router]),
    [['192.0.2.50', '192.0.2.2']],
    'the VIP left pointing at the router that stopped',
  );
});

t.test('split brain: VRRP blocked between the two while ARP flows, then healed', async (t) => {
  const g = onlyGroup(explain('split-brain.pcap'));
  const split = g.elections.at(-1)!;
  t.same([split.router, split.cause, split.previous], ['192.0.2.2', 'not-hearing-master', '192.0.2.1']);
  t.equal(g.twoMasters.length, 1);
  t.same(g.twoMasters[0]!.routers, ['192.0.2.1', '192.0.2.2']);
  t.ok(g.twoMasters[0]!.toMs - g.twoMasters[0]!.fromMs > 2000, 'two Masters for seconds');
  t.match(g.twoMasters[0]!.text, /192\.0\.2\.2 would step down .* does not receive them/);
  t.same(
    g.stepDowns.map((s) => [s.router, s.reason]),
    [['192.0.2.2', 'higher-priority-advert']],
    'healed: r2 hears r1 and steps down',
  );
  t.ok(
    new Set(g.vipMoves.map((m) => m.mac)).size === 2 && g.vipMoves.length >= 3,
    'hosts told both MACs for the VIP, back and forth',
  );
});
