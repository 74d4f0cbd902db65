// Where vrrpd's configuration comes from: a keepalived.conf (read by src/config/keepalived), or, for
// a file ending in .json, vrrp-engine's own JSON (the input of startLinuxEngine). Either way the
// result is checked as a whole without touching the network (instances.ts), so that `-t` and a
// reload refuse a bad file before anything changes.

import { ConfigError } from '../model/config-error.js';
import { ConfigurationError } from '../errors.js';
import {
  KeepalivedConfigError,
  loadKeepalivedConfig,
  type ProcessNaming,
  type ReloadSettings,
} from '../config/keepalived/index.js';
import type { LinuxEngineInput } from '../model/runtime-input.js';
import { checkInput } from '../daemon/check-input.js';
import { healthPlanFromKeepalived } from '../config/keepalived/health-plan.js';
import type { HealthPlan } from '../model/health-plan.js';
import { readHealthPlan } from '../health/validate.js';
import { splitInstances, type InstanceInput } from './instances.js';
import { readJsonConfig } from './json-config.js';

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
  /** keepalived's reload_check_config, reload_file, reload_time_file, reload_repeat (none from JSON). */
  readonly reload?: ReloadSettings;
  /** keepalived's umask (src/config/keepalived/umask.ts; none from JSON). */
  readonly umask?: number;
  /** keepalived's net_namespace, instance, use_pid_dir and data_use_instance (none from JSON). */
  readonly naming: DaemonNaming;
}

/** Where the daemon runs and how its files are named (src/cli/daemon-files.ts). */
export interface DaemonNaming extends ProcessNaming {
  readonly dataUseInstance: boolean;
}

const NO_NAMING: DaemonNaming = { usePidDir: false, dataUseInstance: false };

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

type ReadConfig = {
  input: LinuxEngineInput;
  health: HealthPlan | unknown;
  diagnostics: readonly Diagnostic[];
  files: readonly string[];
  reload?: ReloadSettings;
  umask?: number;
  naming: DaemonNaming;
};

function readKeepalived(path: string, options: ReadOptions): ReadConfig {
  try {
    const loaded = loadKeepalivedConfig(path, {
      ...(options.configId === undefined ? {} : { configId: options.configId }),
      ...(options.allIncludeChecks ? { allIncludeChecks: true } : {}),
    });
    const { reload, umask, naming, dataUseInstance } = loaded.globals;
    return {
      input: loaded.input,
      health: healthPlanFromKeepalived(loaded),
      diagnostics: loaded.diagnostics,
      files: loaded.files,
      ...(reload !== undefined ? { reload } : {}),
      ...(umask !== undefined ? { umask } : {}),
      naming: { ...naming, dataUseInstance },
    };
  } catch (error) {
    if (error instanceof KeepalivedConfigError) throw new ConfigLoadError(error.diagnostics);
    throw error;
  }
}

function readJson(path: string): ReadConfig {
  try {
    // The runner's own check (json-config.ts): an unknown key is refused here as at start.
    const { engine, health } = readJsonConfig(path);
    return {
      input: engine,
      health: health ?? { checks: [], tracks: [], notify: [], syncGroups: [] },
      diagnostics: [],
      files: [path],
      naming: NO_NAMING,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigLoadError([{ severity: 'error', file: path, line: 0, message: error.message }]);
  }
}

/** How a keepalived.conf is read: keepalived's -i and -e. */
export interface ReadOptions {
  readonly configId?: string | undefined;
  /** keepalived's -e (--all-config): every include check on. */
  readonly allIncludeChecks?: boolean | undefined;
}

/** Reads and checks `path`; throws ConfigLoadError when it cannot be run. */
export function loadConfig(path: string, configId?: string, options: Omit<ReadOptions, 'configId'> = {}): LoadedConfig {
  const loaded = path.endsWith('.json') ? readJson(path) : readKeepalived(path, { ...options, configId });
  try {
    // The runtime's check at start (startLinuxEngine runs it again), so -t refuses what a start would.
    checkInput(loaded.input);
    const instances = splitInstances(loaded.input);
    return {
      ...loaded,
      instances,
      health: readHealthPlan(
        loaded.health,
        instances.map((i) => i.name),
      ),
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigLoadError([
      ...loaded.diagnostics,
      { severity: 'error', file: path, line: 0, message: error.message },
    ]);
  }
}
