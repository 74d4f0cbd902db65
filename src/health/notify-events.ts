// keepalived's notifications beyond a state change (issue 13), as keepalived 2.2.7 sends them:
// - a Master that hears an advert of lower priority (or of equal priority from a smaller address; a
//   priority-0 advert does not count) writes `INSTANCE "VI_1" MASTER_RX_LOWER_PRI <ours>` to the notify
//   FIFOs, every time, and runs the instance's notify_master_rx_lower_pri command with no arguments
//   added (keepalived vrrp.c vrrp_state_master_rx, send_event_notify);
// - with notify_priority_changes, each change of an instance's effective priority writes
//   `INSTANCE "VI_1" MASTER_PRIORITY <new>` (BACKUP_PRIORITY in any other state) to the FIFOs, and runs
//   no script (vrrp_track.c vrrp_set_effective_priority);
// - a reload that removes an instance notifies FAULT (its notify_fault, `notify` with FAULT, the FIFO
//   line), or nothing when it was in Fault already; with notify_deleted it notifies DELETED instead,
//   running the notify_deleted command if one is given (vrrp.c clear_diff_vrrp).
// A router's state and effective priority are followed from the engine's events, so nothing here
// walks every router per packet.

import type { RouterState } from '../core/types.js';
import type { AdvertReceivedEvent, Engine, PriorityChangeEvent, StateChangeEvent } from '../engine/engine.js';
import type { NotifySpec } from '../model/health-plan.js';
import type { NotifyQueues, NotifyState } from './notify.js';
import { notifyFifoLine, type NotifyFifos } from './notify-fifo.js';

interface RouterView {
  state: RouterState;
  priority: number;
  /** State changes seen so far: an advert that made the router change state is not a lower one. */
  changes: number;
}

/** What a router's removal by a reload notifies: a state word, or nothing. */
export function deletedNotifyState(spec: NotifySpec | undefined, from: RouterState): NotifyState | undefined {
  if (spec?.notifyDeleted === true) return 'DELETED';
  // keepalived's older rule, still its default: FAULT, unless the instance was in Fault already.
  return from === 'Fault' ? undefined : 'FAULT';
}

/** The notifications above for one health plan's run; `close` stops listening. */
export class NotifyEvents {
  private readonly views = new Map<string, RouterView>();
  private readonly deleting = new Set<string>();
  private readonly listeningToAdverts: boolean;

  constructor(
    private readonly engine: Engine,
    private readonly specs: ReadonlyMap<string, NotifySpec>,
    private readonly fifos: NotifyFifos,
    private readonly queues: NotifyQueues,
  ) {
    for (const snapshot of engine.snapshot())
      this.views.set(snapshot.name, { state: snapshot.state, priority: snapshot.effectivePriority, changes: 0 });
    engine.on('stateChange', this.onStateChange);
    engine.on('priorityChange', this.onPriorityChange);
    // Each received advert is decoded once more for its listeners: listen only when someone is told.
    this.listeningToAdverts = fifos.size > 0 || [...specs.values()].some((spec) => spec.masterRxLowerPri);
    if (this.listeningToAdverts) engine.on('advertReceived', this.onAdvert);
  }

  /**
   * The routers a reload is about to remove (a removal releases a router, whose change to Initialize
   * would otherwise read as STOP); an empty list once the reload is over.
   */
  markDeleting(routers: readonly string[]): void {
    this.deleting.clear();
    for (const router of routers) this.deleting.add(router);
  }

  /** The state word a change notifies: STOP becomes the deletion's word for a router being removed. */
  notifyStateFor(event: StateChangeEvent, stateWord: NotifyState): NotifyState | undefined {
    if (event.to !== 'Initialize' || !this.deleting.has(event.router)) return stateWord;
    return deletedNotifyState(this.specs.get(event.router), event.from);
  }

  close(): void {
    this.engine.off('stateChange', this.onStateChange);
    this.engine.off('priorityChange', this.onPriorityChange);
    if (this.listeningToAdverts) this.engine.off('advertReceived', this.onAdvert);
  }

  private view(router: string): RouterView {
    let view = this.views.get(router);
    if (view === undefined) {
      view = { state: 'Initialize', priority: 0, changes: 0 };
      this.views.set(router, view);
    }
    return view;
  }

  private readonly onStateChange = (event: StateChangeEvent): void => {
    const view = this.view(event.router);
    view.state = event.to;
    view.priority = event.priority;
    view.changes++;
  };

  private readonly onPriorityChange = (event: PriorityChangeEvent): void => {
    const view = this.view(event.router);
    view.priority = event.to;
    if (this.specs.get(event.router)?.priorityChanges !== true) return;
    const word = view.state === 'Master' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY';
    this.fifos.write(notifyFifoLine('INSTANCE', event.router, word, event.to));
  };

  /**
   * Told before the router's actions for the advert are carried out: a Master that loses the tie-break
   * to an equal priority reports its change to Backup just after, so the decision waits for the end
   * of this turn and holds only if no state change came in between.
   */
  private readonly onAdvert = (event: AdvertReceivedEvent): void => {
    const view = this.views.get(event.router);
    if (view === undefined || view.state !== 'Master' || event.priority === 0 || event.priority > view.priority) return;
    const changes = view.changes;
    queueMicrotask(() => {
      if (view.changes !== changes || view.state !== 'Master') return;
      this.fifos.write(notifyFifoLine('INSTANCE', event.router, 'MASTER_RX_LOWER_PRI', view.priority));
      const command = this.specs.get(event.router)?.masterRxLowerPri;
      if (command !== undefined) this.queues.enqueue(`MASTER_RX_LOWER_PRI ${event.router}`, [command]);
    });
  };
}
