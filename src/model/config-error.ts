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
