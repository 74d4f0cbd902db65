// Hostile input: a client floods the LAN with invalid VRRP packets (bench/lan/flood.c: wrong TTL, bad
// checksum, bad version, bad type, truncated, random bytes; the advert-shaped ones carry the routers'
// VRID and priority 254 by default, above the Master's 200, so one taken for valid moves the Master) while r1 (priority 200, Master) and r2 (priority 100) run at 100 ms adverts (VRRPv3),
// keepalived 2.2.7 and ours side by side.
//
// Measured: packets/s offered (the client's bridge port), packets/s that reached r1's eth0, r1's
// inter-advert gaps during the flood (bridge capture filtered to the routers' MACs in the kernel, so
// the flood is not captured), whether r2 ever became Master (its log and its adverts on the wire),
// kernel drops on the routers' raw VRRP sockets (/proc/net/raw), and for ours the drop counters by
// reason from the runner's `dropped` log lines. Both routers log to a file (see FileRouter in common.ts) (rate-limited to one a second per reason, each with
// the running total; read 1.5 s after the flood ends).
// Run as root: node dist/bench/lan/hostile.js [--duration 30] [--rate 0]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { holdersOf, waitUntil } from '../../test/netns/observe.js';
import {
  BridgeTap, FileRouter, gapsOf, linkStats, machineNote, ms, parseFlags, printTable, progress, rawSocketDrops, requireLab,
  sleep, startHelper, summarize, v3Spec, withLan, type Impl,
} from './common.js';

const flags = parseFlags('invalid-VRRP flood against a Master and a Backup at 100 ms adverts (needs root, keepalived, cc)', {
  duration: { default: '30', help: 'flood duration, seconds' },
  rate: { default: '0', help: 'packets/s the flooder tries to send; 0 = as fast as it can' },
  'interval-cs': { default: '10', help: 'advert interval in centiseconds (VRRPv3)' },
  kinds: { default: 'wrong-ttl,bad-checksum,bad-version,bad-type,truncated,random', help: 'kinds of invalid packet, sent in turn' },
  priority: { default: '254', help: 'priority field of the advert-shaped invalid packets (above the Master\'s 200 by default)' },
  'keepalived-log': { default: 'file', help: "file: keepalived -l -D into a file (one line per invalid packet); none: no log at all" },
});
requireLab(['cc']);
console.log(machineNote());

const VRID = 51;
const VIP = '198.51.100.51';
const SOURCE = fileURLToPath(new URL('../../../bench/lan/flood.c', import.meta.url));
const buildDir = mkdtempSync(join(tmpdir(), 'vrrp-flood-'));
const FLOOD = join(buildDir, 'flood');
execFileSync('cc', ['-O2', '-o', FLOOD, SOURCE]);
process.on('exit', () => rmSync(buildDir, { recursive: true, force: true }));

interface Outcome {
  readonly impl: Impl;
  readonly seconds: number;
  readonly flood: { sent: number; seconds: number; errors: number; byKind: Record<string, number> };
  readonly offeredPps: number;
  readonly reachedR1Pps: number;
  readonly r1RxDropped: number;
  readonly gapsBefore: number[];
  readonly gapsDuring: number[];
  readonly r2MasterEntries: number;
  readonly r2AdvertsOnWire: number;
  readonly socketDrops: { r1: number; r2: number };
  readonly tcpdumpDrops: number;
  /** Ours: per node, reason -> running total from the last `dropped` line. */
  readonly dropCounters: Map<string, number>;
  /** keepalived: its log lines during the flood (it logs some invalid packets). */
  readonly logLines: { r1: number; r2: number };
}

function dropCounters(p: FileRouter, node: string): Map<string, number> {
  const out = new Map<string, number>();
  if (p.impl !== 'ours') return out;
  for (const line of p.grep('"event":"dropped"')) {
    const e = JSON.parse(line) as Record<string, unknown>;
    const key = `${node} ${String(e['router'] ?? `interface ${String(e['interface'])}`)} ${String(e['reason'])}`;
    out.set(key, Math.max(out.get(key) ?? 0, Number(e['count'])));
  }
  return out;
}

async function scenario(impl: Impl, durationS: number, rate: number, intervalCs: number): Promise<Outcome> {
  return withLan('hs', 2, async (h, scope) => {
    const r1mac = h.node('r1').mac;
    const r2mac = h.node('r2').mac;
    const tap = await BridgeTap.start(h, scope, `ip proto 112 and (ether src ${r1mac} or ether src ${r2mac})`);
    const quiet = impl === 'keepalived' && flags['keepalived-log'] === 'none';
    const r1 = new FileRouter(scope, h, impl, 'r1', [v3Spec(VRID, 200, intervalCs, VIP, 'VI_1')], quiet);
    const r2 = new FileRouter(scope, h, impl, 'r2', [v3Spec(VRID, 100, intervalCs, VIP, 'VI_1')], quiet);
    if (quiet) {
      // No log to read: r1 holds the VIP once Master; r2 has had time to settle as Backup after that.
      await waitUntil(async () => ((await holdersOf(h.lan, VIP)).join() === 'r1' ? true : undefined), 20_000, 'the VIP on r1 only');
    } else {
      if (!(await r1.waitForCount('Master', 1, 20_000))) throw new Error(`${impl}: r1 not Master within 20 s`);
      if (!(await r2.waitForCount('Backup', 1, 20_000))) throw new Error(`${impl}: r2 not Backup within 20 s`);
    }
    const before0 = Date.now();
    await sleep(3000);
    progress(`${impl}: flooding for ${durationS} s`);
    const br = h.lan.bridgeNamespace;
    const pc0 = linkStats(br, 'pc').rxPackets;
    const r1Link0 = linkStats(h.node('r1').namespace, 'eth0');
    const drops0 = { r1: rawSocketDrops(h, 'r1'), r2: rawSocketDrops(h, 'r2') };
    const lines0 = { r1: r1.lineCount(), r2: r2.lineCount() };
    const r2Master0 = r2.masterEntries();
    const t0 = Date.now();
    const flood = startHelper(scope, 'flood', h.lan.client.namespace, FLOOD, ['eth0', String(VRID), VIP, String(rate), String(durationS), flags.kinds, flags.priority]);
    await flood.exited;
    const t1 = Date.now();
    const pc1 = linkStats(br, 'pc').rxPackets;
    const r1Link1 = linkStats(h.node('r1').namespace, 'eth0');
    const drops1 = { r1: rawSocketDrops(h, 'r1'), r2: rawSocketDrops(h, 'r2') };
    const report = flood.lines.find((l) => l.text.startsWith('{'));
    if (report === undefined) throw new Error(`flooder printed no report:\n${flood.tail(5)}`);
    await sleep(1500); // the runner's rate-limited drop lines carry totals up to at most 1 s ago
    const tcpdumpDrops = await tap.stop();
    const adverts = tap.adverts();
    const seconds = (t1 - t0) / 1000;
    return {
      impl,
      seconds,
      flood: JSON.parse(report.text) as Outcome['flood'],
      offeredPps: (pc1 - pc0) / seconds,
      reachedR1Pps: (r1Link1.rxPackets - r1Link0.rxPackets) / seconds,
      r1RxDropped: r1Link1.rxDropped - r1Link0.rxDropped,
      gapsBefore: gapsOf(adverts, r1mac, VRID, before0, t0),
      gapsDuring: gapsOf(adverts, r1mac, VRID, t0, t1),
      r2MasterEntries: quiet ? NaN : r2.masterEntries() - r2Master0,
      r2AdvertsOnWire: adverts.filter((a) => a.mac === r2mac && a.priority !== 0 && a.timeMs >= t0 && a.timeMs <= t1 + 1500).length,
      socketDrops: { r1: drops1.r1 - drops0.r1, r2: drops1.r2 - drops0.r2 },
      tcpdumpDrops,
      dropCounters: new Map([...dropCounters(r1, 'r1'), ...dropCounters(r2, 'r2')]),
      logLines: { r1: r1.lineCount() - lines0.r1, r2: r2.lineCount() - lines0.r2 },
    };
  });
}

const outcomes: Outcome[] = [];
for (const impl of flags.impls) {
  outcomes.push(await scenario(impl, Number(flags.duration), Number(flags.rate), Number(flags['interval-cs'])));
}

printTable(
  `Invalid-VRRP flood (${flags.kinds}; priority ${flags.priority}), ${flags.duration} s, keepalived log: ${flags['keepalived-log']}, adverts every ${Number(flags['interval-cs']) * 10} ms (r1 Master priority 200, r2 Backup 100)`,
  outcomes.map((o) => {
    const before = summarize(o.gapsBefore);
    const during = summarize(o.gapsDuring);
    return [
      o.impl, (o.flood.sent / o.flood.seconds).toFixed(0), o.offeredPps.toFixed(0), o.reachedR1Pps.toFixed(0),
      ms(before.max), ms(during.median), ms(during.p99), ms(during.max), String(during.n),
      o.r2MasterEntries > 0 || o.r2AdvertsOnWire > 0 ? `YES (${Number.isNaN(o.r2MasterEntries) ? 'no log' : `${o.r2MasterEntries} log`}, ${o.r2AdvertsOnWire} adverts)` : 'no',
      `${o.socketDrops.r1} / ${o.socketDrops.r2}`, String(o.r1RxDropped), String(o.tcpdumpDrops),
    ];
  }),
  ['impl', 'flood sent/s', 'offered/s (bridge)', 'reached r1/s', 'gap max before', 'gap p50', 'gap p99', 'gap max', 'adverts', 'r2 took over', 'socket drops r1/r2', 'r1 eth0 rx dropped', 'tcpdump drops'],
);
for (const o of outcomes) {
  console.log(`\n${o.impl}: flood by kind ${JSON.stringify(o.flood.byKind)}, send errors ${o.flood.errors}; log lines during the flood r1 ${o.logLines.r1}, r2 ${o.logLines.r2}`);
  if (o.dropCounters.size > 0) {
    printTable(`${o.impl}: drop counters by reason (runner's dropped lines, last total per reason)`, [...o.dropCounters].map(([k, v]) => [k, String(v)]), ['node, router or interface, reason', 'count']);
  }
}
console.log(`\nload at the end: ${machineNote().split('\n').at(-1)}`);
