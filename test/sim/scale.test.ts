// The benchmark's topology (3 routers x 255 VRIDs) for one virtual minute: every VRID elects r1, the
// single engine timer drives 765 routers, and the invariants hold. (Speed is the benchmark's business.)
import t from 'tap';
import { masterDownIntervalMs } from '../../src/core/timers.js';
import { runSimulation } from '../../src/sim/index.js';
import { loadScenario } from './load.js';

const result = runSimulation(loadScenario('scale-3x255'), {
  seed: 1,
  durationMs: 60_000,
  timeline: false,
  picture: false,
});

t.ok(result.ok, result.violation?.message ?? '');
const masters = result.finalRouters.filter((r) => r.state === 'Master');
t.equal(masters.length, 255, 'one Master per VRID');
t.ok(
  masters.every((r) => r.id.startsWith('r1/')),
  'all of them on r1 (priority 150)',
);
const elections = result.transitions.filter((x) => x.to === 'Master');
t.equal(elections.length, 255, 'no spurious takeovers');
t.ok(
  elections.every((x) => x.atMs === masterDownIntervalMs(2, 150, 100)),
  'each at exactly one down interval',
);
// r1 advertises 255 VRIDs once a second from 3.414 s on: 57 rounds in a minute.
t.equal(result.stats.advertsSent, 255 * 57);
t.equal(result.stats.deliveries, 2 * 255 * 57);
