// A bad OPENSHIFT_HA_* value: one message naming the variable, the value and what is expected. The
// runner prints it and exits 2 before anything on the host is changed.

import { ConfigError, QUOTED_VALUE_MAX_CHARS, quoteValue } from '../model/config-error.js';

/** A list in a message: its first `shown` items (each quoted if long), then how many more. */
export function shortList(items: readonly string[], shown = 4): string {
  const head = items.slice(0, shown).map((item) => (item.length > QUOTED_VALUE_MAX_CHARS ? quoteValue(item) : item));
  return items.length > shown ? `${head.join(', ')} and ${items.length - shown} more` : head.join(', ');
}

export class EnvError extends ConfigError {
  readonly variable: string;
  readonly value: string | undefined;

  constructor(variable: string, value: string | undefined, expected: string) {
    super(variable, `${value === undefined ? 'not set' : `${quoteValue(value)} is not valid`}: ${expected}`);
    this.name = 'EnvError';
    this.variable = variable;
    this.value = value;
  }
}

/** Linux allows 128 KiB per variable; no OPENSHIFT_HA_* value needs half of it. */
export const MAX_VALUE_CHARS = 65_536;
/** C0 and C1 control characters and DEL, except tab, newline and carriage return (whitespace in lists). */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * Refuses what no variable may hold, before any parsing: more than MAX_VALUE_CHARS characters (checked
 * first, so a huge value costs one length comparison) or a control character.
 */
export function checkValueShape(variable: string, value: string): void {
  if (value.length > MAX_VALUE_CHARS) {
    throw new EnvError(variable, value, `${value.length} characters; expected at most ${MAX_VALUE_CHARS}`);
  }
  const control = CONTROL_CHARACTER.exec(value);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new EnvError(
      variable,
      value,
      `control character U+${code} at position ${control.index}; expected printable text`,
    );
  }
}
