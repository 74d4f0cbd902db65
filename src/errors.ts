// Error shapes shared across the code base: errno-style codes (Node's convention, which the kernel
// paths and our own refusals both follow) and the base of every configuration mistake.

/** An Error with a string `code`: an errno name (ENODEV, EEXIST) or one of ours (ENETLINK). */
export type CodedError = Error & { readonly code: string };

/**
 * True when `error` is an Error carrying a string `code`, and, if `code` is given, that code. Replaces
 * casts such as `(error as NodeJS.ErrnoException).code`, which read a property a thrown value may lack.
 */
export function hasCode(error: unknown, code?: string): error is CodedError {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return false;
  return code === undefined || error.code === code;
}

/** The `code` of a coded error, else undefined: for a caller that switches on the code. */
export function errorCode(error: unknown): string | undefined {
  return hasCode(error) ? error.code : undefined;
}

/** A new Error with `code` set, so callers can switch on it like a system error's. */
export function codedError(code: string, message: string, options?: ErrorOptions): CodedError {
  return Object.assign(new Error(message, options), { code });
}

/** Gives any thrown value an errno-style `code`: a coded Error as it is, anything else wrapped (as its cause). */
export function asCodedError(error: unknown, fallbackCode: string): CodedError {
  if (hasCode(error)) return error;
  return codedError(fallbackCode, error instanceof Error ? error.message : String(error), { cause: error });
}

/** Where a configuration mistake is: any of the file and line it was read from and the field it sets. */
export interface ConfigLocation {
  readonly file?: string | undefined;
  readonly line?: number | undefined;
  readonly field?: string | undefined;
}

/**
 * The base of every configuration mistake (JSON, keepalived.conf, OPENSHIFT_HA_* variables): reported
 * before anything touches the network. `instanceof ConfigurationError` catches them all; each subclass
 * sets its own name and message. Only the places known become properties (none is left undefined), so
 * a logged error shows just what its subclass knows.
 */
export abstract class ConfigurationError extends Error {
  declare readonly file?: string;
  declare readonly line?: number;
  declare readonly field?: string;

  constructor(message: string, where: ConfigLocation = {}) {
    super(message);
    const known = Object.entries(where).filter(([, value]) => value !== undefined);
    Object.assign(this, Object.fromEntries(known));
  }
}
