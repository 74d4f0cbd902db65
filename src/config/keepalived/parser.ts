// Turns the lexer's tokens into a tree of statements. A statement is the words of one line up to the
// end of the line or a brace; a `{` (on the same line or a later one) opens a block that belongs to
// the statement before it. Brace mistakes are reported with the line where they happen. Blocks nest
// at most READER_LIMITS.blockDepth deep: a deeper one is an error and skipped, so the recursion (here
// and in the mapper) stays shallow whatever the file holds.

import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import type { Token } from './lexer.js';
import { READER_LIMITS } from './limits.js';

export interface Word extends SourcePosition {
  readonly text: string;
  readonly quoted: boolean;
}

export interface Statement extends SourcePosition {
  /** The first word: the keyword (or, inside an address list, the address). */
  readonly keyword: string;
  /** The words after the keyword. */
  readonly args: readonly Word[];
  /** The text after the keyword as written, quotes kept (for commands, which keepalived splits itself). */
  readonly rest: string;
  /** Present when a `{ ... }` block followed the statement. */
  readonly block?: readonly Statement[];
}

export function parseStatements(tokens: readonly Token[], diagnostics: DiagnosticList): Statement[] {
  let index = 0;

  /** Skips the rest of a block whose `{` was just read, and the blocks inside it, without recursion. */
  const skipBlock = (): void => {
    for (let depth = 1; depth > 0 && index < tokens.length; index++) {
      const kind = tokens[index]!.kind;
      if (kind === 'open') depth++;
      else if (kind === 'close') depth--;
    }
  };

  /** The statements of a block whose `{` is at `opener` (the file's top level without one), `depth` deep. */
  const parseBlock = (opener: SourcePosition | undefined, depth: number): Statement[] => {
    const statements: Statement[] = [];
    for (;;) {
      const token = tokens[index];
      if (token === undefined) {
        if (opener) diagnostics.error(opener, 'this block is not closed: a `}` is missing');
        return statements;
      }
      if (token.kind === 'eol') {
        index++;
      } else if (token.kind === 'close') {
        index++;
        if (opener) return statements;
        diagnostics.error(token, 'a `}` closes no block');
      } else if (token.kind === 'open') {
        // A block with no keyword before it on this line or an earlier one.
        index++;
        diagnostics.error(token, 'a `{` opens a block that belongs to no keyword');
        openBlock(token, depth + 1);
      } else {
        statements.push(parseStatement(depth));
      }
    }
  };

  /** The block whose `{` was just read; an empty one, with an error, when it is too deep. */
  const openBlock = (opener: SourcePosition, depth: number): Statement[] => {
    if (depth <= READER_LIMITS.blockDepth) return parseBlock(opener, depth);
    diagnostics.error(opener, `blocks nested more than ${READER_LIMITS.blockDepth} deep; this one is skipped`);
    skipBlock();
    return [];
  };

  const parseStatement = (depth: number): Statement => {
    const first = tokens[index++]!;
    const args: Word[] = [];
    while (tokens[index]?.kind === 'word') {
      const word = tokens[index++]!;
      args.push({ text: word.text, quoted: word.quoted, file: word.file, line: word.line });
    }
    // The block may start on a later line: skip line ends to look for it.
    let look = index;
    while (tokens[look]?.kind === 'eol') look++;
    const next = tokens[look];
    if (next?.kind === 'open') {
      index = look + 1;
      return {
        keyword: first.text,
        args,
        rest: first.rest ?? '',
        file: first.file,
        line: first.line,
        block: openBlock(next, depth + 1),
      };
    }
    return { keyword: first.text, args, rest: first.rest ?? '', file: first.file, line: first.line };
  };

  return parseBlock(undefined, 0);
}
