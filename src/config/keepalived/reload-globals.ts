// global_defs keywords about reloading, read as keepalived 2.2.7 reads them (core/global_parser.c):
// reload_check_config [LOG_FILE], reload_file [FILE], reload_time_file FILE, reload_repeat; and
// include_check, which the lexer applies while it reads (include-check.ts) and which has no value here.
// What the daemon does with them is bin/vrrpd's (src/cli/reload-files.ts, src/cli/reload-schedule.ts).

import { isAbsolute } from 'node:path';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import type { ProcessNaming } from './process-naming.js';

/** keepalived's reload_file without a name: keepalived.reload in the run directory. */
export const DEFAULT_RELOAD_FILE = '/run/keepalived.reload';
/** keepalived's pid directory (use_pid_dir, net_namespace, instance). */
export const PID_DIR = '/run/keepalived';

/**
 * reload_file without a name, as keepalived 2.2.7 names it once the whole file is read: with an
 * instance name /run/keepalived/keepalived_NAME.reload, in the pid directory when it is used, else
 * DEFAULT_RELOAD_FILE. With net_namespace, /run/keepalived is the namespace's own directory
 * (src/cli/daemon-files.ts), so the file is /run/keepalived/NAMESPACE/... as seen from outside.
 */
export function defaultReloadFile(naming: ProcessNaming): string {
  if (naming.instance !== undefined) return `${PID_DIR}/keepalived_${naming.instance}.reload`;
  return naming.usePidDir ? `${PID_DIR}/keepalived.reload` : DEFAULT_RELOAD_FILE;
}
/** reload_check_config without a log file: the check's report goes nowhere. */
export const NO_CHECK_LOG = '/dev/null';

export interface ReloadSettings {
  /** reload_check_config: a reload checks the file first and writes the check's report here. */
  checkLog?: string;
  /** reload_file: a file that exists while a reload reads the configuration. */
  reloadFile?: string;
  /** reload_time_file: a file holding the time of a reload to make. */
  timeFile?: string;
  /** reload_repeat: the time file is kept after its reload (a time without a date then repeats daily). */
  repeat?: boolean;
}

/** `reloadFileDefault`: the last reload_file had no name (its name depends on the naming keywords). */
type ReloadGlobals = { reload?: ReloadSettings; reloadFileDefault?: boolean };
type ReloadReader = (statement: Statement, globals: ReloadGlobals, diagnostics: DiagnosticList) => void;

/** A file name as keepalived takes it: its first word (others ignored, as keepalived does, with a warning). */
function fileName(statement: Statement, diagnostics: DiagnosticList): string | undefined {
  const [first, ...extra] = statement.args;
  if (first === undefined) return undefined;
  if (extra.length > 0)
    diagnostics.warning(
      statement,
      `${statement.keyword}: only the first word is the file name; "${extra.map((w) => w.text).join(' ')}" is ignored`,
    );
  if (!isAbsolute(first.text))
    diagnostics.warning(
      statement,
      `${statement.keyword} ${first.text}: not an absolute path, so it depends on the directory vrrpd was started in`,
    );
  return first.text;
}

export const RELOAD_READERS: Readonly<Record<string, ReloadReader>> = {
  // Applied by the lexer as the file is read (its option errors are reported there).
  include_check: () => undefined,
  reload_check_config: (statement, globals, diagnostics) => {
    globals.reload = { ...globals.reload, checkLog: fileName(statement, diagnostics) ?? NO_CHECK_LOG };
  },
  reload_file: (statement, globals, diagnostics) => {
    const name = fileName(statement, diagnostics);
    globals.reload = { ...globals.reload, reloadFile: name ?? DEFAULT_RELOAD_FILE };
    globals.reloadFileDefault = name === undefined;
  },
  reload_time_file: (statement, globals, diagnostics) => {
    if (statement.args.length !== 1) {
      diagnostics.error(statement, `reload_time_file takes one file name, got ${statement.args.length} words`);
      return;
    }
    const timeFile = fileName(statement, diagnostics);
    if (timeFile !== undefined) globals.reload = { ...globals.reload, timeFile };
  },
  // keepalived ignores any word after it.
  reload_repeat: (statement, globals, diagnostics) => {
    if (statement.args.length > 0)
      diagnostics.warning(statement, `reload_repeat takes no value; "${statement.args[0]!.text}" is ignored`);
    globals.reload = { ...globals.reload, repeat: true };
  },
};
