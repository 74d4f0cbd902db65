// The real core asked about a capture: for an observed router, a VirtualRouter (src/core) configured as
// its adverts say it is (priority, interval, version, VIPs, authentication, checksum form, unicast
// peers; preempt on, the RFC default), fed the adverts the other routers put on the wire. Its state
// changes and drops are the RFC's decisions, made by the same code the daemon runs: nothing here
// re-states an election rule.

import { receivedAdvert } from '../core/demux.js';
import type { DropReason, RouterAction, RouterState, TransitionReason, VirtualRouterConfig } from '../core/types.js';
import { addressListMatches, receiveChecksFor, validateAdvert } from '../core/validate.js';
import { VirtualRouter } from '../core/virtual-router.js';
import { masterDownIntervalMs, skewMs } from '../core/timers.js';
import { passwordToAuthData } from '../wire/codec.js';
import { AUTH_SIMPLE_PASSWORD, VRRP_MULTICAST_V4, VRRP_MULTICAST_V6 } from '../wire/types.js';
import type { ObservedAdvert } from './packets.js';

const NO_ANNOUNCE = {
  repeat: 0,
  secondBurstDelayMs: 0,
  refreshIntervalMs: 0,
  refreshRepeat: 1,
  lowerPriorityRepeat: 0,
  lowerPrioritySecondBurstDelayMs: 0,
} as const;

/** A Backup shadow's timers may run this many times between two adverts (a bound: each expiry makes it Master). */
const MAX_TIMER_STEPS = 16;

export function isMulticast(address: string): boolean {
  return address === VRRP_MULTICAST_V4 || address === VRRP_MULTICAST_V6;
}

/**
 * The v2 password as configuration text: the 8 auth bytes without their zero padding, when that text
 * gives the same bytes back; undefined when no configurable password does (then the shadow runs
 * without authentication and says so through its drops).
 */
function passwordOf(authData: Uint8Array): string | undefined {
  let end = authData.length;
  while (end > 0 && authData[end - 1] === 0) end--;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(authData.subarray(0, end));
  } catch {
    return undefined;
  }
  const back = passwordToAuthData(text);
  return back.length === authData.length && back.every((byte, i) => byte === authData[i]) ? text : undefined;
}

/**
 * The configuration an observed router's advert shows. `priority` overrides the advert's (a
 * priority-0 advert says the router is leaving, not what it was configured with); `peers` are the
 * unicast destinations it was seen sending to.
 */
export function configFromAdvert(
  observed: ObservedAdvert,
  priority: number,
  peers: readonly string[],
): VirtualRouterConfig {
  const advert = observed.advert;
  const password =
    advert.version === 2 && advert.authType === AUTH_SIMPLE_PASSWORD ? passwordOf(advert.authData) : undefined;
  return {
    name: observed.source,
    interface: 'capture',
    vrid: advert.vrid,
    version: advert.version,
    family: observed.family,
    priority: Math.min(255, Math.max(1, priority)),
    advertIntervalCs: Math.max(1, advert.advertIntervalCs),
    initialState: 'Backup',
    preempt: true,
    preemptDelayMs: 0,
    preemptDelayMode: 'keepalived',
    acceptMode: false,
    primaryAddress: observed.source,
    virtualAddresses: advert.addresses,
    auth: password === undefined ? { type: 'none' } : { type: 'pass', password },
    v3Ipv4PseudoHeader: observed.checksumForm !== 'v3-no-pseudo-header',
    unicastPeers: peers,
    checkUnicastTtl: true,
    strictAddressList: false,
    higherPrioritySendAdvert: false,
    announce: NO_ANNOUNCE,
  };
}

/** Whether an advert on the wire reaches the router `config` describes (multicast, or unicast to it). */
export function reaches(observed: ObservedAdvert, config: VirtualRouterConfig): boolean {
  return (
    observed.source !== config.primaryAddress &&
    (isMulticast(observed.destination) || observed.destination === config.primaryAddress)
  );
}

export interface ShadowTransition {
  readonly atMs: number;
  readonly from: RouterState;
  readonly to: RouterState;
  readonly reason: TransitionReason;
}

export interface BackupReplay {
  /** The shadow's state just before `untilMs`. */
  readonly state: RouterState;
  readonly transitions: readonly ShadowTransition[];
  /** The last advert it accepted from a Master (priority above 0) before becoming Master, if any. */
  readonly lastAccepted: ObservedAdvert | undefined;
  /** The last priority-0 advert it took in before becoming Master, if any. */
  readonly lastStop: ObservedAdvert | undefined;
  /** Adverts it discarded as lower than its own priority (it preempts them). */
  readonly discardedLower: readonly ObservedAdvert[];
  /** Adverts it dropped, with the core's reason. */
  readonly drops: readonly { readonly advert: ObservedAdvert; readonly reason: DropReason }[];
  /** The Master it followed at the end (snapshot), if Backup. */
  readonly masterAddress: string | undefined;
  readonly nextDeadlineMs: number | undefined;
}

function stateChanges(actions: readonly RouterAction[], atMs: number, into: ShadowTransition[]): void {
  for (const action of actions) {
    if (action.kind === 'stateChange') into.push({ atMs, from: action.from, to: action.to, reason: action.reason });
  }
}

/**
 * Runs the shadow's timers up to `untilMs` (inclusive), recording state changes. A Master's timers
 * only send adverts and announcements, never change its state, so they are left alone: that keeps a
 * replay's cost to the adverts it hears, whatever the span of time.
 */
function runTimers(router: VirtualRouter, untilMs: number, into: ShadowTransition[]): void {
  for (let step = 0; step < MAX_TIMER_STEPS && router.state !== 'Master'; step++) {
    const deadline = router.nextDeadlineMs();
    if (deadline === undefined || deadline > untilMs) return;
    stateChanges(router.handle({ kind: 'timeout' }, deadline), deadline, into);
  }
}

/**
 * A router that starts as Backup at `fromMs` and hears every advert of `adverts` that reaches it
 * before `untilMs`: what the core makes of them.
 */
export function replayAsBackup(
  config: VirtualRouterConfig,
  fromMs: number,
  untilMs: number,
  adverts: readonly ObservedAdvert[],
): BackupReplay {
  const router = new VirtualRouter(config);
  const transitions: ShadowTransition[] = [];
  stateChanges(router.handle({ kind: 'startup' }, fromMs), fromMs, transitions);
  let lastAccepted: ObservedAdvert | undefined;
  let lastStop: ObservedAdvert | undefined;
  const discardedLower: ObservedAdvert[] = [];
  const drops: { advert: ObservedAdvert; reason: DropReason }[] = [];
  for (const observed of adverts) {
    if (observed.atMs < fromMs || observed.atMs >= untilMs || !reaches(observed, config)) continue;
    runTimers(router, observed.atMs, transitions);
    const wasBackup = router.state === 'Backup';
    const actions = router.handle(
      { kind: 'advert', advert: receivedAdvert(observed.advert, observedMeta(observed)) },
      observed.atMs,
    );
    stateChanges(actions, observed.atMs, transitions);
    const dropped = actions.find((a) => a.kind === 'dropped');
    if (dropped !== undefined) {
      drops.push({ advert: observed, reason: dropped.reason });
      continue;
    }
    if (!wasBackup || router.state !== 'Backup') continue;
    if (observed.advert.priority === 0) lastStop = observed;
    else if (router.snapshot().masterAddress === observed.source) {
      lastAccepted = observed;
      lastStop = undefined;
    } else discardedLower.push(observed);
  }
  runTimers(router, untilMs - 1e-6, transitions);
  const snapshot = router.snapshot();
  return {
    state: router.state,
    transitions,
    lastAccepted,
    lastStop,
    discardedLower,
    drops,
    masterAddress: router.state === 'Backup' ? snapshot.masterAddress : undefined,
    nextDeadlineMs: snapshot.nextDeadlineMs,
  };
}

/**
 * A router that is Master at `atMs` (as the observed one was, advertising) hearing `challenger`:
 * the core's answer (step down, and why) or undefined when it stays Master; or the reason it drops it.
 */
export function masterHears(
  config: VirtualRouterConfig,
  challenger: ObservedAdvert,
): { readonly stepsDown: TransitionReason | undefined; readonly dropped: DropReason | undefined } {
  const router = new VirtualRouter(config);
  // Start well before, with nobody heard: its own down timer makes it Master, as the observed one was.
  const startMs = challenger.atMs - masterDownIntervalMs(config.version, config.priority, config.advertIntervalCs) - 1;
  router.handle({ kind: 'startup' }, startMs);
  const deadline = router.nextDeadlineMs();
  if (router.state !== 'Master' && deadline !== undefined) router.handle({ kind: 'timeout' }, deadline);
  const actions = router.handle(
    { kind: 'advert', advert: receivedAdvert(challenger.advert, observedMeta(challenger)) },
    challenger.atMs,
  );
  const dropped = actions.find((a) => a.kind === 'dropped');
  const change = actions.find((a) => a.kind === 'stateChange');
  return {
    stepsDown: change?.kind === 'stateChange' ? change.reason : undefined,
    dropped: dropped?.kind === 'dropped' ? dropped.reason : undefined,
  };
}

/** The core's receive verdict on `observed` by the router `config` describes: a drop reason, or undefined. */
export function receiveVerdict(config: VirtualRouterConfig, observed: ObservedAdvert): DropReason | undefined {
  return validateAdvert(receivedAdvert(observed.advert, observedMeta(observed)), config);
}

/** Whether `observed` lists the same VIPs as `config` (the core's comparison). */
export function sameAddressList(config: VirtualRouterConfig, observed: ObservedAdvert): boolean {
  return addressListMatches(receivedAdvert(observed.advert, observedMeta(observed)), receiveChecksFor(config));
}

/** Master_Down_Interval and Skew_Time of `config` under a Master advertising every `masterIntervalCs`. */
export function downTimerOf(
  config: VirtualRouterConfig,
  masterIntervalCs: number,
): { readonly downMs: number; readonly skewMs: number } {
  return {
    downMs: masterDownIntervalMs(config.version, config.priority, masterIntervalCs),
    skewMs: skewMs(config.version, config.priority, masterIntervalCs),
  };
}

function observedMeta(observed: ObservedAdvert): {
  family: 4 | 6;
  sourceAddress: string;
  destinationAddress: string;
  ttl: number;
} {
  return {
    family: observed.family,
    sourceAddress: observed.source,
    destinationAddress: observed.destination,
    ttl: observed.ttl,
  };
}
