// `${_RANDOM [MIN [MAX]]}`, as keepalived 2.2.7 replaces it (lib/parser.c get_random): a number from
// MIN (default 0) to MAX (default 32767), `random() % (MAX - MIN + 1) + MIN` in C's unsigned long,
// printed in at most as many characters as MAX has digits, from glibc's random() seeded with the
// time (in seconds) as the read begins. A third number is ignored (keepalived logs it); MAX below MIN
// gives what C's arithmetic gives (a large number, cut to MAX's width), and MAX = MIN - 1 is refused:
// keepalived divides by zero there.

import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import { GlibcRandom } from './glibc-random.js';

const ULONG_MAX = (1n << 64n) - 1n;

/** C's strtoul over digits: saturates at ULONG_MAX (ERANGE), as keepalived then uses it. */
function strtoul(digits: string): bigint {
  const value = BigInt(digits);
  return value > ULONG_MAX ? ULONG_MAX : value;
}

/** How many characters keepalived gives the number: the digits of MAX, as a C long. */
function width(max: bigint): number {
  const signed = BigInt.asIntN(64, max);
  return (signed < 0n ? -signed : signed).toString().length;
}

export class RandomDefinition {
  private readonly generator: GlibcRandom;

  /** `seed`: keepalived's srandom(time(NULL)) as each read begins (the current second by default). */
  constructor(seed = Math.floor(Date.now() / 1000)) {
    this.generator = new GlibcRandom(seed);
  }

  /** The text for `${_RANDOM params}` (params: the numbers after the name, space separated, or ''). */
  draw(params: string, at: SourcePosition, diagnostics: DiagnosticList): string {
    const numbers = params.trim() === '' ? [] : params.trim().split(/ +/);
    const min = numbers[0] === undefined ? 0n : strtoul(numbers[0]);
    const max = numbers[1] === undefined ? 32767n : strtoul(numbers[1]);
    const written = `\${_RANDOM${params}}`;
    if (numbers.length > 2) diagnostics.warning(at, `${written}: only MIN and MAX are read; the rest is ignored`);
    const range = BigInt.asUintN(64, max - min + 1n);
    if (range === 0n) {
      diagnostics.error(at, `${written}: MAX is MIN - 1, a range of 0 (keepalived 2.2.7 divides by zero)`);
      return '';
    }
    const value = BigInt.asIntN(64, (BigInt(this.generator.next()) % range) + min);
    return value.toString().slice(0, width(max));
  }
}
