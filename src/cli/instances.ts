// vrrpd's instances: every vrrp_instance runs in ONE Linux runtime (one raw socket per interface and
// family, one link watcher). A reload (SIGHUP) is the runtime's `apply`: unchanged
// instances are not touched, changed ones are reconfigured in place when their interface, VRID,
// family and version stay (a Master stays Master, keeps the VIPs that stay, adds and announces the
// new ones, removes those that left), otherwise replaced; removed ones are released, added ones start.
// This file keeps what `vrrpd status` and the dumps show per instance.

import { isIP } from 'node:net';
import { buildRouterConfig } from '../model/router-config.js';
import { ConfigError } from '../model/config-error.js';
import type { RouterSnapshot, RouterState, VirtualRouterConfig } from '../core/types.js';
import type { Engine } from '../engine/engine.js';
import type { EngineCounters } from '../engine/events.js';
import type { ConflictReport, ReportedConflict } from '../daemon/vip-conflicts.js';
import { canonicalAddress } from '../linux/addresses.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import {
  startLinuxEngine,
  type ApplyResult,
  type LinuxEngineHandle,
  type LinuxEngineInput,
  type LinuxRouterInput,
  type LinuxVipSpec,
} from '../daemon/runtime.js';
import type { RouteSpec, RuleSpec } from '../model/routes.js';
import { planVmac, vmacNames } from '../linux/vmac.js';
import { replaceHealth, type HealthHandle, type HealthPlan } from '../health/index.js';

/** One vrrp_instance: its router and the VipSpecs of its VIPs and excluded addresses. */
export interface InstanceInput {
  readonly name: string;
  readonly router: LinuxRouterInput;
  readonly vips: readonly LinuxVipSpec[];
  /** Its virtual_routes and virtual_rules (those naming it). */
  readonly routes?: readonly RouteSpec[];
  readonly rules?: readonly RuleSpec[];
}

/** What belongs to no instance: static addresses, routes and rules (added whatever the states). */
export type StaticEntries = Pick<LinuxEngineInput, 'routes' | 'rules' | 'staticAddresses'>;

/** The static part of an input. */
export function staticsOf(input: LinuxEngineInput): StaticEntries {
  const routes = (input.routes ?? []).filter((route) => route.router === undefined);
  const rules = (input.rules ?? []).filter((rule) => rule.router === undefined);
  return {
    ...(routes.length > 0 ? { routes } : {}),
    ...(rules.length > 0 ? { rules } : {}),
    ...(input.staticAddresses?.length ? { staticAddresses: input.staticAddresses } : {}),
  };
}

function familyOf(router: LinuxRouterInput): 4 | 6 {
  if (router.family === 4 || router.family === 6) return router.family;
  const first = router.virtualAddresses[0];
  return typeof first === 'string' && isIP(first) === 6 ? 6 : 4;
}

/** The interface a router's VIPs live on (its VMAC with useVmac, else its interface), and the one it runs on. */
function homes(router: LinuxRouterInput, where: string, vmacName: string | undefined): { vips: string; runs: string } {
  const plan = planVmac(
    router.useVmac,
    {
      name: router.name,
      interface: router.interface,
      vrid: router.vrid,
      family: familyOf(router),
      ...(router.unicastPeers ? { unicastPeers: router.unicastPeers } : {}),
    },
    where,
    { xmitBase: router.vmacXmitBase, name: vmacName },
  );
  // An ipvlan (use_ipvlan) is where the router runs and its VIPs live, as a VMAC without vmac_xmit_base.
  const vips = plan?.name ?? (router.useIpvlan !== undefined ? vmacName : undefined) ?? router.interface;
  return { vips, runs: plan?.xmitBase === true ? router.interface : vips };
}

/** Each router's VMAC or ipvlan name (an ipvlan is named as a VMAC is). */
function vmacNamesOf(routers: readonly LinuxRouterInput[]): (string | undefined)[] {
  return vmacNames(
    routers.map((router) => ({
      ...router,
      ...(router.useIpvlan !== undefined ? { useVmac: router.useIpvlan?.name ?? true } : {}),
      family: familyOf(router),
    })),
  );
}

/**
 * The running instances a reload deletes, as keepalived 2.2.7's reload decides it (vrrp.c vrrp_exist):
 * those no new instance matches by VRID, address family and interface, whatever the names.
 */
export function deletedByReload(running: readonly InstanceInput[], next: readonly InstanceInput[]): string[] {
  const identity = ({ router }: InstanceInput) => `${router.vrid} ${familyOf(router)} ${router.interface}`;
  const kept = new Set(next.map(identity));
  return running.filter((instance) => !kept.has(identity(instance))).map((instance) => instance.name);
}

/**
 * Splits a configuration into instances and checks, without touching the network, what the runtime
 * would otherwise only find at start (so that `-t` finds it too). Throws ConfigError naming the field.
 */
export function splitInstances(input: LinuxEngineInput): InstanceInput[] {
  if (!Array.isArray(input.routers) || input.routers.length === 0)
    throw new ConfigError('routers', 'no virtual router is configured');
  const names = new Map<string, number>();
  const vrids = new Map<string, number>();
  const vipHomes: string[] = [];
  const vmacs = vmacNamesOf(input.routers);
  input.routers.forEach((router, index) => {
    const where = `routers[${index}]`;
    const first = names.get(router.name);
    if (first !== undefined)
      throw new ConfigError(`${where}.name`, `${JSON.stringify(router.name)} is also the name of routers[${first}]`);
    names.set(router.name, index);
    const {
      useVmac: _useVmac,
      useIpvlan: _useIpvlan,
      vmacXmitBase: _vmacXmitBase,
      promoteSecondaries: _promote,
      ...rest
    } = router;
    // The runtime reads a missing primaryAddress from the interface; any address of the family does here.
    const family = familyOf(router);
    const config = buildRouterConfig(
      { ...rest, primaryAddress: router.primaryAddress ?? (family === 4 ? '0.0.0.1' : 'fe80::1') },
      where,
    );
    const { vips: vipHome, runs: home } = homes(router, where, vmacs[index]);
    vipHomes.push(vipHome);
    const key = `${home}/${config.family}/${config.vrid}`;
    const other = vrids.get(key);
    if (other !== undefined)
      throw new ConfigError(
        `${where}.vrid`,
        `VRID ${config.vrid} on ${home} (IPv${config.family}) is already used by routers[${other}]`,
      );
    vrids.set(key, index);
  });
  const vipsOf = input.routers.map((): LinuxVipSpec[] => []);
  (input.vips ?? []).forEach((vip, index) => {
    const address = canonicalAddress(vip.address)?.address;
    const holders = input.routers
      .map((_, i) => i)
      .filter((i) =>
        [...input.routers[i]!.virtualAddresses, ...(input.routers[i]!.excludedAddresses ?? [])].some(
          (a) => canonicalAddress(a)?.address === address,
        ),
      );
    // On the instance's own interface (or VMAC) as before; on another one (keepalived `dev`) the one instance holding it.
    const home = holders.find((i) => vip.interface === input.routers[i]!.interface || vip.interface === vipHomes[i]);
    const owner = home ?? (holders.length === 1 ? holders[0]! : -1);
    if (owner === -1) {
      const why =
        holders.length > 1
          ? 'is held by several instances, none on that interface'
          : 'is not a virtual or excluded address of any instance';
      throw new ConfigError(`vips[${index}].address`, `${vip.address} on ${vip.interface} ${why}`);
    }
    vipsOf[owner]!.push(vip);
  });
  return input.routers.map((router, index) => {
    const routes = (input.routes ?? []).filter((route) => route.router === router.name);
    const rules = (input.rules ?? []).filter((rule) => rule.router === router.name);
    return {
      name: router.name,
      router,
      vips: vipsOf[index]!,
      ...(routes.length > 0 ? { routes } : {}),
      ...(rules.length > 0 ? { rules } : {}),
    };
  });
}

/** The runtime's settings that belong to no instance (global_defs, garp_group): one list for the type and both copies. */
const SETTING_KEYS = [
  'scheduling',
  'announceSpacing',
  'receiveBuffers',
  'netlinkBuffers',
  'nftables',
  'splitBrain',
  'disableLocalIgmp',
  'linkDelays',
  'polledLinks',
] as const satisfies readonly (keyof LinuxEngineInput)[];

type SettingKey = (typeof SETTING_KEYS)[number];

/** The runtime's settings (SETTING_KEYS) and the static entries (static addresses, routes and rules: added whatever the states). */
export type RuntimeSettings = Pick<LinuxEngineInput, SettingKey> & StaticEntries;

/** The settings `source` sets (a false or empty one is left out, as the runtime's default). */
function settingsOf(source: Pick<LinuxEngineInput, SettingKey>): Pick<LinuxEngineInput, SettingKey> {
  const picked: Partial<Record<SettingKey, unknown>> = {};
  for (const key of SETTING_KEYS) if (source[key]) picked[key] = source[key];
  return picked as Pick<LinuxEngineInput, SettingKey>;
}

/** An input's settings and static entries, without its routers and their own routes, rules and VIPs. */
export function runtimeSettings(input: LinuxEngineInput): RuntimeSettings {
  return { ...settingsOf(input), ...staticsOf(input) };
}

/** The runtime's input for a set of instances (routers, VipSpecs, routes and rules) and the settings. */
export function engineInput(instances: readonly InstanceInput[], settings: RuntimeSettings = {}): LinuxEngineInput {
  const vips = instances.flatMap((instance) => instance.vips);
  const routes = [...instances.flatMap((instance) => instance.routes ?? []), ...(settings.routes ?? [])];
  const rules = [...instances.flatMap((instance) => instance.rules ?? []), ...(settings.rules ?? [])];
  return {
    routers: instances.map((instance) => instance.router),
    ...(vips.length > 0 ? { vips } : {}),
    ...(routes.length > 0 ? { routes } : {}),
    ...(rules.length > 0 ? { rules } : {}),
    ...(settings.staticAddresses?.length ? { staticAddresses: settings.staticAddresses } : {}),
    ...settingsOf(settings),
  };
}

/** One instance's share of the runtime's counters: its router, and the interface it runs on. */
export function instanceCounters(all: EngineCounters, config: VirtualRouterConfig): EngineCounters {
  return {
    routers: all.routers.filter((r) => r.router === config.name),
    interfaces: all.interfaces.filter((i) => i.interface === config.interface),
  };
}

/** What a reload did, by instance name (see ApplyResult); `failed` ones keep their previous settings if they ran. */
export interface ReloadResult extends Omit<ApplyResult, 'failed'> {
  readonly failed: readonly string[];
}

export interface TransitionRecord {
  readonly at: string;
  readonly from: RouterState;
  readonly to: RouterState;
  readonly reason: string;
}

/** A check an instance tracks, as `vrrpd status` shows it: the check's state and this instance's weight. */
export interface TrackedCheck {
  readonly name: string;
  readonly kind: string;
  /** false also before a check's first result, when the check has not reported yet. */
  readonly up: boolean;
  /** 0: the instance goes to Fault while the check is down (keepalived's weight 0). */
  readonly weight: number;
  readonly reverse?: boolean;
  /** A file check's number. */
  readonly value?: number;
  readonly lastResult: string;
}

/** What `vrrpd status` shows per instance. */
export interface InstanceStatus {
  readonly instance: string;
  readonly interface: string;
  readonly vrid: number;
  readonly family: number;
  readonly version: number;
  readonly state: RouterState;
  readonly priority: number;
  readonly effectivePriority: number;
  readonly master: string | null;
  readonly virtualAddresses: readonly string[];
  readonly lastTransition: TransitionRecord | null;
  readonly startedAt: string;
  /** Its track_script / track_interface / track_file / track_process entries, in configuration order. */
  readonly checks: readonly TrackedCheck[];
  /** virtual_ipaddress_excluded, only when there are some. */
  readonly excludedAddresses?: readonly string[];
  /** Its addresses claimed by another node now (split brain), only when there are some. */
  readonly conflicts?: readonly ReportedConflict[];
  /** The latest VRID collisions and mismatches reported for it, only when there are some. */
  readonly collisions?: readonly string[];
}

export interface InstanceStats {
  readonly instance: string;
  readonly becameMaster: number;
  readonly releasedMaster: number;
  readonly transitions: number;
  readonly counters: EngineCounters;
}

/** One instance's router as the dumps read it (the shape of a one-router runtime handle). */
export interface InstanceView {
  readonly routers: readonly VirtualRouterConfig[];
  snapshot(): RouterSnapshot[];
}

/** Per instance: since when it runs with its current identity, and its transitions. */
interface InstanceRecord {
  input: InstanceInput;
  readonly startedAt: string;
  lastTransition: TransitionRecord | null;
  becameMaster: number;
  releasedMaster: number;
  transitions: number;
}

/**
 * vrrpd's instances as `vrrpd status` and the dumps show them: a view over the one runtime, which owns
 * their lifecycle (its apply queue, its stop-advert gate). Beside the routers it keeps only what the
 * runtime does not: the health plan that runs with them, each instance's start time and transition
 * counts, and the configuration order. Start, reload and stop hand the work to the runtime; a reload's
 * new checks go in with its apply (ApplyOptions.afterApply), in the same turn of the runtime's queue.
 */
export class InstanceSet {
  private runtime: LinuxEngineHandle | undefined;
  /** startAll under way: a stop (a fatal error while starting) waits for it. */
  private starting: Promise<void> | undefined;
  /** The health plan running beside the instances (checks, tracks, notify, sync groups). */
  private health: { handle: HealthHandle; plan: HealthPlan } | undefined;
  private readonly records = new Map<string, InstanceRecord>();
  /** Instance names in configuration order: status and dumps list them so. */
  private order: readonly string[] = [];
  private readonly logger: RuntimeLogger;

  constructor(logger: RuntimeLogger) {
    this.logger = logger;
  }

  /**
   * Lets a stop signal send the Masters' priority-0 adverts at once: the runtime's gate
   * (LinuxEngineHandle.armStopAdverts), shut by itself while an apply is queued. Not for -V.
   */
  armStopAdverts(on: boolean): void {
    this.runtime?.armStopAdverts(on);
  }

  /** Starts every instance in one runtime; rejects (nothing left running) if it cannot start. */
  startAll(instances: readonly InstanceInput[], health?: HealthPlan, settings?: RuntimeSettings): Promise<void> {
    this.starting = this.start(instances, health, settings);
    return this.starting;
  }

  private async start(
    instances: readonly InstanceInput[],
    health: HealthPlan | undefined,
    settings: RuntimeSettings | undefined,
  ): Promise<void> {
    // Health starts before the engine: notify scripts see the startup transitions as they happen, and
    // a check that fails from the start (init_fail) is what its router starts with.
    const runtime = await startLinuxEngine(
      { ...engineInput(instances, settings), logger: this.logger },
      {
        beforeStart: (handle) => {
          this.runtime = handle;
          if (health !== undefined) this.runHealth(health, handle);
        },
      },
    ).catch(async (error: unknown) => {
      this.runtime = undefined;
      // beforeStart may have started the checks: their commands must not outlive the failure.
      await this.health?.handle.stop();
      this.health = undefined;
      throw error;
    });
    this.runtime = runtime;
    runtime.engine.on('stateChange', (e) => {
      const record = this.records.get(e.router);
      if (record === undefined) return;
      record.lastTransition = { at: new Date().toISOString(), from: e.from, to: e.to, reason: e.reason };
      record.transitions++;
      if (e.to === 'Master') record.becameMaster++;
      if (e.from === 'Master') record.releasedMaster++;
    });
    this.order = instances.map((i) => i.name);
    for (const instance of instances) this.recordStart(instance);
  }

  /**
   * Applies a new, already checked configuration through the runtime's `apply`, the health plan with
   * it. Rejects with ConfigError (nothing changed) if the runtime finds a mistake the offline checks
   * could not.
   */
  async reload(next: readonly InstanceInput[], health?: HealthPlan, settings?: RuntimeSettings): Promise<ReloadResult> {
    const runtime = this.requireRuntime();
    // Instances the new file no longer has are deleted: they notify FAULT or DELETED, not STOP.
    const running = this.health?.handle;
    running?.markDeleting(
      deletedByReload(
        this.ordered().map((record) => record.input),
        next,
      ),
    );
    let result: Awaited<ReturnType<LinuxEngineHandle['apply']>>;
    try {
      result = await runtime.apply(engineInput(next, settings), {
        afterApply: (applied) => {
          if (health !== undefined) this.runHealth(health, runtime);
          this.recordApplied(next, applied, runtime);
        },
      });
    } finally {
      running?.markDeleting([]);
    }
    for (const { name, error } of result.failed) {
      const kept = this.records.has(name);
      this.logger.error(
        { event: 'error', operation: 'reload', router: name, error: errorFields(error) },
        `${name}: cannot start with the new configuration: ${error.message}${kept ? '; it keeps running with its previous one' : ''}`,
      );
    }
    return { ...result, failed: result.failed.map((f) => f.name) };
  }

  /** The records after an apply: new ones for started instances, the new input for kept ones. */
  private recordApplied(next: readonly InstanceInput[], result: ApplyResult, runtime: LinuxEngineHandle): void {
    const byName = new Map(next.map((instance) => [instance.name, instance]));
    for (const name of result.removed) this.records.delete(name);
    for (const name of [...result.replaced, ...result.added]) {
      if (runtime.engine.routerConfig(name) === undefined)
        this.records.delete(name); // replaced, then failed to start
      else this.recordStart(byName.get(name)!);
    }
    for (const name of [...result.unchanged, ...result.reconfigured]) this.records.get(name)!.input = byName.get(name)!;
    this.order = next.map((i) => i.name);
  }

  /**
   * Stops everything, once a start or the reloads under way are done; `release` false (keepalived -V)
   * leaves VIPs and sends no priority-0 advert.
   */
  async stop(release: boolean): Promise<void> {
    await this.starting?.catch(() => undefined);
    const runtime = this.runtime;
    // The stop sends the priority-0 adverts itself: a signal during it sends nothing more.
    runtime?.armStopAdverts(false);
    // -V: the process exits with the routers as they are; the kernel closes the sockets.
    await runtime?.stop({ release });
    this.runtime = undefined;
    this.records.clear();
    // After the runtime: its STOP state changes run notify_stop, which this waits for.
    await this.health?.handle.stop();
    this.health = undefined;
  }

  /** The running engine (its /metrics), if the instances run. */
  runningEngine(): Engine | undefined {
    return this.runtime?.engine;
  }

  /** The checks' status (`vrrpd status --json`, dumps). */
  healthStatus(): ReturnType<HealthHandle['status']> {
    return this.health?.handle.status() ?? [];
  }

  /** Starts a health plan, or replaces the running one (a reload): tracks it dropped are neutralised. */
  private runHealth(plan: HealthPlan, runtime: LinuxEngineHandle): void {
    const handle = replaceHealth(this.health, plan, {
      engine: runtime.engine,
      links: runtime.links,
      logger: this.logger,
    });
    this.health = { handle, plan };
  }

  names(): string[] {
    return this.ordered().map((r) => r.input.name);
  }

  /** Every instance's tracked checks, by instance name. */
  private trackedChecks(): Map<string, TrackedCheck[]> {
    const byInstance = new Map<string, TrackedCheck[]>();
    if (this.health === undefined) return byInstance;
    const checks = new Map(this.health.handle.status().map((c) => [c.name, c]));
    for (const track of this.health.plan.tracks) {
      const check = checks.get(track.check);
      const entry: TrackedCheck = {
        name: track.check,
        kind: check?.kind ?? 'unknown',
        up: check?.up ?? false,
        weight: track.weight,
        ...(track.reverse === true ? { reverse: true } : {}),
        ...(check?.value !== undefined ? { value: check.value } : {}),
        lastResult: check?.lastResult ?? 'not running',
      };
      byInstance.set(track.router, [...(byInstance.get(track.router) ?? []), entry]);
    }
    return byInstance;
  }

  /** Address conflicts open now and the counts since start; undefined while not running. */
  conflicts(): ConflictReport | undefined {
    return this.runtime?.conflicts();
  }

  status(): InstanceStatus[] {
    const checks = this.trackedChecks();
    const report = this.runtime?.conflicts();
    return this.ordered().flatMap((r) => {
      const mine = report?.active.filter((c) => c.router === r.input.name) ?? [];
      const collisions = report?.collisions.filter((c) => c.router === r.input.name).map((c) => c.detail) ?? [];
      const view = this.view(r.input.name);
      if (view === undefined) return [];
      const { config, snap } = view;
      const master =
        snap.state === 'Master' ? config.primaryAddress : snap.state === 'Backup' ? (snap.masterAddress ?? null) : null;
      return [
        {
          instance: config.name,
          interface: config.interface,
          vrid: config.vrid,
          family: config.family,
          version: config.version,
          state: snap.state,
          priority: snap.basePriority,
          effectivePriority: snap.effectivePriority,
          master,
          virtualAddresses: config.virtualAddresses,
          lastTransition: r.lastTransition,
          startedAt: r.startedAt,
          checks: checks.get(config.name) ?? [],
          ...(config.excludedAddresses !== undefined && config.excludedAddresses.length > 0
            ? { excludedAddresses: config.excludedAddresses }
            : {}),
          ...(mine.length > 0 ? { conflicts: mine } : {}),
          ...(collisions.length > 0 ? { collisions } : {}),
        },
      ];
    });
  }

  stats(): InstanceStats[] {
    const all = this.runtime?.counters();
    return this.ordered().flatMap((r) => {
      const config = this.runtime?.engine.routerConfig(r.input.name);
      if (all === undefined || config === undefined) return [];
      return [
        {
          instance: r.input.name,
          becameMaster: r.becameMaster,
          releasedMaster: r.releasedMaster,
          transitions: r.transitions,
          counters: instanceCounters(all, config),
        },
      ];
    });
  }

  /**
   * keepalived's STATS_CLEAR: the counters the stats dump reports start again from zero (the engine's
   * per router and per interface, each instance's transition counts); state and last transition stay.
   */
  clearStats(): void {
    this.runtime?.engine.clearCounters();
    for (const record of this.records.values()) {
      record.becameMaster = 0;
      record.releasedMaster = 0;
      record.transitions = 0;
    }
  }

  /** The running routers' full settings (as the runtime resolved them), for the data dump. */
  handles(): { readonly name: string; readonly handle: InstanceView; readonly vips: readonly LinuxVipSpec[] }[] {
    return this.ordered().flatMap((r) => {
      const view = this.view(r.input.name);
      if (view === undefined) return [];
      const handle: InstanceView = { routers: [view.config], snapshot: () => [view.snap] };
      return [{ name: r.input.name, handle, vips: r.input.vips }];
    });
  }

  private ordered(): InstanceRecord[] {
    return this.order.map((name) => this.records.get(name)).filter((r): r is InstanceRecord => r !== undefined);
  }

  private view(name: string): { config: VirtualRouterConfig; snap: RouterSnapshot } | undefined {
    const config = this.runtime?.engine.routerConfig(name);
    const snap = this.runtime?.snapshot().find((s) => s.name === name);
    return config === undefined || snap === undefined ? undefined : { config, snap };
  }

  private requireRuntime(): LinuxEngineHandle {
    if (this.runtime === undefined) throw new Error('vrrpd: no instances are running');
    return this.runtime;
  }

  /**
   * A new record for an instance that just started (at start, or added or replaced by a reload). Its
   * startup transition (an owner going Master) already happened inside the runtime: the snapshot has it.
   */
  private recordStart(instance: InstanceInput): void {
    const record: InstanceRecord = {
      input: instance,
      startedAt: new Date().toISOString(),
      lastTransition: null,
      becameMaster: 0,
      releasedMaster: 0,
      transitions: 0,
    };
    const initial = this.runtime?.snapshot().find((s) => s.name === instance.name);
    if (initial?.lastTransition !== undefined) {
      record.lastTransition = {
        at: record.startedAt,
        from: 'Initialize',
        to: initial.state,
        reason: initial.lastTransition.reason,
      };
      record.transitions = 1;
      if (initial.state === 'Master') record.becameMaster = 1;
    }
    this.records.set(instance.name, record);
  }
}
