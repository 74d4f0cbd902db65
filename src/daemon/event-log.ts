// Turns engine events into structured log records, one object per event with an `event` field, for
// pino or any logger with the same (object, message) methods. Every line a sender can cause once per
// packet is rate-limited (RateLimitedLog): a flood of bad packets, a source alternating between two
// Masters, or a send failing at every advert must not become a flood of log lines. Each kind of line
// for each router logs at most a few times a second; a line carries how many it stands for, and when
// a burst ends a summary line says how many were held back, so nothing is hidden.

import { performance } from 'node:perf_hooks';
import type { Engine } from '../engine/engine.js';
import type { DroppedEvent } from '../engine/events.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';

export interface RateLimitOptions {
  /** The window each key's budget is counted in. */
  readonly intervalMs?: number;
  /** Lines a key may write per window before the rest are counted only. */
  readonly burst?: number;
  /** Keys remembered at most; past it, lines of new keys share one budget (OVERFLOW_KEY). */
  readonly maxKeys?: number;
}

export const DEFAULT_MAX_LOG_KEYS = 1024;
/** The key lines of new keys are counted under once maxKeys keys are held. */
export const OVERFLOW_KEY = '(other keys)';

interface LimiterEntry<Note> {
  total: number;
  /** Events since the last line written for this key, the held-back ones. */
  sinceLogged: number;
  windowStartMs: number;
  linesInWindow: number;
  note: Note | undefined;
}

/** What a line stands for: the key's running total, and the events since its previous line (itself included). */
export interface LimitedLine {
  readonly key: string;
  readonly total: number;
  readonly sinceLastLine: number;
}

/** A key whose held-back events no line has reported, and whose window has ended: its burst is over. */
export interface EndedBurst<Note> {
  readonly key: string;
  readonly total: number;
  readonly suppressed: number;
  readonly note: Note | undefined;
}

/**
 * At most `burst` lines per key per interval; the line carries the total and what it stands for.
 * Memory is bounded: idle keys are forgotten when room is needed, and past maxKeys live keys, new
 * keys share OVERFLOW_KEY, so a flood of distinct keys (random sources) cannot grow the map.
 */
export class LogRateLimiter<Note = unknown> {
  private readonly intervalMs: number;
  private readonly burst: number;
  private readonly maxKeys: number;
  private readonly entries = new Map<string, LimiterEntry<Note>>();
  private lastPruneMs = -Infinity;

  constructor(options: RateLimitOptions | number = {}) {
    const {
      intervalMs = 1000,
      burst = 1,
      maxKeys = DEFAULT_MAX_LOG_KEYS,
    } = typeof options === 'number' ? { intervalMs: options } : options;
    this.intervalMs = intervalMs;
    this.burst = burst;
    this.maxKeys = maxKeys;
  }

  /** Counts the event; returns what to log now, or undefined while this key has used its window's budget. */
  record(key: string, nowMs: number): LimitedLine | undefined {
    const [entryKey, entry] = this.entryFor(key, nowMs);
    entry.total++;
    entry.sinceLogged++;
    if (nowMs - entry.windowStartMs >= this.intervalMs) {
      entry.windowStartMs = nowMs;
      entry.linesInWindow = 0;
    }
    if (entry.linesInWindow >= this.burst) return undefined;
    entry.linesInWindow++;
    const line = { key: entryKey, total: entry.total, sinceLastLine: entry.sinceLogged };
    entry.sinceLogged = 0;
    return line;
  }

  /** Keeps `note` with the key (what its last line said), for its summary. */
  note(key: string, note: Note): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) entry.note = note;
  }

  /** True while some key has events no line has reported yet. */
  get holding(): boolean {
    for (const entry of this.entries.values()) if (entry.sinceLogged > 0) return true;
    return false;
  }

  /** Bursts that are over (or, with `all`, every key holding events back); each is reported once. */
  endedBursts(nowMs: number, all = false): EndedBurst<Note>[] {
    const ended: EndedBurst<Note>[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.sinceLogged === 0 || (!all && nowMs - entry.windowStartMs < this.intervalMs)) continue;
      ended.push({ key, total: entry.total, suppressed: entry.sinceLogged, note: entry.note });
      entry.sinceLogged = 0;
    }
    return ended;
  }

  get size(): number {
    return this.entries.size;
  }

  private entryFor(key: string, nowMs: number): [string, LimiterEntry<Note>] {
    const known = this.entries.get(key);
    if (known !== undefined) return [key, known];
    if (this.entries.size >= this.maxKeys) this.prune(nowMs);
    // Still full of live keys: this one shares the overflow budget, which is always allowed to exist.
    const entryKey = this.entries.size >= this.maxKeys ? OVERFLOW_KEY : key;
    let entry = this.entries.get(entryKey);
    if (entry === undefined) {
      entry = { total: 0, sinceLogged: 0, windowStartMs: -Infinity, linesInWindow: 0, note: undefined };
      this.entries.set(entryKey, entry);
    }
    return [entryKey, entry];
  }

  /** Forgets keys with nothing held back whose window has ended; at most once an interval. */
  private prune(nowMs: number): void {
    if (nowMs - this.lastPruneMs < this.intervalMs) return;
    this.lastPruneMs = nowMs;
    for (const [key, entry] of this.entries) {
      if (key !== OVERFLOW_KEY && entry.sinceLogged === 0 && nowMs - entry.windowStartMs >= this.intervalMs)
        this.entries.delete(key);
    }
  }
}

export type LogLevelName = 'info' | 'warn' | 'error';

interface LineNote {
  readonly level: LogLevelName;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/**
 * A logger's lines through a LogRateLimiter. A line written after some were held back carries
 * `suppressed` (how many); when a key's burst ends, a summary line repeats its last line's fields
 * with `summary: true`, `suppressed` and `count`, from a timer that runs only while lines are held.
 */
export class RateLimitedLog {
  private readonly limiter: LogRateLimiter<LineNote>;
  private readonly intervalMs: number;
  private readonly nowMs: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: RuntimeLogger,
    options: RateLimitOptions & { readonly nowMs?: () => number } = {},
  ) {
    this.limiter = new LogRateLimiter(options);
    this.intervalMs = options.intervalMs ?? 1000;
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /**
   * Writes the line `build` makes, or counts it. `build` runs only for lines written, so a held-back
   * line costs a map lookup; it gets the counts, for lines that always carry them.
   */
  write(
    key: string,
    level: LogLevelName,
    build: (line: LimitedLine) => [Record<string, unknown>, string],
    nowMs = this.nowMs(),
  ): void {
    const line = this.limiter.record(key, nowMs);
    if (line === undefined) {
      this.armTimer();
      return;
    }
    let [fields, message] = build(line);
    if (line.key === OVERFLOW_KEY) fields = { ...fields, rateLimitKey: OVERFLOW_KEY };
    if (line.sinceLastLine > 1) fields = { ...fields, suppressed: line.sinceLastLine - 1 };
    this.logger[level](fields, message);
    this.limiter.note(line.key, { level, fields, message });
  }

  /** Summary lines for the bursts that are over; with `all`, for every key still holding lines. */
  flush(all = false, nowMs = this.nowMs()): void {
    for (const burst of this.limiter.endedBursts(nowMs, all)) {
      const last = burst.note;
      const fields = { ...(last?.fields ?? {}), summary: true, suppressed: burst.suppressed, count: burst.total };
      const message = `${last?.message ?? burst.key} (${burst.suppressed} more like this not logged, ${burst.total} in all)`;
      this.logger[last?.level ?? 'warn'](fields, message);
    }
  }

  /** Writes the summaries still due and stops the timer: for a runtime that stops. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush(true);
  }

  private armTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
      if (this.limiter.holding) this.armTimer();
    }, this.intervalMs);
    this.timer.unref();
  }
}

/** Lines that state changes and their consequences write: a few a second per router are normal. */
export const TRANSITION_LINES_PER_SECOND = 10;

export interface EngineLogOptions {
  /** The clock the rate limits count in; the engine's own, so tests can drive it. */
  readonly nowMs?: () => number;
  readonly maxKeys?: number;
}

/** What logEngineEvents leaves running: summaries of bursts still held back, written on close(). */
export interface EngineLog {
  close(): void;
}

/** State changes, VIP work and priority changes, each router's rate-limited apart. */
function logTransitions(engine: Engine, transitions: RateLimitedLog): void {
  engine.on('stateChange', (e) => {
    transitions.write(`stateChange\u0000${e.router}`, 'info', () => [
      {
        event: 'stateChange',
        router: e.router,
        interface: e.interface,
        vrid: e.vrid,
        from: e.from,
        to: e.to,
        reason: e.reason,
        priority: e.priority,
        clockMs: e.atMs,
      },
      `${e.router}: ${e.from} -> ${e.to} (${e.reason})`,
    ]);
  });
  engine.on('vipsAdded', (e) => {
    transitions.write(`vipsAdded\u0000${e.router}`, 'info', () => [
      { event: 'vipsAdded', router: e.router, interface: e.interface, addresses: e.addresses },
      `${e.router}: adding VIPs`,
    ]);
  });
  engine.on('vipsRemoved', (e) => {
    transitions.write(`vipsRemoved\u0000${e.router}`, 'info', () => [
      { event: 'vipsRemoved', router: e.router, interface: e.interface, addresses: e.addresses },
      `${e.router}: removing VIPs`,
    ]);
  });
  engine.on('vipsAnnounced', (e) => {
    transitions.write(`vipsAnnounced\u0000${e.router}`, 'info', () => [
      { event: 'vipsAnnounced', router: e.router, interface: e.interface, addresses: e.addresses, count: e.count },
      `${e.router}: ${e.count} gratuitous ARP / unsolicited NA per VIP`,
    ]);
  });
  engine.on('priorityChange', (e) => {
    transitions.write(`priorityChange\u0000${e.router}`, 'info', () => [
      { event: 'priorityChange', router: e.router, vrid: e.vrid, from: e.from, to: e.to },
      `${e.router}: priority ${e.from} -> ${e.to}`,
    ]);
  });
}

/** Notices, drops and port errors: a line a second per router and kind, with counts. */
function logPerPacket(engine: Engine, perPacket: RateLimitedLog): void {
  engine.on('notice', (e) => {
    perPacket.write(`notice\u0000${e.router}\u0000${e.notice}`, 'warn', () => [
      { event: 'notice', router: e.router, interface: e.interface, notice: e.notice, detail: e.detail },
      `${e.router}: ${e.detail}`,
    ]);
  });
  engine.on('dropped', (e: DroppedEvent) => {
    perPacket.write(`dropped\u0000${e.router ?? `interface ${e.interface}`}\u0000${e.reason}`, 'warn', (line) => [
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
    ]);
  });
  engine.on('error', (e) => {
    const fields = errorFields(e.error);
    perPacket.write(`error\u0000${e.operation}\u0000${e.router ?? ''}\u0000${String(fields.code)}`, 'error', (line) => [
      {
        event: 'error',
        operation: e.operation,
        router: e.router,
        interface: e.interface,
        error: fields,
        count: line.total,
        sinceLastLine: line.sinceLastLine,
      },
      `${e.operation} failed${e.router ? ` for ${e.router}` : ''}: ${fields.message as string}`,
    ]);
  });
}

/**
 * Subscribes `logger` to every event of `engine` worth a line. Adverts are logged at trace level only.
 * Per-packet lines (notices, drops, port errors) log once a second per router and kind; state changes
 * and VIP lines up to TRANSITION_LINES_PER_SECOND a second per router, since a hostile advert stream
 * can flap a router as fast as its timers allow.
 */
export function logEngineEvents(engine: Engine, logger: RuntimeLogger, options: EngineLogOptions = {}): EngineLog {
  const perPacket = new RateLimitedLog(logger, { burst: 1, ...options });
  const transitions = new RateLimitedLog(logger, { burst: TRANSITION_LINES_PER_SECOND, ...options });

  logTransitions(engine, transitions);
  logPerPacket(engine, perPacket);
  // Per-advert lines only when asked for: the engine skips building these events with no listener.
  // Like stateChange lines they carry the engine's own clock (clockMs: monotonic, ms); a received
  // advert's is the kernel's receive time, the one a down timer counts from.
  if (logger.isLevelEnabled?.('trace') === true) {
    engine.on('advertSent', (e) => {
      logger.trace({
        event: 'advertSent',
        router: e.router,
        vrid: e.vrid,
        priority: e.priority,
        advertIntervalCs: e.advertIntervalCs,
        destinations: e.destinations,
        clockMs: e.atMs,
      });
    });
    engine.on('advertReceived', (e) => {
      logger.trace({
        event: 'advertReceived',
        router: e.router,
        vrid: e.vrid,
        source: e.sourceAddress,
        priority: e.priority,
        advertIntervalCs: e.advertIntervalCs,
        clockMs: e.atMs,
      });
    });
  }
  return {
    close() {
      perPacket.close();
      transitions.close();
    },
  };
}
