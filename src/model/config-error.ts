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

/**
 * A configuration value as an error message shows it: a string as it is, anything else as JSON, cut at
 * 80 characters. Never throws, whatever the value (an object whose toString is not a function would
 * make a template literal throw a TypeError instead of the ConfigError meant for it).
 */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    // a throwing getter or toJSON, a BigInt, a cycle: fall through
  }
  return Object.prototype.toString.call(value);
}

/** As valueText, but a string is quoted too (as JSON.stringify would, which can throw). */
export function jsonText(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : valueText(value);
}
