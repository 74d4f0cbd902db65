// global_defs startup_script / shutdown_script and their timeouts, and vrrp_notify_priority_changes,
// read as keepalived 2.2.7's global_parser.c reads them. `startup_script COMMAND [USER [GROUP]]`: the
// first word is the command (quote it to give arguments), the next two who runs it (default
// script_user). A script's timeout is 1..1000 s, 10 s unless given. bin/vrrpd runs them
// (src/health/start-stop-script.ts): the startup script before any instance starts, the shutdown
// script after every instance has stopped.

import { splitCommandLine } from './command-line.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import type { Statement } from './parser.js';
import { readFlag, readInteger } from './values.js';

/** A start or stop script as written; its timeout comes from the *_timeout keyword. */
export interface StartStopScriptLine {
  readonly command: readonly string[];
  readonly user?: string;
  readonly group?: string;
}

export interface StartStopGlobals {
  startupScript?: StartStopScriptLine | undefined;
  shutdownScript?: StartStopScriptLine | undefined;
  /** Seconds (keepalived's default 10). */
  startupScriptTimeout?: number | undefined;
  shutdownScriptTimeout?: number | undefined;
  /** vrrp_notify_priority_changes: the default of every instance's notify_priority_changes. */
  notifyPriorityChanges?: boolean | undefined;
  /** Where the first start or stop script was given, for the script security warning. */
  startStopAt?: SourcePosition | undefined;
}

/** keepalived reports start / stop scripts without enable_script_security as a security violation. */
export function warnStartStopSecurity(
  globals: StartStopGlobals & { readonly enableScriptSecurity: boolean },
  diagnostics: DiagnosticList,
): void {
  if (globals.startStopAt !== undefined && !globals.enableScriptSecurity)
    diagnostics.warning(
      globals.startStopAt,
      'startup_script / shutdown_script without enable_script_security (keepalived reports this as a security violation)',
    );
}

export const START_STOP_FIELDS = [
  'startupScript',
  'shutdownScript',
  'startupScriptTimeout',
  'shutdownScriptTimeout',
  'notifyPriorityChanges',
] as const satisfies readonly (keyof StartStopGlobals)[];

/** keepalived's default timeout of a start or stop script, in seconds. */
export const DEFAULT_START_STOP_TIMEOUT_S = 10;

function readScript(statement: Statement, diagnostics: DiagnosticList): StartStopScriptLine | undefined {
  const what = statement.keyword === 'startup_script' ? 'startup' : 'shutdown';
  const [command, user, group, extra] = statement.args;
  if (command === undefined) {
    diagnostics.error(statement, `${what} script missing`);
    return undefined;
  }
  if (extra !== undefined) {
    diagnostics.error(extra, `${statement.keyword} takes a command, then optionally a user and a group`);
    return undefined;
  }
  try {
    return {
      command: splitCommandLine(command.text),
      ...(user !== undefined ? { user: user.text } : {}),
      ...(group !== undefined ? { group: group.text } : {}),
    };
  } catch (error) {
    diagnostics.error(command, `${statement.keyword}: ${(error as Error).message}`);
    return undefined;
  }
}

type Reader = (statement: Statement, globals: StartStopGlobals, diagnostics: DiagnosticList) => void;

/** The global_defs readers of this file, by keyword (spread into globals.ts's table). */
export const START_STOP_READERS: Readonly<Record<string, Reader>> = {
  startup_script: (statement, globals, diagnostics) => {
    globals.startStopAt ??= statement;
    if (globals.startupScript !== undefined) diagnostics.error(statement, 'startup script already specified');
    else globals.startupScript = readScript(statement, diagnostics);
  },
  shutdown_script: (statement, globals, diagnostics) => {
    globals.startStopAt ??= statement;
    if (globals.shutdownScript !== undefined) diagnostics.error(statement, 'shutdown script already specified');
    else globals.shutdownScript = readScript(statement, diagnostics);
  },
  startup_script_timeout: (statement, globals, diagnostics) => {
    globals.startupScriptTimeout = readInteger(statement, 1, 1000, diagnostics) ?? globals.startupScriptTimeout;
  },
  shutdown_script_timeout: (statement, globals, diagnostics) => {
    globals.shutdownScriptTimeout = readInteger(statement, 1, 1000, diagnostics) ?? globals.shutdownScriptTimeout;
  },
  vrrp_notify_priority_changes: (statement, globals, diagnostics) => {
    const on = readFlag(statement, diagnostics);
    if (on !== undefined) globals.notifyPriorityChanges = on;
  },
};
