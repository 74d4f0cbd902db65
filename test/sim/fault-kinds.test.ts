// One scenario per fault kind, each with the outcome the RFC (and keepalived) predict.
import t from 'tap';
import { masterDownIntervalMs, skewMs } from '../../src/core/timers.js';
import { DEFAULT_SCENARIO_JSON, parseScenario, runSimulation } from '../../src/sim/index.js';
import { loadScenario } from './load.js';

const LATENCY_MAX_MS = 0.7;
const run = (name: string, seed = 1) => runSimulation(loadScenario(name), { seed });
const becameMaster = (result: ReturnType<typeof run>, node: string, afterMs: number) =>
  result.transitions.find((x) => x.node === node && x.to === 'Master' && x.atMs >= afterMs);

t.test('clean stop: the priority-0 advert lets r2 take over after Skew_Time, not the down interval', async (t) => {
  const result = run('clean-stop');
  t.ok(result.ok, result.violation?.message ?? '');
  const takeover = becameMaster(result, 'r2', 10_000)!;
  t.ok(takeover.atMs - 10_000 >= skewMs(2, 100, 100), 'after Skew_Time (609.375 ms)');
  t.ok(takeover.atMs - 10_000 <= skewMs(2, 100, 100) + LATENCY_MAX_MS);
  t.equal(becameMaster(result, 'r3', 10_000), undefined, 'r3 (skew 804.7 ms) hears r2 first');
  t.match(
    result.transitions.find((x) => x.node === 'r1' && x.atMs === 10_000),
    { from: 'Master', reason: 'shutdown' },
  );
});

t.test('partition: each side has its Master; after healing the lower one steps down', async (t) => {
  const result = run('partition');
  t.ok(result.ok, result.violation?.message ?? '');
  t.match(becameMaster(result, 'r2', 10_000), { reason: 'master-down-timer' }, 'r2 takes over on the [r2 r3] side');
  t.equal(
    result.transitions.filter((x) => x.node === 'r1' && x.atMs > 10_000).length,
    0,
    'r1 stays Master on its side',
  );
  const stepDown = result.transitions.find((x) => x.node === 'r2' && x.from === 'Master')!;
  t.equal(stepDown.reason, 'higher-priority-advert');
  t.ok(
    stepDown.atMs >= 20_000 && stepDown.atMs <= 20_000 + 1000 + LATENCY_MAX_MS,
    'within one advert interval of healing',
  );
});

t.test(
  "partition: once healed, hosts that heard the other side's GARPs point at the Master again",
  // The Master re-announces when it hears the lower-priority one (keepalived's garp_lower_prio_*).
  async (t) => {
    const result = runSimulation(loadScenario('partition'), { seed: 1, checkArp: true });
    t.same(result.staleArp, []);
    t.ok(result.ok, result.violation?.message ?? '');
  },
);

t.test('link flap: FAULT drops the VIPs at once; link up is Backup with a full down timer, then preempt', async (t) => {
  const result = run('link-flap');
  t.ok(result.ok, result.violation?.message ?? '');
  t.match(
    result.transitions.find((x) => x.node === 'r1' && x.atMs === 10_000),
    { from: 'Master', to: 'Fault', reason: 'link-down' },
  );
  t.match(
    result.transitions.find((x) => x.node === 'r1' && x.atMs === 20_000),
    { from: 'Fault', to: 'Backup', reason: 'link-up' },
  );
  // v3: Skew_Time = ((256 - 150) * 100) / 256 cs.
  t.equal(becameMaster(result, 'r1', 20_000)!.atMs, 20_000 + masterDownIntervalMs(3, 150, 100));
});

t.test('priority change: raised r2 preempts r1 once its down timer expires', async (t) => {
  const result = run('priority-change');
  t.ok(result.ok, result.violation?.message ?? '');
  const takeover = becameMaster(result, 'r2', 10_000)!;
  t.equal(takeover.priority, 200);
  // The down timer was last restarted by r1's advert before 10 s (at 9414.0625 + delay).
  const lastAdvertMs = masterDownIntervalMs(2, 150, 100) + 6 * 1000;
  t.ok(takeover.atMs >= lastAdvertMs + masterDownIntervalMs(2, 200, 100));
  t.ok(takeover.atMs <= lastAdvertMs + LATENCY_MAX_MS + masterDownIntervalMs(2, 200, 100));
  t.same(
    result.finalRouters.find((r) => r.state === 'Master'),
    { id: 'r2/VI_51', state: 'Master', effectivePriority: 200 },
  );
});

t.test('lossy LAN: spurious takeovers during the loss, one Master (r1) once it is clean', async (t) => {
  const result = run('lossy-lan');
  t.ok(result.ok, result.violation?.message ?? '');
  t.ok(
    result.stats.lost > 0 && result.stats.duplicated > 0 && result.stats.corrupted > 0,
    'the LAN lost, duplicated and corrupted packets',
  );
  t.ok(
    result.transitions.some((x) => x.to === 'Master' && x.node !== 'r1' && x.atMs < 25_000),
    'loss made a Backup take over',
  );
  t.same(
    result.finalRouters.filter((r) => r.state === 'Master').map((r) => r.id),
    ['r1/VI_51'],
  );
});

t.test('unicast peers: adverts go to each peer, the crash and the return play out as with multicast', async (t) => {
  const result = runSimulation(loadScenario('unicast'), { seed: 1, traceAdverts: true });
  t.ok(result.ok, result.violation?.message ?? '');
  t.ok(
    result.timeline.some((line) =>
      /r1\/VI_60\s+advert prio 150 int 100cs to 203\.0\.113\.2 203\.0\.113\.3$/.test(line),
    ),
  );
  t.equal(becameMaster(result, 'r1', 0)!.atMs, masterDownIntervalMs(3, 150, 100));
  const takeover = becameMaster(result, 'r2', 10_000)!;
  t.ok(takeover.atMs > 10_000 && takeover.atMs - 10_000 <= masterDownIntervalMs(3, 100, 100));
  t.equal(becameMaster(result, 'r1', 20_000)!.atMs, 20_000 + masterDownIntervalMs(3, 150, 100));
  t.same(
    result.finalRouters.filter((r) => r.state === 'Master').map((r) => r.id),
    ['r1/VI_60'],
  );
});

t.test(
  'reboot with state MASTER and preempt_delay: keepalived ignores the delay, openshift mode honours it',
  async (t) => {
    const keepalived = run('reboot-preempt-delay-keepalived');
    t.ok(keepalived.ok, keepalived.violation?.message ?? '');
    t.match(
      keepalived.timeline.join('\n'),
      /notice preempt-settings-ignored: initial state MASTER clears preempt_delay 30000 ms/,
    );
    t.equal(
      becameMaster(keepalived, 'r1', 20_000)!.atMs,
      20_000 + masterDownIntervalMs(2, 150, 100),
      'preempts after one down interval',
    );

    const openshift = run('reboot-preempt-delay-openshift');
    t.ok(openshift.ok, openshift.violation?.message ?? '');
    const back = becameMaster(openshift, 'r1', 20_000)!;
    t.equal(back.reason, 'preempt-delay-expired');
    // The wait starts at the first lower-priority advert r1 hears after its restart (within 1 s + delay).
    t.ok(back.atMs >= 20_000 + 30_000 && back.atMs <= 20_000 + 1000 + 0.7 + 30_000, `took over at ${back.atMs} ms`);
  },
);

t.test('clock drift: a node whose clock runs 0.5% slow times out 0.5% later in virtual time', async (t) => {
  const json = JSON.parse(JSON.stringify(DEFAULT_SCENARIO_JSON));
  json.nodes[1].driftPpm = -5000;
  const result = runSimulation(parseScenario(json), { seed: 1 });
  t.ok(result.ok, result.violation?.message ?? '');
  t.match(result.timeline.join('\n'), /r2 clock drift -5000 ppm/);
  const rate = 1 - 5000 / 1e6;
  // r1's last advert before the crash left at 9414.0625 ms; r2 heard it 0.5-0.7 ms later.
  const lastAdvertMs = masterDownIntervalMs(2, 150, 100) + 6 * 1000;
  const takeover = becameMaster(result, 'r2', 10_000)!;
  const downVirtualMs = masterDownIntervalMs(2, 100, 100) / rate;
  t.ok(
    takeover.atMs >= lastAdvertMs + 0.5 + downVirtualMs - 1e-6,
    `${takeover.atMs} >= ${lastAdvertMs + 0.5 + downVirtualMs}`,
  );
  t.ok(takeover.atMs <= lastAdvertMs + LATENCY_MAX_MS + downVirtualMs + 1e-6);
});

t.test('blocked multicast: every node becomes Master and the liveness invariant says so', async (t) => {
  const result = run('blocked-multicast');
  t.equal(result.ok, false);
  t.equal(result.violation!.invariant, 'liveness');
  t.match(result.violation!.message, /3 Masters/);
  t.match(result.timeline.join('\n'), /reproduce with: vrrp-sim .*--seed 1/);
});
