// Router Advertisements from an IPv6 Master (RFC 9568 6.4.3), for routers configured with
// `routerAdverts` (off by default, as keepalived 2.2.7 sends none). The engine's state changes drive
// it: becoming Master starts the schedule once the source address is on the interface
// (src/core/router-advert-schedule.ts: one RA at once, then RFC 4861's randomised intervals), leaving
// Master stops it. A Master that steps down because another
// Master's advert won sends nothing more: a Backup MUST NOT send RAs (RFC 9568 6.4.2) and the new
// Master already advertises the same link-local address, so a router lifetime of 0 from us would only
// make hosts drop the router the new Master just gave them. A Master that stops (shutdown, Fault,
// removed, or RAs turned off by a reload) sends one final RA with router lifetime 0, as RFC 4861 6.2.5
// asks of an interface that ceases to advertise: no other Master is known, and a Backup that takes
// over advertises again at once. Router Solicitations are not answered (see docs/conformance.md MST-3).

import { addressInterface } from '../core/address-placement.js';
import { RouterAdvertSchedule } from '../core/router-advert-schedule.js';
import type { VirtualRouterConfig } from '../core/types.js';
import type { Engine } from '../engine/engine.js';
import type { StateChangeEvent } from '../engine/events.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { checkRouterAdverts, routerAdvertSource, type RouterAdvertsConfig } from '../model/router-adverts.js';
import type { LinuxRouterInput } from '../model/runtime-input.js';
import { parseAddress } from '../wire/address.js';
import { encodeRouterAdvertFrame } from '../wire/router-advert.js';

/** What one router advertises and where from. */
export interface RouterAdvertPlan {
  /** The interface holding the source address (the VMAC with useVmac). */
  readonly interface: string;
  /** The first link-local VIP. */
  readonly source: string;
  readonly settings: RouterAdvertsConfig;
}

/** Checks `routerAdverts` of one router (ConfigError naming the field); undefined when off. */
export function planRouterAdverts(
  value: LinuxRouterInput['routerAdverts'],
  config: VirtualRouterConfig,
  where: string,
): RouterAdvertPlan | undefined {
  const field = `${where}.routerAdverts`;
  const settings = checkRouterAdverts(value, field);
  if (settings === undefined) return undefined;
  const source = routerAdvertSource(config.family, config.virtualAddresses, field);
  return { interface: addressInterface(config, source) ?? config.interface, source, settings };
}

/** Same settings, source and interface (plans are rebuilt by every apply). */
function samePlan(a: RouterAdvertPlan, b: RouterAdvertPlan): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The I/O the advertiser needs: a clock, random draws, timers and the frame's way out. */
/** The routers with `routerAdverts` on, by name. */
export function routerAdvertPlans(
  entries: ReadonlyMap<string, { readonly routerAdverts?: RouterAdvertPlan | undefined }>,
): Map<string, RouterAdvertPlan> {
  const plans = new Map<string, RouterAdvertPlan>();
  for (const [name, entry] of entries) if (entry.routerAdverts !== undefined) plans.set(name, entry.routerAdverts);
  return plans;
}

export interface RouterAdvertIo {
  nowMs(): number;
  random(): number;
  mac(iface: string): Uint8Array;
  send(iface: string, frame: Uint8Array): void;
  /** Whether the interface forwards IPv6 (the Router flag of the NAs, ours and the kernel's, follows it). */
  forwards(iface: string): boolean;
}

interface Running {
  plan: RouterAdvertPlan;
  readonly schedule: RouterAdvertSchedule;
  timer: NodeJS.Timeout | undefined;
}

export class RouterAdvertiser {
  private plans = new Map<string, RouterAdvertPlan>();
  private readonly running = new Map<string, Running>();
  /** Routers that became Master and wait for their source address to be on the interface. */
  private readonly awaitingAddress = new Set<string>();
  private readonly onStateChange = (event: StateChangeEvent): void => this.stateChanged(event);

  constructor(
    private readonly engine: Engine,
    private readonly io: RouterAdvertIo,
    private readonly logger: RuntimeLogger,
  ) {
    engine.on('stateChange', this.onStateChange);
  }

  /**
   * The routers' plans now (at start and after each apply). A Master whose plan is unchanged goes on
   * as it was; one whose settings changed advertises them at once; one whose plan went away, or whose
   * source address or interface changed, first sends its final RA under the old plan.
   */
  setPlans(plans: ReadonlyMap<string, RouterAdvertPlan>): void {
    this.plans = new Map(plans);
    for (const [name, entry] of this.running) {
      const plan = this.plans.get(name);
      if (plan !== undefined && samePlan(plan, entry.plan)) {
        entry.plan = plan;
        continue;
      }
      const moved = plan === undefined || plan.source !== entry.plan.source || plan.interface !== entry.plan.interface;
      this.stop(name, moved);
      this.running.delete(name);
    }
    const masters = new Set(
      this.engine
        .snapshot()
        .filter((router) => router.state === 'Master')
        .map((router) => router.name),
    );
    for (const name of this.plans.keys()) if (masters.has(name)) this.start(name);
  }

  /** Stops every timer (the engine's stop has already sent the final RAs through its state changes). */
  close(): void {
    this.engine.off('stateChange', this.onStateChange);
    this.awaitingAddress.clear();
    for (const entry of this.running.values()) clearTimeout(entry.timer);
    this.running.clear();
  }

  /**
   * The address port has added `addresses` on `iface`. A new Master's first RA waits for its source
   * address: RAs are held back until the address is configured (RFC 9568 8.2.2), as the NAs are.
   */
  addressesAdded(iface: string, addresses: readonly string[]): void {
    for (const name of this.awaitingAddress) {
      const plan = this.plans.get(name);
      if (plan === undefined || plan.interface !== iface || !addresses.includes(plan.source)) continue;
      this.awaitingAddress.delete(name);
      this.start(name);
    }
  }

  private stateChanged(event: StateChangeEvent): void {
    if (event.to === 'Master') {
      this.awaitingAddress.add(event.router);
    } else if (event.from === 'Master') {
      this.awaitingAddress.delete(event.router);
      this.stop(event.router, event.to !== 'Backup');
    }
  }

  private start(name: string): void {
    const plan = this.plans.get(name);
    if (plan === undefined) return;
    let entry = this.running.get(name);
    if (entry?.schedule.active) return;
    if (entry === undefined || !samePlan(plan, entry.plan)) {
      entry = { plan, schedule: new RouterAdvertSchedule(plan.settings), timer: undefined };
      this.running.set(name, entry);
    }
    entry.schedule.start(this.io.nowMs());
    if (!this.io.forwards(plan.interface)) {
      // A host drops a router from its default router list on an NA without the Router flag (RFC
      // 4861 7.2.5), and the flag (ours, as keepalived, and the kernel's) follows IPv6 forwarding.
      this.logger.warn(
        { event: 'router-advert-not-forwarding', router: name, interface: plan.interface },
        `${name}: sending Router Advertisements, but ${plan.interface} does not forward IPv6: its Neighbor Advertisements lack the Router flag, so hosts drop this router again`,
      );
    }
    this.tick(name, entry);
  }

  /** Sends what is due and arms the timer for the next one. */
  private tick(name: string, entry: Running): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.schedule.fire(this.io.nowMs(), this.io.random()))
      this.sendAdvert(name, entry.plan, entry.plan.settings.routerLifetimeS);
    const due = entry.schedule.nextDueMs();
    if (due === undefined) return;
    entry.timer = setTimeout(() => this.tick(name, entry), Math.max(0, due - this.io.nowMs()));
    entry.timer.unref();
  }

  private stop(name: string, final: boolean): void {
    const entry = this.running.get(name);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.schedule.stop() && final) this.sendAdvert(name, entry.plan, 0);
  }

  private sendAdvert(name: string, plan: RouterAdvertPlan, routerLifetimeS: number): void {
    try {
      const { settings } = plan;
      const frame = encodeRouterAdvertFrame({
        sourceMac: this.io.mac(plan.interface),
        sourceAddress: parseAddress(plan.source, 6)!.bytes,
        curHopLimit: settings.curHopLimit,
        routerLifetimeS,
        reachableTimeMs: 0,
        retransTimerMs: 0,
        ...(settings.mtu === undefined ? {} : { mtu: settings.mtu }),
        prefixes: settings.prefixes,
      });
      this.io.send(plan.interface, frame);
      this.logger.debug(
        { event: 'router-advert', router: name, interface: plan.interface, routerLifetimeS },
        `${name}: Router Advertisement on ${plan.interface} (router lifetime ${routerLifetimeS} s)`,
      );
    } catch (error) {
      this.logger.warn(
        { event: 'router-advert-failed', router: name, interface: plan.interface, ...errorFields(error) },
        `${name}: Router Advertisement on ${plan.interface} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
