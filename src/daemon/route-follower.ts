// Routes, rules and static addresses kept in step with the routers (keepalived's virtual_routes,
// virtual_rules, static_ipaddress, static_routes, static_rules). Each owner (a router, or the
// static set) has what it wants on the host now: a router its routes and rules while it is Master,
// nothing otherwise; the static set everything, always, until stop. `reconcile` takes the host from
// what it holds to that, one owner at a time, in keepalived 2.2.7's order (vrrp.c): adding, addresses
// then routes then rules; removing, rules then routes then addresses. A router's stateChange comes
// after its VIP adds were sent, so its routes go in after its VIPs (a route whose `src` is a VIP
// needs it); an add that still fails (the VIP add waiting on the accept-mode firewall, a gateway not
// reachable yet) is tried again a few times while it is still wanted.
//
// Deleted by someone else: a tracked (not no_track) route or rule of a Master makes it step down and
// take over again (the `vipsLost` input, keepalived's set_vrrp_backup), which puts it back; a static
// one is put back at once (keepalived's reinstate_static_route / _rule), see route-watch.ts.

import type { Engine } from '../engine/engine.js';
import type { StateChangeEvent } from '../engine/events.js';
import type { RouterState } from '../core/types.js';
import { hasCode } from '../errors.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import type { RouteSpec, RuleSpec, StaticAddressSpec } from '../model/routes.js';
import type { RtNetlinkClient } from '../linux/netlink.js';
import { loadNative } from '../linux/native.js';
import type { RouteClient } from '../linux/routes.js';

/** What the follower is given: the runtime input's routes, rules and static addresses. */
export interface RouteInput {
  readonly routes?: readonly RouteSpec[] | undefined;
  readonly rules?: readonly RuleSpec[] | undefined;
  readonly staticAddresses?: readonly StaticAddressSpec[] | undefined;
}

/** One thing put on the host. */
export type HostEntry =
  | { readonly kind: 'address'; readonly spec: StaticAddressSpec }
  | { readonly kind: 'route'; readonly spec: RouteSpec }
  | { readonly kind: 'rule'; readonly spec: RuleSpec };

/** The static set's owner name (router names are the others). */
export const STATIC_OWNER = '';
/** Tries of an add that failed, and the wait before each again (ms). */
const RETRY_DELAYS_MS = [100, 500, 2000, 5000] as const;
const ADD_ORDER: readonly HostEntry['kind'][] = ['address', 'route', 'rule'];
const REMOVE_ORDER: readonly HostEntry['kind'][] = ['rule', 'route', 'address'];

/** A stable key for an entry: the same spec, the same key. */
export function entryKey(entry: HostEntry): string {
  const { router: _router, ...rest } = entry.spec as RouteSpec;
  return `${entry.kind} ${JSON.stringify(rest, Object.keys(rest).sort())}`;
}

/** The entries each owner wants while it is on (a router: while Master). */
export function entriesByOwner(input: RouteInput): Map<string, HostEntry[]> {
  const owners = new Map<string, HostEntry[]>();
  const push = (owner: string | undefined, entry: HostEntry) => {
    const key = owner ?? STATIC_OWNER;
    const list = owners.get(key) ?? [];
    list.push(entry);
    owners.set(key, list);
  };
  for (const spec of input.staticAddresses ?? []) push(STATIC_OWNER, { kind: 'address', spec });
  for (const spec of input.routes ?? []) push(spec.router, { kind: 'route', spec });
  for (const spec of input.rules ?? []) push(spec.router, { kind: 'rule', spec });
  return owners;
}

/** The kernel work the follower needs: the runtime's are RouteClient and RtNetlinkClient. */
export interface HostOperations {
  add(entry: HostEntry): Promise<unknown>;
  remove(entry: HostEntry): Promise<unknown>;
}

export function linuxHostOperations(routes: RouteClient, addresses: RtNetlinkClient): HostOperations {
  const addressSpec = (spec: StaticAddressSpec) => {
    const family = spec.address.includes(':') ? 6 : 4;
    return {
      ifindex: loadNative().interfaceIndex(spec.interface),
      family,
      address: spec.address,
      prefixLength: spec.prefixLength ?? (family === 4 ? 32 : 128),
      ...(spec.label !== undefined ? { label: spec.label } : {}),
      ...(family === 6 ? { noDad: true } : {}),
      // keepalived deprecates a /128 by default, as for VIPs.
      deprecated:
        family === 6 && (spec.preferredLifetime ?? ((spec.prefixLength ?? 128) === 128 ? 0 : 'forever')) === 0,
    } as const;
  };
  return {
    add: (entry) => {
      switch (entry.kind) {
        case 'address':
          return addresses.addAddress(addressSpec(entry.spec));
        case 'route':
          return routes.addRoute(entry.spec);
        case 'rule':
          return routes.addRule(entry.spec);
      }
    },
    remove: (entry) => {
      switch (entry.kind) {
        case 'address':
          return addresses.deleteAddress(addressSpec(entry.spec)).catch((error: unknown) => {
            // The interface is gone, and the address with it.
            if (hasCode(error, 'ENODEV')) return 'absent';
            throw error;
          });
        case 'route':
          return routes.deleteRoute(entry.spec);
        case 'rule':
          return routes.deleteRule(entry.spec);
      }
    },
  };
}

export class RouteFollower {
  private wanted: Map<string, HostEntry[]>;
  /** What each owner has put on the host, by entry key. */
  private readonly installed = new Map<string, Map<string, HostEntry>>();
  private readonly states = new Map<string, RouterState>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly retries = new Map<string, { attempt: number; timer: NodeJS.Timeout }>();
  private closing = false;
  private readonly onStateChange = (event: StateChangeEvent): void => {
    this.states.set(event.router, event.to);
    if (event.from !== 'Master' && event.to !== 'Master') return;
    this.resetRetries(event.router);
    void this.schedule(event.router);
  };

  constructor(
    private readonly engine: Engine,
    private readonly host: HostOperations,
    input: RouteInput,
    private readonly logger: RuntimeLogger,
  ) {
    this.wanted = entriesByOwner(input);
    engine.on('stateChange', this.onStateChange);
  }

  /** Nothing to do at all (no routes, rules or static addresses ever configured). */
  get idle(): boolean {
    return this.wanted.size === 0 && this.installed.size === 0;
  }

  /**
   * Before the routers start: routes and rules a killed run left behind are removed (a router is not
   * Master yet), then the static set is added.
   */
  async start(): Promise<void> {
    for (const [owner, entries] of this.wanted) {
      if (owner === STATIC_OWNER) continue;
      for (const kind of REMOVE_ORDER) {
        for (const entry of entries.filter((e) => e.kind === kind))
          await this.host.remove(entry).catch(() => undefined);
      }
    }
    await this.schedule(STATIC_OWNER);
  }

  /** A new configuration (reload): every owner is brought to what it now wants. */
  setInput(input: RouteInput): Promise<void> {
    this.wanted = entriesByOwner(input);
    const owners = new Set([...this.wanted.keys(), ...this.installed.keys()]);
    return Promise.all([...owners].map((owner) => this.schedule(owner))).then(() => undefined);
  }

  /** The owner's entries someone else deleted: forgotten, so that the next reconcile adds them again. */
  forget(owner: string, key: string): void {
    this.installed.get(owner)?.delete(key);
  }

  /** Entries on the host now, with their owner (for the deletion watch). */
  *entries(): Generator<{ owner: string; key: string; entry: HostEntry }> {
    for (const [owner, entries] of this.installed) {
      for (const [key, entry] of entries) yield { owner, key, entry };
    }
  }

  /**
   * A link came up: the static entries on it are added again. The kernel drops IPv4 routes through
   * a link that goes down without telling anyone (no RTM_DELROUTE), so what is held there is not
   * trusted: an add of one still present is only 'exists'. keepalived does the same
   * (static_track_group_reinstate_config).
   */
  linkUp(iface: string): void {
    if (this.closing) return;
    const held = this.installed.get(STATIC_OWNER);
    const on = (entry: HostEntry) =>
      (entry.kind === 'route' && entry.spec.dev === iface) ||
      (entry.kind === 'address' && entry.spec.interface === iface);
    const entries = this.want(STATIC_OWNER).filter(on);
    if (entries.length === 0) return;
    for (const entry of entries) held?.delete(entryKey(entry));
    this.resetRetries(STATIC_OWNER);
    void this.schedule(STATIC_OWNER);
  }

  /** A router's state as it is now, for a follower that came after the router started (a reload). */
  observe(owner: string, state: RouterState): void {
    this.states.set(owner, state);
  }

  isMaster(owner: string): boolean {
    return this.states.get(owner) === 'Master';
  }

  /** At stop (`release`): everything removed. Without release (keepalived -V style) everything stays. */
  async close(release: boolean): Promise<void> {
    this.engine.off('stateChange', this.onStateChange);
    this.closing = true;
    for (const retry of this.retries.values()) clearTimeout(retry.timer);
    this.retries.clear();
    if (!release) {
      await Promise.all(this.queues.values());
      return;
    }
    const owners = [...this.installed.keys()];
    // Routers first, the static set last: a router's route may go through a static address.
    await Promise.all(owners.filter((o) => o !== STATIC_OWNER).map((owner) => this.schedule(owner)));
    await this.schedule(STATIC_OWNER);
  }

  /** Reconciles `owner` after whatever is queued for it. */
  schedule(owner: string): Promise<void> {
    const next = (this.queues.get(owner) ?? Promise.resolve()).then(() => this.reconcile(owner));
    this.queues.set(owner, next);
    void next.then(() => {
      if (this.queues.get(owner) === next) this.queues.delete(owner);
    });
    return next;
  }

  private want(owner: string): HostEntry[] {
    if (this.closing) return [];
    if (owner !== STATIC_OWNER && this.states.get(owner) !== 'Master') return [];
    return this.wanted.get(owner) ?? [];
  }

  private async reconcile(owner: string): Promise<void> {
    const wanted = new Map(this.want(owner).map((entry) => [entryKey(entry), entry]));
    const held = this.installed.get(owner) ?? new Map<string, HostEntry>();
    this.installed.set(owner, held);
    for (const kind of REMOVE_ORDER) {
      for (const [key, entry] of [...held]) {
        if (entry.kind !== kind || wanted.has(key)) continue;
        try {
          await this.host.remove(entry);
          held.delete(key);
          this.log('removed', owner, entry);
        } catch (error) {
          this.fail('remove', owner, entry, error);
          held.delete(key); // not retried: a later add would only fail on it
        }
      }
    }
    let failed = false;
    for (const kind of ADD_ORDER) {
      for (const [key, entry] of wanted) {
        if (entry.kind !== kind || held.has(key)) continue;
        try {
          await this.host.add(entry);
          held.set(key, entry);
          this.log('added', owner, entry);
        } catch (error) {
          failed = true;
          this.fail('add', owner, entry, error);
        }
      }
    }
    if (held.size === 0) this.installed.delete(owner);
    this.retryLater(owner, failed);
  }

  /** An add failed: the owner is reconciled again after the next delay, while tries are left. */
  private retryLater(owner: string, failed: boolean): void {
    const previous = this.retries.get(owner);
    if (previous) clearTimeout(previous.timer);
    if (!failed || this.closing) {
      this.retries.delete(owner);
      return;
    }
    const attempt = (previous?.attempt ?? -1) + 1;
    const delay = RETRY_DELAYS_MS[attempt];
    if (delay === undefined) {
      this.retries.delete(owner);
      return;
    }
    const timer = setTimeout(() => void this.schedule(owner), delay);
    timer.unref();
    this.retries.set(owner, { attempt, timer });
  }

  /** A state change starts the tries again. */
  private resetRetries(owner: string): void {
    const previous = this.retries.get(owner);
    if (previous) clearTimeout(previous.timer);
    this.retries.delete(owner);
  }

  private log(what: 'added' | 'removed', owner: string, entry: HostEntry): void {
    this.logger.info(
      {
        event: `${entry.kind}${what === 'added' ? 'Added' : 'Removed'}`,
        router: owner || undefined,
        [entry.kind]: entry.spec,
      },
      `${owner === STATIC_OWNER ? 'static' : `(${owner})`} ${entry.kind} ${what}: ${describe(entry)}`,
    );
  }

  private fail(operation: 'add' | 'remove', owner: string, entry: HostEntry, error: unknown): void {
    this.logger.error(
      {
        event: 'error',
        operation: `${operation}${entry.kind[0]!.toUpperCase()}${entry.kind.slice(1)}`,
        router: owner || undefined,
        error: errorFields(error),
      },
      `${owner === STATIC_OWNER ? 'static' : `(${owner})`} ${entry.kind} ${describe(entry)}: ${operation} failed: ${String(error)}`,
    );
  }
}

/** A short text form of an entry for logs, in `ip`'s words. */
export function describe(entry: HostEntry): string {
  switch (entry.kind) {
    case 'address':
      return `${entry.spec.address}/${entry.spec.prefixLength ?? (entry.spec.address.includes(':') ? 128 : 32)} dev ${entry.spec.interface}`;
    case 'route': {
      const r = entry.spec;
      return [
        r.type,
        r.to,
        r.via && `via ${r.via}`,
        r.dev && `dev ${r.dev}`,
        r.src && `src ${r.src}`,
        r.table && `table ${r.table}`,
      ]
        .filter(Boolean)
        .join(' ');
    }
    case 'rule': {
      const r = entry.spec;
      return [
        `pref ${r.priority}`,
        r.not && 'not',
        r.from && `from ${r.from}`,
        r.to && `to ${r.to}`,
        r.table && `table ${r.table}`,
        r.action !== undefined && r.action !== 'table' && r.action,
      ]
        .filter(Boolean)
        .join(' ');
    }
  }
}
