// `include` patterns, as keepalived expands them with glob(3) and GLOB_BRACE: `{a,b}` alternatives,
// then `*`, `?` and `[...]` within one path component; a leading `.` is only matched explicitly;
// matches come back sorted. Relative patterns are taken from the including file's directory.
// The pattern is the file's text, so it is never compiled to a RegExp: it is parsed here (a bad one is
// a GlobError) and matched by a loop, and every expansion is bounded (limits.ts).

import { lstatSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { READER_LIMITS, type ReaderLimit } from './limits.js';

/** The pattern cannot be used: `limit` says which limit it crossed, if that is why. */
export class GlobError extends Error {
  constructor(
    message: string,
    readonly limit?: ReaderLimit,
  ) {
    super(message);
    this.name = 'GlobError';
  }
}

interface BraceGroup {
  readonly open: number;
  readonly close: number;
}

/** The first top-level `{...}` at or after `from`, or undefined; throws when groups nest too deep. */
function firstGroup(pattern: string, from: number): BraceGroup | undefined {
  let depth = 0;
  let open = -1;
  for (let i = from; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
    } else if (c === '{') {
      if (depth === 0) open = i;
      if (++depth > READER_LIMITS.braceDepth)
        throw new GlobError(`{ } groups nested more than ${READER_LIMITS.braceDepth} deep`, 'braceDepth');
    } else if (c === '}' && depth > 0) {
      if (--depth === 0) return { open, close: i };
    }
  }
  return undefined;
}

/**
 * `a{b,c}d` -> [`abd`, `acd`]; nested and repeated braces expand left to right. Iterative: each pass
 * expands the first group left in every pattern, resuming where that group started (what is before it
 * holds no group any more), until none is left.
 */
export function expandBraces(pattern: string): string[] {
  /** `from`: where the next group may start; undefined once the pattern holds no group. */
  let items: { readonly text: string; readonly from: number | undefined }[] = [{ text: pattern, from: 0 }];
  while (items.some((item) => item.from !== undefined)) {
    const next: { text: string; from: number | undefined }[] = [];
    for (const item of items) {
      const group = item.from === undefined ? undefined : firstGroup(item.text, item.from);
      if (group === undefined) {
        next.push({ text: item.text, from: undefined });
        continue;
      }
      const before = item.text.slice(0, group.open);
      const after = item.text.slice(group.close + 1);
      for (const alternative of splitTopLevelCommas(item.text.slice(group.open + 1, group.close))) {
        next.push({ text: before + alternative + after, from: group.open });
      }
      if (next.length > READER_LIMITS.braceAlternatives) {
        throw new GlobError(
          `{ } groups expand to more than ${READER_LIMITS.braceAlternatives} patterns`,
          'braceAlternatives',
        );
      }
    }
    items = next;
  }
  return items.map((item) => item.text);
}

function splitTopLevelCommas(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** One element of a parsed path component: a character, `?`, `*` or a `[...]` set. */
type Element =
  | { readonly kind: 'char'; readonly char: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'star' }
  | { readonly kind: 'set'; readonly negated: boolean; readonly test: (c: string) => boolean };

/** POSIX character classes inside `[...]`, as `[[:digit:]]`. */
const CLASSES: Readonly<Record<string, (c: string) => boolean>> = {
  alnum: (c) => /[A-Za-z0-9]/.test(c),
  alpha: (c) => /[A-Za-z]/.test(c),
  blank: (c) => c === ' ' || c === '\t',
  cntrl: (c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127,
  digit: (c) => c >= '0' && c <= '9',
  graph: (c) => c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127,
  lower: (c) => c >= 'a' && c <= 'z',
  print: (c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) < 127,
  punct: (c) => /[!-/:-@[-`{-~]/.test(c),
  space: (c) => /[ \t\n\v\f\r]/.test(c),
  upper: (c) => c >= 'A' && c <= 'Z',
  xdigit: (c) => /[0-9A-Fa-f]/.test(c),
};

/**
 * Parses `[...]` starting at `start` (the `[`): the set and the index after its `]`, or undefined when
 * no `]` closes it (the `[` is then an ordinary character, as fnmatch takes it).
 */
function parseSet(pattern: string, start: number): [Element, number] | undefined {
  let i = start + 1;
  const negated = pattern[i] === '!' || pattern[i] === '^';
  if (negated) i++;
  const tests: ((c: string) => boolean)[] = [];
  for (let first = true; i < pattern.length; first = false) {
    let c = pattern[i]!;
    if (c === ']' && !first) return [{ kind: 'set', negated, test: (x) => tests.some((t) => t(x)) }, i + 1];
    if (c === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      if (end !== -1) {
        const name = pattern.slice(i + 2, end);
        const test = CLASSES[name];
        if (test === undefined) throw new GlobError(`[:${name}:] is not a character class`);
        tests.push(test);
        i = end + 2;
        continue;
      }
    }
    if (c === '\\' && i + 1 < pattern.length) c = pattern[++i]!;
    i++;
    if (pattern[i] === '-' && i + 1 < pattern.length && pattern[i + 1] !== ']') {
      let last = pattern[i + 1]!;
      i += 2;
      if (last === '\\' && i < pattern.length) last = pattern[i++]!;
      // glob(3) lets such a range match nothing, so the include silently reads nothing: a mistake.
      if (last < c) throw new GlobError(`[${c}-${last}] is a range from a higher character to a lower one`);
      const low = c;
      tests.push((x) => x >= low && x <= last);
    } else {
      const one = c;
      tests.push((x) => x === one);
    }
  }
  return undefined;
}

function parseComponent(pattern: string): Element[] {
  const elements: Element[] = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === '*') {
      // `**` is `*`: one star is enough for the matcher.
      if (elements.at(-1)?.kind !== 'star') elements.push({ kind: 'star' });
      i++;
    } else if (c === '?') {
      elements.push({ kind: 'any' });
      i++;
    } else if (c === '[') {
      const set = parseSet(pattern, i);
      if (set) {
        elements.push(set[0]);
        i = set[1];
      } else {
        elements.push({ kind: 'char', char: '[' });
        i++;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      elements.push({ kind: 'char', char: pattern[i + 1]! });
      i += 2;
    } else {
      elements.push({ kind: 'char', char: c });
      i++;
    }
  }
  return elements;
}

function matchesOne(element: Element, c: string): boolean {
  if (element.kind === 'char') return element.char === c;
  if (element.kind === 'set') return element.test(c) !== element.negated;
  return true;
}

/**
 * fnmatch(3) on one path component, by the usual loop that goes back to the last `*` on a mismatch:
 * at most (pattern length x name length) steps, whatever the pattern.
 */
export function matchComponent(pattern: string, name: string): boolean {
  return matchElements(pattern, parseComponent(pattern), name);
}

/** matchComponent with the pattern parsed once, for a whole directory. */
function matchElements(pattern: string, elements: readonly Element[], name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  let p = 0;
  let n = 0;
  let starAt = -1;
  let starName = 0;
  while (n < name.length) {
    const element = elements[p];
    if (element?.kind === 'star') {
      starAt = p++;
      starName = n;
    } else if (element !== undefined && matchesOne(element, name[n]!)) {
      p++;
      n++;
    } else if (starAt >= 0) {
      p = starAt + 1;
      n = ++starName;
    } else return false;
  }
  while (elements[p]?.kind === 'star') p++;
  return p === elements.length;
}

export interface GlobResult {
  /**
   * The paths found, in order: each brace alternative's matches sorted, alternatives in order.
   * Directories and other non-files are included: the caller decides what to do with them.
   */
  readonly paths: readonly string[];
  /**
   * How many paths looked up were not there: a named file, or a directory a wildcard had to list
   * (keepalived counts glob(3)'s failed lstat and opendir calls the same way).
   */
  readonly missing: number;
  /** A directory was listed for a wildcard (keepalived's test for "a wildcard matched nothing"). */
  readonly wildcards: boolean;
}

interface WalkCounts {
  missing: number;
  wildcards: boolean;
}

/**
 * Expands `pattern` from `baseDir`; throws GlobError when the pattern is bad or crosses a limit.
 * `onPath` is called for every path looked at (the caller's budget may end the walk by throwing).
 */
export function globFiles(pattern: string, baseDir: string, onPath: () => void = () => undefined): GlobResult {
  if (pattern.length > READER_LIMITS.patternBytes)
    throw new GlobError(`the pattern is longer than ${READER_LIMITS.patternBytes} characters`, 'patternBytes');
  const paths: string[] = [];
  const counts: WalkCounts = { missing: 0, wildcards: false };
  const alternatives = expandBraces(pattern);
  // Every component is parsed before any directory is read, so a bad pattern is refused as a whole.
  for (const alternative of alternatives) for (const component of alternative.split('/')) parseComponent(component);
  for (const alternative of alternatives) {
    const absolute = isAbsolute(alternative) ? alternative : resolve(baseDir, alternative);
    paths.push(...matchPath(absolute, onPath, counts).sort());
  }
  return { paths, missing: counts.missing, wildcards: counts.wildcards };
}

/**
 * Walks an absolute pattern component by component, calling `onPath` for every path it looks at;
 * a directory that cannot be listed and a named last component that is not there count as missing.
 */
function matchPath(absolutePattern: string, onPath: () => void, counts: WalkCounts): string[] {
  const components = absolutePattern.split('/').filter((part) => part !== '');
  let paths = ['/'];
  /** The paths came from readdir, so they exist: no lstat needed to know. */
  let listed = false;
  for (const component of components) {
    const next: string[] = [];
    const elements = hasWildcard(component) ? parseComponent(component) : undefined;
    for (const dir of paths) {
      if (elements === undefined) {
        onPath();
        next.push(join(dir, component));
        continue;
      }
      counts.wildcards = true;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        counts.missing++;
        continue;
      }
      for (const name of names) {
        onPath();
        if (matchElements(component, elements, name)) next.push(join(dir, name));
      }
    }
    paths = next;
    listed = elements !== undefined;
  }
  if (listed) return paths;
  const found = paths.filter(exists);
  counts.missing += paths.length - found.length;
  return found;
}

/** lstat(2) succeeds: a dangling link exists here too (reading it fails later, as in keepalived). */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
