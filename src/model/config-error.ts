import { ConfigurationError } from '../errors.js';

/** A configuration mistake in one field: reported before anything touches the network. */
export class ConfigError extends ConfigurationError {
  /** Where the bad value came from, e.g. `routers[2].vrid` or `OPENSHIFT_HA_VIRTUAL_IPS`. */
  declare readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`, { field });
    this.name = 'ConfigError';
  }
}

/** Longest value an error message quotes whole: a 1 MB value must not become a 1 MB log line. */
export const QUOTED_VALUE_MAX_CHARS = 80;

/**
 * A value as an error message quotes it, for every reader (JSON input, keepalived.conf, OPENSHIFT_HA_*):
 * as JSON, so a string shows where it starts and ends and no control character reaches a terminal; a
 * longer one cut at QUOTED_VALUE_MAX_CHARS characters, with its length. Never throws, whatever the
 * value (an object whose toString is not a function would make a template literal throw a TypeError
 * instead of the ConfigError meant for it).
 */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= QUOTED_VALUE_MAX_CHARS ? JSON.stringify(value) : cut(JSON.stringify, value);
  }
  const json = jsonOrUndefined(value);
  if (json === undefined) return Object.prototype.toString.call(value);
  return json.length <= QUOTED_VALUE_MAX_CHARS ? json : cut(String, json);
}

/** The first QUOTED_VALUE_MAX_CHARS characters of `text` as `show` prints them, then its length. */
function cut(show: (text: string) => string, text: string): string {
  return `${show(text.slice(0, QUOTED_VALUE_MAX_CHARS))}... (${text.length} characters)`;
}

function jsonOrUndefined(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined; // a throwing getter or toJSON, a BigInt, a cycle
  }
}
