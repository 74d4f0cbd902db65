// bin/vrrpd's pid files (-p, -r), as keepalived's: mode 0644 whatever the umask (core/pidfile.c).

import { codedError, hasCode } from '../errors.js';
import { readOwnFile, writePrivateFile } from './private-files.js';

export const PID_LINE = `${process.pid}\n`;
/** Readable by all, as keepalived's: a PID is no secret (ps shows it) and monitoring reads it unprivileged. */
const PID_FILE_MODE = 0o644;

/**
 * A pid file naming a live process means a daemon is running with this configuration. Written through
 * private-files.ts: a link or another user's file at the path is refused, not written through.
 */
export function writePidFile(path: string): void {
  const pid = Number.parseInt(readOwnFile(path) ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
    try {
      process.kill(pid, 0);
      throw codedError(
        'EEXIST',
        `${path} names process ${pid}, which is running: is vrrpd (or keepalived) already running?`,
      );
    } catch (error) {
      if (!hasCode(error, 'ESRCH')) throw error;
    }
  }
  writePrivateFile(path, PID_LINE, PID_FILE_MODE);
}
