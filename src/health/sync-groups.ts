// vrrp_sync_group coordination, as keepalived 2.2.7 does it (vrrp_sync.c), on top of the core's
// 'syncGroup' input:
// - a member whose own link or weight-0 tracked object fails takes the whole group to Fault; the
//   group leaves Fault (every member to Backup, full down timer) when no member has a fault of its own;
// - a Master member stepping down to Backup takes the group's other Masters down with it;
// - a member may take over only when the whole group can: each Backup whose timer runs out says it is
//   ready and waits; when every member is ready (or already Master) they all go Master together.
// The group's state (all Master, all Backup, any Fault) runs the group's notify commands.
// Inputs go to the engine from a microtask, never from inside the engine's event dispatch.

import type { Engine, NoticeEvent, StateChangeEvent } from '../engine/engine.js';
import type { RouterState, SyncGroupCommand } from '../core/types.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { SyncGroupSpec } from '../model/health-plan.js';
import type { NotifyState } from './notify.js';

interface GroupState {
  readonly spec: SyncGroupSpec;
  readonly states: Map<string, RouterState>;
  readonly ownFault: Set<string>;
  readonly ready: Set<string>;
  faultHeld: boolean;
  notified: NotifyState | undefined;
}

export class SyncGroups {
  private readonly engine: Engine;
  private readonly logger: RuntimeLogger;
  private readonly groups: GroupState[] = [];
  private readonly groupOf = new Map<string, GroupState>();
  private readonly onGroupState: (group: string, state: NotifyState) => void;
  private closed = false;
  private readonly onNotice = (event: NoticeEvent): void => {
    const group = this.groupOf.get(event.router);
    if (group === undefined) return;
    switch (event.notice) {
      case 'sync-wants-master':
        group.ready.add(event.router);
        this.later(() => this.considerMaster(group));
        return;
      case 'sync-stands-by':
        group.ready.delete(event.router);
        return;
      case 'sync-own-fault':
        group.ownFault.add(event.router);
        this.later(() => this.considerFault(group));
        return;
      case 'sync-own-fault-cleared':
        group.ownFault.delete(event.router);
        this.later(() => this.considerFault(group));
        return;
      default:
        return;
    }
  };
  private readonly onStateChange = (event: StateChangeEvent): void => {
    const group = this.groupOf.get(event.router);
    if (group === undefined) return;
    group.states.set(event.router, event.to);
    group.ready.delete(event.router);
    if (event.from === 'Master' && event.to === 'Backup' && event.reason !== 'sync-group') {
      this.later(() => this.syncBackup(group, event.router));
    } else if (event.to === 'Master' && event.reason !== 'sync-group') {
      // An owner (priority 255) takes over without asking; the others follow if they are ready.
      this.later(() => this.considerMaster(group));
    }
    this.notifyGroupState(group);
  };

  /**
   * Joins every member (call before engine.start(), or the first moments run unsynchronised).
   * `onGroupState` hears the group's MASTER / BACKUP / FAULT changes (its notify commands).
   */
  constructor(
    specs: readonly SyncGroupSpec[],
    engine: Engine,
    logger: RuntimeLogger,
    onGroupState: (group: string, state: NotifyState) => void,
  ) {
    this.engine = engine;
    this.logger = logger;
    this.onGroupState = onGroupState;
    if (specs.length === 0) return;
    const snapshots = new Map(engine.snapshot().map((snapshot) => [snapshot.name, snapshot.state]));
    for (const spec of specs) {
      const group: GroupState = {
        spec,
        states: new Map(spec.routers.map((router) => [router, snapshots.get(router) ?? 'Initialize'])),
        ownFault: new Set(),
        ready: new Set(),
        faultHeld: false,
        notified: undefined,
      };
      this.groups.push(group);
      for (const router of spec.routers) this.groupOf.set(router, group);
    }
    engine.on('notice', this.onNotice);
    engine.on('stateChange', this.onStateChange);
    for (const group of this.groups) for (const router of group.spec.routers) this.send(router, 'join');
  }

  /**
   * A member leaves Initialize: a group not yet reported starts as keepalived starts it, in BACKUP (or
   * FAULT), reported before the member's own state (as keepalived's notify FIFO shows).
   */
  memberStarting(router: string, to: RouterState): void {
    const group = this.groupOf.get(router);
    if (group === undefined || group.notified !== undefined) return;
    group.notified = to === 'Fault' ? 'FAULT' : 'BACKUP';
    this.onGroupState(group.spec.name, group.notified);
  }

  close(): void {
    this.closed = true;
    this.engine.off('notice', this.onNotice);
    this.engine.off('stateChange', this.onStateChange);
  }

  private later(action: () => void): void {
    queueMicrotask(() => {
      if (!this.closed) action();
    });
  }

  private send(router: string, command: SyncGroupCommand): void {
    sendSyncGroup(this.engine, router, command);
  }

  private considerFault(group: GroupState): void {
    const hold = group.ownFault.size > 0;
    if (hold === group.faultHeld) return;
    group.faultHeld = hold;
    const name = group.spec.name;
    if (hold)
      this.logger.info(
        { event: 'syncGroup', group: name, state: 'FAULT', members: [...group.ownFault] },
        `sync group ${name}: ${[...group.ownFault].join(', ')} in fault: the group goes to Fault`,
      );
    else
      this.logger.info(
        { event: 'syncGroup', group: name, state: 'leaving FAULT' },
        `sync group ${name}: no member in fault: the group leaves Fault`,
      );
    for (const router of group.spec.routers) this.send(router, hold ? 'fault' : 'fault-cleared');
  }

  private considerMaster(group: GroupState): void {
    if (group.faultHeld) return;
    const allReady = group.spec.routers.every(
      (router) => group.ready.has(router) || group.states.get(router) === 'Master',
    );
    if (!allReady) return;
    const toTakeOver = group.spec.routers.filter((router) => group.states.get(router) === 'Backup');
    if (toTakeOver.length === 0) return;
    this.logger.info(
      { event: 'syncGroup', group: group.spec.name, state: 'MASTER' },
      `sync group ${group.spec.name}: every member can take over: the group goes Master`,
    );
    for (const router of toTakeOver) this.send(router, 'master');
  }

  private syncBackup(group: GroupState, cause: string): void {
    const masters = group.spec.routers.filter((router) => router !== cause && group.states.get(router) === 'Master');
    if (masters.length === 0) return;
    this.logger.info(
      { event: 'syncGroup', group: group.spec.name, state: 'BACKUP', cause },
      `sync group ${group.spec.name}: ${cause} stepped down: ${masters.join(', ')} follow`,
    );
    for (const router of masters) this.send(router, 'backup');
  }

  /** The group's state for its notify commands: FAULT if any member is, MASTER / BACKUP once all are. */
  private notifyGroupState(group: GroupState): void {
    const states = group.spec.routers.map((router) => group.states.get(router));
    let state: NotifyState | undefined;
    if (states.includes('Fault')) state = 'FAULT';
    else if (states.every((s) => s === 'Master')) state = 'MASTER';
    else if (states.every((s) => s === 'Backup')) state = 'BACKUP';
    // Every member stopped: keepalived reports the group's STOP after theirs.
    else if (states.every((s) => s === 'Initialize') && group.notified !== undefined) state = 'STOP';
    if (state === undefined || state === group.notified) return;
    group.notified = state;
    this.onGroupState(group.spec.name, state);
  }
}

function sendSyncGroup(engine: Engine, router: string, command: SyncGroupCommand): void {
  engine.input(router, { kind: 'syncGroup', command });
}

/** A router whose group a reload removed takes over on its own again. */
export function leaveSyncGroup(engine: Engine, router: string): void {
  sendSyncGroup(engine, router, 'leave');
}
