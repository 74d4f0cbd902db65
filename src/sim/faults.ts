// The random fault phase: a schedule of crashes, clean stops, partitions (whole, VRRP-only, one-way), link
// flaps, priority changes and bursts of loss, duplication, reordering and corruption, drawn from its own
// PRNG stream before the run starts. Drawing it up front keeps the schedule a pure function of (scenario, seed): what the
// network does during the run cannot shift it.

import type { Prng } from './prng.js';
import type { LanSpec, RandomFaultSpec, Scenario, TimedFault } from './scenario.js';

const MIN_DOWNTIME_MS = 500;

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: written before the 60-line rule; to split (issue 11)
export function drawRandomFaults(scenario: Scenario, spec: RandomFaultSpec, rng: Prng): TimedFault[] {
  const faults: TimedFault[] = [];
  const endMs = spec.startMs + spec.safetyMs;
  const nodeBusyUntil = new Map<string, number>();
  const linkBusyUntil = new Map<string, number>();
  const lanPartitionedUntil = new Map<string, number>();
  const lanLossyUntil = new Map<string, number>();
  const attached = (lan: string): string[] =>
    scenario.nodes.filter((n) => n.interfaces.some((f) => f.lan === lan)).map((n) => n.name);
  const free = (busy: Map<string, number>, key: string, atMs: number): boolean => (busy.get(key) ?? -1) <= atMs;
  /** Schedules the repair, unless the phase's own healAll comes first. */
  const repair = (atMs: number, fault: TimedFault['fault']): void => {
    if (atMs < endMs) faults.push({ atMs, fault });
  };

  let atMs = spec.startMs;
  const pickSplittable = (): string | undefined => {
    const candidates = scenario.lans.filter(
      (l) => attached(l.name).length >= 2 && free(lanPartitionedUntil, l.name, atMs),
    );
    return candidates.length === 0 ? undefined : rng.pick(candidates).name;
  };
  for (;;) {
    atMs += Math.round(-Math.log(1 - rng.float()) * spec.meanGapMs);
    if (atMs >= endMs) break;
    const kind = rng.pick(spec.kinds);
    const downtimeMs = Math.round(rng.between(MIN_DOWNTIME_MS, Math.max(MIN_DOWNTIME_MS, spec.maxDowntimeMs)));
    switch (kind) {
      case 'crash':
      case 'stop': {
        const candidates = scenario.nodes.filter((n) => free(nodeBusyUntil, n.name, atMs));
        if (candidates.length === 0) break;
        const node = rng.pick(candidates).name;
        faults.push({ atMs, fault: { kind, node } });
        nodeBusyUntil.set(node, atMs + downtimeMs);
        repair(atMs + downtimeMs, { kind: 'restart', node });
        break;
      }
      case 'partition':
      case 'vrrpPartition': {
        const lan = pickSplittable();
        if (lan === undefined) break;
        const members = rng.shuffled(attached(lan));
        // At least two non-empty groups: the first node opens group 0, the second group 1.
        const groupCount = rng.int(2, Math.min(3, members.length));
        const groups: string[][] = Array.from({ length: groupCount }, () => []);
        members.forEach((node, i) => groups[i < groupCount ? i : rng.int(0, groupCount - 1)]!.push(node));
        faults.push({
          atMs,
          fault: { kind: 'partition', lan, groups, ...(kind === 'vrrpPartition' ? { vrrpOnly: true } : {}) },
        });
        lanPartitionedUntil.set(lan, atMs + downtimeMs);
        repair(atMs + downtimeMs, { kind: 'heal', lan });
        break;
      }
      case 'oneWay': {
        // One direction of one pair; the heal ends it (a LAN carries one split at a time).
        const lan = pickSplittable();
        if (lan === undefined) break;
        const [from, to] = rng.shuffled(attached(lan));
        faults.push({ atMs, fault: { kind: 'oneWay', lan, from: from!, to: to! } });
        lanPartitionedUntil.set(lan, atMs + downtimeMs);
        repair(atMs + downtimeMs, { kind: 'heal', lan });
        break;
      }
      case 'link': {
        const candidates = scenario.nodes.flatMap((n) =>
          n.interfaces
            .filter((f) => free(linkBusyUntil, `${n.name}/${f.name}`, atMs))
            .map((f) => ({ node: n.name, iface: f.name })),
        );
        if (candidates.length === 0) break;
        const { node, iface } = rng.pick(candidates);
        faults.push({ atMs, fault: { kind: 'linkDown', node, interface: iface } });
        linkBusyUntil.set(`${node}/${iface}`, atMs + downtimeMs);
        repair(atMs + downtimeMs, { kind: 'linkUp', node, interface: iface });
        break;
      }
      case 'priority': {
        // The address owner's 255 is a statement about addresses, not a knob; leave owners alone.
        const candidates = scenario.nodes.flatMap((n) =>
          n.routers.filter((r) => r.priority < 255).map((r) => ({ node: n.name, router: r.name })),
        );
        if (candidates.length === 0) break;
        const { node, router } = rng.pick(candidates);
        faults.push({ atMs, fault: { kind: 'setPriority', node, router, priority: rng.int(1, 254) } });
        break;
      }
      case 'loss': {
        const candidates = scenario.lans.filter((l) => free(lanLossyUntil, l.name, atMs));
        if (candidates.length === 0) break;
        const lan = rng.pick(candidates);
        faults.push({
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
        lanLossyUntil.set(lan.name, atMs + downtimeMs);
        repair(atMs + downtimeMs, restoreQuality(lan));
        break;
      }
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown random fault kind ${String(unreachable)}`);
      }
    }
  }
  faults.push({ atMs: endMs, fault: { kind: 'healAll' } });
  return faults;
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
