// vrrp_script, vrrp_track_file, vrrp_track_process and vrrp_sync_group definitions, checked with their
// file and line; src/config/keepalived/health-plan.ts turns them into a HealthPlan that startHealth runs.

import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import {
  emptyPendingFeatures,
  readNotifyCommand,
  readTracking,
  readWeight,
  splitCommand,
  type PendingInstanceFeatures,
  type TrackedNames,
} from './tracking.js';
import { reportUnmapped } from './keywords.js';
import { readNotifyExtra } from './notify-extras.js';
import type { Statement } from './parser.js';
import { readInteger, readSeconds, singleArg } from './values.js';

export interface VrrpScriptDefinition {
  readonly name: string;
  /** The command as written (see `command` for its arguments). */
  readonly script: string;
  readonly command: readonly string[];
  /** Seconds between runs (keepalived default 1). */
  readonly interval: number;
  /** Seconds a run may take; keepalived's default is the interval. */
  readonly timeout?: number;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly rise: number;
  readonly fall: number;
  /** `user USER [GROUP]` as written. */
  readonly user?: string;
  readonly initFail: boolean;
  readonly at: SourcePosition;
}

function namedBlock(statement: Statement, what: string, diagnostics: DiagnosticList): string | undefined {
  const nameWord = singleArg(statement, diagnostics);
  if (!nameWord) return undefined;
  if (!statement.block) {
    diagnostics.error(statement, `${what} ${nameWord.text} has no { } block`);
    return undefined;
  }
  return nameWord.text;
}

/** `weight N [reverse]` of a tracked object definition. */
function readWeightLine(
  child: Statement,
  max: number,
  diagnostics: DiagnosticList,
): { weight: number; reverse: boolean } | undefined {
  const [value, reverse] = child.args;
  if (!value || child.args.length > 2 || (reverse && reverse.text !== 'reverse')) {
    diagnostics.error(child, `weight takes a number from -${max} to ${max} and optionally "reverse"`);
    return undefined;
  }
  const weight = readWeight(value, diagnostics, max);
  return weight === undefined ? undefined : { weight, reverse: reverse !== undefined };
}

/** `script COMMAND`: its text and its words; undefined (an error said) without a command. */
function readScriptLine(
  child: Statement,
  diagnostics: DiagnosticList,
): { script: string; command: string[] | undefined } | undefined {
  if (child.args.length > 0) return { script: child.rest, command: splitCommand(child, diagnostics) };
  diagnostics.error(child, 'script needs a command');
  return undefined;
}

/** `user NAME [GROUP]`, as one string; undefined (an error said) otherwise. */
function readUserLine(child: Statement, diagnostics: DiagnosticList): string | undefined {
  if (child.args.length >= 1 && child.args.length <= 2) return child.args.map((w) => w.text).join(' ');
  diagnostics.error(child, 'user takes a user name and optionally a group');
  return undefined;
}

export function readVrrpScript(statement: Statement, diagnostics: DiagnosticList): VrrpScriptDefinition | undefined {
  const name = namedBlock(statement, 'vrrp_script', diagnostics);
  if (name === undefined) return undefined;
  let script: string | undefined;
  let command: string[] | undefined;
  let interval = 1;
  let timeout: number | undefined;
  let weight = 0;
  let weightReverse = false;
  let rise = 1;
  let fall = 1;
  let user: string | undefined;
  let initFail = false;
  for (const child of statement.block ?? []) {
    switch (child.keyword) {
      case 'script':
        ({ script, command } = readScriptLine(child, diagnostics) ?? { script, command });
        break;
      case 'interval':
        interval = readInteger(child, 1, 86_400, diagnostics) ?? interval;
        break;
      case 'timeout':
        timeout = readInteger(child, 1, 86_400, diagnostics) ?? timeout;
        break;
      case 'weight': {
        const read = readWeightLine(child, 253, diagnostics);
        if (read) ({ weight, reverse: weightReverse } = read);
        break;
      }
      case 'rise':
        rise = readInteger(child, 1, 1_000_000, diagnostics) ?? rise;
        break;
      case 'fall':
        fall = readInteger(child, 1, 1_000_000, diagnostics) ?? fall;
        break;
      case 'user':
        user = readUserLine(child, diagnostics) ?? user;
        break;
      case 'init_fail':
        initFail = true;
        break;
      default:
        reportUnmapped('vrrp_script', child, diagnostics, ` in vrrp_script ${name}`);
    }
  }
  if (script === undefined) {
    diagnostics.error(statement, `vrrp_script ${name} has no script`);
    return undefined;
  }
  if (command === undefined) return undefined;
  return {
    name,
    script,
    command,
    interval,
    ...(timeout !== undefined ? { timeout } : {}),
    weight,
    weightReverse,
    rise,
    fall,
    ...(user !== undefined ? { user } : {}),
    initFail,
    at: statement,
  };
}

export interface TrackFileDefinition {
  readonly name: string;
  readonly file: string;
  readonly weight: number;
  readonly weightReverse: boolean;
  /** init_file [VALUE] [overwrite]: VALUE defaults to 0. */
  readonly init?: { readonly value: number; readonly overwrite: boolean };
  readonly at: SourcePosition;
}

/** vrrp_track_file (or track_file) NAME { file PATH; weight N [reverse]; init_file [VALUE] [overwrite] } */
export function readTrackFile(statement: Statement, diagnostics: DiagnosticList): TrackFileDefinition | undefined {
  const name = namedBlock(statement, statement.keyword, diagnostics);
  if (name === undefined) return undefined;
  let file: string | undefined;
  let weight = 1;
  let weightReverse = false;
  let init: { value: number; overwrite: boolean } | undefined;
  for (const child of statement.block ?? []) {
    switch (child.keyword) {
      case 'file':
        if (child.args.length !== 1) diagnostics.error(child, 'file takes one path');
        else file = child.args[0]!.text;
        break;
      case 'weight': {
        const read = readWeightLine(child, 254, diagnostics);
        if (read) ({ weight, reverse: weightReverse } = read);
        break;
      }
      case 'init_file': {
        const words = child.args.map((w) => w.text);
        const overwrite = words[words.length - 1] === 'overwrite';
        if (overwrite) words.pop();
        if (words.length > 1 || (words.length === 1 && !/^[+-]?\d+$/.test(words[0]!)))
          diagnostics.error(child, 'init_file takes an optional number and optionally "overwrite"');
        else init = { value: words.length === 1 ? Number(words[0]) : 0, overwrite };
        break;
      }
      default:
        reportUnmapped('vrrp_track_file', child, diagnostics, ` in ${statement.keyword} ${name}`);
    }
  }
  if (file === undefined) {
    diagnostics.error(statement, `${statement.keyword} ${name} has no file`);
    return undefined;
  }
  return { name, file, weight, weightReverse, ...(init ? { init } : {}), at: statement };
}

export interface TrackProcessDefinition {
  readonly name: string;
  readonly process: string;
  /** Undefined: any arguments (no parameters and no param_match). */
  readonly parameters?: readonly string[];
  readonly paramMatch: 'exact' | 'partial' | 'initial';
  readonly fullCommand: boolean;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly quorum: number;
  readonly quorumMax?: number;
  /** Seconds a loss of quorum must last (keepalived terminate_delay, or delay). */
  readonly terminateDelay: number;
  /** Seconds a change that a tracked process's fork made must last (keepalived fork_delay, or delay). */
  readonly forkDelay: number;
  readonly at: SourcePosition;
}

/** `param_match initial|partial`; undefined (an error said) otherwise. */
function readParamMatch(child: Statement, diagnostics: DiagnosticList): 'partial' | 'initial' | undefined {
  const value = child.args[0]?.text;
  if (child.args.length === 1 && (value === 'partial' || value === 'initial')) return value;
  diagnostics.error(child, 'param_match takes initial or partial');
  return undefined;
}

/** terminate_delay, fork_delay (keepalived: 0.000001 to 3600 s), or delay, which sets both. */
function readProcessDelay(
  child: Statement,
  delays: { terminateDelay: number; forkDelay: number },
  diagnostics: DiagnosticList,
): void {
  const seconds =
    child.keyword === 'fork_delay'
      ? readSeconds(child, 0.000001, 3600, diagnostics)
      : readSeconds(child, 0, 86_400, diagnostics);
  if (seconds === undefined) return;
  if (child.keyword !== 'fork_delay') delays.terminateDelay = seconds;
  if (child.keyword !== 'terminate_delay') delays.forkDelay = seconds;
}

/** vrrp_track_process (or track_process) NAME { process NAME [ARGS...]; param_match; weight; quorum; ... } */
export function readTrackProcess(
  statement: Statement,
  diagnostics: DiagnosticList,
): TrackProcessDefinition | undefined {
  const name = namedBlock(statement, statement.keyword, diagnostics);
  if (name === undefined) return undefined;
  let process: string | undefined;
  let parameters: string[] = [];
  let paramMatch: 'exact' | 'partial' | 'initial' = 'exact';
  let paramMatchGiven = false;
  let fullCommand = false;
  let weight = 1; // keepalived's default for track_process
  let weightReverse = false;
  let quorum = 1;
  let quorumMax: number | undefined;
  const delays = { terminateDelay: 0, forkDelay: 0 };
  for (const child of statement.block ?? []) {
    switch (child.keyword) {
      case 'process':
        if (child.args.length === 0) diagnostics.error(child, 'process needs a name');
        else [process, ...parameters] = child.args.map((w) => w.text);
        break;
      case 'param_match': {
        const value = readParamMatch(child, diagnostics);
        if (value !== undefined) [paramMatch, paramMatchGiven] = [value, true];
        break;
      }
      case 'full_command':
        fullCommand = true;
        break;
      case 'weight': {
        const read = readWeightLine(child, 254, diagnostics);
        if (read) ({ weight, reverse: weightReverse } = read);
        break;
      }
      case 'quorum':
        quorum = readInteger(child, 1, 65_535, diagnostics) ?? quorum;
        break;
      case 'quorum_max':
        quorumMax = readInteger(child, 0, 65_535, diagnostics) ?? quorumMax;
        break;
      case 'terminate_delay':
      case 'fork_delay':
      case 'delay':
        readProcessDelay(child, delays, diagnostics);
        break;
      default:
        reportUnmapped('vrrp_track_process', child, diagnostics, ` in ${statement.keyword} ${name}`);
    }
  }
  if (process === undefined) {
    diagnostics.error(statement, `${statement.keyword} ${name} has no process`);
    return undefined;
  }
  if (quorumMax !== undefined && quorumMax < quorum)
    diagnostics.error(statement, `${statement.keyword} ${name}: quorum_max is below quorum`);
  // keepalived: param_match with no parameters means the command must have none.
  const matched = parameters.length > 0 || paramMatchGiven ? { parameters } : {};
  return {
    name,
    process,
    ...matched,
    paramMatch,
    fullCommand,
    weight,
    weightReverse,
    quorum,
    ...(quorumMax !== undefined ? { quorumMax } : {}),
    ...delays,
    at: statement,
  };
}

export interface SyncGroupDefinition {
  readonly name: string;
  readonly instances: readonly string[];
  /** The group's track_* entries (applied to every member) and notify commands. */
  readonly features: PendingInstanceFeatures;
  /** sync_group_tracking_weight: the group's tracked objects move priorities instead of only faulting. */
  readonly trackingWeight: boolean;
  readonly at: SourcePosition;
}

const GROUP_TRACKING = new Set(['track_script', 'track_interface', 'track_file', 'track_process']);
const GROUP_NOTIFY = new Set(['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop']);

/** vrrp_sync_group NAME { group { VI_1 VI_2 } notify_* ... track_* ... } */
export function readSyncGroup(
  statement: Statement,
  instanceNames: ReadonlySet<string>,
  known: TrackedNames,
  diagnostics: DiagnosticList,
): SyncGroupDefinition | undefined {
  const name = namedBlock(statement, 'vrrp_sync_group', diagnostics);
  if (name === undefined) return undefined;
  const instances: string[] = [];
  const features = emptyPendingFeatures();
  let trackingWeight = false;
  for (const child of statement.block ?? []) {
    if (child.keyword === 'group') {
      for (const member of child.block ?? []) {
        if (!instanceNames.has(member.keyword))
          diagnostics.error(member, `vrrp_sync_group ${name}: no vrrp_instance ${member.keyword}`);
        else instances.push(member.keyword);
      }
    } else if (GROUP_TRACKING.has(child.keyword)) {
      readTracking(child, known, features, diagnostics);
    } else if (GROUP_NOTIFY.has(child.keyword)) {
      readNotifyCommand(child, features, diagnostics);
    } else if (child.keyword === 'notify_priority_changes') {
      readNotifyExtra(child, features, diagnostics);
    } else if (child.keyword === 'sync_group_tracking_weight') {
      trackingWeight = true;
    } else if (child.keyword === 'global_tracking') {
      // keepalived 2.2.7 reads it as sync_group_tracking_weight, saying it is deprecated.
      diagnostics.warning(
        child,
        `(${name}) global_tracking is deprecated (as in keepalived): use track_interface/script/file on the sync group; read as sync_group_tracking_weight`,
      );
      trackingWeight = true;
    } else {
      reportUnmapped('vrrp_sync_group', child, diagnostics, ` in vrrp_sync_group ${name}`);
    }
  }
  // keepalived 2.2.7 keeps a one-member group (with a warning) and drops an empty one.
  if (instances.length === 1)
    diagnostics.warning(
      statement,
      `vrrp_sync_group ${name} has only one instance (${instances[0]}): this probably isn't what you want`,
    );
  return { name, instances, features, trackingWeight, at: statement };
}
