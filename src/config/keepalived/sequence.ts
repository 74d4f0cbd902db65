// keepalived's sequence and list blocks, as keepalived 2.2.7's parser reads them (checked with
// `keepalived -t`, whose unknown-keyword reports show the lines produced):
//   - `~SEQ(VAR, START, STEP, END) TEXT` reads TEXT once for each value, VAR set to the value; STEP may
//     be left out (1 or -1, towards END), and START with it (1 when END > 0, else -1: `~SEQ(i, 0)` is
//     1 then 0). The first value is always read; the block ends once the value passes END. A step of 0,
//     or one away from END, is an error. The numbers are read as C's strtol reads them (0x10, 010,
//     an empty one is 0) after definitions in them are replaced; `~SEQx` writes the values in lower-case
//     hexadecimal, without 0x, and refuses negative START or END;
//   - `~LST(VAR, A, B, ...) TEXT` reads TEXT with VAR set to A, then B...; `~LST({V1, V2}, {A1, A2},
//     {B1}) TEXT` sets several at once, a value left out being empty;
//   - TEXT may start with another block: the inner one runs through for each value of the outer one.
// The values are produced one at a time (a block may count to 2^63): the lexer charges each line
// produced to the reader's budget (limits.ts), which ends a block that would not end.

/** A block read from the start of a line: the definitions to make for each line, and the line. */
export interface RepeatBlock {
  /** `~SEQ`, `~SEQx` or `~LST`, for messages. */
  readonly kind: string;
  /** The rest of the line, read once for each assignment. */
  readonly text: string;
  /** The names and values to define before each reading of `text`, in order. */
  assignments(): Iterable<ReadonlyArray<readonly [string, string]>>;
}

export type RepeatResult = { readonly block: RepeatBlock } | { readonly error: string };

/**
 * Replaces the definitions in a block's numbers: the text replaced, or an error (a multi-line
 * definition, which keepalived refuses there).
 */
export type ReplaceParameters = (text: string) => string | { readonly error: string };

/** Whether a line is a block keepalived reads as one (it tests the first four characters only). */
export function isRepeatLine(line: string): boolean {
  return line.startsWith('~SEQ') || line.startsWith('~LST');
}

/** Reads the `~SEQ`, `~SEQx` or `~LST` block at the start of `line` (isRepeatLine(line) holds). */
export function parseRepeat(line: string, replace: ReplaceParameters): RepeatResult {
  if (line.startsWith('~LST')) {
    const list = parseList(line);
    return list === undefined ? { error: `invalid ~LST specification '${line}'` } : { block: list };
  }
  return parseSequence(line, replace);
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
/** keepalived copies a ~SEQ's numbers, up to and with the `)`, into a buffer of 64 bytes. */
const SEQ_PARAMETER_BYTES = 64;

/** C's strtol(text + at, &end, 0) on a long of 64 bits: the value and the index after it. */
export function strtol(text: string, at: number): { value: bigint; end: number } {
  let i = at;
  while (i < text.length && ' \t\n\v\f\r'.includes(text[i]!)) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
  let digits: RegExp = /[0-9]/;
  let base = 10n;
  if (text[i] === '0' && /[xX]/.test(text[i + 1] ?? '') && /[0-9a-fA-F]/.test(text[i + 2] ?? '')) {
    i += 2;
    digits = /[0-9a-fA-F]/;
    base = 16n;
  } else if (text[i] === '0') {
    digits = /[0-7]/;
    base = 8n;
  }
  const start = i;
  let value = 0n;
  while (i < text.length && digits.test(text[i]!)) {
    value = value * base + BigInt(Number.parseInt(text[i]!, 16));
    if (value > LONG_MAX + 1n) value = LONG_MAX + 1n; // enough to clamp; stops the number growing
    i++;
  }
  if (i === start) return { value: 0n, end: at };
  const signed = negative ? -value : value;
  return { value: signed < LONG_MIN ? LONG_MIN : signed > LONG_MAX ? LONG_MAX : signed, end: i };
}

function skipBlanks(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

/** START, STEP and END from the numbers, or undefined when they are not 1 to 3 numbers before `)`. */
function sequenceValues(numbers: string): { start: bigint; step: bigint; end: bigint } | undefined {
  const found: bigint[] = [];
  let i = 0;
  for (;;) {
    const read = strtol(numbers, i);
    found.push(read.value);
    i = skipBlanks(numbers, read.end);
    if (numbers[i] === ')') break;
    if (numbers[i] !== ',' || found.length === 3) return undefined;
    i++;
  }
  const [one, two, three] = found as [bigint, bigint?, bigint?];
  if (two === undefined) return { start: one < 0n ? -1n : 1n, step: one < 1n ? -1n : 1n, end: one };
  if (three === undefined) return { start: one, step: one <= two ? 1n : -1n, end: two };
  return { start: one, step: two, end: three };
}

function parseSequence(line: string, replace: ReplaceParameters): RepeatResult {
  const hex = line[4] === 'x';
  const kind = hex ? '~SEQx' : '~SEQ';
  const invalid = { error: `invalid ${kind} specification '${line}'` };
  let i = skipBlanks(line, hex ? 5 : 4);
  if (line[i++] !== '(') return invalid;
  i = skipBlanks(line, i);
  const varStart = i;
  while (i < line.length && !' \t,)'.includes(line[i]!)) i++;
  const name = line.slice(varStart, i);
  i = skipBlanks(line, i);
  // keepalived passes over the character after the name whatever it is (`~SEQ(i 1 3)` is `~SEQ(i, 3)`).
  if (i >= line.length || line[i] === ')' || name === '') return invalid;
  i = skipBlanks(line, i + 1);
  const close = line.indexOf(')', i);
  if (close === -1) return { error: `${kind}: no ')' ends its numbers in '${line}'` };
  if (close + 1 - i + 1 > SEQ_PARAMETER_BYTES)
    return { error: `${kind}: its numbers are longer than ${SEQ_PARAMETER_BYTES - 2} characters in '${line}'` };
  const numbers = replace(line.slice(i, close + 1));
  if (typeof numbers !== 'string') return { error: `${kind}: ${numbers.error} in '${line}'` };
  if (numbers.length + 1 > SEQ_PARAMETER_BYTES)
    return {
      error: `${kind}: its numbers grow longer than ${SEQ_PARAMETER_BYTES - 1} bytes as definitions are replaced`,
    };
  const values = sequenceValues(numbers);
  if (values === undefined) return invalid;
  const { start, step, end } = values;
  if (step === 0n || (start < end && step < 0n) || (start > end && step > 0n))
    return { error: `invalid ${kind} values '${line}': the step is 0 or leads away from the end` };
  if (hex && (start < 0n || end < 0n)) return { error: `~SEQx is only valid for positive numbers '${line}'` };
  const text = line.slice(skipBlanks(line, close + 1));
  return { block: { kind, text, assignments: () => sequence(name, start, step, end, hex) } };
}

function* sequence(name: string, start: bigint, step: bigint, end: bigint, hex: boolean) {
  for (let next = start; step > 0n ? next <= end : next >= end; next += step)
    yield [[name, hex ? next.toString(16) : next.toString()] as const];
}

/** Reads names or values up to `end` (`,` or `}`) from `line` at `i`; undefined when malformed. */
function readItems(
  line: string,
  i: number,
  stops: string,
  closing: string,
  max: number,
): { items: string[]; end: number } | 'too many' | undefined {
  const items: string[] = [];
  for (;;) {
    const start = i;
    while (i < line.length && !stops.includes(line[i]!)) i++;
    items.push(line.slice(start, i));
    i = skipBlanks(line, i);
    if (closing.includes(line[i] ?? '\0')) return { items, end: i };
    if (line[i] !== ',') return undefined;
    i = skipBlanks(line, i + 1);
    if (items.length > max) return 'too many';
  }
}

function parseList(line: string): RepeatBlock | undefined {
  let i = skipBlanks(line, 4);
  if (line[i++] !== '(') return undefined;
  i = skipBlanks(line, i);
  const bracedNames = line[i] === '{';
  if (bracedNames) i = skipBlanks(line, i + 1);
  // Without braces only one name is read: the `,` after it ends the list of names.
  const names = readItems(line, i, ' \t,}', bracedNames ? '}' : ',', Number.POSITIVE_INFINITY);
  if (names === undefined || names === 'too many') return undefined;
  i = names.end;
  if (line[i] === '}') i = skipBlanks(line, i + 1);
  if (line[i++] !== ',') return undefined;
  i = skipBlanks(line, i);
  const sets: string[][] = [];
  for (;;) {
    const braced = line[i] === '{';
    if (braced) i = skipBlanks(line, i + 1);
    const values = readItems(line, i, ' \t,})', braced ? '}' : ',)', names.items.length - 1);
    if (values === 'too many') return undefined;
    if (values === undefined) return undefined;
    while (values.items.length < names.items.length) values.items.push('');
    sets.push(values.items);
    i = values.end;
    if (braced && line[i] === '}') i = skipBlanks(line, i + 1);
    if (line[i] === ')') break;
    if (line[i] !== ',') return undefined;
    i = skipBlanks(line, i + 1);
  }
  const text = line.slice(skipBlanks(line, i + 1));
  return {
    kind: '~LST',
    text,
    assignments: () => sets.map((set) => names.items.map((n, k) => [n, set[k]!] as const)),
  };
}
