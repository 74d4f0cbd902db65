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
import { addressesByInterface as groupAddresses } from '../core/address-placement.js';
import { InterfaceDemux } from '../core/demux.js';
import { VirtualRouter } from '../core/virtual-router.js';
import type { DropReason, RouterAction, RouterInput, RouterSnapshot, VirtualRouterConfig } from '../core/types.js';
import { assertNever } from '../core/types.js';
import { decodeAdvert, encodeAdvert, passwordToAuthData } from '../wire/codec.js';
import { AUTH_NONE, AUTH_SIMPLE_PASSWORD, VRRP_MULTICAST_V4, VRRP_MULTICAST_V6 } from '../wire/types.js';
import type { AdvertToEncode, EncodeOptions } from '../wire/types.js';
import { DeadlineQueue } from './deadline-queue.js';
import type { DropCounts, EngineCounters, EngineErrorEvent, EngineEvents, InterfaceCounters, RouterCounters } from './events.js';
import type { EnginePorts, IncomingPacket, OutgoingPacket, TimerExpiry } from './ports.js';

export type {
  AdvertReceivedEvent,
  AdvertSentEvent,
  DropCounts,
  DroppedEvent,
  EngineCounters,
  EngineErrorEvent,
  EngineEvents,
  InterfaceCounters,
  NoticeEvent,
  PriorityChangeEvent,
  RouterCounters,
  StateChangeEvent,
  VipsAnnouncedEvent,
  VipsEvent,
} from './events.js';

/** Inputs an embedder may give a router at run time; startup, shutdown, adverts and timers are the engine's. */
export type OperatorInput = Extract<RouterInput, { kind: 'link' | 'track' | 'setPriority' | 'vipsLost' | 'syncGroup' }>;

type EngineLifecycle = 'created' | 'running' | 'stopping' | 'stopped';

/** Where an 'error' goes when nobody listens for it (pino's `error(object, message)` fits). */
export interface EngineLogger {
  error(object: Record<string, unknown>, message?: string): void;
}

export interface EngineOptions {
  /** Receives port failures while the engine has no 'error' listener; default: console.error. */
  readonly logger?: EngineLogger | undefined;
}

export interface StartEngineOptions {
  /** Aborting it stops the engine, as engine.stop() does; already aborted: start() throws its reason. */
  readonly signal?: AbortSignal | undefined;
}

const consoleLogger: EngineLogger = {
  error: (object, message) => console.error(`vrrp-engine: ${message ?? 'error'}`, object),
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What removeRouter does with a router that is running. */
export interface RemoveOptions {
  /**
   * true: the shutdown input first (a Master sends its priority-0 advert and removes its VIPs), and
   * the promise waits for that port work. false: the router is just forgotten, its VIPs left where
   * they are (keepalived -V).
   */
  readonly release: boolean;
}

/** How a router's adverts are encoded and addressed; rebuilt when the router is reconfigured. */
interface AdvertEncoding {
  readonly config: VirtualRouterConfig;
  /** The multicast group, or the unicast peers. */
  readonly destinations: readonly string[];
  /** Encode options per destination, built once: the v3 pseudo-header covers the actual destination. */
  readonly encodeOptions: readonly EncodeOptions[];
  readonly authType: number;
  readonly authData: Uint8Array | undefined;
}

/** A router's addresses by the interface each lives on (core/address-placement.ts), groups with addresses only. */
function addressesByInterface(config: VirtualRouterConfig, addresses: readonly string[]): [string, readonly string[]][] {
  return [...groupAddresses(config, addresses)].filter(([, group]) => group.length > 0);
}

function advertEncoding(config: VirtualRouterConfig): AdvertEncoding {
  const destinations =
    config.unicastPeers.length > 0 ? config.unicastPeers : [config.family === 4 ? VRRP_MULTICAST_V4 : VRRP_MULTICAST_V6];
  return {
    config,
    destinations,
    encodeOptions: destinations.map((destinationAddress) => ({
      family: config.family,
      sourceAddress: config.primaryAddress,
      destinationAddress,
      v3Ipv4PseudoHeader: config.v3Ipv4PseudoHeader,
    })),
    authType: config.auth.type === 'pass' ? AUTH_SIMPLE_PASSWORD : AUTH_NONE,
    authData: config.auth.type === 'pass' ? passwordToAuthData(config.auth.password) : undefined,
  };
}

/** Everything the engine keeps per router; `index` is the router's key in the deadline queue. */
interface RouterSlot extends Mutable<AdvertEncoding> {
  readonly index: number;
  readonly router: VirtualRouter;
  advertsSent: number;
  advertsReceived: number;
  readonly drops: Map<DropReason, number>;
  /** The address port's add still in flight, if it returned a promise: announcements wait for it. */
  vipsAdding: Promise<void> | undefined;
}

interface InterfaceSlot {
  readonly name: string;
  readonly demux: InterfaceDemux;
  packetsReceived: number;
  readonly drops: Map<DropReason, number>;
}

export class Engine extends EventEmitter<EngineEvents> {
  private readonly ports: EnginePorts;
  /** By deadline-queue index; undefined where a removed router's index waits for reuse. */
  private readonly slots: (RouterSlot | undefined)[] = [];
  private readonly freeIndices: number[] = [];
  private readonly slotByRouter = new Map<VirtualRouter, RouterSlot>();
  private readonly slotByName = new Map<string, RouterSlot>();
  private readonly interfaces = new Map<string, InterfaceSlot>();
  private readonly deadlines: DeadlineQueue;
  /** The deadline the process timer is armed for, so an unchanged minimum costs no port call. */
  private armedAtMs: number | undefined;
  private lifecycle: EngineLifecycle = 'created';
  private readonly pending = new Set<Promise<void>>();
  /**
   * Adverts encoded during one input (a timer tick may make hundreds of routers advertise) go to the
   * packet port in one send call, which the Linux port turns into one sendmmsg per socket. Flushed
   * before any address action, so "advert first, then VIPs" still holds, and at the end of each input.
   */
  private outbox: OutgoingPacket[] = [];
  /** The router whose adverts fill the outbox, or null when several do (for error reports). */
  private outboxSlot: RouterSlot | null | undefined;
  private stopped: Promise<void> | undefined;
  /** Each Master's priority-0 adverts as last handed to PacketPort.setParting, and who may have changed. */
  private readonly partingBySlot = new Map<RouterSlot, readonly OutgoingPacket[]>();
  private readonly partingStale = new Set<RouterSlot>();
  private partingScheduled = false;
  /** The Backup whose takeover adverts the packet port holds for the armed timer (syncTakeover). */
  private takeoverSlot: RouterSlot | undefined;
  /** The timer deadline they were armed for. */
  private takeoverAtMs: number | undefined;
  /** takeoverSlot's router had an input since: its advert may differ, or its deadline have moved. */
  private takeoverStale = false;
  /** The priority of the advert held (an input that leaves it and the deadline alone costs no port call). */
  private takeoverPriority: number | undefined;
  /** takeoverSlot was reconfigured: its advert is encoded again even if the priority is the same. */
  private takeoverReencode = false;
  /** The latest time any router was given an input at: a packet's arrival time never goes before it. */
  private clockFloorMs = -Infinity;
  /**
   * How many calls into the engine are carrying out actions now (a turn). A packet, deadline or
   * operator input that arrives inside one (a synchronous transport handing over a peer's reply to
   * the advert just sent, a listener calling input) waits in `waiting` until the turn ends, so a
   * router's actions reach the ports and listeners in the order it produced them.
   */
  private turnDepth = 0;
  private readonly waiting: (() => void)[] = [];
  private runningWaiting = false;
  private readonly logger: EngineLogger;
  private abortStop: (() => void) | undefined;
  private readonly onDeadline = (expiry?: TimerExpiry): void => this.afterTurn(() => this.handleDeadline(expiry?.takeoverSent === true));
  private readonly onPacket = (packet: IncomingPacket): void => this.afterTurn(() => this.handlePacket(packet));

  constructor(routers: readonly VirtualRouterConfig[], ports: EnginePorts, options: EngineOptions = {}) {
    super();
    this.ports = ports;
    this.logger = options.logger ?? consoleLogger;
    this.deadlines = new DeadlineQueue(routers.length);
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
    if (signal !== undefined) {
      // A listener that throws during the shutdown rejects stop(): logged, not an unhandled rejection.
      const onAbort = (): void => void this.stop().catch((error: unknown) => this.logger.error({ event: 'error', operation: 'stop', error }, `stop on abort: ${String(error)}`));
      signal.addEventListener('abort', onAbort, { once: true });
      this.abortStop = () => signal.removeEventListener('abort', onAbort);
    }
    this.within(() => {
      this.ports.packets.listen(this.onPacket);
      const nowMs = this.ports.time.nowMs();
      for (const slot of this.slotByName.values()) this.deliver(slot, { kind: 'startup' }, nowMs);
      this.flushOutbox();
      this.armTimer();
    });
  }

  /** Runs `work` now, as (part of) a turn; what arrived meanwhile runs when the outermost turn ends. */
  private within<T>(work: () => T): T {
    this.turnDepth++;
    try {
      return work();
    } finally {
      if (--this.turnDepth === 0 && this.waiting.length > 0) this.runWaiting();
    }
  }

  /** Runs `work` as a turn of its own: now if none is running, else once the running one ends. */
  private afterTurn(work: () => void): void {
    if (this.turnDepth > 0) this.waiting.push(work);
    else this.within(work);
  }

  private runWaiting(): void {
    if (this.runningWaiting) return; // the loop below is already on it
    this.runningWaiting = true;
    try {
      for (let work = this.waiting.shift(); work !== undefined; work = this.waiting.shift()) this.within(work);
    } finally {
      this.runningWaiting = false;
      // A listener threw: what is left still runs, right after the caller sees the throw.
      if (this.waiting.length > 0) queueMicrotask(() => this.turnDepth === 0 && this.runWaiting());
    }
  }

  /**
   * Adds a router. Throws (changing nothing) if its name, or its (interface, family, VRID), is taken,
   * or once the engine is stopping. `before` are inputs the router records before its startup (a link
   * found down, a failing check: it starts in Fault rather than going Master first). If the engine is
   * running the router gets its startup input at once; otherwise at start().
   */
  addRouter(config: VirtualRouterConfig, before: readonly OperatorInput[] = []): void {
    if (!this.acceptsInputs()) throw new Error(`engine: cannot add router ${JSON.stringify(config.name)} when ${this.lifecycle}`);
    const slot = this.attach(config);
    this.within(() => {
      const nowMs = this.ports.time.nowMs();
      for (const input of before) this.deliver(slot, input, nowMs);
      if (this.lifecycle !== 'running') return;
      try {
        this.deliver(slot, { kind: 'startup' }, nowMs);
        this.flushOutbox();
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
    const slot = this.slotByName.get(name);
    if (slot === undefined) throw new Error(`engine: no virtual router named ${JSON.stringify(name)}`);
    const before = new Set(this.pending);
    this.within(() => {
      try {
        if (options.release && this.lifecycle === 'running') {
          const nowMs = this.ports.time.nowMs();
          this.apply(slot, slot.router.handle({ kind: 'shutdown' }, nowMs), nowMs);
          this.flushOutbox();
        }
      } finally {
        this.detach(slot);
        this.armTimer();
      }
    });
    await this.settledSince(before);
  }

  /**
   * Applies a new configuration to a running router without a state change (VirtualRouter.reconfigure).
   * Throws if the name is unknown, or if interface, VRID, family or version differ: that is another
   * router, which the caller removes and adds. The returned promise settles once the port work it
   * started (a Master's VIPs removed, added, announced) is done; it never rejects.
   */
  reconfigureRouter(name: string, config: VirtualRouterConfig): Promise<void> {
    const slot = this.slotByName.get(name);
    if (slot === undefined) throw new Error(`engine: no virtual router named ${JSON.stringify(name)}`);
    if (config.name !== name) throw new Error(`engine: cannot rename router ${JSON.stringify(name)} to ${JSON.stringify(config.name)} in place`);
    if (!this.acceptsInputs()) throw new Error(`engine: cannot reconfigure router ${JSON.stringify(name)} when ${this.lifecycle}`);
    const before = new Set(this.pending);
    this.within(() => {
      const nowMs = this.ports.time.nowMs();
      const previous = slot.config;
      const actions = slot.router.reconfigure(config, nowMs);
      Object.assign(slot, advertEncoding(config));
      this.markPartingStale(slot); // its addresses, interval or authentication may be new
      if (slot === this.takeoverSlot) this.takeoverStale = this.takeoverReencode = true;
      try {
        this.apply(slot, actions, nowMs, previous);
        if (this.slots[slot.index] === slot) this.deadlines.set(slot.index, slot.router.nextDeadlineMs());
        this.flushOutbox();
      } finally {
        this.armTimer();
      }
    });
    return this.settledSince(before);
  }

  /** Waits for the port work started since `before` was taken; never rejects. */
  private async settledSince(before: ReadonlySet<Promise<void>>): Promise<void> {
    const started = [...this.pending].filter((work) => !before.has(work));
    if (started.length > 0) await Promise.allSettled(started);
  }

  /** Files a new router under a free deadline-queue index and its interface's demux. */
  private attach(config: VirtualRouterConfig): RouterSlot {
    if (this.slotByName.has(config.name)) {
      throw new Error(`engine: two virtual routers are named ${JSON.stringify(config.name)}; names must be unique`);
    }
    const router = new VirtualRouter(config);
    let iface = this.interfaces.get(config.interface);
    const newInterface = iface === undefined;
    iface ??= { name: config.interface, demux: new InterfaceDemux(config.interface, []), packetsReceived: 0, drops: new Map() };
    iface.demux.add(router); // throws on a taken (family, VRID) before anything is recorded
    if (newInterface) this.interfaces.set(config.interface, iface);
    const index = this.freeIndices.pop() ?? this.slots.length;
    this.deadlines.reserve(index + 1);
    const slot: RouterSlot = {
      index,
      router,
      ...advertEncoding(config),
      advertsSent: 0,
      advertsReceived: 0,
      drops: new Map(),
      vipsAdding: undefined,
    };
    this.slots[index] = slot;
    this.slotByRouter.set(router, slot);
    this.slotByName.set(config.name, slot);
    return slot;
  }

  /** The reverse of attach; an interface left without routers is forgotten with its counters. */
  private detach(slot: RouterSlot): void {
    this.markPartingStale(slot);
    if (slot === this.takeoverSlot) this.takeoverStale = true;
    this.deadlines.set(slot.index, undefined);
    this.slots[slot.index] = undefined;
    this.freeIndices.push(slot.index);
    this.slotByRouter.delete(slot.router);
    this.slotByName.delete(slot.config.name);
    const iface = this.interfaces.get(slot.config.interface);
    if (iface !== undefined) {
      iface.demux.remove(slot.router);
      if (iface.demux.size === 0) this.interfaces.delete(iface.name);
    }
    if (this.outboxSlot === slot) this.outboxSlot = null;
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
    // Withdrawn before anything else (a listener may throw below): no Backup takes over from here.
    this.syncTakeover();
    if (wasRunning) {
      this.within(() => {
        const nowMs = this.ports.time.nowMs();
        // Every Master's priority-0 advert first, in one send call, so Backups on every VRID start their
        // Skew_Time takeover at once; then each router removes its VIPs (still after its own advert).
        const shutdowns = [...this.slotByName.values()].map((slot) => ({ slot, actions: slot.router.handle({ kind: 'shutdown' }, nowMs) }));
        for (const { slot, actions } of shutdowns) this.apply(slot, actions.filter((a) => a.kind === 'sendAdvert'), nowMs);
        this.flushOutbox();
        for (const { slot, actions } of shutdowns) this.apply(slot, actions.filter((a) => a.kind !== 'sendAdvert'), nowMs);
      });
    }
    this.armedAtMs = undefined;
    this.ports.time.setTimer(undefined, this.onDeadline);
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    if (this.ports.packets.close !== undefined) {
      try {
        await this.ports.packets.close();
      } catch (error) {
        this.reportError('close', undefined, error);
      }
    }
    this.lifecycle = 'stopped';
  }

  /**
   * A link change, tracked-object report, priority change or lost VIP for one router. Before start()
   * the router only records it (so a link found down, or a check found failing, is known at startup:
   * the router starts in Fault instead of going Master first); ignored once stopping.
   */
  input(routerName: string, input: OperatorInput): void {
    const slot = this.slotByName.get(routerName);
    if (slot === undefined) throw new Error(`engine: no virtual router named ${JSON.stringify(routerName)}`);
    if (!this.acceptsInputs()) return;
    this.afterTurn(() => {
      // Given inside another turn, it runs after it: the router may be gone, or the engine stopping.
      if (this.slots[slot.index] !== slot || !this.acceptsInputs()) return;
      try {
        this.deliver(slot, input, this.ports.time.nowMs());
        this.flushOutbox();
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
    if (!this.interfaces.has(interfaceName)) throw new Error(`engine: no virtual router uses interface ${JSON.stringify(interfaceName)}`);
    if (!this.acceptsInputs()) return;
    this.afterTurn(() => {
      if (!this.acceptsInputs()) return;
      const nowMs = this.ports.time.nowMs();
      try {
        for (const slot of this.slotByName.values()) {
          if (slot.config.interface === interfaceName) this.deliver(slot, { kind: 'link', up }, nowMs);
        }
        this.flushOutbox();
      } finally {
        this.armTimer();
      }
    });
  }

  private acceptsInputs(): boolean {
    return this.lifecycle === 'created' || this.lifecycle === 'running';
  }

  get running(): boolean {
    return this.lifecycle === 'running';
  }

  /** In the order the routers were added. */
  routerNames(): string[] {
    return [...this.slotByName.keys()];
  }

  snapshot(): RouterSnapshot[] {
    return [...this.slotByName.values()].map((slot) => slot.router.snapshot());
  }

  /** The configuration a router runs with now (after any reconfiguration), or undefined. */
  routerConfig(name: string): VirtualRouterConfig | undefined {
    return this.slotByName.get(name)?.config;
  }

  counters(): EngineCounters {
    const routers: RouterCounters[] = [...this.slotByName.values()].map((slot) => ({
      router: slot.config.name,
      interface: slot.config.interface,
      vrid: slot.config.vrid,
      advertsSent: slot.advertsSent,
      advertsReceived: slot.advertsReceived,
      drops: sortedCounts(slot.drops),
    }));
    const interfaces: InterfaceCounters[] = [...this.interfaces.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((slot) => ({ interface: slot.name, packetsReceived: slot.packetsReceived, drops: sortedCounts(slot.drops) }));
    return { routers, interfaces };
  }

  /** Zeroes every counter counters() reports (keepalived's STATS_CLEAR); no state, timer or router changes. */
  clearCounters(): void {
    for (const slot of this.slotByName.values()) {
      slot.advertsSent = 0;
      slot.advertsReceived = 0;
      slot.drops.clear();
    }
    for (const iface of this.interfaces.values()) {
      iface.packetsReceived = 0;
      iface.drops.clear();
    }
  }

  private handleDeadline(takeoverSent: boolean): void {
    const firedForMs = this.armedAtMs;
    // The timer that called us is spent; whatever we arm next must reach the port.
    this.armedAtMs = undefined;
    if (this.lifecycle !== 'running') return;
    // A port that sent the takeover acted at the deadline: it is due, whatever the clock's rounding says.
    let nowMs = takeoverSent && firedForMs !== undefined ? Math.max(this.ports.time.nowMs(), firedForMs) : this.ports.time.nowMs();
    // Collect first, then handle: a router whose new deadline is again <= now waits for the next
    // timer call instead of spinning here.
    const due: number[] = [];
    this.collectDue(nowMs, due);
    // Adverts already received but not yet read go first when a Backup is due: one descheduled past
    // its Master_Down_Interval must not take over while the Master's adverts sit in its socket. Only
    // then: a Master's due advert does not depend on what was received, and reading a flood first
    // would only delay it. Unless the port has already sent a takeover at this expiry, having found
    // its sockets empty (TimerExpiry). A router the drain moved later gets a timeout early, which
    // changes nothing.
    if (this.ports.packets.drain !== undefined && !takeoverSent && this.anyBackupAmong(due)) {
      // What drain hands over was received before the deadline: handled now, each packet a turn of
      // its own, not after this one.
      const depth = this.turnDepth;
      this.turnDepth = 0;
      try {
        this.ports.packets.drain();
      } catch (error) {
        this.reportError('receive', undefined, error);
      } finally {
        this.turnDepth = depth;
      }
      if (this.lifecycle !== 'running') return;
      nowMs = this.ports.time.nowMs();
      this.collectDue(nowMs, due);
    }
    try {
      for (const index of due) {
        // A listener may have removed a router while an earlier one's actions were carried out.
        const slot = this.slots[index];
        if (slot !== undefined) this.deliver(slot, { kind: 'timeout' }, nowMs);
      }
      this.flushOutbox();
    } finally {
      // Even if a listener threw: the timer must run on, and a takeover advert must not outlive the
      // router's takeover.
      this.armTimer();
    }
  }

  /** Appends to `due` the indices of the routers whose deadline is at or before `nowMs`. */
  private collectDue(nowMs: number, due: number[]): void {
    for (let index = this.deadlines.popDue(nowMs); index !== undefined; index = this.deadlines.popDue(nowMs)) {
      due.push(index);
    }
  }

  private anyBackupAmong(indices: readonly number[]): boolean {
    for (const index of indices) if (this.slots[index]?.router.state === 'Backup') return true;
    return false;
  }

  private handlePacket(packet: IncomingPacket): void {
    if (this.lifecycle !== 'running') return;
    const iface = this.interfaces.get(packet.interface);
    if (iface === undefined) return; // no router of ours lives there; not ours to count
    iface.packetsReceived++;
    const nowMs = this.arrivalMs(packet);
    this.clockFloorMs = nowMs;
    const result = iface.demux.receive(packet.payload, packet.meta, nowMs);
    const slot = result.router === undefined ? undefined : this.slotByRouter.get(result.router);
    if (slot === undefined) {
      for (const action of result.actions) {
        if (action.kind === 'dropped') {
          iface.drops.set(action.reason, (iface.drops.get(action.reason) ?? 0) + 1);
          if (this.listenerCount('dropped') > 0) {
            this.emit('dropped', { router: undefined, interface: iface.name, reason: action.reason, detail: action.detail, atMs: nowMs });
          }
        }
      }
      return;
    }
    if (slot === this.takeoverSlot) this.takeoverStale = true;
    try {
      const actions = result.actions;
      let accepted = true;
      for (let i = 0; i < actions.length; i++) if (actions[i]!.kind === 'dropped') accepted = false;
      if (accepted) {
        slot.advertsReceived++;
        if (this.listenerCount('advertReceived') > 0) this.emitAdvertReceived(slot, packet, nowMs);
      }
      this.apply(slot, result.actions, nowMs);
      this.flushOutbox();
      if (this.slots[slot.index] !== slot) return; // a listener removed it
      const nextMs = slot.router.nextDeadlineMs();
      this.deadlines.set(slot.index, nextMs);
      // Most adverts push a Backup's down timer later. The armed timer is then early, which is harmless
      // (it wakes, finds nothing due and re-arms), so only an earlier deadline re-arms it now: this
      // keeps the heap untouched on the per-packet path.
      if (nextMs !== undefined && (this.armedAtMs === undefined || nextMs < this.armedAtMs)) this.armTimer();
    } finally {
      // Its takeover advert is withdrawn or renewed before the event loop can fire the timer, even if
      // a listener threw.
      if (this.takeoverStale) this.syncTakeover();
    }
  }

  /**
   * The time an advert counts from: when the port received it, if it says (a Backup's Master_Down
   * timer then runs from the Master's advert, not from when this process was scheduled to read it),
   * but not before the latest time a router was given any input at, so their clock never runs backwards.
   */
  private arrivalMs(packet: IncomingPacket): number {
    const nowMs = this.ports.time.nowMs();
    const receivedAtMs = packet.receivedAtMs;
    if (receivedAtMs === undefined || !(receivedAtMs < nowMs)) return nowMs;
    return Math.max(receivedAtMs, this.clockFloorMs);
  }

  /** Hands one input to one router, carries out its actions and files its next deadline. */
  private deliver(slot: RouterSlot, input: RouterInput, nowMs: number): void {
    if (nowMs > this.clockFloorMs) this.clockFloorMs = nowMs;
    if (slot === this.takeoverSlot) this.takeoverStale = true;
    this.apply(slot, slot.router.handle(input, nowMs), nowMs);
    // Unless a listener removed the router meanwhile (its index may already be someone else's).
    if (this.slots[slot.index] === slot) this.deadlines.set(slot.index, slot.router.nextDeadlineMs());
  }

  /**
   * Carries out a router's actions. Address work goes to each address's interface (the router's, or
   * its `dev`, see addressesByInterface); `removeFrom` is the configuration whose interfaces removals
   * follow (on reconfigure, the old one: an address that moved is removed where it was).
   */
  private apply(slot: RouterSlot, actions: readonly RouterAction[], nowMs: number, removeFrom: VirtualRouterConfig = slot.config): void {
    const config = slot.config;
    for (const action of actions) {
      switch (action.kind) {
        case 'sendAdvert':
          this.sendAdvert(slot, action, nowMs);
          break;
        case 'addVips': {
          this.flushOutbox();
          const adding: Promise<void>[] = [];
          for (const [iface, addresses] of addressesByInterface(config, action.addresses)) {
            const added = this.callPort('addVips', slot, () => this.ports.addresses.addVips(iface, addresses, { acceptMode: action.acceptMode }));
            if (added !== undefined) adding.push(added);
            if (this.listenerCount('vipsAdded') > 0) this.emit('vipsAdded', { router: config.name, interface: iface, addresses, atMs: nowMs });
          }
          this.trackAdd(slot, adding.length === 0 ? undefined : adding.length === 1 ? adding[0] : Promise.all(adding).then(() => undefined));
          break;
        }
        case 'removeVips':
          this.flushOutbox();
          for (const [iface, addresses] of addressesByInterface(removeFrom, action.addresses)) {
            this.callPort('removeVips', slot, () => this.ports.addresses.removeVips(iface, addresses));
            if (this.listenerCount('vipsRemoved') > 0) this.emit('vipsRemoved', { router: config.name, interface: iface, addresses, atMs: nowMs });
          }
          break;
        case 'announceVips':
          this.flushOutbox();
          for (const [iface, addresses] of addressesByInterface(config, action.addresses)) {
            this.announce(slot, iface, addresses, action.count);
            if (this.listenerCount('vipsAnnounced') > 0) {
              this.emit('vipsAnnounced', { router: config.name, interface: iface, addresses, count: action.count, atMs: nowMs });
            }
          }
          break;
        case 'stateChange':
          if (action.from === 'Master' || action.to === 'Master') this.markPartingStale(slot);
          this.emit('stateChange', {
            router: config.name,
            interface: config.interface,
            vrid: config.vrid,
            from: action.from,
            to: action.to,
            reason: action.reason,
            priority: action.priority,
            atMs: nowMs,
          });
          break;
        case 'priorityChange':
          this.emit('priorityChange', { router: config.name, vrid: config.vrid, from: action.from, to: action.to, atMs: nowMs });
          break;
        case 'dropped':
          slot.drops.set(action.reason, (slot.drops.get(action.reason) ?? 0) + 1);
          if (this.listenerCount('dropped') > 0) {
            this.emit('dropped', { router: config.name, interface: config.interface, reason: action.reason, detail: action.detail, atMs: nowMs });
          }
          break;
        case 'notice':
          if (this.listenerCount('notice') > 0) {
            this.emit('notice', { router: config.name, interface: config.interface, notice: action.notice, detail: action.detail, atMs: nowMs });
          }
          break;
        default:
          assertNever(action);
      }
    }
  }

  private sendAdvert(slot: RouterSlot, action: Extract<RouterAction, { kind: 'sendAdvert' }>, nowMs: number): void {
    for (const packet of this.encodeAdvert(slot, action)) this.outbox.push(packet);
    slot.advertsSent += slot.encodeOptions.length;
    this.outboxSlot = this.outboxSlot === undefined || this.outboxSlot === slot ? slot : null;
    if (this.listenerCount('advertSent') > 0) {
      this.emit('advertSent', {
        router: slot.config.name,
        interface: slot.config.interface,
        vrid: action.vrid,
        priority: action.priority,
        advertIntervalCs: action.advertIntervalCs,
        destinations: slot.destinations,
        atMs: nowMs,
      });
    }
  }

  /** One packet per destination: the v3 pseudo-header checksum covers the actual destination address. */
  private encodeAdvert(slot: RouterSlot, action: Extract<RouterAction, { kind: 'sendAdvert' }>): OutgoingPacket[] {
    const config = slot.config;
    const advert: AdvertToEncode = {
      version: config.version,
      vrid: action.vrid,
      priority: action.priority,
      advertIntervalCs: action.advertIntervalCs,
      addresses: action.addresses,
      authType: slot.authType,
      authData: slot.authData,
    };
    return slot.encodeOptions.map((options) => ({
      interface: config.interface,
      family: config.family,
      sourceAddress: config.primaryAddress,
      destinationAddress: options.destinationAddress,
      payload: encodeAdvert(advert, options),
    }));
  }

  /**
   * A router entered or left Master, was reconfigured or removed: its priority-0 adverts must be
   * handed to the packet port again (PacketPort.setParting). That is done in a microtask, once for
   * everything marked in the current turn: a batch of received adverts that moves 255 routers costs
   * one port call (each call hands over the whole set), not one per packet, and it is still done
   * before the event loop can run anything else, a stop signal included.
   */
  private markPartingStale(slot: RouterSlot): void {
    if (this.ports.packets.setParting === undefined) return; // a port that cannot use them (the simulator's)
    this.partingStale.add(slot);
    if (this.partingScheduled) return;
    this.partingScheduled = true;
    queueMicrotask(() => {
      this.partingScheduled = false;
      this.syncParting();
    });
  }

  /** Re-encodes the stale routers' priority-0 adverts (only Masters have any) and hands over the set. */
  private syncParting(): void {
    for (const slot of this.partingStale) {
      const advert = this.lifecycle === 'running' && this.slots[slot.index] === slot ? slot.router.partingAdvert() : undefined;
      if (advert === undefined) this.partingBySlot.delete(slot);
      else this.partingBySlot.set(slot, this.encodeAdvert(slot, advert));
    }
    this.partingStale.clear();
    try {
      this.ports.packets.setParting?.([...this.partingBySlot.values()].flat());
    } catch (error) {
      this.reportError('send', undefined, error);
    }
  }

  private emitAdvertReceived(slot: RouterSlot, packet: IncomingPacket, nowMs: number): void {
    // Decoded a second time only when someone listens: the demux keeps its decode to itself.
    const decoded = decodeAdvert(packet.payload, packet.meta);
    if (!decoded.ok) return;
    this.emit('advertReceived', {
      router: slot.config.name,
      interface: slot.config.interface,
      vrid: decoded.advert.vrid,
      sourceAddress: packet.meta.sourceAddress,
      priority: decoded.advert.priority,
      advertIntervalCs: decoded.advert.advertIntervalCs,
      atMs: nowMs,
    });
  }

  /** Hands the queued adverts to the packet port in one call. */
  private flushOutbox(): void {
    if (this.outbox.length === 0) return;
    const batch = this.outbox;
    const slot = this.outboxSlot ?? undefined;
    this.outbox = [];
    this.outboxSlot = undefined;
    // Called directly rather than through callPort's closure: this is the per-advert hot path.
    let sent: void | Promise<void> = undefined;
    try {
      sent = this.ports.packets.send(batch);
    } catch (error) {
      this.reportError('send', slot, error);
    }
    this.settle('send', slot, sent);
  }

  private trackAdd(slot: RouterSlot, adding: Promise<void> | undefined): void {
    slot.vipsAdding = adding;
    void adding?.then(() => {
      if (slot.vipsAdding === adding) slot.vipsAdding = undefined;
    });
  }

  /**
   * A gratuitous ARP / NA for an address not yet on the interface would announce nothing the host can
   * answer for (RFC 9568 8.1.2: no ARP before the address is configured), so when the add is still in
   * flight the announcement waits for it, and is skipped if the router left Master meanwhile.
   */
  private announce(slot: RouterSlot, iface: string, addresses: readonly string[], count: number): void {
    const call = () => this.ports.addresses.announceVips(iface, addresses, count);
    const adding = slot.vipsAdding;
    if (adding === undefined) {
      this.callPort('announceVips', slot, call);
      return;
    }
    const later = adding.then(() => {
      if (slot.router.state !== 'Master' || this.lifecycle !== 'running' || this.slots[slot.index] !== slot) return;
      const result = this.callPort('announceVips', slot, call);
      return result;
    });
    this.settle('announceVips', slot, later);
  }

  /**
   * Calls a port; a throw or a rejected promise becomes an 'error' event, never an unhandled rejection.
   * Returns the port's promise (already watched for errors, never rejecting), if it gave one.
   */
  private callPort(operation: EngineErrorEvent['operation'], slot: RouterSlot, call: () => void | Promise<void>): Promise<void> | undefined {
    let result: void | Promise<void>;
    try {
      result = call();
    } catch (error) {
      this.reportError(operation, slot, error);
      return undefined;
    }
    return this.settle(operation, slot, result);
  }

  /**
   * Follows a port's promise, if it returned one, so that a rejection becomes an 'error' event. Returns
   * a promise that settles with it and never rejects.
   */
  private settle(operation: EngineErrorEvent['operation'], slot: RouterSlot | undefined, result: void | Promise<void>): Promise<void> | undefined {
    if (result === undefined || typeof (result as Promise<void>).then !== 'function') return undefined;
    const tracked: Promise<void> = result.then(
      () => {
        this.pending.delete(tracked);
      },
      (error: unknown) => {
        this.pending.delete(tracked);
        this.reportError(operation, slot, error);
      },
    );
    this.pending.add(tracked);
    return tracked;
  }

  /**
   * An 'error' event; with no listener, a line through the logger instead (EngineOptions), so a
   * failure is never silent, and never thrown into the engine's own turn or an unhandled rejection.
   */
  private reportError(operation: EngineErrorEvent['operation'], slot: RouterSlot | undefined, error: unknown): void {
    const event: EngineErrorEvent = { operation, router: slot?.config.name, interface: slot?.config.interface, error, atMs: this.ports.time.nowMs() };
    if (this.listenerCount('error') > 0) {
      this.emit('error', event);
      return;
    }
    const where = slot === undefined ? '' : ` (router ${slot.config.name} on ${slot.config.interface})`;
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.error({ event: 'error', ...event }, `${operation} failed${where}: ${reason}`);
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

  /**
   * Hands the packet port the adverts the router due at the armed timer would send on becoming
   * Master (PacketPort.setTakeover), or withdraws them: the Linux port sends them from the timer's
   * expiry, before any JavaScript runs. Only when the armed time is that router's own deadline and
   * its deadline is a Master_Down_Timer (VirtualRouter.takeoverAdvert); the timer is often armed
   * early (adverts move a Backup's deadline later without re-arming it), and then there is nothing.
   */
  private syncTakeover(): void {
    const setTakeover = this.ports.packets.setTakeover;
    if (setTakeover === undefined) return;
    let slot: RouterSlot | undefined;
    if (this.lifecycle === 'running' && this.armedAtMs !== undefined) {
      const index = this.deadlines.peekIndex();
      const candidate = index === undefined ? undefined : this.slots[index];
      if (candidate !== undefined && candidate.router.nextDeadlineMs() === this.armedAtMs) slot = candidate;
    }
    const same = slot === this.takeoverSlot && this.armedAtMs === this.takeoverAtMs;
    if (same && !this.takeoverStale) return;
    const advert = slot?.router.takeoverAdvert();
    const unchanged = same && advert !== undefined && advert.priority === this.takeoverPriority && !this.takeoverReencode;
    this.takeoverStale = this.takeoverReencode = false;
    // An input that moved nothing (a dropped advert, say): what the port holds is still right.
    if (unchanged) return;
    // The port holds adverts exactly when takeoverSlot is set: an unchanged "none" costs no call.
    const held = this.takeoverSlot !== undefined;
    this.takeoverSlot = advert === undefined ? undefined : slot;
    this.takeoverAtMs = this.armedAtMs;
    this.takeoverPriority = advert?.priority;
    if (advert === undefined && !held) return;
    try {
      setTakeover.call(this.ports.packets, advert === undefined ? [] : this.encodeAdvert(slot!, advert));
    } catch (error) {
      // The engine's own send still happens at the deadline: only the head start is lost.
      this.takeoverSlot = undefined;
      this.reportError('send', slot, error);
    }
  }
}

function sortedCounts(counts: ReadonlyMap<DropReason, number>): DropCounts {
  const out: Partial<Record<DropReason, number>> = {};
  for (const key of [...counts.keys()].sort()) out[key] = counts.get(key)!;
  return out;
}
