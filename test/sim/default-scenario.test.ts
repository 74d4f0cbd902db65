// The embedded default scenario: who is Master when, with takeover times checked against the RFC's
// Master_Down_Interval (v2: 3 * Advertisement_Interval + (256 - Priority) / 256 s).
import t from 'tap';
import { masterDownIntervalMs } from '../../src/core/timers.js';
import { defaultScenario, runSimulation, type TransitionRecord } from '../../src/sim/index.js';

const result = runSimulation(defaultScenario(), { seed: 1 });
const masters = (from: number, to: number): TransitionRecord[] =>
  result.transitions.filter((x) => x.to === 'Master' && x.atMs >= from && x.atMs < to);
const LATENCY_MAX_MS = 0.5 + 0.2; // lan0: latency + jitter
const INTERVAL_MS = 1000;

t.ok(result.ok, `no violation: ${result.violation?.message ?? ''}`);

t.test('t=0..10 s: r1 (150) wins the election exactly one down interval after startup', async (t) => {
  const elected = masters(0, 10_000);
  t.equal(elected.length, 1);
  t.match(elected[0], { node: 'r1', reason: 'master-down-timer', priority: 150 });
  t.equal(elected[0]!.atMs, masterDownIntervalMs(2, 150, 100), '3 s + 106/256 s = 3414.0625 ms');
});

t.test("t=10 s: r1 crashes; r2 (100) takes over within its down interval after r1's last advert", async (t) => {
  const takeover = masters(10_000, 20_000);
  t.equal(takeover.length, 1, 'only r2 takes over; r3 (50) stays Backup');
  t.match(takeover[0], { node: 'r2', reason: 'master-down-timer', priority: 100 });
  // r1 advertised at 3414.0625 + k s; its last advert before the crash left at 9414.0625 ms.
  const lastAdvertMs = masterDownIntervalMs(2, 150, 100) + 6 * INTERVAL_MS;
  const downMs = masterDownIntervalMs(2, 100, 100);
  t.ok(takeover[0]!.atMs >= lastAdvertMs + 0.5 + downMs, 'not before the advert arrived + Master_Down_Interval');
  t.ok(takeover[0]!.atMs <= lastAdvertMs + LATENCY_MAX_MS + downMs, 'not later than the latency bound allows');
  t.ok(takeover[0]!.atMs - 10_000 <= downMs, 'the VIP is unowned for less than one down interval');
});

t.test('t=20 s: r1 restarts and preempts after its own down interval; r2 steps down on its first advert', async (t) => {
  const back = masters(20_000, 30_000);
  t.equal(back.length, 1);
  t.match(back[0], { node: 'r1', reason: 'master-down-timer' });
  t.equal(back[0]!.atMs, 20_000 + masterDownIntervalMs(2, 150, 100), 'preempt: lower-priority adverts are discarded');
  const stepDown = result.transitions.find((x) => x.node === 'r2' && x.from === 'Master');
  t.match(stepDown, { to: 'Backup', reason: 'higher-priority-advert' });
  t.ok(stepDown!.atMs - back[0]!.atMs <= LATENCY_MAX_MS, 'within one LAN delay');
});

t.test('every takeover announced the VIP: no host is left pointing at a dead or demoted node', async (t) => {
  t.same(result.staleArp, []);
  t.equal(
    result.stats.announcements,
    6 * 5 + 5,
    'three takeovers x two bursts of 5 (keepalived garp_master_repeat / _delay); when r1 preempts r2, ' +
      "r2's parting advert makes r1 re-announce at once (garp_lower_prio_repeat), and that burst's " +
      "follow-up 5 s later falls together with r1's own second burst",
  );
});

t.test('r3 (50) is never Master; final state r1 Master, r2 and r3 Backup', async (t) => {
  t.equal(result.transitions.filter((x) => x.node === 'r3' && x.to === 'Master').length, 0);
  t.same(
    result.finalRouters.map((r) => `${r.id}=${r.state}`),
    ['r1/VI_51=Master', 'r2/VI_51=Backup', 'r3/VI_51=Backup'],
  );
});

t.test('timeline lines carry virtual time; the picture is an SVG with the fault markers', async (t) => {
  t.ok(result.timeline.some((line) => /^\s+10\.000s\s+FAULT\s+crash r1$/.test(line)));
  t.ok(
    result.timeline.some((line) =>
      /^\s+13\.02\ds\s+r2\/VI_51\s+Backup -> Master \(master-down-timer\) prio 100$/.test(line),
    ),
  );
  t.match(result.svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.match(result.svg, /crash r1/);
  t.match(result.svg, /restart r1/);
});
