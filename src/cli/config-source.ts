// Where vrrpd's configuration comes from: a keepalived.conf (read by src/config/keepalived), or, for
// a file ending in .json, vrrp-engine's own JSON (the input of startLinuxEngine). Either way the
// result is checked as a whole without touching the network (instances.ts), so that `-t` and a
// reload refuse a bad file before anything changes.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../model/config-error.js';
import { ConfigurationError } from '../errors.js';
import { KeepalivedConfigError, loadKeepalivedConfig } from '../config/keepalived/index.js';
import type { LinuxEngineInput } from '../model/runtime-input.js';
import { healthPlanFromKeepalived } from '../config/keepalived/health-plan.js';
import type { HealthPlan } from '../model/health-plan.js';
import { readHealthPlan } from '../health/validate.js';
import { splitInstances, type InstanceInput } from './instances.js';

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  /** 0 when the problem is not on one line (a cross-instance check). */
  readonly line: number;
  readonly message: string;
}

export interface LoadedConfig {
  readonly input: LinuxEngineInput;
  readonly instances: readonly InstanceInput[];
  /** Checks, tracks, notify commands and sync groups (src/health), run beside the instances. */
  readonly health: HealthPlan;
  readonly diagnostics: readonly Diagnostic[];
  readonly files: readonly string[];
}

/**
 * The configuration cannot be used; `diagnostics` says why, with file and line where known (`file` and
 * `line` are those of the first error).
 */
export class ConfigLoadError extends ConfigurationError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    super(errors.map(formatDiagnostic).join('; ') || 'configuration refused', {
      file: first?.file,
      line: first !== undefined && first.line > 0 ? first.line : undefined,
    });
    this.name = 'ConfigLoadError';
    this.diagnostics = diagnostics;
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}${d.line > 0 ? `:${d.line}` : ''}: ${d.severity}: ${d.message}`;
}

type ReadConfig = { input: LinuxEngineInput; health: HealthPlan | unknown; diagnostics: readonly Diagnostic[]; files: readonly string[] };

function readKeepalived(path: string, configId: string | undefined): ReadConfig {
  try {
    const loaded = loadKeepalivedConfig(path, configId === undefined ? {} : { configId });
    return { input: loaded.input, health: healthPlanFromKeepalived(loaded), diagnostics: loaded.diagnostics, files: loaded.files };
  } catch (error) {
    if (error instanceof KeepalivedConfigError) throw new ConfigLoadError(error.diagnostics);
    throw error;
  }
}

function readJson(path: string): ReadConfig {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigLoadError([{ severity: 'error', file: path, line: 0, message: (error as Error).message }]);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input) || 'logger' in input) {
    throw new ConfigLoadError([{ severity: 'error', file: path, line: 0, message: 'must hold a JSON object with a "routers" list' }]);
  }
  // The optional "health" section is bin/vrrp-engine's (docs/health.md); checked with the instances below.
  const { health, ...engineInput } = input as LinuxEngineInput & { health?: unknown };
  return { input: engineInput, health: health ?? { checks: [], tracks: [], notify: [], syncGroups: [] }, diagnostics: [], files: [path] };
}

/** Reads and checks `path`; throws ConfigLoadError when it cannot be run. */
export function loadConfig(path: string, configId?: string): LoadedConfig {
  const loaded = path.endsWith('.json') ? readJson(path) : readKeepalived(path, configId);
  try {
    const instances = splitInstances(loaded.input);
    return { ...loaded, instances, health: readHealthPlan(loaded.health, instances.map((i) => i.name)) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigLoadError([...loaded.diagnostics, { severity: 'error', file: path, line: 0, message: error.message }]);
  }
}
