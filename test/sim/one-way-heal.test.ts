// The heal of a one-way cut (issue 16 point 5): the winner r1 heard the loser r2 all through the cut,
// the hosts near r2 heard only r2. At the heal the step-down advert of r2 is the winner's one sign;
// without it (higherPrioritySendAdvert off) the heal check reports the views it leaves as unsignalled.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseScenario, runSimulation } from '../../src/sim/index.js';
import { repoRoot } from './load.js';

/**
 * one-way.json (r1 -> r2 cut from 10 s) with r2 at priority 140, healed at 20.3 s. r2's Skew_Time
 * (453 ms) puts its adverts 453 ms after r1's, so r1's first advert after the heal (20.41 s) reaches r2
 * 547 ms into r2's interval: r2 steps down before it advertises again, and its step-down advert, late
 * in its interval, looks like its regular stream.
 */
function oneWay(router: Record<string, unknown>, splitBrain?: unknown) {
  const json = JSON.parse(readFileSync(join(repoRoot, 'test/scenarios/one-way.json'), 'utf8'));
  for (const node of json.nodes) for (const r of node.routers) Object.assign(r, router);
  json.nodes[1].routers[0].priority = 140;
  json.events[1].atS = 20.3;
  if (splitBrain !== undefined) json.splitBrain = splitBrain;
  return parseScenario(json);
}

const stepDown = (result: ReturnType<typeof runSimulation>) =>
  result.transitions.find((x) => x.node === 'r2' && x.from === 'Master' && x.atMs > 20_300)!;

t.test('the step-down advert, though it falls on r2 regular schedule, gets an announcement from r1', async (t) => {
  const result = runSimulation(oneWay({}, { detect: false }), { seed: 1 });
  t.ok(result.ok, result.violation?.message ?? '');
  const down = stepDown(result);
  t.equal(down.reason, 'higher-priority-advert');
  const after = result.timeline.filter((line) => line.includes('r1/eth0') && line.includes('announce 1 x 192.0.2.100'));
  const first = after.map((line) => Number.parseFloat(line.trim()) * 1000).find((atMs) => atMs >= down.atMs - 1)!;
  t.ok(first - down.atMs < 5, `r1 announces ${(first - down.atMs).toFixed(1)} ms after r2 steps down`);
  t.same(result.unsignalledArp, []);
  t.same(result.healChecks, { checked: 1, skipped: 0 });
});

t.test('a silent step-down (higherPrioritySendAdvert off): the views near r2 are reported, not failed', async (t) => {
  const result = runSimulation(oneWay({ higherPrioritySendAdvert: false }, { detect: false }), { seed: 1 });
  t.ok(result.ok, result.violation?.message ?? '');
  t.equal(stepDown(result).reason, 'higher-priority-advert');
  t.equal(result.unsignalledArp.length, 1);
  t.match(result.unsignalledArp[0], /192\.0\.2\.100: hosts near r2 point at r2, but the Master is r1\/VI_51/);
  t.match(
    result.timeline.join('\n'),
    /heal ok: lan0 IPv4 VRID 51: one Master, hosts point at it \(but for the unsignalled views\)/,
  );
});

t.test('a silent step-down with the daemon watch on: r1 still resists r2 claim and repairs the views', async (t) => {
  const result = runSimulation(oneWay({ higherPrioritySendAdvert: false }), { seed: 1 });
  t.ok(result.ok, result.violation?.message ?? '');
  t.same(result.unsignalledArp, []);
  t.ok(result.stats.resists > 0);
});

t.test('higherPrioritySendAdvert: a boolean', async (t) => {
  t.throws(
    () => oneWay({ higherPrioritySendAdvert: 'no' }),
    /^scenario nodes\[0\]\.routers\[0\]\.higherPrioritySendAdvert: /,
  );
});
