// max_auto_priority and min_auto_priority_delay beside keepalived 2.2.7 (issue 13): the same
// global_defs, each process alone on its VRID and Master. Each round stops both processes (SIGSTOP)
// for longer than an advert interval, so the timer of a Master's next advert fires late by more than
// min_auto_priority_delay once they run again; the scheduling policy is then read back from the
// kernel (/proc/PID/stat) for keepalived's VRRP process and for vrrpd: SCHED_OTHER before, SCHED_RR
// 1, 2, 3 after the first three stalls, still 3 after a fourth (max_auto_priority 3) and a while
// later (never lowered). Raising to SCHED_RR needs CAP_SYS_NICE (the test runs as root).

import { readFileSync } from 'node:fs';
import t from 'tap';
import { Harness, skipReason, sleep } from '../netns/harness.js';
import { MARGIN_MS, STARTUP_MS, masterDownMs } from '../netns/timing.js';
import { soloConf } from './solo-conf.js';

const MAX = 3;
const DELAY_US = 200_000;
const STOP_MS = 1300;
const conf = (vrid: number) =>
  soloConf([`max_auto_priority ${MAX}`, `min_auto_priority_delay ${DELAY_US}`], 'VI_auto', vrid);

/** The policy and real-time priority of a process's main thread: "SCHED_RR 2", "SCHED_OTHER 0". */
function scheduling(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 40 (rt_priority) and 41 (policy) of proc(5); fields[0] is field 3.
  const [priority, policy] = [fields[37], fields[38]];
  const name = { '0': 'SCHED_OTHER', '1': 'SCHED_FIFO', '2': 'SCHED_RR' }[policy!] ?? `policy ${policy}`;
  return `${name} ${priority}`;
}

const skip = skipReason(['keepalived']) ?? false;

t.test(
  'max_auto_priority 3: vrrpd and keepalived step up to SCHED_RR 3 after stalls, and stay',
  { skip },
  async (t) => {
    const h = await Harness.create(t, 'ap', 2, { capture: false });
    const keepalived = h.startKeepalived('r1', [], { confText: conf(95) });
    const vrrpd = h.startVrrpd('r2', [], { confText: conf(96) });
    const wait = STARTUP_MS + masterDownMs(100, 100, 2) + MARGIN_MS;
    await Promise.all([
      keepalived.waitForState('VI_auto', 'Master', wait),
      vrrpd.waitForState('VI_auto', 'Master', wait),
    ]);
    const keepalivedPid = keepalived.vrrpChildPid();
    t.ok(keepalivedPid, "keepalived's VRRP process has written its pid file");
    const pids = { keepalived: keepalivedPid!, vrrpd: vrrpd.pid };
    const seen: Record<string, string[]> = { keepalived: [], vrrpd: [] };
    const read = () => {
      for (const [who, pid] of Object.entries(pids)) seen[who]!.push(scheduling(pid));
    };
    read();
    for (let round = 0; round < MAX + 1; round++) {
      for (const pid of Object.values(pids)) process.kill(pid, 'SIGSTOP');
      await sleep(STOP_MS);
      for (const pid of Object.values(pids)) process.kill(pid, 'SIGCONT');
      await sleep(700);
      read();
    }
    await sleep(2000);
    read();
    const expected = ['SCHED_OTHER 0', 'SCHED_RR 1', 'SCHED_RR 2', 'SCHED_RR 3', 'SCHED_RR 3', 'SCHED_RR 3'];
    const priority = (text: string) => (text.startsWith('SCHED_RR') ? Number(text.split(' ')[1]) : 0);
    for (const who of ['keepalived', 'vrrpd'] as const) t.comment(`${who}: ${seen[who]!.join(' -> ')}`);
    // keepalived raises once per late timer, and one stall can make two of its timers late (seen:
    // 0 -> 2 -> 3): it is held to rising by steps to the ceiling and staying there.
    const steps = seen.keepalived!.map(priority);
    t.ok(
      steps.every((p, i) => i === 0 || (p >= steps[i - 1]! && p <= MAX && p > 0)),
      'keepalived: real-time after the first stall, never lowered, never past max_auto_priority',
    );
    t.equal(steps.at(-1), MAX, 'keepalived: at max_auto_priority at the end');
    for (const who of ['vrrpd'] as const) {
      t.same(seen[who], expected, `${who}: one step per stall (one engine timer), to max_auto_priority, then kept`);
    }
    const raises = (lines: readonly { text: string }[], pattern: RegExp) =>
      lines.filter((line) => pattern.test(line.text)).map((line) => line.text);
    t.comment(raises(keepalived.lines, /Set realtime priority|thread timer expired/).join('\n'));
    t.comment(raises(vrrpd.lines, /SCHED_RR/).join('\n'));
    t.equal(keepalived.exitDescription, 'running');
    t.equal(vrrpd.exitDescription, 'running');
  },
);
