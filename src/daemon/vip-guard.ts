// Watches a Master's VIPs for removal by someone else, and makes sure no VIP stays on a node that is
// not Master after the link watcher lost notifications.
//
// keepalived 2.2.7 (observed in a namespace, and in its netlink address handler): when a VIP of an
// instance in MASTER state is deleted by someone else, the instance leaves MASTER (priority-0 advert,
// remaining VIPs removed), enters BACKUP with its down timer set to Skew_Time, and, unless a peer
// takes over first, becomes MASTER again a moment later, re-adding the VIPs and sending gratuitous
// ARPs. We do the same through the core's `vipsLost` input. An address removed because the link is
// going down is not this case: the link check comes first and the router goes to Fault instead (the
// kernel drops IPv6 addresses on admin-down, sometimes before it reports the link itself).

import type { VirtualRouterConfig } from '../core/types.js';
import type { Engine } from '../engine/engine.js';
import type { AddressPort } from '../engine/ports.js';
import { canonicalAddress } from '../linux/addresses.js';
import type { VipSpec } from '../model/runtime-input.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { isLinkUsable, type AddressEvent } from '../linux/links.js';
import type { InterfaceAddress, RtNetlinkClient } from '../linux/netlink.js';
import { addressesByInterface, addressInterface, ownedAddresses } from '../core/address-placement.js';
import { hasCode } from '../errors.js';

/** `iface address` -> prefix length the VIP is added with (the address port's defaults: /32, /128). */
export function vipPrefixLengths(
  configs: readonly VirtualRouterConfig[],
  specs: readonly VipSpec[],
): Map<string, number> {
  const lengths = new Map<string, number>();
  for (const config of configs) {
    // Excluded addresses may be of the other family: the default length follows the address.
    for (const address of ownedAddresses(config)) {
      lengths.set(
        `${addressInterface(config, address)} ${address}`,
        canonicalAddress(address)?.family === 6 ? 128 : 32,
      );
    }
  }
  for (const spec of specs) {
    const canonical = canonicalAddress(spec.address);
    if (canonical && spec.prefixLength !== undefined)
      lengths.set(`${spec.interface} ${canonical.address}`, spec.prefixLength);
  }
  return lengths;
}

/** `iface address` of the VipSpecs with noTrack (keepalived no_track): not put back when deleted. */
export function untrackedVips(specs: readonly (VipSpec & { readonly noTrack?: boolean })[]): Set<string> {
  return new Set(
    specs
      .filter((spec) => spec.noTrack === true)
      .map((spec) => `${spec.interface} ${canonicalAddress(spec.address)?.address ?? spec.address}`),
  );
}

export interface VipGuardOptions {
  readonly engine: Engine;
  readonly configs: readonly VirtualRouterConfig[];
  readonly client: RtNetlinkClient;
  readonly addresses: Pick<AddressPort, 'removeVips'>;
  readonly prefixLengths: ReadonlyMap<string, number>;
  /**
   * keepalived no_track: "the vrrp_instance will not transition out of master state if the address
   * is deleted, and it will not be reinstated until the instance next transitions to master".
   */
  readonly untracked: ReadonlySet<string>;
  readonly logger: RuntimeLogger;
}

/** Coalesces bursts (an `ip addr flush` removes many addresses at once) into one check per router. */
const COALESCE_MS = 20;

export class VipGuard {
  private options: VipGuardOptions;
  private readonly scheduled = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(options: VipGuardOptions) {
    this.options = options;
  }

  /** The routers changed at run time; a check already scheduled for one that left finds no state and stops. */
  setRouters(
    configs: readonly VirtualRouterConfig[],
    prefixLengths: ReadonlyMap<string, number>,
    untracked: ReadonlySet<string>,
  ): void {
    this.options = { ...this.options, configs, prefixLengths, untracked };
  }

  /** A kernel RTM_DELADDR: if it took one of a router's VIPs, check that router soon. */
  addressRemoved(event: AddressEvent): void {
    if (this.stopped || event.interface === undefined) return;
    const { address } = event;
    const key = `${event.interface} ${address.address}`;
    if (this.options.prefixLengths.get(key) !== address.prefixLength) return;
    for (const config of this.options.configs) {
      if (addressInterface(config, address.address) === event.interface) this.schedule(config, false);
    }
  }

  /** After the link watcher lost notifications: every router's VIPs are checked against its state. */
  recheckAll(): void {
    for (const config of this.options.configs) this.schedule(config, true);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.scheduled.values()) clearTimeout(timer);
    this.scheduled.clear();
  }

  private schedule(config: VirtualRouterConfig, alsoNonMaster: boolean): void {
    if (this.scheduled.has(config.name)) return;
    const timer = setTimeout(() => {
      this.scheduled.delete(config.name);
      this.check(config, alsoNonMaster).catch((error: unknown) => {
        this.options.logger.error(
          {
            event: 'error',
            operation: 'vipCheck',
            router: config.name,
            interface: config.interface,
            error: errorFields(error),
          },
          `${config.name}: checking VIPs failed`,
        );
      });
    }, COALESCE_MS);
    this.scheduled.set(config.name, timer);
  }

  private state(config: VirtualRouterConfig): string | undefined {
    if (this.stopped || !this.options.engine.running) return undefined;
    // A router reconfigured or replaced meanwhile is checked on its next removal, not with old settings.
    if (this.options.engine.routerConfig(config.name) !== config) return undefined;
    return this.options.engine.snapshot().find((s) => s.name === config.name)?.state;
  }

  private async check(config: VirtualRouterConfig, alsoNonMaster: boolean): Promise<void> {
    const { engine, logger, addresses } = this.options;
    const before = this.state(config);
    if (before === undefined || (before !== 'Master' && !alsoNonMaster)) return;
    const present = new Map<string, InterfaceAddress[]>();
    for (const [iface, list] of addressesByInterface(config)) {
      const found = await this.addressesOn(iface);
      if (found !== undefined) {
        present.set(iface, found);
        continue;
      }
      // The router's own link is going (the kernel dropped the addresses with it): Fault, not a re-add.
      // Another interface's link is tracked (or, no_track, ignored) by the runtime: its addresses wait.
      if (iface === config.interface) {
        if (this.state(config) !== undefined) engine.linkChange(config.interface, false);
        return;
      }
      logger.debug(
        { event: 'vipCheck', router: config.name, interface: iface, addresses: list },
        `${config.name}: ${iface} is down; its addresses are not checked`,
      );
    }
    const has = (address: string) => {
      const iface = addressInterface(config, address)!;
      const length = this.options.prefixLengths.get(`${iface} ${address}`);
      return present.get(iface)!.some((a) => a.address === address && a.prefixLength === length);
    };
    const checked = ownedAddresses(config).filter((address) => present.has(addressInterface(config, address)!));
    const state = this.state(config);
    if (state === 'Master') {
      const missing = checked.filter(
        (address) => !has(address) && !this.options.untracked.has(`${addressInterface(config, address)} ${address}`),
      );
      if (missing.length === 0) return;
      logger.warn(
        {
          event: 'notice',
          router: config.name,
          interface: config.interface,
          notice: 'vips-removed-externally',
          addresses: missing,
        },
        `${config.name}: VIPs removed by someone else while Master; stepping down for Skew_Time as keepalived does`,
      );
      // The core steps down (priority-0 advert, remaining VIPs removed) and, unless a Backup takes
      // over first, becomes Master again after Skew_Time with every VIP re-added and announced.
      engine.input(config.name, { kind: 'vipsLost' });
    } else if (state !== undefined && alsoNonMaster) {
      // Not Master: none of its VIPs may stay here (lost notifications may have hidden a removal).
      const stray = checked.filter((address) => has(address));
      if (stray.length === 0) return;
      logger.warn(
        {
          event: 'notice',
          router: config.name,
          interface: config.interface,
          notice: 'stray-vips-removed',
          addresses: stray,
        },
        `${config.name}: VIPs present while ${state}; removing them`,
      );
      for (const [iface, list] of addressesByInterface(config, stray)) {
        await addresses.removeVips(iface, list);
        logger.info(
          { event: 'vipsRemoved', router: config.name, interface: iface, addresses: list, reason: 'not-master' },
          `${config.name}: stray VIPs removed`,
        );
      }
    }
  }

  /** The addresses on `iface`, or undefined when it is missing or its link is not usable. */
  private async addressesOn(iface: string): Promise<InterfaceAddress[] | undefined> {
    const { client } = this.options;
    let info;
    try {
      info = await client.getLink(iface);
    } catch (error) {
      if (!hasCode(error, 'ENODEV')) throw error;
      return undefined;
    }
    return isLinkUsable(info) ? client.listAddresses(info.ifindex) : undefined;
  }
}
