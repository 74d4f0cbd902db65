// vrrp_sync_group on a running engine: the thin, impure side of the pure SyncGroupCoordinator (core).
// It feeds the coordinator the members' notices and state changes, runs each check it asks for from a
// microtask (never from inside the engine's event dispatch), sends the commands it decides to the
// engine, logs why, and hands the group's MASTER / BACKUP / FAULT / STOP to the notify commands.

import type { Engine, NoticeEvent, StateChangeEvent } from '../engine/engine.js';
import type { RouterState, SyncGroupCommand } from '../core/types.js';
import {
  type SyncGroupCheck,
  SyncGroupCoordinator,
  type SyncGroupObservation,
  type SyncGroupReport,
} from '../core/sync-group.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { SyncGroupSpec } from '../model/health-plan.js';
import type { NotifyState } from './notify.js';

export class SyncGroups {
  private readonly engine: Engine;
  private readonly logger: RuntimeLogger;
  private readonly coordinator: SyncGroupCoordinator;
  private readonly onGroupState: (group: string, state: NotifyState) => void;
  private readonly listening: boolean;
  private closed = false;
  private readonly onNotice = (event: NoticeEvent): void => {
    this.apply(this.coordinator.observe({ kind: 'notice', router: event.router, notice: event.notice }));
  };
  private readonly onStateChange = (event: StateChangeEvent): void => {
    const report: SyncGroupReport = {
      kind: 'stateChange',
      router: event.router,
      from: event.from,
      to: event.to,
      reason: event.reason,
    };
    this.apply(this.coordinator.observe(report));
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
    const snapshots = new Map(engine.snapshot().map((snapshot) => [snapshot.name, snapshot.state]));
    this.coordinator = new SyncGroupCoordinator(specs, snapshots);
    this.listening = specs.length > 0;
    if (!this.listening) return;
    engine.on('notice', this.onNotice);
    engine.on('stateChange', this.onStateChange);
    for (const { router, command } of this.coordinator.joins()) this.send(router, command);
  }

  /** A member leaves Initialize (see SyncGroupCoordinator.memberStarting). */
  memberStarting(router: string, to: RouterState): void {
    for (const { group, state } of this.coordinator.memberStarting(router, to)) this.onGroupState(group, state);
  }

  close(): void {
    this.closed = true;
    if (!this.listening) return;
    this.engine.off('notice', this.onNotice);
    this.engine.off('stateChange', this.onStateChange);
  }

  private apply(observation: SyncGroupObservation): void {
    for (const check of observation.checks) this.later(check);
    for (const { group, state } of observation.states) this.onGroupState(group, state);
  }

  private later(check: SyncGroupCheck): void {
    queueMicrotask(() => {
      if (this.closed) return;
      const decision = this.coordinator.decide(check);
      if (decision.log !== undefined) {
        const { message, ...fields } = decision.log;
        this.logger.info({ event: 'syncGroup', ...fields }, `sync group ${fields.group}: ${message}`);
      }
      for (const { router, command } of decision.commands) this.send(router, command);
    });
  }

  private send(router: string, command: SyncGroupCommand): void {
    sendSyncGroup(this.engine, router, command);
  }
}

function sendSyncGroup(engine: Engine, router: string, command: SyncGroupCommand): void {
  engine.input(router, { kind: 'syncGroup', command });
}

/** A router whose group a reload removed takes over on its own again. */
export function leaveSyncGroup(engine: Engine, router: string): void {
  sendSyncGroup(engine, router, 'leave');
}
