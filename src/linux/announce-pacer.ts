// Gaps between gratuitous ARPs / unsolicited NAs on one interface, as keepalived 2.2.7 keeps them
// (vrrp_garp_interval, vrrp_gna_interval, garp_group; vrrp_arp.c, vrrp_ndisc.c, vrrp_scheduler.c):
//   - per interface and family there is one "next send allowed at" time, shared by every router;
//   - an announcement sends at once if that time has passed (or nothing was sent yet), then moves it
//     one gap on; otherwise the address is marked pending. The mark is a flag, not a count: a burst of
//     5 for one address on a paced interface is one frame now and one more a gap later, as keepalived
//     sends it (the rest of the burst is folded into that one pending frame);
//   - when the time comes, the pending addresses go one per gap, in the order they were announced.
// Without a gap nothing changes: `count` frames per address, back to back, in one native call.
// A takeover's first frame is sent by the addon's takeover kit (takeover-kit.ts), before this runs;
// the caller passes those addresses as `sentOnce` so their burst continues from it.

import { canonicalAddress } from './address-text.js';

/** Sends `count` frames for each address on `iface` (announce.ts `announceVips`, or a test's). */
export type SendAnnouncements = (iface: string, addresses: readonly string[], count: number) => void | Promise<void>;

/** A deferred frame that failed, for the owner's log. */
export type DeferredErrorListener = (iface: string, address: string, error: unknown) => void;

interface Lane {
  /** performance.now() before which nothing may be sent (undefined: nothing sent with a gap yet). */
  nextAtMs: number | undefined;
  gapMs: number;
  /** Addresses owed one frame, in order, with the sender and the interface to send on. */
  readonly pending: Map<string, { readonly send: SendAnnouncements; readonly iface: string }>;
  timer: NodeJS.Timeout | undefined;
}

export interface AnnouncePacerCounters {
  /** Frames sent late, from the pending list. */
  readonly deferredSent: number;
  /** Bursts' frames folded into a pending one (keepalived's flag), or dropped with their address. */
  readonly folded: number;
  /** Pending frames dropped: their address was removed first. */
  readonly dropped: number;
  readonly deferredFailed: number;
}

function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

function canonical(address: string): string {
  return canonicalAddress(address)?.address ?? address;
}

export class AnnouncePacer {
  private readonly lanes = new Map<string, Lane>();
  private counts = { deferredSent: 0, folded: 0, dropped: 0, deferredFailed: 0 };
  /** Where a deferred frame's failure goes (the runtime logs it); unset: counted only. */
  onDeferredError: DeferredErrorListener | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  counters(): AnnouncePacerCounters {
    return { ...this.counts };
  }

  /**
   * Announces `addresses` on `iface`, `count` frames each, keeping `pacing.gapMs(family)` between
   * frames of a family on `pacing.base` (keepalived's base interface: a VMAC's parent, else `iface`;
   * 0: no gap, all at once). `sentOnce`: addresses whose first frame already left (the takeover
   * kit's), at `sentAtMs` (performance.now(); default now).
   */
  announce(
    send: SendAnnouncements,
    iface: string,
    addresses: readonly string[],
    count: number,
    pacing: { readonly base: string; readonly gapMs: (family: 4 | 6) => number },
    sentOnce: ReadonlySet<string> = new Set(),
    sentAtMs?: number,
  ): void | Promise<void> {
    const unpaced: string[] = [];
    const now: string[] = [];
    for (const family of [4, 6] as const) {
      const ofFamily = addresses.filter((address) => familyOf(address) === family);
      if (ofFamily.length === 0) continue;
      const gap = pacing.gapMs(family);
      if (gap <= 0) {
        unpaced.push(...ofFamily.filter((address) => !sentOnce.has(canonical(address))));
        continue;
      }
      const sent = { addresses: sentOnce, atMs: sentAtMs };
      now.push(...this.plan(send, iface, pacing.base, family, gap, ofFamily, count, sent));
    }
    const sends: (void | Promise<void>)[] = [];
    if (unpaced.length > 0) sends.push(send(iface, unpaced, count));
    if (now.length > 0) sends.push(send(iface, now, 1));
    const promises = sends.filter((result): result is Promise<void> => result instanceof Promise);
    if (promises.length > 0) return Promise.all(promises).then(() => undefined);
  }

  /** The addresses no longer to announce (removed from an interface whose base is `base`). */
  forget(base: string, addresses: readonly string[]): void {
    for (const family of [4, 6] as const) {
      const lane = this.lanes.get(`${base} ${family}`);
      if (lane === undefined) continue;
      for (const address of addresses) if (lane.pending.delete(canonical(address))) this.counts.dropped++;
      if (lane.pending.size === 0 && lane.timer !== undefined) {
        clearTimeout(lane.timer);
        lane.timer = undefined;
      }
    }
  }

  /** Drops everything pending and every lane's time (tests; a process starting afresh). */
  clear(): void {
    for (const lane of this.lanes.values()) {
      if (lane.timer !== undefined) clearTimeout(lane.timer);
      lane.timer = undefined;
      lane.pending.clear();
    }
    this.lanes.clear();
  }

  /** keepalived's loop: `count` rounds over the addresses, each frame sent if allowed now, else pending. */
  private plan(
    send: SendAnnouncements,
    iface: string,
    base: string,
    family: 4 | 6,
    gap: number,
    addresses: readonly string[],
    count: number,
    sentOnce: { readonly addresses: ReadonlySet<string>; readonly atMs: number | undefined },
  ): string[] {
    const key = `${base} ${family}`;
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { nextAtMs: undefined, gapMs: gap, pending: new Map(), timer: undefined };
      this.lanes.set(key, lane);
    }
    lane.gapMs = gap;
    const nowMs = this.now();
    const sendNow: string[] = [];
    const owed = new Set<string>();
    for (let round = 0; round < count; round++) {
      for (const text of addresses) {
        const address = canonical(text);
        if (round === 0 && sentOnce.addresses.has(address)) {
          const sentAt = sentOnce.atMs !== undefined && sentOnce.atMs <= nowMs ? sentOnce.atMs : nowMs;
          lane.nextAtMs = sentAt + gap;
        } else if (lane.nextAtMs !== undefined && nowMs < lane.nextAtMs) {
          if (owed.has(address) || lane.pending.has(address)) this.counts.folded++;
          owed.add(address);
        } else {
          sendNow.push(text);
          lane.nextAtMs = nowMs + gap;
        }
      }
    }
    // In the order of this announcement's list, as keepalived walks its address list.
    for (const text of addresses) {
      const address = canonical(text);
      if (owed.has(address) && !lane.pending.has(address)) lane.pending.set(address, { send, iface });
    }
    this.arm(lane);
    return sendNow;
  }

  private arm(lane: Lane): void {
    if (lane.timer !== undefined || lane.pending.size === 0 || lane.nextAtMs === undefined) return;
    lane.timer = setTimeout(() => this.due(lane), Math.max(0, lane.nextAtMs - this.now()));
    lane.timer.unref();
  }

  /** The lane's time came: one pending address is sent, the next waits a gap. */
  private due(lane: Lane): void {
    lane.timer = undefined;
    const nowMs = this.now();
    const first = lane.pending.entries().next();
    if (!first.done && (lane.nextAtMs === undefined || nowMs >= lane.nextAtMs)) {
      const [address, { send, iface }] = first.value;
      lane.pending.delete(address);
      lane.nextAtMs = nowMs + lane.gapMs;
      this.counts.deferredSent++;
      this.sendDeferred(send, iface, address);
    }
    this.arm(lane);
  }

  private sendDeferred(send: SendAnnouncements, iface: string, address: string): void {
    const failed = (error: unknown) => {
      this.counts.deferredFailed++;
      this.onDeferredError?.(iface, address, error);
    };
    try {
      const result = send(iface, [address], 1);
      if (result instanceof Promise) result.catch(failed);
    } catch (error) {
      failed(error);
    }
  }
}

/** The process's pacer: the gaps hold per interface across every router and address port. */
export const announcePacer = new AnnouncePacer();
