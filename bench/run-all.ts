// `npm run bench`: every in-process benchmark, one after the other, figures printed as tables.
// The data-plane benchmarks beside keepalived (takeover overshoot, CPU at scale, floods) need root and
// network namespaces and are run separately: see bench/README.md.

import { runCodecBench } from './codec.bench.js';
import { runEngineBench } from './engine.bench.js';
import { formatRate, printTable } from './harness.js';
import { runLogBench } from './log.bench.js';
import { runSimBench } from './sim.bench.js';

console.log(`node ${process.version}, ${process.arch}; one core (Node runs these on one thread)`);
printTable(
  'Codec',
  runCodecBench().map((m) => [m.name, formatRate(m.perSecond)]),
  ['operation', 'rate'],
);
printTable(
  'Engine inputs',
  runEngineBench().map((m) => [m.name, formatRate(m.perSecond)]),
  ['input', 'rate'],
);
printTable(
  'Log lines on the advert path',
  runLogBench().map((m) => [m.name, formatRate(m.perSecond)]),
  ['operation', 'rate'],
);
const sim = runSimBench();
printTable(
  'Simulator: 3 routers x 255 VRIDs, 1 s adverts',
  [
    [
      `${sim.virtualSeconds} s`,
      `${sim.wallSeconds.toFixed(2)} s`,
      `${sim.speedup.toFixed(0)}x`,
      String(sim.advertsSent),
      `${sim.heapUsedMiB.toFixed(0)} MiB`,
    ],
  ],
  ['virtual time', 'wall time', 'speed', 'adverts sent', 'heap used'],
);
