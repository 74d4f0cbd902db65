// keepalived's include checks: which include problems are errors (the file is refused) rather than
// warnings (the include reads what it can and the file runs). Plain `include` checks nothing;
// `includer`, `includem`, `includew`, `includeb` and `includea` add checks for their one line;
// `include_check [OPTIONS]` in the main file's global_defs sets the checks of every later include,
// and one in an included file lasts only until that file ends (keepalived saves the setting when it
// opens an include and restores it after each file). keepalived's -e (--all-config) starts with all.

/** A match that is a directory, not a regular non-executable file, or cannot be read. */
export const INCLUDE_READ = 0x01;
/** A pattern without a wildcard that names nothing, or a wildcard under a missing directory. */
export const INCLUDE_MATCH = 0x02;
/** A wildcard that matches nothing. */
export const INCLUDE_WILDCARD = 0x04;
/** A `{a,b}` alternative that names nothing (then nothing of the pattern is read). */
export const INCLUDE_BRACE = 0x08;
export const INCLUDE_ALL = INCLUDE_READ | INCLUDE_MATCH | INCLUDE_WILDCARD | INCLUDE_BRACE;

/** The checks an include directive adds: `include` none, `includer` read, and so on. */
export const INCLUDE_DIRECTIVES: Readonly<Record<string, number>> = {
  include: 0,
  includer: INCLUDE_READ,
  includem: INCLUDE_READ | INCLUDE_MATCH,
  includew: INCLUDE_READ | INCLUDE_MATCH | INCLUDE_WILDCARD,
  includeb: INCLUDE_READ | INCLUDE_BRACE,
  includea: INCLUDE_ALL,
};

const OPTIONS: Readonly<Record<string, number>> = {
  read: INCLUDE_READ,
  match: INCLUDE_MATCH,
  wildcard_match: INCLUDE_WILDCARD,
  brace_match: INCLUDE_BRACE,
};

export interface IncludeCheckSetting {
  readonly checks: number;
  /** One message per word keepalived reports as an error and ignores. */
  readonly errors: readonly string[];
}

/**
 * `include_check` with its words applied to `current`, as keepalived 2.2.7 reads them: no word sets
 * every check; a first bare word sets `read` plus that check; `+word` adds and `-word` removes a check;
 * a bare word after the first is a duplicate, an unknown word an error (both ignored).
 */
export function applyIncludeCheck(current: number, words: readonly string[]): IncludeCheckSetting {
  if (words.length === 0) return { checks: INCLUDE_ALL, errors: [] };
  let checks = current;
  const errors: string[] = [];
  words.forEach((word, index) => {
    const sign = word[0] === '+' || word[0] === '-' ? word[0] : '';
    if (sign === '' && index > 0) {
      errors.push(`include_check: duplicate option "${word}" (only the first may be given without + or -); ignored`);
      return;
    }
    if (sign === '' && index === 0) checks = 0;
    const name = word.slice(sign.length);
    const flag = Object.hasOwn(OPTIONS, name) ? OPTIONS[name]! : 0;
    if (flag === 0) {
      errors.push(
        `include_check: unknown option "${name}" (read, match, wildcard_match or brace_match, each may take + or -); ignored`,
      );
      return;
    }
    if (sign === '') checks = INCLUDE_READ | flag;
    else if (sign === '+') checks |= flag;
    else checks &= ~flag;
  });
  return { checks, errors };
}

/** keepalived's test for a brace group in a pattern (a backslash escapes the next character). */
export function hasBrace(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '{') return true;
  }
  return false;
}
