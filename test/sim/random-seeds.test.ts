// The VOPR run: 500 seeds per random scenario of random faults (crash, clean stop, partition, link
// flap, priority change, loss/duplication/reordering bursts, clock drift), then a calm phase in which
// one Master per VRID must emerge. Every failure prints the line that replays it.
import t from 'tap';
import { runSimulation } from '../../src/sim/index.js';
import { loadScenario } from './load.js';

const SEEDS = 500;

for (const name of ['random-faults', 'random-faults-five']) {
  t.test(`${name}: ${SEEDS} seeds`, async (t) => {
    const scenario = loadScenario(name);
    const failures: string[] = [];
    let faults = 0;
    let transitions = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = runSimulation(scenario, {
        seed,
        timeline: false,
        picture: false,
        scenarioPath: `test/scenarios/${name}.json`,
      });
      faults += result.faults.length;
      transitions += result.transitions.length;
      if (!result.ok) {
        failures.push(
          `${result.violation!.invariant} at ${result.violation!.atMs} ms: ${result.violation!.message}; reproduce with: ${result.reproduce}`,
        );
      }
    }
    t.same(failures, [], `${SEEDS} seeds, no invariant violated`);
    t.ok(faults / SEEDS > 10, `the seeds drew faults (${(faults / SEEDS).toFixed(1)} per run on average)`);
    t.ok(transitions / SEEDS > 20, `and the routers reacted (${(transitions / SEEDS).toFixed(1)} transitions per run)`);
  });
}
