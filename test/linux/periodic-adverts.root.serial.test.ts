// A Master's periodic adverts leave from the addon's sender thread (native/src/periodic_adverts.h), so
// a blocked event loop costs none; past the watchdog bound they stop and the Backup takes over.
//
//   namespace pm<pid>: m0 192.0.2.1/24, the Master (priority 200) ══ veth ══ namespace pb<pid>: b0
//   192.0.2.2/24, the Backup (priority 100); VRRPv3, VRID 51, 10 ms adverts, VIP 192.0.2.100.
// Each runtime runs in its own process (runtime-apply-child.ts); the Master's (SCHED_RR, as with
// vrrp_rt_priority, which the sender thread gets too) is told to busy-loop.
// The witness is the Backup's kernel receive stamp of every advert it accepted (SO_TIMESTAMPNS).
// Needs root; timing-bound, so it runs alone (serial).

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { MIN_WATCHDOG_MS } from '../../src/engine/head-start.js';
import type { LinuxRouterInput } from '../../src/linux/runtime.js';
import { ip, namespaceSkipReason } from './netns-harness.js';
import { eventually } from './runner-process.js';

const childScript = fileURLToPath(new URL('./runtime-apply-child.js', import.meta.url));
const skip = namespaceSkipReason();
const INTERVAL_MS = 10;
const masterNs = `vrrppm${process.pid}`;
const backupNs = `vrrppb${process.pid}`;

type Line = Record<string, unknown> & { type: string };

/** One runtime in a namespace, driven by JSON lines. */
class Runtime {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';

  constructor(namespace: string) {
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, childScript], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(JSON.parse(line) as Line));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  async call<T>(command: Record<string, unknown>): Promise<T> {
    const from = this.lines.length;
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    let reply: Line | undefined;
    await eventually(`reply to ${String(command.op)}; stderr: ${this.stderr}`, () => (reply = this.lines.slice(from).find((l) => l.type === 'reply')) !== undefined);
    if (reply!.ok !== true) throw new Error(`${String(command.op)}: ${JSON.stringify(reply!.error)}`);
    return reply!.result as T;
  }

  state(): unknown {
    return this.lines.filter((l) => l.type === 'log' && l.event === 'stateChange').at(-1)?.to;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

function router(iface: string, priority: number): LinuxRouterInput {
  return { name: 'VI_1', interface: iface, vrid: 51, version: 3, priority, advertIntervalCs: INTERVAL_MS / 10, virtualAddresses: ['192.0.2.100'] };
}

/** The longest gap between consecutive receive times, ms. */
function longestGap(times: readonly number[]): number {
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  return longest;
}

t.test('a Master whose event loop is blocked keeps advertising; past the watchdog bound the Backup takes over', { skip: skip ?? false }, async (t) => {
  const runtimes: Runtime[] = [];
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

  const backup = new Runtime(backupNs);
  const master = new Runtime(masterNs);
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
    const gap = longestGap(times);
    t.comment(`${times.length} adverts over ${(times.at(-1)! - times[0]!).toFixed(1)} ms, longest gap ${gap.toFixed(2)} ms`);
    t.comment(`gaps over 12 ms at: ${times.flatMap((at, i) => (i > 0 && at - times[i - 1]! > 12 ? [`${(times[i - 1]! - times[0]!).toFixed(1)}+${(at - times[i - 1]!).toFixed(1)}`] : [])).join(', ')}`);
    t.ok(times.at(-1)! - times[0]! > 350, 'the window spans the stall');
    // One advert missing would be a gap of two intervals: allow for a late wake-up, not for a loss.
    t.ok(gap < 2 * INTERVAL_MS - 1, `no advert lost (longest gap ${gap.toFixed(2)} ms < ${2 * INTERVAL_MS - 1} ms)`);
    t.equal(backup.state(), 'Backup', 'the Backup never took over');
    const counters = await master.call<{ routers: { advertsSentAhead?: number; watchdogTrips?: number }[] }>({ op: 'counters' });
    t.ok((counters.routers[0]!.advertsSentAhead ?? 0) >= 15, `the sender thread sent them (${counters.routers[0]!.advertsSentAhead})`);
    t.equal(counters.routers[0]!.watchdogTrips, 0, 'the watchdog did not trip');
  });

  await t.test(`blocked for longer than the watchdog bound (${MIN_WATCHDOG_MS} ms): the Backup takes over`, async (t) => {
    await master.call({ op: 'block', ms: MIN_WATCHDOG_MS + 400 });
    t.ok(backup.lines.some((l) => l.type === 'log' && l.event === 'stateChange' && l.to === 'Master'), 'the Backup became Master while the Master was wedged');
    const counters = await master.call<{ routers: { watchdogTrips?: number }[] }>({ op: 'counters' });
    t.equal(counters.routers[0]!.watchdogTrips, 1, 'one watchdog trip');
    // Back from the stall, the higher-priority router takes its place again (preempt, as keepalived).
    await eventually('Backup again', () => backup.state() === 'Backup');
    t.equal(master.state(), 'Master');
  });
});
