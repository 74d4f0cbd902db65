// The keywords that place and name the daemon, read as keepalived 2.2.7 reads them: net_namespace
// NAME, instance NAME and use_pid_dir at the top level of the file (core/global_parser.c installs them
// as root keywords: inside global_defs keepalived calls them unknown), and data_use_instance in
// global_defs. What bin/vrrpd does with them (the namespace it runs in, its pid, reload and data file
// names) is src/cli/daemon-files.ts; the names themselves are computed there from ProcessNaming.

import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';

export interface ProcessNaming {
  /** net_namespace: the daemon runs in the network namespace /run/netns/NAME. */
  readonly netNamespace?: string;
  /** instance: its name goes into the pid and reload file names. */
  readonly instance?: string;
  /** use_pid_dir, or implied by net_namespace or instance: pid files in /run/keepalived/. */
  readonly usePidDir: boolean;
}

/** The root keywords this module reads. */
export const NAMING_KEYWORDS: ReadonlySet<string> = new Set(['net_namespace', 'instance', 'use_pid_dir']);

/**
 * A name keepalived puts into a path (/run/netns/NAME, /run/keepalived/NAME, keepalived_NAME.pid):
 * one path component, as `ip netns add` requires of a namespace name. keepalived takes any word and
 * fails later (no such namespace) or writes outside /run/keepalived; refused here, at its line.
 */
function pathComponent(statement: Statement, diagnostics: DiagnosticList): string | undefined {
  const [word, ...extra] = statement.args;
  if (word === undefined) {
    // keepalived -t: "net_namespace name missing - ignoring", and exit status 5.
    diagnostics.error(statement, `${statement.keyword} needs a name`);
    return undefined;
  }
  if (word.text.includes('/') || word.text === '.' || word.text === '..') {
    diagnostics.error(
      word,
      `${statement.keyword} ${word.text}: a name goes into file names, so it cannot hold "/" or be . or ..`,
    );
    return undefined;
  }
  if (extra.length > 0)
    diagnostics.warning(
      extra[0]!,
      `${statement.keyword}: only the first word is the name; "${extra.map((w) => w.text).join(' ')}" is ignored`,
    );
  return word.text;
}

/** Reads the root keywords of NAMING_KEYWORDS: the first name of each counts, as in keepalived. */
export function readProcessNaming(statements: readonly Statement[], diagnostics: DiagnosticList): ProcessNaming {
  let netNamespace: string | undefined;
  let instance: string | undefined;
  let usePidDir = false;
  for (const statement of statements) {
    const { keyword } = statement;
    if (!NAMING_KEYWORDS.has(keyword)) continue;
    if (statement.block) diagnostics.error(statement, `${keyword} takes no { } block`);
    if (keyword === 'use_pid_dir') {
      // keepalived reads no value: any word after it is ignored.
      if (statement.args.length > 0)
        diagnostics.warning(statement, `use_pid_dir takes no value; "${statement.args[0]!.text}" is ignored`);
      usePidDir = true;
      continue;
    }
    const name = pathComponent(statement, diagnostics);
    if (name === undefined) continue;
    const first = keyword === 'net_namespace' ? netNamespace : instance;
    if (first !== undefined) {
      diagnostics.warning(
        statement,
        `${keyword} ${name}: ${keyword} was already given (${first}); this one is ignored`,
      );
      continue;
    }
    if (keyword === 'net_namespace') netNamespace = name;
    else instance = name;
    usePidDir = true;
  }
  return {
    ...(netNamespace !== undefined ? { netNamespace } : {}),
    ...(instance !== undefined ? { instance } : {}),
    usePidDir,
  };
}
