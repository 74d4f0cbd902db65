// A router whose addresses live partly on other interfaces (keepalived `dev`) tracks those
// interfaces' links, as keepalived 2.2.7 does unless the address says `no_track`: each is a weight-0
// tracked object, so its link going down puts the router in Fault. This keeps the engine's tracked
// objects in step with the routers' configurations and the links.

import type { VirtualRouterConfig } from '../core/types.js';
import type { Engine, OperatorInput } from '../engine/engine.js';
import type { LinuxVipSpec } from '../model/runtime-input.js';
import { trackedAddressInterfaces } from './check-input.js';
import type { RateLimitedLog } from './event-log.js';

/** The track input for an interface some of a router's addresses live on (weight 0: down means Fault). */
export function addressTrack(iface: string, up: boolean): OperatorInput {
  return { kind: 'track', name: `address-interface:${iface}`, up, weight: 0 };
}

export class AddressInterfaceTracks {
  /** Per router, the interfaces its addresses elsewhere live on and it tracks. */
  private tracks = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly engine: Engine,
    private readonly isUp: (iface: string) => boolean | undefined,
    private readonly linkLog: RateLimitedLog,
  ) {}

  /** The inputs a router about to start begins with: its tracked interfaces that are not up. */
  initialInputs(config: VirtualRouterConfig, vips: readonly LinuxVipSpec[]): OperatorInput[] {
    return trackedAddressInterfaces(config, vips)
      .filter((iface) => this.isUp(iface) !== true)
      .map((iface) => addressTrack(iface, false));
  }

  /** After the routers changed: a newly tracked interface reports its state now, one no longer tracked counts as up. */
  sync(configs: readonly VirtualRouterConfig[], vips: readonly LinuxVipSpec[]): void {
    const next = new Map<string, ReadonlySet<string>>();
    for (const config of configs) {
      const tracked = new Set(trackedAddressInterfaces(config, vips));
      const before = this.tracks.get(config.name) ?? new Set<string>();
      for (const iface of tracked)
        if (!before.has(iface)) this.engine.input(config.name, addressTrack(iface, this.isUp(iface) === true));
      for (const iface of before) if (!tracked.has(iface)) this.engine.input(config.name, addressTrack(iface, true));
      if (tracked.size > 0) next.set(config.name, tracked);
    }
    this.tracks = next;
  }

  /** A link changed: the routers tracking it hear it as a weight-0 tracked object. */
  linkChange(iface: string, up: boolean): void {
    for (const [name, tracked] of this.tracks) {
      if (!tracked.has(iface)) continue;
      this.linkLog.write(`address-interface\u0000${name}\u0000${iface}`, 'info', () => [
        { event: 'link', interface: iface, up, router: name, tracked: 'address-interface' },
        `${name}: ${iface}, where some of its addresses live, is ${up ? 'up' : 'down'}`,
      ]);
      this.engine.input(name, addressTrack(iface, up));
    }
  }
}
