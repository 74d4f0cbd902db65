// The files around a reload, as keepalived 2.2.7 keeps them (core/main.c):
// - reload_file: created (empty, mode 0644 less the umask's owner bits: file-modes.ts) before the new configuration is read and removed once
//   it has been read, so a tool that updates the files can wait while it exists; one left from an
//   earlier run is removed at start. keepalived 2.2.7 creates it only around reload_check_config's
//   check; vrrpd checks every reload first (its reload is always keepalived's checked reload), so it
//   creates it around every reload's read.
// - reload_check_config LOG_FILE: the check's report (the same lines `vrrpd -t` prints) written to
//   LOG_FILE at every reload, replacing the last one; /dev/null (the keyword without a file) keeps none.
//   Its mode is that of keepalived's `-t` report (0644 less -u's mask, or 0600: file-modes.ts).
// Written as root, so through private-files.ts: never through a link, never over another user's file,
// never in a directory another user could swap.

import type { RuntimeLogger } from '../model/logger.js';
import { errorFields } from '../model/logger.js';
import type { ReloadSettings } from '../config/keepalived/index.js';
import { NO_CHECK_LOG } from '../config/keepalived/index.js';
import { formatDiagnostic, type Diagnostic } from './config-source.js';
import { removeOwnFile, writePrivateFile } from './private-files.js';

/** The modes the umask in force gives the two files (src/cli/file-modes.ts). */
export interface ReloadFileModes {
  readonly reloadFile: number;
  readonly checkLog: number;
}

/** Under keepalived's default umask (0177): the reload file readable by all, the report private. */
export const DEFAULT_RELOAD_FILE_MODES: ReloadFileModes = { reloadFile: 0o644, checkLog: 0o600 };

/** What `vrrpd -t` prints and reload_check_config's log holds: the diagnostics, then the verdict. */
export function configReport(configFile: string, diagnostics: readonly Diagnostic[]): string {
  const failed = diagnostics.some((d) => d.severity === 'error');
  return (
    diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join('') +
    `${configFile}: configuration ${failed ? 'has errors' : 'is usable'}\n`
  );
}

/** The reload file and the check log of the configuration running (its settings govern the next reload). */
export class ReloadFiles {
  constructor(
    private readonly logger: RuntimeLogger,
    private readonly modes: { readonly reloadModes: ReloadFileModes } = { reloadModes: DEFAULT_RELOAD_FILE_MODES },
    private settings: ReloadSettings = {},
  ) {}

  /** The settings of the configuration now running (after a reload applied). */
  use(settings: ReloadSettings | undefined): void {
    this.settings = settings ?? {};
  }

  /** At start, after the first read: a reload file left by an earlier run goes. */
  removeStale(): void {
    this.remove();
  }

  /** Before a reload reads the file. */
  reading(): void {
    const path = this.settings.reloadFile;
    if (path === undefined) return;
    try {
      writePrivateFile(path, '', this.modes.reloadModes.reloadFile);
    } catch (error) {
      this.logger.warn(
        { event: 'reload', phase: 'reload-file', file: path, error: errorFields(error) },
        `cannot create the reload file ${path}: ${(error as Error).message}`,
      );
    }
  }

  /** The read has ended (whatever it found): the reload file goes, the check's report is written. */
  read(configFile: string, diagnostics: readonly Diagnostic[]): void {
    this.remove();
    const log = this.settings.checkLog;
    if (log === undefined || log === NO_CHECK_LOG) return;
    try {
      writePrivateFile(log, configReport(configFile, diagnostics), this.modes.reloadModes.checkLog);
    } catch (error) {
      this.logger.warn(
        { event: 'reload', phase: 'check-log', file: log, error: errorFields(error) },
        `cannot write the configuration check's log ${log}: ${(error as Error).message}`,
      );
    }
  }

  /** Where the check's report went, for the refusal's log line; undefined when nowhere. */
  get checkLog(): string | undefined {
    const log = this.settings.checkLog;
    return log === undefined || log === NO_CHECK_LOG ? undefined : log;
  }

  private remove(): void {
    const path = this.settings.reloadFile;
    if (path !== undefined) removeOwnFile(path, '');
  }
}
