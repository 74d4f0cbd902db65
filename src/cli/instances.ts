// vrrpd's routers, one Linux runtime per instance. A runtime cannot add or remove routers while it
// runs, so each vrrp_instance gets its own: a reload (SIGHUP) then stops only the instances that were
// removed or changed and starts only the new or changed ones, while unchanged ones keep running
// untouched (a Master stays Master, keeps its VIPs and never misses an advert).
// The cost: one raw socket per instance and family on an interface (each sees every VRRP packet on
// it, so adverts for unknown VRIDs are logged here, once, rather than by each runtime) and one
// link-watcher helper process per instance.

import { isIP } from 'node:net';
import { buildRouterConfig } from '../config/router-config.js';
import { ConfigError } from '../config/errors.js';
import type { RouterState } from '../core/types.js';
import type { DroppedEvent, EngineCounters } from '../engine/events.js';
import { canonicalAddress, type VipSpec } from '../linux/addresses.js';
import { errorFields, LogRateLimiter, type RuntimeLogger } from '../linux/event-log.js';
import { startLinuxEngine, type LinuxEngineHandle, type LinuxEngineInput, type LinuxRouterInput } from '../linux/runtime.js';
import { planVmac } from '../linux/vmac.js';

/** One vrrp_instance: its router, the VipSpecs of its VIPs, and a key that changes when either does. */
export interface InstanceInput {
  readonly name: string;
  readonly router: LinuxRouterInput;
  readonly vips: readonly VipSpec[];
  readonly key: string;
  /** The key without the priority: equal keys here and a new priority is a change made in place. */
  readonly keyBesidesPriority: string;
}

/** JSON with sorted object keys, so that key order in a file is not a change. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function familyOf(router: LinuxRouterInput): 4 | 6 {
  if (router.family === 4 || router.family === 6) return router.family;
  const first = router.virtualAddresses[0];
  return typeof first === 'string' && isIP(first) === 6 ? 6 : 4;
}

/** The interface a router's VIPs live on: its VMAC with useVmac, else its interface. */
function vipInterface(router: LinuxRouterInput, where: string): string {
  const plan = planVmac(router.useVmac, { name: router.name, interface: router.interface, vrid: router.vrid, family: familyOf(router) }, where);
  return plan?.name ?? router.interface;
}

/**
 * Splits a configuration into instances and checks, without touching the network, what the runtime
 * would otherwise only find at start: so that a reload is refused before any instance is stopped.
 * Throws ConfigError naming the field.
 */
export function splitInstances(input: LinuxEngineInput): InstanceInput[] {
  if (!Array.isArray(input.routers) || input.routers.length === 0) throw new ConfigError('routers', 'no virtual router is configured');
  const names = new Map<string, number>();
  const vrids = new Map<string, number>();
  const vipHomes: string[] = [];
  input.routers.forEach((router, index) => {
    const where = `routers[${index}]`;
    const first = names.get(router.name);
    if (first !== undefined) throw new ConfigError(`${where}.name`, `${JSON.stringify(router.name)} is also the name of routers[${first}]`);
    names.set(router.name, index);
    const { useVmac: _useVmac, ...rest } = router;
    // The runtime reads a missing primaryAddress from the interface; any address of the family does here.
    const family = familyOf(router);
    const config = buildRouterConfig({ ...rest, primaryAddress: router.primaryAddress ?? (family === 4 ? '0.0.0.1' : 'fe80::1') }, where);
    if (!config.acceptMode) throw new ConfigError(`${where}.acceptMode`, 'false is not supported on Linux yet');
    const home = vipInterface(router, where);
    vipHomes.push(home);
    const key = `${home}/${config.family}/${config.vrid}`;
    const other = vrids.get(key);
    if (other !== undefined) throw new ConfigError(`${where}.vrid`, `VRID ${config.vrid} on ${home} (IPv${config.family}) is already used by routers[${other}]`);
    vrids.set(key, index);
  });
  const vipsOf = input.routers.map((): VipSpec[] => []);
  (input.vips ?? []).forEach((vip, index) => {
    const address = canonicalAddress(vip.address)?.address;
    const owner = input.routers.findIndex(
      (router, i) =>
        (vip.interface === router.interface || vip.interface === vipHomes[i]) &&
        router.virtualAddresses.some((a) => canonicalAddress(a)?.address === address),
    );
    if (owner === -1) throw new ConfigError(`vips[${index}].address`, `${vip.address} on ${vip.interface} is not a virtual address of any instance`);
    vipsOf[owner]!.push(vip);
  });
  return input.routers.map((router, index) => ({
    name: router.name,
    router,
    vips: vipsOf[index]!,
    key: canonicalJson({ router, vips: vipsOf[index] }),
    keyBesidesPriority: canonicalJson({ router: { ...router, priority: undefined }, vips: vipsOf[index] }),
  }));
}

export interface ReloadPlan {
  readonly unchanged: readonly string[];
  /** Only the priority changed (neither old nor new is the owner's 255): set in place, no restart. */
  readonly reprioritized: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly added: readonly string[];
}

/** keepalived's default priority, which an instance without one runs at. */
const DEFAULT_PRIORITY = 100;

function isOwner(instance: InstanceInput): boolean {
  return (instance.router.priority ?? DEFAULT_PRIORITY) === 255;
}

export function planReload(running: ReadonlyMap<string, { readonly input: InstanceInput }>, next: readonly InstanceInput[]): ReloadPlan {
  const nextByName = new Map(next.map((instance) => [instance.name, instance]));
  const unchanged: string[] = [];
  const reprioritized: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [name, current] of running) {
    const wanted = nextByName.get(name);
    if (wanted === undefined) removed.push(name);
    else if (wanted.key === current.input.key) unchanged.push(name);
    // An owner (255) starts as Master and never waits: going to or from it is a restart.
    else if (wanted.keyBesidesPriority === current.input.keyBesidesPriority && !isOwner(wanted) && !isOwner(current.input)) reprioritized.push(name);
    else changed.push(name);
  }
  const added = next.filter((instance) => !running.has(instance.name)).map((instance) => instance.name);
  return { unchanged, reprioritized, removed, changed, added };
}

export interface TransitionRecord {
  readonly at: string;
  readonly from: RouterState;
  readonly to: RouterState;
  readonly reason: string;
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
}

export interface InstanceStats {
  readonly instance: string;
  readonly becameMaster: number;
  readonly releasedMaster: number;
  readonly transitions: number;
  readonly counters: EngineCounters;
}

interface Running {
  input: InstanceInput;
  readonly handle: LinuxEngineHandle;
  readonly startedAt: string;
  lastTransition: TransitionRecord | null;
  becameMaster: number;
  releasedMaster: number;
  transitions: number;
}

/** "VRID 53 over IPv4", the demux's detail for an unknown VRID. */
function unknownVrid(detail: string | undefined): { vrid: number; family: number } | undefined {
  const match = /VRID (\d+) over IPv([46])/.exec(detail ?? '');
  return match ? { vrid: Number(match[1]), family: Number(match[2]) } : undefined;
}

/**
 * The runtimes' own "unknown VRID" lines are left out: every instance's socket sees its sibling
 * instances' adverts, and the runtime's rate limit (one line a second) would let those crowd out a
 * real stranger's. InstanceSet logs the real ones itself (see onDropped). Anything else passes.
 */
function withoutUnknownVrid(logger: RuntimeLogger): RuntimeLogger {
  return {
    trace: (o, m) => logger.trace(o, m),
    debug: (o, m) => logger.debug(o, m),
    info: (o, m) => logger.info(o, m),
    warn: (o, m) => {
      if (o.event === 'dropped' && o.router === undefined && o.reason === 'unknown-vrid') return;
      logger.warn(o, m);
    },
    error: (o, m) => logger.error(o, m),
    ...(logger.isLevelEnabled ? { isLevelEnabled: (level: string) => logger.isLevelEnabled!(level) } : {}),
  };
}

export class InstanceSet {
  private readonly running = new Map<string, Running>();
  /** Instance names in configuration order: status and dumps list them so, whatever order they started in. */
  private order: readonly string[] = [];
  /** `interface/family/vrid` of every configured instance, running yet or not: our own adverts. */
  private ours = new Set<string>();
  private readonly logger: RuntimeLogger;
  private readonly filtered: RuntimeLogger;
  private readonly strangers = new LogRateLimiter();
  /** Start, reload and stop run one at a time: a SIGHUP during a reload waits for it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(logger: RuntimeLogger) {
    this.logger = logger;
    this.filtered = withoutUnknownVrid(logger);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Starts every instance, all at once (each start waits for its own link-watcher helper). If one
   * cannot start, the others are stopped and the first error is thrown.
   */
  startAll(instances: readonly InstanceInput[]): Promise<void> {
    return this.serial(async () => {
      this.configure(instances);
      const results = await Promise.allSettled(instances.map((instance) => this.startOne(instance)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure !== undefined) {
        await this.stopAll(true);
        throw failure.reason;
      }
    });
  }

  /**
   * Applies a new, already validated configuration: unchanged instances are left alone, removed and
   * changed ones get a graceful stop, changed and added ones are started. A changed instance whose
   * new settings cannot start (its interface has no address, ...) is started again with its old ones.
   */
  reload(next: readonly InstanceInput[]): Promise<ReloadPlan & { readonly failed: readonly string[] }> {
    return this.serial(async () => {
      const plan = planReload(this.running, next);
      this.configure(next);
      const previous = new Map([...this.running].map(([name, r]) => [name, r.input]));
      for (const name of plan.reprioritized) {
        const entry = this.running.get(name)!;
        const instance = next.find((i) => i.name === name)!;
        entry.handle.engine.input(name, { kind: 'setPriority', priority: instance.router.priority ?? DEFAULT_PRIORITY });
        entry.input = instance;
      }
      await Promise.all(
        [...plan.removed, ...plan.changed].map((name) =>
          this.stopOne(name, true).catch((error: unknown) =>
            this.logger.error({ event: 'error', operation: 'reload', router: name, error: errorFields(error) }, `${name}: stop failed`),
          ),
        ),
      );
      const failed: string[] = [];
      await Promise.all([...plan.changed, ...plan.added].map(async (name) => {
        const instance = next.find((i) => i.name === name)!;
        try {
          await this.startOne(instance);
        } catch (error) {
          failed.push(name);
          this.logger.error(
            { event: 'error', operation: 'reload', router: name, error: errorFields(error) },
            `${name}: cannot start with the new configuration: ${(error as Error).message}`,
          );
          const old = previous.get(name);
          if (old === undefined) return;
          try {
            await this.startOne(old);
            this.logger.warn({ event: 'notice', notice: 'reload-kept-old', router: name }, `${name}: running its previous configuration again`);
          } catch (again) {
            this.logger.error({ event: 'error', operation: 'reload', router: name, error: errorFields(again) }, `${name}: previous configuration failed too`);
          }
        }
      }));
      return { ...plan, failed };
    });
  }

  /** Stops everything; `release` false (keepalived -V) leaves VIPs and sends no priority-0 advert. */
  stop(release: boolean): Promise<void> {
    return this.serial(() => this.stopAll(release));
  }

  private configure(instances: readonly InstanceInput[]): void {
    this.order = instances.map((i) => i.name);
    this.ours = new Set(instances.map((i) => `${vipInterface(i.router, i.name)}/${familyOf(i.router)}/${i.router.vrid}`));
  }

  names(): string[] {
    return this.ordered().map((r) => r.input.name);
  }

  private ordered(): Running[] {
    const rank = (name: string) => {
      const index = this.order.indexOf(name);
      return index === -1 ? this.order.length : index;
    };
    return [...this.running.values()].sort((a, b) => rank(a.input.name) - rank(b.input.name));
  }

  status(): InstanceStatus[] {
    return this.ordered().map((r) => {
      const config = r.handle.routers[0]!;
      const snap = r.handle.snapshot()[0]!;
      const master = snap.state === 'Master' ? config.primaryAddress : snap.state === 'Backup' ? (snap.masterAddress ?? null) : null;
      return {
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
      };
    });
  }

  stats(): InstanceStats[] {
    return this.ordered().map((r) => ({
      instance: r.input.name,
      becameMaster: r.becameMaster,
      releasedMaster: r.releasedMaster,
      transitions: r.transitions,
      counters: r.handle.counters(),
    }));
  }

  /** The running routers' full settings (as the runtime resolved them), for the data dump. */
  handles(): { readonly name: string; readonly handle: LinuxEngineHandle; readonly vips: readonly VipSpec[] }[] {
    return this.ordered().map((r) => ({ name: r.input.name, handle: r.handle, vips: r.input.vips }));
  }

  private async startOne(instance: InstanceInput): Promise<void> {
    const handle = await startLinuxEngine({
      routers: [instance.router],
      ...(instance.vips.length > 0 ? { vips: instance.vips } : {}),
      logger: this.filtered,
    });
    const entry: Running = {
      input: instance,
      handle,
      startedAt: new Date().toISOString(),
      lastTransition: null,
      becameMaster: 0,
      releasedMaster: 0,
      transitions: 0,
    };
    // The engine starts inside startLinuxEngine, so a transition at startup (an owner going Master)
    // is already past; the snapshot has it.
    const initial = handle.snapshot()[0];
    if (initial?.lastTransition !== undefined) {
      entry.lastTransition = { at: entry.startedAt, from: 'Initialize', to: initial.state, reason: initial.lastTransition.reason };
      entry.transitions = 1;
      if (initial.state === 'Master') entry.becameMaster = 1;
    }
    handle.engine.on('dropped', (e) => {
      if (e.router === undefined && e.reason === 'unknown-vrid') this.onUnknownVrid(instance.name, e);
    });
    handle.engine.on('stateChange', (e) => {
      entry.lastTransition = { at: new Date().toISOString(), from: e.from, to: e.to, reason: e.reason };
      entry.transitions++;
      if (e.to === 'Master') entry.becameMaster++;
      if (e.from === 'Master') entry.releasedMaster++;
    });
    this.running.set(instance.name, entry);
  }

  /**
   * An advert for a VRID no instance of ours runs: logged (rate-limited, with the running count) from
   * one instance's socket per interface and family, the first running one in configuration order, so
   * that one packet is counted once and not once per instance.
   */
  private onUnknownVrid(from: string, e: DroppedEvent): void {
    const parsed = unknownVrid(e.detail);
    const family = parsed?.family;
    if (parsed !== undefined && this.ours.has(`${e.interface}/${parsed.family}/${parsed.vrid}`)) return;
    const designated = this.ordered().find((r) => r.handle.routers[0]!.interface === e.interface && (family === undefined || r.handle.routers[0]!.family === family));
    if (designated !== undefined && designated.input.name !== from) return;
    const line = this.strangers.record(`${e.interface}/${family ?? '?'}`, e.atMs);
    if (line === undefined) return;
    this.logger.warn(
      { event: 'dropped', interface: e.interface, reason: e.reason, detail: e.detail, count: line.total, sinceLastLine: line.sinceLastLine },
      `${e.interface}: dropped a packet (unknown-vrid), ${line.total} so far`,
    );
  }

  private async stopOne(name: string, release: boolean): Promise<void> {
    const entry = this.running.get(name);
    if (entry === undefined) return;
    this.running.delete(name);
    if (release) await entry.handle.stop();
  }

  private async stopAll(release: boolean): Promise<void> {
    const errors: unknown[] = [];
    // Every instance at once: each sends its priority-0 advert now rather than after the others.
    await Promise.all(
      [...this.running.keys()].map((name) =>
        this.stopOne(name, release).catch((error: unknown) => {
          errors.push(error);
        }),
      ),
    );
    if (errors.length > 0) throw errors[0];
  }
}
