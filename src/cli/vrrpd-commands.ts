// bin/vrrpd's commands that start no daemon: `vrrpd status` / `vrrpd record` (a query of the status
// socket) and `-t` (the configuration checked as a start would check it), and the configuration's
// first read.

import { configReport } from './reload-files.js';
import { ConfigLoadError, loadConfig, type Diagnostic, type LoadedConfig } from './config-source.js';
import type { DaemonOptions } from './flags.js';
import { defaultReloadFile } from '../config/keepalived/reload-globals.js';
import { configTestLogMode } from './file-modes.js';
import { namespaceCheck } from './net-namespace.js';
import { writePrivateFile } from './private-files.js';
import { KEEPALIVED_EXIT_STATUS as EXIT, type Program } from './program.js';
import { formatStatusTable, query, type StatusReply } from './status-socket.js';

/** `vrrpd status` and `vrrpd record`: one status-socket command, its reply printed. */
export async function status(
  program: Program,
  command: 'status' | 'record',
  json: boolean,
  socket: string,
): Promise<never> {
  let reply: unknown;
  try {
    reply = await query(socket, command);
  } catch (error) {
    program.say(`${command}: cannot reach the daemon on ${socket}: ${(error as Error).message}`);
    process.exit(EXIT.failed);
  }
  const { file, error } = reply as { file?: string; error?: string };
  if (json) process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
  else if (command === 'status') process.stdout.write(formatStatusTable(reply as StatusReply));
  else if (file !== undefined) process.stdout.write(`${file}\n`);
  else program.say(`record: ${error ?? 'no file in the reply'}`);
  process.exit(command === 'record' && file === undefined ? EXIT.failed : EXIT.ok);
}

/** `-t`: every diagnostic with its file and line, then keepalived's exit code. */
export async function configTest(program: Program, options: DaemonOptions): Promise<never> {
  let diagnostics: readonly Diagnostic[];
  try {
    const loaded = withNamespaceFlag(
      loadConfig(options.configFile, options.configId, { allIncludeChecks: options.allIncludeChecks }),
      options,
    );
    diagnostics = [...loaded.diagnostics, ...namespaceCheck(options.configFile, loaded.naming)];
  } catch (error) {
    diagnostics =
      error instanceof ConfigLoadError
        ? error.diagnostics
        : [{ severity: 'error', file: options.configFile, line: 0, message: (error as Error).message }];
  }
  const failed = diagnostics.some((d) => d.severity === 'error');
  const report = configReport(options.configFile, diagnostics);
  if (options.configTestLog === undefined) process.stderr.write(report);
  else {
    try {
      writePrivateFile(options.configTestLog, report, configTestLogMode(options.umask));
    } catch (error) {
      program.say(`cannot write the report to ${options.configTestLog}: ${(error as Error).message}`);
      process.stderr.write(report);
    }
  }
  process.exit(failed ? EXIT.configTest : EXIT.ok);
}

/** keepalived's -s: its namespace instead of the file's net_namespace (which implies use_pid_dir). */
export function withNamespaceFlag(loaded: LoadedConfig, options: Pick<DaemonOptions, 'netNamespace'>): LoadedConfig {
  const netNamespace = options.netNamespace;
  if (netNamespace === undefined) return loaded;
  const naming = { ...loaded.naming, netNamespace, usePidDir: true };
  // A reload_file named by default follows the naming, as net_namespace in the file makes it (a file
  // that names keepalived's default path itself is moved too: the two cannot be told apart here).
  const reload = loaded.reload;
  const movesReloadFile = reload?.reloadFile !== undefined && reload.reloadFile === defaultReloadFile(loaded.naming);
  return {
    ...loaded,
    naming,
    ...(movesReloadFile ? { reload: { ...reload, reloadFile: defaultReloadFile(naming) } } : {}),
  };
}

/** The configuration (with -s applied), or why it cannot be used. */
export function readConfig(options: DaemonOptions): LoadedConfig | ConfigLoadError {
  try {
    return withNamespaceFlag(
      loadConfig(options.configFile, options.configId, { allIncludeChecks: options.allIncludeChecks }),
      options,
    );
  } catch (error) {
    if (error instanceof ConfigLoadError) return error;
    throw error;
  }
}
