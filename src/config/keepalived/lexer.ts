// The keepalived.conf lexer. keepalived's grammar is line based: a statement is the words of one line,
// and `{` / `}` also end a statement (so `virtual_ipaddress { 192.0.2.1 }` is three statements, as in
// keepalived). Before a line is split into words it is preprocessed as keepalived does:
//   - a comment starts at `#` or `!` outside quotes and runs to the end of the line;
//   - `$NAME=value` (or several lines ending in `\`) defines NAME; `${NAME}` and `$NAME` are replaced
//     in later lines, outside double quotes, when used (definitions.ts); comments are then removed
//     again, as keepalived does, so a `#` or `!` a value brings in starts one;
//   - `~SEQ(VAR, START, STEP, END) REST` and `~LST(VAR, A, B, ...) REST` read REST once for each
//     value of VAR (sequence.ts), blocks on one line inside one another; each line so produced is
//     charged to the reader's budget. Another line starting with `~` is taken as written;
//   - `include PATTERN` reads the matching files in place (the caller resolves the pattern);
//     `includer`, `includem`, `includew`, `includeb`, `includea` and global_defs' `include_check` say
//     which include problems are errors (include-check.ts);
//   - `@id REST` keeps REST only when id is the config id (keepalived's -i, by default the host name
//     up to its first dot); `@^id REST` only when it is not. The test is made before and after
//     variables are replaced, so `$IF_MAIN=@main` then `$IF_MAIN priority 240` works as in keepalived.
// Pure: reading files is the caller's job, through `IncludeResolver`.

import { Definitions, type Expansion } from './definitions.js';
import { RandomDefinition } from './random-definition.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import { READER_LIMITS, ReaderBudget, ReaderLimitExceeded } from './limits.js';
import { applyIncludeCheck, INCLUDE_DIRECTIVES } from './include-check.js';
import { isRepeatLine, parseRepeat } from './sequence.js';

export type TokenKind = 'word' | 'open' | 'close' | 'eol';

export interface Token extends SourcePosition {
  readonly kind: TokenKind;
  /** The word's text without its quotes; '{', '}' or '' for the others. */
  readonly text: string;
  /** The word was written in double quotes (so it is never a keyword or a brace). */
  readonly quoted: boolean;
  /**
   * On the first word of a line only: the text after it, as written (quotes kept, comment removed,
   * variables substituted). Commands (script, notify) are taken from it, as keepalived does.
   */
  readonly rest?: string;
}

export interface IncludedFile {
  readonly file: string;
  readonly text: string;
}

/**
 * Returns the files an `include` pattern names, in order; reports missing files itself, and charges
 * the paths it looks at to `budget` (globPaths).
 */
export type IncludeResolver = (
  pattern: string,
  from: SourcePosition,
  diagnostics: DiagnosticList,
  budget: ReaderBudget,
  /** Which problems are errors (include-check.ts): the include_check setting and the directive's own. */
  checks: number,
) => readonly IncludedFile[];

export interface LexOptions {
  readonly defines?: Readonly<Record<string, string>>;
  /** keepalived's config id, which `@id` lines are compared with; without one every `@id` line is left out. */
  readonly configId?: string;
  /** Without one, `include` is an error (parseKeepalivedConfig reads no files). */
  readonly include?: IncludeResolver;
  /** The include checks in force before the file says any (keepalived's -e: all of them). */
  readonly includeChecks?: number;
  /** `${_RANDOM}`'s seed: by default the current second, as keepalived seeds it for each read. */
  readonly randomSeed?: number;
}

const DEFINITION = /^\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
/** Lines produced by definitions that produce lines that ...: a loop, cut here. */
const MAX_EXPANSION_DEPTH = 32;

export interface LexResult {
  readonly tokens: readonly Token[];
  /** Every file read, the top one first. */
  readonly files: readonly string[];
  /** A limit was crossed (reported in the diagnostics): reading stopped there, the tokens are partial. */
  readonly stopped: boolean;
}

export function lexKeepalivedConfig(
  text: string,
  file: string,
  diagnostics: DiagnosticList,
  options: LexOptions = {},
): LexResult {
  const lexer = new Lexer(file, diagnostics, options);
  try {
    lexer.budget.spend('filesRead', 1, { file, line: 0 }, 'files read (each include of a file counts)');
    lexer.lexFile(text, file);
  } catch (error) {
    if (!(error instanceof ReaderLimitExceeded)) throw error;
    diagnostics.fatal(error, error.message);
    return { tokens: lexer.tokens, files: lexer.files, stopped: true };
  }
  return { tokens: lexer.tokens, files: lexer.files, stopped: false };
}

/** A multi-line definition being read: its name, its lines so far and where it started. */
interface MultiLineDefinition {
  readonly name: string;
  readonly lines: string[];
  readonly at: SourcePosition;
}

/** One reading of a file and what it includes; lexKeepalivedConfig drives it. */
class Lexer {
  readonly budget = new ReaderBudget();
  readonly tokens: Token[] = [];
  readonly files: string[];
  private readonly definitions: Definitions;
  /** The files being read, the top one first (to refuse an include loop). */
  private readonly open: string[] = [];
  private multiLine: MultiLineDefinition | undefined;
  /** include_check as set so far (include-check.ts). */
  private includeChecks: number;
  /** The blocks the next word is in, outermost first (to find include_check in global_defs). */
  private readonly blocks: string[] = [];
  /** The current statement's keyword; a `{` opens a block of that name. */
  private keyword = '';
  private atStatementStart = true;
  /** `~SEQ` and `~LST` blocks being read, one inside another. */
  private repeatDepth = 0;

  constructor(
    file: string,
    private readonly diagnostics: DiagnosticList,
    private readonly options: LexOptions,
  ) {
    this.files = [file];
    const random = new RandomDefinition(options.randomSeed);
    this.definitions = new Definitions(options.defines ?? {}, options.configId, this.budget, random);
    this.includeChecks = options.includeChecks ?? 0;
  }

  /**
   * One line of a file, or one that a definition produced (`within`: the multi-line definitions it came
   * from, innermost last): conditions, definitions, words.
   */
  lexLine(text: string, at: SourcePosition, within: readonly string[]): void {
    const { diagnostics } = this;
    const depth = within.length;
    if (depth > 0) this.budget.spend('lines', 1, at, 'lines read (files and multi-line definitions)');
    const line = conditional(text.trim(), this.options.configId);
    if (line === undefined || line === '') return;
    const definition = DEFINITION.exec(line);
    if (definition) {
      const value = definition[2]!.trim();
      if (value !== '\\') this.definitions.define(definition[1]!, [value]);
      else if (depth === 0 && this.repeatDepth === 0) this.multiLine = { name: definition[1]!, lines: [], at };
      else
        diagnostics.error(
          at,
          `$${definition[1]!}: a multi-line definition cannot start inside another definition or a ~SEQ or ~LST block`,
        );
      return;
    }
    if (isRepeatLine(line)) {
      this.repeat(line, at, within);
      return;
    }
    // keepalived replaces nothing in another line that starts with `~`.
    const expansion: Expansion = line.startsWith('~')
      ? { lines: [line] }
      : this.definitions.expand(line, at, diagnostics, within);
    const expanded = expansion.lines;
    if (
      expanded.length !== 1 ||
      (expanded[0] !== line && (expanded[0]!.startsWith('@') || isRepeatLine(expanded[0]!)))
    ) {
      // Lines from a multi-line definition, or a condition or block a definition supplied
      // (`$IF_MAIN priority 240`, `$EACH_VIP 192.0.2.$i`).
      if (depth >= MAX_EXPANSION_DEPTH)
        diagnostics.error(at, `definitions nested more than ${MAX_EXPANSION_DEPTH} deep; the line is left out`);
      else {
        const from = expansion.multiLine === undefined ? within : [...within, expansion.multiLine];
        for (const produced of expanded) this.lexLine(produced, at, from);
      }
      return;
    }
    // keepalived removes comments again once references are replaced: `${_HASH}` and `${_BANG}` (or a
    // value holding `#` or `!`) start one there, outside quotes, as `keepalived -t` shows.
    const single = expanded[0] === line ? line : stripComment(expanded[0]!).trim();
    if (single === '') return;
    // An include's pattern is taken as written: `{a,b}` there is a glob, not a block.
    const include = /^(include[rmwba]?)(?:\s+(.*))?$/.exec(single);
    if (include) this.includeFiles((include[2] ?? '').trim(), at, INCLUDE_DIRECTIVES[include[1]!]!);
    else this.pushWords(single, at);
  }

  /**
   * A `~SEQ` or `~LST` line: its rest is read once for each value, the block's names defined first
   * (they stay defined after it, as in keepalived). Each reading is a line for the budget.
   */
  private repeat(line: string, at: SourcePosition, within: readonly string[]): void {
    if (this.repeatDepth >= MAX_EXPANSION_DEPTH) {
      this.diagnostics.error(
        at,
        `~SEQ and ~LST blocks nested more than ${MAX_EXPANSION_DEPTH} deep; the line is left out`,
      );
      return;
    }
    const parsed = parseRepeat(line, (numbers) => {
      const replaced = this.definitions.expand(numbers, at, this.diagnostics, within).lines;
      return replaced.length === 1 ? replaced[0]! : { error: 'a multi-line definition is used in its numbers' };
    });
    if ('error' in parsed) {
      this.diagnostics.error(at, `${parsed.error}; the line is left out`);
      return;
    }
    const { block } = parsed;
    this.repeatDepth++;
    try {
      for (const assignment of block.assignments()) {
        this.budget.spend(
          'lines',
          1,
          at,
          `lines read (files, multi-line definitions, ~SEQ and ~LST blocks: ${block.kind})`,
        );
        this.budget.spend('expandedBytes', block.text.length + 1, at, 'bytes after definitions are replaced');
        for (const [name, value] of assignment) this.definitions.define(name, [value]);
        this.lexLine(block.text, at, within);
      }
    } finally {
      this.repeatDepth--;
    }
  }

  /** The words of one statement line, the first carrying the rest of the line, then its end. */
  private pushWords(single: string, at: SourcePosition): void {
    const words = splitWords(single, at, this.diagnostics);
    const first = words[0];
    // Fields written out, not spread: a spread makes slow, shapeless objects, and files have many words.
    if (first?.kind === 'word')
      words[0] = {
        kind: 'word',
        text: first.text,
        quoted: first.quoted,
        file: at.file,
        line: at.line,
        rest: restAfterFirstWord(single),
      };
    this.budget.spend('tokens', words.length + 1, at, 'words and braces');
    for (const word of words) this.tokens.push(word);
    this.tokens.push({ kind: 'eol', text: '', quoted: false, file: at.file, line: at.line });
    this.followBlocks(words, at);
  }

  /**
   * Follows the blocks the words open and close, and applies `include_check` when it is a statement
   * of global_defs (keepalived reads it there, while reading, so it governs the includes after it).
   */
  private followBlocks(words: readonly Token[], at: SourcePosition): void {
    let includeCheck: string[] | undefined;
    const endStatement = () => {
      if (includeCheck !== undefined) {
        const setting = applyIncludeCheck(this.includeChecks, includeCheck);
        this.includeChecks = setting.checks;
        for (const message of setting.errors) this.diagnostics.error(at, message);
      }
      includeCheck = undefined;
      this.atStatementStart = true;
    };
    for (const word of words) {
      if (word.kind === 'word') {
        if (!this.atStatementStart) includeCheck?.push(word.text);
        else {
          this.keyword = word.text;
          this.atStatementStart = false;
          const inGlobalDefs = this.blocks.length === 1 && this.blocks[0] === 'global_defs';
          if (word.text === 'include_check' && inGlobalDefs) includeCheck = [];
        }
      } else {
        endStatement();
        if (word.kind === 'open') this.blocks.push(this.keyword);
        else if (word.kind === 'close') this.blocks.pop();
      }
    }
    endStatement();
  }

  /** Ends a multi-line definition: what it read so far becomes its value. */
  private endMultiLine(): void {
    if (this.multiLine === undefined) return;
    this.definitions.define(
      this.multiLine.name,
      this.multiLine.lines.filter((l) => l !== ''),
    );
    this.multiLine = undefined;
  }

  lexFile(source: string, name: string): void {
    this.open.push(name);
    // Line by line without splitting the whole file first: the line budget may stop it early.
    for (let start = 0, index = 0; start <= source.length; index++) {
      const newline = source.indexOf('\n', start);
      const end = newline === -1 ? source.length : newline;
      const rawLine = source.slice(start, end > start && source[end - 1] === '\r' ? end - 1 : end);
      start = end + 1;
      if (newline === -1 && rawLine === '' && index > 0) break; // the file's last newline ends no line
      const at: SourcePosition = { file: name, line: index + 1 };
      this.budget.spend('lines', 1, at, 'lines read (files and multi-line definitions)');
      if (rawLine.length > READER_LIMITS.lineBytes)
        throw new ReaderLimitExceeded(
          'lineBytes',
          name,
          index + 1,
          `the line is longer than ${READER_LIMITS.lineBytes} bytes`,
        );
      this.budget.spend('expandedBytes', rawLine.length + 1, at, 'bytes after definitions are replaced');
      const text = stripComment(rawLine).trim();
      if (this.multiLine === undefined) {
        this.lexLine(text, at, []);
        continue;
      }
      // Every line ending in a backslash continues the definition; the first other one (even blank) ends it.
      const continues = text.endsWith('\\');
      this.multiLine.lines.push((continues ? text.slice(0, -1) : text).trim());
      if (!continues) this.endMultiLine();
    }
    this.endMultiLine();
    this.open.pop();
  }

  private includeFiles(pattern: string, at: SourcePosition, directiveChecks: number): void {
    const { diagnostics, open } = this;
    if (pattern === '' || /\s/.test(pattern)) {
      diagnostics.error(at, 'include takes one file name or pattern');
      return;
    }
    if (!this.options.include) {
      diagnostics.error(at, `include ${pattern}: includes are not read here (use loadKeepalivedConfig)`);
      return;
    }
    if (open.length >= READER_LIMITS.includeDepth) {
      diagnostics.error(at, `include ${pattern}: nested more than ${READER_LIMITS.includeDepth} deep`);
      return;
    }
    const checks = this.includeChecks | directiveChecks;
    // keepalived keeps the setting of the include line: one an included file makes ends with that file.
    const saved = this.includeChecks;
    const unquoted = pattern.replace(/^"(.*)"$/, '$1');
    for (const included of this.options.include(unquoted, at, diagnostics, this.budget, checks)) {
      if (open.includes(included.file)) {
        diagnostics.error(at, `include ${included.file}: the file includes itself (through ${open.join(' -> ')})`);
        continue;
      }
      // Counted each time it is included, as keepalived reads it each time (a diamond reads it twice).
      this.budget.spend('filesRead', 1, at, 'files read (each include of a file counts)');
      if (!this.files.includes(included.file)) this.files.push(included.file);
      this.lexFile(included.text, included.file);
      this.includeChecks = saved;
    }
  }
}

/**
 * keepalived's conditional lines: `@id REST` is REST when `id` is the config id, else nothing;
 * `@^id REST` the other way round. A line without `@` is returned as it is.
 */
export function conditional(line: string, configId: string | undefined): string | undefined {
  const match = /^@(\^?)(\S*)\s*(.*)$/.exec(line);
  if (!match) return line;
  const negated = match[1] === '^';
  return (match[2] === configId) !== negated ? match[3]! : undefined;
}

/** Cuts a line at the first `#` or `!` that is not inside double quotes. */
export function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && (c === '#' || c === '!')) {
      return line.slice(0, i);
    }
  }
  return line; // an unclosed quote is reported when the words are split
}

/** The line after its first word (quoted or not), up to a brace that is not inside quotes. */
function restAfterFirstWord(line: string): string {
  let i = 0;
  if (line.startsWith('"')) i = line.indexOf('"', 1) + 1 || line.length;
  else while (i < line.length && !/[\s{}"]/.test(line[i]!)) i++;
  let quoted = false;
  let end = i;
  for (; end < line.length; end++) {
    const c = line[end];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '{' || c === '}')) break;
  }
  return line.slice(i, end).trim();
}

/** Splits a comment-free line into words, quoted strings and braces. */
export function splitWords(line: string, at: SourcePosition, diagnostics: DiagnosticList): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, text: string, quoted = false) =>
    tokens.push({ kind, text, quoted, file: at.file, line: at.line });
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '{' || c === '}') {
      push(c === '{' ? 'open' : 'close', c);
      i++;
    } else if (c === '"') {
      const [text, end] = readQuoted(line, i + 1, at, diagnostics);
      push('word', text, true);
      i = end;
    } else {
      let end = i;
      while (end < line.length && !/[\s{}"]/.test(line[end]!)) end++;
      push('word', line.slice(i, end));
      i = end;
    }
  }
  return tokens;
}

/**
 * Reads a quoted string starting after its opening quote; returns the text and the index after it.
 * keepalived 2.2.7 gives a backslash no meaning inside quotes (`auth_pass "a\tb"` is the 4 bytes
 * a, \, t, b), so a quote cannot be escaped: `"a\"b"` leaves one quote unmatched, an error there too.
 */
function readQuoted(line: string, start: number, at: SourcePosition, diagnostics: DiagnosticList): [string, number] {
  const end = line.indexOf('"', start);
  if (end === -1) {
    diagnostics.error(at, 'a quoted string is not closed on this line');
    return [line.slice(start), line.length];
  }
  return [line.slice(start, end), end + 1];
}
