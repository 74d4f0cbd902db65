// The explanation of a capture, per virtual router: plain data, printed as text (report.ts), JSON and a
// picture (picture.ts). Times are milliseconds since the capture's first frame.

import type { DropReason, TransitionReason } from '../core/types.js';
import type { ChecksumForm, IpFamily, VrrpVersion, WireDropReason } from '../wire/types.js';
import type { AddressClaim, FrameTally } from './packets.js';
import type { CaptureFile } from './capture-file.js';

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
  | 'master-at-capture-start' // already advertising when the capture begins
  | 'no-master-heard' // its down timer ran out with no Master heard since the capture began
  | 'down-timer' // the Master fell silent: N adverts missed, Master_Down_Interval ran out
  | 'priority-0' // the Master sent priority 0: Skew_Time
  | 'preemption' // higher priority than the advertising Master
  | 'address-tie-break' // equal priority, greater address
  | 'adverts-dropped' // its down timer ran out because it drops the Master's adverts
  | 'not-hearing-master'; // the core keeps it Backup: it cannot be receiving the Master's adverts

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
  /** Routers left out of the disagreement check (only the busiest are compared pairwise). */
  readonly routersNotCompared: number;
  readonly vipMoves: readonly VipMove[];
  readonly staleVips: readonly StaleVip[];
  readonly refused: readonly RefusedSummary[];
}

/** What `explainCapture` tells about one capture file. */
export interface Explanation {
  readonly format: CaptureFile['format'];
  readonly linkTypes: readonly number[];
  readonly frames: number;
  /** Capture time of the first frame (ISO 8601, UTC); every other time is relative to it, in ms. */
  readonly startedAt: string | undefined;
  readonly durationMs: number;
  readonly tally: FrameTally;
  /** Set when the file ends early or is damaged: the explanation covers the frames before. */
  readonly readError: string | undefined;
  readonly groups: readonly GroupExplanation[];
}
