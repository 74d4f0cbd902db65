// Event-loop stalls: a Master at 10 ms adverts whose event loop is blocked (a busy loop, as a long GC
// pause or a synchronous call would block it) for 50, 200 and 1000 ms. Per stall: adverts missed and
// the longest gap, from the Backup's kernel receive stamps (SO_TIMESTAMPNS), and whether the Backup
// took over. "before": the runtime without the addon's sender thread (the engine sends every periodic
// advert from the event loop, as before issue 12); "after": with it (native/src/periodic_adverts.h),
// whose watchdog stops the adverts once the engine has been silent for MIN_WATCHDOG_MS (400 ms) at this
// interval. keepalived is not run: it has no event loop of JavaScript to stall.
//
// Two namespaces joined by a veth (192.0.2.1 Master priority 200, 192.0.2.2 Backup priority 100),
// each router a runtime in a process of its own (test/linux/runtime-apply-child.ts), fresh per stall.
// Needs root. Figures are printed, never asserted.

import { ip } from '../../test/linux/netns-harness.js';
import { eventually } from '../../test/linux/runner-process.js';
import { advertGaps, RuntimeChild } from '../../test/linux/runtime-child.js';
import { forgetNamespace, rememberNamespace, rememberPid } from '../../test/netns/cleanup.js';
import { machineNote, numberList, parseFlags, printTable } from './common.js';

const flags = parseFlags('event-loop stalls of a 10 ms Master: adverts missed, longest gap, takeover (needs root)', {
  stalls: { default: '50,200,1000', help: 'stall lengths in ms' },
  variants: { default: 'before,after', help: 'before (no sender thread), after (sender thread), in order' },
  rt: { default: 'off,on', help: 'SCHED_RR 10 for the Master (vrrp_rt_priority), off and/or on' },
  'interval-cs': { default: '1', help: 'advert interval in centiseconds' },
});
const intervalMs = Number(flags['interval-cs']) * 10;
const masterNs = `vrrpsm${process.pid}`;
const backupNs = `vrrpsb${process.pid}`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function router(iface: string, priority: number) {
  return {
    name: 'VI_1',
    interface: iface,
    vrid: 51,
    version: 3 as const,
    priority,
    advertIntervalCs: Number(flags['interval-cs']),
    virtualAddresses: ['192.0.2.100'],
  };
}

function makeLan(): void {
  for (const ns of [masterNs, backupNs]) {
    ip('netns', 'add', ns);
    rememberNamespace(ns);
  }
  ip('-n', masterNs, 'link', 'add', 'm0', 'type', 'veth', 'peer', 'name', 'b0', 'netns', backupNs);
  ip('-n', masterNs, 'addr', 'add', '192.0.2.1/24', 'dev', 'm0');
  ip('-n', backupNs, 'addr', 'add', '192.0.2.2/24', 'dev', 'b0');
  ip('-n', masterNs, 'link', 'set', 'm0', 'up');
  ip('-n', backupNs, 'link', 'set', 'b0', 'up');
}

function removeLan(): void {
  for (const ns of [masterNs, backupNs]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
    forgetNamespace(ns);
  }
}

interface Outcome {
  readonly missed: number;
  readonly longestMs: number;
  readonly takeover: boolean;
  readonly sentAhead: number | undefined;
  readonly trips: number | undefined;
}

async function runOne(variant: string, realtime: boolean, stallMs: number): Promise<Outcome> {
  const backup = new RuntimeChild(backupNs);
  const master = new RuntimeChild(masterNs);
  for (const child of [backup, master]) if (child.child.pid !== undefined) rememberPid(child.child.pid);
  try {
    const scheduling = realtime ? { scheduling: { realtimePriority: 10, realtimeLimitUs: 5_000_000 } } : {};
    await master.call({
      op: 'start',
      input: { routers: [router('m0', 200)], ...scheduling },
      periodic: variant === 'after',
    });
    await eventually('Master', () => master.state() === 'Master');
    await backup.call({ op: 'start', input: { routers: [router('b0', 100)] } });
    await eventually('Backup', () => backup.state() === 'Backup');
    await backup.call({ op: 'record' });
    await sleep(300);
    const from = (await backup.call<number[]>({ op: 'receipts' })).length;
    const linesBefore = backup.lines.length;
    await master.call({ op: 'block', ms: stallMs });
    await sleep(300);
    const times = (await backup.call<number[]>({ op: 'receipts' })).slice(Math.max(0, from - 1));
    const counters = await master.call<{ routers: { advertsSentAhead?: number; watchdogTrips?: number }[] }>({
      op: 'counters',
    });
    return {
      ...advertGaps(times, intervalMs),
      takeover: backup.enteredSince('Master', linesBefore),
      sentAhead: counters.routers[0]?.advertsSentAhead,
      trips: counters.routers[0]?.watchdogTrips,
    };
  } finally {
    master.kill();
    backup.kill();
    await sleep(200);
  }
}

console.log(machineNote());
removeLan();
makeLan();
process.on('exit', removeLan);
const rows: string[][] = [];
try {
  for (const rt of flags.rt.split(',')) {
    for (const variant of flags.variants.split(',')) {
      for (const stallMs of numberList(flags.stalls)) {
        const outcome = await runOne(variant, rt === 'on', stallMs);
        rows.push([
          variant,
          rt,
          `${stallMs} ms`,
          String(outcome.missed),
          `${outcome.longestMs.toFixed(2)} ms`,
          outcome.takeover ? 'yes' : 'no',
          outcome.sentAhead === undefined ? '-' : String(outcome.sentAhead),
          outcome.trips === undefined ? '-' : String(outcome.trips),
        ]);
        console.log(rows.at(-1)!.join('  '));
      }
    }
  }
} finally {
  removeLan();
}
printTable(
  `Event-loop stalls at ${intervalMs} ms adverts (keepalived: not applicable, it has no JavaScript event loop)`,
  rows,
  [
    'ours',
    'SCHED_RR',
    'stall',
    'adverts missed',
    'longest gap',
    'Backup took over',
    'sent by the thread',
    'watchdog trips',
  ],
);
