// The driver: runs virtual routers (the sans-IO core) on ports. It owns no protocol logic; it routes
// received packets through one InterfaceDemux per interface, feeds timer expiries and operator inputs to
// the routers, turns their actions into port calls and reports everything as typed events.
//
// One process timer serves every router: a DeadlineQueue knows which router is due next, and the engine
// re-arms `ports.time.setTimer` only when that earliest deadline moves.
//
// Routers may be added, removed and reconfigured while it runs (addRouter, removeRouter,
// reconfigureRouter): a removed router's deadline-queue slot is reused by the next one added.

import { EventEmitter } from 'eventemitter3';
import type { RouterAction, RouterInput, RouterSnapshot, VirtualRouterConfig } from '../core/types.js';
import { assertNever } from '../core/types.js';
import { emitActionEvent, emitAdvertReceived, emitAdvertSent } from './action-events.js';
import { countInterfaceDrops, emitTimerExpired } from './action-events.js';
import { advertEncoding, encodeAdvertPackets, type AdvertAction } from './advert-encoding.js';
import { RouterRegistry } from './router-registry.js';
import { DeadlineQueue } from './deadline-queue.js';
import { HeadStart, type HeadStartHost } from './head-start.js';
import { PortWork } from './port-work.js';
import { AddressWork } from './address-work.js';
import { interfaceCounters, routerCounters } from './counters.js';
import type { EngineCounters, EngineErrorEvent, EngineEvents } from './events.js';
import { ArrivalClock } from './arrival-clock.js';
import { Outbox } from './outbox.js';
import { Turns } from './turns.js';
import { FlightRecorder } from './flight-recorder.js';
import {
  consoleLogger,
  logUnheardError,
  stopOnAbort,
  type EngineLogger,
  type EngineOptions,
  type StartEngineOptions,
} from './engine-options.js';
export type { EngineLogger, EngineOptions, StartEngineOptions } from './engine-options.js';
import type { EnginePorts, IncomingPacket, TimerExpiry } from './ports.js';
import type { OperatorInput, RemoveOptions, RouterSlot } from './slots.js';
export type { OperatorInput, RemoveOptions } from './slots.js';

export type {
  AdvertReceivedEvent,
  AdvertSentEvent,
  DropCounts,
  DroppedEvent,
  EngineCounters,
  EngineErrorEvent,
  EngineEvents,
} from './events.js';
export type {
  InterfaceCounters,
  NoticeEvent,
  PriorityChangeEvent,
  RouterCounters,
  StateChangeEvent,
  VipsAnnouncedEvent,
  VipsEvent,
} from './events.js';

type EngineLifecycle = 'created' | 'running' | 'stopping' | 'stopped';

export class Engine extends EventEmitter<EngineEvents> {
  private readonly ports: EnginePorts;
  private readonly deadlines: DeadlineQueue;
  private readonly routers: RouterRegistry;
  /** The deadline the process timer is armed for, so an unchanged minimum costs no port call. */
  private armedAtMs: number | undefined;
  private lifecycle: EngineLifecycle = 'created';
  /** Port calls in flight; failures become 'error' events. */
  private readonly work = new PortWork<RouterSlot>((operation, slot, error) =>
    this.reportError(operation, slot, error),
  );
  private readonly addressWork = new AddressWork<RouterSlot>(
    () => this.ports.addresses,
    this.work,
    this,
    (slot) => this.isLive(slot),
  );
  /** Adverts of the current input, sent in one call (see outbox.ts). */
  private readonly outbox: Outbox<RouterSlot>;
  private stopped: Promise<void> | undefined;
  /** Adverts sent ahead of JavaScript, by the transport's HeadStartPort (see head-start.ts). */
  private readonly headStart: HeadStart;
  /** When each packet counts from (arrival-clock.ts). */
  private readonly arrivals = new ArrivalClock();
  /** Keeps a router's actions in the order it produced them, whatever the transport (turns.ts). */
  private readonly turns = new Turns();
  private readonly logger: EngineLogger;
  /** The last inputs the routers took and the transitions they made (flight-recorder.ts). */
  readonly recorder: FlightRecorder;
  private abortStop: (() => void) | undefined;
  private readonly onDeadline = (expiry?: TimerExpiry): void =>
    this.turns.afterTurn(() => this.handleDeadline(expiry?.takeoverSent === true));
  private readonly onPacket = (packet: IncomingPacket): void => this.turns.afterTurn(() => this.handlePacket(packet));

  constructor(routers: readonly VirtualRouterConfig[], ports: EnginePorts, options: EngineOptions = {}) {
    super();
    this.ports = ports;
    this.logger = options.logger ?? consoleLogger;
    this.recorder = new FlightRecorder(options.recorder);
    this.outbox = new Outbox(ports.packets, this.work, (slot, error) => this.reportError('send', slot, error));
    const host: HeadStartHost = {
      nowMs: () => this.ports.time.nowMs(),
      isLive: (slot) => this.isLive(slot as RouterSlot),
      reportError: (operation, slot, error) => this.reportError(operation, slot as RouterSlot | undefined, error),
    };
    this.headStart = new HeadStart(ports.headStart, host);
    this.deadlines = new DeadlineQueue(routers.length);
    this.routers = new RouterRegistry(this.deadlines);
    for (const config of routers) this.attach(config);
  }

  /**
   * Starts listening and gives every router its startup input (owners go Master at once). With a
   * `signal`, aborting it stops the engine (see stop()); an already aborted one throws its reason and
   * starts nothing.
   */
  start(options: StartEngineOptions = {}): void {
    if (this.lifecycle !== 'created') throw new Error(`engine: start() called when ${this.lifecycle}`);
    const signal = options.signal;
    signal?.throwIfAborted();
    this.lifecycle = 'running';
    if (signal !== undefined) this.abortStop = stopOnAbort(signal, () => this.stop(), this.logger);
    this.turns.within(() => {
      this.ports.packets.listen(this.onPacket);
      const nowMs = this.ports.time.nowMs();
      for (const slot of this.routers.byName.values()) this.deliver(slot, { kind: 'startup' }, nowMs);
      this.outbox.flush();
      this.armTimer();
    });
  }

  /**
   * Adds a router. Throws (changing nothing) if its name, or its (interface, family, VRID), is taken,
   * or once the engine is stopping. `before` are inputs the router records before its startup (a link
   * found down, a failing check: it starts in Fault rather than going Master first). If the engine is
   * running the router gets its startup input at once; otherwise at start().
   */
  addRouter(config: VirtualRouterConfig, before: readonly OperatorInput[] = []): void {
    if (!this.acceptsInputs())
      throw new Error(`engine: cannot add router ${JSON.stringify(config.name)} when ${this.lifecycle}`);
    const slot = this.attach(config);
    this.turns.within(() => {
      const nowMs = this.ports.time.nowMs();
      for (const input of before) this.deliver(slot, input, nowMs);
      if (this.lifecycle !== 'running') return;
      try {
        this.deliver(slot, { kind: 'startup' }, nowMs);
        this.outbox.flush();
      } finally {
        this.armTimer();
      }
    });
  }

  /**
   * Removes a router (see RemoveOptions). From the moment it returns, no packet or deadline reaches
   * the router; the promise settles once the port work of its shutdown is done (never rejects: port
   * failures are 'error' events).
   */
  async removeRouter(name: string, options: RemoveOptions): Promise<void> {
    const slot = this.routers.named(name);
    const before = this.work.mark();
    this.turns.within(() => {
      try {
        // No periodic advert of its own may follow its priority-0 one, nor leave once it is gone.
        this.headStart.stopPeriodic(slot);
        if (options.release && this.lifecycle === 'running') {
          const nowMs = this.ports.time.nowMs();
          this.recorder.input(name, { kind: 'shutdown' }, nowMs);
          this.apply(slot, slot.router.handle({ kind: 'shutdown' }, nowMs), nowMs);
          this.outbox.flush();
        }
      } finally {
        this.detach(slot);
        this.armTimer();
      }
    });
    await this.work.settledSince(before);
  }

  /**
   * Applies a new configuration to a running router without a state change (VirtualRouter.reconfigure).
   * Throws if the name is unknown, or if interface, VRID, family or version differ: that is another
   * router, which the caller removes and adds. The returned promise settles once the port work it
   * started (a Master's VIPs removed, added, announced) is done; it never rejects.
   */
  reconfigureRouter(name: string, config: VirtualRouterConfig): Promise<void> {
    const slot = this.routers.named(name);
    if (config.name !== name)
      throw new Error(
        `engine: cannot rename router ${JSON.stringify(name)} to ${JSON.stringify(config.name)} in place`,
      );
    if (!this.acceptsInputs())
      throw new Error(`engine: cannot reconfigure router ${JSON.stringify(name)} when ${this.lifecycle}`);
    const before = this.work.mark();
    this.turns.within(() => {
      const nowMs = this.ports.time.nowMs();
      const previous = slot.config;
      const actions = slot.router.reconfigure(config, nowMs);
      this.recorder.reconfigured(config, nowMs); // once accepted: a refused one changed nothing
      Object.assign(slot, advertEncoding(config));
      this.headStart.changed(slot, true); // its addresses, interval or authentication may be new
      try {
        this.apply(slot, actions, nowMs, previous);
        if (this.routers.holds(slot)) this.deadlines.set(slot.index, slot.router.nextDeadlineMs());
        this.outbox.flush();
      } finally {
        this.armTimer();
      }
    });
    return this.work.settledSince(before);
  }

  private attach(config: VirtualRouterConfig): RouterSlot {
    const slot = this.routers.attach(config);
    this.recorder.added(config, this.ports.time.nowMs());
    return slot;
  }

  /** The reverse of attach, with what the head start and the outbox keep of the router. */
  private detach(slot: RouterSlot): void {
    this.recorder.removed(slot.config.name, this.ports.time.nowMs());
    this.headStart.forget(slot);
    this.routers.detach(slot);
    this.outbox.forget(slot);
  }

  /**
   * Graceful stop: every router gets its shutdown input (a Master sends a priority-0 advert and drops
   * its VIPs), then the engine waits for the ports' outstanding work and closes the packet port.
   */
  stop(): Promise<void> {
    // A second caller waits for the same shutdown instead of returning before it is done.
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    const wasRunning = this.lifecycle === 'running';
    this.lifecycle = 'stopping';
    this.abortStop?.();
    // Withdrawn before anything else (a listener may throw below): no Backup takes over from here,
    // and no periodic advert leaves after a priority-0 one.
    this.syncTakeover();
    this.headStart.stopAll();
    if (wasRunning) this.turns.within(() => this.sendShutdowns());
    this.armedAtMs = undefined;
    this.ports.time.setTimer(undefined, this.onDeadline);
    await this.work.drained();
    if (this.ports.packets.close !== undefined) {
      try {
        await this.ports.packets.close();
      } catch (error) {
        this.reportError('close', undefined, error);
      }
    }
    this.lifecycle = 'stopped';
  }

  private sendShutdowns(): void {
    const nowMs = this.ports.time.nowMs();
    // Every Master's priority-0 advert first, in one send call, so Backups on every VRID start their
    // Skew_Time takeover at once; then each router removes its VIPs (still after its own advert).
    const shutdowns = [...this.routers.byName.values()].map((slot) => {
      this.recorder.input(slot.config.name, { kind: 'shutdown' }, nowMs);
      return { slot, actions: slot.router.handle({ kind: 'shutdown' }, nowMs) };
    });
    const isAdvert = (action: RouterAction): boolean => action.kind === 'sendAdvert';
    const isOther = (action: RouterAction): boolean => action.kind !== 'sendAdvert';
    for (const { slot, actions } of shutdowns) this.apply(slot, actions.filter(isAdvert), nowMs);
    this.outbox.flush();
    for (const { slot, actions } of shutdowns) this.apply(slot, actions.filter(isOther), nowMs);
  }

  /**
   * A link change, tracked-object report, priority change or lost VIP for one router. Before start()
   * the router only records it (so a link found down, or a check found failing, is known at startup:
   * the router starts in Fault instead of going Master first); ignored once stopping.
   */
  input(routerName: string, input: OperatorInput): void {
    const slot = this.routers.named(routerName);
    if (!this.acceptsInputs()) return;
    this.turns.afterTurn(() => {
      // Given inside another turn, it runs after it: the router may be gone, or the engine stopping.
      if (!this.routers.holds(slot) || !this.acceptsInputs()) return;
      try {
        this.deliver(slot, input, this.ports.time.nowMs());
        this.outbox.flush();
      } finally {
        this.armTimer();
      }
    });
  }

  /**
   * The interface's link went up or down: every router on it hears about it. May be called before
   * start() (a link already down at startup: its routers start in Fault); ignored once stopping.
   */
  linkChange(interfaceName: string, up: boolean): void {
    if (!this.routers.interfaces.has(interfaceName))
      throw new Error(`engine: no virtual router uses interface ${JSON.stringify(interfaceName)}`);
    if (!this.acceptsInputs()) return;
    this.turns.afterTurn(() => {
      if (!this.acceptsInputs()) return;
      const nowMs = this.ports.time.nowMs();
      try {
        for (const slot of this.routers.byName.values()) {
          if (slot.config.interface === interfaceName) this.deliver(slot, { kind: 'link', up }, nowMs);
        }
        this.outbox.flush();
      } finally {
        this.armTimer();
      }
    });
  }

  /** The engine runs and `slot` is still one of its routers (a listener may have removed it). */
  private isLive(slot: RouterSlot): boolean {
    return this.lifecycle === 'running' && this.routers.holds(slot);
  }

  private acceptsInputs(): boolean {
    return this.lifecycle === 'created' || this.lifecycle === 'running';
  }

  get running(): boolean {
    return this.lifecycle === 'running';
  }

  /** In the order the routers were added. */
  routerNames(): string[] {
    return [...this.routers.byName.keys()];
  }

  snapshot(): RouterSnapshot[] {
    return [...this.routers.byName.values()].map((slot) => slot.router.snapshot());
  }

  /** The configuration a router runs with now (after any reconfiguration), or undefined. */
  routerConfig(name: string): VirtualRouterConfig | undefined {
    return this.routers.byName.get(name)?.config;
  }

  counters(): EngineCounters {
    const routers = [...this.routers.byName.values()].map((slot) =>
      routerCounters(slot, this.headStart.counters(slot)),
    );
    return { routers, interfaces: interfaceCounters(this.routers.interfaces.values()) };
  }

  /** Zeroes every counter counters() reports (keepalived's STATS_CLEAR); no state, timer or router changes. */
  clearCounters(): void {
    this.headStart.clearCounters(this.routers.byName.values());
    this.routers.clearCounters();
  }

  private handleDeadline(takeoverSent: boolean): void {
    const firedForMs = this.armedAtMs;
    // The timer that called us is spent; whatever we arm next must reach the port.
    this.armedAtMs = undefined;
    if (this.lifecycle !== 'running') return;
    this.headStart.checkIn();
    // A port that sent the takeover acted at the deadline: it is due, whatever the clock's rounding says.
    let nowMs =
      takeoverSent && firedForMs !== undefined
        ? Math.max(this.ports.time.nowMs(), firedForMs)
        : this.ports.time.nowMs();
    // Collect first, then handle: a router whose new deadline is again <= now waits for the next
    // timer call instead of spinning here.
    const due: number[] = [];
    this.deadlines.popAllDue(nowMs, due);
    // Adverts already received but not yet read go first when a Backup is due: one descheduled past
    // its Master_Down_Interval must not take over while the Master's adverts sit in its socket. Only
    // then: a Master's due advert does not depend on what was received, and reading a flood first
    // would only delay it. Unless the port has already sent a takeover at this expiry, having found
    // its sockets empty (TimerExpiry). A router the drain moved later gets a timeout early, which
    // changes nothing.
    // What the drain hands over was received before the deadline: handled now, each packet a turn.
    if (!takeoverSent && this.anyBackupAmong(due) && this.turns.outside(() => this.headStart.drain())) {
      if (this.lifecycle !== 'running') return;
      nowMs = this.ports.time.nowMs();
      this.deadlines.popAllDue(nowMs, due);
    }
    try {
      for (const index of due) {
        // A listener may have removed a router while an earlier one's actions were carried out.
        const slot = this.routers.at(index);
        if (slot === undefined) continue;
        emitTimerExpired(this, slot.config, slot.router, nowMs);
        const periodic = slot.router.state === 'Master' && this.headStart.marksPeriodic;
        this.deliver(slot, { kind: 'timeout' }, nowMs, periodic);
      }
      this.outbox.flush();
    } finally {
      // Even if a listener threw: the timer must run on, and a takeover advert must not outlive the
      // router's takeover.
      this.armTimer();
    }
  }

  private anyBackupAmong(indices: readonly number[]): boolean {
    for (const index of indices) if (this.routers.at(index)?.router.state === 'Backup') return true;
    return false;
  }

  private handlePacket(packet: IncomingPacket): void {
    if (this.lifecycle !== 'running') return;
    const iface = this.routers.interfaces.get(packet.interface);
    if (iface === undefined) return; // no router of ours lives there; not ours to count
    iface.packetsReceived++;
    const handledAtMs = this.ports.time.nowMs();
    const nowMs = this.arrivals.arrived(packet.receivedAtMs, handledAtMs);
    this.recorder.packet(packet.interface, packet.payload, packet.meta, nowMs);
    const result = iface.demux.receive(packet.payload, packet.meta, nowMs);
    const slot = result.router === undefined ? undefined : this.routers.slotOf(result.router);
    if (slot === undefined) {
      countInterfaceDrops(this, iface, result.actions, nowMs);
      return;
    }
    this.headStart.touched(slot);
    try {
      const actions = result.actions;
      let accepted = true;
      for (let i = 0; i < actions.length; i++) if (actions[i]!.kind === 'dropped') accepted = false;
      if (accepted) {
        slot.advertsReceived++;
        emitAdvertReceived(this, slot.config, packet, nowMs, handledAtMs);
      }
      this.apply(slot, result.actions, nowMs);
      this.outbox.flush();
      if (!this.routers.holds(slot)) return; // a listener removed it
      const nextMs = slot.router.nextDeadlineMs();
      this.deadlines.set(slot.index, nextMs);
      // Most adverts push a Backup's down timer later. The armed timer is then early, which is harmless
      // (it wakes, finds nothing due and re-arms), so only an earlier deadline re-arms it now: this
      // keeps the heap untouched on the per-packet path.
      if (nextMs !== undefined && (this.armedAtMs === undefined || nextMs < this.armedAtMs)) this.armTimer();
    } finally {
      // Its takeover advert is withdrawn or renewed before the event loop can fire the timer, even if
      // a listener threw.
      if (this.headStart.takeoverNeedsSync) this.syncTakeover();
    }
  }

  /**
   * Hands one input to one router, carries out its actions and files its next deadline. `periodic`:
   * a Master's timeout, whose adverts are marked as periodic (OutgoingPacket.periodic).
   */
  private deliver(slot: RouterSlot, input: RouterInput, nowMs: number, periodic = false): void {
    this.arrivals.gaveInput(nowMs);
    this.headStart.touched(slot);
    this.recorder.input(slot.config.name, input, nowMs);
    this.apply(slot, slot.router.handle(input, nowMs), nowMs, slot.config, periodic);
    // Unless a listener removed the router meanwhile (its index may already be someone else's).
    if (this.routers.holds(slot)) this.deadlines.set(slot.index, slot.router.nextDeadlineMs());
  }

  /**
   * Carries out a router's actions. Address work goes to each address's interface (the router's, or
   * its `dev`, see addressesByInterface); `removeFrom` is the configuration whose interfaces removals
   * follow (on reconfigure, the old one: an address that moved is removed where it was).
   */
  private apply(
    slot: RouterSlot,
    actions: readonly RouterAction[],
    nowMs: number,
    removeFrom: VirtualRouterConfig = slot.config,
    periodic = false,
  ): void {
    const config = slot.config;
    for (const action of actions) {
      switch (action.kind) {
        case 'sendAdvert':
          this.sendAdvert(slot, action, nowMs, periodic);
          break;
        // Address work after the adverts queued so far: "advert first, then VIPs".
        case 'addVips':
          this.outbox.flush();
          this.addressWork.add(slot, action, nowMs);
          break;
        case 'removeVips':
          this.outbox.flush();
          this.addressWork.remove(slot, action, removeFrom, nowMs);
          break;
        case 'announceVips':
          this.outbox.flush();
          this.addressWork.announce(slot, action, nowMs);
          break;
        case 'setAcceptMode':
          this.addressWork.setAcceptMode(slot, action);
          break;
        case 'stateChange':
          if (action.from === 'Master') this.headStart.stopPeriodic(slot);
          if (action.from === 'Master' || action.to === 'Master') this.headStart.changed(slot);
          this.recorder.stateChanged(config.name, action, nowMs);
          emitActionEvent(this, config, action, nowMs);
          break;
        case 'priorityChange':
          this.headStart.changed(slot); // a Master's periodic advert carries its priority
          emitActionEvent(this, config, action, nowMs);
          break;
        case 'dropped':
          slot.drops.set(action.reason, (slot.drops.get(action.reason) ?? 0) + 1);
          emitActionEvent(this, config, action, nowMs);
          break;
        case 'notice':
          if (action.notice === 'old-unicast-checksum') this.headStart.changed(slot, true); // re-encode its adverts
          emitActionEvent(this, config, action, nowMs);
          break;
        default:
          assertNever(action);
      }
    }
  }

  private sendAdvert(slot: RouterSlot, action: AdvertAction, nowMs: number, periodic: boolean): void {
    // A priority-0 advert is a Master's last: its periodic ones stop first.
    if (action.priority === 0) this.headStart.stopPeriodic(slot);
    this.outbox.push(slot, encodeAdvertPackets(slot, action, periodic));
    slot.advertsSent += slot.encodeOptions.length;
    emitAdvertSent(this, slot, action, nowMs);
  }

  /** An 'error' event; with no listener, a line through the logger instead (engine-options.ts). */
  private reportError(operation: EngineErrorEvent['operation'], slot: RouterSlot | undefined, error: unknown): void {
    const { name: router, interface: iface } = slot?.config ?? {};
    const event: EngineErrorEvent = { operation, router, interface: iface, error, atMs: this.ports.time.nowMs() };
    if (this.listenerCount('error') > 0) this.emit('error', event);
    else logUnheardError(this.logger, event);
  }

  private armTimer(): void {
    if (this.lifecycle !== 'running') return;
    const nextMs = this.deadlines.peekMs();
    if (nextMs !== this.armedAtMs) {
      this.armedAtMs = nextMs;
      this.ports.time.setTimer(nextMs, this.onDeadline);
    }
    // Nothing can fire between the two calls: the timer expires only from the event loop.
    this.syncTakeover();
  }

  /** The head start's takeover adverts follow the armed timer (HeadStart.syncTakeover). */
  private syncTakeover(): void {
    const index = this.deadlines.peekIndex();
    this.headStart.syncTakeover(
      this.lifecycle === 'running' ? this.armedAtMs : undefined,
      index === undefined ? undefined : this.routers.at(index),
    );
  }
}
