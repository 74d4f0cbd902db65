// The Linux runtime: an Engine on real ports (raw VRRP sockets, rtnetlink VIPs, GARP / NA) plus the
// link watcher that feeds it interface state. `startLinuxEngine` is what bin/vrrp-engine runs; its
// handle's `apply` changes the routers while it runs (bin/vrrpd's SIGHUP reload).
//
// Order at start, so that a mistake never half-configures a host:
//   1. validate the input (ConfigError naming the field), reading the interfaces only to fill in a
//      missing primaryAddress (runtime-input.ts);
//   2. open the sockets (without CAP_NET_RAW this fails, and the host is still as it was);
//   3. create the virtual MAC interfaces of routers with useVmac (vmac.ts);
//   4. remove VIPs left by a run that was killed before it could clean up (as keepalived does);
//   5. watch links and start the engine; a missing or down interface puts its routers in Fault at once.
// A router with useVmac runs on its VMAC: the engine's configuration names the VMAC as its interface
// (adverts, VIPs and GARPs go there, and its link state follows the parent's), while its source
// address is read from, and followed on, the configured interface.
// While running, a VIP that disappears from a Master (someone ran `ip addr del`) is put back, see
// vip-guard.ts for how that compares with keepalived 2.2.7.
//
// One runtime, however many routers: one raw socket per (interface, family) in use, opened when its
// first router comes and closed when its last one leaves, and one link watcher (one helper process).

import type { RouterSnapshot, VirtualRouterConfig } from '../core/types.js';
import { Engine, type OperatorInput } from '../engine/engine.js';
import type { EngineCounters } from '../engine/events.js';
import type { AddressPort } from '../engine/ports.js';
import { preciseTime } from './precise-time.js';
import { StopAdvertGate } from './stop-advert-gate.js';
import { warmUpProtocolPaths } from '../engine/warm-up.js';
import { AcceptModeFirewall } from './accept-mode-firewall.js';
import { canonicalAddress, LinuxAddressPort, type VipSpec } from './addresses.js';
import { announceVips } from './announce.js';
import { errorFields, logEngineEvents, RateLimitedLog, type EngineLog, type RuntimeLogger } from './event-log.js';
import { LinkWatcher } from './links.js';
import { RtNetlinkClient } from './netlink.js';
import { MacvlanClient } from './macvlan.js';
import { LinuxPacketPort, type PacketPortError } from './packet-port.js';
import {
  addressInterface,
  checkInput,
  ownedAddresses,
  resolveRouter,
  trackedAddressInterfaces,
  type LinuxEngineInput,
  type LinuxVipSpec,
  type ResolvedRouter,
} from './runtime-input.js';
import { applyProcessScheduling, armRealtimeLimit, describeScheduling, isDefaultScheduling, type AppliedScheduling } from './scheduling.js';
import { SourceAddressTracker } from './source-address.js';
import { untrackedVips, VipGuard, vipPrefixLengths } from './vip-guard.js';
import { VmacManager, type VmacPlan } from './vmac.js';
import { hasCode } from '../errors.js';

export type { RuntimeLogger } from './event-log.js';
export type { LinuxEngineInput, LinuxRouterInput, LinuxVipSpec } from './runtime-input.js';

/** The link watcher as the handle shares it: interface state and its `link` / `linkRemoved` events. */
export type RuntimeLinks = Pick<LinkWatcher, 'isUp' | 'on' | 'off' | 'once'>;

/** What `apply` did, by router name. */
export interface ApplyResult {
  /** Same settings (and VipSpecs): not touched. */
  readonly unchanged: readonly string[];
  /** Same name, interface, VRID, family and version (and VMAC): new settings applied in place, state kept. */
  readonly reconfigured: readonly string[];
  /** Same name, another identity: removed (released) and added again. */
  readonly replaced: readonly string[];
  readonly added: readonly string[];
  /** Released: a Master sent its priority-0 advert and removed its VIPs. */
  readonly removed: readonly string[];
  /** Could not start with its new settings: a router already running keeps its old ones. */
  readonly failed: readonly { readonly name: string; readonly error: Error }[];
}

export interface LinuxEngineHandle {
  readonly engine: Engine;
  /** The routers running now (validated, primary addresses filled in), in the order they were added. */
  readonly routers: readonly VirtualRouterConfig[];
  /** The runtime's one link watcher. */
  readonly links: RuntimeLinks;
  /**
   * Changes the routers to `next` (its logger is ignored: the runtime keeps its own). Validates all of
   * it first: a mistake rejects with ConfigError and changes nothing. Then, by router name: removed
   * ones are released, added ones started (sockets, VMAC, leftover VIPs), changed ones reconfigured in
   * place when their identity is the same, otherwise replaced. Calls run one at a time.
   */
  apply(next: LinuxEngineInput): Promise<ApplyResult>;
  /** Graceful: priority-0 adverts from Masters, VIPs removed, sockets and watcher closed. Idempotent. */
  stop(): Promise<void>;
  /**
   * Whether a stop signal may send the Masters' priority-0 adverts from the addon at once, before
   * JavaScript runs (the runners' StopSignals; VrrpRawSocket.setParting). Off until a runner turns it
   * on: only a runner whose stop follows its stop signal at once, and releases (not keepalived's -V),
   * should. While an apply() is queued or running it is off by itself (a stop would wait for it, and
   * a Master would meanwhile advertise again after its priority 0).
   */
  armStopAdverts(on: boolean): void;
  snapshot(): RouterSnapshot[];
  counters(): EngineCounters;
}

/** Link up/down lines per interface a second before the rest are counted (rate-limited with counts). */
const LINK_LINES_PER_SECOND = 5;

const silentLogger: RuntimeLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A router's settings as compared between two applies (order of keys fixed by the config builder). */
function settingsKey(router: ResolvedRouter, vips: readonly VipSpec[]): string {
  const specs = vips.filter((v) => addressInterface(router.config, canonicalAddress(v.address)?.address ?? '') === v.interface);
  return JSON.stringify({ config: router.config, vmac: router.vmac ?? null, specs });
}

function sameIdentity(a: ResolvedRouter, b: ResolvedRouter): boolean {
  const x = a.config;
  const y = b.config;
  return (
    x.interface === y.interface &&
    x.vrid === y.vrid &&
    x.family === y.family &&
    x.version === y.version &&
    JSON.stringify(a.vmac ?? null) === JSON.stringify(b.vmac ?? null)
  );
}

/** How and where an address is added: its interface and its VipSpec's settings, defaults filled in. */
function vipSettings(specs: readonly VipSpec[], config: VirtualRouterConfig, address: string): string {
  const iface = addressInterface(config, address);
  const spec = specs.find((v) => v.interface === iface && canonicalAddress(v.address)?.address === address);
  const defaultLength = canonicalAddress(address)?.family === 6 ? 128 : 32;
  return JSON.stringify([iface, spec?.prefixLength ?? defaultLength, spec?.label ?? null, spec?.preferredLifetime ?? null]);
}

/** `config` without `addresses` (VIPs or excluded). */
function withoutAddresses(config: VirtualRouterConfig, addresses: readonly string[]): VirtualRouterConfig {
  const keep = (a: string) => !addresses.includes(a);
  const excluded = config.excludedAddresses?.filter(keep);
  return { ...config, virtualAddresses: config.virtualAddresses.filter(keep), ...(excluded !== undefined ? { excludedAddresses: excluded } : {}) };
}

/** `vips` plus the previous specs of addresses it no longer lists, so a VIP that leaves is removed with its own prefix. */
function withPrevious(vips: readonly VipSpec[], previous: readonly VipSpec[]): VipSpec[] {
  const key = (v: VipSpec) => `${v.interface} ${canonicalAddress(v.address)?.address ?? v.address}`;
  const listed = new Set(vips.map(key));
  return [...vips, ...previous.filter((v) => !listed.has(key(v)))];
}

class LinuxRuntime implements LinuxEngineHandle {
  readonly engine: Engine;
  private readonly logger: RuntimeLogger;
  private readonly engineLog: EngineLog;
  /** Link lines: a flapping link (or whoever flaps it) gets a few lines a second, with counts. */
  private readonly linkLog: RateLimitedLog;
  private readonly client: RtNetlinkClient;
  private readonly macvlans: MacvlanClient;
  private readonly vmacs: VmacManager;
  private readonly packets: LinuxPacketPort;
  private readonly watcher: LinkWatcher;
  private readonly guard: VipGuard;
  private readonly sources: SourceAddressTracker;
  /** The running routers by name. */
  private readonly entries = new Map<string, ResolvedRouter>();
  private vips: readonly LinuxVipSpec[];
  private addressPort: LinuxAddressPort;
  private readonly firewall: AcceptModeFirewall;
  /** Interfaces some router runs on: link events for others are not ours. */
  private used = new Set<string>();
  /** Per router, the interfaces its addresses elsewhere live on and it tracks (keepalived: unless no_track). */
  private addressTracks = new Map<string, ReadonlySet<string>>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  /** armStopAdverts as asked, held off while an apply is queued or running. */
  private readonly stopAdverts = new StopAdvertGate((on) => this.packets.setPartingArmed(on));

  constructor(parts: {
    logger: RuntimeLogger;
    client: RtNetlinkClient;
    macvlans: MacvlanClient;
    vmacs: VmacManager;
    packets: LinuxPacketPort;
    watcher: LinkWatcher;
    addressPort: LinuxAddressPort;
    firewall: AcceptModeFirewall;
    routers: readonly ResolvedRouter[];
    vips: readonly LinuxVipSpec[];
  }) {
    this.logger = parts.logger;
    this.client = parts.client;
    this.macvlans = parts.macvlans;
    this.vmacs = parts.vmacs;
    this.packets = parts.packets;
    this.watcher = parts.watcher;
    this.addressPort = parts.addressPort;
    this.firewall = parts.firewall;
    this.vips = parts.vips;
    for (const router of parts.routers) this.entries.set(router.input.name, router);
    const configs = parts.routers.map((router) => router.config);
    // The current address port, whichever apply installed last.
    const addresses: AddressPort = {
      addVips: (iface, list, options) => this.addressPort.addVips(iface, list, options),
      removeVips: (iface, list) => this.addressPort.removeVips(iface, list),
      announceVips: (iface, list, count) => this.addressPort.announceVips(iface, list, count),
    };
    const time = preciseTime();
    // A Backup's first advert as Master leaves from this timer's expiry, before any JavaScript runs.
    this.packets.useTakeoverTimer(time.timerId);
    // The same port gives the head start: parting, takeover and periodic adverts from the addon.
    this.engine = new Engine(configs, { time, packets: this.packets, addresses, headStart: this.packets });
    this.engineLog = logEngineEvents(this.engine, this.logger);
    this.linkLog = new RateLimitedLog(this.logger, { burst: LINK_LINES_PER_SECOND });
    this.guard = new VipGuard({
      engine: this.engine,
      configs,
      client: this.client,
      addresses,
      prefixLengths: vipPrefixLengths(configs, this.vips),
      untracked: untrackedVips(this.vips),
      logger: this.logger,
    });
    this.sources = new SourceAddressTracker(this.engine, this.followedSources(), this.logger);
    this.used = new Set(configs.map((c) => c.interface));
    this.listen();
  }

  get routers(): VirtualRouterConfig[] {
    return [...this.entries.values()].map((entry) => this.engine.routerConfig(entry.input.name) ?? entry.config);
  }

  get links(): RuntimeLinks {
    return this.watcher;
  }

  snapshot(): RouterSnapshot[] {
    return this.engine.snapshot();
  }

  counters(): EngineCounters {
    return this.engine.counters();
  }

  /**
   * Reports links already down (their routers start in Fault), runs `beforeStart`, starts the engine,
   * checks sources. If `beforeStart` fails the engine never starts (the caller undoes the set-up).
   */
  async start(beforeStart?: StartOptions['beforeStart']): Promise<void> {
    this.syncAddressTracks();
    for (const iface of this.used) {
      const up = this.watcher.isUp(iface);
      if (up === true) continue;
      this.logger.warn(
        { event: 'link', interface: iface, up: false, missing: up === undefined },
        up === undefined ? `${iface} does not exist: its routers stay in Fault until it appears` : `${iface} is down at start`,
      );
      this.engine.linkChange(iface, false);
    }
    if (beforeStart !== undefined) {
      try {
        await beforeStart(this);
      } catch (error) {
        this.guard.stop();
        throw error;
      }
    }
    this.engine.start();
    // The address read during validation may have gone since; from here on the watcher reports changes.
    await this.recheckSources();
  }

  apply(next: LinuxEngineInput): Promise<ApplyResult> {
    const result = this.stopAdverts.hold(() => this.queue.then(() => this.applyNow(next)));
    this.queue = result.catch(() => undefined);
    return result;
  }

  armStopAdverts(on: boolean): void {
    this.stopAdverts.want(on);
  }

  stop(): Promise<void> {
    this.stopping ??= this.queue.then(() => this.stopNow());
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.guard.stop();
    try {
      await this.engine.stop();
    } finally {
      this.watcher.close();
      this.addressPort.close();
      await closeFirewall(this.firewall, this.logger);
      await removeVmacs(this.vmacs, this.vmacPlans(), this.logger);
      this.macvlans.close();
      this.client.close();
      this.engineLog.close();
      this.linkLog.close();
      this.logger.info({ event: 'stopped' }, 'stopped');
    }
  }

  private async applyNow(next: LinuxEngineInput): Promise<ApplyResult> {
    if (this.stopping !== undefined) throw new Error('runtime: apply() after stop()');
    const checked = checkInput(next);
    // Nothing on the host has changed yet: a VipSpec mistake is still a ConfigError that changes nothing.
    const addressPort = new LinuxAddressPort({
      announce: announceVips,
      vips: withPrevious(checked.vips, this.vips),
      client: this.client,
      firewall: this.firewall,
    });
    const unchanged: string[] = [];
    const reconfigured: string[] = [];
    const replaced: string[] = [];
    const added: string[] = [];
    const failed: { name: string; error: Error }[] = [];
    const wanted = new Set(checked.routers.map((r) => r.input.name));
    const removed = [...this.entries.keys()].filter((name) => !wanted.has(name));
    const toReconfigure: ResolvedRouter[] = [];
    const toAdd: ResolvedRouter[] = [];
    for (const candidate of checked.routers) {
      const name = candidate.input.name;
      let router: ResolvedRouter;
      try {
        router = await resolveRouter(candidate, this.client);
        logOwnPeerDropped(router, this.logger);
      } catch (error) {
        failed.push({ name, error: error as Error });
        continue;
      }
      const current = this.entries.get(name);
      if (current === undefined) toAdd.push(router);
      else if (!sameIdentity(current, router)) {
        replaced.push(name);
        toAdd.push(router);
      } else if (settingsKey(current, this.vips) === settingsKey(router, checked.vips)) unchanged.push(name);
      else toReconfigure.push(router);
    }

    // A VIP kept through the reload whose prefix length or label changed is removed with its old
    // settings and added with the new ones, as keepalived's reload does: first a step without it,
    // while the old VipSpecs are in force. (Were it the router's only VIP, an advert due in that
    // instant would list none; peers drop such an advert and nothing else happens.)
    for (const router of toReconfigure) {
      const current = this.engine.routerConfig(router.input.name)!;
      const next = ownedAddresses(router.config);
      const respecified = ownedAddresses(current).filter(
        (a) => next.includes(a) && vipSettings(this.vips, current, a) !== vipSettings(checked.vips, router.config, a),
      );
      if (respecified.length === 0) continue;
      await this.engine.reconfigureRouter(router.input.name, withoutAddresses(current, respecified));
    }
    this.addressPort.close();
    this.addressPort = addressPort;
    // A router that failed to resolve keeps running as it was, and so do its VipSpecs.
    const kept = failed.map((f) => this.entries.get(f.name)?.config).filter((c): c is VirtualRouterConfig => c !== undefined);
    const keptSpecs = this.vips.filter((v) => kept.some((c) => addressInterface(c, canonicalAddress(v.address)?.address ?? '') === v.interface));
    this.vips = withPrevious(checked.vips, keptSpecs);
    // Removals first: an added router may take over a removed one's VRID, VMAC or VIPs.
    const leaving = [...removed, ...replaced];
    await Promise.all(leaving.map((name) => this.engine.removeRouter(name, { release: true })));
    const leftVmacs = leaving.map((name) => this.entries.get(name)!.vmac).filter((plan): plan is VmacPlan => plan !== undefined);
    for (const name of leaving) this.entries.delete(name);
    await removeVmacs(this.vmacs, leftVmacs, this.logger);

    for (const router of toReconfigure) {
      try {
        await this.engine.reconfigureRouter(router.input.name, router.config);
        this.entries.set(router.input.name, router);
        reconfigured.push(router.input.name);
      } catch (error) {
        failed.push({ name: router.input.name, error: error as Error });
      }
    }

    const starting: ResolvedRouter[] = [];
    for (const router of toAdd) {
      try {
        if (router.vmac !== undefined) await this.vmacs.create(router.vmac);
        starting.push(router);
      } catch (error) {
        failed.push({ name: router.input.name, error: error as Error });
      }
    }
    // Sockets follow the routers: new pairs open, pairs whose last router left close.
    this.packets.setRouters([...this.routers, ...starting.map((r) => r.config)]);
    for (const router of starting) {
      const name = router.input.name;
      try {
        await this.removeLeftoverVips(router);
        const before: OperatorInput[] = this.watcher.isUp(router.config.interface) === true ? [] : [{ kind: 'link', up: false }];
        for (const iface of trackedAddressInterfaces(router.config, this.vips)) {
          if (this.watcher.isUp(iface) !== true) before.push(addressTrack(iface, false));
        }
        this.engine.addRouter(router.config, before);
        this.entries.set(name, router);
        if (!replaced.includes(name)) added.push(name);
      } catch (error) {
        failed.push({ name, error: error as Error });
        if (router.vmac !== undefined) await removeVmacs(this.vmacs, [router.vmac], this.logger);
      }
    }
    // Close what a router that failed to start had opened. (A replaced router that could not start
    // again is gone: it is in both `replaced` and `failed`.)
    this.packets.setRouters(this.routers);
    this.refreshFollowers();
    const result: ApplyResult = { unchanged, reconfigured, replaced, added, removed, failed };
    this.logger.info(
      { event: 'applied', unchanged, reconfigured, replaced, added, removed, failed: failed.map((f) => ({ name: f.name, error: f.error.message })) },
      `configuration applied: ${unchanged.length} unchanged, ${reconfigured.length} reconfigured, ${replaced.length} replaced, ${added.length} added, ${removed.length} removed, ${failed.length} failed`,
    );
    return result;
  }

  /** After an apply: the guard, the source tracker and the link filter see the routers now running. */
  private refreshFollowers(): void {
    const configs = this.routers;
    this.used = new Set(configs.map((c) => c.interface));
    this.syncAddressTracks();
    this.guard.setRouters(configs, vipPrefixLengths(configs, this.vips), untrackedVips(this.vips));
    this.sources.setRouters(this.followedSources());
    void this.recheckSources();
  }

  /** Addresses of a router about to start that are where it puts them already, unless another router of ours holds them. */
  private async removeLeftoverVips(router: ResolvedRouter): Promise<void> {
    const held = new Set(this.routers.flatMap(placements));
    for (const [iface, addresses] of byInterface([router.config])) {
      const leftover = addresses.filter((address) => !held.has(`${iface} ${address}`));
      await removeLeftovers(this.addressPort, iface, leftover, this.logger);
    }
  }

  /**
   * Keeps each router's tracking of the interfaces its addresses elsewhere live on in step with its
   * configuration: a newly tracked interface reports its state now, one no longer tracked counts as up.
   */
  private syncAddressTracks(): void {
    const next = new Map<string, ReadonlySet<string>>();
    for (const config of this.routers) {
      const tracked = new Set(trackedAddressInterfaces(config, this.vips));
      const before = this.addressTracks.get(config.name) ?? new Set<string>();
      for (const iface of tracked) if (!before.has(iface)) this.engine.input(config.name, addressTrack(iface, this.watcher.isUp(iface) === true));
      for (const iface of before) if (!tracked.has(iface)) this.engine.input(config.name, addressTrack(iface, true));
      if (tracked.size > 0) next.set(config.name, tracked);
    }
    this.addressTracks = next;
  }

  /** A tracked address interface's link changed: its routers hear it as a weight-0 tracked object. */
  private addressLinkChange(iface: string, up: boolean): void {
    for (const [name, tracked] of this.addressTracks) {
      if (!tracked.has(iface)) continue;
      this.linkLog.write(`address-interface\u0000${name}\u0000${iface}`, 'info', () => [
        { event: 'link', interface: iface, up, router: name, tracked: 'address-interface' },
        `${name}: ${iface}, where some of its addresses live, is ${up ? 'up' : 'down'}`,
      ]);
      this.engine.input(name, addressTrack(iface, up));
    }
  }

  /** Routers whose primaryAddress came from the interface, on that interface (a VMAC's parent). */
  private followedSources(): VirtualRouterConfig[] {
    return [...this.entries.values()]
      .filter((entry) => entry.resolved)
      .map((entry) => ({ ...(this.engine.routerConfig(entry.input.name) ?? entry.config), interface: entry.vmac?.parent ?? entry.config.interface }));
  }

  private vmacPlans(): VmacPlan[] {
    return [...this.entries.values()].map((entry) => entry.vmac).filter((plan): plan is VmacPlan => plan !== undefined);
  }

  private recheckSources(): Promise<void> {
    return this.sources.recheck(this.client).catch((error: unknown) =>
      this.logger.error({ event: 'error', operation: 'sourceAddressCheck', error: errorFields(error) }, 'checking source addresses failed'),
    );
  }

  private listen(): void {
    const { watcher: w, packets: p, engine, logger, linkLog } = this;
    w.on('link', (event) => {
      this.addressLinkChange(event.interface, event.up);
      if (!this.used.has(event.interface)) return;
      linkLog.write(`link\u0000${event.interface}`, 'info', () => [{ event: 'link', interface: event.interface, up: event.up }, `${event.interface} is ${event.up ? 'up' : 'down'}`]);
      p.reopen(event.interface, true);
      engine.linkChange(event.interface, event.up);
    });
    w.on('linkRemoved', (event) => {
      this.addressLinkChange(event.interface, false);
      if (!this.used.has(event.interface)) return;
      linkLog.write(`link\u0000${event.interface}`, 'warn', () => [{ event: 'link', interface: event.interface, up: false, removed: true }, `${event.interface} was deleted`]);
      p.release(event.interface);
      engine.linkChange(event.interface, false);
    });
    w.on('addressRemoved', (event) => {
      this.guard.addressRemoved(event);
      this.sources.addressRemoved(event);
    });
    w.on('addressAdded', (event) => this.sources.addressAdded(event));
    w.on('resynced', () => {
      linkLog.write('link-watcher-resynced', 'warn', () => [
        { event: 'notice', notice: 'link-watcher-resynced' },
        'link notifications may have been lost; re-read link state, re-checking every VIP and source address',
      ]);
      this.guard.recheckAll();
      void this.recheckSources();
    });
    w.on('error', (error) => logger.error({ event: 'error', operation: 'linkWatcher', error: errorFields(error) }, `link watcher: ${error.message}`));
  }
}

/** The track input for an interface some of a router's addresses live on (weight 0: down means Fault). */
function addressTrack(iface: string, up: boolean): OperatorInput {
  return { kind: 'track', name: `address-interface:${iface}`, up, weight: 0 };
}

/** `interface address` of each of a router's addresses (VIPs and excluded) where it lives. */
function placements(config: VirtualRouterConfig): string[] {
  return ownedAddresses(config).map((address) => `${addressInterface(config, address)} ${address}`);
}

/** The routers' addresses by the interface each lives on, each address once per interface. */
function byInterface(configs: readonly VirtualRouterConfig[]): Map<string, string[]> {
  const groups = new Map<string, Set<string>>();
  for (const config of configs) {
    for (const address of ownedAddresses(config)) {
      const iface = addressInterface(config, address)!;
      groups.set(iface, (groups.get(iface) ?? new Set()).add(address));
    }
  }
  return new Map([...groups].map(([iface, set]) => [iface, [...set]]));
}

/** Removes `vips` found on `iface` (left by a run killed before it cleaned up); failures are logged. */
async function removeLeftovers(port: LinuxAddressPort, iface: string, vips: readonly string[], logger: RuntimeLogger): Promise<void> {
  if (vips.length === 0) return;
  try {
    const removed = await port.removeLeftoverVips(iface, vips);
    if (removed.length > 0) {
      logger.warn(
        { event: 'leftoverVipsRemoved', interface: iface, addresses: removed },
        `removed VIPs left on ${iface} by an earlier run that did not stop cleanly`,
      );
    }
  } catch (error) {
    if (!hasCode(error, 'ENODEV')) {
      logger.error({ event: 'error', operation: 'removeLeftoverVips', interface: iface, error: errorFields(error) }, 'could not remove leftover VIPs');
    }
  }
}

export interface StartOptions {
  /**
   * Called once the runtime is set up (sockets open, leftovers removed, links read), just before the
   * engine starts: listeners added here see the startup transitions (keepalived runs notify_backup for
   * them), and inputs given here (a check failing from the start, keepalived's init_fail) are what the
   * routers start with. A throw or rejection undoes the set-up and rejects startLinuxEngine.
   */
  readonly beforeStart?: (handle: LinuxEngineHandle) => void | Promise<void>;
}

/**
 * Validates `input`, cleans up after an earlier killed run, and starts the engine on the Linux ports.
 * Rejects with ConfigError (nothing touched) for a configuration mistake, with a coded Error (after
 * undoing what it did) when the host does not allow it to run (EPERM without CAP_NET_RAW, ...).
 */
export async function startLinuxEngine(input: LinuxEngineInput, options: StartOptions = {}): Promise<LinuxEngineHandle> {
  const logger = input.logger ?? silentLogger;
  const client = new RtNetlinkClient();
  const macvlans = new MacvlanClient();
  const vmacManager = new VmacManager(macvlans, logger, client);
  const firewall = new AcceptModeFirewall();
  let plannedVmacs: VmacPlan[] = [];
  let addressPort: LinuxAddressPort | undefined;
  let watcher: LinkWatcher | undefined;
  let packets: LinuxPacketPort | undefined;
  try {
    const checked = checkInput(input);
    const routers: ResolvedRouter[] = [];
    for (const router of checked.routers) {
      const resolved = await resolveRouter(router, client);
      logOwnPeerDropped(resolved, logger);
      routers.push(resolved);
    }
    const configs = routers.map((r) => r.config);
    // Before any socket or router: a refusal (no CAP_SYS_NICE, ...) is a start error with nothing changed.
    let applied: AppliedScheduling | undefined;
    if (!isDefaultScheduling(input.scheduling)) {
      applied = applyProcessScheduling(input.scheduling!);
      logger.info({ event: 'scheduling', ...applied }, `main thread scheduling: ${describeScheduling(applied)}`);
    }
    plannedVmacs = routers.map((r) => r.vmac).filter((plan): plan is VmacPlan => plan !== undefined);
    addressPort = new LinuxAddressPort({ announce: announceVips, vips: checked.vips, client, firewall });

    // Sockets first: without CAP_NET_RAW this throws EPERM and nothing on the host has changed.
    const packetErrors = (event: PacketPortError) =>
      logger.error(
        { event: 'error', operation: event.operation, interface: event.interface, family: event.family, error: errorFields(event.error) },
        `VRRP socket ${event.operation} on ${event.interface} (IPv${event.family}): ${event.error.message}`,
      );
    packets = new LinuxPacketPort(configs, { onError: packetErrors });
    packets.open();

    // --- From here on the host is changed. ---
    // A VMAC's socket found no interface above (or one left by a killed run, now replaced): reopen it.
    for (const plan of plannedVmacs) {
      await vmacManager.create(plan);
      packets.reopen(plan.name, false);
    }
    const vipsByInterface = byInterface(configs);
    for (const [iface, addresses] of vipsByInterface) await removeLeftovers(addressPort, iface, addresses, logger);
    await prepareFirewall(firewall, configs, logger);

    watcher = await LinkWatcher.start();

    // Compile the Master path now, not during the first takeover (see warm-up.ts), and the VIP add.
    warmUpProtocolPaths(configs);
    await addressPort.warmUpAdd(vipsByInterface);
    const runtime = new LinuxRuntime({ logger, client, macvlans, vmacs: vmacManager, packets, watcher, addressPort, firewall, routers, vips: checked.vips });
    await runtime.start(options.beforeStart);
    const parentOf = new Map(plannedVmacs.map((plan) => [plan.router, plan.parent]));
    logger.info(
      {
        event: 'started',
        routers: configs.map((c) => ({
          name: c.name,
          interface: c.interface,
          vrid: c.vrid,
          version: c.version,
          family: c.family,
          priority: c.priority,
          primaryAddress: c.primaryAddress,
          virtualAddresses: c.virtualAddresses,
          ...(c.excludedAddresses !== undefined ? { excludedAddresses: c.excludedAddresses } : {}),
          ...(c.addressInterfaces !== undefined ? { addressInterfaces: c.addressInterfaces } : {}),
          ...(parentOf.has(c.name) ? { vmacParent: parentOf.get(c.name) } : {}),
        })),
        linkWatcherPid: watcher.helperPid,
      },
      `running ${configs.length} virtual router(s)`,
    );
    if (applied !== undefined) armRealtimeLimit(applied, logger);
    return runtime;
  } catch (error) {
    packets?.close();
    watcher?.close();
    addressPort?.close();
    await closeFirewall(firewall, logger);
    await removeVmacs(vmacManager, plannedVmacs, logger);
    macvlans.close();
    client.close();
    throw error;
  }
}

function logOwnPeerDropped(router: ResolvedRouter, logger: RuntimeLogger): void {
  if (router.ownPeerDropped === undefined) return;
  logger.info(
    { event: 'notice', notice: 'own-unicast-peer', router: router.input.name, address: router.ownPeerDropped },
    `${router.input.name}: unicast peer ${router.ownPeerDropped} is this node's own address; not sending to it`,
  );
}

/**
 * Replaces a drop table left by a killed run (its VIPs would stay unreachable) and, when some router
 * runs without accept mode, creates ours now: without it such a router would accept traffic to its VIPs,
 * so that failure stops the start (a clear error, the host's changes undone). Other failures are logged.
 */
async function prepareFirewall(firewall: AcceptModeFirewall, configs: readonly VirtualRouterConfig[], logger: RuntimeLogger): Promise<void> {
  const needed = configs.some((c) => !c.acceptMode);
  try {
    if (needed) await firewall.ensureTable();
    else await firewall.removeLeftover();
  } catch (error) {
    // Without nft there can be no leftover table either: only a problem when a router needs it.
    if (!needed && hasCode(error, 'ENOENT')) return;
    if (needed) throw error;
    logger.error(
      { event: 'error', operation: needed ? 'createAcceptModeTable' : 'removeAcceptModeTable', error: errorFields(error) },
      needed ? 'could not create the nftables table that drops traffic to VIPs without accept mode' : 'could not remove a leftover accept-mode table',
    );
  }
}

async function closeFirewall(firewall: AcceptModeFirewall, logger: RuntimeLogger): Promise<void> {
  try {
    await firewall.close();
  } catch (error) {
    logger.error({ event: 'error', operation: 'removeAcceptModeTable', error: errorFields(error) }, 'could not remove the accept-mode table');
  }
}

/** Removes the VMACs this run created; a failure is logged, the others are still removed. */
async function removeVmacs(manager: VmacManager, plans: readonly VmacPlan[], logger: RuntimeLogger): Promise<void> {
  for (const plan of plans) {
    try {
      await manager.remove(plan);
    } catch (error) {
      logger.error({ event: 'error', operation: 'removeVmac', interface: plan.name, error: errorFields(error) }, `could not remove VMAC ${plan.name}`);
    }
  }
}
