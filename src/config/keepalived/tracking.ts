// track_script / track_interface / track_file / track_process entries (of a vrrp_instance or a
// vrrp_sync_group) and notify commands: checked here, with file and line, and run by src/health
// (see health-plan.ts).

import { splitCommandLine, splitConfigCommand } from './command-line.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement, Word } from './parser.js';

export interface TrackEntry {
  readonly name: string;
  /** The entry's own weight, which overrides the tracked object's. */
  readonly weight?: number;
  readonly reverse?: boolean;
}

/** What an instance (or a sync group) tracks and runs on state changes. */
export interface PendingInstanceFeatures {
  readonly trackScripts: readonly TrackEntry[];
  readonly trackInterfaces: readonly TrackEntry[];
  readonly trackFiles: readonly TrackEntry[];
  readonly trackProcesses: readonly TrackEntry[];
  /** notify keyword -> argv (keepalived splits the command into arguments; no shell). */
  readonly notify: Readonly<Record<string, readonly string[]>>;
  /** notify_priority_changes [BOOL] (notify-extras.ts); unset: the group's, else the global one. */
  readonly notifyPriorityChanges?: boolean;
  /** notify_deleted [COMMAND]: a reload that removes the instance notifies DELETED, not FAULT. */
  readonly notifyDeleted?: boolean;
}

type Mutable<T> = {
  -readonly [K in keyof T]: T[K] extends readonly (infer U)[]
    ? U[]
    : T[K] extends Readonly<Record<string, infer V>>
      ? Record<string, V>
      : T[K];
};
export type PendingCollector = Mutable<PendingInstanceFeatures>;

export function emptyPendingFeatures(): PendingCollector {
  return { trackScripts: [], trackInterfaces: [], trackFiles: [], trackProcesses: [], notify: {} };
}

/** Names of the vrrp_script, vrrp_track_file and vrrp_track_process definitions. */
export interface TrackedNames {
  readonly scripts: ReadonlySet<string>;
  readonly files: ReadonlySet<string>;
  readonly processes: ReadonlySet<string>;
}

const TRACK_KINDS = {
  track_script: { list: 'trackScripts', known: 'scripts', definition: 'vrrp_script' },
  track_file: { list: 'trackFiles', known: 'files', definition: 'vrrp_track_file' },
  track_process: { list: 'trackProcesses', known: 'processes', definition: 'vrrp_track_process' },
  track_interface: { list: 'trackInterfaces', known: undefined, definition: undefined },
} as const;

export function readTracking(
  statement: Statement,
  known: TrackedNames,
  pending: PendingCollector,
  diagnostics: DiagnosticList,
): void {
  const kind = TRACK_KINDS[statement.keyword as keyof typeof TRACK_KINDS];
  if (kind === undefined) {
    diagnostics.warning(statement, `${statement.keyword} is not supported: ignored`);
    return;
  }
  const maxWeight = statement.keyword === 'track_file' ? 254 : 253;
  for (const line of statement.block ?? []) {
    let weight: number | undefined;
    let reverse = false;
    const [first, second, third] = line.args;
    if (first?.text === 'weight' && second) {
      weight = readWeight(second, diagnostics, maxWeight);
      if (third?.text === 'reverse' && line.args.length === 3) reverse = true;
      else if (third) diagnostics.error(third, `unexpected "${third.text}"`);
    } else if (first) {
      diagnostics.error(first, `unexpected "${first.text}" (expected: weight N [reverse])`);
    }
    if (kind.known !== undefined && !known[kind.known].has(line.keyword)) {
      diagnostics.error(line, `${statement.keyword} ${line.keyword}: no ${kind.definition} of that name`);
    }
    pending[kind.list].push({
      name: line.keyword,
      ...(weight !== undefined ? { weight } : {}),
      ...(reverse ? { reverse } : {}),
    });
  }
}

/** notify, notify_master, ...: the command split into arguments now, so a bad quote is found with its line. */
export function readNotifyCommand(statement: Statement, pending: PendingCollector, diagnostics: DiagnosticList): void {
  if (statement.args.length === 0) {
    diagnostics.error(statement, `${statement.keyword} needs a command`);
    return;
  }
  // keepalived: `notify_master "/path/script arg" [USER [GROUP]]`.
  const withUser = /^"((?:[^"\\]|\\.)*)"\s+\S+(?:\s+\S+)?\s*$/.exec(statement.rest.trim());
  if (withUser) {
    diagnostics.warning(
      statement,
      `${statement.keyword}: a user after the command is not supported; it runs as script_user`,
    );
    try {
      pending.notify[statement.keyword] = splitCommandLine(withUser[1]!);
    } catch (error) {
      diagnostics.error(statement, `${statement.keyword}: ${(error as Error).message}`);
    }
    return;
  }
  const argv = splitCommand(statement, diagnostics);
  if (argv !== undefined) pending.notify[statement.keyword] = argv;
}

export function splitCommand(statement: Statement, diagnostics: DiagnosticList): string[] | undefined {
  try {
    return splitConfigCommand(statement.rest);
  } catch (error) {
    diagnostics.error(statement, `${statement.keyword}: ${(error as Error).message}`);
    return undefined;
  }
}

export function readWeight(word: Word, diagnostics: DiagnosticList, max = 253): number | undefined {
  const value = /^[+-]?\d+$/.test(word.text) ? Number(word.text) : NaN;
  if (!(value >= -max && value <= max)) {
    diagnostics.error(word, `weight must be a whole number from -${max} to ${max}, got "${word.text}"`);
    return undefined;
  }
  return value;
}
