// The names of bin/vrrpd's files as keepalived 2.2.7 computes them (core/main.c, core/pidfile.c,
// core/global_data.c) from use_pid_dir, instance and net_namespace, and the pid files themselves.
//
// - Pid files: a -p / -r on the command line wins; otherwise, with `instance NAME`,
//   /run/keepalived/keepalived_NAME.pid and /run/keepalived/vrrp_NAME.pid; with use_pid_dir (which
//   net_namespace and instance imply) /run/keepalived/keepalived.pid and /run/keepalived/vrrp.pid;
//   else /run/keepalived.pid and /run/vrrp.pid. /run/keepalived is made (0755) when used and removed
//   at exit if empty. Under net_namespace, /run/keepalived is the namespace's own directory
//   (net-namespace.ts), so from outside the files are in /run/keepalived/NAMESPACE/.
// - The status socket (ours, keepalived has none) follows the pid files' rule, as vrrpd[_NAME].sock,
//   so that daemons with different instance or namespace names do not meet on /run/vrrpd.sock.
// - data_use_instance: the data dump keepalived.data is keepalived.NAMESPACE_INSTANCE.data (either
//   part alone when only one is set; the `_` only between two). keepalived renames no other dump.

import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { codedError, hasCode } from '../errors.js';
import type { DaemonNaming } from './config-source.js';
import { readOwnFile, removeOwnFile, writePrivateFile } from './private-files.js';
import { PID_DIR } from '../config/keepalived/reload-globals.js';
import { DEFAULT_PID_FILE, DEFAULT_SOCKET, DEFAULT_VRRP_PID_FILE } from './flags.js';

export { PID_DIR };

/** What the command line gave (undefined: keepalived's default for the naming). */
export interface GivenFiles {
  readonly pidFile: string | undefined;
  readonly vrrpPidFile: string | undefined;
  /** false: no socket (--socket none). */
  readonly socket: string | false | undefined;
}

export interface DaemonFiles {
  readonly pidFile: string;
  readonly vrrpPidFile: string;
  readonly socket: string | undefined;
}

/** `stem` (keepalived, vrrp, vrrpd) + extension, by keepalived's pid file rule. */
function runFile(
  stem: string,
  extension: string,
  plain: string,
  naming: Pick<DaemonNaming, 'instance' | 'usePidDir'>,
): string {
  if (naming.instance !== undefined) return join(PID_DIR, `${stem}_${naming.instance}${extension}`);
  return naming.usePidDir ? join(PID_DIR, `${stem}${extension}`) : plain;
}

/** The pid files and the status socket: the command line's, else named from the configuration. */
export function daemonFiles(given: GivenFiles, naming: Pick<DaemonNaming, 'instance' | 'usePidDir'>): DaemonFiles {
  return {
    pidFile: given.pidFile ?? runFile('keepalived', '.pid', DEFAULT_PID_FILE, naming),
    vrrpPidFile: given.vrrpPidFile ?? runFile('vrrp', '.pid', DEFAULT_VRRP_PID_FILE, naming),
    socket: given.socket === false ? undefined : (given.socket ?? runFile('vrrpd', '.sock', DEFAULT_SOCKET, naming)),
  };
}

/** keepalived's open_dump_file: `keepalived.data` with data_use_instance and a namespace or instance. */
export function dataFileName(name: string, naming: DaemonNaming): string {
  const { netNamespace, instance } = naming;
  if (!naming.dataUseInstance || (netNamespace === undefined && instance === undefined)) return name;
  const dot = name.lastIndexOf('.');
  const tag = [netNamespace, instance].filter((part) => part !== undefined).join('_');
  return dot === -1 ? `${name}.${tag}` : `${name.slice(0, dot)}.${tag}${name.slice(dot)}`;
}

/** keepalived's create_pid_dir: /run/keepalived, rwxr-xr-x whatever the umask. */
export function makePidDirectory(dir = PID_DIR): void {
  const umask = process.umask(0o022);
  try {
    mkdirSync(dir, { mode: 0o755 });
  } catch (error) {
    if (!hasCode(error, 'EEXIST')) throw error;
  } finally {
    process.umask(umask);
  }
}

/**
 * rmdir that leaves a directory still in use (keepalived's remove_pid_dir): true when removed. Never
 * throws: it runs on the way out, which a directory must not hold up.
 */
export function removeDirectoryIfEmpty(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

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

/** Only while it still holds our pid: another daemon may have started with the same file since. */
export function removePidFile(path: string): void {
  removeOwnFile(path, PID_LINE);
}
