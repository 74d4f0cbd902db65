// vrrp_script and vrrp_sync_group: parsed and checked now, so a mistake is found before issue 5 runs
// them; until then every one is reported as not run.

import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import { readWeight } from './tracking.js';
import type { Statement } from './parser.js';
import { readInteger, singleArg } from './values.js';

export interface VrrpScriptDefinition {
  readonly name: string;
  readonly script: string;
  /** Seconds between runs (keepalived default 1). */
  readonly interval: number;
  /** Seconds a run may take; keepalived's default is the interval. */
  readonly timeout?: number;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly user?: string;
  readonly initFail: boolean;
  readonly at: SourcePosition;
}

export function readVrrpScript(statement: Statement, diagnostics: DiagnosticList): VrrpScriptDefinition | undefined {
  const nameWord = singleArg(statement, diagnostics);
  if (!nameWord) return undefined;
  const name = nameWord.text;
  if (!statement.block) {
    diagnostics.error(statement, `vrrp_script ${name} has no { } block`);
    return undefined;
  }
  let script: string | undefined;
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
        // Kept as written: keepalived splits a command into arguments with its own quoting rules.
        if (child.args.length === 0) diagnostics.error(child, 'script needs a command');
        else script = child.rest;
        break;
      case 'interval':
        interval = readInteger(child, 1, 86_400, diagnostics) ?? interval;
        break;
      case 'timeout':
        timeout = readInteger(child, 1, 86_400, diagnostics) ?? timeout;
        break;
      case 'weight': {
        const [value, reverse] = child.args;
        if (!value || child.args.length > 2 || (reverse && reverse.text !== 'reverse')) {
          diagnostics.error(child, 'weight takes a number from -253 to 253 and optionally "reverse"');
          break;
        }
        weight = readWeight(value, diagnostics) ?? weight;
        weightReverse = reverse !== undefined;
        break;
      }
      case 'rise':
        rise = readInteger(child, 1, 1_000_000, diagnostics) ?? rise;
        break;
      case 'fall':
        fall = readInteger(child, 1, 1_000_000, diagnostics) ?? fall;
        break;
      case 'user':
        if (child.args.length < 1 || child.args.length > 2) diagnostics.error(child, 'user takes a user name and optionally a group');
        else user = child.args.map((w) => w.text).join(' ');
        break;
      case 'init_fail':
        initFail = true;
        break;
      default:
        diagnostics.error(child, `unknown keyword "${child.keyword}" in vrrp_script ${name}`);
    }
  }
  if (script === undefined) {
    diagnostics.error(statement, `vrrp_script ${name} has no script`);
    return undefined;
  }
  diagnostics.warning(statement, `vrrp_script ${name} is not run yet (issue 5): its tracking has no effect`);
  return {
    name, script, interval, ...(timeout !== undefined ? { timeout } : {}), weight, weightReverse, rise, fall,
    ...(user !== undefined ? { user } : {}), initFail, at: statement,
  };
}

export interface SyncGroupDefinition {
  readonly name: string;
  readonly instances: readonly string[];
  readonly at: SourcePosition;
}

/** vrrp_sync_group NAME { group { VI_1 VI_2 } notify_* ... } */
export function readSyncGroup(statement: Statement, instanceNames: ReadonlySet<string>, diagnostics: DiagnosticList): SyncGroupDefinition | undefined {
  const nameWord = singleArg(statement, diagnostics);
  if (!nameWord) return undefined;
  if (!statement.block) {
    diagnostics.error(statement, `vrrp_sync_group ${nameWord.text} has no { } block`);
    return undefined;
  }
  const instances: string[] = [];
  for (const child of statement.block ?? []) {
    if (child.keyword === 'group') {
      for (const member of child.block ?? []) {
        if (!instanceNames.has(member.keyword)) diagnostics.error(member, `vrrp_sync_group ${nameWord.text}: no vrrp_instance ${member.keyword}`);
        else instances.push(member.keyword);
      }
    } else if (/^(notify|notify_master|notify_backup|notify_fault|notify_stop|smtp_alert|global_tracking|sync_group_tracking_weight|track_interface|track_script|track_file|track_process|track_bfd)$/.test(child.keyword)) {
      diagnostics.warning(child, `${child.keyword} in a vrrp_sync_group is not supported yet (issue 5)`);
    } else {
      diagnostics.error(child, `unknown keyword "${child.keyword}" in vrrp_sync_group ${nameWord.text}`);
    }
  }
  diagnostics.warning(statement, `vrrp_sync_group ${nameWord.text} is not supported yet: its instances (${instances.join(', ')}) fail over independently`);
  return { name: nameWord.text, instances, at: statement };
}
