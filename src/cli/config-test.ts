// `vrrpd -t[FILE]`: the configuration checked as a start would check it; the report goes to stderr or
// FILE (made at the mode keepalived's -t gives its report: src/cli/file-modes.ts).

import { ConfigLoadError, loadConfig, type Diagnostic } from './config-source.js';
import { configTestLogMode } from './file-modes.js';
import type { DaemonOptions } from './flags.js';
import { writePrivateFile } from './private-files.js';
import { KEEPALIVED_EXIT_STATUS } from './program.js';
import { configReport } from './reload-files.js';

/** `-t`: every diagnostic with its file and line, then keepalived's exit code. */
export async function configTest(options: DaemonOptions, say: (message: string) => void): Promise<never> {
  let diagnostics: readonly Diagnostic[];
  try {
    diagnostics = loadConfig(options.configFile, options.configId, {
      allIncludeChecks: options.allIncludeChecks,
    }).diagnostics;
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
      say(`cannot write the report to ${options.configTestLog}: ${(error as Error).message}`);
      process.stderr.write(report);
    }
  }
  process.exit(failed ? KEEPALIVED_EXIT_STATUS.configTest : KEEPALIVED_EXIT_STATUS.ok);
}
