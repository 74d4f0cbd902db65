// The runners' logger: pino writing one JSON object per line to stdout, synchronously, so the last
// lines before an exit (or a kill) are never lost in a buffer. Level names, not numbers, and ISO
// times, because people read these lines as often as programs do. `format: 'pretty'` turns each line
// into readable text for a terminal (pretty-log.ts) instead.

import { writeSync } from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyLine } from './pretty-log.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LoggerOptions {
  /** The `name` field of every line. */
  readonly name?: string;
  readonly format?: 'json' | 'pretty';
}

/** Readable lines, written synchronously as the JSON ones are; a closed stdout loses lines, nothing else. */
function prettyDestination(): DestinationStream {
  return {
    write(line: string): void {
      try {
        writeSync(1, prettyLine(line));
      } catch {
        // EPIPE / EAGAIN: the reader went away; the routers carry on.
      }
    },
  };
}

export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  let destination: DestinationStream;
  if (options.format === 'pretty') {
    destination = prettyDestination();
  } else {
    const sonic = pino.destination({ fd: 1, sync: true });
    // A closed stdout (the reader went away) must not become an uncaught exception that skips the
    // graceful stop and leaves VIPs behind: the lines are lost, the routers carry on.
    sonic.on('error', () => {});
    destination = sonic;
  }
  return pino(
    {
      name: options.name ?? 'vrrp-engine',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
