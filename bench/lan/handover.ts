// Graceful handover: SIGTERM to the Master, keepalived 2.2.7 and ours side by side.
//
// From the bridge capture: r1's priority-0 advert and r2's first advert. On a priority-0 advert the
// Backup waits Skew_Time (RFC 5798 6.4.2: (256 - 100) x interval / 256) before becoming Master, so
// "after skew" = (r2's first advert - priority-0 advert) - Skew_Time is the takeover's own delay.
// SIGTERM -> priority-0 advert: the signal's time is the wall clock read at a millisecond edge just
// before it is sent (common.ts wallNowAtEdgeMs; microseconds, where Date.now() alone is 1 ms).
// Run as root: node dist/bench/lan/handover.js [--reps N] [--intervals 100,10,1]

import { backupTimers, runFailovers, type FailoverRun } from './failover.js';
import { machineNote, ms, numberList, parseFlags, printTable, requireLab, summarize } from './common.js';

const flags = parseFlags('graceful handover after SIGTERM of the Master (needs root, keepalived, tcpdump, tshark)', {
  reps: { default: '10', help: 'handovers per implementation and interval' },
  intervals: { default: '100,10,1', help: 'advert intervals in centiseconds (VRRPv3)' },
});
requireLab();
console.log(machineNote());

const runs: FailoverRun[] = [];
for (const intervalCs of numberList(flags.intervals)) {
  for (const impl of flags.impls) {
    const run = await runFailovers(impl, intervalCs, Number(flags.reps), 'term');
    runs.push(run);
    for (const f of run.failures) console.log(`  ${impl} at ${intervalCs} cs: ${f}`);
  }
}

const rows = runs.map((run) => {
  const { skewMs } = backupTimers(run.intervalCs);
  const withZero = run.reps.filter((r) => r.priorityZeroMs !== undefined);
  const termToZero = summarize(withZero.map((r) => r.priorityZeroMs! - r.signalAtMs));
  const zeroToNew = summarize(withZero.map((r) => r.newFirstMs - r.priorityZeroMs!));
  const termToNew = summarize(run.reps.map((r) => r.newFirstMs - r.signalAtMs));
  return [
    `${run.intervalCs * 10} ms`,
    run.impl,
    `${withZero.length}/${run.reps.length + run.failures.length}`,
    ms(skewMs),
    ms(termToZero.median),
    ms(termToZero.max),
    ms(zeroToNew.median, 3),
    ms(zeroToNew.median - skewMs, 3),
    ms(zeroToNew.max - skewMs, 3),
    ms(termToNew.median),
    ms(termToNew.max),
  ];
});
printTable('Graceful handover after SIGTERM of the Master', rows, [
  'interval',
  'impl',
  'reps with prio 0',
  'Skew_Time',
  'TERM->prio0 med',
  'TERM->prio0 max',
  'prio0->new med',
  'after skew med',
  'after skew max',
  'TERM->new med',
  'TERM->new max',
]);
console.log(`\nload at the end: ${machineNote().split('\n').at(-1)}`);
