// Takeover overshoot after kill -9 of the Master, keepalived 2.2.7 and ours side by side.
//
//   overshoot = (r2's first advert - r1's last advert) - Master_Down_Interval(priority 100, interval)
//
// both advert times from a bridge capture (ns timestamps); Master_Down_Interval from the RFC 5798
// formula (3 x interval + (256 - 100) x interval / 256). Also: r2's first gratuitous ARP after its
// first advert. Run as root: node dist/bench/lan/takeover.js [--reps N] [--intervals 100,10,1]

import { backupTimers, runFailovers, type FailoverRun } from './failover.js';
import { machineNote, ms, numberList, parseFlags, printTable, requireLab, summarize } from './common.js';

const flags = parseFlags('takeover overshoot after SIGKILL of the Master (needs root, keepalived, tcpdump, tshark)', {
  reps: { default: '20', help: 'failovers per implementation and interval' },
  intervals: { default: '100,10,1', help: 'advert intervals in centiseconds (VRRPv3)' },
});
requireLab();
console.log(machineNote());

const runs: FailoverRun[] = [];
for (const intervalCs of numberList(flags.intervals)) {
  for (const impl of flags.impls) {
    const run = await runFailovers(impl, intervalCs, Number(flags.reps), 'kill');
    runs.push(run);
    for (const f of run.failures) console.log(`  ${impl} at ${intervalCs} cs: ${f}`);
  }
}

const rows = runs.map((run) => {
  const { masterDownMs } = backupTimers(run.intervalCs);
  const over = summarize(run.reps.map((r) => r.newFirstMs - r.oldLastMs - masterDownMs));
  const garp = summarize(run.reps.flatMap((r) => (r.garpMs === undefined ? [] : [r.garpMs - r.newFirstMs])));
  return [
    `${run.intervalCs * 10} ms`,
    run.impl,
    `${run.reps.length}/${run.reps.length + run.failures.length}`,
    ms(masterDownMs),
    ms(over.median, 3),
    ms(over.p90, 3),
    ms(over.max, 3),
    ms(over.min, 3),
    ms(garp.median, 3),
    ms(garp.max, 3),
    String(run.tcpdumpDrops),
  ];
});
printTable(
  'Takeover after kill -9 of the Master: overshoot = (new first advert - old last advert) - Master_Down_Interval',
  rows,
  [
    'interval',
    'impl',
    'reps',
    'MDI (RFC)',
    'median',
    'p90',
    'max',
    'min',
    'GARP-advert med',
    'GARP-advert max',
    'tcpdump drops',
  ],
);
console.log(`\nload at the end: ${machineNote().split('\n').at(-1)}`);
