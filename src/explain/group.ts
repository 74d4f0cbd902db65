// One virtual router's adverts as a capture shows them (address family, VRID), in time order, with
// the look-ups the analysis asks of them, and the few text helpers its sentences share.

import type { DropReason, VirtualRouterConfig } from '../core/types.js';
import type { IpFamily } from '../wire/types.js';
import type { ObservedAdvert } from './packets.js';
import { configFromAdvert, isMulticast } from './shadow.js';

export const seconds = (ms: number): string => `+${(ms / 1000).toFixed(3)}s`;
export const duration = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
export const intervalText = (cs: number): string => `${cs % 100 === 0 ? cs / 100 : (cs / 100).toFixed(2)} s`;

/** One virtual router's adverts and what its routers were seen doing. */
export class Group {
  readonly adverts: ObservedAdvert[] = [];
  readonly bySource = new Map<string, ObservedAdvert[]>();

  constructor(
    readonly family: IpFamily,
    readonly vrid: number,
  ) {}

  add(advert: ObservedAdvert): void {
    this.adverts.push(advert);
    const list = this.bySource.get(advert.source);
    if (list === undefined) this.bySource.set(advert.source, [advert]);
    else list.push(advert);
  }

  /** The group's adverts with `fromMs <= atMs < toMs` (adverts are in time order). */
  within(fromMs: number, toMs: number): ObservedAdvert[] {
    return this.adverts.slice(lowerBound(this.adverts, fromMs), lowerBound(this.adverts, toMs));
  }

  /** `source`'s last advert above priority 0 at or before `atMs` (strictly before when `strict`). */
  lastOf(source: string, atMs: number, strict = false): ObservedAdvert | undefined {
    const list = this.bySource.get(source) ?? [];
    for (let i = lowerBound(list, strict ? atMs : nextUp(atMs)) - 1; i >= 0; i--)
      if (list[i]!.advert.priority > 0) return list[i];
    return undefined;
  }

  /** `source`'s first advert above priority 0 at or after `atMs`. */
  firstOf(source: string, atMs: number): ObservedAdvert | undefined {
    const list = this.bySource.get(source) ?? [];
    for (let i = lowerBound(list, atMs); i < list.length; i++) if (list[i]!.advert.priority > 0) return list[i];
    return undefined;
  }

  private longestMs: number | undefined;

  /** The longest advert interval any router of the group advertised, in ms. */
  longestIntervalMs(): number {
    this.longestMs ??= this.adverts.reduce((longest, advert) => Math.max(longest, intervalMsOf(advert)), 0);
    return this.longestMs;
  }

  private readonly peers = new Map<string, string[]>();

  /** Unicast destinations `source` advertises to (asked once every advert is in). */
  peersOf(source: string): string[] {
    let peers = this.peers.get(source);
    if (peers === undefined) {
      const found = new Set<string>();
      for (const advert of this.bySource.get(source) ?? [])
        if (!isMulticast(advert.destination)) found.add(advert.destination);
      peers = [...found].sort();
      this.peers.set(source, peers);
    }
    return peers;
  }

  /** The router as its advert at hand shows it (a priority-0 advert: with its last priority above 0). */
  configAt(advert: ObservedAdvert): VirtualRouterConfig {
    let priority = advert.advert.priority;
    if (priority === 0) {
      priority = this.lastOf(advert.source, advert.atMs)?.advert.priority ?? 1;
    }
    return configFromAdvert(advert, priority, this.peersOf(advert.source));
  }
}

/** Index of the first of `list` (in time order) at or after `atMs`. */
export function lowerBound(list: readonly { readonly atMs: number }[], atMs: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]!.atMs < atMs) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The smallest number above `ms`: "at or before ms" is "before nextUp(ms)". */
export function nextUp(ms: number): number {
  return ms + Math.max(Number.EPSILON, Math.abs(ms) * Number.EPSILON);
}

/** An advert's interval in ms (at least 1, so a zero interval cannot divide by zero). */
export const intervalMsOf = (advert: ObservedAdvert): number => Math.max(1, advert.advert.advertIntervalCs) * 10;

/** The figures behind a drop reason, for a sentence. */
export function mismatchDetail(reason: DropReason, config: VirtualRouterConfig, advert: ObservedAdvert): string {
  switch (reason) {
    case 'interval-mismatch':
      return `, ${intervalText(advert.advert.advertIntervalCs)} against its ${intervalText(config.advertIntervalCs)}`;
    case 'version-mismatch':
      return `, VRRPv${advert.advert.version} against its VRRPv${config.version}`;
    case 'auth-type-mismatch':
      return `, auth type ${advert.advert.authType} against its ${config.auth.type === 'pass' ? 1 : 0}`;
    case 'auth-data-mismatch':
      return ', another password';
    case 'ttl':
      return `, TTL ${advert.ttl}`;
    default:
      return '';
  }
}
