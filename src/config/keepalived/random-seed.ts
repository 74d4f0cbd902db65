// global_defs `random_seed`: checked, and (as in keepalived 2.2.7) of no effect on ${_RANDOM}, which
// random-definition.ts seeds with the time at each read. Apart from the lexer's side, which must not
// import the parser.

import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';

const UINT_MAX = 4_294_967_295;

/**
 * global_defs `random_seed N` (0 to UINT_MAX), checked as keepalived 2.2.7 checks it. keepalived stores
 * it for srandom(), but each read seeds ${_RANDOM}'s generator with the time before the file is read
 * and forgets the stored seed (lib/parser.c init_data, set_std_definitions): the numbers differ from
 * one read to the next whatever the seed. The reader does the same, and says so.
 */
export function readRandomSeed(statement: Statement, diagnostics: DiagnosticList): void {
  const word = statement.args[0];
  const value = word !== undefined && /^\s*\+?\d+$/.test(word.text) ? Number(word.text.trim()) : Number.NaN;
  if (!(value <= UINT_MAX)) {
    diagnostics.error(word ?? statement, `random_seed ${word?.text ?? ''} invalid: a number from 0 to ${UINT_MAX}`);
    return;
  }
  diagnostics.warning(
    statement,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: keepalived's own ${...} syntax, quoted
    'random_seed does not make ${_RANDOM} repeatable: keepalived 2.2.7 seeds it with the time at each read, and so does vrrpd',
  );
}
