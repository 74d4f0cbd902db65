// What happened on a VRRP LAN, from its packets: per virtual router (address family, VRID), who was
// Master when (from the adverts on the wire), each election and its cause, adverts late against their
// interval, two Masters at once, peers that disagree, and VIP moves seen in ARP / NA. Every judgement
// of the protocol is the real core's (shadow.ts); this file only observes and asks.

import type { DropReason, TransitionReason, VirtualRouterConfig } from '../core/types.js';
import type { ChecksumForm, IpFamily, VrrpVersion, WireDropReason } from '../wire/types.js';
import type { AddressClaim, LanPacket, ObservedAdvert, RefusedAdvert } from './packets.js';
import { configFromAdvert, downTimerOf, isMulticast, masterHears, receiveVerdict, replayAsBackup, sameAddressList } from './shadow.js';

/** An advert later than its interval by more than this share of the interval is reported late. */
export const LATE_SHARE = 0.25;
/** A Master silent for more than this many intervals has stopped (every Backup's down timer is shorter). */
const RUN_BREAK_INTERVALS = 3;
/** A Master sends its next advert within this many intervals: its last one that much before a challenger or the capture end means it stopped there. */
const NEXT_ADVERT_WINDOW_INTERVALS = 1.5;

export interface RouterSummary {
  readonly address: string;
  readonly macs: readonly string[];
  readonly versions: readonly VrrpVersion[];
  readonly priorities: readonly number[];
  readonly intervalsCs: readonly number[];
  readonly addresses: readonly string[];
  /** 'none', 'pass "text"' or 'type N'. */
  readonly authentication: string;
  readonly checksumForms: readonly ChecksumForm[];
  /** Unicast destinations, when it does not advertise to the multicast group. */
  readonly unicastTo: readonly string[];
  readonly adverts: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

export type PeriodEnd = 'priority-0' | 'stepped-down' | 'silent' | 'capture-end';

export interface MasterPeriod {
  readonly router: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly end: PeriodEnd;
  readonly firstFrame: number;
  readonly lastAdvertMs: number;
  readonly adverts: number;
  readonly priority: number;
}

export type ElectionCause =
  | 'master-at-capture-start'   // already advertising when the capture begins
  | 'no-master-heard'           // its down timer ran out with no Master heard since the capture began
  | 'down-timer'                // the Master fell silent: N adverts missed, Master_Down_Interval ran out
  | 'priority-0'                // the Master sent priority 0: Skew_Time
  | 'preemption'                // higher priority than the advertising Master
  | 'address-tie-break'         // equal priority, greater address
  | 'adverts-dropped'           // its down timer ran out because it drops the Master's adverts
  | 'not-hearing-master';       // the core keeps it Backup: it cannot be receiving the Master's adverts

export interface Election {
  readonly atMs: number;
  readonly frame: number;
  readonly router: string;
  readonly priority: number;
  readonly cause: ElectionCause;
  /** The Master it followed or displaced, if any. */
  readonly previous: string | undefined;
  /** When the core, fed the same adverts, makes it Master (down-timer and priority-0 causes). */
  readonly expectedMs: number | undefined;
  readonly text: string;
}

export interface StepDown {
  readonly atMs: number;
  readonly router: string;
  readonly end: Exclude<PeriodEnd, 'capture-end'>;
  readonly by: string | undefined;
  readonly reason: TransitionReason | undefined;
  readonly text: string;
}

export interface LateAdvert {
  readonly router: string;
  readonly frame: number;
  readonly atMs: number;
  readonly gapMs: number;
  readonly intervalMs: number;
  /** Other routers that advertised in the gap (a Master may restart its timer on their adverts). */
  readonly heardInGap: readonly string[];
}

export interface TwoMasters {
  readonly routers: readonly [string, string];
  readonly fromMs: number;
  readonly toMs: number;
  readonly text: string;
}

export interface Disagreement {
  /** The router whose rules judge... */
  readonly router: string;
  /** ...the adverts of this one. */
  readonly peer: string;
  readonly what: DropReason | 'interval-mismatch-v3' | 'address-list-mismatch' | 'checksum-form';
  /** Whether the core drops the peer's adverts for it (otherwise it only logs it). */
  readonly drops: boolean;
  readonly text: string;
}

export interface VipMove {
  readonly atMs: number;
  readonly frame: number;
  readonly address: string;
  readonly mac: string;
  readonly fromMac: string | undefined;
  readonly how: AddressClaim['how'];
  /** The router advertising from that MAC, if any. */
  readonly router: string | undefined;
  /** Time since that router's first advert of its current Master period. */
  readonly afterFirstAdvertMs: number | undefined;
  readonly text: string;
}

/** A VIP hosts still send to a router that stopped being Master: the capture ends with it stale. */
export interface StaleVip {
  readonly address: string;
  readonly mac: string;
  readonly router: string | undefined;
  readonly sinceMs: number;
  readonly masters: readonly string[];
  readonly text: string;
}

export interface RefusedSummary {
  readonly source: string;
  readonly reason: WireDropReason;
  readonly count: number;
  readonly firstFrame: number;
  readonly detail: string;
}

export interface GroupExplanation {
  readonly family: IpFamily;
  readonly vrid: number;
  readonly routers: readonly RouterSummary[];
  readonly periods: readonly MasterPeriod[];
  readonly elections: readonly Election[];
  readonly stepDowns: readonly StepDown[];
  readonly late: readonly LateAdvert[];
  readonly twoMasters: readonly TwoMasters[];
  readonly disagreements: readonly Disagreement[];
  readonly vipMoves: readonly VipMove[];
  readonly staleVips: readonly StaleVip[];
  readonly refused: readonly RefusedSummary[];
}

const seconds = (ms: number): string => `+${(ms / 1000).toFixed(3)}s`;
const duration = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
const intervalText = (cs: number): string => `${cs % 100 === 0 ? cs / 100 : (cs / 100).toFixed(2)} s`;

/** One virtual router's adverts and what its routers were seen doing. */
class Group {
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
    for (let i = lowerBound(list, strict ? atMs : nextUp(atMs)) - 1; i >= 0; i--) if (list[i]!.advert.priority > 0) return list[i];
    return undefined;
  }

  /** `source`'s first advert above priority 0 at or after `atMs`. */
  firstOf(source: string, atMs: number): ObservedAdvert | undefined {
    const list = this.bySource.get(source) ?? [];
    for (let i = lowerBound(list, atMs); i < list.length; i++) if (list[i]!.advert.priority > 0) return list[i];
    return undefined;
  }

  private readonly peers = new Map<string, string[]>();

  /** Unicast destinations `source` advertises to (asked once every advert is in). */
  peersOf(source: string): string[] {
    let peers = this.peers.get(source);
    if (peers === undefined) {
      const found = new Set<string>();
      for (const advert of this.bySource.get(source) ?? []) if (!isMulticast(advert.destination)) found.add(advert.destination);
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
function lowerBound(list: readonly { readonly atMs: number }[], atMs: number): number {
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
function nextUp(ms: number): number {
  return ms + Math.max(Number.EPSILON, Math.abs(ms) * Number.EPSILON);
}

/** Explains every virtual router seen in `packets`; `endMs` is the capture's last frame. */
export function explainPackets(packets: readonly LanPacket[], endMs: number): GroupExplanation[] {
  const groups = new Map<string, Group>();
  const refused: RefusedAdvert[] = [];
  const claims: AddressClaim[] = [];
  for (const packet of packets) {
    if (packet.kind === 'advert') {
      const key = `${packet.family}/${packet.advert.vrid}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = new Group(packet.family, packet.advert.vrid);
        groups.set(key, group);
      }
      group.add(packet);
    } else if (packet.kind === 'refused') refused.push(packet);
    else claims.push(packet);
  }
  // Refused adverts of a VRID nobody else uses still get a section of their own.
  for (const packet of refused) {
    const key = `${packet.family}/${packet.vrid ?? -1}`;
    if (!groups.has(key) && packet.vrid !== undefined) groups.set(key, new Group(packet.family, packet.vrid));
  }
  return [...groups.values()]
    .sort((a, b) => a.family - b.family || a.vrid - b.vrid)
    .map((group) => explainGroup(group, endMs, refused.filter((r) => r.family === group.family && r.vrid === group.vrid), claims));
}

function explainGroup(group: Group, endMs: number, refused: readonly RefusedAdvert[], claims: readonly AddressClaim[]): GroupExplanation {
  const routers = [...group.bySource.keys()].sort().map((source) => summarise(group, source));
  const periods = [...group.bySource.values()].flatMap((adverts) => masterPeriods(adverts, endMs)).sort((a, b) => a.fromMs - b.fromMs || (a.router < b.router ? -1 : 1));
  const masterStarts = new Set(periods.map((p) => `${p.router} ${p.fromMs}`));
  const ended = periods.map((period) => endOf(group, period, masterStarts, endMs));
  const elections = periods.map((period) => electionOf(group, period, ended));
  const stepDowns = ended.flatMap((e) => (e.stepDown === undefined ? [] : [e.stepDown]));
  const finalPeriods = ended.map((e) => e.period);
  const vips = vipMovesOf(group, finalPeriods, claims);
  return {
    family: group.family,
    vrid: group.vrid,
    routers,
    periods: finalPeriods,
    elections,
    stepDowns,
    late: lateAdverts(group, finalPeriods),
    twoMasters: twoMastersOf(group, finalPeriods),
    disagreements: disagreementsOf(group),
    vipMoves: vips.moves,
    staleVips: vips.stale,
    refused: summariseRefused(refused),
  };
}

function summarise(group: Group, source: string): RouterSummary {
  const adverts = group.bySource.get(source)!;
  const distinct = <T>(values: T[]): T[] => [...new Set(values)];
  const last = adverts.at(-1)!;
  const config = group.configAt(last);
  const auth = last.advert.version === 3 ? 'none (v3)'
    : last.advert.authType === 0 ? 'none'
    : config.auth.type === 'pass' ? `pass "${config.auth.password}"`
    : `type ${last.advert.authType}`;
  return {
    address: source,
    macs: distinct(adverts.flatMap((a) => (a.sourceMac === undefined ? [] : [a.sourceMac]))),
    versions: distinct(adverts.map((a) => a.advert.version)),
    priorities: distinct(adverts.map((a) => a.advert.priority)),
    intervalsCs: distinct(adverts.map((a) => a.advert.advertIntervalCs)),
    addresses: last.advert.addresses,
    authentication: auth,
    checksumForms: distinct(adverts.map((a) => a.checksumForm)),
    unicastTo: group.peersOf(source),
    adverts: adverts.length,
    firstMs: adverts[0]!.atMs,
    lastMs: last.atMs,
  };
}

const intervalMsOf = (advert: ObservedAdvert): number => Math.max(1, advert.advert.advertIntervalCs) * 10;

/** A router's runs of adverts: Master from its first advert until priority 0 or a silence longer than three intervals. */
function masterPeriods(adverts: readonly ObservedAdvert[], endMs: number): MasterPeriod[] {
  const periods: MasterPeriod[] = [];
  let run: ObservedAdvert[] = [];
  const close = (end: PeriodEnd | undefined): void => {
    const first = run[0];
    const last = run.at(-1);
    if (first === undefined || last === undefined) return;
    const open = end === undefined && endMs - last.atMs <= NEXT_ADVERT_WINDOW_INTERVALS * intervalMsOf(last);
    periods.push({
      router: first.source,
      fromMs: first.atMs,
      // A silent end is settled later (endOf): until then it is the moment the next advert was due.
      toMs: open ? endMs : end === 'priority-0' ? last.atMs : last.atMs + intervalMsOf(last),
      end: open ? 'capture-end' : end ?? 'silent',
      firstFrame: first.frame,
      lastAdvertMs: last.atMs,
      adverts: run.length,
      priority: run.find((a) => a.advert.priority > 0)?.advert.priority ?? 0,
    });
    run = [];
  };
  for (const advert of adverts) {
    const previous = run.at(-1);
    if (previous !== undefined && advert.atMs - previous.atMs > RUN_BREAK_INTERVALS * intervalMsOf(previous)) close(undefined);
    if (advert.advert.priority === 0) {
      // A priority-0 advert ends a run; one sent by a router not seen as Master ends nothing.
      if (run.length > 0) {
        run.push(advert);
        close('priority-0');
      }
      continue;
    }
    run.push(advert);
  }
  close(undefined);
  return periods;
}

interface EndedPeriod {
  readonly period: MasterPeriod;
  readonly stepDown: StepDown | undefined;
}

/**
 * Why a Master period ended: priority 0, stepping down for a challenger (the core says which), or
 * silence. A period still open at the capture's end is closed too when a new Master's first adverts
 * make it step down and it sends none after them.
 */
function endOf(group: Group, period: MasterPeriod, masterStarts: ReadonlySet<string>, endMs: number): EndedPeriod {
  const last = group.lastOf(period.router, period.lastAdvertMs)!;
  if (period.end === 'priority-0') {
    return {
      period,
      stepDown: {
        atMs: period.toMs,
        router: period.router,
        end: 'priority-0',
        by: undefined,
        reason: 'shutdown',
        text: `${period.router} leaves Master: priority-0 advert (stopped, lost a tracked check, or handed over)`,
      },
    };
  }
  const window = NEXT_ADVERT_WINDOW_INTERVALS * intervalMsOf(last);
  const config = group.configAt(last);
  const near = (a: ObservedAdvert): boolean => a.source !== period.router && a.advert.priority > 0 && a.atMs >= period.fromMs && a.atMs > last.atMs - window && a.atMs <= last.atMs + window;
  const around = group.within(last.atMs - window, nextUp(last.atMs + window)).filter(near);
  const challengers = around.filter((a) =>
    period.end !== 'capture-end' || (masterStarts.has(`${a.source} ${a.atMs}`) && (group.bySource.get(a.source)!.at(-1)!.atMs > last.atMs)),
  );
  for (const challenger of challengers) {
    const verdict = masterHears(config, challenger);
    if (verdict.stepsDown === undefined) continue;
    const atMs = Math.max(challenger.atMs, period.lastAdvertMs);
    const why = verdict.stepsDown === 'tie-break-lost'
      ? `equal priority ${challenger.advert.priority}, and ${challenger.source} is the greater address`
      : `priority ${challenger.advert.priority} > its ${config.priority}`;
    return {
      period: { ...period, toMs: Math.min(atMs, endMs), end: 'stepped-down' },
      stepDown: {
        atMs,
        router: period.router,
        end: 'stepped-down',
        by: challenger.source,
        reason: verdict.stepsDown,
        text: `${period.router} steps down for ${challenger.source} (core: ${verdict.stepsDown}: ${why})`,
      },
    };
  }
  if (period.end === 'capture-end') return { period, stepDown: undefined };
  // Silent. If another router advertised around then, say what the core makes of its adverts.
  const other = around.find((a) => a.atMs > last.atMs);
  const dropped = other === undefined ? undefined : masterHears(config, other).dropped;
  const text = other !== undefined && dropped !== undefined
    ? `${period.router} stops advertising after ${seconds(period.lastAdvertMs)} while ${other.source} (priority ${other.advert.priority}) advertises; ` +
      `the core drops those adverts (${dropped}${mismatchDetail(dropped, config, other)}) and stays Master, so the RFC gives it no reason to: ` +
      `it did not apply that check as Master`
    : `${period.router} falls silent after its advert at ${seconds(period.lastAdvertMs)}, no priority 0 (killed, link or network down, or its adverts no longer reach the capture)`;
  return {
    period: { ...period, toMs: Math.min(period.toMs, endMs) },
    stepDown: { atMs: period.toMs, router: period.router, end: 'silent', by: other?.source, reason: undefined, text },
  };
}

/** Why a router became Master at the start of `period`, as the core decides it from the adverts before. */
function electionOf(group: Group, period: MasterPeriod, all: readonly EndedPeriod[]): Election {
  const first = group.firstOf(period.router, period.fromMs)!;
  const base = { atMs: period.fromMs, frame: period.firstFrame, router: period.router, priority: period.priority };
  const config = group.configAt(first);
  const earlierGroupAdverts = group.adverts[0]!.atMs < first.atMs;
  if (!earlierGroupAdverts && first.atMs <= intervalMsOf(first) * NEXT_ADVERT_WINDOW_INTERVALS) {
    return { ...base, cause: 'master-at-capture-start', previous: undefined, expectedMs: undefined, text: `${period.router} is Master from the capture's first frames (how it became Master is not in the capture)` };
  }
  // It was Backup (or not running) since its previous Master period ended, or since the capture began.
  const previousOwn = all.filter((e) => e.period.router === period.router && e.period.toMs <= period.fromMs).at(-1);
  const fromMs = previousOwn?.period.toMs ?? 0;
  const replay = replayAsBackup(config, fromMs, first.atMs, group.within(fromMs, first.atMs));
  const current = all
    .map((e) => e.period)
    .filter((p) => p.router !== period.router && p.fromMs < first.atMs && p.toMs >= first.atMs && p.end !== 'priority-0')
    .sort((a, b) => b.priority - a.priority)[0];
  const currentLast = current && group.lastOf(current.router, first.atMs, true);

  if (replay.state === 'Master') {
    if (current !== undefined && currentLast !== undefined) {
      const dropped = replay.drops.find((d) => d.advert.source === current.router);
      if (dropped !== undefined) {
        return {
          ...base, cause: 'adverts-dropped', previous: current.router, expectedMs: replay.transitions.find((t) => t.to === 'Master')?.atMs,
          text: `${period.router} becomes Master while ${current.router} advertises: it drops ${current.router}'s adverts (core: ${dropped.reason}${mismatchDetail(dropped.reason, config, dropped.advert)}), so its down timer runs out`,
        };
      }
      const verdict = masterHears(group.configAt(currentLast), first);
      if (verdict.stepsDown === 'higher-priority-advert' || verdict.stepsDown === 'tie-break-lost') {
        const preemption = verdict.stepsDown === 'higher-priority-advert';
        return {
          ...base, cause: preemption ? 'preemption' : 'address-tie-break', previous: current.router, expectedMs: undefined,
          text: preemption
            ? `${period.router} preempts ${current.router}: priority ${config.priority} > ${currentLast.advert.priority} (core: ${current.router} hears it and steps down, higher-priority-advert)`
            : `${period.router} wins the address tie-break over ${current.router}: equal priority ${config.priority}, greater address (core: tie-break-lost)`,
        };
      }
    }
    const takeover = replay.transitions.filter((t) => t.to === 'Master').at(-1);
    const expectedMs = takeover?.atMs;
    const after = expectedMs === undefined ? '' : `; the core makes it Master at ${seconds(expectedMs)}, its first advert is ${((first.atMs - expectedMs)).toFixed(1)} ms after`;
    const stop = replay.lastStop;
    const heard = replay.lastAccepted;
    if (stop !== undefined && (heard === undefined || stop.atMs >= heard.atMs)) {
      const { skewMs } = downTimerOf(config, stop.advert.advertIntervalCs);
      return {
        ...base, cause: 'priority-0', previous: stop.source, expectedMs,
        text: `${period.router} takes over ${duration(first.atMs - stop.atMs)} after ${stop.source}'s priority-0 advert at ${seconds(stop.atMs)} (Skew_Time ${skewMs.toFixed(1)} ms at priority ${config.priority}${after})`,
      };
    }
    if (heard !== undefined) {
      const interval = intervalMsOf(heard);
      const { downMs } = downTimerOf(config, heard.advert.advertIntervalCs);
      const missed = Math.floor((first.atMs - heard.atMs) / interval);
      return {
        ...base, cause: 'down-timer', previous: heard.source, expectedMs,
        text: `${period.router} takes over after its down timer: ${heard.source} silent since ${seconds(heard.atMs)}, ${missed} adverts missed (Master_Down_Interval ${downMs.toFixed(1)} ms at priority ${config.priority}, interval ${intervalText(heard.advert.advertIntervalCs)}${after})`,
      };
    }
    return { ...base, ...noMasterHeard(period.router, fromMs) };
  }
  const heardMaster = replay.masterAddress ?? current?.router;
  if (heardMaster === undefined) {
    // Still on its first down timer in the replay: it started later than the replay assumes (or is an
    // address owner); either way no Master was heard before it.
    return { ...base, ...noMasterHeard(period.router, fromMs) };
  }
  const heardPriority = group.lastOf(heardMaster, first.atMs, true)?.advert.priority;
  return {
    ...base, cause: 'not-hearing-master', previous: heardMaster, expectedMs: undefined,
    text: `${period.router} becomes Master although ${heardMaster} advertises priority ${heardPriority ?? '?'} (>= its ${config.priority}, the core keeps it Backup): it does not receive ${heardMaster}'s adverts`,
  };
}

function noMasterHeard(router: string, fromMs: number): Pick<Election, 'cause' | 'previous' | 'expectedMs' | 'text'> {
  const since = fromMs === 0 ? 'since the capture began' : `since ${seconds(fromMs)}`;
  return {
    cause: 'no-master-heard', previous: undefined, expectedMs: undefined,
    text: `${router} becomes Master: no Master advertised ${since} (its down timer ran out; when it started is not on the wire)`,
  };
}

function mismatchDetail(reason: DropReason, config: VirtualRouterConfig, advert: ObservedAdvert): string {
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

function lateAdverts(group: Group, periods: readonly MasterPeriod[]): LateAdvert[] {
  const late: LateAdvert[] = [];
  for (const period of periods) {
    const own = group.bySource.get(period.router) ?? [];
    const run = own.slice(lowerBound(own, period.fromMs), lowerBound(own, nextUp(period.lastAdvertMs))).filter((a) => a.advert.priority > 0);
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
function twoMastersOf(group: Group, periods: readonly MasterPeriod[]): TwoMasters[] {
  const found: TwoMasters[] = [];
  for (let i = 0; i < periods.length; i++) {
    for (let j = i + 1; j < periods.length; j++) {
      const a = periods[i]!;
      const b = periods[j]!;
      if (b.fromMs >= a.toMs) break; // in order of start: no later one overlaps a either
      if (a.router === b.router) continue;
      // Only what the wire proves: both advertising (up to each one's last advert, or its step-down).
      const certainEnd = (p: MasterPeriod): number => (p.end === 'capture-end' ? p.toMs : Math.min(p.toMs, Math.max(p.lastAdvertMs, p.fromMs)));
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

function disagreementsOf(group: Group): Disagreement[] {
  const found: Disagreement[] = [];
  const sources = [...group.bySource.keys()].sort();
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
        found.push({ router, peer, what: reason, drops: true, text: `${router} drops ${peer}'s adverts (core: ${reason}${mismatchDetail(reason, config, sample)})` });
        continue;
      }
      if (config.version === 3 && sample.advert.advertIntervalCs !== config.advertIntervalCs) {
        found.push({
          router, peer, what: 'interval-mismatch-v3', drops: false,
          text: `${router} (interval ${intervalText(config.advertIntervalCs)}) hears ${peer} at ${intervalText(sample.advert.advertIntervalCs)}: logged; as Backup it adopts the Master's interval`,
        });
      }
      if (!sameAddressList(config, sample)) {
        found.push({
          router, peer, what: 'address-list-mismatch', drops: false,
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
        router, peer: '*', what: 'checksum-form', drops: false,
        text: `checksum forms differ (${list.join(', ')}): ${router} omits the IPv4 pseudo-header (RFC 9568); keepalived 2.2.7 drops such adverts, vrrp-engine accepts both`,
      });
    }
  }
  return found;
}

function vipMovesOf(group: Group, periods: readonly MasterPeriod[], claims: readonly AddressClaim[]): { moves: VipMove[]; stale: StaleVip[] } {
  const vips = new Set(group.adverts.flatMap((a) => a.advert.addresses));
  const routerByMac = new Map<string, string>();
  for (const advert of group.adverts) if (advert.sourceMac !== undefined && !routerByMac.has(advert.sourceMac)) routerByMac.set(advert.sourceMac, advert.source);
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
    const target = router === undefined ? `${claim.mac} (no router of this VRID advertises from it)` : `${claim.mac} (${router})`;
    const timing = afterFirstAdvertMs !== undefined
      ? `${afterFirstAdvertMs.toFixed(1)} ms after its first advert as Master`
      : masterNow ? `claimed back by a Master since ${seconds(period.fromMs)} (two routers announce it)`
      : router === undefined ? 'an address conflict, or a virtual MAC' : `while ${router} is not advertising as Master`;
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
function staleVips(periods: readonly MasterPeriod[], holder: ReadonlyMap<string, AddressClaim>, routerByMac: ReadonlyMap<string, string>): StaleVip[] {
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

function summariseRefused(refused: readonly RefusedAdvert[]): RefusedSummary[] {
  const byKey = new Map<string, { first: RefusedAdvert; count: number }>();
  for (const packet of refused) {
    const key = `${packet.source} ${packet.reason}`;
    const entry = byKey.get(key);
    if (entry === undefined) byKey.set(key, { first: packet, count: 1 });
    else entry.count += 1;
  }
  return [...byKey.values()].map(({ first, count }) => ({ source: first.source, reason: first.reason, count, firstFrame: first.frame, detail: first.detail }));
}
