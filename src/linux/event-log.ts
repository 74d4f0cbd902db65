// Turns engine events into structured log records, one object per event with an `event` field, for
// pino or any logger with the same (object, message) methods. Drops and port errors are rate-limited:
// a flood of bad packets (or a send failing at every advert while an IPv6 link-local address is
// still tentative) must not become a flood of log lines, so each (router, reason) logs at most once a
// second, carrying the running count so nothing is hidden.

import type { Engine } from '../engine/engine.js';
import type { DroppedEvent } from '../engine/events.js';

type LogMethod = (object: Record<string, unknown>, message?: string) => void;

/** The subset of pino's Logger the runtime uses. */
export interface RuntimeLogger {
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  isLevelEnabled?(level: string): boolean;
}

/** At most one line per key per interval; the line carries the total and what it stands for. */
export class LogRateLimiter {
  private readonly intervalMs: number;
  private readonly entries = new Map<string, { total: number; sinceLogged: number; loggedAtMs: number }>();

  constructor(intervalMs = 1000) {
    this.intervalMs = intervalMs;
  }

  /** Counts the drop; returns what to log now, or undefined while this key is inside its interval. */
  record(key: string, nowMs: number): { total: number; sinceLastLine: number } | undefined {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { total: 0, sinceLogged: 0, loggedAtMs: -Infinity };
      this.entries.set(key, entry);
    }
    entry.total++;
    entry.sinceLogged++;
    if (nowMs - entry.loggedAtMs < this.intervalMs) return undefined;
    const line = { total: entry.total, sinceLastLine: entry.sinceLogged };
    entry.sinceLogged = 0;
    entry.loggedAtMs = nowMs;
    return line;
  }
}

function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const coded = error as Error & { code?: unknown; syscall?: unknown };
    return { message: error.message, code: coded.code, syscall: coded.syscall, name: error.name };
  }
  return { message: String(error) };
}

export { errorFields };

/** Subscribes `logger` to every event of `engine` worth a line. Adverts are logged at trace level only. */
export function logEngineEvents(engine: Engine, logger: RuntimeLogger): void {
  const drops = new LogRateLimiter();
  const errors = new LogRateLimiter();

  engine.on('stateChange', (e) => {
    logger.info(
      { event: 'stateChange', router: e.router, interface: e.interface, vrid: e.vrid, from: e.from, to: e.to, reason: e.reason, priority: e.priority, clockMs: e.atMs },
      `${e.router}: ${e.from} -> ${e.to} (${e.reason})`,
    );
  });
  engine.on('vipsAdded', (e) => {
    logger.info({ event: 'vipsAdded', router: e.router, interface: e.interface, addresses: e.addresses }, `${e.router}: adding VIPs`);
  });
  engine.on('vipsRemoved', (e) => {
    logger.info({ event: 'vipsRemoved', router: e.router, interface: e.interface, addresses: e.addresses }, `${e.router}: removing VIPs`);
  });
  engine.on('vipsAnnounced', (e) => {
    logger.info(
      { event: 'vipsAnnounced', router: e.router, interface: e.interface, addresses: e.addresses, count: e.count },
      `${e.router}: ${e.count} gratuitous ARP / unsolicited NA per VIP`,
    );
  });
  engine.on('priorityChange', (e) => {
    logger.info({ event: 'priorityChange', router: e.router, vrid: e.vrid, from: e.from, to: e.to }, `${e.router}: priority ${e.from} -> ${e.to}`);
  });
  engine.on('notice', (e) => {
    logger.warn({ event: 'notice', router: e.router, interface: e.interface, notice: e.notice, detail: e.detail }, `${e.router}: ${e.detail}`);
  });
  engine.on('dropped', (e: DroppedEvent) => {
    const key = `${e.router ?? `interface ${e.interface}`}\u0000${e.reason}`;
    const line = drops.record(key, e.atMs);
    if (line === undefined) return;
    logger.warn(
      {
        event: 'dropped',
        router: e.router,
        interface: e.interface,
        reason: e.reason,
        detail: e.detail,
        count: line.total,
        sinceLastLine: line.sinceLastLine,
      },
      `${e.router ?? e.interface}: dropped a packet (${e.reason}), ${line.total} so far`,
    );
  });
  engine.on('error', (e) => {
    const fields = errorFields(e.error);
    const line = errors.record(`${e.operation}\u0000${e.router ?? ''}\u0000${String(fields.code)}`, e.atMs);
    if (line === undefined) return;
    logger.error(
      { event: 'error', operation: e.operation, router: e.router, interface: e.interface, error: fields, count: line.total, sinceLastLine: line.sinceLastLine },
      `${e.operation} failed${e.router ? ` for ${e.router}` : ''}: ${fields.message as string}`,
    );
  });

  // Per-advert lines only when asked for: the engine skips building these events with no listener.
  // Like stateChange lines they carry the engine's own clock (clockMs: monotonic, ms); a received
  // advert's is the kernel's receive time, the one a down timer counts from.
  if (logger.isLevelEnabled?.('trace') === true) {
    engine.on('advertSent', (e) => {
      logger.trace({ event: 'advertSent', router: e.router, vrid: e.vrid, priority: e.priority, advertIntervalCs: e.advertIntervalCs, destinations: e.destinations, clockMs: e.atMs });
    });
    engine.on('advertReceived', (e) => {
      logger.trace({ event: 'advertReceived', router: e.router, vrid: e.vrid, source: e.sourceAddress, priority: e.priority, advertIntervalCs: e.advertIntervalCs, clockMs: e.atMs });
    });
  }
}
