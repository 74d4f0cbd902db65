// keepalived's script and notify lines into argument vectors, without a shell.
//
// keepalived reads `script "/bin/sh -c 'exit 1'"` as one configuration word (the double quotes are the
// configuration file's), then splits that text into arguments: blanks separate them, '...' and "..."
// group them, and a backslash escapes the next character. Nothing is expanded: no variables, globs or
// redirections, because no shell ever sees the line.

/** Splits a command line into argv; throws an Error naming the problem (unbalanced quote, empty). */
export function splitCommandLine(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else current += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && (text[index + 1] === '"' || text[index + 1] === '\\')) current += text[++index];
      else current += char;
    } else if (char === '\\') {
      if (index + 1 < text.length) current += text[++index];
      inWord = true;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === ' ' || char === '\t') {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new Error(`unbalanced ${quote} in command: ${text}`);
  if (inWord) args.push(current);
  if (args.length === 0 || args[0] === '') throw new Error('empty command');
  return args;
}

/**
 * A keepalived.conf command as written after its keyword: one double-quoted configuration word is
 * unwrapped first (keepalived's reader strips those quotes), then the text is split.
 */
export function splitConfigCommand(rest: string): string[] {
  const trimmed = rest.trim();
  const single = /^"((?:[^"\\]|\\.)*)"$/.exec(trimmed);
  return splitCommandLine(single ? single[1]! : trimmed);
}
