// vrrp-engine's JSON configuration (the input of startLinuxEngine plus a "health" section), checked
// by the code the runners run before anything on the host changes: `vrrp-engine --check`, `vrrpd -t`
// on a .json file and both runners at start share it, so "usable" means the runner accepts it.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../model/config-error.js';
import { unknownKeyMessage } from '../model/known-keys.js';
import type { HealthPlan } from '../model/health-plan.js';
import { readHealthPlan } from '../health/validate.js';
import { checkInput } from '../daemon/check-input.js';
import type { LinuxEngineInput } from '../daemon/runtime.js';

/** The keys of the file: the runtime's input (its logger is the runner's own, not a setting) and "health". */
export const JSON_CONFIG_KEYS: readonly string[] = [
  'routers',
  'vips',
  'scheduling',
  'splitBrain',
  'receiveBuffers',
  'netlinkBuffers',
  'nftables',
  'announceSpacing',
  'linkDelays',
  'polledLinks',
  'routes',
  'rules',
  'staticAddresses',
  'disableLocalIgmp',
  'health',
];

export interface JsonConfig {
  readonly engine: LinuxEngineInput;
  /** The "health" section as a HealthPlan (checks, tracks, notify commands, sync groups), if given. */
  readonly health: HealthPlan | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every check that needs no network: unknown keys (naming the path and the nearest known key), each
 * router's settings, the set's VRIDs and VIPs, the scheduling, the health plan and its references.
 * Throws ConfigError naming the field.
 */
export function checkJsonConfig(value: unknown): JsonConfig {
  if (!isRecord(value)) throw new ConfigError('config', 'must be a JSON object with a "routers" list');
  for (const key of Object.keys(value)) {
    if (!JSON_CONFIG_KEYS.includes(key)) throw new ConfigError(key, unknownKeyMessage(key, JSON_CONFIG_KEYS));
  }
  const { health, ...engine } = value as Record<string, unknown> & LinuxEngineInput;
  // The runtime's own first phase, which startLinuxEngine runs again: nothing it refuses passes here.
  checkInput(engine);
  const names = engine.routers.map((router) => router.name);
  return { engine, health: health === undefined ? undefined : readHealthPlan(health, names) };
}

/** Reads `path` and checks it (checkJsonConfig); a file that cannot be read or parsed is a ConfigError too. */
export function readJsonConfig(path: string): JsonConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, `cannot read: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, `not valid JSON: ${(error as Error).message}`);
  }
  return checkJsonConfig(value);
}
