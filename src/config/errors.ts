/** A configuration mistake: reported before anything touches the network. */
export class ConfigError extends Error {
  /** Where the bad value came from, e.g. `routers[2].vrid` or `OPENSHIFT_HA_VIRTUAL_IPS`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}
