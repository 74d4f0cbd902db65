// The Linux runtime: an Engine on real ports (raw VRRP sockets, rtnetlink VIPs, GARP / NA) plus the
// link watcher that feeds it interface state. `startLinuxEngine` is what bin/vrrp-engine runs; its
// handle's `apply` changes the routers while it runs (bin/vrrpd's SIGHUP reload).
//
// Order at start, so that a mistake never half-configures a host:
//   1. validate the input (ConfigError naming the field), reading the interfaces only to fill in a
//      missing primaryAddress (check-input.ts);
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
// first router comes and closed when its last one leaves, and one link watcher.

import type { RouterSnapshot, VirtualRouterConfig } from '../core/types.js';
import { Engine, type OperatorInput } from '../engine/engine.js';
import type { EngineCounters } from '../engine/events.js';
import type { AddressPort } from '../engine/ports.js';
import { preciseTime } from '../linux/precise-time.js';
import { StopAdvertGate } from './stop-advert-gate.js';
import { warmUpProtocolPaths } from '../engine/warm-up.js';
import { AcceptModeFirewall } from '../linux/accept-mode-firewall.js';
import { LinuxAddressPort } from '../linux/addresses.js';
import { announceVips } from '../linux/announce.js';
import { logEngineEvents, RateLimitedLog, type EngineLog } from './event-log.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { LinkWatcher } from '../linux/links.js';
import { RtNetlinkClient } from '../linux/netlink.js';
import { MacvlanClient } from '../linux/macvlan.js';
import { LinuxPacketPort } from '../linux/packet-port.js';
import { checkInput, resolveRouter, type ResolvedRouter } from './check-input.js';
import {
  closeOpened,
  prepareHost,
  resolveRouters,
  scheduleMainThread,
  stopOnAbort,
  type OpenedAtStart,
} from './start-steps.js';
import { LocalIgmpReports } from '../linux/local-igmp.js';
import type { LinuxEngineInput, LinuxVipSpec } from '../model/runtime-input.js';
import { armRealtimeLimit } from '../linux/scheduling.js';
import { startAutoPriority } from '../linux/auto-priority.js';
import { AddressInterfaceTracks } from './address-tracks.js';
import { followLinkEvents } from './link-events.js';
import type { FollowedLinks, LinkSettings } from './followed-links.js';
import { packetPortOptions } from './packet-port-options.js';
import { planApply, withoutAddresses, withPrevious } from './apply-plan.js';
import {
  byInterface,
  closeFirewall,
  disableLocalIgmp,
  logApplied,
  placements,
  logOwnPeerDropped,
  logStarted,
  ownVmacs,
  releaseRouterHosts,
  removeLeftovers,
  restoreLocalIgmp,
  setUpRouterHost,
} from './host-setup.js';
import { SourceAddressTracker } from './source-address.js';
import { untrackedVips, VipGuard, vipPrefixLengths } from './vip-guard.js';
import { VmacManager } from '../linux/vmac.js';
import { linuxRouterAdvertIo } from '../linux/router-advert-send.js';
import { RouterAdvertiser, routerAdvertPlans } from './router-adverts.js';
import { LinuxClaimWatch } from '../linux/claim-watch.js';
import type { SplitBrainSettings } from '../model/split-brain.js';
import { type ConflictReport, VipConflictWatch } from './vip-conflicts.js';
import { startWithRoutes } from './routed-handle.js';
import { applyNetlinkBuffers } from './netlink-buffers.js';

export type { RuntimeLogger } from '../model/logger.js';
export type { ApplyOptions, ApplyResult, LinuxEngineHandle, RuntimeLinks, StartOptions } from './handle.js';
import type {
  ApplyOptions,
  ApplyResult,
  LinuxEngineHandle,
  RuntimeLinks,
  StartOptions,
  StopOptions,
} from './handle.js';
export type { LinuxEngineInput, LinuxRouterInput, LinuxVipSpec } from '../model/runtime-input.js';

/** Link up/down lines per interface a second before the rest are counted (rate-limited with counts). */
const LINK_LINES_PER_SECOND = 5;

const silentLogger: RuntimeLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

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
  /** Link state as the routers and their checks see it: delayed, polled (followed-links.ts). */
  private readonly followed: FollowedLinks;
  private readonly guard: VipGuard;
  private readonly sources: SourceAddressTracker;
  private readonly routerAdverts: RouterAdvertiser;
  /** Who else claims our addresses on the link (split brain), and how a Master resists. */
  private readonly vipConflicts: VipConflictWatch;
  /** The running routers by name. */
  private readonly entries = new Map<string, ResolvedRouter>();
  private vips: readonly LinuxVipSpec[];
  private addressPort: LinuxAddressPort;
  private readonly firewall: AcceptModeFirewall;
  private readonly localIgmp: LocalIgmpReports | undefined;
  /** Interfaces some router runs on: link events for others are not ours. */
  private used = new Set<string>();
  /** The links of interfaces routers' addresses live on besides their own (keepalived: unless no_track). */
  private readonly addressTracks: AddressInterfaceTracks;
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
    localIgmp: LocalIgmpReports | undefined;
    routers: readonly ResolvedRouter[];
    vips: readonly LinuxVipSpec[];
    splitBrain?: SplitBrainSettings | undefined;
    links?: LinkSettings | undefined;
  }) {
    this.logger = parts.logger;
    this.client = parts.client;
    this.macvlans = parts.macvlans;
    this.vmacs = parts.vmacs;
    this.packets = parts.packets;
    this.watcher = parts.watcher;
    this.addressPort = parts.addressPort;
    this.firewall = parts.firewall;
    this.localIgmp = parts.localIgmp;
    this.vips = parts.vips;
    for (const router of parts.routers) this.entries.set(router.input.name, router);
    const configs = parts.routers.map((router) => router.config);
    // The current address port, whichever apply installed last.
    const addresses: AddressPort = {
      addVips: (iface, list, options) => {
        const adding = this.addressPort.addVips(iface, list, options);
        // A new Master's Router Advertisements wait for their source address (router-adverts.ts).
        Promise.resolve(adding).then(
          () => this.routerAdverts.addressesAdded(iface, list),
          () => undefined,
        );
        return adding;
      },
      removeVips: (iface, list) => this.addressPort.removeVips(iface, list),
      setAcceptMode: (iface, list, options) => this.addressPort.setAcceptMode(iface, list, options),
      announceVips: (iface, list, count) => this.addressPort.announceVips(iface, list, count),
    };
    const time = preciseTime();
    // A Backup's first advert as Master leaves from this timer's expiry, before any JavaScript runs.
    this.packets.useTakeoverTimer(time.timerId);
    // ...and its VIP adds and first announcements right after it (the addon's takeover kit).
    this.packets.useTakeoverKit((iface, list, acceptMode) =>
      this.addressPort.takeoverRequests(iface, list, acceptMode),
    );
    // The same port gives the head start: parting, takeover and periodic adverts from the addon.
    this.engine = new Engine(configs, { time, packets: this.packets, addresses, headStart: this.packets });
    this.engineLog = logEngineEvents(this.engine, this.logger);
    this.linkLog = new RateLimitedLog(this.logger, { burst: LINK_LINES_PER_SECOND });
    this.addressTracks = new AddressInterfaceTracks(this.engine, (iface) => this.followed.isUp(iface), this.linkLog);
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
    this.routerAdverts = new RouterAdvertiser(this.engine, linuxRouterAdvertIo(), this.logger);
    this.routerAdverts.setPlans(routerAdvertPlans(this.entries));
    const claims = new LinuxClaimWatch((heard) => this.vipConflicts.heard(heard));
    this.vipConflicts = new VipConflictWatch({
      engine: this.engine,
      claims,
      addresses,
      logger: this.logger,
      settings: parts.splitBrain,
    });
    this.used = new Set(configs.map((c) => c.interface));
    this.followed = this.listen(parts.links);
  }

  get routers(): VirtualRouterConfig[] {
    return [...this.entries.values()].map((entry) => this.engine.routerConfig(entry.input.name) ?? entry.config);
  }

  get links(): RuntimeLinks {
    return this.followed;
  }

  snapshot(): RouterSnapshot[] {
    return this.engine.snapshot();
  }

  counters(): EngineCounters {
    return this.engine.counters();
  }

  conflicts(): ConflictReport {
    return this.vipConflicts.snapshot();
  }

  /**
   * Reports links already down (their routers start in Fault), runs `beforeStart`, starts the engine,
   * checks sources. If `beforeStart` fails the engine never starts (the caller undoes the set-up).
   */
  async start(beforeStart?: StartOptions['beforeStart']): Promise<void> {
    this.addressTracks.sync(this.routers, this.vips);
    for (const iface of this.used) {
      const up = this.followed.isUp(iface);
      if (up === true) continue;
      this.logger.warn(
        { event: 'link', interface: iface, up: false, missing: up === undefined },
        up === undefined
          ? `${iface} does not exist: its routers stay in Fault until it appears`
          : `${iface} is down at start`,
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

  apply(next: LinuxEngineInput, options: ApplyOptions = {}): Promise<ApplyResult> {
    // Refused when asked after stop(); one asked before runs, and the stop waits for it.
    if (this.stopping !== undefined) return Promise.reject(new Error('runtime: apply() after stop()'));
    const result = this.stopAdverts.hold(() =>
      this.queue.then(async () => {
        const applied = await this.applyNow(next);
        await options.afterApply?.(applied);
        return applied;
      }),
    );
    this.queue = result.catch(() => undefined);
    return result;
  }

  armStopAdverts(on: boolean): void {
    this.stopAdverts.want(on);
  }

  stop(options: StopOptions = {}): Promise<void> {
    const release = options.release ?? true;
    this.stopping ??= this.queue.then(() => (release ? this.stopNow() : undefined));
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.guard.stop();
    this.vipConflicts.close();
    try {
      await this.engine.stop();
    } finally {
      this.routerAdverts.close();
      this.followed.close();
      this.watcher.close();
      this.addressPort.close();
      await closeFirewall(this.firewall, this.logger);
      await releaseRouterHosts(this.vmacs, [...this.entries.values()], this.logger);
      restoreLocalIgmp(this.localIgmp, this.logger);
      this.macvlans.close();
      this.client.close();
      this.engineLog.close();
      this.linkLog.close();
      this.logger.info({ event: 'stopped' }, 'stopped');
    }
  }

  /** apply(), one at a time: validate, resolve, plan (apply-plan.ts), then carry the plan out. */
  private async applyNow(next: LinuxEngineInput): Promise<ApplyResult> {
    const checked = checkInput(next);
    // Nothing on the host has changed yet: a VipSpec mistake is still a ConfigError that changes nothing.
    const addressPort = new LinuxAddressPort({
      announce: announceVips,
      announceSpacing: checked.announceSpacing,
      vips: withPrevious(checked.vips, this.vips),
      client: this.client,
      firewall: this.firewall,
    });
    const failed: { name: string; error: Error }[] = [];
    const resolved = new Map<string, ResolvedRouter>();
    for (const candidate of checked.routers) {
      try {
        const router = await resolveRouter(candidate, this.client);
        logOwnPeerDropped(router, this.logger);
        resolved.set(candidate.input.name, router);
      } catch (error) {
        failed.push({ name: candidate.input.name, error: error as Error });
      }
    }
    const plan = planApply(
      { routers: this.entries, vips: this.vips },
      { routers: resolved, names: checked.routers.map((r) => r.input.name), vips: checked.vips },
    );

    // A VIP kept through the reload whose prefix length or label changed is removed with its old
    // settings and added with the new ones, as keepalived's reload does: first a step without it,
    // while the old VipSpecs are in force. (Were it the router's only VIP, an advert due in that
    // instant would list none; peers drop such an advert and nothing else happens.)
    for (const [name, addresses] of plan.respecified) {
      await this.engine.reconfigureRouter(name, withoutAddresses(this.engine.routerConfig(name)!, addresses));
    }
    this.addressPort.close();
    this.addressPort = addressPort;
    this.vips = plan.vips;
    this.followed.update(next);
    // Removals first: an added router may take over a removed one's VRID, VMAC or VIPs.
    await this.release([...plan.remove, ...plan.replace.map((r) => r.config.name)]);
    const reconfigured = await this.reconfigureAll(plan.reconfigure, failed);
    const replaced = plan.replace.map((r) => r.config.name);
    const added = (await this.startAll(plan.start, failed)).filter((name) => !replaced.includes(name));
    // Close what a router that failed to start had opened. (A replaced router that could not start
    // again is gone: it is in both `replaced` and `failed`.)
    this.packets.setRouters(this.routers);
    this.refreshFollowers();
    this.routerAdverts.setPlans(routerAdvertPlans(this.entries));
    this.vipConflicts.refresh();
    const result: ApplyResult = {
      unchanged: plan.unchanged,
      reconfigured,
      replaced,
      added,
      removed: plan.remove,
      failed,
    };
    logApplied(result, this.logger);
    return result;
  }

  /** Releases routers (a Master sends its priority-0 advert and removes its VIPs) and removes their VMACs. */
  private async release(names: readonly string[]): Promise<void> {
    await Promise.all(names.map((name) => this.engine.removeRouter(name, { release: true })));
    const released = names.map((name) => this.entries.get(name)!);
    for (const name of names) this.entries.delete(name);
    await releaseRouterHosts(this.vmacs, released, this.logger);
  }

  /** New settings in place, state kept; returns the names done, a failure is added to `failed`. */
  private async reconfigureAll(
    routers: readonly ResolvedRouter[],
    failed: { name: string; error: Error }[],
  ): Promise<string[]> {
    const done: string[] = [];
    for (const router of routers) {
      try {
        await this.engine.reconfigureRouter(router.input.name, router.config);
        this.entries.set(router.input.name, router);
        done.push(router.input.name);
      } catch (error) {
        failed.push({ name: router.input.name, error: error as Error });
      }
    }
    return done;
  }

  /** Starts routers (VMAC, sockets, leftover VIPs, link state); returns the names started, a failure is added to `failed`. */
  private async startAll(
    routers: readonly ResolvedRouter[],
    failed: { name: string; error: Error }[],
  ): Promise<string[]> {
    const starting: ResolvedRouter[] = [];
    for (const router of routers) {
      try {
        await setUpRouterHost(this.vmacs, router, this.logger);
        starting.push(router);
      } catch (error) {
        failed.push({ name: router.input.name, error: error as Error });
        await releaseRouterHosts(this.vmacs, [router], this.logger); // what it made before the failure
      }
    }
    // Sockets follow the routers: new pairs open, pairs whose last router left close.
    this.packets.setRouters([...this.routers, ...starting.map((r) => r.config)]);
    const started: string[] = [];
    for (const router of starting) {
      try {
        await this.removeLeftoverVips(router);
        const linkDown: OperatorInput[] =
          this.followed.isUp(router.config.interface) === true ? [] : [{ kind: 'link', up: false }];
        const before = [...linkDown, ...this.addressTracks.initialInputs(router.config, this.vips)];
        this.engine.addRouter(router.config, before);
        this.entries.set(router.input.name, router);
        started.push(router.input.name);
      } catch (error) {
        failed.push({ name: router.input.name, error: error as Error });
        await releaseRouterHosts(this.vmacs, [router], this.logger);
      }
    }
    return started;
  }

  /** After an apply: the guard, the source tracker and the link filter see the routers now running. */
  private refreshFollowers(): void {
    const configs = this.routers;
    this.used = new Set(configs.map((c) => c.interface));
    this.addressTracks.sync(this.routers, this.vips);
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

  /** Routers whose primaryAddress came from the interface or is tracked (track_src_ip), on that interface (a VMAC's parent). */
  private followedSources(): VirtualRouterConfig[] {
    return [...this.entries.values()]
      .filter((entry) => entry.resolved || entry.config.trackSourceAddress === true)
      .map((entry) => ({
        ...(this.engine.routerConfig(entry.input.name) ?? entry.config),
        interface: entry.vmac?.parent ?? entry.config.interface,
      }));
  }

  private recheckSources(): Promise<void> {
    return this.sources
      .recheck(this.client)
      .catch((error: unknown) =>
        this.logger.error(
          { event: 'error', operation: 'sourceAddressCheck', error: errorFields(error) },
          'checking source addresses failed',
        ),
      );
  }

  private listen(links: LinkSettings | undefined): FollowedLinks {
    const { watcher, packets, engine, logger, linkLog, addressTracks, guard, sources } = this;
    const parts = { settings: links, watcher, packets, engine, logger, linkLog, addressTracks, guard, sources };
    return followLinkEvents({
      ...parts,
      isUsed: (iface) => this.used.has(iface),
      recheckSources: () => this.recheckSources(),
    });
  }
}

/**
 * Validates `input`, cleans up after an earlier killed run, and starts the engine on the Linux ports.
 * Rejects with ConfigError (nothing touched) for a configuration mistake, with a coded Error (after
 * undoing what it did) when the host does not allow it to run (EPERM without CAP_NET_RAW, ...).
 */
export async function startLinuxEngine(
  input: LinuxEngineInput,
  options: StartOptions = {},
): Promise<LinuxEngineHandle> {
  options.signal?.throwIfAborted(); // before anything is opened
  const logger = input.logger ?? silentLogger;
  applyNetlinkBuffers(input); // before the first rtnetlink socket is opened
  const client = new RtNetlinkClient();
  const macvlans = new MacvlanClient();
  const opened: OpenedAtStart = {
    logger,
    client,
    macvlans,
    vmacs: new VmacManager(macvlans, logger, client),
    firewall: new AcceptModeFirewall(input.nftables),
    planned: [],
    addressPort: undefined,
    watcher: undefined,
    packets: undefined,
    localIgmp: input.disableLocalIgmp === true ? new LocalIgmpReports() : undefined,
  };
  try {
    return await startOn(input, options, opened);
  } catch (error) {
    await closeOpened(opened);
    throw error;
  }
}

/** startLinuxEngine's steps, in order; what each opens goes into `opened` for an undo. */
async function startOn(
  input: LinuxEngineInput,
  options: StartOptions,
  opened: OpenedAtStart,
): Promise<LinuxEngineHandle> {
  const { signal } = options;
  const { logger, client, firewall } = opened;
  const { routers: candidates, vips, announceSpacing } = checkInput(input);
  const routers = await resolveRouters(candidates, client, logger);
  signal?.throwIfAborted();
  const configs = routers.map((r) => r.config);
  // Before any socket or router: a refusal (no CAP_SYS_NICE, ...) is a start error with nothing changed.
  const applied = scheduleMainThread(input, logger);
  opened.planned = routers;
  const addressPort = new LinuxAddressPort({ announce: announceVips, vips, announceSpacing, client, firewall });
  opened.addressPort = addressPort;

  disableLocalIgmp(opened.localIgmp, logger); // before the sockets join 224.0.0.18, as keepalived
  // Sockets first: without CAP_NET_RAW this throws EPERM and nothing on the host has changed.
  const packets = new LinuxPacketPort(configs, packetPortOptions(input, logger));
  opened.packets = packets;
  packets.open();

  // --- From here on the host is changed. ---
  const vipsByInterface = await prepareHost(opened, packets, addressPort, configs);
  signal?.throwIfAborted();

  const watcher = await LinkWatcher.start(applyNetlinkBuffers(input));
  opened.watcher = watcher;

  // Compile the Master path now, not during the first takeover (see warm-up.ts), and the VIP add.
  warmUpProtocolPaths(configs);
  await addressPort.warmUpAdd(vipsByInterface);
  signal?.throwIfAborted();
  const { macvlans, vmacs, localIgmp } = opened;
  const parts = { logger, client, macvlans, vmacs, packets, watcher, addressPort, firewall, localIgmp, routers };
  const runtime = new LinuxRuntime({ ...parts, vips, splitBrain: input.splitBrain, links: input });
  const handle = await startWithRoutes(runtime, input, logger, options.beforeStart);
  logStarted(logger, configs, ownVmacs(routers));
  if (applied !== undefined) armRealtimeLimit(applied, logger);
  startAutoPriority(input.scheduling, logger);
  if (signal !== undefined) stopOnAbort(handle, signal, logger);
  return handle;
}
