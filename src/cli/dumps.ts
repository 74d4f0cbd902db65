// keepalived's dumps, as JSON: SIGUSR1 writes the data (configuration and state of every instance) to
// keepalived.data, SIGUSR2 the statistics to keepalived.stats (STATS_CLEAR, SIGRTMAX-1, too, then clears
// them), the JSON signal (SIGRTMIN+2) the data to keepalived.json, in /run/vrrpd (root-only, created
// 0700) unless --dump-dir, not keepalived's /tmp: a predictable name in a world-writable directory is
// how keepalived's CVE-2018-19044/19045/19046 let a local user aim root's write. Written through
// private-files.ts: a random temporary name, renamed, so a reader never sees half a file; mode 0666
// less keepalived's umask (0600 under its default 0177: src/cli/file-modes.ts).
// SIGUSR1 and the status socket's `record` also write the engine's flight recording (RECORDING_FILE).

import { join, resolve } from 'node:path';
import { ensurePrivateDirectory, PRIVATE_DIR, writePrivateFile } from './private-files.js';
import type { InstanceSet } from './instances.js';

export const DATA_FILE = 'keepalived.data';
export const STATS_FILE = 'keepalived.stats';
/** keepalived's `--signum=JSON` file; its contents are the data dump (also the status socket's `json`). */
export const JSON_FILE = 'keepalived.json';

/** The engine's flight recorder (src/engine/flight-recorder.ts), for `vrrp-sim --replay`. */
export const RECORDING_FILE = 'vrrpd.recording.json';

export interface DumpContext {
  readonly instances: InstanceSet;
  readonly configFile: string;
  readonly startedAt: string;
  readonly version: string;
}

function header(context: DumpContext): Record<string, unknown> {
  return {
    time: new Date().toISOString(),
    pid: process.pid,
    version: context.version,
    configFile: context.configFile,
    startedAt: context.startedAt,
  };
}

/** State and settings per instance; a password is never written out. */
export function dataDump(context: DumpContext): Record<string, unknown> {
  const status = new Map(context.instances.status().map((s) => [s.instance, s]));
  return {
    ...header(context),
    instances: context.instances.handles().map(({ name, handle, vips }) => {
      const config = handle.routers[0]!;
      const snapshot = handle.snapshot()[0]!;
      return {
        ...status.get(name),
        // A reload may have changed the priority in place: the router's own value is the current one.
        config: { ...config, priority: snapshot.basePriority, auth: { type: config.auth.type } },
        vips,
        snapshot,
      };
    }),
    splitBrain: context.instances.conflicts() ?? null,
  };
}

/**
 * The flight recording, as it is: it holds the routers' configurations with any password, which replay
 * needs to check authentication as the engine did; the file is as private as keepalived.conf.
 */
export function recordingDump(context: DumpContext): unknown {
  const engine = context.instances.runningEngine();
  if (engine === undefined) throw new Error('no flight recording: the routers are not running');
  return engine.recorder.recording();
}

export function statsDump(context: DumpContext): Record<string, unknown> {
  return {
    ...header(context),
    instances: context.instances.stats(),
    splitBrain: context.instances.conflicts() ?? null,
  };
}

/**
 * Writes `document` as JSON to dir/name with `mode` (bin/vrrpd: as the umask gives it,
 * src/cli/file-modes.ts); returns the path. The default directory is
 * created (0700) on first use; a --dump-dir must exist and be safe (see checkDirectory). Throws, with
 * the path in the message, when it cannot be written safely.
 */
export function writeDump(dir: string, name: string, document: unknown, mode = 0o600): string {
  if (resolve(dir) === PRIVATE_DIR) ensurePrivateDirectory(PRIVATE_DIR);
  const path = join(dir, name);
  writePrivateFile(path, `${JSON.stringify(document, null, 2)}\n`, mode);
  return path;
}
