// Hostile input: a LAN client floods r1 (priority 200, Master) and r2 (priority 100, Backup), adverts
// every 100 ms, keepalived 2.2.7 and ours side by side, with one of these cases (bench/lan/flood.c):
//
//   costly-*  well-formed adverts with 255 random IPv4 addresses (90 IPv6: the most a 1500-byte frame
//             holds) and a valid checksum, the packet a receive path must not pay for by its size.
//             The base case is the one measured on 2026-12-06 (issue 10): VRRPv3, a VRID nobody uses,
//             TTL 64 (as if routed from off-link), sent to r1's own address and to the group in turn,
//             1,000 a second. Every other costly case changes one thing from the base (its name says
//             what): the rate (10,000, 80,000), the destination (group only, r1's address only), the
//             family (IPv6 routers and flood), the VRID (the routers' own, with priority 254: an
//             off-link advert that would take the Master over were it believed), the TTL (255), and
//             authentication (VRRPv2 routers with a password: the flood with the right password, and
//             with a wrong one, the routers' VRID and TTL 255 so that the password is what decides).
//   invalid   the earlier invalid flood: wrong TTL, bad checksum, bad version, bad type, truncated,
//             random bytes, in turn (the advert-shaped ones carry the routers' VRID and priority 254).
//
// Measured per case and implementation, during the flood: r1's adverts (count, longest gap, from a
// bridge capture filtered to the routers' MACs in the kernel, so the flood is not captured; beside it
// the longest gap over the 10 s just before the flood, what the machine's load alone did), whether r2
// took over (its log and its adverts on the wire), the Master process's CPU per flood packet that
// reached r1 (µs: utime + stime of ours, of keepalived's VRRP child, less its idle CPU measured over
// the 10 s before the flood), kernel drops on the raw VRRP
// sockets, and ours' drop counters by reason (its rate-limited `dropped` log lines).
// Run as root: node dist/bench/lan/hostile.js [--cases base|full|NAME,...] [--duration 15]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { holdersOf, waitUntil } from '../../test/netns/observe.js';
import {
  BridgeTap,
  FileRouter,
  cpuSeconds,
  gapsOf,
  linkStats,
  machineNote,
  ms,
  parseFlags,
  printTable,
  progress,
  rawSocketDrops,
  requireLab,
  sleep,
  startHelper,
  v3Spec,
  withLan,
  type Impl,
  type RouterSpec,
} from './common.js';

const flags = parseFlags(
  'hostile floods against a Master and a Backup at 100 ms adverts (needs root, keepalived, cc)',
  {
    cases: {
      default: 'base',
      help: "'base' (the 1,000/s costly flood), 'full' (every case), or a comma list of case names",
    },
    duration: { default: '15', help: 'flood duration per case, seconds' },
    priority: { default: '254', help: "priority field of the flood's adverts (above the Master's 200 by default)" },
    'keepalived-log': {
      default: 'file',
      help: 'file: keepalived -l -D into a file (it logs some invalid packets); none: no log at all',
    },
  },
);
requireLab(['cc']);
console.log(machineNote());

const VRID = 51;
const UNUSED_VRID = 77;
const VIP4 = '198.51.100.51';
const VIP6 = '2001:db8::51';
const INTERVAL_CS = 10;
const PASSWORD = 'vrrpsec';

interface Case {
  readonly name: string;
  readonly rate: number;
  /** IPv6 routers and flood. */
  readonly ipv6?: boolean;
  /** VRRPv2 routers with PASSWORD; the flood's password. */
  readonly v2Password?: string;
  /** flood.c kinds; default 'costly'. */
  readonly kinds?: string;
  readonly vrid?: number;
  readonly ttl?: number;
  readonly destination?: 'multicast' | 'unicast' | 'both';
}

const BASE: Case = { name: 'base', rate: 1000, vrid: UNUSED_VRID, ttl: 64, destination: 'both' };
const CASES: Case[] = [
  BASE,
  { ...BASE, name: 'rate-10k', rate: 10_000 },
  { ...BASE, name: 'rate-80k', rate: 80_000 },
  { ...BASE, name: 'multicast-only', destination: 'multicast' },
  { ...BASE, name: 'unicast-only', destination: 'unicast' },
  { ...BASE, name: 'ipv6', ipv6: true },
  { ...BASE, name: 'vrid-in-use', vrid: VRID },
  { ...BASE, name: 'ttl-255', ttl: 255 },
  { ...BASE, name: 'v2-right-password', v2Password: PASSWORD },
  { ...BASE, name: 'v2-wrong-password-vrid-in-use-ttl-255', v2Password: 'intruder', vrid: VRID, ttl: 255 },
  { name: 'invalid', rate: 80_000, kinds: 'wrong-ttl,bad-checksum,bad-version,bad-type,truncated,random' },
];

const chosen =
  flags.cases === 'full'
    ? CASES
    : flags.cases.split(',').map((name) => {
        const found = CASES.find((c) => c.name === name);
        if (found === undefined) throw new Error(`unknown case ${name}; known: ${CASES.map((c) => c.name).join(', ')}`);
        return found;
      });

const SOURCE = fileURLToPath(new URL('../../../bench/lan/flood.c', import.meta.url));
const buildDir = mkdtempSync(join(tmpdir(), 'vrrp-flood-'));
const FLOOD = join(buildDir, 'flood');
execFileSync('cc', ['-O2', '-o', FLOOD, SOURCE]);
process.on('exit', () => rmSync(buildDir, { recursive: true, force: true }));

interface Outcome {
  readonly impl: Impl;
  readonly flood: { sent: number; seconds: number; errors: number };
  readonly reachedR1: number;
  readonly seconds: number;
  readonly gapsDuring: number[];
  /** r1's gaps over the idle window just before the flood: what the machine's load alone does. */
  readonly gapsIdle: number[];
  readonly r2MasterEntries: number;
  readonly r2AdvertsOnWire: number;
  /** Above its idle CPU (measured just before the flood). */
  readonly cpuPerPacketUs: number;
  readonly idleCpuPercent: number;
  readonly socketDrops: { r1: number; r2: number };
  readonly tcpdumpDrops: number;
  /** Ours: per node, reason -> running total from the last `dropped` line. */
  readonly dropCounters: Map<string, number>;
}

function dropCounters(p: FileRouter, node: string): Map<string, number> {
  const out = new Map<string, number>();
  if (p.impl !== 'ours') return out;
  for (const line of p.grep('"event":"dropped"')) {
    const e = JSON.parse(line) as Record<string, unknown>;
    const key = `${node} ${String(e.router ?? `interface ${String(e.interface)}`)} ${String(e.reason)}`;
    out.set(key, Math.max(out.get(key) ?? 0, Number(e.count)));
  }
  return out;
}

function routerSpec(c: Case, priority: number): RouterSpec {
  const spec = v3Spec(VRID, priority, INTERVAL_CS, c.ipv6 === true ? VIP6 : VIP4, 'VI_1');
  // VRRPv2 counts its interval in whole seconds: 1 s adverts there.
  return c.v2Password === undefined
    ? spec
    : { ...spec, version: 2, advertIntervalCs: 100, auth: { type: 'pass', password: PASSWORD } };
}

async function scenario(c: Case, impl: Impl, durationS: number): Promise<Outcome> {
  return withLan('hs', 2, async (h, scope) => {
    const r1node = h.node('r1');
    const r1mac = r1node.mac;
    const r2mac = h.node('r2').mac;
    const tap = await BridgeTap.start(
      h,
      scope,
      `(ip proto 112 or ip6 proto 112) and (ether src ${r1mac} or ether src ${r2mac})`,
    );
    const quiet = impl === 'keepalived' && flags['keepalived-log'] === 'none';
    const r1 = new FileRouter(scope, h, impl, 'r1', [routerSpec(c, 200)], quiet);
    const r2 = new FileRouter(scope, h, impl, 'r2', [routerSpec(c, 100)], quiet);
    const vip = c.ipv6 === true ? VIP6 : VIP4;
    if (quiet) {
      await waitUntil(
        async () => ((await holdersOf(h.lan, vip)).join() === 'r1' ? true : undefined),
        20_000,
        'the VIP on r1 only',
      );
    } else {
      if (!(await r1.waitForCount('Master', 1, 20_000))) throw new Error(`${impl}: r1 not Master within 20 s`);
      if (!(await r2.waitForCount('Backup', 1, 20_000))) throw new Error(`${impl}: r2 not Backup within 20 s`);
    }
    // The Master's own CPU without a flood, over as long a window, is subtracted: the figure is what the
    // flood costs it.
    const [masterPid] = await r1.pids();
    const idle0 = cpuSeconds(masterPid!);
    const idleT0 = Date.now();
    await sleep(Math.min(10, durationS) * 1000);
    const idleCpuPerS = (cpuSeconds(masterPid!) - idle0) / ((Date.now() - idleT0) / 1000);
    progress(`${c.name} / ${impl}: flooding for ${durationS} s`);
    const client = h.lan.client;
    const args = [
      '-t',
      String(c.ttl ?? 64),
      ...(c.ipv6 === true ? ['-6', client.linkLocal] : []),
      ...(c.v2Password !== undefined ? ['-2', c.v2Password] : []),
      '-u',
      `${c.ipv6 === true ? r1node.ipv6 : r1node.ipv4},${r1mac}`,
      '-D',
      c.destination ?? 'multicast',
      'eth0',
      String(c.vrid ?? VRID),
      VIP4,
      String(c.rate),
      String(durationS),
      c.kinds ?? 'costly',
      flags.priority,
    ];
    const r1Link0 = linkStats(r1node.namespace, 'eth0');
    const drops0 = { r1: rawSocketDrops(h, 'r1'), r2: rawSocketDrops(h, 'r2') };
    const r2Master0 = r2.masterEntries();
    const cpu0 = cpuSeconds(masterPid!);
    const t0 = Date.now();
    const flood = startHelper(scope, 'flood', client.namespace, FLOOD, args);
    await flood.exited;
    const t1 = Date.now();
    const cpu1 = cpuSeconds(masterPid!);
    const r1Link1 = linkStats(r1node.namespace, 'eth0');
    const drops1 = { r1: rawSocketDrops(h, 'r1'), r2: rawSocketDrops(h, 'r2') };
    const report = flood.lines.find((l) => l.text.startsWith('{'));
    if (report === undefined) throw new Error(`flooder printed no report:\n${flood.tail(5)}`);
    await sleep(1500); // the runner's rate-limited drop lines carry totals up to at most 1 s ago
    const tcpdumpDrops = await tap.stop();
    const adverts = tap.adverts();
    const reachedR1 = r1Link1.rxPackets - r1Link0.rxPackets;
    return {
      impl,
      flood: JSON.parse(report.text) as Outcome['flood'],
      reachedR1,
      seconds: (t1 - t0) / 1000,
      // From the last advert before the flood, so a silence that starts with it counts in full.
      gapsIdle: gapsOf(adverts, r1mac, VRID, idleT0, t0),
      gapsDuring: gapsOf(adverts, r1mac, VRID, t0 - INTERVAL_CS * 10 * (c.v2Password === undefined ? 1 : 10), t1),
      r2MasterEntries: quiet ? NaN : r2.masterEntries() - r2Master0,
      r2AdvertsOnWire: adverts.filter(
        (a) => a.mac === r2mac && a.priority !== 0 && a.timeMs >= t0 && a.timeMs <= t1 + 1500,
      ).length,
      cpuPerPacketUs: reachedR1 > 0 ? ((cpu1 - cpu0 - idleCpuPerS * ((t1 - t0) / 1000)) * 1e6) / reachedR1 : NaN,
      idleCpuPercent: idleCpuPerS * 100,
      socketDrops: { r1: drops1.r1 - drops0.r1, r2: drops1.r2 - drops0.r2 },
      tcpdumpDrops,
      dropCounters: new Map([...dropCounters(r1, 'r1'), ...dropCounters(r2, 'r2')]),
    };
  });
}

const rows: string[][] = [];
const counters: string[][] = [];
for (const c of chosen) {
  for (const impl of flags.impls) {
    const o = await scenario(c, impl, Number(flags.duration));
    const gaps = o.gapsDuring;
    rows.push([
      c.name,
      o.impl,
      (o.flood.sent / o.flood.seconds).toFixed(0),
      (o.reachedR1 / o.seconds).toFixed(0),
      String(gaps.length),
      ms(gaps.length > 0 ? Math.max(...gaps) : NaN, 1),
      ms(o.gapsIdle.length > 0 ? Math.max(...o.gapsIdle) : NaN, 1),
      o.r2MasterEntries > 0 || o.r2AdvertsOnWire > 0
        ? `YES (${Number.isNaN(o.r2MasterEntries) ? 'no log' : `${o.r2MasterEntries} log`}, ${o.r2AdvertsOnWire} adverts)`
        : 'no',
      o.cpuPerPacketUs.toFixed(1),
      o.idleCpuPercent.toFixed(2),
      `${o.socketDrops.r1} / ${o.socketDrops.r2}`,
      String(o.tcpdumpDrops),
    ]);
    for (const [key, count] of o.dropCounters) counters.push([c.name, key, String(count)]);
  }
}

printTable(
  `Hostile floods, ${flags.duration} s each, adverts every 100 ms (VRRPv2 cases: 1 s), r1 Master priority 200, r2 Backup 100, flood priority ${flags.priority}, keepalived log: ${flags['keepalived-log']}`,
  rows,
  [
    'case',
    'impl',
    'flood sent/s',
    'reached r1/s',
    'r1 adverts',
    'r1 gap max',
    'r1 gap max idle before',
    'r2 took over',
    'r1 CPU µs / flood pkt',
    'r1 idle CPU %',
    'socket drops r1/r2',
    'tcpdump drops',
  ],
);
if (counters.length > 0)
  printTable("ours: drop counters by reason (runner's dropped lines, last total per reason)", counters, [
    'case',
    'node, router or interface, reason',
    'count',
  ]);
console.log(`\nload at the end: ${machineNote().split('\n').at(-1)}`);
