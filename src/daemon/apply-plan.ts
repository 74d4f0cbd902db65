// What a run-time apply will do, decided before anything on the host changes: by router name, which
// routers stay as they are, which change in place, which are replaced, added or removed, and which
// VipSpecs hold afterwards. Pure: the runtime (runtime.ts `LinuxRuntime.apply`) resolves the new
// routers (reading interfaces), asks planApply, then carries the plan out.

import { addressInterface, ownedAddresses } from '../core/address-placement.js';
import type { VirtualRouterConfig } from '../core/types.js';
import { canonicalAddress } from '../linux/address-text.js';
import type { VmacPlan } from '../linux/vmac.js';
import type { VipSpec } from '../model/runtime-input.js';

/** What the plan needs of a router: its final configuration and its VMAC, if any. */
export interface PlannedRouter {
  readonly config: VirtualRouterConfig;
  readonly vmac?: VmacPlan | undefined;
  /** The VMACs made for its addresses: a change replaces the router, as its own VMAC's does. */
  readonly extraVmacs?: readonly VmacPlan[];
  /** promote_secondaries is set up with the router's host: a change replaces the router too. */
  readonly input?: { readonly promoteSecondaries?: boolean };
}

export interface ApplyPlan<Router extends PlannedRouter> {
  /** Same settings and VipSpecs: not touched. */
  readonly unchanged: readonly string[];
  /** Same identity, other settings: reconfigured in place with these (state kept). */
  readonly reconfigure: readonly Router[];
  /** Same name, another identity (interface, VRID, family, version or VMAC): removed, then started as these. */
  readonly replace: readonly Router[];
  readonly add: readonly Router[];
  /** Running, and not in the new input at all: released. */
  readonly remove: readonly string[];
  /** Replaced and added routers in the order of the new input: the order they start in. */
  readonly start: readonly Router[];
  /**
   * Per reconfigured router, the addresses it keeps whose VipSpec (interface, prefix length, label,
   * lifetime) changed: removed with the old spec first, added back with the new one.
   */
  readonly respecified: ReadonlyMap<string, readonly string[]>;
  /** The VipSpecs in force afterwards: the new ones, and those of routers that failed to resolve and keep running. */
  readonly vips: readonly VipSpec[];
}

export interface ApplyCurrent<Router extends PlannedRouter> {
  /** The running routers by name. */
  readonly routers: ReadonlyMap<string, Router>;
  readonly vips: readonly VipSpec[];
}

export interface ApplyNext<Router extends PlannedRouter> {
  /** The new input's routers that resolved, by name. */
  readonly routers: ReadonlyMap<string, Router>;
  /** Every router name of the new input, in its order, those that failed to resolve included. */
  readonly names: readonly string[];
  readonly vips: readonly VipSpec[];
}

/** Decides what apply does: compares each router of `next` with the running one of its name. */
export function planApply<Router extends PlannedRouter>(
  current: ApplyCurrent<Router>,
  next: ApplyNext<Router>,
): ApplyPlan<Router> {
  const wanted = new Set(next.names);
  const unchanged: string[] = [];
  const reconfigure: Router[] = [];
  const replace: Router[] = [];
  const add: Router[] = [];
  const start: Router[] = [];
  const respecified = new Map<string, readonly string[]>();
  for (const name of next.names) {
    const router = next.routers.get(name);
    if (router === undefined) continue; // failed to resolve: the running one, if any, stays
    const running = current.routers.get(name);
    if (running === undefined || !sameIdentity(running, router)) {
      (running === undefined ? add : replace).push(router);
      start.push(router);
    } else if (settingsKey(running, current.vips) === settingsKey(router, next.vips)) {
      unchanged.push(name);
    } else {
      reconfigure.push(router);
      const changed = respecifiedAddresses(running.config, current.vips, router.config, next.vips);
      if (changed.length > 0) respecified.set(name, changed);
    }
  }
  const remove = [...current.routers.keys()].filter((name) => !wanted.has(name));
  // A router that failed to resolve keeps running as it was, and so do its VipSpecs.
  const kept = next.names
    .filter((name) => !next.routers.has(name))
    .flatMap((name) => current.routers.get(name)?.config ?? []);
  const keptSpecs = current.vips.filter((v) => kept.some((c) => specBelongs(v, c)));
  return { unchanged, reconfigure, replace, add, remove, start, respecified, vips: withPrevious(next.vips, keptSpecs) };
}

/** `vips` plus the previous specs of addresses it no longer lists, so a VIP that leaves is removed with its own prefix. */
export function withPrevious(vips: readonly VipSpec[], previous: readonly VipSpec[]): VipSpec[] {
  const key = (v: VipSpec) => `${v.interface} ${canonicalAddress(v.address)?.address ?? v.address}`;
  const listed = new Set(vips.map(key));
  return [...vips, ...previous.filter((v) => !listed.has(key(v)))];
}

/** `config` without `addresses` (VIPs or excluded). */
export function withoutAddresses(config: VirtualRouterConfig, addresses: readonly string[]): VirtualRouterConfig {
  const keep = (a: string) => !addresses.includes(a);
  const excluded = config.excludedAddresses?.filter(keep);
  return {
    ...config,
    virtualAddresses: config.virtualAddresses.filter(keep),
    ...(excluded !== undefined ? { excludedAddresses: excluded } : {}),
  };
}

/** A VipSpec is a router's when it names one of the router's addresses where the router puts it. */
function specBelongs(spec: VipSpec, config: VirtualRouterConfig): boolean {
  return addressInterface(config, canonicalAddress(spec.address)?.address ?? '') === spec.interface;
}

/** A router's settings as compared between two applies (order of keys fixed by the config builder). */
function settingsKey(router: PlannedRouter, vips: readonly VipSpec[]): string {
  const specs = vips.filter((v) => specBelongs(v, router.config));
  return JSON.stringify({ config: router.config, vmac: router.vmac ?? null, specs });
}

function sameIdentity(a: PlannedRouter, b: PlannedRouter): boolean {
  const x = a.config;
  const y = b.config;
  return (
    x.interface === y.interface &&
    x.vrid === y.vrid &&
    x.family === y.family &&
    x.version === y.version &&
    JSON.stringify([a.vmac ?? null, a.extraVmacs ?? []]) === JSON.stringify([b.vmac ?? null, b.extraVmacs ?? []]) &&
    (a.input?.promoteSecondaries ?? false) === (b.input?.promoteSecondaries ?? false)
  );
}

/** The addresses kept through the change whose interface or VipSpec settings differ. */
function respecifiedAddresses(
  current: VirtualRouterConfig,
  currentVips: readonly VipSpec[],
  next: VirtualRouterConfig,
  nextVips: readonly VipSpec[],
): string[] {
  const nextOwned = ownedAddresses(next);
  return ownedAddresses(current).filter(
    (a) => nextOwned.includes(a) && vipSettings(currentVips, current, a) !== vipSettings(nextVips, next, a),
  );
}

/** How and where an address is added: its interface and its VipSpec's settings, defaults filled in. */
function vipSettings(specs: readonly VipSpec[], config: VirtualRouterConfig, address: string): string {
  const iface = addressInterface(config, address);
  const spec = specs.find((v) => v.interface === iface && canonicalAddress(v.address)?.address === address);
  const defaultLength = canonicalAddress(address)?.family === 6 ? 128 : 32;
  return JSON.stringify([
    iface,
    spec?.prefixLength ?? defaultLength,
    spec?.label ?? null,
    spec?.preferredLifetime ?? null,
  ]);
}
