// What happened on a VRRP LAN, from its packets: per virtual router (address family, VRID), who was
// Master when (from the adverts on the wire), each election and its cause, and each step-down; the
// other findings come from findings.ts and vips.ts. Every judgement of the protocol is the real
// core's (shadow.ts); this file only observes and asks.

import type { AddressClaim, LanPacket, ObservedAdvert, RefusedAdvert } from './packets.js';
import { downTimerOf, masterHears, replayAsBackup } from './shadow.js';
import { disagreementsOf, lateAdverts, MAX_JUDGED_ROUTERS, summariseRefused, twoMastersOf } from './findings.js';
import { duration, Group, intervalMsOf, intervalText, mismatchDetail, nextUp, seconds } from './group.js';
import { vipMovesOf } from './vips.js';
import type { Election, GroupExplanation, MasterPeriod, PeriodEnd, RouterSummary, StepDown } from './types.js';

export { LATE_SHARE } from './findings.js';
/** A Master silent for more than this many intervals has stopped (every Backup's down timer is shorter). */
const RUN_BREAK_INTERVALS = 3;
/** A Master sends its next advert within this many intervals: its last one that much before a challenger or the capture end means it stopped there. */
const NEXT_ADVERT_WINDOW_INTERVALS = 1.5;
/** How far back, in the group's longest advert interval, an election's replay starts at most. */
const REPLAY_INTERVALS = 20;
/**
 * And how many adverts it hears at most (the latest): dozens of intervals of a sane LAN, while a
 * flood of spoofed sources cannot make every election replay the whole flood.
 */
const MAX_REPLAY_ADVERTS = 128;

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
    .map((group) =>
      explainGroup(
        group,
        endMs,
        refused.filter((r) => r.family === group.family && r.vrid === group.vrid),
        claims,
      ),
    );
}

function explainGroup(
  group: Group,
  endMs: number,
  refused: readonly RefusedAdvert[],
  claims: readonly AddressClaim[],
): GroupExplanation {
  const routers = [...group.bySource.keys()].sort().map((source) => summarise(group, source));
  const periods = [...group.bySource.values()]
    .flatMap((adverts) => masterPeriods(adverts, endMs))
    .sort((a, b) => a.fromMs - b.fromMs || (a.router < b.router ? -1 : 1));
  const masterStarts = new Set(periods.map((p) => `${p.router} ${p.fromMs}`));
  const ended = periods.map((period) => endOf(group, period, masterStarts, endMs));
  const elections = periods.map((period, index) => electionOf(group, period, index, ended));
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
    routersNotCompared: Math.max(0, group.bySource.size - MAX_JUDGED_ROUTERS),
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
  const auth =
    last.advert.version === 3
      ? 'none (v3)'
      : last.advert.authType === 0
        ? 'none'
        : config.auth.type === 'pass'
          ? `pass "${config.auth.password}"`
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
      end: open ? 'capture-end' : (end ?? 'silent'),
      firstFrame: first.frame,
      lastAdvertMs: last.atMs,
      adverts: run.length,
      priority: run.find((a) => a.advert.priority > 0)?.advert.priority ?? 0,
    });
    run = [];
  };
  for (const advert of adverts) {
    const previous = run.at(-1);
    if (previous !== undefined && advert.atMs - previous.atMs > RUN_BREAK_INTERVALS * intervalMsOf(previous))
      close(undefined);
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
  const near = (a: ObservedAdvert): boolean =>
    a.source !== period.router &&
    a.advert.priority > 0 &&
    a.atMs >= period.fromMs &&
    a.atMs > last.atMs - window &&
    a.atMs <= last.atMs + window;
  const around = group.within(last.atMs - window, nextUp(last.atMs + window)).filter(near);
  const challengers = around.filter(
    (a) =>
      period.end !== 'capture-end' ||
      (masterStarts.has(`${a.source} ${a.atMs}`) && group.bySource.get(a.source)!.at(-1)!.atMs > last.atMs),
  );
  for (const challenger of challengers) {
    const verdict = masterHears(config, challenger);
    if (verdict.stepsDown === undefined) continue;
    const atMs = Math.max(challenger.atMs, period.lastAdvertMs);
    const why =
      verdict.stepsDown === 'tie-break-lost'
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
  const text =
    other !== undefined && dropped !== undefined
      ? `${period.router} stops advertising after ${seconds(period.lastAdvertMs)} while ${other.source} (priority ${other.advert.priority}) advertises; ` +
        `the core drops those adverts (${dropped}${mismatchDetail(dropped, config, other)}) and stays Master, so the RFC gives it no reason to: ` +
        `it did not apply that check as Master`
      : `${period.router} falls silent after its advert at ${seconds(period.lastAdvertMs)}, no priority 0 (killed, link or network down, or its adverts no longer reach the capture)`;
  return {
    period: { ...period, toMs: Math.min(period.toMs, endMs) },
    stepDown: { atMs: period.toMs, router: period.router, end: 'silent', by: other?.source, reason: undefined, text },
  };
}

type Replay = ReturnType<typeof replayAsBackup>;
type Cause = Pick<Election, 'cause' | 'previous' | 'expectedMs' | 'text'>;

/** What every explanation of one election looks at: the period, its first advert, the router's settings. */
interface ElectionContext {
  readonly group: Group;
  readonly period: MasterPeriod;
  readonly first: ObservedAdvert;
  readonly config: ReturnType<Group['configAt']>;
}

/** Why a router became Master at the start of `period`, as the core decides it from the adverts before. */
function electionOf(group: Group, period: MasterPeriod, index: number, all: readonly EndedPeriod[]): Election {
  const first = group.firstOf(period.router, period.fromMs)!;
  const base = { atMs: period.fromMs, frame: period.firstFrame, router: period.router, priority: period.priority };
  const context: ElectionContext = { group, period, first, config: group.configAt(first) };
  const earlierGroupAdverts = group.adverts[0]!.atMs < first.atMs;
  if (!earlierGroupAdverts && first.atMs <= intervalMsOf(first) * NEXT_ADVERT_WINDOW_INTERVALS) {
    return {
      ...base,
      cause: 'master-at-capture-start',
      previous: undefined,
      expectedMs: undefined,
      text: `${period.router} is Master from the capture's first frames (how it became Master is not in the capture)`,
    };
  }
  // It was Backup (or not running) since its previous Master period ended, or since the capture began.
  // The replay goes back at most REPLAY_INTERVALS of the group's longest interval: far more than any
  // Master_Down_Interval, and it bounds the cost of a LAN flooded with sources.
  const fromMs = Math.max(
    previousOwnEnd(period, index, all),
    first.atMs - REPLAY_INTERVALS * group.longestIntervalMs(),
  );
  const within = group.within(fromMs, first.atMs).slice(-MAX_REPLAY_ADVERTS);
  const replay = replayAsBackup(context.config, fromMs, first.atMs, within);
  const current = otherMasterAt(period, first.atMs, all);
  if (replay.state !== 'Master') return { ...base, ...stayedBackup(context, replay, current, fromMs) };
  return {
    ...base,
    ...(whileAnotherAdvertises(context, replay, current) ??
      takeoverCause(context, replay) ??
      noMasterHeard(period.router, fromMs)),
  };
}

/** When the router's own previous Master period ended (0: none in the capture). */
function previousOwnEnd(period: MasterPeriod, index: number, all: readonly EndedPeriod[]): number {
  for (let i = index - 1; i >= 0; i--) {
    const earlier = all[i]!.period;
    if (earlier.router === period.router && earlier.toMs <= period.fromMs) return earlier.toMs;
  }
  return 0;
}

/** The highest-priority other Master advertising at `atMs`, if any. */
function otherMasterAt(period: MasterPeriod, atMs: number, all: readonly EndedPeriod[]): MasterPeriod | undefined {
  let current: MasterPeriod | undefined;
  for (const { period: p } of all) {
    if (p.fromMs >= atMs) break; // in order of start
    const open = p.router !== period.router && p.toMs >= atMs && p.end !== 'priority-0';
    if (open && (current === undefined || p.priority > current.priority)) current = p;
  }
  return current;
}

/** Master while `current` still advertised: it dropped those adverts, preempted, or won the tie-break. */
function whileAnotherAdvertises(
  { group, period, first, config }: ElectionContext,
  replay: Replay,
  current: MasterPeriod | undefined,
): Cause | undefined {
  const currentLast = current && group.lastOf(current.router, first.atMs, true);
  if (current === undefined || currentLast === undefined) return undefined;
  const dropped = replay.drops.find((d) => d.advert.source === current.router);
  if (dropped !== undefined) {
    return {
      cause: 'adverts-dropped',
      previous: current.router,
      expectedMs: replay.transitions.find((t) => t.to === 'Master')?.atMs,
      text: `${period.router} becomes Master while ${current.router} advertises: it drops ${current.router}'s adverts (core: ${dropped.reason}${mismatchDetail(dropped.reason, config, dropped.advert)}), so its down timer runs out`,
    };
  }
  const verdict = masterHears(group.configAt(currentLast), first);
  if (verdict.stepsDown !== 'higher-priority-advert' && verdict.stepsDown !== 'tie-break-lost') return undefined;
  const preemption = verdict.stepsDown === 'higher-priority-advert';
  return {
    cause: preemption ? 'preemption' : 'address-tie-break',
    previous: current.router,
    expectedMs: undefined,
    text: preemption
      ? `${period.router} preempts ${current.router}: priority ${config.priority} > ${currentLast.advert.priority} (core: ${current.router} hears it and steps down, higher-priority-advert)`
      : `${period.router} wins the address tie-break over ${current.router}: equal priority ${config.priority}, greater address (core: tie-break-lost)`,
  };
}

/** Master after a priority-0 advert's Skew_Time or after its down timer, as the replay says. */
function takeoverCause({ period, first, config }: ElectionContext, replay: Replay): Cause | undefined {
  const expectedMs = replay.transitions.filter((t) => t.to === 'Master').at(-1)?.atMs;
  const after =
    expectedMs === undefined
      ? ''
      : `; the core makes it Master at ${seconds(expectedMs)}, its first advert is ${(first.atMs - expectedMs).toFixed(1)} ms after`;
  const stop = replay.lastStop;
  const heard = replay.lastAccepted;
  if (stop !== undefined && (heard === undefined || stop.atMs >= heard.atMs)) {
    const { skewMs } = downTimerOf(config, stop.advert.advertIntervalCs);
    return {
      cause: 'priority-0',
      previous: stop.source,
      expectedMs,
      text: `${period.router} takes over ${duration(first.atMs - stop.atMs)} after ${stop.source}'s priority-0 advert at ${seconds(stop.atMs)} (Skew_Time ${skewMs.toFixed(1)} ms at priority ${config.priority}${after})`,
    };
  }
  if (heard === undefined) return undefined;
  const interval = intervalMsOf(heard);
  const { downMs } = downTimerOf(config, heard.advert.advertIntervalCs);
  const missed = Math.floor((first.atMs - heard.atMs) / interval);
  return {
    cause: 'down-timer',
    previous: heard.source,
    expectedMs,
    text: `${period.router} takes over after its down timer: ${heard.source} silent since ${seconds(heard.atMs)}, ${missed} adverts missed (Master_Down_Interval ${downMs.toFixed(1)} ms at priority ${config.priority}, interval ${intervalText(heard.advert.advertIntervalCs)}${after})`,
  };
}

/** The core keeps it Backup, yet it advertised as Master: it cannot hear the Master (or none was heard). */
function stayedBackup(
  { group, period, first, config }: ElectionContext,
  replay: Replay,
  current: MasterPeriod | undefined,
  fromMs: number,
): Cause {
  const heardMaster = replay.masterAddress ?? current?.router;
  // Still on its first down timer in the replay: it started later than the replay assumes (or is an
  // address owner); either way no Master was heard before it.
  if (heardMaster === undefined) return noMasterHeard(period.router, fromMs);
  const heardPriority = group.lastOf(heardMaster, first.atMs, true)?.advert.priority;
  return {
    cause: 'not-hearing-master',
    previous: heardMaster,
    expectedMs: undefined,
    text: `${period.router} becomes Master although ${heardMaster} advertises priority ${heardPriority ?? '?'} (>= its ${config.priority}, the core keeps it Backup): it does not receive ${heardMaster}'s adverts`,
  };
}

function noMasterHeard(router: string, fromMs: number): Cause {
  const since = fromMs === 0 ? 'since the capture began' : `since ${seconds(fromMs)}`;
  return {
    cause: 'no-master-heard',
    previous: undefined,
    expectedMs: undefined,
    text: `${router} becomes Master: no Master advertised ${since} (its down timer ran out; when it started is not on the wire)`,
  };
}
