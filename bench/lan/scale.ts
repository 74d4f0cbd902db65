// Scale: CPU and memory of a Master and of a Backup each running 255 VRRPv3 IPv4 virtual routers,
// at 100 ms and at 10 ms adverts, keepalived 2.2.7 and ours side by side.
//
// r1 has priority 200 on every VRID (Master of all), r2 priority 100 (Backup of all). Once every
// router is in place and a settling time has passed, CPU is utime + stime from /proc/PID/stat over
// the window (keepalived: its VRRP child, and child + parent), RSS is VmRSS from /proc/PID/status at
// the end. Adverts per second are the packets r1's bridge port received over the window; state
// changes during the window would be false failovers. Both routers log to files (FileRouter in
// common.ts), at the runner's info level.
// Run as root: node dist/bench/lan/scale.js [--vrids 255] [--intervals 10,1] [--window 30] [--settle 10]
//   [--hogs-per-core N]: N busy loops on every core during the settle and the window (a busier host).

import { availableParallelism } from 'node:os';
import {
  FileRouter,
  cpuSeconds,
  linkStats,
  machineNote,
  numberList,
  parseFlags,
  printTable,
  progress,
  rawSocketDrops,
  requireLab,
  rssMiB,
  sleep,
  startHelper,
  v3Spec,
  withLan,
  type Impl,
} from './common.js';

const flags = parseFlags('CPU and RSS of a Master and a Backup with many VRIDs (needs root, keepalived)', {
  vrids: { default: '255', help: 'virtual routers per process (1..255)' },
  intervals: { default: '10,1', help: 'advert intervals in centiseconds (VRRPv3)' },
  window: { default: '60', help: 'measuring window, seconds' },
  settle: { default: '10', help: 'seconds after every router is in place before measuring' },
  'hogs-per-core': {
    default: '0',
    help: 'busy loops (node -e "for(;;){}") pinned to each core during settle and window, as steadiness.js',
  },
  'ours-announce': {
    default: 'on',
    help: 'off: ours sends no gratuitous ARP at all (announce repeat 0), a diagnostic',
  },
});
requireLab();
console.log(machineNote());

/** VIP of VRID i: 198.51.100.1-200, then 203.0.113.1-55. */
const vipFor = (vrid: number) => (vrid <= 200 ? `198.51.100.${vrid}` : `203.0.113.${vrid - 200}`);

interface Reading {
  readonly impl: Impl;
  readonly intervalCs: number;
  readonly role: 'Master' | 'Backup';
  readonly cpuMainPct: number;
  readonly cpuAllPct: number;
  readonly rssMiB: number;
  readonly advertsPerSecond: number;
  readonly transitions: number;
  /** Kernel drops on the node's raw VRRP sockets over the window (receive buffer full). */
  readonly socketDrops: number;
  readonly loadDuring: string;
}

async function measure(
  impl: Impl,
  intervalCs: number,
  vrids: number,
  windowS: number,
  settleS: number,
): Promise<Reading[]> {
  return withLan('sc', 2, async (h, scope) => {
    const noAnnounce = impl === 'ours' && flags['ours-announce'] === 'off';
    const specs = (priority: number) =>
      Array.from({ length: vrids }, (_, i) => ({
        ...v3Spec(i + 1, priority, intervalCs, vipFor(i + 1)),
        ...(noAnnounce ? { announce: { repeat: 0, lowerPriorityRepeat: 0, refreshIntervalMs: 0 } } : {}),
      }));
    progress(`${impl}, ${intervalCs * 10} ms: starting ${vrids} VRIDs on r1 (priority 200) and r2 (priority 100)`);
    const master = new FileRouter(scope, h, impl, 'r1', specs(200));
    const backup = new FileRouter(scope, h, impl, 'r2', specs(100));
    if (!(await master.waitForCount('Master', vrids, 120_000)))
      throw new Error(`${impl}: r1 not Master of all ${vrids} within 120 s`);
    progress('r1 Master of all');
    if (await backup.waitForCount('Backup', vrids, 30_000)) {
      progress(`r2 Backup of all; settling ${settleS} s, then measuring ${windowS} s`);
    } else {
      // Measured anyway: the state changes column then shows the flapping.
      progress(
        `r2 never had all ${vrids} in Backup at once within 30 s (${backup.countInState('Backup')} now); measuring anyway`,
      );
    }
    const hogs = Number(flags['hogs-per-core']);
    for (let core = 0; core < availableParallelism(); core++)
      for (let i = 0; i < hogs; i++)
        startHelper(scope, 'hog', h.lan.client.namespace, 'taskset', [
          '-c',
          String(core),
          process.execPath,
          '-e',
          'for (;;) {}',
        ]);
    await sleep(settleS * 1000);
    const roles: [FileRouter, 'Master' | 'Backup', string, string][] = [
      [master, 'Master', 'p1', 'r1'],
      [backup, 'Backup', 'p2', 'r2'],
    ];
    const pids = await Promise.all(roles.map(([p]) => p.pids()));
    const states0 = roles.map(([p]) => p.states().length);
    const cpu0 = pids.map((p) => p.map(cpuSeconds));
    const port0 = roles.map(([, , port]) => linkStats(h.lan.bridgeNamespace, port).rxPackets);
    const drops0 = roles.map(([, , , node]) => rawSocketDrops(h, node));
    const t0 = Date.now();
    await sleep(windowS * 1000);
    const elapsedS = (Date.now() - t0) / 1000;
    const cpu1 = pids.map((p) => p.map(cpuSeconds));
    const port1 = roles.map(([, , port]) => linkStats(h.lan.bridgeNamespace, port).rxPackets);
    const drops1 = roles.map(([, , , node]) => rawSocketDrops(h, node));
    const states1 = roles.map(([p]) => p.states().length);
    const loadDuring = machineNote()
      .split('\n')
      .at(-1)!
      .replace(/^load: /, '');
    return roles.map(([, role], i) => {
      const used = cpu1[i]!.map((c, j) => c - cpu0[i]![j]!);
      return {
        impl,
        intervalCs,
        role,
        cpuMainPct: (100 * used[0]!) / elapsedS,
        cpuAllPct: (100 * used.reduce((a, b) => a + b, 0)) / elapsedS,
        rssMiB: pids[i]!.map(rssMiB).reduce((a, b) => a + b, 0),
        advertsPerSecond: (port1[i]! - port0[i]!) / elapsedS,
        transitions: states1[i]! - states0[i]!,
        socketDrops: drops1[i]! - drops0[i]!,
        loadDuring,
      };
    });
  });
}

const vrids = Number(flags.vrids);
const readings: Reading[] = [];
for (const intervalCs of numberList(flags.intervals)) {
  for (const impl of flags.impls)
    readings.push(...(await measure(impl, intervalCs, vrids, Number(flags.window), Number(flags.settle))));
}
printTable(
  `${vrids} VRIDs per process, VRRPv3 IPv4, ${flags.window} s window${flags['ours-announce'] === 'off' ? ' (ours without gratuitous ARPs)' : ''}: CPU % of one core (utime+stime), RSS`,
  readings.map((r) => [
    `${r.intervalCs * 10} ms`,
    r.impl,
    r.role,
    `${r.cpuMainPct.toFixed(1)} %`,
    `${r.cpuAllPct.toFixed(1)} %`,
    `${r.rssMiB.toFixed(1)} MiB`,
    r.advertsPerSecond.toFixed(0),
    String(r.transitions),
    String(r.socketDrops),
    r.loadDuring.replace(/.*load average: /, ''),
  ]),
  [
    'interval',
    'impl',
    'role',
    'CPU (VRRP process)',
    'CPU (all processes)',
    'RSS (all)',
    'pkts/s sent',
    'state changes',
    'rx socket drops',
    'load avg at end',
  ],
);
console.log('\nkeepalived: "VRRP process" is its VRRP child; "all" adds the parent. Ours is one process.');
