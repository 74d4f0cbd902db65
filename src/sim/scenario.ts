// Scenario files: the topology (LANs, nodes, their interfaces and virtual routers) and the fault schedule
// (explicit timed events and/or a random fault phase drawn from the seed). Parsing checks everything and
// throws one clear Error naming the field, so a typo never becomes a silently different experiment.
//
// JSON shape (times in seconds in the file, milliseconds inside):
// {
//   "name": "three-routers", "description": "...", "durationS": 30, "clockDriftPpm": 100,
//   "lans":  [{ "name": "lan0", "latencyMs": 0.5, "jitterMs": 0.2, "loss": 0, "duplicate": 0,
//               "reorder": 0, "reorderDelayMs": 20, "corrupt": 0 }],
//   "nodes": [{ "name": "r1", "driftPpm": 0,
//               "interfaces": [{ "name": "eth0", "lan": "lan0", "ipv4": "192.0.2.1", "ipv6": "fe80::1" }],
//               "routers": [{ "interface": "eth0", "vrid": 51, "family": 4, "version": 3, "priority": 150,
//                             "advertIntervalMs": 1000, "preempt": true, "preemptDelayMs": 0,
//                             "unicast": false, "password": "secret", "initialState": "Backup",
//                             "preemptDelayMode": "keepalived", "higherPrioritySendAdvert": true,
//                             "vips": ["192.0.2.100"] }],
//               "syncGroups": [{ "name": "G1", "routers": ["VI_51", "VI_52"] }] }],
//   "events": [{ "atS": 10, "kind": "crash", "node": "r1" },
//              { "atS": 12, "kind": "partition", "lan": "lan0", "groups": [["r1"]], "vrrpOnly": true },
//              { "atS": 14, "kind": "oneWay", "lan": "lan0", "from": "r1", "to": "r2" }],
//   "randomFaults": { "startS": 5, "safetyS": 60, "livenessS": 20, "meanGapS": 3, "maxDowntimeS": 12,
//                     "maxLoss": 0.3, "kinds": ["crash", "stop", "partition", "link", "priority", "loss"] }
//   (random kinds also "oneWay" and "vrrpPartition"; left out of the default so older seeds replay)
//   "splitBrain": { "detect": true, "quietMs": 5000, "resistIntervalMs": 1000 }   (the daemon's defaults)
// }
// A router may give "vrids": [from, to] instead of "vrid"; "{vrid}" in its VIPs and "name" is replaced by
// each VRID, so 255 instances take one line.

import ipaddr from 'ipaddr.js';
import { firstUnknownKey, unknownKeyMessage } from '../model/known-keys.js';
import { checkSplitBrain, type SplitBrainSettings, splitBrainSettings } from '../model/split-brain.js';
import type { SyncGroupDefinition } from '../core/sync-group.js';
import type { PreemptDelayMode } from '../core/types.js';
import type { IpFamily, VrrpVersion } from '../wire/types.js';

export interface LanSpec {
  readonly name: string;
  readonly latencyMs: number;
  /** Extra delay drawn uniformly from [0, jitterMs) per delivery; unequal delays reorder packets. */
  readonly jitterMs: number;
  readonly loss: number;
  readonly duplicate: number;
  /** Probability that a delivery is held back by up to reorderDelayMs more. */
  readonly reorder: number;
  readonly reorderDelayMs: number;
  /** Probability that a delivery arrives with one bit flipped (the receiver must drop it, not throw). */
  readonly corrupt: number;
}

export interface InterfaceSpec {
  readonly name: string;
  readonly lan: string;
  readonly ipv4: string | undefined;
  /** IPv6 link-local address: VRRPv3 over IPv6 sends from it (RFC 9568 5.1.2.1). */
  readonly ipv6: string | undefined;
}

export interface RouterSpec {
  readonly name: string;
  readonly interface: string;
  readonly vrid: number;
  readonly family: IpFamily;
  readonly version: VrrpVersion;
  readonly priority: number;
  readonly advertIntervalMs: number;
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  readonly vips: readonly string[];
  /** v2 simple password, if any. */
  readonly password: string | undefined;
  /** keepalived unicast_peer: advertise to every other router of this VRID on the LAN, accept only them. */
  readonly unicast: boolean;
  /** keepalived `state MASTER` / `state BACKUP`. */
  readonly initialState: 'Master' | 'Backup';
  /** How `state MASTER` combines with preempt_delay / nopreempt (see PreemptDelayMode). */
  readonly preemptDelayMode: PreemptDelayMode;
  /**
   * Send one advert when stepping down for a higher-priority one (keepalived higher_prio_send_advert;
   * default true, as buildRouterConfig). Off, a contested Master steps down silently: see the heal check.
   */
  readonly higherPrioritySendAdvert: boolean;
}

export interface NodeSpec {
  readonly name: string;
  /** Clock rate error in parts per million; undefined = drawn from the seed within ±clockDriftPpm. */
  readonly driftPpm: number | undefined;
  readonly interfaces: readonly InterfaceSpec[];
  readonly routers: readonly RouterSpec[];
  /** keepalived vrrp_sync_group: routers of this node that move together (SyncGroupCoordinator). */
  readonly syncGroups: readonly SyncGroupDefinition[];
}

export type FaultEvent =
  /** The host vanishes: no shutdown advert, its VIPs vanish with it. */
  | { readonly kind: 'crash'; readonly node: string }
  /** keepalived is stopped cleanly: priority-0 adverts, VIPs removed. */
  | { readonly kind: 'stop'; readonly node: string }
  /** A fresh engine (fresh state, configured priorities) on a crashed or stopped node. */
  | { readonly kind: 'restart'; readonly node: string }
  | { readonly kind: 'linkDown'; readonly node: string; readonly interface: string }
  | { readonly kind: 'linkUp'; readonly node: string; readonly interface: string }
  /**
   * Splits a LAN: nodes in different groups no longer hear each other. Unlisted nodes form one more group.
   * `vrrpOnly`: only adverts are cut; gratuitous ARPs / NAs still cross (a filter on protocol 112).
   */
  | {
      readonly kind: 'partition';
      readonly lan: string;
      readonly groups: readonly (readonly string[])[];
      readonly vrrpOnly?: boolean;
    }
  /** One-way loss: nothing `from` sends reaches `to` (adverts and announcements); `to` is still heard. */
  | { readonly kind: 'oneWay'; readonly lan: string; readonly from: string; readonly to: string }
  /** Ends every partition and one-way cut on the LAN. */
  | { readonly kind: 'heal'; readonly lan: string }
  | { readonly kind: 'setPriority'; readonly node: string; readonly router: string; readonly priority: number }
  /** Changes a LAN's quality; fields left out keep their value. */
  | {
      readonly kind: 'network';
      readonly lan: string;
      readonly loss?: number;
      readonly duplicate?: number;
      readonly reorder?: number;
      readonly corrupt?: number;
      readonly latencyMs?: number;
      readonly jitterMs?: number;
    }
  /** Ends a random fault phase: restarts, heals, links up, each LAN at its configured latency with no loss. */
  | { readonly kind: 'healAll' };

export interface TimedFault {
  readonly atMs: number;
  readonly fault: FaultEvent;
}

export type RandomFaultKind =
  | 'crash'
  | 'stop'
  | 'partition'
  | 'link'
  | 'priority'
  | 'loss'
  | 'oneWay'
  | 'vrrpPartition';
export const RANDOM_FAULT_KINDS: readonly RandomFaultKind[] = [
  'crash',
  'stop',
  'partition',
  'link',
  'priority',
  'loss',
  'oneWay',
  'vrrpPartition',
];
/** Drawn when a scenario names no kinds: the split-brain kinds are opt-in so older seeds replay as before. */
export const DEFAULT_RANDOM_FAULT_KINDS: readonly RandomFaultKind[] = [
  'crash',
  'stop',
  'partition',
  'link',
  'priority',
  'loss',
];

export interface RandomFaultSpec {
  readonly startMs: number;
  readonly safetyMs: number;
  readonly livenessMs: number;
  readonly meanGapMs: number;
  readonly maxDowntimeMs: number;
  readonly maxLoss: number;
  readonly kinds: readonly RandomFaultKind[];
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly durationMs: number;
  readonly clockDriftPpm: number;
  readonly lans: readonly LanSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly events: readonly TimedFault[];
  readonly randomFaults: RandomFaultSpec | undefined;
  /** When the network is calm for good and liveness is checked from; undefined = after the last fault. */
  readonly livenessFromMs: number | undefined;
  readonly checkLiveness: boolean;
  /** Every host's split-brain settings (src/sim/conflict-watch.ts models the daemon's watch), defaults filled in. */
  readonly splitBrain: Required<SplitBrainSettings>;
}

/** Parses and checks a scenario (as read from JSON). Throws an Error naming the bad field. */
export function parseScenario(input: unknown): Scenario {
  const root = object(input, 'scenario');
  onlyKeys(root, '', [
    'name',
    'description',
    'durationS',
    'clockDriftPpm',
    'lans',
    'nodes',
    'events',
    'randomFaults',
    'livenessFromS',
    'checkLiveness',
    'splitBrain',
  ]);
  const name = text(root.name, 'name');
  const lans = list(root.lans, 'lans').map((value, i) => parseLan(value, `lans[${i}]`));
  unique(
    lans.map((lan) => lan.name),
    'lans',
    'LAN name',
  );
  const lanNames = new Set(lans.map((lan) => lan.name));
  const nodes = list(root.nodes, 'nodes').map((value, i) => parseNode(value, `nodes[${i}]`, lanNames));
  unique(
    nodes.map((node) => node.name),
    'nodes',
    'node name',
  );
  if (nodes.length === 0) throw new Error('scenario nodes: at least one node is needed');
  checkGroups(nodes);

  const events = optionalList(root.events, 'events')
    .map((value, i) => parseTimedFault(value, `events[${i}]`, nodes, lans))
    .sort((a, b) => a.atMs - b.atMs);
  const randomFaults =
    root.randomFaults === undefined ? undefined : parseRandomFaults(root.randomFaults, 'randomFaults');

  const randomEndMs =
    randomFaults === undefined ? 0 : randomFaults.startMs + randomFaults.safetyMs + randomFaults.livenessMs;
  const durationMs =
    root.durationS === undefined ? Math.max(randomEndMs, 30_000) : seconds(root.durationS, 'durationS', 0.001, 1e7);
  if (durationMs < randomEndMs) {
    throw new Error(
      `scenario durationS: ${durationMs / 1000} s is shorter than the random fault phases (${randomEndMs / 1000} s)`,
    );
  }
  return {
    name,
    description: root.description === undefined ? '' : text(root.description, 'description'),
    durationMs,
    clockDriftPpm: root.clockDriftPpm === undefined ? 0 : num(root.clockDriftPpm, 'clockDriftPpm', 0, 10_000),
    lans,
    nodes,
    events,
    randomFaults,
    livenessFromMs: root.livenessFromS === undefined ? undefined : seconds(root.livenessFromS, 'livenessFromS', 0, 1e7),
    checkLiveness: root.checkLiveness === undefined ? true : bool(root.checkLiveness, 'checkLiveness'),
    splitBrain: parseSplitBrain(root.splitBrain),
  };
}

/**
 * The daemon's `splitBrain` settings, checked by its own reader; probes and the step down to Fault are
 * not modelled (src/sim/conflict-watch.ts), so a scenario that turns them on is refused.
 */
function parseSplitBrain(value: unknown): Required<SplitBrainSettings> {
  if (value === undefined) return splitBrainSettings(undefined);
  try {
    checkSplitBrain(value);
  } catch (error) {
    throw new Error(`scenario ${(error as Error).message}`);
  }
  for (const key of ['probeIntervalMs', 'faultAfterClaims'] as const) {
    if ((value[key] ?? 0) !== 0) throw new Error(`scenario splitBrain.${key}: not modelled by the simulator (0 only)`);
  }
  return splitBrainSettings(value);
}

function parseLan(value: unknown, where: string): LanSpec {
  const o = object(value, where);
  onlyKeys(o, where, ['name', 'latencyMs', 'jitterMs', 'loss', 'duplicate', 'reorder', 'reorderDelayMs', 'corrupt']);
  return {
    name: text(o.name, `${where}.name`),
    latencyMs: o.latencyMs === undefined ? 0.5 : num(o.latencyMs, `${where}.latencyMs`, 0, 10_000),
    jitterMs: o.jitterMs === undefined ? 0 : num(o.jitterMs, `${where}.jitterMs`, 0, 10_000),
    loss: o.loss === undefined ? 0 : num(o.loss, `${where}.loss`, 0, 1),
    duplicate: o.duplicate === undefined ? 0 : num(o.duplicate, `${where}.duplicate`, 0, 1),
    reorder: o.reorder === undefined ? 0 : num(o.reorder, `${where}.reorder`, 0, 1),
    reorderDelayMs: o.reorderDelayMs === undefined ? 20 : num(o.reorderDelayMs, `${where}.reorderDelayMs`, 0, 10_000),
    corrupt: o.corrupt === undefined ? 0 : num(o.corrupt, `${where}.corrupt`, 0, 1),
  };
}

function parseNode(value: unknown, where: string, lanNames: ReadonlySet<string>): NodeSpec {
  const o = object(value, where);
  onlyKeys(o, where, ['name', 'driftPpm', 'interfaces', 'routers', 'syncGroups']);
  const interfaces = list(o.interfaces, `${where}.interfaces`).map((v, i) => {
    const w = `${where}.interfaces[${i}]`;
    const f = object(v, w);
    onlyKeys(f, w, ['name', 'lan', 'ipv4', 'ipv6']);
    const lan = text(f.lan, `${w}.lan`);
    if (!lanNames.has(lan)) throw new Error(`scenario ${w}.lan: no LAN named ${JSON.stringify(lan)}`);
    const ipv4 = f.ipv4 === undefined ? undefined : address(f.ipv4, `${w}.ipv4`, 4);
    const ipv6 = f.ipv6 === undefined ? undefined : address(f.ipv6, `${w}.ipv6`, 6);
    if (ipv6 !== undefined && !ipv6.startsWith('fe80:')) {
      throw new Error(`scenario ${w}.ipv6: ${ipv6} must be link-local (fe80::/10): VRRPv3 sends from it`);
    }
    return { name: text(f.name, `${w}.name`), lan, ipv4, ipv6 };
  });
  unique(
    interfaces.map((f) => f.name),
    `${where}.interfaces`,
    'interface name',
  );
  const routers = list(o.routers, `${where}.routers`).flatMap((v, i) =>
    expandRouter(v, `${where}.routers[${i}]`, interfaces),
  );
  unique(
    routers.map((r) => r.name),
    `${where}.routers`,
    'router name',
  );
  unique(
    routers.map((r) => `${r.interface} IPv${r.family} VRID ${r.vrid}`),
    `${where}.routers`,
    'virtual router',
  );
  unique(
    routers.flatMap((r) => r.vips),
    `${where}.routers`,
    'VIP',
  );
  return {
    name: text(o.name, `${where}.name`),
    driftPpm: o.driftPpm === undefined ? undefined : num(o.driftPpm, `${where}.driftPpm`, -10_000, 10_000),
    interfaces,
    routers,
    syncGroups: parseSyncGroups(o.syncGroups, `${where}.syncGroups`, routers),
  };
}

/** A node's sync groups: two or more of its routers each, a router in one group at most. */
function parseSyncGroups(value: unknown, where: string, routers: readonly RouterSpec[]): SyncGroupDefinition[] {
  const groups = optionalList(value, where).map((v, i) => {
    const w = `${where}[${i}]`;
    const g = object(v, w);
    onlyKeys(g, w, ['name', 'routers']);
    const members = list(g.routers, `${w}.routers`).map((r, j) => {
      const name = text(r, `${w}.routers[${j}]`);
      if (!routers.some((router) => router.name === name))
        throw new Error(`scenario ${w}.routers[${j}]: this node has no router ${JSON.stringify(name)}`);
      return name;
    });
    if (members.length < 2) throw new Error(`scenario ${w}.routers: a sync group needs two routers or more`);
    return { name: text(g.name, `${w}.name`), routers: members };
  });
  unique(
    groups.map((g) => g.name),
    where,
    'sync group name',
  );
  unique(
    groups.flatMap((g) => g.routers),
    where,
    'sync group member',
  );
  return groups;
}

const ROUTER_KEYS = [
  'name',
  'interface',
  'vrid',
  'vrids',
  'family',
  'version',
  'priority',
  'advertIntervalMs',
  'preempt',
  'preemptDelayMs',
  'vips',
  'password',
  'unicast',
  'initialState',
  'preemptDelayMode',
  'higherPrioritySendAdvert',
];

function expandRouter(value: unknown, where: string, interfaces: readonly InterfaceSpec[]): RouterSpec[] {
  const o = object(value, where);
  onlyKeys(o, where, ROUTER_KEYS);
  const ifaceName = text(o.interface, `${where}.interface`);
  const iface = interfaces.find((f) => f.name === ifaceName);
  if (iface === undefined)
    throw new Error(`scenario ${where}.interface: this node has no interface ${JSON.stringify(ifaceName)}`);
  let vrids: number[];
  if (o.vrids !== undefined) {
    const range = list(o.vrids, `${where}.vrids`);
    if (range.length !== 2) throw new Error(`scenario ${where}.vrids: give [from, to]`);
    const from = int(range[0], `${where}.vrids[0]`, 1, 255);
    const to = int(range[1], `${where}.vrids[1]`, from, 255);
    vrids = [];
    for (let vrid = from; vrid <= to; vrid++) vrids.push(vrid);
  } else {
    vrids = [int(o.vrid, `${where}.vrid`, 1, 255)];
  }
  const family = (o.family === undefined ? 4 : int(o.family, `${where}.family`, 4, 6)) as IpFamily;
  if (family !== 4 && family !== 6) throw new Error(`scenario ${where}.family: must be 4 or 6`);
  if ((family === 4 ? iface.ipv4 : iface.ipv6) === undefined) {
    throw new Error(`scenario ${where}: interface ${iface.name} has no IPv${family} address`);
  }
  const version = (
    o.version === undefined ? (family === 4 ? 2 : 3) : int(o.version, `${where}.version`, 2, 3)
  ) as VrrpVersion;
  const advertIntervalMs =
    o.advertIntervalMs === undefined ? 1000 : int(o.advertIntervalMs, `${where}.advertIntervalMs`, 10, 40_950);
  if (advertIntervalMs % 10 !== 0) throw new Error(`scenario ${where}.advertIntervalMs: must be whole centiseconds`);
  const vipTemplates = list(o.vips, `${where}.vips`).map((v, i) => text(v, `${where}.vips[${i}]`));
  const nameTemplate =
    o.name === undefined ? (family === 4 ? 'VI_{vrid}' : 'VI6_{vrid}') : text(o.name, `${where}.name`);
  if (vrids.length > 1 && !nameTemplate.includes('{vrid}')) {
    throw new Error(`scenario ${where}.name: with a VRID range the name needs a {vrid} placeholder`);
  }
  return vrids.map((vrid) => ({
    name: nameTemplate.replaceAll('{vrid}', String(vrid)),
    interface: ifaceName,
    vrid,
    family,
    version,
    priority: o.priority === undefined ? 100 : int(o.priority, `${where}.priority`, 1, 255),
    advertIntervalMs,
    preempt: o.preempt === undefined ? true : bool(o.preempt, `${where}.preempt`),
    preemptDelayMs: o.preemptDelayMs === undefined ? 0 : int(o.preemptDelayMs, `${where}.preemptDelayMs`, 0, 1_000_000),
    vips: vipTemplates.map((template, i) =>
      address(template.replaceAll('{vrid}', String(vrid)), `${where}.vips[${i}]`, family),
    ),
    password: o.password === undefined ? undefined : text(o.password, `${where}.password`),
    unicast: o.unicast === undefined ? false : bool(o.unicast, `${where}.unicast`),
    initialState:
      o.initialState === undefined
        ? 'Backup'
        : oneOf(o.initialState, `${where}.initialState`, ['Master', 'Backup'] as const),
    preemptDelayMode:
      o.preemptDelayMode === undefined
        ? 'keepalived'
        : oneOf(o.preemptDelayMode, `${where}.preemptDelayMode`, ['keepalived', 'openshift'] as const),
    higherPrioritySendAdvert:
      o.higherPrioritySendAdvert === undefined
        ? true
        : bool(o.higherPrioritySendAdvert, `${where}.higherPrioritySendAdvert`),
  }));
}

/** Routers that share a LAN, family and VRID must speak the same version (else they drop each other). */
function checkGroups(nodes: readonly NodeSpec[]): void {
  const seen = new Map<string, { version: VrrpVersion; advertIntervalMs: number; where: string }>();
  for (const node of nodes) {
    for (const router of node.routers) {
      const lan = node.interfaces.find((f) => f.name === router.interface)!.lan;
      const key = `${lan}/IPv${router.family}/VRID ${router.vrid}`;
      const where = `${node.name}/${router.name}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, { version: router.version, advertIntervalMs: router.advertIntervalMs, where });
        continue;
      }
      if (first.version !== router.version) {
        throw new Error(
          `scenario: ${where} and ${first.where} share ${key} but speak VRRPv${router.version} and v${first.version}`,
        );
      }
      if (router.version === 2 && first.advertIntervalMs !== router.advertIntervalMs) {
        throw new Error(
          `scenario: ${where} and ${first.where} share ${key} with different v2 intervals (they would drop each other)`,
        );
      }
    }
  }
}

/** The keys of each fault kind besides atS and kind. */
const FAULT_KEYS: Readonly<Record<string, readonly string[]>> = {
  crash: ['node'],
  stop: ['node'],
  restart: ['node'],
  linkDown: ['node', 'interface'],
  linkUp: ['node', 'interface'],
  partition: ['lan', 'groups', 'vrrpOnly'],
  oneWay: ['lan', 'from', 'to'],
  heal: ['lan'],
  setPriority: ['node', 'router', 'priority'],
  network: ['lan', 'loss', 'duplicate', 'reorder', 'corrupt', 'latencyMs', 'jitterMs'],
  healAll: [],
};

/** One event being read: its object, where it is in the file, and what its names may refer to. */
interface FaultReader {
  readonly o: Json;
  readonly where: string;
  readonly nodes: readonly NodeSpec[];
  readonly lans: readonly LanSpec[];
}

function parseTimedFault(
  value: unknown,
  where: string,
  nodes: readonly NodeSpec[],
  lans: readonly LanSpec[],
): TimedFault {
  const o = object(value, where);
  const atMs = seconds(o.atS, `${where}.atS`, 0, 1e7);
  const kind = text(o.kind, `${where}.kind`);
  onlyKeys(o, where, ['atS', 'kind', ...(FAULT_KEYS[kind] ?? Object.values(FAULT_KEYS).flat())]);
  return { atMs, fault: parseFault({ o, where, nodes, lans }, kind) };
}

function parseFault(r: FaultReader, kind: string): FaultEvent {
  switch (kind) {
    case 'crash':
    case 'stop':
    case 'restart':
      return { kind, node: faultNode(r).name };
    case 'linkDown':
    case 'linkUp': {
      const n = faultNode(r);
      return { kind, node: n.name, interface: faultInterface(r, n) };
    }
    case 'partition':
      return parsePartition(r);
    case 'oneWay':
      return parseOneWay(r);
    case 'heal':
      return { kind, lan: faultLan(r) };
    case 'setPriority':
      return parseSetPriority(r);
    case 'network':
      return parseNetwork(r);
    case 'healAll':
      return { kind };
    default:
      throw new Error(
        `scenario ${r.where}.kind: unknown fault ${JSON.stringify(kind)} (crash, stop, restart, linkDown, linkUp, partition, oneWay, heal, setPriority, network, healAll)`,
      );
  }
}

function faultNode({ o, where, nodes }: FaultReader): NodeSpec {
  const nodeName = text(o.node, `${where}.node`);
  const found = nodes.find((n) => n.name === nodeName);
  if (found === undefined) throw new Error(`scenario ${where}.node: no node named ${JSON.stringify(nodeName)}`);
  return found;
}

function faultLan({ o, where, lans }: FaultReader): string {
  const lanName = text(o.lan, `${where}.lan`);
  if (!lans.some((l) => l.name === lanName))
    throw new Error(`scenario ${where}.lan: no LAN named ${JSON.stringify(lanName)}`);
  return lanName;
}

function faultInterface({ o, where }: FaultReader, n: NodeSpec): string {
  const name = text(o.interface, `${where}.interface`);
  if (!n.interfaces.some((f) => f.name === name))
    throw new Error(`scenario ${where}.interface: ${n.name} has no interface ${name}`);
  return name;
}

function parsePartition(r: FaultReader): FaultEvent {
  const { o, where, nodes } = r;
  const lanName = faultLan(r);
  const groups = list(o.groups, `${where}.groups`).map((g, i) =>
    list(g, `${where}.groups[${i}]`).map((n, j) => {
      const nodeName = text(n, `${where}.groups[${i}][${j}]`);
      if (!nodes.some((x) => x.name === nodeName))
        throw new Error(`scenario ${where}.groups[${i}][${j}]: no node ${nodeName}`);
      return nodeName;
    }),
  );
  const vrrpOnly = o.vrrpOnly === undefined ? false : bool(o.vrrpOnly, `${where}.vrrpOnly`);
  return { kind: 'partition', lan: lanName, groups, ...(vrrpOnly ? { vrrpOnly } : {}) };
}

function parseOneWay(r: FaultReader): FaultEvent {
  const { o, where, nodes } = r;
  const lanName = faultLan(r);
  const end = (field: 'from' | 'to'): string => {
    const nodeName = text(o[field], `${where}.${field}`);
    const found = nodes.find((n) => n.name === nodeName);
    if (found === undefined || !found.interfaces.some((f) => f.lan === lanName)) {
      throw new Error(`scenario ${where}.${field}: no node ${JSON.stringify(nodeName)} on ${lanName}`);
    }
    return nodeName;
  };
  const from = end('from');
  const to = end('to');
  if (from === to) throw new Error(`scenario ${where}: from and to are both ${from}`);
  return { kind: 'oneWay', lan: lanName, from, to };
}

function parseSetPriority(r: FaultReader): FaultEvent {
  const { o, where } = r;
  const n = faultNode(r);
  const routerName = text(o.router, `${where}.router`);
  if (!n.routers.some((x) => x.name === routerName))
    throw new Error(`scenario ${where}.router: ${n.name} has no router ${routerName}`);
  return {
    kind: 'setPriority',
    node: n.name,
    router: routerName,
    priority: int(o.priority, `${where}.priority`, 1, 255),
  };
}

function parseNetwork(r: FaultReader): FaultEvent {
  const { o, where } = r;
  return {
    kind: 'network',
    lan: faultLan(r),
    ...(o.loss === undefined ? {} : { loss: num(o.loss, `${where}.loss`, 0, 1) }),
    ...(o.duplicate === undefined ? {} : { duplicate: num(o.duplicate, `${where}.duplicate`, 0, 1) }),
    ...(o.reorder === undefined ? {} : { reorder: num(o.reorder, `${where}.reorder`, 0, 1) }),
    ...(o.corrupt === undefined ? {} : { corrupt: num(o.corrupt, `${where}.corrupt`, 0, 1) }),
    ...(o.latencyMs === undefined ? {} : { latencyMs: num(o.latencyMs, `${where}.latencyMs`, 0, 10_000) }),
    ...(o.jitterMs === undefined ? {} : { jitterMs: num(o.jitterMs, `${where}.jitterMs`, 0, 10_000) }),
  };
}

function parseRandomFaults(value: unknown, where: string): RandomFaultSpec {
  const o = object(value, where);
  onlyKeys(o, where, ['startS', 'safetyS', 'livenessS', 'meanGapS', 'maxDowntimeS', 'maxLoss', 'kinds']);
  const kinds =
    o.kinds === undefined
      ? DEFAULT_RANDOM_FAULT_KINDS
      : list(o.kinds, `${where}.kinds`).map((k, i) => {
          const kind = text(k, `${where}.kinds[${i}]`);
          if (!(RANDOM_FAULT_KINDS as readonly string[]).includes(kind)) {
            throw new Error(
              `scenario ${where}.kinds[${i}]: unknown kind ${JSON.stringify(kind)} (${RANDOM_FAULT_KINDS.join(', ')})`,
            );
          }
          return kind as RandomFaultKind;
        });
  return {
    startMs: o.startS === undefined ? 5000 : seconds(o.startS, `${where}.startS`, 0, 1e7),
    safetyMs: seconds(o.safetyS, `${where}.safetyS`, 0.001, 1e7),
    livenessMs: o.livenessS === undefined ? 20_000 : seconds(o.livenessS, `${where}.livenessS`, 0.001, 1e7),
    meanGapMs: o.meanGapS === undefined ? 3000 : seconds(o.meanGapS, `${where}.meanGapS`, 0.001, 1e6),
    maxDowntimeMs: o.maxDowntimeS === undefined ? 12_000 : seconds(o.maxDowntimeS, `${where}.maxDowntimeS`, 0.001, 1e6),
    maxLoss: o.maxLoss === undefined ? 0.3 : num(o.maxLoss, `${where}.maxLoss`, 0, 1),
    kinds,
  };
}

// ---- small checked readers ----

type Json = Record<string, unknown>;

function object(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`scenario ${where}: must be an object`);
  return value as Json;
}
/** A key the reader does not know is a typo (`"evnets"`), never a silently different experiment. */
function onlyKeys(o: Json, where: string, known: readonly string[]): void {
  const key = firstUnknownKey(o, known);
  if (key !== undefined)
    throw new Error(`scenario ${where === '' ? key : `${where}.${key}`}: ${unknownKeyMessage(key, known)}`);
}
function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`scenario ${where}: must be a list`);
  return value;
}
function optionalList(value: unknown, where: string): unknown[] {
  return value === undefined ? [] : list(value, where);
}
function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '')
    throw new Error(`scenario ${where}: must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}
function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean')
    throw new Error(`scenario ${where}: must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
function oneOf<T extends string>(value: unknown, where: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new Error(`scenario ${where}: must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
function num(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`scenario ${where}: must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}
function int(value: unknown, where: string, min: number, max: number): number {
  const n = num(value, where, min, max);
  if (!Number.isInteger(n)) throw new Error(`scenario ${where}: must be a whole number, got ${n}`);
  return n;
}
function seconds(value: unknown, where: string, min: number, max: number): number {
  return Math.round(num(value, where, min, max) * 1000 * 1000) / 1000;
}
function address(value: unknown, where: string, family: IpFamily): string {
  const t = text(value, where);
  if (!ipaddr.isValid(t)) throw new Error(`scenario ${where}: ${JSON.stringify(t)} is not an IP address`);
  const parsed = ipaddr.parse(t);
  if ((parsed.kind() === 'ipv4' ? 4 : 6) !== family) throw new Error(`scenario ${where}: ${t} is not IPv${family}`);
  return parsed.toString();
}
function unique(names: readonly string[], where: string, what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new Error(`scenario ${where}: ${what} ${JSON.stringify(name)} appears twice`);
    seen.add(name);
  }
}
