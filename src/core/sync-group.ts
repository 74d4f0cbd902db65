// vrrp_sync_group coordination as keepalived 2.2.7 does it (vrrp_sync.c), as a pure state machine:
// what the members' routers reported in, what the group's members must be told out. No I/O, no timers,
// no engine: the daemon's wiring (src/health/sync-groups.ts) and the simulator (src/sim) both run it.
//
// The rules, on top of the core's 'syncGroup' input (VirtualRouter.onSyncGroup):
// - a member whose own link or weight-0 tracked object fails takes the whole group to Fault; the
//   group leaves Fault (every member to Backup, full down timer) when no member has a fault of its own;
// - a Master member stepping down to Backup takes the group's other Masters down with it;
// - a member may take over only when the whole group can: each Backup whose timer runs out says it is
//   ready and waits; when every member is ready (or already Master) they all go Master together.
// The group's state (all Master, all Backup, any Fault) is what the group's notify commands hear.
//
// Two steps, so that a driver never feeds a router from inside that router's own event dispatch:
// `observe` takes a member's report and returns the group states to notify now and the checks to run
// later; `decide` runs one such check against the state at that later moment and returns commands.

import type { NoticeKind, RouterState, SyncGroupCommand, TransitionReason } from './types.js';

/** A group as configured: its name and its members' router names. */
export interface SyncGroupDefinition {
  readonly name: string;
  readonly routers: readonly string[];
}

/** The group's state as its notify commands and FIFO lines name it. */
export type SyncGroupState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** What a member's router reported (its engine's 'notice' and 'stateChange' events). */
export type SyncGroupReport =
  | { readonly kind: 'notice'; readonly router: string; readonly notice: NoticeKind }
  | {
      readonly kind: 'stateChange';
      readonly router: string;
      readonly from: RouterState;
      readonly to: RouterState;
      readonly reason: TransitionReason;
    };

/** A decision to take once the report that caused it has been handled (see the header). */
export type SyncGroupCheck =
  | { readonly kind: 'considerMaster'; readonly group: string }
  | { readonly kind: 'considerFault'; readonly group: string }
  /** `cause` stepped down from Master: the group's other Masters follow. */
  | { readonly kind: 'followBackup'; readonly group: string; readonly cause: string };

export interface SyncGroupObservation {
  readonly states: readonly { readonly group: string; readonly state: SyncGroupState }[];
  readonly checks: readonly SyncGroupCheck[];
}

/** What a check decided: the commands for the members, and one line saying why (undefined: nothing). */
export interface SyncGroupDecision {
  readonly commands: readonly { readonly router: string; readonly command: SyncGroupCommand }[];
  readonly log: SyncGroupLog | undefined;
}

export interface SyncGroupLog {
  readonly group: string;
  readonly state: 'MASTER' | 'BACKUP' | 'FAULT' | 'leaving FAULT';
  readonly message: string;
  /** FAULT: the members with a fault of their own. */
  readonly members?: readonly string[];
  /** BACKUP: the member that stepped down first. */
  readonly cause?: string;
}

interface GroupState {
  readonly definition: SyncGroupDefinition;
  readonly states: Map<string, RouterState>;
  readonly ownFault: Set<string>;
  readonly ready: Set<string>;
  faultHeld: boolean;
  notified: SyncGroupState | undefined;
}

const NOTHING: SyncGroupDecision = { commands: [], log: undefined };

export class SyncGroupCoordinator {
  private readonly groups = new Map<string, GroupState>();
  private readonly groupOf = new Map<string, GroupState>();

  /** `initialStates`: each member's state now (Initialize when unknown). */
  constructor(definitions: readonly SyncGroupDefinition[], initialStates: ReadonlyMap<string, RouterState>) {
    for (const definition of definitions) {
      const group: GroupState = {
        definition,
        states: new Map(definition.routers.map((router) => [router, initialStates.get(router) ?? 'Initialize'])),
        ownFault: new Set(),
        ready: new Set(),
        faultHeld: false,
        notified: undefined,
      };
      this.groups.set(definition.name, group);
      for (const router of definition.routers) this.groupOf.set(router, group);
    }
  }

  /** The 'join' command every member gets before its router starts. */
  joins(): { readonly router: string; readonly command: SyncGroupCommand }[] {
    return [...this.groups.values()].flatMap((group) =>
      group.definition.routers.map((router) => ({ router, command: 'join' as const })),
    );
  }

  /** The group's state as last notified, if any. */
  groupState(group: string): SyncGroupState | undefined {
    return this.groups.get(group)?.notified;
  }

  /**
   * A member leaves Initialize: a group not yet reported starts as keepalived starts it, in BACKUP (or
   * FAULT), to be reported before the member's own state (as keepalived's notify FIFO shows).
   */
  memberStarting(router: string, to: RouterState): SyncGroupObservation['states'] {
    const group = this.groupOf.get(router);
    if (group === undefined || group.notified !== undefined) return [];
    group.notified = to === 'Fault' ? 'FAULT' : 'BACKUP';
    return [{ group: group.definition.name, state: group.notified }];
  }

  observe(report: SyncGroupReport): SyncGroupObservation {
    const group = this.groupOf.get(report.router);
    if (group === undefined) return { states: [], checks: [] };
    return report.kind === 'notice' ? this.observeNotice(group, report) : this.observeStateChange(group, report);
  }

  decide(check: SyncGroupCheck): SyncGroupDecision {
    const group = this.groups.get(check.group);
    if (group === undefined) return NOTHING;
    switch (check.kind) {
      case 'considerMaster':
        return considerMaster(group);
      case 'considerFault':
        return considerFault(group);
      case 'followBackup':
        return followBackup(group, check.cause);
      default: {
        const unreachable: never = check;
        throw new Error(`unknown sync group check ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private observeNotice(group: GroupState, report: Extract<SyncGroupReport, { kind: 'notice' }>): SyncGroupObservation {
    const name = group.definition.name;
    switch (report.notice) {
      case 'sync-wants-master':
        group.ready.add(report.router);
        return { states: [], checks: [{ kind: 'considerMaster', group: name }] };
      case 'sync-stands-by':
        group.ready.delete(report.router);
        return { states: [], checks: [] };
      case 'sync-own-fault':
        group.ownFault.add(report.router);
        return { states: [], checks: [{ kind: 'considerFault', group: name }] };
      case 'sync-own-fault-cleared':
        group.ownFault.delete(report.router);
        return { states: [], checks: [{ kind: 'considerFault', group: name }] };
      default:
        return { states: [], checks: [] };
    }
  }

  private observeStateChange(
    group: GroupState,
    report: Extract<SyncGroupReport, { kind: 'stateChange' }>,
  ): SyncGroupObservation {
    const name = group.definition.name;
    group.states.set(report.router, report.to);
    group.ready.delete(report.router);
    const checks: SyncGroupCheck[] = [];
    if (report.from === 'Master' && report.to === 'Backup' && report.reason !== 'sync-group') {
      checks.push({ kind: 'followBackup', group: name, cause: report.router });
    } else if (report.to === 'Master' && report.reason !== 'sync-group') {
      // An owner (priority 255) takes over without asking; the others follow if they are ready.
      checks.push({ kind: 'considerMaster', group: name });
    }
    const state = nextGroupState(group);
    if (state === undefined) return { states: [], checks };
    group.notified = state;
    return { states: [{ group: name, state }], checks };
  }
}

function considerFault(group: GroupState): SyncGroupDecision {
  const hold = group.ownFault.size > 0;
  if (hold === group.faultHeld) return NOTHING;
  group.faultHeld = hold;
  const { name, routers } = group.definition;
  const members = [...group.ownFault];
  const log: SyncGroupLog = hold
    ? { group: name, state: 'FAULT', members, message: `${members.join(', ')} in fault: the group goes to Fault` }
    : { group: name, state: 'leaving FAULT', message: 'no member in fault: the group leaves Fault' };
  const command: SyncGroupCommand = hold ? 'fault' : 'fault-cleared';
  return { commands: routers.map((router) => ({ router, command })), log };
}

function considerMaster(group: GroupState): SyncGroupDecision {
  if (group.faultHeld) return NOTHING;
  const { name, routers } = group.definition;
  const allReady = routers.every((router) => group.ready.has(router) || group.states.get(router) === 'Master');
  if (!allReady) return NOTHING;
  const toTakeOver = routers.filter((router) => group.states.get(router) === 'Backup');
  if (toTakeOver.length === 0) return NOTHING;
  return {
    commands: toTakeOver.map((router) => ({ router, command: 'master' })),
    log: { group: name, state: 'MASTER', message: 'every member can take over: the group goes Master' },
  };
}

function followBackup(group: GroupState, cause: string): SyncGroupDecision {
  const { name, routers } = group.definition;
  const masters = routers.filter((router) => router !== cause && group.states.get(router) === 'Master');
  if (masters.length === 0) return NOTHING;
  return {
    commands: masters.map((router) => ({ router, command: 'backup' })),
    log: { group: name, state: 'BACKUP', cause, message: `${cause} stepped down: ${masters.join(', ')} follow` },
  };
}

/** The group's state for its notify commands: FAULT if any member is, MASTER / BACKUP once all are. */
function nextGroupState(group: GroupState): SyncGroupState | undefined {
  const states = group.definition.routers.map((router) => group.states.get(router));
  let state: SyncGroupState | undefined;
  if (states.includes('Fault')) state = 'FAULT';
  else if (states.every((s) => s === 'Master')) state = 'MASTER';
  else if (states.every((s) => s === 'Backup')) state = 'BACKUP';
  // Every member stopped: keepalived reports the group's STOP after theirs.
  else if (states.every((s) => s === 'Initialize') && group.notified !== undefined) state = 'STOP';
  return state === group.notified ? undefined : state;
}
