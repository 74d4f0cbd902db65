// Steadiness: inter-advert gaps of a Master at 10 ms adverts (VRRPv3) while a busy neighbour burns
// the same core, and false failovers (the Backup becoming Master while the Master is alive),
// keepalived 2.2.7 and ours side by side.
//
// r1 (priority 200) is pinned to one core with taskset (keepalived: parent and VRRP child), and a
// CPU-burning Node loop is pinned to the same core (nice 0, like the routers). r2 (priority 100) is
// left free unless --pin-backup. Gaps come from a bridge capture (ns timestamps) of r1's adverts over
// the window; false failovers from r2's log (entries into Master) and from r2's adverts on the wire.
// Both routers log to files (see FileRouter in common.ts).
// --hogs-per-core N puts N burners on every core instead (issue 12's "3 hogs per core"), and
// --rt-priority P gives both routers SCHED_RR P (ours: scheduling.realtimePriority; keepalived:
// vrrp_rt_priority).
// Run as root: node dist/bench/lan/steadiness.js [--duration 600] [--burner on] [--core 0]
//   [--hogs-per-core 3] [--rt-priority 50]

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  BridgeTap,
  FileRouter,
  cpuSeconds,
  gapsOf,
  machineNote,
  ms,
  parseFlags,
  printTable,
  progress,
  requireLab,
  sleep,
  startHelper,
  summarize,
  v3Spec,
  withLan,
  type Impl,
} from './common.js';

const flags = parseFlags(
  'advert jitter and false failovers at 10 ms adverts beside a CPU burner (needs root, keepalived, taskset)',
  {
    duration: { default: '600', help: 'measuring window, seconds' },
    'interval-cs': { default: '1', help: 'advert interval in centiseconds (VRRPv3)' },
    burner: { default: 'on', help: "on: a CPU-burning loop pinned to the Master's core; off: none" },
    'hogs-per-core': {
      default: '0',
      help: 'N > 0: N CPU-burning loops pinned to every core (instead of --burner on the Master core)',
    },
    'rt-priority': { default: 'off', help: 'off, or a SCHED_RR priority for both routers (vrrp_rt_priority)' },
    core: { default: '0', help: 'the core the Master (and the burner) are pinned to' },
    'pin-backup': { default: 'no', help: 'yes: pin the Backup to the same core too' },
    'ours-announce': {
      default: 'on',
      help: 'off: ours sends no gratuitous ARP at all (announce repeat 0), a diagnostic',
    },
  },
);
requireLab(['taskset']);
console.log(machineNote());

const VRID = 51;
const hogsPerCore = Number(flags['hogs-per-core']);
const VIP = '198.51.100.51';

interface Outcome {
  readonly impl: Impl;
  readonly seconds: number;
  readonly gaps: number[];
  readonly falseFromLog: number;
  readonly r2AdvertsOnWire: number;
  readonly burnerCpuPct: number;
  readonly masterCpuPct: number;
  readonly tcpdumpDrops: number;
  /** ours: SIGXCPU demotions of its SCHED_RR threads, from r1's log (keepalived only logs SIGXCPU). */
  readonly sigxcpu: number;
}

async function scenario(impl: Impl): Promise<Outcome> {
  const intervalCs = Number(flags['interval-cs']);
  const core = flags.core;
  return withLan('st', 2, async (h, scope) => {
    const r1mac = h.node('r1').mac;
    const r2mac = h.node('r2').mac;
    const tap = await BridgeTap.start(h, scope, `ip proto 112`);
    const noAnnounce = impl === 'ours' && flags['ours-announce'] === 'off';
    const spec = (priority: number) => ({
      ...v3Spec(VRID, priority, intervalCs, VIP, 'VI_1'),
      ...(noAnnounce ? { announce: { repeat: 0, lowerPriorityRepeat: 0, refreshIntervalMs: 0 } } : {}),
    });
    const rt = flags['rt-priority'] === 'off' ? undefined : Number(flags['rt-priority']);
    const r1 = new FileRouter(scope, h, impl, 'r1', [spec(200)], false, rt);
    const r2 = new FileRouter(scope, h, impl, 'r2', [spec(100)], false, rt);
    if (!(await r1.waitForCount('Master', 1, 20_000))) throw new Error(`${impl}: r1 not Master within 20 s`);
    if (!(await r2.waitForCount('Backup', 1, 20_000))) throw new Error(`${impl}: r2 not Backup within 20 s`);
    const r1pids = await r1.pids();
    for (const pid of r1pids) pin(pid, core);
    if (flags['pin-backup'] === 'yes') for (const pid of await r2.pids()) pin(pid, core);
    const burnerPids: number[] = [];
    const burnOn = (onCore: string) =>
      burnerPids.push(
        startHelper(scope, 'burner', h.lan.client.namespace, 'taskset', [
          '-c',
          onCore,
          process.execPath,
          '-e',
          'for (;;) {}',
        ]).pid,
      );
    if (hogsPerCore > 0) {
      for (let c = 0; c < availableParallelism(); c++) for (let i = 0; i < hogsPerCore; i++) burnOn(String(c));
    } else if (flags.burner === 'on') {
      burnOn(core);
    }
    await sleep(2000);
    const r2Master0 = r2.masterEntries();
    const burnerCpu = () => burnerPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const burner0 = burnerCpu();
    const master0 = cpuSeconds(r1pids[0]!);
    progress(`${impl}: measuring ${flags.duration} s (${burnerText()}, RT ${flags['rt-priority']})`);
    const t0 = Date.now();
    await sleep(Number(flags.duration) * 1000);
    const t1 = Date.now();
    const seconds = (t1 - t0) / 1000;
    const burnerCpuPct = (100 * (burnerCpu() - burner0)) / seconds;
    const masterCpuPct = (100 * (cpuSeconds(r1pids[0]!) - master0)) / seconds;
    const falseFromLog = r2.masterEntries() - r2Master0;
    // Lines, not matches: ours names both "realtime-limit" and SIGXCPU on one line.
    const sigxcpu = readFileSync(r1.logFile, 'utf8')
      .split('\n')
      .filter((line) => /realtime-limit|RLIMIT_RTTIME exceeded|SIGXCPU/.test(line)).length;
    const tcpdumpDrops = await tap.stop();
    const adverts = tap.adverts();
    return {
      impl,
      seconds,
      gaps: gapsOf(adverts, r1mac, VRID, t0, t1),
      falseFromLog,
      r2AdvertsOnWire: adverts.filter((a) => a.mac === r2mac && a.priority !== 0 && a.timeMs >= t0 && a.timeMs <= t1)
        .length,
      burnerCpuPct,
      masterCpuPct,
      tcpdumpDrops,
      sigxcpu,
    };
  });
}

/** taskset -a -p: every thread of the process. */
function pin(pid: number, core: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', core, String(pid)], {
    stdio: 'ignore',
  });
}

const outcomes: Outcome[] = [];
for (const impl of flags.impls) outcomes.push(await scenario(impl));

const intervalMs = Number(flags['interval-cs']) * 10;
printTable(
  `Master's inter-advert gaps at ${intervalMs} ms adverts, ${flags.duration} s, ${burnerText()}, RT ${flags['rt-priority']}${flags['ours-announce'] === 'off' ? ' (ours without gratuitous ARPs)' : ''}`,
  outcomes.map((o) => {
    const g = summarize(o.gaps);
    return [
      o.impl,
      String(g.n),
      ms(g.median, 3),
      ms(g.p99, 3),
      ms(g.max, 3),
      String(o.gaps.filter((x) => x > 2 * intervalMs).length),
      String(o.falseFromLog),
      String(o.r2AdvertsOnWire),
      `${o.masterCpuPct.toFixed(1)} %`,
      `${o.burnerCpuPct.toFixed(0)} %`,
      String(o.tcpdumpDrops),
      String(o.sigxcpu),
    ];
  }),
  [
    'impl',
    'gaps',
    'p50',
    'p99',
    'max',
    `gaps > ${2 * intervalMs} ms`,
    'false failovers (r2 log)',
    'r2 adverts on wire',
    'Master CPU',
    'burners CPU',
    'tcpdump drops',
    'SIGXCPU (r1 log)',
  ],
);
console.log(`\nload at the end: ${machineNote().split('\n').at(-1)}`);

function burnerText(): string {
  if (hogsPerCore > 0) return `${hogsPerCore} burner(s) on each of ${availableParallelism()} cores`;
  return `burner ${flags.burner} on core ${flags.core}`;
}
