// `umask` (global_defs), read as keepalived 2.2.7 reads it (core/global_parser.c umask_handler): a
// number in C's strtol base 0 (0 prefix octal, 0x hex, else decimal) of permission bits only, or the
// nine single-bit names (IRUSR, IWUSR, IXUSR and the GRP and OTH ones; not IRWXU and its kin, which
// keepalived refuses) joined by `|`, with or without spaces around it. What the mask does to the
// process and the files bin/vrrpd makes is src/cli/file-modes.ts.

import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';

const BITS: Readonly<Record<string, number>> = {
  IRUSR: 0o400,
  IWUSR: 0o200,
  IXUSR: 0o100,
  IRGRP: 0o040,
  IWGRP: 0o020,
  IXGRP: 0o010,
  IROTH: 0o004,
  IWOTH: 0o002,
  IXOTH: 0o001,
};

/** C strtol(text, &end, 0) over the whole word; undefined if anything is left over. */
function strtolBase0(text: string): number | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const digits = match[2]!;
  const value = /^0[xX]/.test(digits)
    ? Number.parseInt(digits.slice(2), 16)
    : digits.startsWith('0')
      ? Number.parseInt(digits, 8) || 0
      : Number.parseInt(digits, 10);
  return match[1] === '-' ? -value : value;
}

/** The mask, or undefined after an error (keepalived then keeps the umask it had). */
export function readUmask(statement: Statement, diagnostics: DiagnosticList): number | undefined {
  const [first, ...rest] = statement.args;
  if (first === undefined) {
    diagnostics.error(statement, 'umask: missing value');
    return undefined;
  }
  if (/^\d/.test(first.text)) {
    if (rest.length > 0) {
      diagnostics.error(statement, 'umask: extra parameter(s)');
      return undefined;
    }
    const value = strtolBase0(first.text);
    if (value === undefined || value < 0 || (value & ~0o777) !== 0) {
      diagnostics.error(first, `invalid umask value ${first.text}`);
      return undefined;
    }
    return value;
  }
  let mask = 0;
  let needOr = false;
  for (const word of statement.args) {
    let rest = word.text;
    while (rest.length > 0) {
      if (needOr) {
        if (!rest.startsWith('|')) {
          diagnostics.error(word, `invalid umask syntax ${word.text}`);
          return undefined;
        }
        needOr = false;
        rest = rest.slice(1);
        continue;
      }
      const name = rest.slice(0, 5);
      const bit = Object.hasOwn(BITS, name) ? BITS[name] : undefined;
      if (bit === undefined) {
        diagnostics.error(word, `unknown umask bit ${rest}`);
        return undefined;
      }
      mask |= bit;
      rest = rest.slice(5);
      needOr = true;
    }
  }
  if (!needOr) {
    diagnostics.error(statement, 'umask: missing bit value');
    return undefined;
  }
  return mask;
}
