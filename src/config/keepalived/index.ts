// keepalived.conf reader: the public API the daemon (bin/vrrpd) uses. See docs/keepalived-conf.md for
// what is supported, warned about and refused.

import { START_STOP_FIELDS, type StartStopGlobals } from './start-stop.js';
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { LinuxEngineInput } from '../../model/runtime-input.js';
import { DiagnosticList, KeepalivedConfigError, type ConfigDiagnostic, type SourcePosition } from './diagnostics.js';
import { GlobError, globFiles } from './glob.js';
import {
  hasBrace,
  INCLUDE_ALL,
  INCLUDE_BRACE,
  INCLUDE_MATCH,
  INCLUDE_READ,
  INCLUDE_WILDCARD,
} from './include-check.js';
import { lexKeepalivedConfig, type IncludedFile, type IncludeResolver, type LexOptions } from './lexer.js';
import { mapKeepalivedStatements } from './mapper.js';
import { parseStatements } from './parser.js';
import { READER_LIMITS, ReaderLimitExceeded, type ReaderBudget } from './limits.js';
import type { PendingInstanceFeatures } from './instance.js';
import type { NotifyFifoSpec } from '../../model/health-plan.js';
import type { ReloadSettings } from './reload-globals.js';
import type { ProcessNaming } from './process-naming.js';
import type {
  SyncGroupDefinition,
  TrackFileDefinition,
  TrackProcessDefinition,
  VrrpScriptDefinition,
} from './scripts.js';

export { KeepalivedConfigError, formatDiagnostic, type ConfigDiagnostic } from './diagnostics.js';
export { DEFAULT_RELOAD_FILE, NO_CHECK_LOG, PID_DIR, type ReloadSettings } from './reload-globals.js';
export type { ProcessNaming } from './process-naming.js';
export type {
  PendingInstanceFeatures,
  VrrpScriptDefinition,
  SyncGroupDefinition,
  TrackFileDefinition,
  TrackProcessDefinition,
};

export interface LoadedKeepalivedConfig {
  /** Routers (and VIP prefix lengths / labels) ready for startLinuxEngine. */
  readonly input: LinuxEngineInput;
  /** Warnings (errors throw KeepalivedConfigError). */
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** Every file read, the main one first (includes after), for reload checks. */
  readonly files: readonly string[];
  readonly globals: {
    readonly routerId?: string;
    readonly scriptUser?: string;
    readonly enableScriptSecurity: boolean;
    /** notify_fifo / vrrp_notify_fifo (and their scripts), fifo_write_vrrp_states_on_reload. */
    readonly notifyFifos?: readonly NotifyFifoSpec[];
    readonly fifoStatesOnReload?: boolean;
    /** reload_check_config, reload_file, reload_time_file, reload_repeat: what bin/vrrpd's reloads do. */
    readonly reload?: ReloadSettings;
    /** umask: the process umask and the modes of the files bin/vrrpd makes (src/cli/file-modes.ts). */
    readonly umask?: number;
    /** net_namespace, instance, use_pid_dir (top-level keywords): where bin/vrrpd runs, its file names. */
    readonly naming: ProcessNaming;
    /** data_use_instance: the data dump's name holds the namespace and instance names. */
    readonly dataUseInstance: boolean;
  } & Readonly<StartStopGlobals>;
  /**
   * Health checks, tracking, notify commands and sync groups, parsed and checked: healthPlanFromKeepalived
   * (src/config/keepalived/health-plan.ts) turns them into the HealthPlan that startHealth runs.
   */
  readonly pending: {
    readonly scripts: readonly VrrpScriptDefinition[];
    readonly trackFiles: readonly TrackFileDefinition[];
    readonly trackProcesses: readonly TrackProcessDefinition[];
    readonly syncGroups: readonly SyncGroupDefinition[];
    readonly instances: ReadonlyMap<string, PendingInstanceFeatures>;
  };
}

export interface LoadOptions {
  /** `$NAME` values defined before the file is read (as if written at its top). */
  readonly defines?: Record<string, string>;
  /**
   * keepalived's config id (its -i), which `@id` lines are compared with. Default: the host name up to
   * its first dot, as keepalived's.
   */
  readonly configId?: string;
  /** keepalived's -e (--all-config): every include check on from the start (include-check.ts). */
  readonly allIncludeChecks?: boolean;
  /** `${_RANDOM}`'s seed; by default the current second, as keepalived's srandom(time(NULL)) per read. */
  readonly randomSeed?: number;
}

/** keepalived's default config id: the node name as uname gives it, up to the first dot. */
export function defaultConfigId(): string {
  return hostname().split('.')[0]!;
}

/** Reads `path` and its includes; throws KeepalivedConfigError listing every error (with file:line). */
export function loadKeepalivedConfig(path: string, options: LoadOptions = {}): LoadedKeepalivedConfig {
  const file = resolve(path);
  const diagnostics = new DiagnosticList();
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (error) {
    diagnostics.error({ file, line: 0 }, `cannot read the configuration: ${(error as Error).message}`);
    throw new KeepalivedConfigError(diagnostics.items);
  }
  const configId = options.configId ?? defaultConfigId();
  // One cache per read: a file included many times is read from disk once (and lexed each time).
  const texts = new Map<string, string>();
  const include: IncludeResolver = (pattern, from, list, budget, checks) =>
    readIncludes(pattern, from, list, budget, texts, checks);
  return build(text, file, diagnostics, {
    ...(options.defines ? { defines: options.defines } : {}),
    configId,
    include,
    ...(options.allIncludeChecks ? { includeChecks: INCLUDE_ALL } : {}),
    ...(options.randomSeed !== undefined ? { randomSeed: options.randomSeed } : {}),
  });
}

/** Parses one file's text; an `include` is an error here (nothing is read from disk). */
export function parseKeepalivedConfig(
  text: string,
  fileName: string,
  options: Pick<LoadOptions, 'configId' | 'randomSeed'> = {},
): LoadedKeepalivedConfig {
  return build(text, fileName, new DiagnosticList(), {
    configId: options.configId ?? defaultConfigId(),
    ...(options.randomSeed !== undefined ? { randomSeed: options.randomSeed } : {}),
  });
}

/** The start / stop script settings and vrrp_notify_priority_changes, those given. */
function startStopGlobals(globals: StartStopGlobals): StartStopGlobals {
  return Object.fromEntries(
    START_STOP_FIELDS.filter((key) => globals[key] !== undefined).map((key) => [key, globals[key]]),
  ) as StartStopGlobals;
}

function build(text: string, file: string, diagnostics: DiagnosticList, options: LexOptions): LoadedKeepalivedConfig {
  const lexed = lexKeepalivedConfig(text, file, diagnostics, options);
  // Stopped at a limit: what was read is partial, so parsing it would only add misleading errors.
  if (lexed.stopped) throw new KeepalivedConfigError(diagnostics.items.filter((d) => d.severity === 'error'));
  const statements = parseStatements(lexed.tokens, diagnostics);
  const mapped = mapKeepalivedStatements(statements, file, diagnostics);
  // Reported in reading order (files as included, then lines), whatever order the checks ran in.
  const order = (d: ConfigDiagnostic) => lexed.files.indexOf(d.file);
  const sorted = [...diagnostics.items].sort((a, b) => order(a) - order(b) || a.line - b.line);
  if (diagnostics.hasErrors) throw new KeepalivedConfigError(sorted);
  const { routerId, scriptUser, enableScriptSecurity, notifyFifos, fifoStatesOnReload, reload, umask } = mapped.globals;
  return {
    input: mapped.input,
    diagnostics: sorted,
    files: lexed.files,
    globals: {
      ...(routerId !== undefined ? { routerId } : {}),
      ...(scriptUser !== undefined ? { scriptUser } : {}),
      enableScriptSecurity,
      ...(notifyFifos !== undefined ? { notifyFifos } : {}),
      ...(fifoStatesOnReload !== undefined ? { fifoStatesOnReload } : {}),
      ...(reload !== undefined ? { reload } : {}),
      ...(umask !== undefined ? { umask } : {}),
      naming: mapped.globals.naming ?? { usePidDir: false },
      dataUseInstance: mapped.globals.dataUseInstance ?? false,
      ...startStopGlobals(mapped.globals),
    },
    pending: {
      scripts: mapped.scripts,
      trackFiles: mapped.trackFiles,
      trackProcesses: mapped.trackProcesses,
      syncGroups: mapped.syncGroups,
      instances: mapped.pending,
    },
  };
}

/**
 * An include's pattern, relative to the including file, as keepalived 2.2.7 reads it: what `checks`
 * (include-check.ts) names is an error, the rest a warning and the include reads what it can. Nothing
 * matched: a missing named file or directory is the `match` check (`brace_match` when the pattern has
 * braces), a wildcard that matched nothing the `wildcard_match` one. Some braces matched and others
 * did not: `brace_match`, and with it nothing of the pattern is read. A match that is a directory, an
 * executable or otherwise not a regular file is skipped (`read`), as is one that cannot be read.
 */
function readIncludes(
  pattern: string,
  from: SourcePosition,
  diagnostics: DiagnosticList,
  budget: ReaderBudget,
  texts: Map<string, string>,
  checks: number,
): IncludedFile[] {
  let found;
  try {
    found = globFiles(pattern, dirname(from.file), () =>
      budget.spend('globPaths', 1, from, 'paths looked at by include patterns'),
    );
  } catch (error) {
    if (!(error instanceof GlobError)) throw error;
    if (error.limit !== undefined)
      throw new ReaderLimitExceeded(error.limit, from.file, from.line, `include ${pattern}: ${error.message}`);
    diagnostics.error(from, `include ${pattern}: ${error.message}`);
    return [];
  }
  const report = (check: number, message: string) => {
    if (checks & check) diagnostics.error(from, `include ${pattern}: ${message}`);
    else diagnostics.warning(from, `include ${pattern}: ${message} (include_check would make this an error)`);
  };
  if (found.paths.length === 0) {
    if (found.missing > 0) report(hasBrace(pattern) ? INCLUDE_BRACE : INCLUDE_MATCH, 'no such file or directory');
    else if (found.wildcards) report(INCLUDE_WILDCARD, 'no file matches');
    return [];
  }
  if (found.missing > 0) {
    report(INCLUDE_BRACE, 'some of its { } alternatives name no file');
    if (checks & INCLUDE_BRACE) return [];
  }
  const files: IncludedFile[] = [];
  // One line per kind of problem, not per path: a wildcard over a big directory stays one line.
  const skipped = new Map<string, string[]>();
  for (const file of found.paths) {
    const problem = includeProblem(file);
    if (problem !== undefined) {
      skipped.set(problem, [...(skipped.get(problem) ?? []), file]);
      continue;
    }
    try {
      let text = texts.get(file);
      if (text === undefined) texts.set(file, (text = readRegularFile(file)));
      files.push({ file, text });
    } catch (error) {
      if (error instanceof FileTooLarge)
        throw new ReaderLimitExceeded('fileBytes', from.file, from.line, `include ${pattern}: ${error.message}`);
      report(INCLUDE_READ, `cannot read ${file}: ${(error as Error).message}; skipped`);
    }
  }
  for (const [problem, paths] of skipped) {
    const named = paths.slice(0, 3).join(', ') + (paths.length > 3 ? ` and ${paths.length - 3} more` : '');
    report(INCLUDE_READ, `${named} ${paths.length === 1 ? problem : (PLURAL[problem] ?? problem)}; skipped`);
  }
  return files;
}

const PLURAL: Readonly<Record<string, string>> = {
  'is a directory': 'are directories',
  'is not a regular file': 'are not regular files',
  'is executable (keepalived reads no executable file)': 'are executable (keepalived reads no executable file)',
};

/** Why keepalived skips a match: a directory, or not a regular file without execute bits. */
function includeProblem(path: string): string | undefined {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    return `cannot be read (${(error as Error).message})`;
  }
  if (stats.isDirectory()) return 'is a directory';
  if (!stats.isFile()) return 'is not a regular file';
  if ((stats.mode & 0o111) !== 0) return 'is executable (keepalived reads no executable file)';
  return undefined;
}

class FileTooLarge extends Error {}

/**
 * A regular file's text, refused beyond READER_LIMITS.fileBytes before any of it is read. A FIFO or a
 * device (`-f /dev/zero`) is refused too: reading one could block or never end.
 */
function readRegularFile(path: string): string {
  // Non-blocking, so opening a FIFO does not wait for a writer; it is refused just below.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    if (stat.size > READER_LIMITS.fileBytes)
      throw new FileTooLarge(`${path} holds ${stat.size} bytes, more than ${READER_LIMITS.fileBytes}`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
