// Simulator speed: virtual seconds per wall second for 3 routers x 255 VRIDs at 1 s adverts
// (test/scenarios/scale-3x255.json). Target from the foundation issue: at least 1000x real time, i.e.
// one virtual hour in under 3.6 s.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseScenario, runSimulation } from '../src/sim/index.js';
import { printTable } from './harness.js';

const repoRoot = join(fileURLToPath(import.meta.url), '../../..');

export interface SimBenchResult {
  readonly virtualSeconds: number;
  readonly wallSeconds: number;
  readonly speedup: number;
  readonly advertsSent: number;
  readonly heapUsedMiB: number;
}

export function runSimBench(virtualSeconds = 3600): SimBenchResult {
  const scenario = parseScenario(JSON.parse(readFileSync(join(repoRoot, 'test/scenarios/scale-3x255.json'), 'utf8')));
  const started = performance.now();
  const result = runSimulation(scenario, {
    seed: 1,
    durationMs: virtualSeconds * 1000,
    timeline: false,
    picture: false,
  });
  const wallSeconds = (performance.now() - started) / 1000;
  if (!result.ok) throw new Error(`the benchmark scenario violated an invariant: ${result.violation?.message ?? '?'}`);
  return {
    virtualSeconds,
    wallSeconds,
    speedup: virtualSeconds / wallSeconds,
    advertsSent: result.stats.advertsSent,
    heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = runSimBench();
  printTable(
    'Simulator: 3 routers x 255 VRIDs, 1 s adverts, one virtual hour',
    [
      [
        `${r.virtualSeconds} s`,
        `${r.wallSeconds.toFixed(2)} s`,
        `${r.speedup.toFixed(0)}x`,
        String(r.advertsSent),
        `${r.heapUsedMiB.toFixed(0)} MiB`,
      ],
    ],
    ['virtual time', 'wall time', 'speed', 'adverts sent', 'heap used'],
  );
}
