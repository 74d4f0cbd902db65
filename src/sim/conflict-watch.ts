// What the daemon does about a VIP claimed by another node (issue 16), for one simulated host: the
// same pure VipConflictTracker (src/core/vip-conflicts.ts) fed the claims this host hears, with the
// daemon's timing (src/daemon/vip-conflicts.ts VipConflictWatch): a Master's claim counts after
// CLAIM_GRACE_MS, open conflicts are looked at every CHECK_EVERY_MS, and a Master re-announces a
// contested address once when the conflict opens and then every resistIntervalMs while it lasts.
// Times are the host's own clock (drift included), as the daemon reads performance.now().
//
// Not modelled: RFC 5227 probes (probeIntervalMs) and the step down to Fault (faultAfterClaims), both
// off by default; a scenario that turns them on is refused (src/sim/scenario.ts).

import { addressesByInterface } from '../core/address-placement.js';
import type { VirtualRouterConfig } from '../core/types.js';
import { type ClaimRole, type ConflictEvent, type VipConflict, VipConflictTracker } from '../core/vip-conflicts.js';
import type { SplitBrainSettings } from '../model/split-brain.js';

/** src/daemon/vip-conflicts.ts CLAIM_GRACE_MS (test/sim/conflict-watch.test.ts holds them equal). */
export const CLAIM_GRACE_MS = 500;
/** src/daemon/vip-conflicts.ts CHECK_EVERY_MS, how often the daemon looks at open conflicts (held equal too). */
export const CHECK_EVERY_MS = 250;

/** What the watch needs of its host: its clock, its timer, its announcements, its timeline. */
export interface ConflictWatchHost {
  /** The host's clock (local ms). */
  nowMs(): number;
  /** Run `check` once, `localDelayMs` of the host's clock from now. */
  schedule(localDelayMs: number): void;
  /** Send one gratuitous ARP / unsolicited NA for `address` on `iface`. */
  announce(iface: string, address: string): void;
  log(text: string): void;
}

/** A router of the host as the daemon's refresh sees it: its state and configuration. */
export interface WatchedRouter {
  readonly state: string;
  readonly config: VirtualRouterConfig;
}

interface Placed {
  readonly router: string;
  readonly role: ClaimRole;
  readonly iface: string;
}

export class ConflictWatch {
  private readonly tracker: VipConflictTracker;
  private placed = new Map<string, Placed>();
  /** Per contested address: when its Master last re-announced it (local ms). */
  private readonly announcedAt = new Map<string, number>();
  private checkArmed = false;
  /** Re-announcements sent, conflicts opened (both roles). */
  resists = 0;
  opened = 0;

  constructor(
    private readonly settings: Required<SplitBrainSettings>,
    private readonly host: ConflictWatchHost,
  ) {
    this.tracker = new VipConflictTracker(settings.quietMs, CLAIM_GRACE_MS);
  }

  /** The daemon's refresh on every state change: Masters hold their addresses, Backups watch them. */
  refresh(routers: Iterable<WatchedRouter>): void {
    const placed = new Map<string, Placed>();
    if (this.settings.detect) {
      for (const router of routers) {
        const role: ClaimRole | undefined =
          router.state === 'Master' ? 'master' : router.state === 'Backup' ? 'backup' : undefined;
        if (role === undefined) continue;
        for (const [iface, addresses] of addressesByInterface(router.config)) {
          for (const address of addresses) placed.set(address, { router: router.config.name, role, iface });
        }
      }
    }
    this.placed = placed;
    const roles = new Map([...placed].map(([address, p]) => [address, { router: p.router, role: p.role }]));
    this.report(this.tracker.watch(roles, this.host.nowMs()));
  }

  /** Another node's gratuitous ARP / NA for `address` reached this host on `iface`. */
  heard(address: string, claimant: string, iface: string): void {
    const placed = this.placed.get(address);
    if (placed === undefined || placed.iface !== iface) return;
    this.report(this.tracker.claim({ address, mac: claimant }, this.host.nowMs()));
    this.armCheck();
  }

  /** The check timer fired (VipConflictWatch.check). */
  check(): void {
    this.checkArmed = false;
    const now = this.host.nowMs();
    this.report(this.tracker.tick(now));
    const every = this.settings.resistIntervalMs;
    for (const conflict of this.tracker.conflicts()) {
      if (every > 0 && now - (this.announcedAt.get(conflict.address) ?? -Infinity) >= every)
        this.resist(conflict.address, now);
    }
    this.armCheck();
  }

  private report(events: readonly ConflictEvent[]): void {
    for (const event of events) {
      if (event.kind === 'start') this.started(event.conflict);
      else {
        this.announcedAt.delete(event.conflict.address);
        const { router, address } = event.conflict;
        this.host.log(
          `${router}: ${address} conflict ended (${event.why === 'quiet' ? 'no claim for quietMs' : 'no longer held or watched here'})`,
        );
      }
    }
  }

  private started(conflict: VipConflict): void {
    this.opened++;
    const others = conflict.macs.join(' and ');
    if (conflict.role === 'master') {
      this.host.log(`${conflict.router}: ${conflict.address} also claimed by ${others}: resisting`);
      this.resist(conflict.address, this.host.nowMs());
    } else {
      this.host.log(`${conflict.router}: ${conflict.address} claimed by ${others} in turn: two holders`);
    }
  }

  private resist(address: string, nowMs: number): void {
    const placed = this.placed.get(address);
    if (placed === undefined || placed.role !== 'master') return;
    this.announcedAt.set(address, nowMs);
    this.resists++;
    this.host.announce(placed.iface, address);
  }

  private armCheck(): void {
    if (this.checkArmed || this.tracker.nextTickMs() === undefined) return;
    this.checkArmed = true;
    this.host.schedule(CHECK_EVERY_MS);
  }
}
