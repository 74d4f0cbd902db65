// The engine's collaborator for adverts that must not wait for JavaScript: it keeps a transport's
// HeadStartPort (ports.ts) in step with the routers, so that the transport can
//   - send each Master's priority-0 advert straight from a stop signal (setParting),
//   - send a Backup's first advert as Master straight from its timer's expiry (setTakeover),
//   - send each Master's periodic adverts from outside the event loop, so a blocked loop (a GC
//     pause, a synchronous call in an embedding program) costs no advert, until the watchdog says
//     the engine has been silent too long (setPeriodic, checkIn),
//   - read what its sockets hold before a Backup's deadline is acted on (drain).
// Without a head-start port (the simulator, most embedders) every method here does nothing and the
// engine sends everything itself; with one, the engine's sends are unchanged, and the transport skips
// the ones it has already sent.

import { ownedAddresses } from '../core/address-placement.js';
import { acceptModeInEffect, type VirtualRouter } from '../core/virtual-router.js';
import {
  addressesByInterface,
  encodeAdvertPackets,
  type AdvertAction,
  type AdvertEncoding,
} from './advert-encoding.js';
import type { HeadStartPort, OutgoingPacket, PeriodicCounters, TakeoverAddresses } from './ports.js';

/** What HeadStart needs of the engine's per-router slot. */
export interface HeadStartSlot extends AdvertEncoding {
  readonly router: VirtualRouter;
}

/** What HeadStart needs of the engine. */
export interface HeadStartHost {
  nowMs(): number;
  /** The engine runs and `slot` is still one of its routers. */
  isLive(slot: HeadStartSlot): boolean;
  reportError(operation: 'send' | 'receive', slot: HeadStartSlot | undefined, error: unknown): void;
}

/**
 * The least silence, in ms, after which a Master's periodic adverts stop (HeadStartPort.setPeriodic
 * `watchdogMs`); at intervals of 134 ms and more, three intervals (about Master_Down_Interval) instead.
 * Why not Master_Down_Interval at every interval: at 10 ms that is 30-40 ms, and a bound that short
 * would stop the adverts in the very stalls they exist to ride out (a major GC of a large heap, a
 * synchronous file or DNS call in an embedding program: up to a couple of hundred ms). 400 ms is twice
 * the 200 ms stall that must cost no advert: the engine checks in at every timer expiry, so the last
 * check-in may be an interval before the stall began, and the first after it comes once the timer
 * handler runs. The price: a process wedged for good keeps its VIPs for up to this long plus the
 * Backup's Master_Down_Interval, against Master_Down_Interval alone for a dead one.
 */
export const MIN_WATCHDOG_MS = 400;

export function watchdogMs(intervalMs: number): number {
  return Math.max(MIN_WATCHDOG_MS, 3 * intervalMs);
}

/** A Master's periodic advert: the core's advert at its effective priority (its parting advert says 0). */
function periodicAdvert(router: VirtualRouter): AdvertAction | undefined {
  const parting = router.partingAdvert();
  return parting === undefined ? undefined : { ...parting, priority: router.effectivePriority };
}

/**
 * The address work of `slot`'s takeover, as VirtualRouter's becomeMaster asks for it and AddressWork
 * carries it out: its VIPs added on each interface they live on, then announced `announce.repeat`
 * times.
 */
function takeoverAddresses(slot: HeadStartSlot): TakeoverAddresses[] {
  const config = slot.config;
  const owned = ownedAddresses(config);
  if (owned.length === 0) return [];
  const acceptMode = acceptModeInEffect(config);
  return addressesByInterface(config, owned).map(([iface, addresses]) => ({
    interface: iface,
    addresses,
    acceptMode,
    announceCount: config.announce.repeat,
  }));
}

export class HeadStart {
  /** Each Master's priority-0 adverts as last handed to setParting, and who may have changed. */
  private readonly partingBySlot = new Map<HeadStartSlot, readonly OutgoingPacket[]>();
  private readonly stale = new Set<HeadStartSlot>();
  private syncScheduled = false;
  /** Routers whose periodic schedule the port holds. */
  private readonly periodicArmed = new Set<HeadStartSlot>();
  /** Counters at the last clearCounters, per router name, subtracted from the port's cumulative ones. */
  private readonly periodicBaseline = new Map<string, PeriodicCounters>();
  /** The Backup whose takeover adverts the port holds for the armed timer (syncTakeover). */
  private takeoverSlot: HeadStartSlot | undefined;
  /** The timer deadline they were armed for. */
  private takeoverAtMs: number | undefined;
  /** takeoverSlot's router had an input since: its advert may differ, or its deadline have moved. */
  private takeoverStale = false;
  /** The priority of the advert held (an input that leaves it and the deadline alone costs no port call). */
  private takeoverPriority: number | undefined;
  /** takeoverSlot was reconfigured: its advert is encoded again even if the priority is the same. */
  private takeoverReencode = false;

  constructor(
    private readonly port: HeadStartPort | undefined,
    private readonly host: HeadStartHost,
  ) {}

  /** Whether the engine marks its periodic adverts (OutgoingPacket.periodic): only for a port that sends them too. */
  get marksPeriodic(): boolean {
    return this.port?.setPeriodic !== undefined;
  }

  /** Reads what the transport holds before a Backup's deadline is acted on; false when it cannot. */
  drain(): boolean {
    if (this.port?.drain === undefined) return false;
    try {
      this.port.drain();
    } catch (error) {
      this.host.reportError('receive', undefined, error);
    }
    return true;
  }

  /** The engine handled a timer expiry: it is alive. */
  checkIn(): void {
    this.port?.checkIn?.();
  }

  /** An input reached `slot`'s router: a takeover advert held for it may be out of date. */
  touched(slot: HeadStartSlot): void {
    if (slot === this.takeoverSlot) this.takeoverStale = true;
  }

  /** Whether syncTakeover has work after an input (the engine calls it then, even on error paths). */
  get takeoverNeedsSync(): boolean {
    return this.takeoverStale;
  }

  /**
   * A router entered or left Master, changed priority, was reconfigured or removed: its parting and
   * periodic adverts must be handed to the port again. Done in a microtask, once for everything
   * marked in the current turn: a batch of received adverts that moves 255 routers costs one
   * setParting call (each hands over the whole set), not one per packet, and it is still done before
   * the event loop can run anything else, a stop signal included.
   */
  changed(slot: HeadStartSlot, reencode = false): void {
    if (reencode && slot === this.takeoverSlot) this.takeoverStale = this.takeoverReencode = true;
    if (this.port?.setParting === undefined && this.port?.setPeriodic === undefined) return;
    this.stale.add(slot);
    if (this.syncScheduled) return;
    this.syncScheduled = true;
    queueMicrotask(() => {
      this.syncScheduled = false;
      this.sync();
    });
  }

  /**
   * Disarms `slot`'s periodic adverts now, not in a microtask: it is leaving Master or about to send
   * its priority-0 advert, and no periodic advert may follow that.
   */
  stopPeriodic(slot: HeadStartSlot): void {
    if (!this.periodicArmed.delete(slot)) return;
    this.callPort(slot, () => this.port!.setPeriodic!(slot.config.name, undefined));
  }

  /** The engine is stopping: no periodic advert from here on, and no takeover. */
  stopAll(): void {
    for (const slot of [...this.periodicArmed]) this.stopPeriodic(slot);
  }

  /** `slot` was removed from the engine. */
  forget(slot: HeadStartSlot): void {
    this.stopPeriodic(slot);
    this.changed(slot);
    this.touched(slot);
    this.periodicBaseline.delete(slot.config.name);
    if (this.port?.forgetPeriodic !== undefined)
      this.callPort(slot, () => this.port!.forgetPeriodic!(slot.config.name));
  }

  /** What `slot`'s periodic schedule did since the last clearCounters, if the port keeps any. */
  counters(slot: HeadStartSlot): PeriodicCounters | undefined {
    const now = this.port?.periodicCounters?.(slot.config.name);
    if (now === undefined) return undefined;
    const base = this.periodicBaseline.get(slot.config.name);
    return base === undefined
      ? now
      : { sent: now.sent - base.sent, watchdogTrips: now.watchdogTrips - base.watchdogTrips };
  }

  clearCounters(slots: Iterable<HeadStartSlot>): void {
    for (const slot of slots) {
      const now = this.port?.periodicCounters?.(slot.config.name);
      if (now !== undefined) this.periodicBaseline.set(slot.config.name, now);
    }
  }

  /** Re-encodes the stale routers' parting and periodic adverts (only Masters have any) and hands them over. */
  private sync(): void {
    for (const slot of this.stale) {
      const live = this.host.isLive(slot);
      const parting = live ? slot.router.partingAdvert() : undefined;
      if (parting === undefined) this.partingBySlot.delete(slot);
      else this.partingBySlot.set(slot, encodeAdvertPackets(slot, parting));
      if (this.port?.setPeriodic !== undefined) this.syncPeriodic(slot, live);
    }
    this.stale.clear();
    if (this.port?.setParting !== undefined)
      this.callPort(undefined, () => this.port!.setParting!([...this.partingBySlot.values()].flat()));
  }

  private syncPeriodic(slot: HeadStartSlot, live: boolean): void {
    const advert = live ? periodicAdvert(slot.router) : undefined;
    if (advert === undefined) {
      this.stopPeriodic(slot);
      return;
    }
    const intervalMs = slot.config.advertIntervalCs * 10;
    const adverts = {
      packets: encodeAdvertPackets(slot, advert),
      intervalMs,
      firstAtMs: this.host.nowMs() + intervalMs,
      watchdogMs: watchdogMs(intervalMs),
    };
    this.periodicArmed.add(slot);
    if (!this.callPort(slot, () => this.port!.setPeriodic!(slot.config.name, adverts))) this.periodicArmed.delete(slot);
  }

  /**
   * Hands the port the adverts the router due at the armed timer would send on becoming Master
   * (HeadStartPort.setTakeover), or withdraws them: the Linux port sends them from the timer's
   * expiry, before any JavaScript runs. Only when the armed time is that router's own deadline and
   * its deadline is a Master_Down_Timer (VirtualRouter.takeoverAdvert); the timer is often armed
   * early (adverts move a Backup's deadline later without re-arming it), and then there is nothing.
   * `armedAtMs` undefined: the engine is not running or no timer is armed; `due`: the router whose
   * deadline is earliest.
   */
  syncTakeover(armedAtMs: number | undefined, due: HeadStartSlot | undefined): void {
    const setTakeover = this.port?.setTakeover;
    if (setTakeover === undefined) return;
    const slot = armedAtMs !== undefined && due?.router.nextDeadlineMs() === armedAtMs ? due : undefined;
    const same = slot === this.takeoverSlot && armedAtMs === this.takeoverAtMs;
    if (same && !this.takeoverStale) return;
    const advert = slot?.router.takeoverAdvert();
    const unchanged =
      same && advert !== undefined && advert.priority === this.takeoverPriority && !this.takeoverReencode;
    this.takeoverStale = this.takeoverReencode = false;
    // An input that moved nothing (a dropped advert, say): what the port holds is still right.
    if (unchanged) return;
    // The port holds adverts exactly when takeoverSlot is set: an unchanged "none" costs no call.
    const held = this.takeoverSlot !== undefined;
    this.takeoverSlot = advert === undefined ? undefined : slot;
    this.takeoverAtMs = armedAtMs;
    this.takeoverPriority = advert?.priority;
    if (advert === undefined && !held) return;
    // On failure the engine's own send still happens at the deadline: only the head start is lost.
    const call =
      advert === undefined
        ? () => setTakeover.call(this.port, [])
        : () => setTakeover.call(this.port, encodeAdvertPackets(slot!, advert), takeoverAddresses(slot!));
    if (!this.callPort(slot, call)) {
      this.takeoverSlot = undefined;
    }
  }

  /** Calls the port; a throw becomes an engine 'error' event. Whether it returned. */
  private callPort(slot: HeadStartSlot | undefined, call: () => void): boolean {
    try {
      call();
      return true;
    } catch (error) {
      this.host.reportError('send', slot, error);
      return false;
    }
  }
}
