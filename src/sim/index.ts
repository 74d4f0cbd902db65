// The simulator's public face: parse a scenario, run it under a seed, get a timeline, a picture and the
// first invariant violation, if any.
//
// How it is built (TigerBeetle's VOPR and FoundationDB's simulation are the models):
// - every node runs the real Engine (src/engine) on simulated ports; adverts are real bytes from the
//   real codec, decoded by the real demux; nothing in the protocol path is mocked;
// - one agenda (event-queue.ts) ordered by (virtual time, scheduling sequence); the virtual clock jumps
//   to the next event; each node reads it through its own drifting clock (clock.ts);
// - every random draw comes from sfc32 streams split off one seed (prng.ts): the fault schedule
//   (faults.ts, drawn before the run), the network (delay, loss, duplication, reordering) and the
//   clock drifts are independent streams, so one cannot shift another;
// - the invariants (invariants.ts, bounds from the RFC timer formulas in bounds.ts) are checked after
//   every step, incrementally: only keys whose routers, VIPs or topology changed, plus keys inside a
//   tolerated two-Master episode; a violation stops the run and prints `reproduce with --seed N`;
// - a node's sync groups run the core's SyncGroupCoordinator, as the daemon does, and have an invariant
//   of their own (sync-group-watch.ts), checked at the end of each virtual instant;
// - no wall clock, no Math.random, no Map iteration whose order depends on anything but the scenario:
//   same scenario and seed give byte-identical timeline text and SVG.

import { DEFAULT_SCENARIO_JSON } from './default-scenario.js';
import { parseScenario, type Scenario } from './scenario.js';
import { Simulation, type SimulationOptions, type SimulationResult } from './simulator.js';

export { parseScenario, RANDOM_FAULT_KINDS, DEFAULT_RANDOM_FAULT_KINDS } from './scenario.js';
export type { FaultEvent, LanSpec, NodeSpec, RandomFaultSpec, RouterSpec, Scenario, TimedFault } from './scenario.js';
export { Simulation } from './simulator.js';
export { describeFault, reproduceCommand } from './describe.js';
export type { SimulationOptions, SimulationResult, SimulationStats, TransitionRecord } from './simulator.js';
export { KeyWatch, checkVipHolding, bestRouter, addressRank } from './invariants.js';
export { checkSyncGroup } from './sync-group-watch.js';
export type { SyncMemberView } from './sync-group-watch.js';
export type { InvariantName, KeyBounds, RouterView, SimRouterState, Violation } from './invariants.js';
export { renderSvg, wrapSvgInHtml } from './picture.js';
export type { PictureInput, PictureRow } from './picture.js';
export { Prng } from './prng.js';
export { EventQueue } from './event-queue.js';
export { drawRandomFaults } from './faults.js';
export { DEFAULT_SCENARIO_JSON } from './default-scenario.js';

/** Runs one scenario under one seed. Deterministic: same inputs, byte-identical result. */
export function runSimulation(scenario: Scenario, options: SimulationOptions): SimulationResult {
  return new Simulation(scenario, options).run();
}

export function defaultScenario(): Scenario {
  return parseScenario(DEFAULT_SCENARIO_JSON);
}
