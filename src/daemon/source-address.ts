// Follows the source address of routers whose primaryAddress was read from the interface.
//
// keepalived 2.2.7 takes the interface's address as the advert source unless one is configured, and
// when that address is removed it puts the instance in FAULT (a Master sends its priority-0 advert and
// drops its VIPs) until an address is back; a configured source address is followed only with
// `track_src_ip` (VirtualRouterConfig.trackSourceAddress), and then also from the start. Without
// this, a Master whose primary IPv4 address was removed would keep its VIPs while every advert
// fails to send, and a Backup would take over: two Masters. The router recovers when the same address
// returns (an IPv6 link-local address does, after the link comes back up); a different one needs a
// restart or a reload (which reads the interface's address again), which the log says.
//
// The fault is a weight-0 tracked object named `source-address` (keepalived's semantics for weight 0:
// Fault while down), so it combines with link state and other tracked objects in the core.

import type { VirtualRouterConfig } from '../core/types.js';
import type { Engine } from '../engine/engine.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { AddressEvent } from '../linux/links.js';
import type { RtNetlinkClient } from '../linux/netlink.js';

export const SOURCE_ADDRESS_TRACK = 'source-address';

export class SourceAddressTracker {
  private readonly engine: Engine;
  private routers: readonly VirtualRouterConfig[];
  private readonly logger: RuntimeLogger;
  /** Router name -> whether its source address is on the interface, as last reported to the engine. */
  private readonly present = new Map<string, boolean>();
  /** Counts address events; per router, the count at its last one. */
  private events = 0;
  private readonly lastEvent = new Map<string, number>();

  /** `routers`: only those whose primaryAddress came from the interface or is tracked (track_src_ip). */
  constructor(engine: Engine, routers: readonly VirtualRouterConfig[], logger: RuntimeLogger) {
    this.engine = engine;
    this.routers = routers;
    this.logger = logger;
    for (const router of routers) this.present.set(router.name, true);
  }

  /**
   * The followed routers changed at run time. One that stays keeps what was last reported for it;
   * a new one, or one with a new source address, is reported by the next `recheck` (so a router held
   * in Fault by a lost address leaves it when a reload gives it one that is there).
   */
  setRouters(routers: readonly VirtualRouterConfig[]): void {
    const before = new Map(this.routers.map((r) => [r.name, r.primaryAddress]));
    for (const name of [...this.present.keys()]) {
      if (!routers.some((r) => r.name === name)) this.present.delete(name);
    }
    for (const router of routers) {
      if (before.get(router.name) !== router.primaryAddress) this.present.delete(router.name);
    }
    this.routers = routers;
  }

  addressAdded(event: AddressEvent): void {
    for (const router of this.matching(event)) this.heard(router, true);
  }

  addressRemoved(event: AddressEvent): void {
    for (const router of this.matching(event)) this.heard(router, false);
  }

  private heard(router: VirtualRouterConfig, present: boolean): void {
    this.lastEvent.set(router.name, ++this.events);
    this.report(router, present);
  }

  /** Compares every followed router with the interfaces now (at start, and after lost notifications). */
  async recheck(client: RtNetlinkClient): Promise<void> {
    // An event that arrives while the interfaces are read is newer than what the read says.
    const startedAt = this.events;
    const byInterface = new Map<string, Set<string>>();
    for (const router of this.routers) {
      let addresses = byInterface.get(router.interface);
      if (addresses === undefined) {
        addresses = new Set();
        try {
          const link = await client.getLink(router.interface);
          for (const a of await client.listAddresses(link.ifindex)) addresses.add(`${a.family} ${a.address}`);
        } catch {
          // A missing interface has no addresses; its link state already holds the router in Fault.
        }
        byInterface.set(router.interface, addresses);
      }
      if ((this.lastEvent.get(router.name) ?? 0) > startedAt) continue;
      this.report(router, addresses.has(`${router.family} ${router.primaryAddress}`));
    }
  }

  private matching(event: AddressEvent): VirtualRouterConfig[] {
    const { address } = event;
    return this.routers.filter(
      (r) => r.interface === event.interface && r.family === address.family && r.primaryAddress === address.address,
    );
  }

  private report(router: VirtualRouterConfig, present: boolean): void {
    if (this.present.get(router.name) === present || !this.engine.running) return;
    this.present.set(router.name, present);
    if (present) {
      this.logger.info(
        {
          event: 'notice',
          router: router.name,
          interface: router.interface,
          notice: 'source-address-back',
          address: router.primaryAddress,
        },
        `${router.name}: source address ${router.primaryAddress} is back on ${router.interface}`,
      );
    } else {
      this.logger.warn(
        {
          event: 'notice',
          router: router.name,
          interface: router.interface,
          notice: 'source-address-lost',
          address: router.primaryAddress,
        },
        `${router.name}: source address ${router.primaryAddress} left ${router.interface}: Fault until it returns (reload or restart to use another address)`,
      );
    }
    this.engine.input(router.name, { kind: 'track', name: SOURCE_ADDRESS_TRACK, up: present, weight: 0 });
  }
}
