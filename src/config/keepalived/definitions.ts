// keepalived's parameter definitions, as keepalived 2.2.7 reads them (checked with `keepalived -d`):
//   - `$NAME=VALUE` stores VALUE as written; references in it are replaced when it is used, not when it
//     is defined, and the replacement is scanned again (so `$A=10.${B}` then `$B=0` gives 10.0);
//   - `$NAME= \` starts a multi-line definition: the following lines, each ending in `\`, and the first
//     one that does not (a blank line included) are its lines; using it puts those lines in its place;
//   - `${NAME}` is replaced anywhere outside double quotes, a bare `$NAME` only when whitespace or the
//     end of the line follows it (keepalived leaves `192.0.2.$N/32` as written);
//   - an undefined name is kept as written (warned); `${_PWD}` (the current file's directory),
//     `${_INSTANCE}` (the config id) and `${_HASH}` (a `#` that starts no comment) are predefined.

import { dirname } from 'node:path';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';

/** More replacements than this in one line means definitions that refer to each other in a loop. */
const MAX_REPLACEMENTS = 256;

interface Reference {
  readonly index: number;
  readonly length: number;
  readonly name: string;
}

/** The first reference at or after `from` outside double quotes, or undefined. */
function findReference(text: string, from: number): Reference | undefined {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    if (quoted || c !== '$' || i < from) continue;
    const match = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}|^\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/.exec(text.slice(i));
    if (match) return { index: i, length: match[0].length, name: (match[1] ?? match[2])! };
  }
  return undefined;
}

export class Definitions {
  private readonly values = new Map<string, readonly string[]>();

  constructor(
    defines: Readonly<Record<string, string>>,
    private readonly configId: string | undefined,
  ) {
    for (const [name, value] of Object.entries(defines)) this.values.set(name, [value]);
  }

  /** Defines NAME as one line, or several (a multi-line definition). */
  define(name: string, lines: readonly string[]): void {
    this.values.set(name, lines);
  }

  private lookup(name: string, at: SourcePosition): readonly string[] | undefined {
    const value = this.values.get(name);
    if (value !== undefined) return value;
    if (name === '_PWD') return [dirname(at.file)];
    if (name === '_INSTANCE') return [this.configId ?? ''];
    if (name === '_HASH') return ['#'];
    return undefined;
  }

  /**
   * Replaces every reference in `line`: one line comes back, or several when a multi-line definition
   * was used (the text before the reference joins its first line, the text after its last). Those
   * lines still hold their own references, conditions and definitions for the caller to read.
   */
  expand(line: string, at: SourcePosition, diagnostics: DiagnosticList): string[] {
    let text = line;
    let from = 0;
    let replacements = 0;
    const warned = new Set<string>();
    for (;;) {
      const ref = findReference(text, from);
      if (ref === undefined) return [text];
      const whole = text.slice(ref.index, ref.index + ref.length);
      const value = this.lookup(ref.name, at);
      if (value === undefined) {
        if (!warned.has(whole)) diagnostics.warning(at, `${whole} is not defined; kept as written`);
        warned.add(whole);
        from = ref.index + ref.length;
        continue;
      }
      if (++replacements > MAX_REPLACEMENTS) {
        diagnostics.error(at, `${whole}: definitions refer to each other without end; the line is left out`);
        return [];
      }
      const before = text.slice(0, ref.index);
      const after = text.slice(ref.index + ref.length);
      if (value.length !== 1) {
        if (value.length === 0) return [before + after];
        return [before + value[0]!, ...value.slice(1, -1), value.at(-1)! + after];
      }
      text = before + value[0]! + after;
      from = ref.index; // the value is scanned again: replacement is recursive
    }
  }
}
