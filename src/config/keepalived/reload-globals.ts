// global_defs keywords about reloading, read as keepalived 2.2.7 reads them (core/global_parser.c):
// reload_check_config [LOG_FILE], reload_file [FILE], reload_time_file FILE, reload_repeat; and
// include_check, which the lexer applies while it reads (include-check.ts) and which has no value here.
// What the daemon does with them is bin/vrrpd's (src/cli/reload-files.ts, src/cli/reload-schedule.ts).

import { isAbsolute } from 'node:path';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';

/** keepalived's reload_file without a name: keepalived.reload in the run directory. */
export const DEFAULT_RELOAD_FILE = '/run/keepalived.reload';
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

type ReloadReader = (statement: Statement, globals: { reload?: ReloadSettings }, diagnostics: DiagnosticList) => void;

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
    globals.reload = { ...globals.reload, reloadFile: fileName(statement, diagnostics) ?? DEFAULT_RELOAD_FILE };
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
