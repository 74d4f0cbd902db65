// A router's address actions carried out on the AddressPort: once per interface its addresses live on
// (its own, or its keepalived `dev`), each call followed by PortWork, each reported as an event. An
// announcement waits for the add still in flight (RFC 9568 8.1.2: no ARP before the address is
// configured).

import type { EventEmitter } from 'eventemitter3';
import type { RouterAction, VirtualRouterConfig } from '../core/types.js';
import type { VirtualRouter } from '../core/virtual-router.js';
import { addressesByInterface } from './advert-encoding.js';
import type { EngineEvents } from './events.js';
import type { AddressPort, VipOptions } from './ports.js';
import type { PortWork } from './port-work.js';

/** What address work needs of the engine's per-router slot. */
export interface AddressSlot {
  readonly config: VirtualRouterConfig;
  readonly router: VirtualRouter;
  /** The address port's add still in flight, if it returned a promise: announcements wait for it. */
  vipsAdding: Promise<void> | undefined;
}

type Action<K extends RouterAction['kind']> = Extract<RouterAction, { kind: K }>;

/** What the address port needs to place `iface`'s VIPs in (or out of) the accept-mode firewall. */
function vipOptions(config: VirtualRouterConfig, iface: string, acceptMode: boolean): VipOptions {
  return config.dontTrackPrimary === true
    ? { acceptMode, dontTrackPrimary: true, onRouterInterface: iface === config.interface }
    : { acceptMode };
}

export class AddressWork<Slot extends AddressSlot> {
  constructor(
    private readonly port: () => AddressPort,
    private readonly work: PortWork<Slot>,
    private readonly events: EventEmitter<EngineEvents>,
    /** The engine runs and `slot` is still one of its routers. */
    private readonly isLive: (slot: Slot) => boolean,
  ) {}

  add(slot: Slot, action: Action<'addVips'>, nowMs: number): void {
    const config = slot.config;
    const adding: Promise<void>[] = [];
    for (const [iface, addresses] of addressesByInterface(config, action.addresses)) {
      const options = vipOptions(config, iface, action.acceptMode);
      const added = this.work.call('addVips', slot, () => this.port().addVips(iface, addresses, options));
      if (added !== undefined) adding.push(added);
      if (this.events.listenerCount('vipsAdded') > 0)
        this.events.emit('vipsAdded', { router: config.name, interface: iface, addresses, atMs: nowMs });
    }
    this.trackAdd(
      slot,
      adding.length === 0 ? undefined : adding.length === 1 ? adding[0] : Promise.all(adding).then(() => undefined),
    );
  }

  /** `removeFrom`: the configuration whose interfaces the removal follows (on reconfigure, the old one). */
  remove(slot: Slot, action: Action<'removeVips'>, removeFrom: VirtualRouterConfig, nowMs: number): void {
    for (const [iface, addresses] of addressesByInterface(removeFrom, action.addresses)) {
      this.work.call('removeVips', slot, () => this.port().removeVips(iface, addresses));
      if (this.events.listenerCount('vipsRemoved') > 0) {
        this.events.emit('vipsRemoved', { router: slot.config.name, interface: iface, addresses, atMs: nowMs });
      }
    }
  }

  /** A reload changed a Master's Accept_Mode: its kept VIPs follow (a port without a firewall has nothing to do). */
  setAcceptMode(slot: Slot, action: Action<'setAcceptMode'>): void {
    const port = this.port();
    if (port.setAcceptMode === undefined) return;
    for (const [iface, addresses] of addressesByInterface(slot.config, action.addresses)) {
      const options = vipOptions(slot.config, iface, action.acceptMode);
      this.work.call('setAcceptMode', slot, () => port.setAcceptMode!(iface, addresses, options));
    }
  }

  announce(slot: Slot, action: Action<'announceVips'>, nowMs: number): void {
    for (const [iface, addresses] of addressesByInterface(slot.config, action.addresses)) {
      this.announceOn(slot, iface, addresses, action.count);
      if (this.events.listenerCount('vipsAnnounced') > 0) {
        this.events.emit('vipsAnnounced', {
          router: slot.config.name,
          interface: iface,
          addresses,
          count: action.count,
          atMs: nowMs,
        });
      }
    }
  }

  private trackAdd(slot: Slot, adding: Promise<void> | undefined): void {
    slot.vipsAdding = adding;
    void adding?.then(() => {
      if (slot.vipsAdding === adding) slot.vipsAdding = undefined;
    });
  }

  /**
   * A gratuitous ARP / NA for an address not yet on the interface would announce nothing the host can
   * answer for, so when the add is still in flight the announcement waits for it, and is skipped if
   * the router left Master meanwhile.
   */
  private announceOn(slot: Slot, iface: string, addresses: readonly string[], count: number): void {
    const call = () => this.port().announceVips(iface, addresses, count);
    const adding = slot.vipsAdding;
    if (adding === undefined) {
      this.work.call('announceVips', slot, call);
      return;
    }
    const later = adding.then(() => {
      if (slot.router.state !== 'Master' || !this.isLive(slot)) return;
      return this.work.call('announceVips', slot, call);
    });
    this.work.settle('announceVips', slot, later);
  }
}
