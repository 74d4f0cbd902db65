// The daemon's split-brain watch in the simulator (issue 16, src/sim/conflict-watch.ts): the pure
// VipConflictTracker fed the claims each host hears, a Master resisting a contested VIP at once and
// every resistIntervalMs, and the scenario's `splitBrain` settings checked by the daemon's own reader.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CLAIM_GRACE_MS as DAEMON_CLAIM_GRACE_MS } from '../../src/daemon/vip-conflicts.js';
import { CHECK_EVERY_MS, CLAIM_GRACE_MS } from '../../src/sim/conflict-watch.js';
import { parseScenario, runSimulation } from '../../src/sim/index.js';
import { loadScenario, repoRoot } from './load.js';

const resistTimes = (timeline: readonly string[], node: string): number[] =>
  timeline
    .filter((line) => line.includes(`${node}/eth0`) && line.includes(' resist 1 x '))
    .map((line) => Number.parseFloat(line.trim()) * 1000);

/** A scenario file as JSON, with `splitBrain` set. */
function withSplitBrain(name: string, splitBrain: unknown): unknown {
  const json = JSON.parse(readFileSync(join(repoRoot, 'test/scenarios', `${name}.json`), 'utf8')) as object;
  return { ...json, splitBrain };
}

t.test('the simulated watch keeps the daemon timing: its claim grace and its check period', async (t) => {
  t.equal(CLAIM_GRACE_MS, DAEMON_CLAIM_GRACE_MS);
  // The daemon does not export its check period: read it from its source.
  const daemon = readFileSync(join(repoRoot, 'src/daemon/vip-conflicts.ts'), 'utf8');
  t.equal(Number(/const CHECK_EVERY_MS = (\d+);/.exec(daemon)?.[1]), CHECK_EVERY_MS);
});

t.test(
  'VRRP-only partition: both Masters hear the other claim the VIP and resist it every second until the heal',
  async (t) => {
    const result = runSimulation(loadScenario('vrrp-only-partition'), { seed: 1 });
    t.ok(result.ok, result.violation?.message ?? '');
    const takeover = result.transitions.find((x) => x.node === 'r2' && x.to === 'Master' && x.atMs > 10_000)!.atMs;
    const r1 = resistTimes(result.timeline, 'r1');
    const r2 = resistTimes(result.timeline, 'r2').filter((atMs) => atMs < 20_000);
    // r1 hears r2's takeover GARPs: the conflict counts after the grace, at the next 250 ms check
    // (the timeline gives milliseconds: 1 ms of slack).
    t.ok(
      r1[0]! >= takeover + CLAIM_GRACE_MS - 1 && r1[0]! <= takeover + CLAIM_GRACE_MS + 251,
      `r1 resists first at ${r1[0]} ms, r2 took over at ${takeover.toFixed(1)} ms`,
    );
    const gaps = r1
      .slice(1)
      .filter((atMs) => atMs < 20_000)
      .map((atMs, i) => atMs - r1[i]!);
    t.ok(gaps.length >= 4, `r1 kept resisting through the split (${gaps.length + 1} times)`);
    t.ok(
      gaps.every((gap) => gap > 990 && gap < 1010),
      `one second apart, as resistIntervalMs (${gaps.map((g) => g.toFixed(1)).join(' ')})`,
    );
    t.ok(r2.length >= 4, `r2, hearing r1's resists, resists too (${r2.length} times before the heal)`);
    t.ok(result.stats.resists >= r1.length + r2.length);
    t.ok(result.stats.conflictsOpened >= 2);
    t.match(result.timeline.join('\n'), /r1\/watch +VI_51: 192\.0\.2\.100 also claimed by r2: resisting/);
    t.match(
      result.timeline.join('\n'),
      /r2\/watch +VI_51: 192\.0\.2\.100 conflict ended \(no longer held or watched here\)/,
      'r2 stops resisting as it steps down',
    );
  },
);

t.test('splitBrain settings: resistIntervalMs 0 resists once per conflict, detect false not at all', async (t) => {
  const once = runSimulation(parseScenario(withSplitBrain('vrrp-only-partition', { resistIntervalMs: 0 })), {
    seed: 1,
  });
  t.ok(once.ok, once.violation?.message ?? '');
  t.same(
    resistTimes(once.timeline, 'r1').length,
    1,
    'r1: once, as its conflict opened (r2 is quiet after its takeover burst)',
  );
  const off = runSimulation(parseScenario(withSplitBrain('vrrp-only-partition', { detect: false })), { seed: 1 });
  t.ok(off.ok, off.violation?.message ?? '');
  t.equal(off.stats.resists, 0);
  t.equal(off.stats.conflictsOpened, 0);
  t.notMatch(off.timeline.join('\n'), /\/watch /);
});

t.test('splitBrain settings: checked by the daemon reader; probes and the step down are refused', async (t) => {
  const scenario = (splitBrain: unknown) => () => parseScenario(withSplitBrain('one-way', splitBrain));
  t.throws(scenario({ resistIntervalMs: 50 }), /^scenario splitBrain\.resistIntervalMs: must be an integer/);
  t.throws(scenario({ quietMS: 5000 }), /^scenario splitBrain\.quietMS: .*quietMs/);
  t.throws(scenario({ faultAfterClaims: 3 }), /^scenario splitBrain\.faultAfterClaims: not modelled/);
  t.throws(scenario({ probeIntervalMs: 1000 }), /^scenario splitBrain\.probeIntervalMs: not modelled/);
  t.match(parseScenario(withSplitBrain('one-way', { quietMs: 2000 })).splitBrain, {
    detect: true,
    quietMs: 2000,
    resistIntervalMs: 1000,
  });
});
