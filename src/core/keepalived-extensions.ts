// keepalived 2.2.7 behaviour beyond RFC 9568 that the VirtualRouter follows, kept out of its RFC path:
// the preempt rules of `state MASTER` / nopreempt / preempt_delay, track weights, and the hold-off of
// re-announcements to a router advertising lower (garp_lower_prio_*). Pure functions and plain state.

import { addressInterface } from './address-placement.js';
import type { VirtualRouterConfig } from './types.js';

/**
 * keepalived garp_extra_if (vrrp.c vrrp_send_vmac_update): the first of `owned` on each of the
 * extra interfaces, in address order, one address per interface.
 */
export function extraInterfaceAddresses(config: VirtualRouterConfig, owned: readonly string[]): string[] {
  const wanted = new Set(config.announce.extraInterfaces ?? []);
  wanted.delete(config.interface);
  const done = new Set<string>();
  const picked: string[] = [];
  for (const address of owned) {
    const iface = addressInterface(config, address);
    if (iface === undefined || !wanted.has(iface) || done.has(iface)) continue;
    done.add(iface);
    picked.push(address);
  }
  return picked;
}

export const OWNER_PRIORITY = 255;
export const LOWEST_PRIORITY = 1;
export const HIGHEST_NON_OWNER_PRIORITY = 254;
/** Shortest hold-off between two re-announcements caused by lower-priority adverts. */
export const LOWER_PRIORITY_MIN_HOLDOFF_MS = 1000;

export interface TrackedObject {
  readonly up: boolean;
  readonly weight: number;
}

/**
 * How nopreempt and preempt_delay apply.
 * - keepalived mode with initialState 'Master': keepalived 2.2.7 (vrrp_complete_instance) clears
 *   both, with a warning, for `state MASTER`; we do the same and say so with a notice at startup.
 *   This is the field failure "preempt_delay ignored at startup": the rebooted node preempts at once.
 * - otherwise (and always in openshift mode) both hold. keepalived also resets preempt_delay when
 *   nopreempt is set (they contradict each other); so do we.
 * The address owner always preempts (keepalived resets nopreempt for priority 255).
 */
export function preemptRules(config: VirtualRouterConfig): {
  preempt: boolean;
  preemptDelayMs: number;
  ignored: string | undefined;
} {
  if (config.priority === OWNER_PRIORITY) return { preempt: true, preemptDelayMs: 0, ignored: undefined };
  if (config.preemptDelayMode === 'keepalived' && config.initialState === 'Master') {
    const cleared = [
      !config.preempt ? 'nopreempt' : undefined,
      config.preemptDelayMs > 0 ? `preempt_delay ${config.preemptDelayMs} ms` : undefined,
    ].filter((setting): setting is string => setting !== undefined);
    return {
      preempt: true,
      preemptDelayMs: 0,
      ignored:
        cleared.length > 0
          ? `initial state MASTER clears ${cleared.join(' and ')} (keepalived 2.2.7 behaviour)`
          : undefined,
    };
  }
  return { preempt: config.preempt, preemptDelayMs: config.preempt ? config.preemptDelayMs : 0, ignored: undefined };
}

/**
 * keepalived weights: weight > 0 adds while up, weight < 0 subtracts while down, weight 0 only
 * faults. The result is clamped to 1..254; the owner's 255 never moves.
 */
export function weightedPriority(basePriority: number, tracked: Iterable<TrackedObject>): number {
  if (basePriority === OWNER_PRIORITY) return OWNER_PRIORITY;
  let priority = basePriority;
  for (const track of tracked) {
    if (track.weight > 0 && track.up) priority += track.weight;
    else if (track.weight < 0 && !track.up) priority += track.weight;
  }
  return Math.min(HIGHEST_NON_OWNER_PRIORITY, Math.max(LOWEST_PRIORITY, priority));
}

/**
 * A Master's memory of the routers advertising lower than it (two Masters: a healed partition, a
 * blocked group). It answers every such advert with its own, and re-announces the VIPs in full at most
 * once per hold-off for a source's regular stream of lower adverts (about one interval apart); inside
 * the hold-off, each advert of that stream gets one announcement instead. A source that keeps
 * advertising after our answer cannot hear us (a one-way cut): any of its adverts may be the first
 * since the cut healed, or the one it sends as it steps down, and hosts behind the cut learn who
 * holds the VIPs only from an announcement made after that. By timing alone the step-down advert looks
 * regular whenever it falls late in its interval (the simulator's one-way cuts found it; keepalived
 * sends a full burst for every lower advert). Anything else is a new claim hosts may have learnt since
 * we announced, answered in full: a source never heard or silent for three intervals (a partition
 * healed), or one advertising sooner than its interval, which a router does when it steps down or
 * re-announces itself on hearing a third, lower Master (three Masters meeting).
 * Cleared on every state change.
 */
export class LowerPriorityReannounce {
  private quietUntilMs: number | undefined;
  /** When each source was last heard advertising lower; forgotten after a silence of three intervals. */
  private readonly heard = new Map<string, number>();

  reset(): void {
    this.quietUntilMs = undefined;
    this.heard.clear();
  }

  /**
   * Records a lower advert: 'burst' when the VIPs should be announced in full now (the hold-off
   * restarts), 'single' for a regular stream inside the hold-off (one announcement).
   */
  hear(
    source: string,
    theirIntervalMs: number,
    ourIntervalMs: number,
    holdOffMs: number,
    nowMs: number,
  ): 'burst' | 'single' {
    const streamMs = 3 * Math.max(theirIntervalMs, ourIntervalMs);
    for (const [known, atMs] of this.heard) if (nowMs - atMs > streamMs) this.heard.delete(known);
    const lastHeardMs = this.heard.get(source);
    this.heard.set(source, nowMs);
    const regular = lastHeardMs !== undefined && nowMs - lastHeardMs >= theirIntervalMs / 2;
    if (regular && this.quietUntilMs !== undefined && nowMs < this.quietUntilMs) return 'single';
    this.quietUntilMs = nowMs + Math.max(holdOffMs, LOWER_PRIORITY_MIN_HOLDOFF_MS);
    return 'burst';
  }
}
