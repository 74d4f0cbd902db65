// The simulator's public face: parse a scenario, run it under a seed, get a timeline, a picture and the
// first invariant violation, if any.

import { DEFAULT_SCENARIO_JSON } from './default-scenario.js';
import { parseScenario, type Scenario } from './scenario.js';
import { Simulation, type SimulationOptions, type SimulationResult } from './simulator.js';

export { parseScenario, RANDOM_FAULT_KINDS } from './scenario.js';
export type { FaultEvent, LanSpec, NodeSpec, RandomFaultSpec, RouterSpec, Scenario, TimedFault } from './scenario.js';
export { Simulation } from './simulator.js';
export { describeFault, reproduceCommand } from './describe.js';
export type { SimulationOptions, SimulationResult, SimulationStats, TransitionRecord } from './simulator.js';
export { KeyWatch, checkVipHolding, bestRouter, addressRank } from './invariants.js';
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
