// What a virtual router's Master periods and adverts show beyond its elections: adverts late against
// their interval, two Masters at once, peers that disagree, adverts the codec refused. Each protocol
// verdict is the core's (shadow.ts).

import type { ChecksumForm } from '../wire/types.js';
import type { ObservedAdvert, RefusedAdvert } from './packets.js';
import { masterHears, receiveVerdict, sameAddressList } from './shadow.js';
import {
  duration,
  type Group,
  intervalMsOf,
  intervalText,
  lowerBound,
  mismatchDetail,
  nextUp,
  seconds,
} from './group.js';
import type { Disagreement, LateAdvert, MasterPeriod, RefusedSummary, TwoMasters } from './types.js';

/** An advert later than its interval by more than this share of the interval is reported late. */
export const LATE_SHARE = 0.25;

export function lateAdverts(group: Group, periods: readonly MasterPeriod[]): LateAdvert[] {
  const late: LateAdvert[] = [];
  for (const period of periods) {
    const own = group.bySource.get(period.router) ?? [];
    const run = own
      .slice(lowerBound(own, period.fromMs), lowerBound(own, nextUp(period.lastAdvertMs)))
      .filter((a) => a.advert.priority > 0);
    for (let i = 1; i < run.length; i++) {
      const gapMs = run[i]!.atMs - run[i - 1]!.atMs;
      const intervalMs = intervalMsOf(run[i - 1]!);
      if (gapMs <= intervalMs * (1 + LATE_SHARE)) continue;
      const inGap = group.within(nextUp(run[i - 1]!.atMs), run[i]!.atMs).filter((a) => a.source !== period.router);
      const heardInGap = [...new Set(inGap.map((a) => a.source))];
      late.push({ router: period.router, frame: run[i]!.frame, atMs: run[i]!.atMs, gapMs, intervalMs, heardInGap });
    }
  }
  return late.sort((a, b) => a.atMs - b.atMs);
}

/** Overlapping Master periods longer than an advert interval, and what the core says of them. */
export function twoMastersOf(group: Group, periods: readonly MasterPeriod[]): TwoMasters[] {
  const found: TwoMasters[] = [];
  for (let i = 0; i < periods.length; i++) {
    for (let j = i + 1; j < periods.length; j++) {
      const a = periods[i]!;
      const b = periods[j]!;
      if (b.fromMs >= a.toMs) break; // in order of start: no later one overlaps a either
      if (a.router === b.router) continue;
      // Only what the wire proves: both advertising (up to each one's last advert, or its step-down).
      const certainEnd = (p: MasterPeriod): number =>
        p.end === 'capture-end' ? p.toMs : Math.min(p.toMs, Math.max(p.lastAdvertMs, p.fromMs));
      const fromMs = Math.max(a.fromMs, b.fromMs);
      const toMs = Math.min(certainEnd(a), certainEnd(b));
      const advertA = group.firstOf(a.router, fromMs);
      const advertB = group.firstOf(b.router, fromMs);
      if (advertA === undefined || advertB === undefined) continue;
      if (toMs - fromMs < Math.min(intervalMsOf(advertA), intervalMsOf(advertB))) continue;
      const sides = [why(group, advertA, advertB), why(group, advertB, advertA)].filter((s) => s !== undefined);
      const pair: [string, string] = a.router < b.router ? [a.router, b.router] : [b.router, a.router];
      found.push({
        routers: pair,
        fromMs,
        toMs,
        text: `two Masters: ${pair[0]} and ${pair[1]} from ${seconds(fromMs)} to ${seconds(toMs)} (${duration(toMs - fromMs)}): ${sides.join('; ')}`,
      });
    }
  }
  return found.sort((x, y) => x.fromMs - y.fromMs);
}

/** What the core makes `hearer` (a Master) do with `other`'s advert, and what the wire shows it did. */
function why(group: Group, hearer: ObservedAdvert, other: ObservedAdvert): string | undefined {
  const verdict = masterHears(group.configAt(hearer), other);
  if (verdict.dropped !== undefined) {
    return `${hearer.source} drops ${other.source}'s adverts (core: ${verdict.dropped}${mismatchDetail(verdict.dropped, group.configAt(hearer), other)})`;
  }
  if (verdict.stepsDown !== undefined) {
    return `${hearer.source} would step down on ${other.source}'s adverts (core: ${verdict.stepsDown}) but keeps advertising: it does not receive them`;
  }
  return undefined;
}

/**
 * Routers whose adverts are judged against each other's rules: every pair costs a verdict, so a LAN
 * flooded with spoofed sources has only its busiest routers compared (the rest are counted).
 */
export const MAX_JUDGED_ROUTERS = 64;

/** The routers disagreementsOf compares: the busiest MAX_JUDGED_ROUTERS, in address order. */
export function judgedRouters(group: Group): string[] {
  const all = [...group.bySource.keys()];
  if (all.length <= MAX_JUDGED_ROUTERS) return all.sort();
  return all
    .sort((a, b) => group.bySource.get(b)!.length - group.bySource.get(a)!.length || (a < b ? -1 : 1))
    .slice(0, MAX_JUDGED_ROUTERS)
    .sort();
}

export function disagreementsOf(group: Group): Disagreement[] {
  const found: Disagreement[] = [];
  const sources = judgedRouters(group);
  for (const router of sources) {
    const own = group.bySource.get(router)!;
    const mine = own.filter((a) => a.advert.priority > 0).at(-1) ?? own.at(-1)!;
    const config = group.configAt(mine);
    for (const peer of sources) {
      if (peer === router) continue;
      const theirs = group.bySource.get(peer)!;
      const sample = theirs.filter((a) => a.advert.priority > 0).at(-1) ?? theirs.at(-1)!;
      const reason = receiveVerdict(config, sample);
      if (reason !== undefined) {
        found.push({
          router,
          peer,
          what: reason,
          drops: true,
          text: `${router} drops ${peer}'s adverts (core: ${reason}${mismatchDetail(reason, config, sample)})`,
        });
        continue;
      }
      if (config.version === 3 && sample.advert.advertIntervalCs !== config.advertIntervalCs) {
        found.push({
          router,
          peer,
          what: 'interval-mismatch-v3',
          drops: false,
          text: `${router} (interval ${intervalText(config.advertIntervalCs)}) hears ${peer} at ${intervalText(sample.advert.advertIntervalCs)}: logged; as Backup it adopts the Master's interval`,
        });
      }
      if (!sameAddressList(config, sample)) {
        found.push({
          router,
          peer,
          what: 'address-list-mismatch',
          drops: false,
          text: `${router} lists [${config.virtualAddresses.join(', ')}], ${peer} lists [${sample.advert.addresses.join(', ')}]: logged (dropped only with strict checks)`,
        });
      }
    }
  }
  // Checksum forms (v3 over IPv4): the core accepts both, keepalived 2.2.7 only the pseudo-header one.
  const forms = new Map<string, ChecksumForm>();
  for (const advert of group.adverts) forms.set(advert.source, advert.checksumForm);
  const distinctForms = new Set(forms.values());
  if (distinctForms.size > 1) {
    const list = [...forms.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([source, form]) => `${source} ${form}`);
    for (const [router, form] of [...forms.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (form !== 'v3-no-pseudo-header') continue;
      found.push({
        router,
        peer: '*',
        what: 'checksum-form',
        drops: false,
        text: `checksum forms differ (${list.join(', ')}): ${router} omits the IPv4 pseudo-header (RFC 9568); keepalived 2.2.7 drops such adverts, vrrp-engine accepts both`,
      });
    }
  }
  return found;
}

export function summariseRefused(refused: readonly RefusedAdvert[]): RefusedSummary[] {
  const byKey = new Map<string, { first: RefusedAdvert; count: number }>();
  for (const packet of refused) {
    const key = `${packet.source} ${packet.reason}`;
    const entry = byKey.get(key);
    if (entry === undefined) byKey.set(key, { first: packet, count: 1 });
    else entry.count += 1;
  }
  return [...byKey.values()].map(({ first, count }) => ({
    source: first.source,
    reason: first.reason,
    count,
    firstFrame: first.frame,
    detail: first.detail,
  }));
}
