// Split brain on the link layer (issue 16): deciding, from the claims heard for our virtual addresses
// (ARP naming the address as its sender, NAs with the Override flag naming it as target), when two nodes
// hold one address at once, and when that stops. Pure: the claims, our roles and the time are inputs;
// the socket (native/src/claim_watch.cc) and the clock belong to the daemon (src/daemon/vip-conflicts.ts).
//
// - A Master holding the address: a claim from another link-layer address is a conflict if the router
//   is still Master of it `graceMs` later (the watcher never reports this host's own frames). The
//   grace covers a preemption: the new Master's GARP can be read just before its advert, which
//   makes the old one step down.
// - A Backup: the Master's claims are expected, and so is a new Master's after a failover; claims
//   that alternate (A, then B, then A again, within `quietMs`) are a conflict: two holders, neither us.
// A conflict ends when its other holder has been silent for `quietMs`, or at once when we stop being
// Master (Master's view) or stop watching the address.

export type ClaimRole = 'master' | 'backup';

export interface HeardClaim {
  readonly address: string;
  /** The claimant's link-layer address, lower-case `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
  /** Another address of the claimant when known (its ARP sender address, its NA's IPv6 source). */
  readonly sender?: string | undefined;
}

export interface VipConflict {
  readonly address: string;
  /** The router holding or watching the address. */
  readonly router: string;
  readonly role: ClaimRole;
  /** The other holder's link-layer address; for a Backup's view, every claimant's. */
  readonly macs: readonly string[];
  /** The other holder's address, when the claims named one. */
  readonly sender: string | undefined;
  readonly sinceMs: number;
  readonly lastClaimMs: number;
  /** Claims heard in this conflict. */
  readonly claims: number;
}

export type ConflictEvent =
  | { readonly kind: 'start'; readonly conflict: VipConflict }
  | { readonly kind: 'end'; readonly conflict: VipConflict; readonly why: 'quiet' | 'released'; readonly atMs: number };

interface Watched {
  readonly router: string;
  readonly role: ClaimRole;
}

interface Open {
  readonly address: string;
  readonly router: string;
  readonly role: ClaimRole;
  readonly macs: Map<string, number>;
  sender: string | undefined;
  readonly sinceMs: number;
  lastClaimMs: number;
  claims: number;
}

export interface ConflictTotals {
  /** Conflicts started since the tracker was made. */
  readonly started: number;
  /** Claims heard for watched addresses (conflicting or not). */
  readonly claims: number;
}

export class VipConflictTracker {
  private readonly watched = new Map<string, Watched>();
  /** Per address: the link-layer addresses heard claiming it, and when last. */
  private readonly heard = new Map<string, Map<string, number>>();
  private readonly open = new Map<string, Open>();
  /** A Master's claims waiting out graceMs, by address: the first one heard, and the router then. */
  private readonly pending = new Map<string, { claim: HeardClaim; atMs: number; router: string; count: number }>();
  private started = 0;
  private claimCount = 0;

  constructor(
    private readonly quietMs: number,
    private readonly graceMs = 0,
  ) {
    if (!(quietMs > 0)) throw new RangeError(`quietMs must be positive, got ${quietMs}`);
    if (!(graceMs >= 0)) throw new RangeError(`graceMs must not be negative, got ${graceMs}`);
  }

  /**
   * The addresses to judge, each with the router and its role (Master: it holds them; Backup: it
   * watches them). Addresses left out end their conflicts ('released'), as does a role change.
   */
  watch(next: ReadonlyMap<string, Watched>, nowMs: number): ConflictEvent[] {
    const events: ConflictEvent[] = [];
    for (const address of [...this.watched.keys()]) {
      if (!next.has(address)) events.push(...this.place(address, undefined, nowMs));
    }
    for (const [address, watched] of next) events.push(...this.place(address, watched, nowMs));
    return events;
  }

  /**
   * One address's router and role (undefined: no longer judged), as `watch` sets them for all: O(1),
   * for a router whose state changed (a full `watch` per change is quadratic when 255 routers flap).
   */
  place(address: string, watched: Watched | undefined, nowMs: number): ConflictEvent[] {
    const events: ConflictEvent[] = [];
    const conflict = this.open.get(address);
    if (conflict !== undefined && (watched?.role !== conflict.role || watched.router !== conflict.router)) {
      this.open.delete(address);
      events.push({ kind: 'end', conflict: frozen(conflict), why: 'released', atMs: nowMs });
    }
    const held = this.pending.get(address);
    if (held !== undefined && (watched?.role !== 'master' || watched.router !== held.router))
      this.pending.delete(address);
    if (watched === undefined) {
      this.watched.delete(address);
      this.heard.delete(address);
    } else {
      this.watched.set(address, watched);
    }
    return events;
  }

  /** A claim heard on the link. Claims for addresses not watched are ignored. */
  claim(claim: HeardClaim, nowMs: number): ConflictEvent[] {
    const watched = this.watched.get(claim.address);
    if (watched === undefined) return [];
    this.claimCount++;
    let macs = this.heard.get(claim.address);
    if (macs === undefined) {
      macs = new Map();
      this.heard.set(claim.address, macs);
    }
    forgetQuiet(macs, nowMs - this.quietMs);
    const before = macs.get(claim.mac);
    // Alternation: this MAC claimed before, and another one since.
    const alternates = before !== undefined && [...macs].some(([mac, atMs]) => mac !== claim.mac && atMs > before);
    macs.set(claim.mac, nowMs);

    const conflict = this.open.get(claim.address);
    if (conflict !== undefined) {
      conflict.macs.set(claim.mac, nowMs);
      conflict.lastClaimMs = nowMs;
      conflict.claims++;
      if (claim.sender !== undefined) conflict.sender = claim.sender;
      return [];
    }
    if (watched.role === 'master') {
      const held = this.pending.get(claim.address);
      if (held === undefined) this.pending.set(claim.address, { claim, atMs: nowMs, router: watched.router, count: 1 });
      else held.count++;
      return this.graceMs === 0 ? this.tick(nowMs) : [];
    }
    if (!alternates) return [];
    return [{ kind: 'start', conflict: frozen(this.openConflict(claim, watched, new Map(macs), nowMs)) }];
  }

  private openConflict(claim: HeardClaim, watched: Watched, macs: Map<string, number>, nowMs: number): Open {
    const opened: Open = {
      address: claim.address,
      router: watched.router,
      role: watched.role,
      macs,
      sender: claim.sender,
      sinceMs: nowMs,
      lastClaimMs: nowMs,
      claims: 1,
    };
    this.open.set(claim.address, opened);
    this.started++;
    return opened;
  }

  /** Opens a Master's conflicts whose grace has passed; ends those whose other holder has been silent for quietMs. */
  tick(nowMs: number): ConflictEvent[] {
    const events: ConflictEvent[] = [];
    for (const [address, held] of this.pending) {
      if (nowMs - held.atMs < this.graceMs) continue;
      this.pending.delete(address);
      const watched = this.watched.get(address);
      if (watched?.role !== 'master' || watched.router !== held.router || this.open.has(address)) continue;
      const lastMs = this.heard.get(address)?.get(held.claim.mac) ?? held.atMs;
      const conflict = this.openConflict(held.claim, watched, new Map([[held.claim.mac, lastMs]]), held.atMs);
      conflict.claims = held.count;
      conflict.lastClaimMs = lastMs;
      events.push({ kind: 'start', conflict: frozen(conflict) });
    }
    for (const [address, conflict] of this.open) {
      forgetQuiet(conflict.macs, nowMs - this.quietMs);
      const others = conflict.role === 'master' ? conflict.macs.size : conflict.macs.size - 1;
      if (others >= 1) continue;
      this.open.delete(address);
      events.push({ kind: 'end', conflict: frozen(conflict), why: 'quiet', atMs: nowMs });
    }
    return events;
  }

  /** When tick next has something to end (undefined: no conflict open). */
  nextTickMs(): number | undefined {
    let next: number | undefined;
    for (const held of this.pending.values()) {
      const at = held.atMs + this.graceMs;
      if (next === undefined || at < next) next = at;
    }
    for (const conflict of this.open.values()) {
      const at = conflict.lastClaimMs + this.quietMs;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  conflicts(): VipConflict[] {
    return [...this.open.values()].map(frozen);
  }

  totals(): ConflictTotals {
    return { started: this.started, claims: this.claimCount };
  }
}

function forgetQuiet(macs: Map<string, number>, beforeMs: number): void {
  for (const [mac, atMs] of macs) if (atMs <= beforeMs) macs.delete(mac);
}

function frozen(conflict: Open): VipConflict {
  return {
    address: conflict.address,
    router: conflict.router,
    role: conflict.role,
    macs: [...conflict.macs.keys()].sort(),
    sender: conflict.sender,
    sinceMs: conflict.sinceMs,
    lastClaimMs: conflict.lastClaimMs,
    claims: conflict.claims,
  };
}
