// The JavaScript side of the addon's takeover kit (native/src/takeover_kit.h): what a Backup's
// takeover does after its advert (add the VIPs, send their first gratuitous ARPs / unsolicited NAs),
// prepared while it is a Backup and carried out by the addon at its timer's expiry, before any
// JavaScript runs. The engine still makes its usual addVips / announceVips calls in that expiry's
// callback; the Linux address port asks the kit first (claimAdds, claimAnnouncement) and does only
// what the kit did not. Adds that no addVips claims by the end of the expiry's callback (the router
// did not become Master: removed by a listener, the engine stopping) are removed again (settle), so no
// VIP stays on a node that is not Master.
//
// One per process, like the addon's (one per event loop): the first packet port to take it owns it.

import type { TakeoverAddresses } from '../engine/ports.js';
import { canonicalAddress } from './address-text.js';
import { ipv6Forwarding } from './announce.js';
import { loadNative, type NativeTakeoverKit, type NativeTakeoverKitReport } from './native.js';

/** One VIP's add and delete requests, encoded by the address port (LinuxAddressPort.takeoverRequests). */
export interface TakeoverRequest {
  /** Canonical text: what the address port's addVips matches. */
  readonly address: string;
  readonly add: Uint8Array;
  readonly remove: Uint8Array;
  /**
   * Announcements on its interface are paced (announce-pacer.ts): the kit sends one frame, for the
   * first such address of its family only, as keepalived does; the rest of the burst follows a gap later.
   */
  readonly announceOnce?: boolean;
}

/** The address port's encoder; undefined when the kit must not add on that interface (a firewall step first). */
export type TakeoverRequestEncoder = (
  iface: string,
  addresses: readonly string[],
  acceptMode: boolean,
) => readonly TakeoverRequest[] | undefined;

export interface TakeoverKitCounters {
  /** Expiries at which the addon carried the kit out. */
  readonly fired: number;
  /** VIP adds the kit made that the engine then claimed as its own. */
  readonly addsClaimed: number;
  /** Frames the kit sent (first announcements). */
  readonly framesSent: number;
  /** VIP adds removed again because no router claimed them. */
  readonly rolledBack: number;
}

/** The kit's add found the address already there: added, as addVips counts it. */
const EEXIST = 17;

/** Adds removed again, with the kernel's answer to each removal (0 removed, an errno, -1 none). */
export type RollbackListener = (
  removed: readonly { readonly interface: string; readonly address: string }[],
  errnos: readonly number[],
) => void;
const NO_ANSWER = -1;

interface Fired {
  readonly requests: readonly { readonly interface: string; readonly address: string }[];
  readonly results: number[];
  readonly claimed: boolean[];
}

function canonical(addresses: readonly string[]): string[] {
  return addresses.map((text) => canonicalAddress(text)?.address ?? text);
}

/** What the addon's content depends on: the work and the encoded requests. */
function preparedKey(
  work: readonly TakeoverAddresses[],
  encoded: readonly (readonly TakeoverRequest[] | undefined)[],
): string {
  const requests = encoded.map((list) => list?.map((request) => Buffer.from(request.add).toString('base64')) ?? null);
  return JSON.stringify([work, requests]);
}

function announcementKey(iface: string, count: number): string {
  return `${iface} ${count}`;
}

interface PreparedAnnouncement {
  readonly interface: string;
  readonly addresses: readonly string[];
  /** The engine's count, which its announceVips claims with (the kit may send fewer: announceOnce). */
  readonly count: number;
  /** Per address, the index of its add request. */
  readonly requests: readonly number[];
}

/**
 * What the kit announces of one work item, with how many frames each: every address `count` times,
 * except on a paced interface (announceOnce), where only the first address of each family is sent,
 * once (the pacer sends the rest, a gap apart).
 */
export function announcedByKit(encoded: readonly TakeoverRequest[], count: number): [string[], number][] {
  const all = encoded.filter((request) => request.announceOnce !== true).map((request) => request.address);
  const groups: [string[], number][] = all.length > 0 ? [[all, count]] : [];
  for (const family of [4, 6]) {
    const first = encoded.find((r) => r.announceOnce === true && r.address.includes(':') === (family === 6));
    if (first !== undefined) groups.push([[first.address], 1]);
  }
  return groups;
}

export class TakeoverKit {
  private owner: object | undefined;
  private encoder: TakeoverRequestEncoder | undefined;
  /** The content the addon holds, by key: re-prepared only when it changes. */
  private preparedKey: string | undefined;
  private prepared: Fired['requests'] = [];
  private preparedAnnouncements: PreparedAnnouncement[] = [];
  /** The timer the addon's kit is armed for (0: none). */
  private armedTimer = 0;
  private onRolledBack: RollbackListener | undefined;
  /** The last firing, while the engine's calls of that expiry may claim it. */
  private fired: Fired | undefined;
  /** Addresses the kit announced, by interface and count, until the engine's announceVips claims them. */
  private announced = new Map<string, Set<string>>();
  private clearAnnounced: NodeJS.Immediate | undefined;
  private counts = { fired: 0, addsClaimed: 0, framesSent: 0, rolledBack: 0 };
  /** performance.now() when the last firing was collected: just after its frames left. */
  private firedAtMs = Number.NaN;

  /** `owner` takes the kit unless another holds it; false then (that owner's takeovers keep it). */
  take(owner: object, encoder: TakeoverRequestEncoder, onRolledBack?: RollbackListener): boolean {
    if (this.owner !== undefined && this.owner !== owner) return false;
    this.owner = owner;
    this.encoder = encoder;
    this.onRolledBack = onRolledBack;
    this.preparedKey = undefined;
    return true;
  }

  release(owner: object): void {
    if (this.owner !== owner) return;
    this.disarm();
    this.owner = undefined;
    this.encoder = undefined;
    this.onRolledBack = undefined;
  }

  counters(): TakeoverKitCounters {
    return { ...this.counts };
  }

  /**
   * Arms the kit for the expiry of `timerId` with `work` (HeadStartPort.setTakeover), or disarms it
   * (work undefined or empty). Throws what the addon throws (the caller reports it; the engine then
   * does the work itself).
   */
  arm(owner: object, timerId: number, work: readonly TakeoverAddresses[] | undefined): void {
    if (owner !== this.owner) return;
    if (work === undefined || work.length === 0 || this.encoder === undefined) {
      this.disarm();
      return;
    }
    // Encoded every time (a few µs a VIP): the requests carry what the work does not say, the
    // interface's index and the VIP's prefix and label, which a re-created link or an apply changes.
    const encoder = this.encoder;
    const encoded = work.map((item) => encoder(item.interface, item.addresses, item.acceptMode));
    const key = preparedKey(work, encoded);
    if (key !== this.preparedKey) {
      this.armedTimer = 0; // preparing disarms the addon's kit
      this.preparedKey = undefined;
      loadNative().takeoverKitPrepare(this.build(work, encoded));
      this.preparedKey = key;
    }
    if (timerId === this.armedTimer) return;
    loadNative().takeoverKitArm(timerId);
    this.armedTimer = timerId;
  }

  disarm(): void {
    if (this.armedTimer === 0) return;
    this.armedTimer = 0;
    loadNative().takeoverKitArm(0);
  }

  /**
   * At an expiry of timer `timerId` that sent takeover adverts, before the engine's callback: what
   * the addon's kit did, if it was armed for that timer.
   */
  collect(timerId: number): void {
    if (this.armedTimer === 0 || timerId !== this.armedTimer) return;
    const report = loadNative().takeoverKitReport();
    // Fired or skipped (an interface changed): the addon holds nothing armed any more, and a
    // re-prepare reads the interfaces afresh.
    this.armedTimer = 0;
    this.preparedKey = undefined;
    if (report === undefined) return;
    this.firedAtMs = performance.now();
    this.counts.fired++;
    this.fired = { requests: this.prepared, results: [...report.results], claimed: report.results.map(() => false) };
    this.noteAnnounced(report);
  }

  /**
   * The engine's addVips: the kit's result (errno, 0 or EEXIST for added) for each of `addresses`
   * that the firing of this expiry added or tried to; the rest the caller adds itself.
   */
  claimAdds(iface: string, addresses: readonly string[]): Map<string, number> {
    const claims = new Map<string, number>();
    const fired = this.fired;
    if (fired === undefined) return claims;
    const wanted = new Set(canonical(addresses));
    fired.requests.forEach((request, index) => {
      const result = fired.results[index]!;
      if (request.interface !== iface || !wanted.has(request.address) || fired.claimed[index]) return;
      fired.claimed[index] = true;
      // No answer: the caller's own add goes ahead (an address already there is success to it), and
      // settle must not take back what that add put there.
      if (result === NO_ANSWER) return;
      claims.set(request.address, result === EEXIST ? 0 : result);
      if (result === 0 || result === EEXIST) this.counts.addsClaimed++;
    });
    return claims;
  }

  /** When the kit's last frames left (as near as JavaScript saw it), for the pacer's next gap. */
  lastFiredAtMs(): number {
    return this.firedAtMs;
  }

  /** The engine's announceVips: those of `addresses` the kit has not announced `count` times already. */
  claimAnnouncement(iface: string, addresses: readonly string[], count: number): readonly string[] {
    const key = announcementKey(iface, count);
    const done = this.announced.get(key);
    if (done === undefined) return addresses;
    this.announced.delete(key);
    return addresses.filter((address) => !done.has(canonicalAddress(address)?.address ?? address));
  }

  /**
   * After the expiry's callback: adds that no addVips claimed are removed again (their router did not
   * become Master), and so are their announcements' claims. Returns the addresses removed.
   */
  settle(): { readonly interface: string; readonly address: string }[] {
    const fired = this.fired;
    this.fired = undefined;
    if (fired === undefined) return [];
    const unclaimed: number[] = [];
    fired.requests.forEach((_, index) => {
      const result = fired.results[index];
      if (!fired.claimed[index] && (result === 0 || result === NO_ANSWER)) unclaimed.push(index);
    });
    if (unclaimed.length === 0) return [];
    const errnos = loadNative().takeoverKitRollback(unclaimed);
    const removed = unclaimed.map((index) => fired.requests[index]!);
    this.counts.rolledBack += removed.length;
    this.onRolledBack?.(removed, errnos);
    for (const { interface: iface } of removed) {
      for (const key of [...this.announced.keys()]) if (key.startsWith(`${iface} `)) this.announced.delete(key);
    }
    return removed;
  }

  private build(
    work: readonly TakeoverAddresses[],
    encodedByItem: readonly (readonly TakeoverRequest[] | undefined)[],
  ): NativeTakeoverKit {
    const requests: NativeTakeoverKit['requests'][number][] = [];
    const prepared: { interface: string; address: string }[] = [];
    const announcements: NativeTakeoverKit['announcements'][number][] = [];
    this.preparedAnnouncements = [];
    for (const [itemIndex, item] of work.entries()) {
      const encoded = encodedByItem[itemIndex];
      if (encoded === undefined) continue;
      const indexOf = new Map<string, number>();
      for (const request of encoded) {
        indexOf.set(request.address, requests.length);
        requests.push({ add: request.add, remove: request.remove, interface: item.interface });
        prepared.push({ interface: item.interface, address: request.address });
      }
      if (item.announceCount === 0 || encoded.length === 0) continue;
      for (const [addresses, count] of announcedByKit(encoded, item.announceCount)) {
        const router = addresses.some((address) => address.includes(':')) ? ipv6Forwarding(item.interface) : undefined;
        const indexes = addresses.map((address) => indexOf.get(address)!);
        announcements.push({
          interface: item.interface,
          addresses,
          count,
          requests: indexes,
          ...(router === undefined ? {} : { router }),
        });
        this.preparedAnnouncements.push({
          interface: item.interface,
          addresses,
          count: item.announceCount,
          requests: indexes,
        });
      }
    }
    this.prepared = prepared;
    return { requests, announcements };
  }

  /** Records, per interface and count, the addresses whose frames all left. */
  private noteAnnounced(report: NativeTakeoverKitReport): void {
    if (this.clearAnnounced !== undefined) clearImmediate(this.clearAnnounced);
    this.announced.clear();
    this.preparedAnnouncements.forEach((announcement, index) => {
      this.counts.framesSent += report.sent[index] ?? 0;
      const failed = new Set(report.failures.filter((f) => f.announcement === index).map((f) => f.address));
      const done = new Set<string>();
      announcement.addresses.forEach((address, i) => {
        const result = report.results[announcement.requests[i]!];
        if (!failed.has(i) && (result === 0 || result === EEXIST)) done.add(address);
      });
      const key = announcementKey(announcement.interface, announcement.count);
      if (done.size > 0) this.announced.set(key, new Set([...(this.announced.get(key) ?? []), ...done]));
    });
    // The engine's announcement follows its add within this expiry's microtasks; a claim left after
    // that (the router left Master first) must not swallow a later, real announcement.
    this.clearAnnounced = setImmediate(() => {
      this.clearAnnounced = undefined;
      this.announced.clear();
    });
    this.clearAnnounced.unref();
  }
}

/** The process's kit (the addon holds one per event loop). */
export const takeoverKit = new TakeoverKit();
