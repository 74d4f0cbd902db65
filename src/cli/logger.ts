// The runners' logger: pino writing one JSON object per line to stdout. Level names, not numbers,
// and ISO times, because people read these lines as often as programs do. `format: 'pretty'` turns
// each line into readable text for a terminal (pretty-log.ts) instead.
//
// Writing never waits for the reader: a full pipe nobody reads (a stalled container log driver, a
// `vrrpd | less` left on its first page) must not stall the advert path. Lines the reader has not
// taken wait in a bounded queue (log-output.ts); a line that does not fit is dropped and counted,
// every later line carries the running count (`logLinesDropped`), and once the queue has drained one
// line says how many were lost. At exit the queue is written out for at most EXIT_FLUSH_MS, so the
// last lines before a normal exit or a fatal error are kept and a dead reader cannot hang the exit.

import pino, { type Logger } from 'pino';
import { BoundedLogOutput } from './log-output.js';
import { prettyLine } from './pretty-log.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What may wait for a slow reader before lines are dropped: about 4,000 lines of 250 bytes. */
export const MAX_QUEUED_LOG_BYTES = 1024 * 1024;
/** How long the exit may spend writing what still waits. */
export const EXIT_FLUSH_MS = 1000;

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LoggerOptions {
  /** The `name` field of every line. */
  readonly name?: string;
  readonly format?: 'json' | 'pretty';
}

export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  // The queue has drained: say how many lines the slow reader cost, once.
  const reportDrops = (): void => {
    const dropped = output.takeUnreported();
    if (dropped > 0) {
      logger.warn(
        { event: 'logLinesDropped', dropped },
        `${dropped} log line(s) dropped: stdout was not read fast enough (${output.droppedLines} since start)`,
      );
    }
  };
  const output = new BoundedLogOutput(1, MAX_QUEUED_LOG_BYTES, reportDrops);
  const pretty = options.format === 'pretty';
  const logger: Logger = pino(
    {
      name: options.name ?? 'vrrp-engine',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Every line after a loss says so, whether or not the summary line gets through.
      mixin: () => (output.droppedLines > 0 ? { logLinesDropped: output.droppedLines } : {}),
    },
    { write: (line: string) => output.write(pretty ? prettyLine(line) : line) },
  );
  process.once('exit', () => output.flushSync(EXIT_FLUSH_MS));
  return logger;
}
