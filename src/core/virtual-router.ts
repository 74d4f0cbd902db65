// The VRRP state machine of one virtual router, to be read next to RFC 9568 section 6.4 (RFC 5798 for
// v3, RFC 3768 6.4 for v2). Sans-IO: `handle(input, nowMs)` returns the actions to carry out, in order;
// deadlines are absolute times in a TimerTable, reported by `nextDeadlineMs()`. A 'timeout' input
// before a deadline, or a second one for the same deadline, changes nothing.
//
// RFC 9568 6.4, paragraph by paragraph, and the method that does it:
//   6.4.1 Initialize
//     "If a Startup event is received" ............................. onStartup
//       priority 255: send an ADVERTISEMENT, broadcast gratuitous ARP / unsolicited NA, set the
//       Adver_Timer, go to Master ..................................... becomeMaster (ENTRY.Master)
//       else: Master_Adver_Interval = Advertisement_Interval, set Master_Down_Timer to
//       Master_Down_Interval, go to Backup ............................ enterBackup (ENTRY.Backup)
//   6.4.2 Backup
//     MUST NOT answer ARP / ND for the VIPs nor accept packets for them: the VIPs are only on a Master
//     (the addVips / removeVips actions of ENTRY.Master and leaveMaster)
//     "If a Shutdown event is received": cancel the Master_Down_Timer, go to Initialize .. onShutdown
//     "If the Master_Down_Timer fires": advertise, announce, set the Adver_Timer, go to Master
//       ............................................................. backupTimers -> takeOver
//     "If an ADVERTISEMENT is received" .............................. backupReceives
//       priority 0: set the Master_Down_Timer to Skew_Time
//       preempt off or priority >= ours: (v3) adopt its interval, reset the Master_Down_Timer
//       otherwise: discard it
//   6.4.3 Master
//     MUST answer ARP / ND for the VIPs, forward, accept only as owner or with Accept_Mode
//       (acceptModeInEffect, passed with the addVips action)
//     "If a Shutdown event is received": cancel the Adver_Timer, send an ADVERTISEMENT with priority
//       0, go to Initialize ........................................... onShutdown -> leaveMaster
//     "If the Adver_Timer fires": send an ADVERTISEMENT, reset the Adver_Timer .... masterTimers
//     "If an ADVERTISEMENT is received" .............................. masterReceives
//       priority 0: send an ADVERTISEMENT at once, reset the Adver_Timer
//       greater priority, or equal and a greater primary address: cancel the Adver_Timer, (v3) adopt
//       its interval, set the Master_Down_Timer, go to Backup
//       otherwise: stay Master
// Every state change goes through `transition`: the old state's timers are cleared (TimerTable), then
// the new state's entry actions (ENTRY) run, then the stateChange action is emitted.
//
// keepalived 2.2.7 extensions live in the methods marked "keepalived extension" below (and in
// keepalived-extensions.ts): FAULT (link and tracked objects, `reevaluate`), track weights,
// preempt_delay, `state MASTER` (`preemptRules`), vrrp_sync_group membership (`onSyncGroup`), the VIP
// lost from under a Master (`onVipsLost`), announce bursts and refresh (`announceTimers`), answering a
// lower-priority Master (`answerLowerPriorityMaster`), owner conflicts and reconfiguration.

import {
  assertNever,
  type DropReason,
  type NoticeKind,
  type ReceivedAdvert,
  type RouterAction,
  type RouterInput,
  type RouterSnapshot,
  type RouterState,
  type SyncGroupCommand,
  type TransitionReason,
  type VirtualRouterConfig,
} from './types.js';
import { ownedAddresses as ownedAddressesOf, placement } from './address-placement.js';
import {
  extraInterfaceAddresses,
  LOWEST_PRIORITY,
  LowerPriorityReannounce,
  OWNER_PRIORITY,
  preemptRules,
  type TrackedObject,
  weightedPriority,
} from './keepalived-extensions.js';
import { Timer, TimerTable } from './timer-table.js';
import { advertIntervalMs, masterDownIntervalMs, skewMs } from './timers.js';
import {
  addressListMatches,
  checkAdvert,
  receiveChecksFor,
  takesOldUnicastChecksum,
  type ReceiveChecks,
} from './validate.js';
import { parseAddress } from '../wire/address.js';

/** Priority 0 in an advert: the master is leaving (RFC 9568 5.2.4). */
const STOP_PRIORITY = 0;

/** A fault of the router's own (not its sync group's). */
type OwnFaultReason = 'link-down' | 'track-failed' | 'no-unicast-peer';

type EntryAction = (router: VirtualRouter, nowMs: number, actions: RouterAction[]) => void;

export class VirtualRouter {
  /** Replaced only by `reconfigure`, together with everything derived from it below. */
  private currentConfig: VirtualRouterConfig;
  private checks: ReceiveChecks;
  private primaryAddressBytes: Uint8Array | undefined;
  /** What a Master adds, removes and announces: the VIPs, then the excluded addresses. */
  private ownedAddresses: readonly string[];

  /** nopreempt and preempt_delay as they apply after the mode's rules (see `preemptRules`). */
  private preempt: boolean;
  private preemptDelayMs: number;
  private ignoredPreemptSettings: string | undefined;

  private currentState: RouterState = 'Initialize';
  private basePriority: number;
  private currentEffectivePriority: number;
  private linkUp = true;
  private readonly tracked = new Map<string, TrackedObject>();
  /** vrrp_sync_group membership (see the 'syncGroup' input): whether, and what the group holds. */
  private syncMember = false;
  private syncGroupFault = false;
  private syncWantsMaster = false;
  private syncOwnFault = false;

  /** Master_Adver_Interval: ours as Master, the master's (v3) as Backup. */
  private masterAdvertIntervalCs: number;
  private masterAddress: string | undefined;
  /**
   * Source of the last advert a Backup judged (accepted or discarded as lower; not priority 0), as
   * keepalived's master_saddr: skip_check_adv_addr skips the address list for it.
   */
  private lastHeardSource: string | undefined;
  /** old_unicast_checksum 'auto': a peer was heard using the old form (keepalived CHKSUM_COMPATIBILITY_AUTO). */
  private heardOldUnicastChecksum = false;
  /** Priority of the master we last accepted an advert from (Backup), to re-check a preempt wait. */
  private masterPriority: number | undefined;
  private lastTransition: { readonly atMs: number; readonly reason: TransitionReason } | undefined;

  /** Every deadline, by name; only those of the current state are ever set. */
  private readonly timers = new TimerTable();
  /** Messages per address in the pending second GARP/NA burst (the 'secondBurst' timer). */
  private secondBurstCount = 0;
  /** keepalived garp_extra_if: the first advert after this time (ms) announces on the extra interfaces. */
  private extraInterfacesAtMs = Number.NaN;
  /** Master: the routers heard advertising lower, for the re-announcement hold-off. */
  private readonly lowerPriority = new LowerPriorityReannounce();
  /** keepalived extension vrrp_startup_delay (issue 13): a Backup's down timer counts from here. */
  private startupDelayUntilMs: number | undefined;

  // Notices are raised when a condition starts, not on every advert that repeats it.
  private reportedIntervalCs: number | undefined;
  private reportedAddressMismatchFrom: string | undefined;

  private readonly drops = new Map<DropReason, number>();

  constructor(config: VirtualRouterConfig) {
    this.currentConfig = config;
    this.checks = receiveChecksFor(config);
    this.primaryAddressBytes = parseAddress(config.primaryAddress, config.family)?.bytes;
    this.ownedAddresses = ownedAddressesOf(config);
    const rules = preemptRules(config);
    this.preempt = rules.preempt;
    this.preemptDelayMs = rules.preemptDelayMs;
    this.ignoredPreemptSettings = rules.ignored;
    this.basePriority = config.priority;
    this.currentEffectivePriority = weightedPriority(this.basePriority, this.tracked.values());
    this.masterAdvertIntervalCs = config.advertIntervalCs;
  }

  get config(): VirtualRouterConfig {
    return this.currentConfig;
  }

  get state(): RouterState {
    return this.currentState;
  }

  get effectivePriority(): number {
    return this.currentEffectivePriority;
  }

  /** Adverts this router dropped, by reason (codec and unknown-VRID drops are counted by the demux). */
  get dropCounts(): ReadonlyMap<DropReason, number> {
    return this.drops;
  }

  handle(input: RouterInput, nowMs: number): RouterAction[] {
    switch (input.kind) {
      case 'startup':
        return this.onStartup(nowMs);
      case 'shutdown':
        return this.onShutdown(nowMs);
      case 'advert':
        return this.onAdvert(input.advert, nowMs);
      case 'timeout':
        return this.onTimeout(nowMs);
      case 'link':
        this.linkUp = input.up;
        return this.reevaluate(nowMs, input.up ? 'link-up' : 'link-down');
      case 'track':
        this.tracked.set(input.name, { up: input.up, weight: input.weight });
        return this.reevaluate(nowMs, input.up ? 'track-recovered' : 'track-failed');
      case 'setPriority':
        if (!Number.isInteger(input.priority) || input.priority < LOWEST_PRIORITY || input.priority > OWNER_PRIORITY) {
          throw new Error(`${this.config.name}: priority must be an integer 1..255, got ${String(input.priority)}`);
        }
        this.basePriority = input.priority;
        return this.reevaluate(nowMs, undefined);
      case 'vipsLost':
        return this.onVipsLost(nowMs);
      case 'syncGroup':
        return this.onSyncGroup(input.command, nowMs);
      default:
        return assertNever(input);
    }
  }

  /**
   * The advert a shutdown would send first: a Master's priority-0 advert (exactly what 'shutdown'
   * returns first), undefined in any other state. A transport may send it ahead of the shutdown,
   * straight from a stop signal (HeadStartPort.setParting).
   */
  partingAdvert(): Extract<RouterAction, { kind: 'sendAdvert' }> | undefined {
    return this.currentState === 'Master' ? this.advertAction(STOP_PRIORITY) : undefined;
  }

  /**
   * The advert a 'timeout' at nextDeadlineMs() would send first when that timeout is sure to make this
   * router Master: a Backup whose earliest deadline is its Master_Down_Timer (not a preempt_delay
   * check, which may find it outranked) and that is not a sync group member (which waits for its
   * group). Undefined otherwise. A transport may send it at the timer's expiry itself
   * (HeadStartPort.setTakeover); any input may change it.
   */
  takeoverAdvert(): Extract<RouterAction, { kind: 'sendAdvert' }> | undefined {
    const masterDownAtMs = this.timers.get(Timer.masterDown);
    if (this.currentState !== 'Backup' || this.syncMember || masterDownAtMs === undefined) return undefined;
    if (this.nextDeadlineMs() !== masterDownAtMs) return undefined;
    return this.advertAction(this.currentEffectivePriority);
  }

  /** Earliest pending deadline (absolute ms), or undefined. Handling 'timeout' before it changes nothing. */
  nextDeadlineMs(): number | undefined {
    return this.timers.earliest();
  }

  snapshot(): RouterSnapshot {
    return {
      name: this.config.name,
      vrid: this.config.vrid,
      state: this.currentState,
      basePriority: this.basePriority,
      effectivePriority: this.currentEffectivePriority,
      masterAdvertIntervalCs: this.masterAdvertIntervalCs,
      masterAddress: this.masterAddress,
      lastTransition: this.lastTransition,
      nextDeadlineMs: this.nextDeadlineMs(),
    };
  }

  // =============================================================================================
  // RFC 9568 6.4.1 Initialize

  /**
   * Startup. Priority 255 (address owner): Master at once. Otherwise Backup with Master_Down_Timer
   * running, or Fault (keepalived) if the link or a weight-0 tracked object is already down.
   *
   * `initialState: 'Master'` (keepalived `state MASTER`) for a non-owner: keepalived 2.2.7 does NOT
   * go master at startup. Its vrrp_init_state() only fast-tracks an instance to master when it is
   * the address owner (or is being reloaded while master); any other instance enters BACKUP with the
   * ordinary 3 * Master_Adver_Interval + Skew_Time down timer, exactly like `state BACKUP`. What
   * `state MASTER` does change is the configuration: keepalived clears nopreempt and preempt_delay
   * with a warning (see `preemptRules`). We do the same, and mark the transition
   * 'startup-master-wanted' so the log shows what was asked for.
   */
  private onStartup(nowMs: number): RouterAction[] {
    if (this.currentState !== 'Initialize') return [];
    const actions: RouterAction[] = [];
    if (this.ignoredPreemptSettings !== undefined) {
      actions.push(notice('preempt-settings-ignored', this.ignoredPreemptSettings));
    }
    this.masterAdvertIntervalCs = this.config.advertIntervalCs;
    const fault = this.faultReason();
    const delayMs = this.config.startupDelayMs ?? 0; // keepalived vrrp_startup_delay (issue 13)
    if (delayMs > 0) this.startupDelayUntilMs = nowMs + delayMs;
    if (fault !== undefined) {
      this.enterFault(fault, nowMs, actions);
    } else if (this.currentEffectivePriority === OWNER_PRIORITY && this.startupDelayUntilMs !== undefined) {
      // keepalived extension: the owner waits out the delay as a Backup whose down timer is (almost) zero.
      this.enterBackup('startup', nowMs, actions);
      this.timers.set(Timer.masterDown, this.startupDelayUntilMs);
    } else if (this.currentEffectivePriority === OWNER_PRIORITY) {
      this.becomeMaster('startup-owner', nowMs, actions);
    } else {
      this.enterBackup(this.config.initialState === 'Master' ? 'startup-master-wanted' : 'startup', nowMs, actions);
    }
    return actions;
  }

  /**
   * Shutdown (RFC 9568 6.4.2 / 6.4.3 "Shutdown event"). As Master: cancel the Adver_Timer, send an
   * advert with priority 0 so a Backup takes over after Skew_Time instead of Master_Down_Interval,
   * then remove the VIPs. From Backup or Fault: just stop.
   */
  private onShutdown(nowMs: number): RouterAction[] {
    const actions: RouterAction[] = [];
    switch (this.currentState) {
      case 'Initialize':
        return actions;
      case 'Master':
        this.leaveMaster('Initialize', 'shutdown', { sendStopAdvert: true }, nowMs, actions);
        return actions;
      case 'Backup':
      case 'Fault':
        this.transition('Initialize', 'shutdown', nowMs, actions);
        return actions;
      default:
        return assertNever(this.currentState);
    }
  }

  // =============================================================================================
  // Receiving an advertisement (RFC 9568 7.1 checks, then 6.4.2 / 6.4.3 by state)

  private onAdvert(advert: ReceivedAdvert, nowMs: number): RouterAction[] {
    // Not running: the advert is not ours to judge, and is not counted.
    if (this.currentState === 'Initialize') return [];

    // keepalived skip_check_adv_addr: a Backup compares the list only when the sender changed.
    const checkList = !(
      this.config.skipCheckAdvertAddresses === true &&
      this.currentState === 'Backup' &&
      advert.sourceAddress === this.lastHeardSource
    );
    const dropReason = checkAdvert(advert, this.checks, checkList);
    if (dropReason !== undefined) {
      this.drops.set(dropReason, (this.drops.get(dropReason) ?? 0) + 1);
      return [{ kind: 'dropped', reason: dropReason }];
    }
    const actions: RouterAction[] = [];
    this.learnOldUnicastChecksum(advert, actions);
    // Fault (keepalived): valid adverts are ignored. Invalid ones were still counted above, so the
    // drop counters keep telling the operator about a misconfigured peer while we are down.
    if (this.currentState === 'Fault') return actions;

    this.noticeOddities(advert, checkList, actions);
    if (this.currentState === 'Backup') this.backupReceives(advert, nowMs, actions);
    else this.masterReceives(advert, nowMs, actions);
    return actions;
  }

  /** Things that do not drop the advert but that an operator wants to hear about, once. */
  private noticeOddities(advert: ReceivedAdvert, checkList: boolean, actions: RouterAction[]): void {
    // RFC 9568 7.1: a v3 interval different from ours is not a reason to drop; a Backup adopts it.
    if (this.config.version === 3 && advert.advertIntervalCs !== this.config.advertIntervalCs) {
      if (this.reportedIntervalCs !== advert.advertIntervalCs) {
        this.reportedIntervalCs = advert.advertIntervalCs;
        actions.push(
          notice(
            'interval-mismatch-v3',
            `advert from ${advert.sourceAddress} has interval ${advert.advertIntervalCs} cs, ours is ${this.config.advertIntervalCs} cs`,
          ),
        );
      }
    } else {
      this.reportedIntervalCs = undefined;
    }
    // RFC 3768 7.1 / RFC 9568 7.1: a different address list MAY be logged (keepalived logs it; it
    // drops only in strict mode, which validate.ts handles).
    if (!checkList) return;
    if (!addressListMatches(advert, this.checks)) {
      if (this.reportedAddressMismatchFrom !== advert.sourceAddress) {
        this.reportedAddressMismatchFrom = advert.sourceAddress;
        actions.push(
          notice(
            'address-list-mismatch',
            `advert from ${advert.sourceAddress} lists [${advert.addresses.join(', ')}], ours is [${this.config.virtualAddresses.join(', ')}]`,
          ),
        );
      }
    } else if (this.reportedAddressMismatchFrom === advert.sourceAddress) {
      this.reportedAddressMismatchFrom = undefined;
    }
  }

  // =============================================================================================
  // RFC 9568 6.4.2 Backup

  /**
   * Backup (RFC 9568 6.4.2, RFC 3768 6.4.2):
   * - priority 0: the master is leaving; set Master_Down_Timer to Skew_Time.
   * - preempt off, or priority >= ours: accept; (v3) adopt the master's interval; reset the timer.
   * - otherwise (preempt on, lower priority): discard, so the timer runs out and we take over.
   * With a preempt_delay (keepalived) a lower-priority advert is accepted too (`preemptDelayHeard`).
   */
  private backupReceives(advert: ReceivedAdvert, nowMs: number, actions: RouterAction[]): void {
    if (advert.priority === STOP_PRIORITY) {
      this.timers.set(Timer.masterDown, this.downTimerAt(nowMs, this.skewTimeMs()));
      return;
    }
    this.lastHeardSource = advert.sourceAddress;
    const lowerThanOurs = advert.priority < this.currentEffectivePriority;
    if (this.preempt && lowerThanOurs && this.preemptDelayMs === 0) return; // discard

    if (this.config.version === 3) this.masterAdvertIntervalCs = advert.advertIntervalCs;
    this.timers.set(Timer.masterDown, this.downTimerAt(nowMs, this.masterDownMs()));
    this.masterAddress = advert.sourceAddress;
    this.masterPriority = advert.priority;
    this.syncStandsBy(advert, actions);
    this.preemptDelayHeard(lowerThanOurs, nowMs);
  }

  /** Master_Down_Timer fired (RFC 9568 6.4.2), or a preempt_delay wait ended (keepalived). */
  private backupTimers(nowMs: number, actions: RouterAction[]): void {
    const downDue = this.timers.due(Timer.masterDown, nowMs);
    const preemptDue = this.timers.due(Timer.preemptDelay, nowMs);
    if (downDue && (!preemptDue || this.timers.get(Timer.masterDown)! <= this.timers.get(Timer.preemptDelay)!)) {
      this.takeOver('master-down-timer', nowMs, actions);
    } else if (preemptDue) {
      this.preemptDelayExpired(nowMs, actions);
    }
  }

  // =============================================================================================
  // RFC 9568 6.4.3 Master

  /**
   * Master (RFC 9568 6.4.3, RFC 3768 6.4.3):
   * - priority 0: a Backup is shutting down or confused; advertise at once, reset Adver_Timer.
   * - higher priority, or equal priority and a greater primary address (unsigned, network byte
   *   order): become Backup, taking the new master's interval (v3). No priority-0 advert.
   * - lower priority (or equal and a smaller address): stay Master and advertise at once so the
   *   other router hears us (RFC 9568; keepalived does the same unless lower_prio_no_advert), and
   *   re-announce (keepalived, `answerLowerPriorityMaster`).
   * Owner conflict (two routers claim priority 255): RFC 9568's rule as for any equal priority, the
   * greater primary address stays Master, the other becomes a Backup that keeps its 255; either one
   * reports it (notice owner-conflict). keepalived instead lowers the owner that hears the other
   * to 254 for good, so the router that was Master longest is the one that yields (DIFF-17).
   */
  private masterReceives(advert: ReceivedAdvert, nowMs: number, actions: RouterAction[]): void {
    if (advert.priority === STOP_PRIORITY) {
      actions.push(this.advertAction(this.currentEffectivePriority));
      this.timers.set(Timer.adver, nowMs + advertIntervalMs(this.config.advertIntervalCs));
      return;
    }
    const ours = this.currentEffectivePriority;
    const tieLost = advert.priority === ours && this.compareWithPrimary(advert.sourceAddress) > 0;
    this.noticeOwnerConflict(advert, tieLost, actions);
    if (advert.priority > ours || tieLost) {
      // keepalived higher_prio_send_advert: see VirtualRouterConfig.higherPrioritySendAdvert.
      if (this.config.higherPrioritySendAdvert) actions.push(this.advertAction(ours));
      if (this.config.version === 3) this.masterAdvertIntervalCs = advert.advertIntervalCs;
      const reason = tieLost ? 'tie-break-lost' : 'higher-priority-advert';
      this.leaveMaster('Backup', reason, { sendStopAdvert: false }, nowMs, actions);
      this.masterAddress = advert.sourceAddress;
      this.masterPriority = advert.priority;
      return;
    }
    // keepalived extension lower_prio_no_advert (issue 13): no advert at once.
    if (this.config.lowerPriorityNoAdvert !== true) actions.push(this.advertAction(ours));
    this.answerLowerPriorityMaster(advert, nowMs, actions);
  }

  /** Adver_Timer fired: advertise and re-arm (RFC 9568 6.4.3); then any due GARP/NA burst. */
  private masterTimers(nowMs: number, actions: RouterAction[]): void {
    if (this.timers.due(Timer.adver, nowMs)) {
      actions.push(this.advertAction(this.currentEffectivePriority));
      this.timers.set(Timer.adver, nowMs + advertIntervalMs(this.config.advertIntervalCs));
      this.extraInterfaceAnnounce(nowMs, actions);
    }
    this.announceTimers(nowMs, actions);
  }

  private onTimeout(nowMs: number): RouterAction[] {
    const actions: RouterAction[] = [];
    switch (this.currentState) {
      case 'Initialize':
      case 'Fault':
        return actions;
      case 'Master':
        this.masterTimers(nowMs, actions);
        return actions;
      case 'Backup':
        this.backupTimers(nowMs, actions);
        return actions;
      default:
        return assertNever(this.currentState);
    }
  }

  // =============================================================================================
  // Entering and leaving states

  /** Becoming Master (RFC 9568 6.4.1 / 6.4.2): see ENTRY.Master. */
  private becomeMaster(reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    this.transition('Master', reason, nowMs, actions);
  }

  /** Backup with a full Master_Down_Interval (RFC 9568 6.4.1): see ENTRY.Backup. */
  private enterBackup(reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    this.transition('Backup', reason, nowMs, actions);
  }

  private enterFault(reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    this.transition('Fault', reason, nowMs, actions);
  }

  /** Leaving Master: (Fault, shutdown) a priority-0 advert, then the VIPs go, then the stateChange. */
  private leaveMaster(
    to: 'Backup' | 'Fault' | 'Initialize',
    reason: TransitionReason,
    options: { readonly sendStopAdvert: boolean },
    nowMs: number,
    actions: RouterAction[],
  ): void {
    if (options.sendStopAdvert) actions.push(this.advertAction(STOP_PRIORITY));
    actions.push({ kind: 'removeVips', addresses: this.ownedAddresses });
    this.transition(to, reason, nowMs, actions);
  }

  /**
   * Every state change: the old state's timers are cancelled, the new state's entry actions run
   * (ENTRY), and the stateChange comes last (for a Master once its VIPs are in place, as keepalived
   * runs notify_master).
   */
  private transition(to: RouterState, reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    const from = this.currentState;
    this.timers.clearAll();
    this.lowerPriority.reset();
    this.currentState = to;
    this.masterAddress = undefined;
    this.masterPriority = undefined;
    VirtualRouter.ENTRY[to](this, nowMs, actions);
    this.lastTransition = { atMs: nowMs, reason };
    this.syncWantsMaster = false;
    actions.push({ kind: 'stateChange', from, to, reason, priority: this.currentEffectivePriority });
  }

  /**
   * Master's entry actions (RFC 9568 6.4.1 / 6.4.2): advertise first, so the old master (if any) steps
   * down before our gratuitous ARPs move the traffic, then add the VIPs and announce them (keepalived:
   * `garp_master_repeat` now, again after `garp_master_delay`, then every `garp_master_refresh`).
   */
  private masterEntry(nowMs: number, actions: RouterAction[]): void {
    this.masterAdvertIntervalCs = this.config.advertIntervalCs;
    // As Master the current master is us: status shows our own address, as keepalived does.
    this.masterAddress = this.config.primaryAddress;
    const announce = this.config.announce;
    actions.push(this.advertAction(this.currentEffectivePriority));
    actions.push({ kind: 'addVips', addresses: this.ownedAddresses, acceptMode: acceptModeInEffect(this.config) });
    if (announce.repeat > 0) actions.push(this.announceAction(announce.repeat));
    this.timers.set(Timer.adver, nowMs + advertIntervalMs(this.config.advertIntervalCs));
    if (announce.repeat > 0 && announce.secondBurstDelayMs > 0) {
      this.timers.set(Timer.secondBurst, nowMs + announce.secondBurstDelayMs);
      this.secondBurstCount = announce.repeat;
    }
    if (announce.refreshRepeat > 0 && announce.refreshIntervalMs > 0)
      this.timers.set(Timer.announceRefresh, nowMs + announce.refreshIntervalMs);
    this.extraInterfacesAtMs = nowMs + (announce.extraInterfaceIntervalMs || Number.NaN);
  }

  /**
   * keepalived extension (garp_extra_if): checked at each periodic advert, as keepalived checks it
   * in vrrp_state_master_tx, so it follows the interval rounded up to the next advert.
   */
  private extraInterfaceAnnounce(nowMs: number, actions: RouterAction[]): void {
    const intervalMs = this.config.announce.extraInterfaceIntervalMs ?? 0;
    if (intervalMs <= 0 || !(nowMs > this.extraInterfacesAtMs)) return;
    this.extraInterfacesAtMs = nowMs + intervalMs;
    const addresses = extraInterfaceAddresses(this.config, this.ownedAddresses);
    if (addresses.length > 0) actions.push({ kind: 'announceVips', addresses, count: 1 });
  }

  /** Backup's entry action (RFC 9568 6.4.1): the Master_Down_Timer at a full Master_Down_Interval. */
  private backupEntry(nowMs: number): void {
    this.timers.set(Timer.masterDown, this.downTimerAt(nowMs, this.masterDownMs()));
  }

  /**
   * keepalived extension: when a Backup's down timer of `ms` set now runs out. Inside vrrp_startup_delay
   * it counts from the end of the delay, as keepalived's vrrp_init_instance_sands does (issue 13).
   */
  private downTimerAt(nowMs: number, ms: number): number {
    if (this.startupDelayUntilMs === undefined || nowMs >= this.startupDelayUntilMs) return nowMs + ms;
    return this.startupDelayUntilMs + ms;
  }

  /** The state entry actions, in one table; `transition` runs them. */
  private static readonly ENTRY: { readonly [S in RouterState]: EntryAction } = {
    Initialize: () => undefined,
    Backup: (router, nowMs) => router.backupEntry(nowMs),
    Master: (router, nowMs, actions) => router.masterEntry(nowMs, actions),
    Fault: () => undefined,
  };

  // =============================================================================================
  // keepalived extensions: everything below is beyond RFC 9568 6.4

  /**
   * keepalived extension (preempt_delay): a lower-priority advert is accepted as if we did not
   * preempt, and the first one starts the wait; an advert of equal or higher priority cancels it. The
   * wait starts afresh in every Backup period (startup, after Fault, after losing Master), as in
   * keepalived 2.2.7, where preempt_time is cleared on entering BACKUP.
   */
  private preemptDelayHeard(lowerThanOurs: boolean, nowMs: number): void {
    if (!this.preempt || this.preemptDelayMs === 0) return;
    if (!lowerThanOurs) this.timers.clear(Timer.preemptDelay);
    else if (!this.timers.isSet(Timer.preemptDelay)) this.timers.set(Timer.preemptDelay, nowMs + this.preemptDelayMs);
  }

  /**
   * keepalived extension (preempt_delay): the wait ended. Our priority may have fallen during the
   * wait: preempt only if we still outrank the master. One difference from keepalived: we take over at
   * once ('preempt-delay-expired'); keepalived instead starts discarding the lower adverts and takes
   * over when its down timer runs out, up to one Master_Down_Interval later.
   */
  private preemptDelayExpired(nowMs: number, actions: RouterAction[]): void {
    if (this.masterPriority !== undefined && this.masterPriority >= this.currentEffectivePriority) {
      this.timers.clear(Timer.preemptDelay);
    } else {
      this.takeOver('preempt-delay-expired', nowMs, actions);
    }
  }

  /**
   * A Backup's timer says take over (RFC 9568 6.4.2). keepalived extension (vrrp_sync_group): a sync
   * group member only says it is ready and waits (keepalived vrrp_sync_can_goto_master: "prefer
   * backup state to avoid thrashing"), asking again after another Master_Down_Interval; the group's
   * 'master' input makes it take over.
   */
  private takeOver(reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    if (!this.syncMember) {
      this.becomeMaster(reason, nowMs, actions);
      return;
    }
    this.timers.clear(Timer.preemptDelay);
    this.timers.set(Timer.masterDown, nowMs + this.masterDownMs());
    if (this.syncWantsMaster) return;
    this.syncWantsMaster = true;
    actions.push(notice('sync-wants-master', `ready to take over (${reason}); waiting for the rest of its sync group`));
  }

  /** keepalived extension (vrrp_sync_group): a member waiting for its group heard a master. */
  private syncStandsBy(advert: ReceivedAdvert, actions: RouterAction[]): void {
    if (!this.syncWantsMaster) return;
    this.syncWantsMaster = false;
    actions.push(notice('sync-stands-by', `heard the master ${advert.sourceAddress}`));
  }

  /** keepalived extension (vrrp_sync_group): what the group's coordinator decided for this member. */
  private onSyncGroup(command: SyncGroupCommand, nowMs: number): RouterAction[] {
    const actions: RouterAction[] = [];
    switch (command) {
      case 'join':
        this.syncMember = true;
        this.syncOwnFault = this.ownFaultReason() !== undefined;
        if (this.syncOwnFault) actions.push(notice('sync-own-fault', 'its link or a weight-0 tracked object is down'));
        return actions;
      case 'leave':
        // A member waiting for its group takes over at its next down-timer expiry, as any router.
        this.syncMember = false;
        this.syncWantsMaster = false;
        this.syncGroupFault = false;
        return this.reevaluate(nowMs, 'sync-group');
      case 'master':
        if (this.currentState === 'Backup') this.becomeMaster('sync-group', nowMs, actions);
        return actions;
      case 'backup':
        if (this.currentState === 'Master') {
          // As for a higher-priority advert (higherPrioritySendAdvert): one advert of ours first, so a
          // Master on this LAN that we were contesting (a healed partition) hears there were two and
          // re-announces the VIPs; otherwise hosts keep our MAC for them (found by the simulator's
          // heal check with sync groups). keepalived 2.2.7 leaves without an advert here.
          if (this.config.higherPrioritySendAdvert) actions.push(this.advertAction(this.currentEffectivePriority));
          this.leaveMaster('Backup', 'sync-group', { sendStopAdvert: false }, nowMs, actions);
        }
        return actions;
      case 'fault':
      case 'fault-cleared':
        this.syncGroupFault = command === 'fault';
        return this.reevaluate(nowMs, 'sync-group');
      default:
        return assertNever(command);
    }
  }

  /**
   * keepalived extension: a VIP vanished from under a Master (`ip addr del`, a network manager).
   * keepalived 2.2.7 steps down: priority-0 advert, the remaining VIPs removed, Backup with the down
   * timer at Skew_Time, so that unless a Backup takes over first it becomes Master again a moment
   * later with every VIP re-added and announced. Peers see an ordinary hand-over, never a Master
   * without its address.
   */
  private onVipsLost(nowMs: number): RouterAction[] {
    const actions: RouterAction[] = [];
    if (this.currentState !== 'Master') return actions;
    this.leaveMaster('Backup', 'vips-removed', { sendStopAdvert: true }, nowMs, actions);
    this.timers.set(Timer.masterDown, nowMs + this.skewTimeMs());
    return actions;
  }

  /**
   * keepalived extension (garp_lower_prio_*): another router thinks it is Master too and advertises
   * lower; RFC 9568's advert has gone out. Announce the VIPs again: hosts may have learnt its MAC for
   * our VIPs while there were two Masters, and would keep sending to it after it steps down (a known
   * field failure). In full at most once per hold-off for a source's regular stream, one announcement
   * for each of its adverts in between (LowerPriorityReannounce), and a pending second burst is never
   * pushed back.
   */
  private answerLowerPriorityMaster(advert: ReceivedAdvert, nowMs: number, actions: RouterAction[]): void {
    const announce = this.config.announce;
    const theirIntervalMs = advertIntervalMs(advert.advertIntervalCs);
    const ourIntervalMs = advertIntervalMs(this.config.advertIntervalCs);
    const holdOffMs = announce.lowerPrioritySecondBurstDelayMs;
    const answer = this.lowerPriority.hear(advert.sourceAddress, theirIntervalMs, ourIntervalMs, holdOffMs, nowMs);
    if (answer === 'single') {
      // A source still advertising after our answer does not hear us: this advert may be its last.
      if (announce.lowerPriorityRepeat > 0) actions.push(this.announceAction(1));
      return;
    }
    if (announce.lowerPriorityRepeat > 0) {
      actions.push(this.announceAction(announce.lowerPriorityRepeat));
      if (announce.lowerPrioritySecondBurstDelayMs > 0 && !this.timers.isSet(Timer.secondBurst)) {
        this.timers.set(Timer.secondBurst, nowMs + announce.lowerPrioritySecondBurstDelayMs);
        this.secondBurstCount = announce.lowerPriorityRepeat;
      }
    }
    const what = lowerPriorityAnswer(this.config.lowerPriorityNoAdvert === true, announce.lowerPriorityRepeat > 0);
    const ours = this.currentEffectivePriority;
    actions.push(
      notice(
        'lower-priority-master',
        `advert from ${advert.sourceAddress} with priority ${advert.priority}, ours ${ours}: ${what}`,
      ),
    );
  }

  /** keepalived extension: a Master's second GARP/NA burst and its periodic refresh, when due. */
  private announceTimers(nowMs: number, actions: RouterAction[]): void {
    const announce = this.config.announce;
    if (this.timers.due(Timer.secondBurst, nowMs)) {
      this.timers.clear(Timer.secondBurst);
      actions.push(this.announceAction(this.secondBurstCount));
    }
    if (this.timers.due(Timer.announceRefresh, nowMs)) {
      this.timers.set(Timer.announceRefresh, nowMs + announce.refreshIntervalMs);
      actions.push(this.announceAction(announce.refreshRepeat));
    }
  }

  /** keepalived extension: two routers claim priority 255 (see `masterReceives`). */
  private noticeOwnerConflict(advert: ReceivedAdvert, tieLost: boolean, actions: RouterAction[]): void {
    if (advert.priority !== OWNER_PRIORITY || this.currentEffectivePriority !== OWNER_PRIORITY) return;
    const outcome = tieLost
      ? 'its primary address is greater: we step down'
      : 'our primary address is greater: we stay Master';
    actions.push(notice('owner-conflict', `${advert.sourceAddress} also claims priority 255; ${outcome}`));
  }

  // ---------------------------------------------------------------------------------------------
  // keepalived extension: reconfiguration at run time (keepalived's reload of an instance it keeps)

  /**
   * Applies a new configuration for the same router (same name, interface, VRID, family and version;
   * anything else is a different router and throws) without leaving the current state, as keepalived
   * 2.2.7 does on reload for an instance it keeps (restore_vrrp_state, clear_diff_vrrp):
   * - priority: re-evaluated as `setPriority` does;
   * - advert interval: ours from the next advert (Master) or down timer (Backup); a v3 Backup keeps
   *   the interval it learned from its Master;
   * - preempt, preempt_delay: from the next advert; a preempt_delay wait they no longer allow ends;
   * - VIPs and excluded addresses: a Master removes those that left (or moved to another interface)
   *   and adds and announces (one burst of `announce.repeat`) those that came; any other state just
   *   remembers them for its next takeover;
   * - announce refresh: restarted from now if its settings changed; auth, unicast peers, checks and
   *   the primary address apply to the next packet.
   * Returns the actions to carry out, as `handle` does.
   */
  reconfigure(next: VirtualRouterConfig, nowMs: number): RouterAction[] {
    const old = this.currentConfig;
    for (const field of ['name', 'interface', 'vrid', 'family', 'version'] as const) {
      if (next[field] !== old[field]) {
        throw new Error(
          `${old.name}: cannot reconfigure ${field} in place (${String(old[field])} -> ${String(next[field])}); remove the router and add it`,
        );
      }
    }
    const actions: RouterAction[] = [];
    this.currentConfig = next;
    this.checks = receiveChecksFor(next);
    this.primaryAddressBytes = parseAddress(next.primaryAddress, next.family)?.bytes;
    this.ownedAddresses = ownedAddressesOf(next);
    const rules = preemptRules(next);
    this.preempt = rules.preempt;
    this.preemptDelayMs = rules.preemptDelayMs;
    if (rules.ignored !== undefined && rules.ignored !== this.ignoredPreemptSettings)
      actions.push(notice('preempt-settings-ignored', rules.ignored));
    this.ignoredPreemptSettings = rules.ignored;
    if (this.preemptDelayMs === 0) this.timers.clear(Timer.preemptDelay);
    this.reportedIntervalCs = undefined;
    this.reportedAddressMismatchFrom = undefined;

    const learnsInterval = this.currentState === 'Backup' && next.version === 3 && this.masterAddress !== undefined;
    if (!learnsInterval) this.masterAdvertIntervalCs = next.advertIntervalCs;
    if (this.currentState === 'Master') {
      this.masterAddress = next.primaryAddress;
      this.applyVipChanges(old, next, nowMs, actions);
    }
    if (next.priority !== old.priority) this.basePriority = next.priority;
    actions.push(...this.reevaluate(nowMs, undefined));
    return actions;
  }

  /**
   * A Master's side of a reconfiguration: the difference in its addresses (VIPs and excluded ones; an
   * address that moved to another interface is removed from the old one and added on the new one)
   * and the announcement settings.
   */
  private applyVipChanges(
    old: VirtualRouterConfig,
    next: VirtualRouterConfig,
    nowMs: number,
    actions: RouterAction[],
  ): void {
    const oldOwned = ownedAddressesOf(old);
    const kept = new Set(this.ownedAddresses.map((address) => placement(next, address)));
    const had = new Set(oldOwned.map((address) => placement(old, address)));
    const gone = oldOwned.filter((address) => !kept.has(placement(old, address)));
    const added = this.ownedAddresses.filter((address) => !had.has(placement(next, address)));
    if (gone.length > 0) actions.push({ kind: 'removeVips', addresses: gone });
    const acceptMode = acceptModeInEffect(next);
    if (acceptMode !== acceptModeInEffect(old)) {
      // The VIPs that stay were added under the old Accept_Mode: they follow the new one (keepalived too).
      const stayed = this.ownedAddresses.filter((address) => had.has(placement(next, address)));
      if (stayed.length > 0) actions.push({ kind: 'setAcceptMode', addresses: stayed, acceptMode });
    }
    if (added.length > 0) {
      actions.push({ kind: 'addVips', addresses: added, acceptMode });
      if (next.announce.repeat > 0)
        actions.push({ kind: 'announceVips', addresses: added, count: next.announce.repeat });
    }
    const refresh = next.announce;
    if (
      refresh.refreshIntervalMs !== old.announce.refreshIntervalMs ||
      refresh.refreshRepeat !== old.announce.refreshRepeat
    ) {
      if (refresh.refreshRepeat > 0 && refresh.refreshIntervalMs > 0)
        this.timers.set(Timer.announceRefresh, nowMs + refresh.refreshIntervalMs);
      else this.timers.clear(Timer.announceRefresh);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // keepalived extension: link, tracked objects and priority (FAULT and track weights)

  /**
   * Recomputes the effective priority and the fault condition after a link, track or priority
   * input. `cause` names the transition out of or into Fault this input can make.
   */
  private reevaluate(nowMs: number, cause: TransitionReason | undefined): RouterAction[] {
    const actions: RouterAction[] = [];
    this.updateEffectivePriority(actions);
    this.reportOwnFault(actions);
    // Before startup, inputs are only recorded; startup reads them.
    if (this.currentState === 'Initialize') return actions;

    const fault = this.faultReason();
    if (fault !== undefined && this.currentState !== 'Fault') {
      if (this.currentState === 'Master') this.leaveMaster('Fault', fault, { sendStopAdvert: true }, nowMs, actions);
      else this.enterFault(fault, nowMs, actions);
    } else if (fault === undefined && this.currentState === 'Fault') {
      // Leaving Fault: as at startup, the owner goes Master; anyone else waits a full
      // Master_Down_Interval on our own interval (keepalived vrrp_state_leave_fault), and any
      // preempt_delay wait starts afresh, so it holds after a fault too.
      const reason: TransitionReason =
        cause === 'link-up' || cause === 'track-recovered' || cause === 'sync-group' ? cause : 'track-recovered';
      this.masterAdvertIntervalCs = this.config.advertIntervalCs;
      if (this.currentEffectivePriority === OWNER_PRIORITY) this.becomeMaster(reason, nowMs, actions);
      else this.enterBackup(reason, nowMs, actions);
    }
    // Master: the next advert carries a changed priority. Backup: the next advert is judged with it.
    return actions;
  }

  private updateEffectivePriority(actions: RouterAction[]): void {
    const next = weightedPriority(this.basePriority, this.tracked.values());
    if (next === this.currentEffectivePriority) return;
    actions.push({ kind: 'priorityChange', from: this.currentEffectivePriority, to: next });
    // A Backup's running down timer moves by the change in Skew_Time, so it stays "last advert +
    // Master_Down_Interval at our current priority" (keepalived vrrp_set_effective_priority).
    if (this.currentState === 'Backup') {
      const { version } = this.config;
      this.timers.shift(
        Timer.masterDown,
        skewMs(version, next, this.masterAdvertIntervalCs) -
          skewMs(version, this.currentEffectivePriority, this.masterAdvertIntervalCs),
      );
    }
    this.currentEffectivePriority = next;
  }

  private faultReason(): OwnFaultReason | 'sync-group' | undefined {
    return this.ownFaultReason() ?? (this.syncGroupFault ? 'sync-group' : undefined);
  }

  /** A sync group member tells its group when its own fault condition starts or ends. */
  private reportOwnFault(actions: RouterAction[]): void {
    if (!this.syncMember) return;
    const ownFault = this.ownFaultReason() !== undefined;
    if (ownFault === this.syncOwnFault) return;
    this.syncOwnFault = ownFault;
    actions.push(
      ownFault
        ? notice('sync-own-fault', 'its link or a weight-0 tracked object is down')
        : notice('sync-own-fault-cleared', 'its own fault condition is gone'),
    );
  }

  private ownFaultReason(): OwnFaultReason | undefined {
    // issue 16: unicast meant, no peer to speak to; multicast would find a Master nobody configured.
    if (this.config.unicastFaultNoPeer === true && this.config.unicastPeers.length === 0) return 'no-unicast-peer';
    // keepalived dont_track_primary: the instance's own link is not tracked.
    if (!this.linkUp && this.config.dontTrackPrimary !== true) return 'link-down';
    for (const track of this.tracked.values()) {
      if (track.weight === 0 && !track.up) return 'track-failed';
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private skewTimeMs(): number {
    return skewMs(this.config.version, this.currentEffectivePriority, this.masterAdvertIntervalCs);
  }

  private masterDownMs(): number {
    return masterDownIntervalMs(
      this.config.version,
      this.currentEffectivePriority,
      this.masterAdvertIntervalCs,
      this.config.downTimerAdverts, // keepalived extension down_timer_adverts (issue 13)
    );
  }

  private advertAction(priority: number): Extract<RouterAction, { kind: 'sendAdvert' }> {
    const action = {
      kind: 'sendAdvert',
      vrid: this.config.vrid,
      priority,
      advertIntervalCs: this.config.advertIntervalCs,
      addresses: this.config.virtualAddresses,
    } as const;
    return this.sendsOldUnicastChecksum() ? { ...action, oldUnicastChecksum: true } : action;
  }

  /**
   * keepalived extension old_unicast_checksum (issue 13): VRRPv3 over IPv4 to unicast peers, with the
   * pseudo-header, in keepalived 1.3.6's form ('always', or 'auto' once a peer was heard using it).
   */
  private sendsOldUnicastChecksum(): boolean {
    if (!takesOldUnicastChecksum(this.config)) return false;
    return this.config.oldUnicastChecksum === 'always' || this.heardOldUnicastChecksum;
  }

  /** old_unicast_checksum 'auto': a valid advert in the old form switches our own, for good (as keepalived). */
  private learnOldUnicastChecksum(advert: ReceivedAdvert, actions: RouterAction[]): void {
    if (advert.checksumForm !== 'v3-old-unicast' || this.heardOldUnicastChecksum) return;
    if ((this.config.oldUnicastChecksum ?? 'auto') !== 'auto' || this.config.unicastPeers.length === 0) return;
    this.heardOldUnicastChecksum = true;
    actions.push(
      notice(
        'old-unicast-checksum',
        `${advert.sourceAddress} uses the old unicast checksum (224.0.0.18 in the pseudo-header): our adverts use it from now on`,
      ),
    );
  }

  private announceAction(count: number): RouterAction {
    return { kind: 'announceVips', addresses: this.ownedAddresses, count };
  }

  /** Sign of (source - our primary address), compared as unsigned bytes in network order. */
  private compareWithPrimary(sourceAddress: string): number {
    const source = parseAddress(sourceAddress, this.config.family)?.bytes;
    const primary = this.primaryAddressBytes;
    if (source === undefined || primary === undefined) return -1;
    for (let index = 0; index < primary.length; index++) {
      if (source[index] !== primary[index]) return source[index]! > primary[index]! ? 1 : -1;
    }
    return 0;
  }
}

/**
 * Whether the VIPs take traffic addressed to them. The address owner always does, whatever
 * Accept_Mode says: the addresses are its own (RFC 9568 6.4.3 "MUST accept packets addressed to the
 * IPvX address(es) associated with the virtual router if it is the IPvX address owner or if
 * Accept_Mode is True"; keepalived does not filter an owner's VIPs under vrrp_strict either).
 */
export function acceptModeInEffect(config: VirtualRouterConfig): boolean {
  return config.acceptMode || config.priority === OWNER_PRIORITY;
}

function notice(kind: NoticeKind, detail: string): RouterAction {
  return { kind: 'notice', notice: kind, detail };
}

/** What a Master did on hearing a lower priority, for its notice (lower_prio_no_advert: no advert). */
function lowerPriorityAnswer(noAdvert: boolean, announced: boolean): string {
  if (noAdvert)
    return announced ? 'announced at once (lower_prio_no_advert: no advert)' : 'nothing sent (lower_prio_no_advert)';
  return announced ? 'advertised and announced at once' : 'advertised at once';
}
