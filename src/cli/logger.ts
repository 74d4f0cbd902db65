// The runner's logger: pino writing one JSON object per line to stdout, synchronously, so the last
// lines before an exit (or a kill) are never lost in a buffer. Level names, not numbers, and ISO
// times, because people read these lines as often as programs do.

import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(level: LogLevel): Logger {
  const destination = pino.destination({ fd: 1, sync: true });
  // A closed stdout (the reader went away) must not become an uncaught exception that skips the
  // graceful stop and leaves VIPs behind: the lines are lost, the routers carry on.
  destination.on('error', () => {});
  return pino(
    {
      name: 'vrrp-engine',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
