// The random fault phase: a schedule of crashes, clean stops, partitions (whole, VRRP-only, one-way), link
// flaps, priority changes and bursts of loss, duplication, reordering and corruption, drawn from its own
// PRNG stream before the run starts. Drawing it up front keeps the schedule a pure function of (scenario, seed): what the
// network does during the run cannot shift it.
//
// Each kind has its own drawing function below; they draw from the PRNG in the same order as the loop
// always has, so a seed keeps giving the same schedule.

import type { Prng } from './prng.js';
import type { LanSpec, RandomFaultKind, RandomFaultSpec, Scenario, TimedFault } from './scenario.js';

const MIN_DOWNTIME_MS = 500;

/** What one draw needs: the scenario, the stream, the schedule so far and what is still busy. */
interface Draw {
  readonly scenario: Scenario;
  readonly spec: RandomFaultSpec;
  readonly rng: Prng;
  readonly faults: TimedFault[];
  readonly endMs: number;
  readonly nodeBusyUntil: Map<string, number>;
  readonly linkBusyUntil: Map<string, number>;
  readonly lanPartitionedUntil: Map<string, number>;
  readonly lanLossyUntil: Map<string, number>;
}

export function drawRandomFaults(scenario: Scenario, spec: RandomFaultSpec, rng: Prng): TimedFault[] {
  const draw: Draw = {
    scenario,
    spec,
    rng,
    faults: [],
    endMs: spec.startMs + spec.safetyMs,
    nodeBusyUntil: new Map(),
    linkBusyUntil: new Map(),
    lanPartitionedUntil: new Map(),
    lanLossyUntil: new Map(),
  };
  let atMs = spec.startMs;
  for (;;) {
    atMs += Math.round(-Math.log(1 - rng.float()) * spec.meanGapMs);
    if (atMs >= draw.endMs) break;
    const kind = rng.pick(spec.kinds);
    const downtimeMs = Math.round(rng.between(MIN_DOWNTIME_MS, Math.max(MIN_DOWNTIME_MS, spec.maxDowntimeMs)));
    drawOne(draw, kind, atMs, downtimeMs);
  }
  draw.faults.push({ atMs: draw.endMs, fault: { kind: 'healAll' } });
  return draw.faults;
}

function drawOne(draw: Draw, kind: RandomFaultKind, atMs: number, downtimeMs: number): void {
  switch (kind) {
    case 'crash':
    case 'stop':
      return drawNodeDown(draw, kind, atMs, downtimeMs);
    case 'partition':
    case 'vrrpPartition':
      return drawPartition(draw, kind, atMs, downtimeMs);
    case 'oneWay':
      return drawOneWay(draw, atMs, downtimeMs);
    case 'link':
      return drawLinkFlap(draw, atMs, downtimeMs);
    case 'priority':
      return drawPriority(draw, atMs);
    case 'loss':
      return drawLoss(draw, atMs, downtimeMs);
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown random fault kind ${String(unreachable)}`);
    }
  }
}

function attached(draw: Draw, lan: string): string[] {
  return draw.scenario.nodes.filter((n) => n.interfaces.some((f) => f.lan === lan)).map((n) => n.name);
}

function free(busy: Map<string, number>, key: string, atMs: number): boolean {
  return (busy.get(key) ?? -1) <= atMs;
}

/** Schedules the repair, unless the phase's own healAll comes first. */
function repair(draw: Draw, atMs: number, fault: TimedFault['fault']): void {
  if (atMs < draw.endMs) draw.faults.push({ atMs, fault });
}

function pickSplittable(draw: Draw, atMs: number): string | undefined {
  const candidates = draw.scenario.lans.filter(
    (l) => attached(draw, l.name).length >= 2 && free(draw.lanPartitionedUntil, l.name, atMs),
  );
  return candidates.length === 0 ? undefined : draw.rng.pick(candidates).name;
}

function drawNodeDown(draw: Draw, kind: 'crash' | 'stop', atMs: number, downtimeMs: number): void {
  const candidates = draw.scenario.nodes.filter((n) => free(draw.nodeBusyUntil, n.name, atMs));
  if (candidates.length === 0) return;
  const node = draw.rng.pick(candidates).name;
  draw.faults.push({ atMs, fault: { kind, node } });
  draw.nodeBusyUntil.set(node, atMs + downtimeMs);
  repair(draw, atMs + downtimeMs, { kind: 'restart', node });
}

function drawPartition(draw: Draw, kind: 'partition' | 'vrrpPartition', atMs: number, downtimeMs: number): void {
  const { rng } = draw;
  const lan = pickSplittable(draw, atMs);
  if (lan === undefined) return;
  const members = rng.shuffled(attached(draw, lan));
  // At least two non-empty groups: the first node opens group 0, the second group 1.
  const groupCount = rng.int(2, Math.min(3, members.length));
  const groups: string[][] = Array.from({ length: groupCount }, () => []);
  members.forEach((node, i) => groups[i < groupCount ? i : rng.int(0, groupCount - 1)]!.push(node));
  draw.faults.push({
    atMs,
    fault: { kind: 'partition', lan, groups, ...(kind === 'vrrpPartition' ? { vrrpOnly: true } : {}) },
  });
  draw.lanPartitionedUntil.set(lan, atMs + downtimeMs);
  repair(draw, atMs + downtimeMs, { kind: 'heal', lan });
}

/** One direction of one pair; the heal ends it (a LAN carries one split at a time). */
function drawOneWay(draw: Draw, atMs: number, downtimeMs: number): void {
  const lan = pickSplittable(draw, atMs);
  if (lan === undefined) return;
  const [from, to] = draw.rng.shuffled(attached(draw, lan));
  draw.faults.push({ atMs, fault: { kind: 'oneWay', lan, from: from!, to: to! } });
  draw.lanPartitionedUntil.set(lan, atMs + downtimeMs);
  repair(draw, atMs + downtimeMs, { kind: 'heal', lan });
}

function drawLinkFlap(draw: Draw, atMs: number, downtimeMs: number): void {
  const candidates = draw.scenario.nodes.flatMap((n) =>
    n.interfaces
      .filter((f) => free(draw.linkBusyUntil, `${n.name}/${f.name}`, atMs))
      .map((f) => ({ node: n.name, iface: f.name })),
  );
  if (candidates.length === 0) return;
  const { node, iface } = draw.rng.pick(candidates);
  draw.faults.push({ atMs, fault: { kind: 'linkDown', node, interface: iface } });
  draw.linkBusyUntil.set(`${node}/${iface}`, atMs + downtimeMs);
  repair(draw, atMs + downtimeMs, { kind: 'linkUp', node, interface: iface });
}

/** The address owner's 255 is a statement about addresses, not a knob; leave owners alone. */
function drawPriority(draw: Draw, atMs: number): void {
  const candidates = draw.scenario.nodes.flatMap((n) =>
    n.routers.filter((r) => r.priority < 255).map((r) => ({ node: n.name, router: r.name })),
  );
  if (candidates.length === 0) return;
  const { node, router } = draw.rng.pick(candidates);
  draw.faults.push({ atMs, fault: { kind: 'setPriority', node, router, priority: draw.rng.int(1, 254) } });
}

function drawLoss(draw: Draw, atMs: number, downtimeMs: number): void {
  const { rng, spec } = draw;
  const candidates = draw.scenario.lans.filter((l) => free(draw.lanLossyUntil, l.name, atMs));
  if (candidates.length === 0) return;
  const lan = rng.pick(candidates);
  draw.faults.push({
    atMs,
    fault: {
      kind: 'network',
      lan: lan.name,
      loss: round3(rng.between(0.05, Math.max(0.05, spec.maxLoss))),
      duplicate: round3(rng.between(0, 0.1)),
      reorder: round3(rng.between(0, 0.1)),
      corrupt: round3(rng.between(0, 0.05)),
    },
  });
  draw.lanLossyUntil.set(lan.name, atMs + downtimeMs);
  repair(draw, atMs + downtimeMs, restoreQuality(lan));
}
function restoreQuality(lan: LanSpec): TimedFault['fault'] {
  return {
    kind: 'network',
    lan: lan.name,
    loss: lan.loss,
    duplicate: lan.duplicate,
    reorder: lan.reorder,
    corrupt: lan.corrupt,
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
