// Split brain on the link, live (issue 16): follows which addresses this host holds as Master and
// watches as Backup, feeds the claims the claim watch hears to the pure VipConflictTracker
// (src/core/vip-conflicts.ts), logs each conflict's start and end, and resists: a Master re-announces a
// contested address at once and then every resistIntervalMs while the conflict lasts, and, when
// configured, steps down to Fault after faultAfterClaims claims (for quietMs after the last one).
// Optional RFC 5227 probes of a Master's own addresses find a second holder that announces nothing.

import { performance } from 'node:perf_hooks';
import { addressesByInterface } from '../core/address-placement.js';
import { type ClaimRole, type ConflictEvent, type VipConflict, VipConflictTracker } from '../core/vip-conflicts.js';
import type { Engine } from '../engine/engine.js';
import type { StateChangeEvent } from '../engine/events.js';
import type { AddressPort } from '../engine/ports.js';
import type { ClaimWatchPort, LinkClaim } from '../linux/claim-watch.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { type SplitBrainSettings, splitBrainSettings } from '../model/split-brain.js';
import type { VirtualRouterConfig } from '../core/types.js';

/** The track input that holds a router in Fault after too many claims (weight 0: Fault while down). */
export const CONFLICT_TRACK = 'vip-conflict';
/** How often open conflicts are looked at (quiet ends, re-announcements). */
const CHECK_EVERY_MS = 250;
/**
 * A Master's claim counts if it is still Master this much later (VipConflictTracker's graceMs): in a
 * preemption the new Master's GARP may be read just before the advert that makes the old one step
 * down, which must not start a conflict, let alone a re-announcement.
 */
export const CLAIM_GRACE_MS = 500;

/** A conflict as reported: with the source of the last foreign adverts its router heard, when any. */
export type ReportedConflict = VipConflict & {
  /** Where adverts for the router's VRID last came from (another Master, another cluster), if heard within quietMs. */
  readonly advertSource?: string;
};

/** A VRID collision or mismatch the demux reported (the first advert of a source, for one reason). */
export interface ReportedCollision {
  readonly router: string;
  readonly detail: string;
  readonly atMs: number;
}

/** Collisions kept for the status and dumps: the latest ones (each source and reason comes once). */
const KEPT_COLLISIONS = 32;

export interface ConflictReport {
  readonly active: readonly ReportedConflict[];
  /** The latest VRID collisions and mismatches reported (src/core/demux.ts), at most KEPT_COLLISIONS. */
  readonly collisions: readonly ReportedCollision[];
  /** Collisions and mismatches reported since start (once per source and reason). */
  readonly collisionsSeen: number;
  /** Conflicts started, and claims heard for watched addresses, since start. */
  readonly started: number;
  readonly claims: number;
  /** RFC 5227 probes sent. */
  readonly probes: number;
}

/** The report of a process whose routers do not run (yet): nothing seen. */
export const NO_CONFLICTS: ConflictReport = {
  active: [],
  collisions: [],
  collisionsSeen: 0,
  started: 0,
  claims: 0,
  probes: 0,
};

interface Placed {
  readonly router: string;
  readonly role: ClaimRole;
  readonly iface: string;
}

function roleIn(state: string): ClaimRole | undefined {
  return state === 'Master' ? 'master' : state === 'Backup' ? 'backup' : undefined;
}

export class VipConflictWatch {
  private readonly settings: Required<SplitBrainSettings>;
  private readonly tracker: VipConflictTracker;
  private placed = new Map<string, Placed>();
  private watchedInterfaces = new Set<string>();
  /** Per contested address: when a Master last re-announced it. */
  private readonly announcedAt = new Map<string, number>();
  /** Routers held in Fault by CONFLICT_TRACK, and until when. */
  private readonly faulted = new Map<string, number>();
  private checkTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probes = 0;
  /**
   * Per router: the last source of adverts it heard, and when; followed only while a conflict is
   * open, since an advertReceived listener costs the engine a second decode of every advert.
   */
  private readonly advertSources = new Map<string, { address: string; atMs: number }>();
  private followingAdverts = false;
  /** Contested addresses whose log already named the other node's advert source. */
  private readonly sourceLogged = new Set<string>();
  private readonly collisions: ReportedCollision[] = [];
  private collisionsSeen = 0;
  /** Routers with an open conflict whose log has not yet named the other node's advert source. */
  private readonly awaitingSource = new Set<string>();
  /** Per interface: the address list the claim watch was last given (a call only when it changes). */
  private readonly linkLists = new Map<string, string>();
  /** Per router: its addresses by interface, for the configuration object they were read from. */
  private readonly routerAddresses = new Map<string, { config: VirtualRouterConfig; placed: [string, string][] }>();
  private readonly onStateChange = (event: StateChangeEvent): void => this.follow(event.router, event.to);
  private readonly onNotice = (event: { router: string; notice: string; detail: string; atMs: number }): void => {
    if (event.notice !== 'vrid-collision') return;
    this.collisionsSeen++;
    this.collisions.push({ router: event.router, detail: event.detail, atMs: event.atMs });
    if (this.collisions.length > KEPT_COLLISIONS) this.collisions.shift();
  };
  private readonly onAdvert = (event: { router: string; vrid: number; sourceAddress: string }): void => {
    this.advertSources.set(event.router, { address: event.sourceAddress, atMs: performance.now() });
    // Per advert while any conflict is open (25,000/s at 255 VRIDs and 10 ms): O(1) unless this
    // router's conflict still waits for its source to be named.
    if (!this.awaitingSource.has(event.router)) return;
    this.awaitingSource.delete(event.router);
    for (const conflict of this.tracker.conflicts()) {
      if (conflict.router !== event.router || this.sourceLogged.has(conflict.address)) continue;
      this.sourceLogged.add(conflict.address);
      this.parts.logger.warn(
        { event: 'vip-conflict', state: 'source', ...conflict, advertSource: event.sourceAddress },
        `${conflict.router}: VIP ${conflict.address} conflict: adverts for VRID ${event.vrid} come from ${event.sourceAddress}`,
      );
    }
  };

  constructor(
    private readonly parts: {
      readonly engine: Engine;
      readonly claims: ClaimWatchPort;
      readonly addresses: AddressPort;
      readonly logger: RuntimeLogger;
      readonly settings?: SplitBrainSettings | undefined;
    },
  ) {
    this.settings = splitBrainSettings(parts.settings);
    this.tracker = new VipConflictTracker(this.settings.quietMs, CLAIM_GRACE_MS);
    parts.engine.on('stateChange', this.onStateChange);
    // Notices are rare (the event log listens already): no cost on the advert path.
    parts.engine.on('notice', this.onNotice);
    if (this.settings.probeIntervalMs > 0) {
      this.probeTimer = setInterval(() => this.probe(), this.settings.probeIntervalMs);
      this.probeTimer.unref();
    }
  }

  /** The claim watch heard these (LinuxClaimWatch's callback). */
  heard(claims: readonly LinkClaim[]): void {
    const now = performance.now();
    for (const claim of claims) {
      const placed = this.placed.get(claim.address);
      if (placed === undefined || placed.iface !== claim.interface) continue;
      this.report(this.tracker.claim(claim, now));
      this.maybeStepDown(claim.address, placed);
    }
    this.armCheck();
  }

  report(events: readonly ConflictEvent[]): void {
    for (const event of events) {
      if (event.kind === 'start') this.started(event.conflict);
      else this.ended(event.conflict, event.why, event.atMs);
    }
    const want = this.tracker.nextTickMs() !== undefined;
    if (want === this.followingAdverts) return;
    this.followingAdverts = want;
    if (want) this.parts.engine.on('advertReceived', this.onAdvert);
    else this.parts.engine.off('advertReceived', this.onAdvert);
  }

  snapshot(): ConflictReport {
    const totals = this.tracker.totals();
    const active = this.tracker.conflicts().map((c) => this.withAdvertSource(c));
    return {
      active,
      collisions: [...this.collisions],
      collisionsSeen: this.collisionsSeen,
      started: totals.started,
      claims: totals.claims,
      probes: this.probes,
    };
  }

  private withAdvertSource(conflict: VipConflict): ReportedConflict {
    const heard = this.advertSources.get(conflict.router);
    if (heard === undefined || performance.now() - heard.atMs > this.settings.quietMs) return conflict;
    return { ...conflict, advertSource: heard.address };
  }

  /** Re-reads every router's state and addresses: what to watch, and in which role (at start, on reload). */
  refresh(): void {
    const placed = new Map<string, Placed>();
    for (const snap of this.parts.engine.snapshot()) {
      const role = roleIn(snap.state);
      const config = this.parts.engine.routerConfig(snap.name);
      if (role === undefined || config === undefined || !this.settings.detect) continue;
      for (const [iface, address] of this.addressesOf(snap.name, config))
        placed.set(address, { router: snap.name, role, iface });
    }
    this.placed = placed;
    const roles = new Map([...placed].map(([address, p]) => [address, { router: p.router, role: p.role }]));
    this.report(this.tracker.watch(roles, performance.now()));
    this.watchLinks();
  }

  /**
   * One router changed state: only its addresses are placed again, and the claim watch is called only
   * if an interface's list changed (Master <-> Backup keeps it). A full refresh per change costs
   * O(routers), which made 255 routers flapping under CPU starvation feed on themselves.
   */
  private follow(router: string, state: string): void {
    const config = this.parts.engine.routerConfig(router);
    if (config === undefined) {
      this.refresh();
      return;
    }
    const role = this.settings.detect ? roleIn(state) : undefined;
    const now = performance.now();
    const events: ConflictEvent[] = [];
    let linksChanged = false;
    for (const [iface, address] of this.addressesOf(router, config)) {
      const before = this.placed.get(address);
      if (role === undefined) {
        if (before?.router !== router) continue;
        this.placed.delete(address);
        linksChanged = true;
        events.push(...this.tracker.place(address, undefined, now));
        continue;
      }
      if (before?.iface !== iface) linksChanged = true;
      this.placed.set(address, { router, role, iface });
      events.push(...this.tracker.place(address, { router, role }, now));
    }
    this.report(events);
    if (linksChanged) this.watchLinks();
  }

  /** `router`'s [interface, address] pairs, read again only when its configuration object changes. */
  private addressesOf(router: string, config: VirtualRouterConfig): readonly [string, string][] {
    const known = this.routerAddresses.get(router);
    if (known?.config === config) return known.placed;
    const placed: [string, string][] = [];
    for (const [iface, addresses] of addressesByInterface(config))
      for (const address of addresses) placed.push([iface, address]);
    this.routerAddresses.set(router, { config, placed });
    return placed;
  }

  close(): void {
    this.parts.engine.off('stateChange', this.onStateChange);
    this.parts.engine.off('notice', this.onNotice);
    this.parts.engine.off('advertReceived', this.onAdvert);
    clearInterval(this.probeTimer);
    clearTimeout(this.checkTimer);
    this.parts.claims.close();
  }

  private watchLinks(): void {
    const byInterface = new Map<string, string[]>();
    for (const [address, p] of this.placed) {
      const list = byInterface.get(p.iface);
      if (list === undefined) byInterface.set(p.iface, [address]);
      else list.push(address);
    }
    for (const iface of new Set([...this.watchedInterfaces, ...byInterface.keys()])) {
      const list = byInterface.get(iface) ?? [];
      const key = list.join(' ');
      if (this.linkLists.get(iface) === key) continue;
      try {
        this.parts.claims.watch(iface, list);
        if (list.length === 0) this.linkLists.delete(iface);
        else this.linkLists.set(iface, key);
      } catch (error) {
        // A link that is not Ethernet, or gone: no detection there, the routers run on.
        this.parts.logger.warn(
          { event: 'vip-conflict-watch', interface: iface, error: errorFields(error) },
          `cannot watch ${iface} for address conflicts: ${(error as Error).message}`,
        );
        this.linkLists.delete(iface);
        byInterface.delete(iface);
      }
    }
    this.watchedInterfaces = new Set(byInterface.keys());
  }

  private started(found: VipConflict): void {
    const conflict = this.withAdvertSource(found);
    if (conflict.advertSource !== undefined) this.sourceLogged.add(conflict.address);
    else this.awaitingSource.add(conflict.router);
    const adverts = conflict.advertSource === undefined ? '' : `, adverts heard from ${conflict.advertSource}`;
    const other = `${conflict.macs.join(' and ')}${conflict.sender === undefined ? '' : ` (${conflict.sender})`}${adverts}`;
    this.parts.logger.warn(
      { event: 'vip-conflict', state: 'start', ...conflict },
      conflict.role === 'master'
        ? `${conflict.router}: VIP ${conflict.address} is also claimed by ${other}: split brain`
        : `${conflict.router}: VIP ${conflict.address} is answered by ${other} at once: two holders`,
    );
    if (conflict.role === 'master') this.resist(conflict.address, performance.now());
  }

  private ended(conflict: VipConflict, why: 'quiet' | 'released', atMs: number): void {
    this.announcedAt.delete(conflict.address);
    this.sourceLogged.delete(conflict.address);
    this.parts.logger.info(
      { event: 'vip-conflict', state: 'end', why, ...conflict, lastedMs: Math.round(atMs - conflict.sinceMs) },
      `${conflict.router}: VIP ${conflict.address} conflict with ${conflict.macs.join(' and ')} ended after ${Math.round(atMs - conflict.sinceMs)} ms, ${conflict.claims} claim(s) (${why === 'quiet' ? 'no claim since' : 'no longer held here'})`,
    );
  }

  /** Re-announces `address` from the Master holding it (the AddressPort's rate: once per call). */
  private resist(address: string, nowMs: number): void {
    const placed = this.placed.get(address);
    if (placed === undefined || placed.role !== 'master') return;
    this.announcedAt.set(address, nowMs);
    Promise.resolve()
      .then(() => this.parts.addresses.announceVips(placed.iface, [address], 1))
      .catch((error: unknown) => {
        this.parts.logger.warn(
          { event: 'error', operation: 'announceVips', interface: placed.iface, error: errorFields(error) },
          `re-announcing ${address} on ${placed.iface} failed: ${(error as Error).message}`,
        );
      });
  }

  private maybeStepDown(address: string, placed: Placed): void {
    const after = this.settings.faultAfterClaims;
    if (after === 0 || placed.role !== 'master') return;
    const conflict = this.tracker.conflicts().find((c) => c.address === address);
    if (conflict === undefined || conflict.claims < after || this.faulted.has(placed.router)) return;
    this.faulted.set(placed.router, performance.now() + this.settings.quietMs);
    this.parts.logger.warn(
      { event: 'vip-conflict', state: 'fault', router: placed.router, address, claims: conflict.claims },
      `${placed.router}: ${conflict.claims} claims of ${address} by another node: stepping down to Fault for ${this.settings.quietMs} ms`,
    );
    this.parts.engine.input(placed.router, { kind: 'track', name: CONFLICT_TRACK, up: false, weight: 0 });
  }

  private armCheck(): void {
    if (this.checkTimer !== undefined) return;
    if (this.tracker.nextTickMs() === undefined && this.faulted.size === 0) return;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      this.check();
    }, CHECK_EVERY_MS);
    this.checkTimer.unref();
  }

  private check(): void {
    const now = performance.now();
    this.report(this.tracker.tick(now));
    for (const conflict of this.tracker.conflicts()) {
      const placed = this.placed.get(conflict.address);
      if (placed !== undefined) this.maybeStepDown(conflict.address, placed);
    }
    const every = this.settings.resistIntervalMs;
    for (const conflict of this.tracker.conflicts()) {
      if (every > 0 && now - (this.announcedAt.get(conflict.address) ?? -Infinity) >= every)
        this.resist(conflict.address, now);
    }
    for (const [router, untilMs] of this.faulted) {
      if (now < untilMs) continue;
      this.faulted.delete(router);
      this.parts.engine.input(router, { kind: 'track', name: CONFLICT_TRACK, up: true, weight: 0 });
    }
    this.armCheck();
  }

  private probe(): void {
    const byInterface = new Map<string, string[]>();
    for (const [address, p] of this.placed) {
      if (p.role !== 'master') continue;
      const list = byInterface.get(p.iface);
      if (list === undefined) byInterface.set(p.iface, [address]);
      else list.push(address);
    }
    for (const [iface, addresses] of byInterface) {
      try {
        this.probes += this.parts.claims.probe(iface, addresses);
      } catch (error) {
        this.parts.logger.warn(
          { event: 'error', operation: 'probe', interface: iface, error: errorFields(error) },
          `probing ${addresses.join(',')} on ${iface} failed: ${(error as Error).message}`,
        );
      }
    }
  }
}
