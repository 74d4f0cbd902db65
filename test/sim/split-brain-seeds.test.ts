// The split-brain VOPR run: 1000 seeds of random faults including VRRP-only partitions and one-way cuts,
// with a second cluster on one VRID and every host running the daemon's split-brain watch (resisting a
// contested VIP). Every heal of a split LAN is checked (one Master, hosts pointing at it, within one
// interval plus Skew_Time); the liveness phase follows. Failures print their replay line.
import t from 'tap';
import { runSimulation } from '../../src/sim/index.js';
import { loadScenario } from './load.js';

const SEEDS = 1000;
const NAME = 'random-split-brain';

t.test(`${NAME}: ${SEEDS} seeds, the heal invariant included`, async (t) => {
  const scenario = loadScenario(NAME);
  const failures: string[] = [];
  const totals = { checked: 0, skipped: 0, found: 0, missed: 0, vrrpOnly: 0, oneWay: 0, resists: 0, unsignalled: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = runSimulation(scenario, {
      seed,
      timeline: false,
      picture: false,
      scenarioPath: `test/scenarios/${NAME}.json`,
    });
    totals.checked += result.healChecks.checked;
    totals.skipped += result.healChecks.skipped;
    totals.resists += result.stats.resists;
    totals.unsignalled += result.unsignalledArp.length;
    for (const conflict of result.vipConflicts) totals[conflict.foundAtMs === undefined ? 'missed' : 'found']++;
    for (const { fault } of result.faults) {
      if (fault.kind === 'partition' && fault.vrrpOnly === true) totals.vrrpOnly++;
      if (fault.kind === 'oneWay') totals.oneWay++;
    }
    if (!result.ok)
      failures.push(
        `${result.violation!.invariant} at ${result.violation!.atMs} ms: ${result.violation!.message}; reproduce with: ${result.reproduce}`,
      );
  }
  t.same(failures, [], `${SEEDS} seeds, no invariant violated`);
  t.ok(totals.vrrpOnly > SEEDS, `the seeds drew VRRP-only partitions (${totals.vrrpOnly})`);
  t.ok(totals.oneWay > SEEDS, `and one-way cuts (${totals.oneWay})`);
  t.ok(totals.resists > 0, `Masters resisted contested VIPs (${totals.resists} re-announcements)`);
  t.equal(totals.unsignalled, 0, 'every loser sent its step-down advert: no view excused as unsignalled');
  t.ok(
    totals.checked > SEEDS,
    `heals were checked (${totals.checked}; ${totals.skipped} skipped for a later disturbance)`,
  );
  t.ok(
    totals.found > 0 && totals.missed > 0,
    `split brains found (${totals.found}) and missed (${totals.missed}) were recorded`,
  );
});
