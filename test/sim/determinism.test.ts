// Same scenario and seed: byte-identical timeline and picture. Another seed: another fault draw.
import t from 'tap';
import { runSimulation } from '../../src/sim/index.js';
import { loadScenario } from './load.js';

const scenario = loadScenario('random-faults');

t.test('same seed twice: identical timeline, picture and fault schedule', async (t) => {
  const a = runSimulation(scenario, { seed: 42 });
  const b = runSimulation(scenario, { seed: 42 });
  t.ok(a.timeline.length > 20, 'a non-trivial timeline');
  t.equal(a.timeline.join('\n'), b.timeline.join('\n'));
  t.equal(a.svg, b.svg);
  t.same(a.faults, b.faults);
  t.same(a.stats, b.stats);
});

t.test('different seeds draw different faults, drifts and outcomes', async (t) => {
  const a = runSimulation(scenario, { seed: 1, timeline: false, picture: false });
  const b = runSimulation(scenario, { seed: 2, timeline: false, picture: false });
  t.ok(a.faults.length > 3 && b.faults.length > 3, 'both seeds drew faults');
  t.not(JSON.stringify(a.faults), JSON.stringify(b.faults));
  t.not(JSON.stringify(a.driftPpm), JSON.stringify(b.driftPpm));
});

t.test('turning the timeline off changes nothing in the outcome', async (t) => {
  const full = runSimulation(scenario, { seed: 7 });
  const bare = runSimulation(scenario, { seed: 7, timeline: false, picture: false });
  t.same(bare.transitions, full.transitions);
  t.same(bare.stats, full.stats);
  t.equal(bare.timeline.length, 0);
  t.equal(bare.svg, undefined);
});
