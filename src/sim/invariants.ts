// The simulator's invariants, kept apart from the world so that a test can feed them a history by hand.
//
// (a) single master: in each connected partition at most one Master per (LAN, family, VRID), once the
//     group has been quiet for `graceMs` (no topology, priority or packet-loss disturbance). Two Masters
//     are still allowed for `resolveMs` at any time: a preempting Backup's first advert is in flight.
// (b) VIP holding: a node holds a router's VIPs exactly while that router is Master.
// (c) liveness: from `livenessAtMs` on, each connected partition with a usable router has exactly one
//     Master, and with preempt on everywhere it holds the highest effective priority. Between equal
//     priorities the primary address decides only when two contend at once (RFC 9568 6.4.3); a Backup
//     of equal priority does not preempt a running Master (6.4.2), so any of them is correct.

import ipaddr from 'ipaddr.js';
import type { RouterState } from '../core/types.js';

export type SimRouterState = RouterState | 'Down';
/**
 * The three invariants, the optional ARP-view check (hosts' caches point at the Master once calm), and a
 * run that threw or stopped advancing time.
 */
export type InvariantName =
  | 'single-master'
  | 'vip-holding'
  | 'liveness'
  | 'stale-arp'
  | 'heal'
  | 'sync-group'
  | 'exception'
  | 'livelock';

export interface Violation {
  readonly invariant: InvariantName;
  readonly atMs: number;
  readonly message: string;
}

/** What the invariants need to know of a router at one instant. */
export interface RouterView {
  /** `node/router`. */
  readonly id: string;
  readonly state: SimRouterState;
  readonly effectivePriority: number;
  /** Fixed-width hex of the primary address: string order is unsigned network byte order. */
  readonly addressRank: string;
  readonly preempt: boolean;
}

export interface KeyBounds {
  readonly graceMs: number;
  readonly resolveMs: number;
  readonly livenessMs: number;
  /** After a partition heals: one Master left and hosts pointing at it (one interval + Skew_Time). */
  readonly healMs: number;
}

export function addressRank(address: string): string {
  return ipaddr
    .parse(address)
    .toByteArray()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/** The watch over one (LAN, family, VRID): its disturbance clock and the start of a two-master episode. */
export class KeyWatch {
  lastDisturbanceMs = 0;
  conflictSinceMs: number | undefined = undefined;

  constructor(
    readonly label: string,
    /** Settable once the key's routers are known (the simulator builds keys router by router). */
    public bounds: KeyBounds,
  ) {}

  disturb(atMs: number): void {
    this.lastDisturbanceMs = atMs;
  }

  get inConflict(): boolean {
    return this.conflictSinceMs !== undefined;
  }

  /** (a). `groups` are the connected partitions, each listing its reachable routers. */
  checkSingleMaster(atMs: number, groups: readonly (readonly RouterView[])[]): Violation | undefined {
    let worst: readonly RouterView[] | undefined;
    for (const group of groups) {
      const masters = group.filter((r) => r.state === 'Master');
      if (masters.length > 1 && (worst === undefined || masters.length > worst.length)) worst = masters;
    }
    if (worst === undefined) {
      this.conflictSinceMs = undefined;
      return undefined;
    }
    this.conflictSinceMs ??= atMs;
    const quietForMs = atMs - this.lastDisturbanceMs;
    const conflictForMs = atMs - this.conflictSinceMs;
    if (quietForMs <= this.bounds.graceMs || conflictForMs <= this.bounds.resolveMs) return undefined;
    return {
      invariant: 'single-master',
      atMs,
      message:
        `${this.label}: ${worst.length} Masters in one connected partition (${worst.map((r) => r.id).join(', ')}) ` +
        `since ${formatSeconds(this.conflictSinceMs)}; last disturbance at ${formatSeconds(this.lastDisturbanceMs)}, ` +
        `grace ${this.bounds.graceMs.toFixed(1)} ms, resolve bound ${this.bounds.resolveMs.toFixed(1)} ms`,
    };
  }

  /** (c). `healedAtMs` is when the network became calm for good. */
  checkLiveness(atMs: number, healedAtMs: number, groups: readonly (readonly RouterView[])[]): Violation | undefined {
    for (const group of groups) {
      const usable = group.filter((r) => r.state !== 'Fault' && r.state !== 'Down');
      if (usable.length === 0) continue;
      const masters = usable.filter((r) => r.state === 'Master');
      const members = group.map((r) => `${r.id}=${r.state}/${r.effectivePriority}`).join(' ');
      const after = `${formatSeconds(atMs - healedAtMs)} after the liveness phase began (bound ${this.bounds.livenessMs.toFixed(1)} ms)`;
      if (masters.length !== 1) {
        return {
          invariant: 'liveness',
          atMs,
          message: `${this.label}: ${masters.length} Masters ${after} [${members}]`,
        };
      }
      // A Backup of equal priority resets its down timer (RFC 9568 6.4.2) and never preempts, so the
      // address tie-break only decides between routers that contend at the same moment: any router
      // holding the highest priority is a correct Master.
      if (usable.every((r) => r.preempt)) {
        const best = bestRouter(usable);
        if (masters[0]!.effectivePriority !== best.effectivePriority) {
          return {
            invariant: 'liveness',
            atMs,
            message: `${this.label}: Master is ${masters[0]!.id} but ${best.id} has the highest priority ${after} [${members}]`,
          };
        }
      }
    }
    return undefined;
  }

  /**
   * (d) heal: called `bounds.healMs` after a split of this key's LAN healed, when nothing disturbed the
   * key since and it had a Master at the heal. Each partition left (one, unless links or nodes are down)
   * must have exactly one Master: the contest between the sides' Masters is over.
   */
  checkHealed(atMs: number, healAtMs: number, groups: readonly (readonly RouterView[])[]): Violation | undefined {
    for (const group of groups) {
      const usable = group.filter((r) => r.state !== 'Fault' && r.state !== 'Down');
      const masters = usable.filter((r) => r.state === 'Master');
      if (usable.length === 0 || masters.length === 1) continue;
      // A Master elected by its own timer after the heal may meet the winner just now (one in flight).
      if (
        masters.length > 1 &&
        this.conflictSinceMs !== undefined &&
        atMs - this.conflictSinceMs <= this.bounds.resolveMs
      )
        continue;
      const members = group.map((r) => `${r.id}=${r.state}/${r.effectivePriority}`).join(' ');
      return {
        invariant: 'heal',
        atMs,
        message: `${this.label}: ${masters.length} Masters ${formatSeconds(atMs - healAtMs)} after the heal at ${formatSeconds(healAtMs)} (bound ${this.bounds.healMs.toFixed(1)} ms) [${members}]`,
      };
    }
    return undefined;
  }
}

/** Highest effective priority; ties go to the highest primary address (RFC 9568 6.4.3). */
export function bestRouter(routers: readonly RouterView[]): RouterView {
  let best = routers[0]!;
  for (const r of routers) {
    if (r.effectivePriority > best.effectivePriority) best = r;
    else if (r.effectivePriority === best.effectivePriority && r.addressRank > best.addressRank) best = r;
  }
  return best;
}

/** (b). `heldCount` is how many of the router's `vipCount` VIPs its node holds right now. */
export function checkVipHolding(
  atMs: number,
  id: string,
  state: SimRouterState,
  vipCount: number,
  heldCount: number,
): Violation | undefined {
  if (state === 'Master' && heldCount !== vipCount) {
    return {
      invariant: 'vip-holding',
      atMs,
      message: `${id} is Master but its node holds ${heldCount} of its ${vipCount} VIPs`,
    };
  }
  if (state !== 'Master' && heldCount > 0) {
    return {
      invariant: 'vip-holding',
      atMs,
      message: `${id} is ${state} but its node still holds ${heldCount} of its VIPs`,
    };
  }
  return undefined;
}
