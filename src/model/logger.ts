// The logger every long-running piece writes to: pino's shape, (object, message) per level, so that a
// program passes pino and a library user anything with the same methods. Plain contract, no output
// of its own.

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

/** A thrown value as log fields: its message, and its code, syscall and name when it is an Error. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = 'code' in error ? error.code : undefined;
    const syscall = 'syscall' in error ? error.syscall : undefined;
    return { message: error.message, code, syscall, name: error.name };
  }
  return { message: String(error) };
}
