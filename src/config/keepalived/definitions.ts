// keepalived's parameter definitions, as keepalived 2.2.7 reads them (checked with `keepalived -d`):
//   - `$NAME=VALUE` stores VALUE as written; references in it are replaced when it is used, not when it
//     is defined, and the replacement is scanned again (so `$A=10.${B}` then `$B=0` gives 10.0);
//   - `$NAME= \` starts a multi-line definition: the following lines, each ending in `\`, and the first
//     one that does not (a blank line included) are its lines; using it puts those lines in its place;
//   - `${NAME}` is replaced anywhere outside double quotes, a bare `$NAME` only when whitespace, `,`,
//     `)` or the end of the line follows it (keepalived leaves `192.0.2.$N/32` as written);
//   - a value that starts with `~` (a `~SEQ` or `~LST` block, sequence.ts) ends the replacing: the
//     rest of the line is left for the block to read, once for each of its values;
//   - an undefined name is kept as written (warned); `${_PWD}` (the current file's directory),
//     `${_INSTANCE}` (the config id), `${_HASH}` (`#`), `${_BANG}` (`!`) and `${_RANDOM [MIN [MAX]]}`
//     (a new number at each use: random-definition.ts) are predefined. Numbers after the name are
//     taken by _RANDOM only: `${NAME 1}` of any other name, or numbers followed by a space, is not a
//     reference and is kept as written, as keepalived keeps it.
// A definition that uses itself, directly or through others (`$X=${X}${X}`), is an error at the line
// that uses it: keepalived 2.2.7 loops on it for ever. The scan is one pass over the line; only a
// replaced value is scanned again, and that work is charged to the reader's budget (limits.ts).

import { dirname } from 'node:path';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import { READER_LIMITS, ReaderLimitExceeded, type ReaderBudget } from './limits.js';
import { RandomDefinition } from './random-definition.js';

/**
 * `${NAME}` or `${NAME NUMBER...}` (numbers after spaces), or a bare `$NAME` followed by whitespace,
 * `,`, `)` or the end of the line (as keepalived: `$X,y` is replaced, `$X.y` is not); matched at one index.
 */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)((?: +[0-9]+)*)\}|\$([A-Za-z_][A-Za-z0-9_]*)(?=[\s,)]|$)/y;

export interface Expansion {
  /** One line, or several when a multi-line definition was used; none when the line is left out. */
  readonly lines: readonly string[];
  /** The multi-line definition whose lines these are. */
  readonly multiLine?: string;
}

/** A replaced value still being scanned: references found before `end` were produced by `name`. */
interface OpenValue {
  readonly name: string;
  end: number;
}

export class Definitions {
  private readonly values = new Map<string, readonly string[]>();

  constructor(
    defines: Readonly<Record<string, string>>,
    private readonly configId: string | undefined,
    private readonly budget: ReaderBudget,
    private readonly random = new RandomDefinition(),
  ) {
    for (const [name, value] of Object.entries(defines)) this.values.set(name, [value]);
  }

  /** Defines NAME as one line, or several (a multi-line definition). */
  define(name: string, lines: readonly string[]): void {
    this.values.set(name, lines);
  }

  /** NAME's value; `params` (numbers, for _RANDOM) make any other name no reference (undefined). */
  private lookup(name: string, params: string, at: SourcePosition, diagnostics: DiagnosticList) {
    // keepalived's own function gives _RANDOM's text, whatever a `$_RANDOM=` line says.
    if (name === '_RANDOM') return [this.random.draw(params, at, diagnostics)];
    if (params !== '') return undefined;
    const value = this.values.get(name);
    if (value !== undefined) return value;
    if (name === '_PWD') return [dirname(at.file)];
    if (name === '_INSTANCE') return [this.configId ?? ''];
    if (name === '_HASH') return ['#'];
    if (name === '_BANG') return ['!'];
    return undefined;
  }

  /**
   * Replaces every reference in `line`: one line comes back, or several when a multi-line definition
   * was used (the text before the reference joins its first line, the text after its last). Those
   * lines still hold their own references, conditions and definitions for the caller to read, with
   * `within` (the multi-line definitions they came from) so that a loop through them is found too.
   */
  expand(line: string, at: SourcePosition, diagnostics: DiagnosticList, within: readonly string[] = []): Expansion {
    let text = line;
    let replacements = 0;
    let quoted = false;
    const open: OpenValue[] = [];
    const warned = new Set<string>();
    for (let i = 0; i < text.length; ) {
      const c = text[i];
      if (c === '"') quoted = !quoted;
      if (quoted || c !== '$') {
        i++;
        continue;
      }
      REFERENCE.lastIndex = i;
      const match = REFERENCE.exec(text);
      if (match === null) {
        i++;
        continue;
      }
      const whole = match[0];
      const name = (match[1] ?? match[3])!;
      const params = match[2] ?? '';
      const value = this.lookup(name, params, at, diagnostics);
      if (value === undefined) {
        // Numbers after a name other than _RANDOM make no reference: kept as written, unwarned (keepalived).
        if (params === '' && !warned.has(whole)) diagnostics.warning(at, `${whole} is not defined; kept as written`);
        warned.add(whole);
        i += whole.length;
        continue;
      }
      while (open.length > 0 && open.at(-1)!.end <= i) open.pop();
      const chain = [...within, ...open.map((o) => o.name)];
      if (chain.includes(name)) {
        const loop = [...chain.slice(chain.indexOf(name)), name].map((n) => `$${n}`).join(' -> ');
        diagnostics.error(at, `${whole}: the definition uses itself (${loop}); the line is left out`);
        return { lines: [] };
      }
      if (++replacements > READER_LIMITS.replacementsPerLine) {
        throw new ReaderLimitExceeded(
          'replacementsPerLine',
          at.file,
          at.line,
          `${whole}: more than ${READER_LIMITS.replacementsPerLine} definitions replaced in one line`,
        );
      }
      const before = text.slice(0, i);
      const after = text.slice(i + whole.length);
      if (value.length !== 1) {
        const lines = spliceLines(before, value, after);
        const bytes = lines.reduce((sum, l) => sum + l.length, 0);
        this.budget.spend('expandedBytes', bytes, at, 'bytes after definitions are replaced');
        return { lines, multiLine: name };
      }
      text = before + value[0]! + after;
      this.budget.spend('expandedBytes', text.length, at, 'bytes after definitions are replaced');
      if (text.length > READER_LIMITS.lineBytes) {
        throw new ReaderLimitExceeded(
          'lineBytes',
          at.file,
          at.line,
          `${whole}: the line grows beyond ${READER_LIMITS.lineBytes} bytes as definitions are replaced`,
        );
      }
      // keepalived stops at a value starting with `~`: the line is now a block's, read once per value.
      if (value[0]!.trimStart().startsWith('~')) return { lines: [text] };
      const growth = value[0]!.length - whole.length;
      for (const o of open) o.end += growth;
      open.push({ name, end: i + value[0]!.length });
      // The value is scanned again from its start: replacement is recursive.
    }
    return { lines: [text] };
  }
}

/** A multi-line value in place of a reference: the text before joins its first line, the text after its last. */
function spliceLines(before: string, value: readonly string[], after: string): string[] {
  return value.length === 0 ? [before + after] : [before + value[0]!, ...value.slice(1, -1), value.at(-1)! + after];
}
