// The daemon's status socket (a unix socket, /run/vrrpd.sock by default, mode 0600): a client writes
// one command line (`status`, `data`, `stats`; `json` is `data`, what keepalived's JSON signal writes)
// and reads one JSON document back, then the daemon closes.
// `vrrpd status` is that client; it prints a table, or the JSON with --json.

import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import type { InstanceStatus, TrackedCheck } from './instances.js';

export type StatusCommand = 'status' | 'data' | 'stats' | 'json';
export type StatusHandler = (command: StatusCommand) => unknown;

const COMMANDS = new Set<string>(['status', 'data', 'stats', 'json']);
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

export class StatusServer {
  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  /** Listens on `path`; rejects with code EADDRINUSE when another daemon answers there. */
  static async listen(path: string, handler: StatusHandler): Promise<StatusServer> {
    if (existsSync(path)) {
      if (await answers(path)) {
        throw Object.assign(new Error(`${path}: another vrrpd is answering on this status socket`), { code: 'EADDRINUSE' });
      }
      unlinkSync(path);
    }
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
          reply = COMMANDS.has(command) ? handler(command as StatusCommand) : { error: `unknown command ${JSON.stringify(command)}; try status, data, stats or json` };
        } catch (error) {
          reply = { error: (error as Error).message };
        }
        socket.end(`${JSON.stringify(reply)}\n`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    return new StatusServer(server, path);
  }

  /** Stops listening and removes the socket file. */
  close(): void {
    this.server.close();
    try {
      unlinkSync(this.path);
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
  const weight = check.weight === 0 ? 'weight 0 (fault while down)' : `weight ${check.weight > 0 ? '+' : ''}${check.weight}${check.reverse === true ? ' reverse' : ''}`;
  return `${check.name} ${check.up ? 'up' : 'down'}${value}, ${weight}`;
}

/** An instance's indented lines under its row: its tracked checks and excluded addresses, when it has some. */
function detailLines(s: InstanceStatus): string[] {
  const lines: string[] = [];
  // `?? []`: the reply of a daemon that predates these fields has none.
  const checks = s.checks ?? [];
  if (checks.length > 0) lines.push(`  checks: ${checks.map(describeCheck).join('; ')}`);
  if (s.excludedAddresses !== undefined && s.excludedAddresses.length > 0) lines.push(`  excluded: ${s.excludedAddresses.join(',')}`);
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
    s.lastTransition ? `${s.lastTransition.at.replace(/\.\d+Z$/, 'Z')} ${s.lastTransition.from}->${s.lastTransition.to} (${s.lastTransition.reason})` : '-',
  ]);
  const head = ['INSTANCE', 'STATE', 'PRIO', 'EFFECTIVE', 'MASTER', 'VIPS', 'LAST TRANSITION (WHY)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const title = `vrrpd pid ${reply.pid}, ${reply.configFile}, up since ${reply.startedAt}${reply.lastReload ? `, last reload ${reply.lastReload.at}: ${reply.lastReload.result}` : ''}`;
  const body = rows.flatMap((row, i) => [line(row), ...detailLines(reply.instances[i]!)]);
  return [title, line(head), ...body].join('\n') + '\n';
}
