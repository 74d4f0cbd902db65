// VIP announcements seen on the wire (ARP, Neighbor Advertisements): which MAC hosts are told to send
// a VIP to, when that changes, how long after the new Master's first advert, and VIPs left pointing
// at a router that is no longer Master when the capture ends.

import type { AddressClaim } from './packets.js';
import { type Group, lowerBound, nextUp, seconds } from './group.js';
import type { MasterPeriod, StaleVip, VipMove } from './types.js';

export function vipMovesOf(
  group: Group,
  periods: readonly MasterPeriod[],
  claims: readonly AddressClaim[],
): { moves: VipMove[]; stale: StaleVip[] } {
  const vips = new Set(group.adverts.flatMap((a) => a.advert.addresses));
  const routerByMac = new Map<string, string>();
  for (const advert of group.adverts)
    if (advert.sourceMac !== undefined && !routerByMac.has(advert.sourceMac))
      routerByMac.set(advert.sourceMac, advert.source);
  const holder = new Map<string, AddressClaim>();
  const moves: VipMove[] = [];
  const periodsByRouter = new Map<string, { atMs: number; period: MasterPeriod }[]>();
  for (const period of periods) {
    const list = periodsByRouter.get(period.router) ?? [];
    list.push({ atMs: period.fromMs, period });
    periodsByRouter.set(period.router, list);
  }
  for (const claim of claims) {
    if (!vips.has(claim.address)) continue;
    const previous = holder.get(claim.address);
    holder.set(claim.address, claim);
    if (previous?.mac === claim.mac) continue;
    const router = routerByMac.get(claim.mac);
    const own = router === undefined ? undefined : periodsByRouter.get(router);
    const period = own === undefined ? undefined : own[lowerBound(own, nextUp(claim.atMs)) - 1]?.period;
    const masterNow = period !== undefined && claim.atMs <= period.toMs;
    // A move right after its election is timed from the first advert; a Master that was already
    // Master before the other MAC's claim is claiming it back (two routers announce one VIP).
    const afterElection = masterNow && (previous === undefined || period.fromMs >= previous.atMs);
    const afterFirstAdvertMs = afterElection ? claim.atMs - period.fromMs : undefined;
    const target =
      router === undefined ? `${claim.mac} (no router of this VRID advertises from it)` : `${claim.mac} (${router})`;
    const timing =
      afterFirstAdvertMs !== undefined
        ? `${afterFirstAdvertMs.toFixed(1)} ms after its first advert as Master`
        : masterNow
          ? `claimed back by a Master since ${seconds(period.fromMs)} (two routers announce it)`
          : router === undefined
            ? 'an address conflict, or a virtual MAC'
            : `while ${router} is not advertising as Master`;
    moves.push({
      atMs: claim.atMs,
      frame: claim.frame,
      address: claim.address,
      mac: claim.mac,
      fromMac: previous?.mac,
      how: claim.how,
      router,
      afterFirstAdvertMs,
      text: `${claim.address} ${previous === undefined ? 'announced at' : 'moves to'} ${target} by ${claim.how}, ${timing}`,
    });
  }
  return { moves, stale: staleVips(periods, holder, routerByMac) };
}

/** VIPs whose last announcement points at a router that is no longer Master while another is. */
function staleVips(
  periods: readonly MasterPeriod[],
  holder: ReadonlyMap<string, AddressClaim>,
  routerByMac: ReadonlyMap<string, string>,
): StaleVip[] {
  const masters = periods.filter((p) => p.end === 'capture-end').map((p) => p.router);
  if (masters.length === 0) return [];
  const stale: StaleVip[] = [];
  for (const [address, claim] of [...holder.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const router = routerByMac.get(claim.mac);
    if (router !== undefined && masters.includes(router)) continue;
    const who = router === undefined ? claim.mac : `${claim.mac} (${router}, no longer Master)`;
    stale.push({
      address,
      mac: claim.mac,
      router,
      sinceMs: claim.atMs,
      masters,
      text: `${address}: the last announcement (${seconds(claim.atMs)}, ${claim.how}) points hosts at ${who}; the Master now is ${masters.join(' and ')}, which has not announced it since`,
    });
  }
  return stale;
}
