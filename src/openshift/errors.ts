// A bad OPENSHIFT_HA_* value: one message naming the variable, the value and what is expected. The
// runner prints it and exits 2 before anything on the host is changed.

import { ConfigError } from '../config/errors.js';

export class EnvError extends ConfigError {
  readonly variable: string;
  readonly value: string | undefined;

  constructor(variable: string, value: string | undefined, expected: string) {
    super(variable, `${value === undefined ? 'not set' : `${JSON.stringify(value)} is not valid`}: ${expected}`);
    this.name = 'EnvError';
    this.variable = variable;
    this.value = value;
  }
}
