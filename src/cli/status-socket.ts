// The daemon's status socket (a unix socket, /run/vrrpd.sock by default, mode 0600): a client writes
// one command line (`status`, `data`, `stats`; `json` is `data`, what keepalived's JSON signal writes)
// and reads one JSON document back, then the daemon closes.
// `vrrpd status` is that client; it prints a table, or the JSON with --json.
// The socket is created 0600 (a umask set around bind, so there is no moment at which another user may
// connect), in a directory nobody else can swap (checkDirectory); the daemon deletes only a socket of
// its own at that path, never a file or link someone else put there.

import { lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import type { InstanceStatus, TrackedCheck } from './instances.js';
import { checkDirectory, lstatOrUndefined, ourUid, UnsafePathError } from './private-files.js';

/** `record` writes the flight recording (dumps.ts RECORDING_FILE) and answers with its path. */
export type StatusCommand = 'status' | 'data' | 'stats' | 'json' | 'record';
export type StatusHandler = (command: StatusCommand) => unknown;

const COMMANDS = new Set<string>(['status', 'data', 'stats', 'json', 'record']);
const MAX_REQUEST = 256;

/** Is a daemon answering on `path`? A socket file nobody listens on is left by a killed run. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Clears the way for our socket: nothing there, or a socket of ours nobody answers on (left by a
 * killed run), which is removed. Anything else is refused with an error naming the path.
 */
async function clearStaleSocket(path: string): Promise<void> {
  const stats = lstatOrUndefined(path);
  if (stats === undefined) return;
  if (stats.isSymbolicLink())
    throw new UnsafePathError(path, 'is a symbolic link, not a socket; refusing to delete it');
  if (!stats.isSocket())
    throw new UnsafePathError(
      path,
      'exists and is not a socket; refusing to delete it (choose another --socket or remove it)',
    );
  if (stats.uid !== ourUid())
    throw new UnsafePathError(path, `is a socket owned by uid ${stats.uid}, not by us; refusing to delete it`);
  if (await answers(path)) {
    throw Object.assign(new Error(`${path}: another vrrpd is answering on this status socket`), { code: 'EADDRINUSE' });
  }
  unlinkSync(path);
}

/** Binds `server` to `path` with umask 0177, so the socket is born 0600. */
function listenPrivately(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const umask = process.umask(0o177);
    try {
      // bind(2) happens inside this call, synchronously, so the umask covers it and nothing else.
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
}

export class StatusServer {
  private constructor(
    private readonly server: Server,
    readonly path: string,
    /** The socket we bound, so close() removes that one and nothing put in its place. */
    private readonly identity: { readonly dev: number; readonly ino: number },
  ) {}

  /**
   * Listens on `path`; rejects with code EADDRINUSE when another daemon answers there, and with code
   * EUNSAFE when the path or its directory is not ours to use.
   */
  static async listen(path: string, handler: StatusHandler): Promise<StatusServer> {
    checkDirectory(dirname(path));
    await clearStaleSocket(path);
    const server = createServer((socket) => {
      let request = '';
      socket.setEncoding('utf8');
      socket.setTimeout(2000, () => socket.destroy());
      socket.on('error', () => {});
      socket.on('data', (chunk: string) => {
        request += chunk;
        const newline = request.indexOf('\n');
        if (newline === -1 && request.length < MAX_REQUEST) return;
        const command = request.slice(0, newline === -1 ? MAX_REQUEST : newline).trim();
        socket.removeAllListeners('data');
        let reply: unknown;
        try {
          reply = COMMANDS.has(command)
            ? handler(command as StatusCommand)
            : { error: `unknown command ${JSON.stringify(command)}; try status, data, stats, json or record` };
        } catch (error) {
          reply = { error: (error as Error).message };
        }
        socket.end(`${JSON.stringify(reply)}\n`);
      });
    });
    await listenPrivately(server, path);
    const { dev, ino } = lstatSync(path);
    return new StatusServer(server, path, { dev, ino });
  }

  /**
   * Stops listening and removes the socket file. libuv unlinks the path it bound as the handle
   * closes; what it may leave is removed only if it is still the socket we bound.
   */
  close(): void {
    this.server.close();
    try {
      const stats = lstatSync(this.path);
      if (stats.isSocket() && stats.dev === this.identity.dev && stats.ino === this.identity.ino) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

/** Sends one command to the daemon at `path` and returns its parsed JSON reply. */
export function query(path: string, command: StatusCommand, timeoutMs = 3000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let reply = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`${path}: no reply within ${timeoutMs} ms`)));
    socket.once('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.once('error', reject);
    socket.once('end', () => {
      try {
        resolve(JSON.parse(reply));
      } catch {
        reject(new Error(`${path}: the reply is not JSON: ${reply.slice(0, 200)}`));
      }
    });
  });
}

/** The `status` reply: every instance, the daemon's identity. */
export interface StatusReply {
  readonly pid: number;
  readonly version: string;
  readonly configFile: string;
  readonly startedAt: string;
  readonly lastReload: { readonly at: string; readonly result: string } | null;
  readonly instances: readonly InstanceStatus[];
}

function describeCheck(check: TrackedCheck): string {
  const value = check.value !== undefined ? `, value ${check.value}` : '';
  const weight =
    check.weight === 0
      ? 'weight 0 (fault while down)'
      : `weight ${check.weight > 0 ? '+' : ''}${check.weight}${check.reverse === true ? ' reverse' : ''}`;
  return `${check.name} ${check.up ? 'up' : 'down'}${value}, ${weight}`;
}

/** An instance's indented lines under its row: its tracked checks and excluded addresses, when it has some. */
function detailLines(s: InstanceStatus): string[] {
  const lines: string[] = [];
  // `?? []`: the reply of a daemon that predates these fields has none.
  const checks = s.checks ?? [];
  if (checks.length > 0) lines.push(`  checks: ${checks.map(describeCheck).join('; ')}`);
  if (s.excludedAddresses !== undefined && s.excludedAddresses.length > 0)
    lines.push(`  excluded: ${s.excludedAddresses.join(',')}`);
  for (const detail of s.collisions ?? []) lines.push(`  COLLISION: ${detail}`);
  for (const c of s.conflicts ?? []) {
    const adverts = c.advertSource === undefined ? '' : `, adverts from ${c.advertSource}`;
    const other = `${c.macs.join(' and ')}${c.sender === undefined ? '' : ` (${c.sender})`}${adverts}`;
    lines.push(
      `  CONFLICT: ${c.address} also claimed by ${other}, ${c.claims} claim(s) (${c.role === 'master' ? 'we hold it' : 'seen as Backup'})`,
    );
  }
  return lines;
}

/**
 * The status as a text table, one row per instance; an instance with tracked checks or excluded
 * addresses has them on indented lines under its row.
 */
export function formatStatusTable(reply: StatusReply): string {
  const rows = reply.instances.map((s) => [
    s.instance,
    s.state.toUpperCase(),
    String(s.priority),
    String(s.effectivePriority),
    s.master ?? '-',
    s.virtualAddresses.join(',') || '-',
    s.lastTransition
      ? `${s.lastTransition.at.replace(/\.\d+Z$/, 'Z')} ${s.lastTransition.from}->${s.lastTransition.to} (${s.lastTransition.reason})`
      : '-',
  ]);
  const head = ['INSTANCE', 'STATE', 'PRIO', 'EFFECTIVE', 'MASTER', 'VIPS', 'LAST TRANSITION (WHY)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const title = `vrrpd pid ${reply.pid}, ${reply.configFile}, up since ${reply.startedAt}${reply.lastReload ? `, last reload ${reply.lastReload.at}: ${reply.lastReload.result}` : ''}`;
  const body = rows.flatMap((row, i) => [line(row), ...detailLines(reply.instances[i]!)]);
  return `${[title, line(head), ...body].join('\n')}\n`;
}
