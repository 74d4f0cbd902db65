// `include` patterns, as keepalived expands them with glob(3) and GLOB_BRACE: `{a,b}` alternatives,
// then `*`, `?` and `[...]` within one path component; a leading `.` is only matched explicitly;
// matches come back sorted. Relative patterns are taken from the including file's directory.

import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** `a{b,c}d` -> [`abd`, `acd`]; nested and repeated braces expand left to right. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
    } else if (c === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const alternatives = splitTopLevelCommas(pattern.slice(open + 1, i));
        const before = pattern.slice(0, open);
        const after = pattern.slice(i + 1);
        return alternatives.flatMap((alternative) => expandBraces(before + alternative + after));
      }
    }
  }
  return [pattern];
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

/** fnmatch(3) on one path component. */
export function matchComponent(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  return componentRegExp(pattern).test(name);
}

function componentRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let set = pattern.slice(i + 1, close);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      source += `[${set.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '\\' && i + 1 < pattern.length) {
      source += escapeRegExp(pattern[++i]!);
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

export interface GlobResult {
  /** The files found, in order: each brace alternative's matches sorted, alternatives in order. */
  readonly files: readonly string[];
  /** Alternatives without wildcards whose file does not exist. */
  readonly missing: readonly string[];
  /** Alternatives with wildcards that matched no file. */
  readonly unmatched: readonly string[];
}

export function globFiles(pattern: string, baseDir: string): GlobResult {
  const files: string[] = [];
  const missing: string[] = [];
  const unmatched: string[] = [];
  for (const alternative of expandBraces(pattern)) {
    const absolute = isAbsolute(alternative) ? alternative : resolve(baseDir, alternative);
    if (!hasWildcard(alternative)) {
      if (isFile(absolute)) files.push(absolute);
      else missing.push(absolute);
      continue;
    }
    const matches = matchPath(absolute).sort();
    if (matches.length === 0) unmatched.push(absolute);
    files.push(...matches.filter(isFile));
  }
  return { files, missing, unmatched };
}

/** Walks an absolute pattern component by component. */
function matchPath(absolutePattern: string): string[] {
  const components = absolutePattern.split('/').filter((part) => part !== '');
  let paths = ['/'];
  for (const component of components) {
    const next: string[] = [];
    for (const dir of paths) {
      if (!hasWildcard(component)) {
        next.push(join(dir, component));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) if (matchComponent(component, name)) next.push(join(dir, name));
    }
    paths = next;
  }
  return paths.filter(exists);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
