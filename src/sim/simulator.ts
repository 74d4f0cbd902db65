// The world: nodes running real Engines on simulated ports, LANs that carry the encoded bytes with
// latency, jitter, loss, duplication, reordering and partitions, a fault schedule, and the invariants
// checked after every step. Everything random comes from seeded streams and every tie in time is broken
// by scheduling order, so a (scenario, seed) pair replays bit for bit.

import { type SyncGroupCheck, SyncGroupCoordinator, type SyncGroupObservation } from '../core/sync-group.js';
import type { TransitionReason, VirtualRouterConfig } from '../core/types.js';
import { Engine } from '../engine/engine.js';
import type { AddressPort, EnginePorts, IncomingPacket, OutgoingPacket, PacketPort } from '../engine/ports.js';
import type { IpFamily, PacketMeta } from '../wire/types.js';
import { VRRP_MULTICAST_V4, VRRP_MULTICAST_V6, VRRP_TTL } from '../wire/types.js';
import { boundsFor } from './bounds.js';
import { NodeClock, type VirtualTimeSource } from './clock.js';
import { ConflictWatch } from './conflict-watch.js';
import { describeFault, reproduceCommand } from './describe.js';
import { EventQueue } from './event-queue.js';
import { drawRandomFaults } from './faults.js';
import {
  addressRank,
  checkVipHolding,
  formatSeconds,
  KeyWatch,
  type RouterView,
  type SimRouterState,
  type Violation,
} from './invariants.js';
import { renderSvg } from './picture.js';
import { Prng } from './prng.js';
import type { FaultEvent, InterfaceSpec, LanSpec, NodeSpec, RouterSpec, Scenario, TimedFault } from './scenario.js';
import { checkSyncGroup } from './sync-group-watch.js';
import { buildConfig, groupMembers, groupName } from './topology.js';
import { VipClaims, type VipConflict } from './vip-claims.js';

export interface SimulationOptions {
  readonly seed: number;
  /** Overrides the scenario's duration. */
  readonly durationMs?: number;
  /** Record timeline text (default true). The benchmark turns it off. */
  readonly timeline?: boolean;
  /** Render the SVG picture (default true). */
  readonly picture?: boolean;
  /** Also put every advert sent on the timeline (default false: it is the hot path). */
  readonly traceAdverts?: boolean;
  /** The scenario file, for the "reproduce with" line; omitted for the embedded default scenario. */
  readonly scenarioPath?: string;
  /**
   * Make a stale ARP view a violation (default false: it is only reported). Hosts learn a VIP's owner
   * from gratuitous ARPs / unsolicited NAs; once calm, the hosts that can reach the Master should point
   * at it (the "no GARP after a multi-master episode" field failure).
   */
  readonly checkArp?: boolean;
  /** Check each heal of a split LAN (see checkHeal; default true). */
  readonly checkHeal?: boolean;
}

export interface TransitionRecord {
  readonly atMs: number;
  readonly node: string;
  readonly router: string;
  readonly vrid: number;
  readonly from: SimRouterState;
  readonly to: SimRouterState;
  readonly reason: TransitionReason | 'crash' | 'stop' | 'restart';
  readonly priority: number;
}

export interface SimulationStats {
  readonly events: number;
  readonly advertsSent: number;
  readonly deliveries: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Deliveries with a bit flipped on the way. */
  readonly corrupted: number;
  readonly announcements: number;
  /** Re-announcements of a contested VIP by its Master (the daemon's resist, src/sim/conflict-watch.ts). */
  readonly resists: number;
  /** Conflicts the hosts' watches opened (a Master's, or a Backup's alternating claims). */
  readonly conflictsOpened: number;
}

export interface SimulationResult {
  readonly scenario: string;
  readonly seed: number;
  readonly ok: boolean;
  readonly violation: Violation | undefined;
  /** The command line that replays this run. */
  readonly reproduce: string;
  readonly endMs: number;
  readonly timeline: readonly string[];
  readonly svg: string | undefined;
  readonly transitions: readonly TransitionRecord[];
  /** The fault schedule as run (explicit events and the random draw, in time order). */
  readonly faults: readonly TimedFault[];
  readonly driftPpm: readonly { readonly node: string; readonly ppm: number }[];
  /** Stale ARP views seen at the liveness checks: `VIP: hosts near X point at Y, Master is Z`. */
  readonly staleArp: readonly string[];
  /** Heal checks' host views pointing at a node that was no longer Master at the heal (see checkHeal). */
  readonly orphanedArp: readonly string[];
  /** Heal checks' host views pointing at a loser that stepped down without an advert (see checkHeal). */
  readonly unsignalledArp: readonly string[];
  /** Heal checks' VIPs of the key no Master serves: a second cluster (another VIP set) on the VRID. */
  readonly unservedVips: readonly string[];
  /** Split brains per VIP (two live holders at once) and whether a holder heard the other's claim. */
  readonly vipConflicts: readonly VipConflict[];
  /** Heal checks run (see checkHealed) and skipped because something disturbed the key in the window. */
  readonly healChecks: { readonly checked: number; readonly skipped: number };
  readonly livenessFromMs: number | undefined;
  readonly finalRouters: readonly {
    readonly id: string;
    readonly state: SimRouterState;
    readonly effectivePriority: number;
  }[];
  readonly stats: SimulationStats;
}

// Stream numbers of the seed's independent PRNGs.
const STREAM_FAULTS = 1;
const STREAM_NETWORK = 2;
const STREAM_CLOCKS = 3;
/** More steps than this at one virtual instant means something re-arms a timer for "now" forever. */
const MAX_STEPS_PER_INSTANT = 200_000;

type SimEvent =
  | { readonly kind: 'timer'; readonly clock: NodeClock; readonly generation: number }
  | {
      readonly kind: 'deliver';
      readonly node: SimNode;
      readonly incarnation: number;
      readonly link: Link;
      readonly packet: IncomingPacket;
    }
  | { readonly kind: 'fault'; readonly fault: FaultEvent }
  | { readonly kind: 'livenessCheck' }
  /** A host's conflict watch looks at its open conflicts (ConflictWatch.check). */
  | { readonly kind: 'conflictCheck'; readonly node: SimNode; readonly incarnation: number }
  /** A sync group's check, run after the report that asked for it (SyncGroupCoordinator.decide). */
  | {
      readonly kind: 'syncGroup';
      readonly node: SimNode;
      readonly incarnation: number;
      readonly check: SyncGroupCheck;
    }
  | {
      readonly kind: 'healCheck';
      readonly key: GroupKey;
      readonly healAtMs: number;
      readonly contestants: ReadonlySet<SimNode>;
    };

interface Link {
  readonly node: SimNode;
  readonly spec: InterfaceSpec;
  readonly lan: SimLan;
  up: boolean;
  /** Partition group on the LAN; links hear each other only within one group. */
  group: number;
  /** VRRP-only partition group: adverts cross only within one, announcements ignore it. */
  advertGroup: number;
  /** What the hosts near this port believe owns each VIP, learnt from the last GARP / NA they heard. */
  readonly arpView: Map<string, SimNode>;
}

interface SimLan {
  readonly index: number;
  readonly spec: LanSpec;
  latencyMs: number;
  jitterMs: number;
  loss: number;
  duplicate: number;
  reorder: number;
  corrupt: number;
  /** One-way cuts, `from>to` by node name: nothing `from` sends reaches `to`. */
  readonly oneWayCuts: Set<string>;
  readonly links: Link[];
  readonly keys: GroupKey[];
}

/** One (LAN, family, VRID): the routers that compete for it and its invariant watch. */
interface GroupKey {
  readonly watch: KeyWatch;
  readonly lan: SimLan;
  readonly routers: SimRouter[];
  /** This key and every key a sync group ties to it, directly or through others (coupleSyncGroupKeys). */
  readonly coupled: GroupKey[];
}

interface SimRouter extends RouterView {
  readonly id: string;
  readonly node: SimNode;
  readonly spec: RouterSpec;
  readonly config: VirtualRouterConfig;
  readonly link: Link;
  readonly key: GroupKey;
  state: SimRouterState;
  effectivePriority: number;
  readonly addressRank: string;
  readonly preempt: boolean;
  readonly segments: { fromMs: number; state: SimRouterState }[];
}

interface SimNode {
  readonly index: number;
  readonly spec: NodeSpec;
  readonly rate: number;
  readonly driftPpm: number;
  readonly configs: readonly VirtualRouterConfig[];
  readonly links: Map<string, Link>;
  readonly routers: SimRouter[];
  readonly routerByName: Map<string, SimRouter>;
  readonly vipOwner: Map<string, SimRouter>;
  /** VIPs the host currently has on its interfaces (what `ip addr` would show). */
  readonly holdings: Set<string>;
  alive: boolean;
  incarnation: number;
  engine: Engine | undefined;
  clock: NodeClock | undefined;
  onPacket: ((packet: IncomingPacket) => void) | undefined;
  /** The node's vrrp_sync_groups, afresh with each engine; undefined when it has none. */
  syncGroups: SyncGroupCoordinator | undefined;
  /** The daemon's split-brain watch, afresh with each engine (src/sim/conflict-watch.ts). */
  conflicts: ConflictWatch | undefined;
}

export class Simulation implements VirtualTimeSource {
  nowMs = 0;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly net: Prng;
  private readonly lans: SimLan[] = [];
  private readonly nodes: SimNode[] = [];
  private readonly nodeByName = new Map<string, SimNode>();
  private readonly lanByName = new Map<string, SimLan>();
  private readonly keys: GroupKey[] = [];
  private readonly faults: TimedFault[];
  private readonly endMs: number;
  private readonly recordTimeline: boolean;
  private readonly lines: string[] = [];
  private readonly transitions: TransitionRecord[] = [];
  private readonly markers: { atMs: number; label: string }[] = [];
  private readonly staleArp: string[] = [];
  private readonly orphanedArp: string[] = [];
  private readonly unsignalledArp: string[] = [];
  private readonly unservedVips: string[] = [];
  private readonly claims = new VipClaims((text) => this.log('CONFLICT', text));
  private readonly healChecks = { checked: 0, skipped: 0 };
  // Invariant bookkeeping: what changed in this step, and the keys to check (changed, or still in a
  // two-Master episode whose clock is running).
  private readonly dirtyKeys = new Set<GroupKey>();
  private readonly dirtyRouters = new Set<SimRouter>();
  private readonly watched = new Set<GroupKey>();
  /** Nodes whose sync groups changed in this instant: checked at its end (checkSyncGroups). */
  private readonly dirtySyncNodes = new Set<SimNode>();
  private livenessFromMs: number | undefined;
  private livenessActive = false;
  private violation: Violation | undefined;
  private started = false;
  private readonly stats = {
    events: 0,
    advertsSent: 0,
    deliveries: 0,
    lost: 0,
    duplicated: 0,
    corrupted: 0,
    announcements: 0,
    resists: 0,
    conflictsOpened: 0,
  };

  constructor(
    private readonly scenario: Scenario,
    private readonly options: SimulationOptions,
  ) {
    const seed = options.seed;
    this.net = new Prng(seed, STREAM_NETWORK);
    this.endMs = options.durationMs ?? scenario.durationMs;
    this.recordTimeline = options.timeline ?? true;
    const clocks = new Prng(seed, STREAM_CLOCKS);

    scenario.lans.forEach((spec, index) => {
      const lan: SimLan = { index, spec, ...quality(spec), oneWayCuts: new Set(), links: [], keys: [] };
      this.lans.push(lan);
      this.lanByName.set(spec.name, lan);
    });
    const keyByName = new Map<string, GroupKey>();
    const members = groupMembers(scenario);
    scenario.nodes.forEach((spec, index) => {
      // Drawn node by node, in scenario order: the clocks stream depends on it.
      const driftPpm =
        spec.driftPpm ??
        (scenario.clockDriftPpm > 0 ? Math.round(clocks.between(-scenario.clockDriftPpm, scenario.clockDriftPpm)) : 0);
      const node = this.addNode(spec, index, driftPpm, nodeConfigs(spec, index, members));
      spec.routers.forEach((r, i) => this.addRouter(node, r, node.configs[i]!, keyByName));
    });
    coupleSyncGroupKeys(this.nodes);
    const maxAbsDriftPpm = Math.max(0, ...this.nodes.map((n) => Math.abs(n.driftPpm)));
    for (const key of this.keys) {
      key.watch.bounds = boundsFor(
        key.routers.map((r) => r.config),
        key.lan.spec,
        scenario,
        maxAbsDriftPpm,
      );
    }

    const random =
      scenario.randomFaults === undefined
        ? []
        : drawRandomFaults(scenario, scenario.randomFaults, new Prng(seed, STREAM_FAULTS));
    // Stable sort: explicit events first at equal times, then the random draw in drawing order.
    this.faults = [...scenario.events, ...random].sort((a, b) => a.atMs - b.atMs);
    if (scenario.checkLiveness) {
      this.livenessFromMs =
        scenario.livenessFromMs ?? (this.faults.length === 0 ? 0 : this.faults[this.faults.length - 1]!.atMs);
    }
  }

  /** A node and its links on their LANs; its routers come next (`addRouter`). */
  private addNode(spec: NodeSpec, index: number, driftPpm: number, configs: readonly VirtualRouterConfig[]): SimNode {
    const node: SimNode = {
      index,
      spec,
      rate: 1 + driftPpm / 1e6,
      driftPpm,
      configs,
      links: new Map(),
      routers: [],
      routerByName: new Map(),
      vipOwner: new Map(),
      holdings: new Set(),
      alive: false,
      incarnation: 0,
      engine: undefined,
      clock: undefined,
      onPacket: undefined,
      syncGroups: undefined,
      conflicts: undefined,
    };
    for (const f of spec.interfaces) {
      const lan = this.lanByName.get(f.lan)!;
      const link: Link = { node, spec: f, lan, up: true, group: 0, advertGroup: 0, arpView: new Map() };
      node.links.set(f.name, link);
      lan.links.push(link);
    }
    this.nodes.push(node);
    this.nodeByName.set(spec.name, node);
    return node;
  }

  /** A router of `node`, in the group key of its (LAN, family, VRID), made on first use. */
  private addRouter(node: SimNode, r: RouterSpec, config: VirtualRouterConfig, keyByName: Map<string, GroupKey>): void {
    const link = node.links.get(r.interface)!;
    const keyName = groupName(node.spec, r);
    let key = keyByName.get(keyName);
    if (key === undefined) {
      key = {
        watch: new KeyWatch(keyName, { graceMs: 0, resolveMs: 0, livenessMs: 0, healMs: 0 }),
        lan: link.lan,
        routers: [],
        coupled: [],
      };
      key.coupled.push(key);
      keyByName.set(keyName, key);
      this.keys.push(key);
      link.lan.keys.push(key);
    }
    const router: SimRouter = {
      id: `${node.spec.name}/${r.name}`,
      node,
      spec: r,
      config,
      link,
      key,
      state: 'Down',
      effectivePriority: r.priority,
      addressRank: addressRank(config.primaryAddress),
      preempt: r.preempt,
      segments: [],
    };
    key.routers.push(router);
    node.routers.push(router);
    node.routerByName.set(r.name, router);
    for (const vip of config.virtualAddresses) node.vipOwner.set(vip, router);
  }

  /** Runs the scenario to its end or to the first violation. A Simulation runs once. */
  run(): SimulationResult {
    if (this.started) throw new Error('Simulation.run(): a simulation runs once; make a new one to run again');
    this.started = true;
    this.log(
      'WORLD',
      `scenario ${this.scenario.name}, seed ${this.options.seed}, ${this.nodes.length} nodes, ${this.keys.length} VRID groups, ${formatSeconds(this.endMs)}`,
    );
    for (const node of this.nodes) {
      if (node.driftPpm !== 0) this.log('WORLD', `${node.spec.name} clock drift ${node.driftPpm} ppm`);
    }
    for (const fault of this.faults) this.queue.push(fault.atMs, { kind: 'fault', fault: fault.fault });
    if (this.livenessFromMs !== undefined) {
      const checkAtMs = this.livenessFromMs + Math.max(0, ...this.keys.map((k) => k.watch.bounds.livenessMs));
      if (checkAtMs <= this.endMs) this.queue.push(checkAtMs, { kind: 'livenessCheck' });
      else this.log('CHECK', `liveness not checked: the run ends before ${formatSeconds(checkAtMs)}`);
    }
    for (const node of this.nodes) this.restart(node, 'startup');
    this.checkStep();

    let instantMs = -1;
    let stepsThisInstant = 0;
    while (this.violation === undefined) {
      const next = this.queue.pop();
      if (next === undefined || this.queue.poppedAtMs > this.endMs) break;
      this.nowMs = this.queue.poppedAtMs;
      if (this.nowMs === instantMs) {
        if (++stepsThisInstant > MAX_STEPS_PER_INSTANT) {
          this.fail({
            invariant: 'livelock',
            atMs: this.nowMs,
            message: `more than ${MAX_STEPS_PER_INSTANT} steps at one instant`,
          });
          break;
        }
      } else {
        instantMs = this.nowMs;
        stepsThisInstant = 0;
      }
      this.stats.events++;
      try {
        this.dispatch(next);
      } catch (error) {
        this.fail({
          invariant: 'exception',
          atMs: this.nowMs,
          message: `exception: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        });
        break;
      }
      this.checkStep();
      if (this.dirtySyncNodes.size > 0 && this.violation === undefined && this.queue.peekMs() !== this.nowMs)
        this.checkSyncGroups();
    }
    if (this.violation === undefined) {
      this.nowMs = this.endMs;
      if (this.livenessActive) this.checkLivenessAll('end of run');
    }
    return this.result();
  }

  scheduleTimer(atMs: number, clock: NodeClock, generation: number): void {
    this.queue.push(atMs, { kind: 'timer', clock, generation });
  }

  // ---- events ----

  private dispatch(event: SimEvent): void {
    switch (event.kind) {
      case 'timer':
        event.clock.fire(event.generation);
        break;
      case 'deliver': {
        const node = event.node;
        if (node.incarnation !== event.incarnation || !node.alive || !event.link.up || node.onPacket === undefined)
          return;
        this.stats.deliveries++;
        node.onPacket(event.packet);
        break;
      }
      case 'fault':
        this.applyFault(event.fault);
        break;
      case 'livenessCheck':
        this.livenessActive = true;
        this.checkLivenessAll('liveness check');
        break;
      case 'healCheck':
        this.checkHeal(event.key, event.healAtMs, event.contestants);
        break;
      case 'syncGroup':
        this.decideSyncGroup(event.node, event.incarnation, event.check);
        break;
      case 'conflictCheck':
        if (event.node.incarnation === event.incarnation) event.node.conflicts?.check();
        break;
      default: {
        const unreachable: never = event;
        throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private applyFault(fault: FaultEvent): void {
    const label = describeFault(fault);
    this.markers.push({ atMs: this.nowMs, label });
    this.log('FAULT', label);
    switch (fault.kind) {
      case 'crash':
      case 'stop':
        return this.takeDown(this.node(fault.node), fault.kind);
      case 'restart':
        return this.restart(this.node(fault.node), 'restart');
      case 'linkDown':
      case 'linkUp':
        return this.setLink(this.node(fault.node), fault.interface, fault.kind === 'linkUp');
      case 'partition':
        return this.partition(fault);
      case 'oneWay': {
        const lan = this.lan(fault.lan);
        lan.oneWayCuts.add(`${fault.from}>${fault.to}`);
        return this.disturbLan(lan);
      }
      case 'heal': {
        const lan = this.lan(fault.lan);
        const wasSplit = healSplits(lan);
        this.disturbLan(lan);
        if (wasSplit) this.scheduleHealChecks(lan);
        return;
      }
      case 'setPriority':
        return this.setPriority(fault);
      case 'network':
        return this.changeQuality(fault);
      case 'healAll':
        return this.healAll();
      default: {
        const unreachable: never = fault;
        throw new Error(`unknown fault ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private partition(fault: Extract<FaultEvent, { kind: 'partition' }>): void {
    const lan = this.lan(fault.lan);
    for (const link of lan.links) {
      const found = fault.groups.findIndex((g) => g.includes(link.node.spec.name));
      const group = found < 0 ? fault.groups.length : found;
      if (fault.vrrpOnly === true) link.advertGroup = group;
      else link.group = group;
    }
    this.disturbLan(lan);
  }

  private setPriority(fault: Extract<FaultEvent, { kind: 'setPriority' }>): void {
    const node = this.node(fault.node);
    const router = node.routerByName.get(fault.router)!;
    this.disturbKey(router.key);
    this.dirtyKeys.add(router.key);
    if (node.alive && node.engine !== undefined)
      node.engine.input(fault.router, { kind: 'setPriority', priority: fault.priority });
    else this.log('FAULT', `(${node.spec.name} is down: nothing to change)`);
  }

  private changeQuality(fault: Extract<FaultEvent, { kind: 'network' }>): void {
    const lan = this.lan(fault.lan);
    if (fault.loss !== undefined) lan.loss = fault.loss;
    if (fault.duplicate !== undefined) lan.duplicate = fault.duplicate;
    if (fault.reorder !== undefined) lan.reorder = fault.reorder;
    if (fault.corrupt !== undefined) lan.corrupt = fault.corrupt;
    if (fault.latencyMs !== undefined) lan.latencyMs = fault.latencyMs;
    if (fault.jitterMs !== undefined) lan.jitterMs = fault.jitterMs;
    this.disturbLan(lan);
  }

  private healAll(): void {
    const healed: SimLan[] = [];
    for (const lan of this.lans) {
      // Calm means calm: no loss (three lost adverts in a row make a legitimate second Master),
      // no duplicates, no reordering, no corruption; the configured latency and jitter stay.
      Object.assign(lan, quality(lan.spec), { loss: 0, duplicate: 0, reorder: 0, corrupt: 0 });
      if (healSplits(lan)) healed.push(lan);
      this.disturbLan(lan);
    }
    for (const node of this.nodes) {
      for (const link of node.links.values()) if (!link.up) this.setLink(node, link.spec.name, true);
    }
    for (const node of this.nodes) if (!node.alive) this.restart(node, 'restart');
    for (const lan of healed) this.scheduleHealChecks(lan);
  }

  /** A crash (host gone, VIPs with it) or a clean stop (shutdown adverts, VIPs removed by the engine). */
  private takeDown(node: SimNode, how: 'crash' | 'stop'): void {
    if (!node.alive) {
      this.log('FAULT', `(${node.spec.name} is already down)`);
      return;
    }
    const engine = node.engine!;
    if (how === 'stop') {
      // The shutdown inputs run synchronously inside stop(); the sim ports leave nothing to await.
      engine
        .stop()
        .catch((error: unknown) =>
          this.fail({ invariant: 'exception', atMs: this.nowMs, message: `engine.stop: ${String(error)}` }),
        );
    }
    engine.removeAllListeners();
    node.alive = false;
    node.incarnation++;
    node.clock!.retire();
    node.engine = undefined;
    node.clock = undefined;
    node.onPacket = undefined;
    node.syncGroups = undefined;
    this.retireConflictWatch(node);
    const held = [...node.holdings];
    node.holdings.clear();
    for (const vip of held) this.vipHoldersChanged(vip);
    for (const router of node.routers) this.setRouterState(router, 'Down', how, router.effectivePriority);
    for (const link of node.links.values()) this.disturbLan(link.lan);
  }

  private restart(node: SimNode, why: 'startup' | 'restart'): void {
    if (node.alive) {
      this.log('FAULT', `(${node.spec.name} is already up)`);
      return;
    }
    node.alive = true;
    node.incarnation++;
    const incarnation = node.incarnation;
    const clock = new NodeClock(this, node.rate);
    const ports: EnginePorts = {
      time: clock,
      packets: this.packetPort(node, incarnation),
      addresses: this.addressPort(node, incarnation),
    };
    const engine = new Engine(node.configs, ports);
    node.clock = clock;
    node.engine = engine;
    node.conflicts = this.conflictWatch(node, clock, incarnation);
    this.wireEvents(node, engine);
    this.wireSyncGroups(node, engine, incarnation);
    for (const router of node.routers) {
      router.effectivePriority = router.config.priority;
      this.setRouterState(
        router,
        'Initialize',
        why === 'startup' ? 'restart' : why,
        router.config.priority,
        why === 'startup',
      );
    }
    for (const link of node.links.values()) this.disturbLan(link.lan);
    engine.start();
    // A link that was down before the host came back is still down.
    for (const link of node.links.values()) {
      if (!link.up && node.routers.some((r) => r.link === link)) engine.linkChange(link.spec.name, false);
    }
  }

  private setLink(node: SimNode, iface: string, up: boolean): void {
    const link = node.links.get(iface)!;
    if (link.up === up) return;
    link.up = up;
    this.disturbLan(link.lan);
    if (node.spec.syncGroups.length > 0) this.dirtySyncNodes.add(node);
    if (node.alive && node.engine !== undefined && node.routers.some((r) => r.link === link))
      node.engine.linkChange(iface, up);
  }

  private wireEvents(node: SimNode, engine: Engine): void {
    engine.on('stateChange', (event) => {
      const router = node.routerByName.get(event.router)!;
      this.setRouterState(router, event.to, event.reason, event.priority);
      node.conflicts?.refresh(node.routers);
    });
    engine.on('priorityChange', (event) => {
      const router = node.routerByName.get(event.router)!;
      router.effectivePriority = event.to;
      this.disturbKey(router.key);
      this.dirtyKeys.add(router.key);
      this.log(router.id, `priority ${event.from} -> ${event.to}`);
    });
    engine.on('error', (event) => {
      this.fail({
        invariant: 'exception',
        atMs: this.nowMs,
        message: `engine error in ${event.operation} (${event.router ?? '-'}): ${String(event.error)}`,
      });
    });
    if (this.recordTimeline) {
      engine.on('notice', (event) =>
        this.log(`${node.spec.name}/${event.router}`, `notice ${event.notice}: ${event.detail}`),
      );
    }
    if (this.recordTimeline && (this.options.traceAdverts ?? false)) {
      engine.on('advertSent', (event) =>
        this.log(
          `${node.spec.name}/${event.router}`,
          `advert prio ${event.priority} int ${event.advertIntervalCs}cs to ${event.destinations.join(' ')}`,
        ),
      );
      engine.on('dropped', (event) =>
        this.log(
          `${node.spec.name}/${event.router ?? event.interface}`,
          `dropped ${event.reason}${event.detail === undefined ? '' : `: ${event.detail}`}`,
        ),
      );
    }
  }

  private setRouterState(
    router: SimRouter,
    to: SimRouterState,
    reason: TransitionRecord['reason'],
    priority: number,
    quiet = false,
  ): void {
    const from = router.state;
    router.state = to;
    this.dirtyKeys.add(router.key);
    this.dirtyRouters.add(router);
    if (router.node.spec.syncGroups.length > 0) this.dirtySyncNodes.add(router.node);
    if (this.options.picture ?? true) {
      const last = router.segments[router.segments.length - 1];
      if (last !== undefined && last.fromMs === this.nowMs) last.state = to;
      else router.segments.push({ fromMs: this.nowMs, state: to });
    }
    if (quiet) return;
    this.transitions.push({
      atMs: this.nowMs,
      node: router.node.spec.name,
      router: router.spec.name,
      vrid: router.spec.vrid,
      from,
      to,
      reason,
      priority,
    });
    this.log(router.id, `${from} -> ${to} (${reason}) prio ${priority}`);
  }

  // ---- sync groups ----

  /**
   * The node's sync groups on its new engine, wired as the daemon wires them (src/health/sync-groups.ts):
   * reports in, each check run afterwards as an event of the same instant, commands to the engine.
   * Every member joins before the engine starts.
   */
  private wireSyncGroups(node: SimNode, engine: Engine, incarnation: number): void {
    if (node.spec.syncGroups.length === 0) return;
    const coordinator = new SyncGroupCoordinator(node.spec.syncGroups, new Map());
    node.syncGroups = coordinator;
    const apply = (observation: SyncGroupObservation): void => {
      for (const check of observation.checks)
        this.queue.push(this.nowMs, { kind: 'syncGroup', node, incarnation, check });
      for (const { group, state } of observation.states) this.log(`${node.spec.name}/${group}`, `group ${state}`);
    };
    engine.on('stateChange', (event) => {
      if (event.from === 'Initialize')
        apply({ states: coordinator.memberStarting(event.router, event.to), checks: [] });
      apply(coordinator.observe({ kind: 'stateChange', ...event }));
    });
    engine.on('notice', (event) =>
      apply(coordinator.observe({ kind: 'notice', router: event.router, notice: event.notice })),
    );
    for (const { router, command } of coordinator.joins()) engine.input(router, { kind: 'syncGroup', command });
  }

  private decideSyncGroup(node: SimNode, incarnation: number, check: SyncGroupCheck): void {
    if (node.incarnation !== incarnation || node.syncGroups === undefined || node.engine === undefined) return;
    const decision = node.syncGroups.decide(check);
    if (decision.log !== undefined) this.log(`${node.spec.name}/${decision.log.group}`, decision.log.message);
    for (const { router, command } of decision.commands) node.engine.input(router, { kind: 'syncGroup', command });
  }

  /** The sync-group invariant (sync-group-watch.ts) on the nodes whose groups changed in this instant. */
  private checkSyncGroups(): void {
    for (const node of this.dirtySyncNodes) {
      if (!node.alive) continue;
      for (const group of node.spec.syncGroups) {
        const members = group.routers.map((name) => {
          const router = node.routerByName.get(name)!;
          return { id: router.id, state: router.state, linkUp: router.link.up, owner: router.config.priority === 255 };
        });
        const violation = checkSyncGroup(this.nowMs, node.spec.name, group, members);
        if (violation !== undefined) return this.fail(violation);
      }
    }
    this.dirtySyncNodes.clear();
  }

  // ---- ports ----

  private packetPort(node: SimNode, incarnation: number): PacketPort {
    return {
      send: (packets: readonly OutgoingPacket[]): void => {
        if (node.incarnation !== incarnation || !node.alive) return;
        for (const packet of packets) this.transmit(node, packet);
      },
      listen: (onPacket: (packet: IncomingPacket) => void): void => {
        if (node.incarnation === incarnation) node.onPacket = onPacket;
      },
    };
  }

  private transmit(node: SimNode, packet: OutgoingPacket): void {
    const link = node.links.get(packet.interface);
    if (link === undefined || !link.up) return;
    this.stats.advertsSent++;
    const lan = link.lan;
    const multicast =
      packet.destinationAddress === VRRP_MULTICAST_V4 || packet.destinationAddress === VRRP_MULTICAST_V6;
    const meta: PacketMeta = {
      family: packet.family,
      sourceAddress: packet.sourceAddress,
      destinationAddress: packet.destinationAddress,
      ttl: VRRP_TTL,
    };
    let delivered: IncomingPacket | undefined;
    for (const other of lan.links) {
      if (other.node === node || !other.up || !other.node.alive || !advertReaches(link, other)) continue;
      if (!multicast && !hasAddress(other.spec, packet.destinationAddress)) continue;
      if (this.net.chance(lan.loss)) {
        this.stats.lost++;
        // A lost advert may legitimately make a Backup take over: it restarts the key's grace.
        this.disturbKeyOf(lan, packet.family, packet.payload[1] ?? 0);
        continue;
      }
      if (this.net.chance(lan.corrupt)) {
        // Untrusted bytes: the receiver's codec must drop this (the checksum catches one flipped bit).
        this.stats.corrupted++;
        this.disturbKeyOf(lan, packet.family, packet.payload[1] ?? 0);
        const payload = packet.payload.slice();
        const bit = this.net.int(0, payload.length * 8 - 1);
        payload[bit >> 3]! ^= 1 << (bit & 7);
        const mangled: IncomingPacket = { interface: other.spec.name, payload, meta };
        this.queue.push(this.nowMs + this.delayMs(lan), {
          kind: 'deliver',
          node: other.node,
          incarnation: other.node.incarnation,
          link: other,
          packet: mangled,
        });
        continue;
      }
      // Receivers on same-named interfaces (the usual case) share one immutable IncomingPacket.
      if (delivered === undefined || delivered.interface !== other.spec.name) {
        delivered = { interface: other.spec.name, payload: packet.payload, meta };
      }
      this.queue.push(this.nowMs + this.delayMs(lan), {
        kind: 'deliver',
        node: other.node,
        incarnation: other.node.incarnation,
        link: other,
        packet: delivered,
      });
      if (this.net.chance(lan.duplicate)) {
        this.stats.duplicated++;
        this.queue.push(this.nowMs + this.delayMs(lan), {
          kind: 'deliver',
          node: other.node,
          incarnation: other.node.incarnation,
          link: other,
          packet: delivered,
        });
      }
    }
  }

  private delayMs(lan: SimLan): number {
    let delayMs = lan.latencyMs;
    if (lan.jitterMs > 0) delayMs += this.net.float() * lan.jitterMs;
    if (this.net.chance(lan.reorder)) delayMs += this.net.float() * lan.spec.reorderDelayMs;
    return delayMs;
  }

  private addressPort(node: SimNode, incarnation: number): AddressPort {
    const current = (): boolean => node.incarnation === incarnation && node.alive;
    return {
      addVips: (_iface, addresses) => {
        if (!current()) return;
        for (const address of addresses) {
          node.holdings.add(address);
          const owner = node.vipOwner.get(address);
          if (owner !== undefined) this.dirtyRouters.add(owner);
          this.vipHoldersChanged(address);
        }
      },
      removeVips: (_iface, addresses) => {
        if (!current()) return;
        for (const address of addresses) {
          node.holdings.delete(address);
          const owner = node.vipOwner.get(address);
          if (owner !== undefined) this.dirtyRouters.add(owner);
          this.vipHoldersChanged(address);
        }
      },
      announceVips: (iface, addresses, count) => {
        if (current()) this.announce(node, iface, addresses, count, 'announce');
      },
    };
  }

  /** Gratuitous ARPs / unsolicited NAs from `node`: the hosts they reach learn it, the other nodes' watches hear a claim. */
  private announce(node: SimNode, iface: string, addresses: readonly string[], count: number, what: string): void {
    this.stats.announcements += addresses.length * count;
    this.log(`${node.spec.name}/${iface}`, `${what} ${count} x ${addresses.join(' ')}`);
    const link = node.links.get(iface);
    if (link === undefined || !link.up || count === 0) return;
    // Gratuitous ARP / unsolicited NA are broadcast: every host in the sender's partition learns.
    for (const other of link.lan.links) {
      if (!announcementReaches(link, other)) continue;
      const listening = other.node !== node && other.node.alive && other.up;
      for (const address of addresses) {
        other.arpView.set(address, node);
        if (!listening) continue;
        other.node.conflicts?.heard(address, node.spec.name, other.spec.name);
        // The detection, as an outcome: a holder hearing another node claim its VIP.
        if (other.node.holdings.has(address))
          this.claims.claimHeard(this.nowMs, address, other.node.spec.name, node.spec.name);
      }
    }
  }

  // ---- the daemon's split-brain watch ----

  private conflictWatch(node: SimNode, clock: NodeClock, incarnation: number): ConflictWatch | undefined {
    if (!this.scenario.splitBrain.detect) return undefined;
    return new ConflictWatch(this.scenario.splitBrain, {
      nowMs: () => clock.nowMs(),
      schedule: (localDelayMs) =>
        this.queue.push(this.nowMs + localDelayMs / node.rate, { kind: 'conflictCheck', node, incarnation }),
      announce: (iface, address) => {
        if (node.incarnation === incarnation && node.alive) this.announce(node, iface, [address], 1, 'resist');
      },
      log: (text) => this.log(`${node.spec.name}/watch`, text),
    });
  }

  private retireConflictWatch(node: SimNode): void {
    if (node.conflicts === undefined) return;
    this.stats.resists += node.conflicts.resists;
    this.stats.conflictsOpened += node.conflicts.opened;
    node.conflicts = undefined;
  }

  // ---- invariants ----

  private checkStep(): void {
    // Most steps deliver an advert that changes nothing: keep that path free of iteration.
    if (this.dirtyRouters.size === 0 && this.dirtyKeys.size === 0 && this.watched.size === 0) return;
    for (const router of this.dirtyRouters) {
      let held = 0;
      for (const vip of router.config.virtualAddresses) if (router.node.holdings.has(vip)) held++;
      const violation = checkVipHolding(
        this.nowMs,
        router.id,
        router.state,
        router.config.virtualAddresses.length,
        held,
      );
      if (violation !== undefined) return this.fail(violation);
    }
    this.dirtyRouters.clear();
    for (const key of this.dirtyKeys) this.watched.add(key);
    this.dirtyKeys.clear();
    for (const key of this.watched) {
      const groups = connectedGroups(key);
      const conflictSinceMs = key.watch.conflictSinceMs;
      const violation = key.watch.checkSingleMaster(this.nowMs, groups);
      if (violation !== undefined) return this.fail(violation);
      if (this.recordTimeline) this.logConflictChange(key, groups, conflictSinceMs);
      if (this.livenessActive) {
        const late = key.watch.checkLiveness(this.nowMs, this.livenessFromMs!, groups);
        if (late !== undefined) return this.fail(late);
      }
      if (!key.watch.inConflict) this.watched.delete(key);
    }
  }

  /** Says on the timeline when a tolerated two-Master episode starts and ends, and why it was allowed. */
  private logConflictChange(
    key: GroupKey,
    groups: readonly (readonly RouterView[])[],
    conflictSinceMs: number | undefined,
  ): void {
    const watch = key.watch;
    if (conflictSinceMs === undefined && watch.conflictSinceMs !== undefined) {
      const masters = groups.flatMap((g) => g.filter((r) => r.state === 'Master')).map((r) => r.id);
      const quietMs = this.nowMs - watch.lastDisturbanceMs;
      this.log(
        'CHECK',
        `${watch.label}: Masters ${masters.join(', ')} in one partition; tolerated ${
          quietMs <= watch.bounds.graceMs
            ? `${formatSeconds(quietMs)} after a disturbance (grace ${formatSeconds(watch.bounds.graceMs)})`
            : `while in flight (${watch.bounds.resolveMs.toFixed(1)} ms)`
        }`,
      );
    } else if (conflictSinceMs !== undefined && watch.conflictSinceMs === undefined) {
      this.log(
        'CHECK',
        `${watch.label}: one Master per partition again after ${(this.nowMs - conflictSinceMs).toFixed(1)} ms`,
      );
    }
  }

  private checkLivenessAll(why: string): void {
    for (const key of this.keys) {
      const groups = connectedGroups(key);
      const violation = key.watch.checkLiveness(this.nowMs, this.livenessFromMs!, groups);
      if (violation !== undefined) return this.fail(violation);
      for (const group of groups) {
        const master = group.find((r) => r.state === 'Master') as SimRouter | undefined;
        if (master === undefined) continue;
        this.log('CHECK', `${why} ok: ${key.watch.label}: Master ${master.id} prio ${master.effectivePriority}`);
        const stale = this.staleArpViews(key, master);
        if (stale !== undefined) {
          this.staleArp.push(`${formatSeconds(this.nowMs)} ${stale}`);
          this.log('CHECK', `stale ARP: ${stale}`);
          if (this.options.checkArp ?? false)
            return this.fail({ invariant: 'stale-arp', atMs: this.nowMs, message: stale });
        }
      }
    }
  }

  /** A split of `lan` healed: check each key that had a Master, one heal bound later. */
  private scheduleHealChecks(lan: SimLan): void {
    if (!(this.options.checkHeal ?? true)) return;
    for (const key of lan.keys) {
      const contestants = new Set(key.routers.filter((r) => r.state === 'Master').map((r) => r.node));
      if (contestants.size === 0) continue;
      this.queue.push(this.nowMs + key.watch.bounds.healMs, {
        kind: 'healCheck',
        key,
        healAtMs: this.nowMs,
        contestants,
      });
    }
  }

  /**
   * (d) After a heal: one Master per partition, and the hosts that can reach it point its VIPs at it,
   * unless they point at a node that was no longer Master at the heal (it crashed, lost its link or
   * stepped down while split): no packet after the heal contests that view, only the Master's periodic
   * refresh or the host's own re-resolution repairs it, so it is reported as orphaned, not a violation.
   * Likewise a view pointing at a Master of the heal whose router steps down without an advert
   * (higherPrioritySendAdvert off): its step-down is the sign the winner needs, so it is reported as
   * unsignalled (docs/simulator.md "The heal bound, and where it cannot hold").
   * A window with a later disturbance (another fault, a lost packet) proves nothing: skipped and counted.
   */
  private checkHeal(key: GroupKey, healAtMs: number, contestants: ReadonlySet<SimNode>): void {
    if (key.watch.lastDisturbanceMs > healAtMs) {
      this.healChecks.skipped++;
      return;
    }
    this.healChecks.checked++;
    const groups = connectedGroups(key);
    const violation = key.watch.checkHealed(this.nowMs, healAtMs, groups);
    if (violation !== undefined) return this.fail(violation);
    let exceptions = '';
    for (const group of groups) {
      const master = group.find((r) => r.state === 'Master') as SimRouter | undefined;
      if (master === undefined) continue;
      const silent = (owner: SimNode): boolean =>
        key.routers.some((r) => r.node === owner && !r.config.higherPrioritySendAdvert);
      const stale = this.staleArpViews(key, master, (owner) => contestants.has(owner) && !silent(owner));
      if (stale !== undefined) {
        return this.fail({
          invariant: 'heal',
          atMs: this.nowMs,
          message: `${formatSeconds(this.nowMs - healAtMs)} after the heal: ${stale}`,
        });
      }
      // Two clusters on one VRID: the routers accept each other's adverts and elect one Master, so the
      // other cluster's VIPs are held by nobody. The protocol cannot do better; the report says so.
      const unserved = [...new Set(key.routers.flatMap((r) => r.config.virtualAddresses))].filter(
        (v) => !master.config.virtualAddresses.includes(v),
      );
      if (unserved.length > 0) {
        const line = `${key.watch.label}: Master ${master.id} does not serve ${unserved.join(' ')} (another VIP set on this VRID)`;
        this.unservedVips.push(`${formatSeconds(this.nowMs)} ${line}`);
        this.log('CHECK', line);
      }
      const unsignalled = this.staleArpViews(key, master, (owner) => contestants.has(owner) && silent(owner));
      if (unsignalled !== undefined) {
        exceptions = ' (but for the unsignalled views)';
        this.unsignalledArp.push(`${formatSeconds(this.nowMs)} ${unsignalled}`);
        this.log('CHECK', `unsignalled ARP after the heal (stepped down without an advert): ${unsignalled}`);
      }
      const orphaned = this.staleArpViews(key, master, (owner) => !contestants.has(owner));
      if (orphaned !== undefined) {
        this.orphanedArp.push(`${formatSeconds(this.nowMs)} ${orphaned}`);
        this.log('CHECK', `orphaned ARP after the heal: ${orphaned}`);
      }
    }
    this.log(
      'CHECK',
      `heal ok: ${key.watch.label}: one Master, hosts point at it${exceptions} ${formatSeconds(this.nowMs - healAtMs)} after the heal`,
    );
  }

  private vipHoldersChanged(vip: string): void {
    const holders = this.nodes.filter((n) => n.alive && n.holdings.has(vip)).map((n) => n.spec.name);
    this.claims.holdersChanged(this.nowMs, vip, holders);
  }

  /** Hosts in the Master's partition whose cache still points at another node (`counted` ones), if any. */
  private staleArpViews(
    key: GroupKey,
    master: SimRouter,
    counted: (owner: SimNode) => boolean = () => true,
  ): string | undefined {
    const stale: string[] = [];
    for (const vip of master.config.virtualAddresses) {
      for (const link of key.lan.links) {
        if (!announcementReaches(master.link, link) || link.node === master.node) continue;
        const owner = link.arpView.get(vip);
        if (owner !== undefined && owner !== master.node && counted(owner))
          stale.push(`${vip}: hosts near ${link.node.spec.name} point at ${owner.spec.name}`);
      }
    }
    return stale.length === 0 ? undefined : `${key.watch.label}: ${stale.join('; ')}, but the Master is ${master.id}`;
  }

  private fail(violation: Violation): void {
    if (this.violation !== undefined) return;
    this.violation = violation;
    this.log('VIOLATION', `${violation.invariant}: ${violation.message}`);
    this.log(
      'VIOLATION',
      `reproduce with: ${reproduceCommand(this.scenario.name, this.options.seed, this.options.scenarioPath, this.options.checkArp)}`,
    );
  }

  private disturbLan(lan: SimLan): void {
    for (const key of lan.keys) {
      this.disturbKey(key);
      this.dirtyKeys.add(key);
    }
  }

  /**
   * A disturbance restarts the key's clocks, and those of every key a sync group couples to it: a group
   * moves its members together, so a fault on one member's LAN moves the Masters of the others.
   */
  private disturbKey(key: GroupKey): void {
    for (const coupled of key.coupled) coupled.watch.disturb(this.nowMs);
  }

  private disturbKeyOf(lan: SimLan, family: IpFamily, vrid: number): void {
    for (const key of lan.keys) {
      const sample = key.routers[0]!;
      if (sample.spec.vrid === vrid && sample.spec.family === family) this.disturbKey(key);
    }
  }

  // ---- output ----

  private log(subject: string, text: string): void {
    if (!this.recordTimeline) return;
    this.lines.push(`${formatSeconds(this.nowMs).padStart(11)}  ${subject.padEnd(14)} ${text}`);
  }

  private result(): SimulationResult {
    const ok = this.violation === undefined;
    for (const node of this.nodes) this.retireConflictWatch(node);
    if (this.recordTimeline) {
      this.nowMs = this.violation?.atMs ?? this.endMs;
      this.log(
        'SUMMARY',
        ok ? `all invariants held; ${this.stats.events} steps checked` : `FAILED: ${this.violation!.invariant}`,
      );
      this.appendPerRouterTimeline();
    }
    const svg =
      (this.options.picture ?? true)
        ? renderSvg({
            title: `vrrp-sim: ${this.scenario.name} (seed ${this.options.seed})`,
            subtitle: ok
              ? 'all invariants held'
              : `VIOLATION ${this.violation!.invariant} — reproduce with ${reproduceCommand(this.scenario.name, this.options.seed, this.options.scenarioPath, this.options.checkArp)}`,
            endMs: this.violation?.atMs ?? this.endMs,
            rows: this.nodes.flatMap((n) => n.routers.map((r) => ({ label: r.id, segments: r.segments }))),
            markers: this.markers,
            livenessFromMs: this.livenessFromMs,
            violation: this.violation,
          })
        : undefined;
    return {
      scenario: this.scenario.name,
      seed: this.options.seed,
      ok,
      violation: this.violation,
      reproduce: reproduceCommand(
        this.scenario.name,
        this.options.seed,
        this.options.scenarioPath,
        this.options.checkArp,
      ),
      endMs: this.violation?.atMs ?? this.endMs,
      timeline: this.lines,
      svg,
      transitions: this.transitions,
      faults: this.faults,
      driftPpm: this.nodes.map((n) => ({ node: n.spec.name, ppm: n.driftPpm })),
      staleArp: this.staleArp,
      orphanedArp: this.orphanedArp,
      unsignalledArp: this.unsignalledArp,
      unservedVips: this.unservedVips,
      vipConflicts: this.claims.report(),
      healChecks: { ...this.healChecks },
      livenessFromMs: this.livenessFromMs,
      finalRouters: this.nodes.flatMap((n) =>
        n.routers.map((r) => ({ id: r.id, state: r.state, effectivePriority: r.effectivePriority })),
      ),
      stats: { ...this.stats },
    };
  }

  /** Per router, the states it went through, one line each (the chronological log is above). */
  private appendPerRouterTimeline(): void {
    this.lines.push('', 'per-router timeline:');
    for (const node of this.nodes) {
      for (const router of node.routers) {
        const steps = this.transitions
          .filter((t) => t.node === node.spec.name && t.router === router.spec.name)
          .map((t) => `${formatSeconds(t.atMs)} ${t.to}`);
        this.lines.push(`  ${router.id.padEnd(16)} ${steps.length === 0 ? '(no transitions)' : steps.join(', ')}`);
      }
    }
  }

  private node(name: string): SimNode {
    return this.nodeByName.get(name)!;
  }

  private lan(name: string): SimLan {
    return this.lanByName.get(name)!;
  }
}

function quality(spec: LanSpec): Pick<SimLan, 'latencyMs' | 'jitterMs' | 'loss' | 'duplicate' | 'reorder' | 'corrupt'> {
  return {
    latencyMs: spec.latencyMs,
    jitterMs: spec.jitterMs,
    loss: spec.loss,
    duplicate: spec.duplicate,
    reorder: spec.reorder,
    corrupt: spec.corrupt,
  };
}

function hasAddress(iface: InterfaceSpec, address: string): boolean {
  return iface.ipv4 === address || iface.ipv6 === address;
}

function cut(from: Link, to: Link): boolean {
  return from.lan.oneWayCuts.size > 0 && from.lan.oneWayCuts.has(`${from.node.spec.name}>${to.node.spec.name}`);
}

/** Whether an advert sent on `from` reaches `to` (same partition, same VRRP-only group, no one-way cut). */
function advertReaches(from: Link, to: Link): boolean {
  return from.group === to.group && from.advertGroup === to.advertGroup && !cut(from, to);
}

/** Whether a gratuitous ARP / NA sent on `from` reaches the hosts near `to` (a VRRP-only split passes it). */
function announcementReaches(from: Link, to: Link): boolean {
  return from.group === to.group && !cut(from, to);
}

/** Ends every split of the LAN; says whether there was one. */
function healSplits(lan: SimLan): boolean {
  const wasSplit = lan.oneWayCuts.size > 0 || lan.links.some((l) => l.group !== 0 || l.advertGroup !== 0);
  for (const link of lan.links) {
    link.group = 0;
    link.advertGroup = 0;
  }
  lan.oneWayCuts.clear();
  return wasSplit;
}

/**
 * Routers of a key that hear each other right now, in sets whose members all hear each other both ways
 * (a one-way cut makes "connected" intransitive; a router joins the first set it fully hears).
 */
function connectedGroups(key: GroupKey): RouterView[][] {
  const groups: SimRouter[][] = [];
  for (const router of key.routers) {
    if (!router.node.alive || !router.link.up) continue;
    const group = groups.find((g) =>
      g.every((o) => advertReaches(o.link, router.link) && advertReaches(router.link, o.link)),
    );
    if (group === undefined) groups.push([router]);
    else group.push(router);
  }
  return groups;
}

/** The router configurations of the node at `index`; a unicast router's peers are its group's other members. */
function nodeConfigs(spec: NodeSpec, index: number, members: ReturnType<typeof groupMembers>): VirtualRouterConfig[] {
  return spec.routers.map((r, i) => {
    const peers = r.unicast
      ? members
          .get(groupName(spec, r))!
          .filter((m) => m.node !== spec.name)
          .map((m) => m.address)
      : [];
    return buildConfig(spec, r, peers, `nodes[${index}].routers[${i}]`);
  });
}

/** Fills each key's `coupled`: the keys reachable from it through the members of sync groups. */
function coupleSyncGroupKeys(nodes: readonly SimNode[]): void {
  const neighbours = new Map<GroupKey, Set<GroupKey>>();
  for (const node of nodes) {
    for (const group of node.spec.syncGroups) {
      const keys = group.routers.map((name) => node.routerByName.get(name)!.key);
      for (const key of keys) {
        const set = neighbours.get(key) ?? new Set<GroupKey>();
        for (const other of keys) set.add(other);
        neighbours.set(key, set);
      }
    }
  }
  for (const start of neighbours.keys()) {
    const seen = new Set<GroupKey>([start]);
    const queue = [start];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (const other of neighbours.get(next) ?? []) {
        if (seen.has(other)) continue;
        seen.add(other);
        queue.push(other);
      }
    }
    start.coupled.splice(0, start.coupled.length, ...seen);
  }
}
