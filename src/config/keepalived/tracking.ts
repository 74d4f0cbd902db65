// track_script / track_interface entries of a vrrp_instance: checked now, run by issue 5.

import type { DiagnosticList } from './diagnostics.js';
import type { Statement, Word } from './parser.js';

export const NOT_YET_ISSUE_5 = 'is not supported yet (issue 5): parsed and recorded, not run';

export function readTracking(
  statement: Statement,
  scripts: ReadonlySet<string>,
  pending: { trackScripts: { name: string; weight?: number }[]; trackInterfaces: { name: string; weight?: number }[] },
  diagnostics: DiagnosticList,
): void {
  diagnostics.warning(statement, `${statement.keyword} ${NOT_YET_ISSUE_5}`);
  if (statement.keyword !== 'track_script' && statement.keyword !== 'track_interface') return;
  for (const line of statement.block ?? []) {
    let weight: number | undefined;
    const [first, second, third] = line.args;
    if (first?.text === 'weight' && second) {
      weight = readWeight(second, diagnostics);
      if (third && !(third.text === 'reverse' && line.args.length === 3)) diagnostics.error(third, `unexpected "${third.text}"`);
    } else if (first) {
      diagnostics.error(first, `unexpected "${first.text}" (expected: weight N)`);
    }
    if (statement.keyword === 'track_script') {
      if (!scripts.has(line.keyword)) diagnostics.error(line, `track_script ${line.keyword}: no vrrp_script of that name`);
      pending.trackScripts.push({ name: line.keyword, ...(weight !== undefined ? { weight } : {}) });
    } else {
      pending.trackInterfaces.push({ name: line.keyword, ...(weight !== undefined ? { weight } : {}) });
    }
  }
}

export function readWeight(word: Word, diagnostics: DiagnosticList): number | undefined {
  const value = /^[+-]?\d+$/.test(word.text) ? Number(word.text) : NaN;
  if (!(value >= -253 && value <= 253)) {
    diagnostics.error(word, `weight must be a whole number from -253 to 253, got "${word.text}"`);
    return undefined;
  }
  return value;
}
