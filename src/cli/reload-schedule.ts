// reload_time_file and reload_repeat: a reload made at the time written in a file, as keepalived 2.2.7
// does it (core/reload_monitor.c). The file's directory is watched (inotify, through fs.watch); when
// the file appears or changes it is read again and the reload moved, when it goes the reload is
// cancelled. At the time, the file is removed (kept with reload_repeat when it holds a time without a
// date, which then means the same time tomorrow) and the daemon reloads as on SIGHUP; after the reload
// the daemon starts a new schedule from the configuration then running.
// The file is read by root and its text is logged when it is wrong, so it is read only when it is a
// regular file (not through a link, never a FIFO) owned by root or by us: another user's file could be
// a link to a secret, or a way to make root reload at their time.

import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { errorCode, hasCode } from '../errors.js';
import { formatReloadTime, parseReloadTime } from './reload-time.js';
import { ourUid } from './private-files.js';

/** keepalived reads the first line with fgets into 21 bytes: 20 characters at most. */
const LINE_BYTES = 20;
/** setTimeout takes at most 2^31 - 1 ms; a later reload is reached in steps. */
const MAX_TIMER_MS = 2 ** 30;
/** Writes and renames come in bursts: the file is read once they settle. */
const SETTLE_MS = 50;

export interface ReloadScheduleOptions {
  readonly timeFile: string;
  readonly repeat: boolean;
  readonly logger: RuntimeLogger;
  /** Makes the reload (as SIGHUP does). */
  readonly reload: () => void;
  readonly now?: () => number;
}

/**
 * The first line of the time file (newline removed), or undefined when there is none or it is empty.
 * Throws when the file is not one we may read (a link, not a regular file, another user's).
 */
export function readTimeFileLine(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    if (errorCode(error) === 'ELOOP') throw new Error(`${path} is a symbolic link; it is not followed`);
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new Error(`${path} is not a regular file`);
    if (stats.uid !== 0 && stats.uid !== ourUid())
      throw new Error(`${path} is owned by uid ${stats.uid}, neither root nor us; it is not read`);
    const buffer = Buffer.alloc(LINE_BYTES);
    const length = readSync(fd, buffer, 0, LINE_BYTES, 0);
    if (length === 0) return undefined;
    const text = buffer.subarray(0, length).toString('latin1');
    const newline = text.indexOf('\n');
    return newline === -1 ? text : text.slice(0, newline);
  } finally {
    closeSync(fd);
  }
}

/** One reload_time_file being watched; stop() ends it (the daemon makes a new one after each reload). */
export class ReloadSchedule {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  /** The reload scheduled, in ms since the epoch, and whether a date was written. */
  private scheduled: { atMs: number; dateGiven: boolean } | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: ReloadScheduleOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Watches the file's directory and reads the file as it is now. */
  start(): void {
    const { timeFile, logger } = this.options;
    const dir = dirname(timeFile);
    const name = basename(timeFile);
    try {
      this.watcher = watch(dir, (_event, changed) => {
        if (changed === null || changed === name) this.readSoon();
      });
    } catch (error) {
      logger.warn(
        { event: 'reload-schedule', phase: 'unwatched', file: timeFile, error: errorFields(error) },
        `cannot watch ${dir} for the reload time file: ${(error as Error).message}; no reload is scheduled from it`,
      );
      return;
    }
    this.watcher.on('error', (error) => {
      // The directory went (or was renamed): keepalived stops watching until the next reload too.
      this.cancel('the directory of the reload time file is gone');
      this.stop();
      logger.warn(
        { event: 'reload-schedule', phase: 'unwatched', file: timeFile, error: errorFields(error) },
        `stopped watching ${timeFile}: ${error.message}`,
      );
    });
    this.read();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.timer);
    clearTimeout(this.settle);
    this.timer = undefined;
  }

  /** The reload scheduled (ms since the epoch), for tests and the log. */
  get scheduledAtMs(): number | undefined {
    return this.scheduled?.atMs;
  }

  private readSoon(): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.read(), SETTLE_MS);
  }

  /** Reads the file and schedules, moves or cancels the reload as it says. */
  private read(): void {
    if (this.stopped) return;
    const { timeFile, logger } = this.options;
    let line: string | undefined;
    try {
      line = readTimeFileLine(timeFile);
    } catch (error) {
      return this.cancel(`cannot read ${timeFile}: ${(error as Error).message}`, true);
    }
    if (line === undefined) return this.cancel(`${timeFile} is gone or empty`);
    const time = parseReloadTime(line, this.now());
    if (!time.ok) return this.cancel(`${timeFile}: ${time.reason}; ignored`, true);
    const previous = this.scheduled;
    if (previous?.atMs === time.atMs) return;
    this.scheduled = { atMs: time.atMs, dateGiven: time.dateGiven };
    this.arm();
    const at = formatReloadTime(time.atMs);
    const fields = {
      event: 'reload-schedule',
      phase: 'scheduled',
      file: timeFile,
      at: new Date(time.atMs).toISOString(),
    };
    if (previous === undefined) logger.info(fields, `reload scheduled for ${at} (${timeFile})`);
    else logger.info(fields, `reload time moved from ${formatReloadTime(previous.atMs)} to ${at} (${timeFile})`);
  }

  /** `wrong`: the file is there but cannot be used, which the operator should hear of (a warning). */
  private cancel(why: string, wrong = false): void {
    const { timeFile, logger } = this.options;
    clearTimeout(this.timer);
    this.timer = undefined;
    const fields = { event: 'reload-schedule', phase: 'cancelled', file: timeFile, reason: why };
    const level = wrong ? 'warn' : 'info';
    if (this.scheduled !== undefined)
      logger[level](fields, `reload scheduled for ${formatReloadTime(this.scheduled.atMs)} cancelled: ${why}`);
    else if (wrong) logger.warn(fields, `no reload scheduled: ${why}`);
    // Nothing was scheduled: a missing file is the usual case, not news (keepalived says nothing either).
    else logger.debug(fields, `no reload scheduled: ${why}`);
    this.scheduled = undefined;
  }

  /** One timer to the reload, in steps when it is further than setTimeout can wait. */
  private arm(): void {
    clearTimeout(this.timer);
    const scheduled = this.scheduled;
    if (scheduled === undefined) return;
    const remaining = scheduled.atMs - this.now();
    // A timer may fire a little before the wall clock says it is time: wait the rest, so the
    // schedule read after the reload sees the time as passed.
    this.timer = setTimeout(
      () => (remaining > MAX_TIMER_MS || this.now() < scheduled.atMs ? this.arm() : this.fire()),
      Math.min(Math.max(remaining, 0), MAX_TIMER_MS),
    );
  }

  private fire(): void {
    const { timeFile, repeat, logger, reload } = this.options;
    const dateGiven = this.scheduled?.dateGiven ?? false;
    this.stop();
    if (!repeat || dateGiven) {
      try {
        unlinkSync(timeFile);
      } catch (error) {
        if (!hasCode(error, 'ENOENT'))
          logger.warn(
            { event: 'reload-schedule', phase: 'unlink', file: timeFile, error: errorFields(error) },
            `cannot remove ${timeFile}: ${(error as Error).message}`,
          );
      }
    }
    logger.info({ event: 'reload-schedule', phase: 'due', file: timeFile }, `scheduled reload due (${timeFile})`);
    reload();
  }
}
