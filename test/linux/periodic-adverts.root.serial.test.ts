// A Master's periodic adverts leave from the addon's sender thread (native/src/periodic_adverts.h), so
// a blocked event loop costs none; past the watchdog bound they stop and the Backup takes over.
//
//   namespace pm<pid>: m0 192.0.2.1/24, the Master (priority 200) ══ veth ══ namespace pb<pid>: b0
//   192.0.2.2/24, the Backup (priority 100); VRRPv3, VRID 51, 10 ms adverts, VIP 192.0.2.100.
// Each runtime runs in its own process (runtime-apply-child.ts); the Master's (SCHED_RR, as with
// vrrp_rt_priority, which the sender thread gets too) is told to busy-loop.
// The witness is the Backup's kernel receive stamp of every advert it accepted (SO_TIMESTAMPNS).
// Needs root; timing-bound, so it runs alone (serial).

import t from 'tap';
import { MIN_WATCHDOG_MS } from '../../src/engine/head-start.js';
import type { LinuxRouterInput } from '../../src/daemon/runtime.js';
import { ip, namespaceSkipReason } from './netns-harness.js';
import { eventually } from './runner-process.js';
import { advertGaps, RuntimeChild } from './runtime-child.js';
const skip = namespaceSkipReason();
const INTERVAL_MS = 10;
const masterNs = `vrrppm${process.pid}`;
const backupNs = `vrrppb${process.pid}`;

function router(iface: string, priority: number): LinuxRouterInput {
  return {
    name: 'VI_1',
    interface: iface,
    vrid: 51,
    version: 3,
    priority,
    advertIntervalCs: INTERVAL_MS / 10,
    virtualAddresses: ['192.0.2.100'],
  };
}

t.test(
  'a Master whose event loop is blocked keeps advertising; past the watchdog bound the Backup takes over',
  { skip: skip ?? false },
  async (t) => {
    const runtimes: RuntimeChild[] = [];
    t.teardown(() => {
      for (const runtime of runtimes) runtime.kill();
      for (const ns of [masterNs, backupNs]) {
        try {
          ip('netns', 'del', ns);
        } catch {
          // never created
        }
      }
      if (!t.passing()) for (const runtime of runtimes) t.comment(runtime.stderr);
    });
    ip('netns', 'add', masterNs);
    ip('netns', 'add', backupNs);
    ip('-n', masterNs, 'link', 'add', 'm0', 'type', 'veth', 'peer', 'name', 'b0', 'netns', backupNs);
    ip('-n', masterNs, 'addr', 'add', '192.0.2.1/24', 'dev', 'm0');
    ip('-n', backupNs, 'addr', 'add', '192.0.2.2/24', 'dev', 'b0');
    ip('-n', masterNs, 'link', 'set', 'm0', 'up');
    ip('-n', backupNs, 'link', 'set', 'b0', 'up');

    const backup = new RuntimeChild(backupNs);
    const master = new RuntimeChild(masterNs);
    runtimes.push(backup, master);
    // SCHED_RR (vrrp_rt_priority), so that what is measured is the stalled event loop, not the CPU
    // contention of a shared test machine; RLIMIT_RTTIME above the longest stall, which is a busy loop.
    const scheduling = { realtimePriority: 10, realtimeLimitUs: 5_000_000 };
    await master.call({ op: 'start', input: { routers: [router('m0', 200)], scheduling } });
    await eventually('Master', () => master.state() === 'Master');
    await backup.call({ op: 'start', input: { routers: [router('b0', 100)] } });
    await eventually('Backup', () => backup.state() === 'Backup');
    await backup.call({ op: 'record' });
    await new Promise((resolve) => setTimeout(resolve, 300));

    await t.test('blocked for 200 ms: no advert lost, no takeover', async (t) => {
      const before = (await backup.call<number[]>({ op: 'receipts' })).length;
      await master.call({ op: 'block', ms: 200 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const times = (await backup.call<number[]>({ op: 'receipts' })).slice(Math.max(0, before - 1));
      const gap = advertGaps(times, INTERVAL_MS).longestMs;
      t.comment(
        `${times.length} adverts over ${(times.at(-1)! - times[0]!).toFixed(1)} ms, longest gap ${gap.toFixed(2)} ms`,
      );
      t.comment(
        `gaps over 12 ms at: ${times.flatMap((at, i) => (i > 0 && at - times[i - 1]! > 12 ? [`${(times[i - 1]! - times[0]!).toFixed(1)}+${(at - times[i - 1]!).toFixed(1)}`] : [])).join(', ')}`,
      );
      t.ok(times.at(-1)! - times[0]! > 350, 'the window spans the stall');
      // One advert missing would be a gap of two intervals: allow for a late wake-up, not for a loss.
      t.ok(gap < 2 * INTERVAL_MS - 1, `no advert lost (longest gap ${gap.toFixed(2)} ms < ${2 * INTERVAL_MS - 1} ms)`);
      t.equal(backup.state(), 'Backup', 'the Backup never took over');
      const counters = await master.call<{ routers: { advertsSentAhead?: number; watchdogTrips?: number }[] }>({
        op: 'counters',
      });
      t.ok(
        (counters.routers[0]!.advertsSentAhead ?? 0) >= 15,
        `the sender thread sent them (${counters.routers[0]!.advertsSentAhead})`,
      );
      t.equal(counters.routers[0]!.watchdogTrips, 0, 'the watchdog did not trip');
    });

    await t.test(
      `blocked for longer than the watchdog bound (${MIN_WATCHDOG_MS} ms): the Backup takes over`,
      async (t) => {
        await master.call({ op: 'block', ms: MIN_WATCHDOG_MS + 400 });
        t.ok(backup.enteredSince('Master', 0), 'the Backup became Master while the Master was wedged');
        const counters = await master.call<{ routers: { watchdogTrips?: number }[] }>({ op: 'counters' });
        t.equal(counters.routers[0]!.watchdogTrips, 1, 'one watchdog trip');
        // Back from the stall, the higher-priority router takes its place again (preempt, as keepalived).
        await eventually('Backup again', () => backup.state() === 'Backup');
        t.equal(master.state(), 'Master');
      },
    );
  },
);
