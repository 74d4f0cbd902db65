// The VRRP state machine of one virtual router: every transition lives in this file, so it can be read
// next to RFC 5798 / RFC 9568 section 6.4 (and RFC 3768 6.4 for v2) in one sitting.
//
// Sans-IO: `handle(input, nowMs)` returns the actions to carry out, in order; deadlines are absolute
// times kept in state and reported by `nextDeadlineMs()`. A 'timeout' input before a deadline, or a
// second one for the same deadline, changes nothing.
//
// keepalived 2.2.7 extensions, each documented where it is handled: FAULT, tracked objects with
// weights, preempt_delay, `state MASTER`, owner conflict, announce bursts and refresh.

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
import { advertIntervalMs, masterDownIntervalMs, skewMs } from './timers.js';
import { addressListMatches, checkAdvert, receiveChecksFor, type ReceiveChecks } from './validate.js';
import { parseAddress } from '../wire/address.js';

const OWNER_PRIORITY = 255;
/** Priority 0 in an advert: the master is leaving (RFC 9568 5.2.4). */
const STOP_PRIORITY = 0;
const LOWEST_PRIORITY = 1;
const HIGHEST_NON_OWNER_PRIORITY = 254;
/** Shortest hold-off between two re-announcements caused by lower-priority adverts. */
const LOWER_PRIORITY_MIN_HOLDOFF_MS = 1000;

interface TrackedObject {
  readonly up: boolean;
  readonly weight: number;
}

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
  /** Priority of the master we last accepted an advert from (Backup), to re-check a preempt wait. */
  private masterPriority: number | undefined;
  private lastTransition: { readonly atMs: number; readonly reason: TransitionReason } | undefined;

  // Deadlines (absolute ms). Only those of the current state are ever set.
  private advertAtMs: number | undefined; // Master: Adver_Timer
  private secondBurstAtMs: number | undefined; // Master: second GARP/NA burst
  private secondBurstCount = 0; // messages per address in that burst
  private lowerPriorityQuietUntilMs: number | undefined; // Master: no re-announcement before this
  // Master: when each source was last heard advertising lower; a source is forgotten after a silence
  // of three intervals, so the map only holds the routers currently advertising lower.
  private readonly lowerPriorityHeard = new Map<string, number>();
  private refreshAtMs: number | undefined; // Master: periodic GARP/NA refresh
  private masterDownAtMs: number | undefined; // Backup: Master_Down_Timer
  private preemptAtMs: number | undefined; // Backup: end of a preempt_delay wait

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
    this.currentEffectivePriority = this.computeEffectivePriority();
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
    if (this.currentState !== 'Backup' || this.syncMember || this.masterDownAtMs === undefined) return undefined;
    if (this.nextDeadlineMs() !== this.masterDownAtMs) return undefined;
    return this.advertAction(this.currentEffectivePriority);
  }

  /** Earliest pending deadline (absolute ms), or undefined. Handling 'timeout' before it changes nothing. */
  nextDeadlineMs(): number | undefined {
    // Called after every input by the driver, so no array is built here.
    let earliest = earlier(undefined, this.advertAtMs);
    earliest = earlier(earliest, this.secondBurstAtMs);
    earliest = earlier(earliest, this.refreshAtMs);
    earliest = earlier(earliest, this.masterDownAtMs);
    return earlier(earliest, this.preemptAtMs);
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

  // ---------------------------------------------------------------------------------------------
  // Reconfiguration at run time (keepalived's reload of an instance it keeps)

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
    if (this.preemptDelayMs === 0) this.preemptAtMs = undefined;
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
    if (added.length > 0) {
      actions.push({ kind: 'addVips', addresses: added, acceptMode: acceptModeInEffect(next) });
      if (next.announce.repeat > 0)
        actions.push({ kind: 'announceVips', addresses: added, count: next.announce.repeat });
    }
    const refresh = next.announce;
    if (
      refresh.refreshIntervalMs !== old.announce.refreshIntervalMs ||
      refresh.refreshRepeat !== old.announce.refreshRepeat
    ) {
      this.refreshAtMs =
        refresh.refreshRepeat > 0 && refresh.refreshIntervalMs > 0 ? nowMs + refresh.refreshIntervalMs : undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Initialize (RFC 9568 6.4.1)

  /**
   * Startup. Priority 255 (address owner): Master at once. Otherwise Backup with Master_Down_Timer
   * running, or Fault if the link or a weight-0 tracked object is already down.
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
    if (fault !== undefined) {
      this.enterFault(fault, nowMs, actions);
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
        this.moveTo('Initialize', 'shutdown', nowMs, actions);
        return actions;
      default:
        return assertNever(this.currentState);
    }
  }

  /**
   * A VIP vanished from under a Master (`ip addr del`, a network manager). keepalived 2.2.7 steps down:
   * priority-0 advert, the remaining VIPs removed, Backup with the down timer at Skew_Time, so that
   * unless a Backup takes over first it becomes Master again a moment later with every VIP re-added
   * and announced. Peers see an ordinary hand-over, never a Master without its address.
   */
  private onVipsLost(nowMs: number): RouterAction[] {
    const actions: RouterAction[] = [];
    if (this.currentState !== 'Master') return actions;
    this.leaveMaster('Backup', 'vips-removed', { sendStopAdvert: true }, nowMs, actions);
    this.masterDownAtMs =
      nowMs + skewMs(this.config.version, this.currentEffectivePriority, this.masterAdvertIntervalCs);
    return actions;
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving an advertisement

  private onAdvert(advert: ReceivedAdvert, nowMs: number): RouterAction[] {
    // Not running: the advert is not ours to judge, and is not counted.
    if (this.currentState === 'Initialize') return [];

    const dropReason = checkAdvert(advert, this.checks);
    if (dropReason !== undefined) {
      this.drops.set(dropReason, (this.drops.get(dropReason) ?? 0) + 1);
      return [{ kind: 'dropped', reason: dropReason }];
    }
    // Fault (keepalived): valid adverts are ignored. Invalid ones were still counted above, so the
    // drop counters keep telling the operator about a misconfigured peer while we are down.
    if (this.currentState === 'Fault') return [];

    const actions: RouterAction[] = [];
    this.noticeOddities(advert, actions);
    if (this.currentState === 'Backup') this.backupReceives(advert, nowMs, actions);
    else this.masterReceives(advert, nowMs, actions);
    return actions;
  }

  /** Things that do not drop the advert but that an operator wants to hear about, once. */
  private noticeOddities(advert: ReceivedAdvert, actions: RouterAction[]): void {
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

  /**
   * Backup (RFC 9568 6.4.2, RFC 3768 6.4.2):
   * - priority 0: the master is leaving; set Master_Down_Timer to Skew_Time.
   * - preempt off, or priority >= ours: accept; (v3) adopt the master's interval; reset the timer.
   * - otherwise (preempt on, lower priority): discard, so the timer runs out and we take over.
   * preempt_delay (keepalived): a lower-priority advert is accepted as if we did not preempt, and
   * the first one starts the wait; an advert of equal or higher priority cancels it. The wait starts
   * afresh in every Backup period (startup, after Fault, after losing Master), as in keepalived 2.2.7,
   * where preempt_time is cleared on entering BACKUP. One difference: when the wait ends we take
   * over at once ('preempt-delay-expired'); keepalived instead starts discarding the lower adverts and
   * takes over when its down timer runs out, up to one Master_Down_Interval later.
   */
  private backupReceives(advert: ReceivedAdvert, nowMs: number, actions: RouterAction[]): void {
    if (advert.priority === STOP_PRIORITY) {
      this.masterDownAtMs =
        nowMs + skewMs(this.config.version, this.currentEffectivePriority, this.masterAdvertIntervalCs);
      return;
    }
    const lowerThanOurs = advert.priority < this.currentEffectivePriority;
    const waitingToPreempt = this.preempt && this.preemptDelayMs > 0 && lowerThanOurs;
    if (this.preempt && lowerThanOurs && !waitingToPreempt) return; // discard

    if (this.config.version === 3) this.masterAdvertIntervalCs = advert.advertIntervalCs;
    this.masterDownAtMs = nowMs + this.masterDownMs();
    this.masterAddress = advert.sourceAddress;
    this.masterPriority = advert.priority;
    if (this.syncWantsMaster) {
      this.syncWantsMaster = false;
      actions.push(notice('sync-stands-by', `heard the master ${advert.sourceAddress}`));
    }
    if (this.preempt && this.preemptDelayMs > 0) {
      if (!lowerThanOurs) this.preemptAtMs = undefined;
      else if (this.preemptAtMs === undefined) this.preemptAtMs = nowMs + this.preemptDelayMs;
    }
  }

  /**
   * Master (RFC 9568 6.4.3, RFC 3768 6.4.3):
   * - priority 0: a Backup is shutting down or confused; advertise at once, reset Adver_Timer.
   * - higher priority, or equal priority and a greater primary address (unsigned, network byte
   *   order): become Backup, taking the new master's interval (v3). No priority-0 advert.
   * - lower priority (or equal and a smaller address): stay Master and advertise at once so the
   *   other router hears us (RFC 9568; keepalived does the same unless lower_prio_no_advert).
   * Owner conflict (two routers claim priority 255): RFC 9568's rule as for any equal priority, the
   * greater primary address stays Master, the other becomes a Backup that keeps its 255; either one
   * reports it (notice owner-conflict). keepalived instead lowers the owner that hears the other
   * to 254 for good, so the router that was Master longest is the one that yields (DIFF-17).
   */
  private masterReceives(advert: ReceivedAdvert, nowMs: number, actions: RouterAction[]): void {
    if (advert.priority === STOP_PRIORITY) {
      actions.push(this.advertAction(this.currentEffectivePriority));
      this.advertAtMs = nowMs + advertIntervalMs(this.config.advertIntervalCs);
      return;
    }
    const ours = this.currentEffectivePriority;
    const tieLost = advert.priority === ours && this.compareWithPrimary(advert.sourceAddress) > 0;
    if (advert.priority === OWNER_PRIORITY && ours === OWNER_PRIORITY) {
      const outcome = tieLost
        ? 'its primary address is greater: we step down'
        : 'our primary address is greater: we stay Master';
      actions.push(notice('owner-conflict', `${advert.sourceAddress} also claims priority 255; ${outcome}`));
    }
    if (advert.priority > ours || tieLost) {
      if (this.config.higherPrioritySendAdvert) actions.push(this.advertAction(ours));
      if (this.config.version === 3) this.masterAdvertIntervalCs = advert.advertIntervalCs;
      this.leaveMaster(
        'Backup',
        tieLost ? 'tie-break-lost' : 'higher-priority-advert',
        { sendStopAdvert: false },
        nowMs,
        actions,
      );
      this.masterDownAtMs = nowMs + this.masterDownMs();
      this.masterAddress = advert.sourceAddress;
      this.masterPriority = advert.priority;
      return;
    }
    // Another router thinks it is Master too. Advertise at once so it steps down (RFC 9568), and
    // announce the VIPs again (keepalived's garp_lower_prio_*): hosts may have learnt its MAC for our
    // VIPs while there were two Masters, and would keep sending to it after it steps down (a known
    // field failure). A router that keeps advertising lower (it cannot hear us) gets our advert every
    // time, but the announcement and the notice at most once per hold-off, and a pending second burst
    // is never pushed back. The hold-off covers a source's regular stream of lower adverts only (about
    // one interval apart). Anything else is a new claim hosts may have learnt since we announced: a
    // source never heard or silent for three intervals (a partition healed), or one advertising sooner
    // than its interval, which a router does when it steps down or re-announces itself on hearing a
    // third, lower Master (three Masters meeting): announce at once.
    actions.push(this.advertAction(ours));
    const theirIntervalMs = advertIntervalMs(advert.advertIntervalCs);
    const streamMs = 3 * Math.max(theirIntervalMs, advertIntervalMs(this.config.advertIntervalCs));
    for (const [source, atMs] of this.lowerPriorityHeard)
      if (nowMs - atMs > streamMs) this.lowerPriorityHeard.delete(source);
    const lastHeardMs = this.lowerPriorityHeard.get(advert.sourceAddress);
    this.lowerPriorityHeard.set(advert.sourceAddress, nowMs);
    const regular = lastHeardMs !== undefined && nowMs - lastHeardMs >= theirIntervalMs / 2;
    if (regular && this.lowerPriorityQuietUntilMs !== undefined && nowMs < this.lowerPriorityQuietUntilMs) return;
    const announce = this.config.announce;
    this.lowerPriorityQuietUntilMs =
      nowMs + Math.max(announce.lowerPrioritySecondBurstDelayMs, LOWER_PRIORITY_MIN_HOLDOFF_MS);
    if (announce.lowerPriorityRepeat > 0) {
      actions.push(this.announceAction(announce.lowerPriorityRepeat));
      if (announce.lowerPrioritySecondBurstDelayMs > 0 && this.secondBurstAtMs === undefined) {
        this.secondBurstAtMs = nowMs + announce.lowerPrioritySecondBurstDelayMs;
        this.secondBurstCount = announce.lowerPriorityRepeat;
      }
    }
    const what = announce.lowerPriorityRepeat > 0 ? 'advertised and announced at once' : 'advertised at once';
    actions.push(
      notice(
        'lower-priority-master',
        `advert from ${advert.sourceAddress} with priority ${advert.priority}, ours ${ours}: ${what}`,
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Timers

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

  /** Adver_Timer fired: advertise and re-arm (RFC 9568 6.4.3); then any due GARP/NA burst. */
  private masterTimers(nowMs: number, actions: RouterAction[]): void {
    if (this.advertAtMs !== undefined && this.advertAtMs <= nowMs) {
      actions.push(this.advertAction(this.currentEffectivePriority));
      this.advertAtMs = nowMs + advertIntervalMs(this.config.advertIntervalCs);
    }
    const announce = this.config.announce;
    if (this.secondBurstAtMs !== undefined && this.secondBurstAtMs <= nowMs) {
      this.secondBurstAtMs = undefined;
      actions.push(this.announceAction(this.secondBurstCount));
    }
    if (this.refreshAtMs !== undefined && this.refreshAtMs <= nowMs) {
      this.refreshAtMs = nowMs + announce.refreshIntervalMs;
      actions.push(this.announceAction(announce.refreshRepeat));
    }
  }

  /** Master_Down_Timer fired (RFC 9568 6.4.2), or a preempt_delay wait ended. */
  private backupTimers(nowMs: number, actions: RouterAction[]): void {
    const downDue = this.masterDownAtMs !== undefined && this.masterDownAtMs <= nowMs;
    const preemptDue = this.preemptAtMs !== undefined && this.preemptAtMs <= nowMs;
    if (downDue && (!preemptDue || this.masterDownAtMs! <= this.preemptAtMs!)) {
      this.takeOver('master-down-timer', nowMs, actions);
    } else if (preemptDue) {
      // Our priority may have fallen during the wait: preempt only if we still outrank the master.
      if (this.masterPriority !== undefined && this.masterPriority >= this.currentEffectivePriority) {
        this.preemptAtMs = undefined;
      } else {
        this.takeOver('preempt-delay-expired', nowMs, actions);
      }
    }
  }

  /**
   * A Backup's timer says take over. A sync group member only says it is ready and waits (keepalived
   * vrrp_sync_can_goto_master: "prefer backup state to avoid thrashing"), asking again after another
   * Master_Down_Interval; the group's 'master' input makes it take over.
   */
  private takeOver(reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    if (!this.syncMember) {
      this.becomeMaster(reason, nowMs, actions);
      return;
    }
    this.preemptAtMs = undefined;
    this.masterDownAtMs = nowMs + this.masterDownMs();
    if (this.syncWantsMaster) return;
    this.syncWantsMaster = true;
    actions.push(notice('sync-wants-master', `ready to take over (${reason}); waiting for the rest of its sync group`));
  }

  /** keepalived vrrp_sync_group: what the engine-side coordinator decided for this member. */
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
          this.masterDownAtMs = nowMs + this.masterDownMs();
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

  // ---------------------------------------------------------------------------------------------
  // Link, tracked objects and priority (keepalived FAULT and track weights)

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

  /**
   * keepalived weights: weight > 0 adds while up, weight < 0 subtracts while down, weight 0 only
   * faults. The result is clamped to 1..254; the owner's 255 never moves.
   */
  private computeEffectivePriority(): number {
    if (this.basePriority === OWNER_PRIORITY) return OWNER_PRIORITY;
    let priority = this.basePriority;
    for (const track of this.tracked.values()) {
      if (track.weight > 0 && track.up) priority += track.weight;
      else if (track.weight < 0 && !track.up) priority += track.weight;
    }
    return Math.min(HIGHEST_NON_OWNER_PRIORITY, Math.max(LOWEST_PRIORITY, priority));
  }

  private updateEffectivePriority(actions: RouterAction[]): void {
    const next = this.computeEffectivePriority();
    if (next === this.currentEffectivePriority) return;
    actions.push({ kind: 'priorityChange', from: this.currentEffectivePriority, to: next });
    // A Backup's running down timer moves by the change in Skew_Time, so it stays "last advert +
    // Master_Down_Interval at our current priority" (keepalived vrrp_set_effective_priority).
    if (this.currentState === 'Backup' && this.masterDownAtMs !== undefined) {
      const { version } = this.config;
      this.masterDownAtMs +=
        skewMs(version, next, this.masterAdvertIntervalCs) -
        skewMs(version, this.currentEffectivePriority, this.masterAdvertIntervalCs);
    }
    this.currentEffectivePriority = next;
  }

  private faultReason(): 'link-down' | 'track-failed' | 'sync-group' | undefined {
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

  private ownFaultReason(): 'link-down' | 'track-failed' | undefined {
    if (!this.linkUp) return 'link-down';
    for (const track of this.tracked.values()) {
      if (track.weight === 0 && !track.up) return 'track-failed';
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Entering and leaving states

  /**
   * Becoming Master (RFC 9568 6.4.1 / 6.4.2): advertise first, so the old master (if any) steps down
   * before our gratuitous ARPs move the traffic, then add the VIPs and announce them (keepalived:
   * `garp_master_repeat` now, again after `garp_master_delay`, then every `garp_master_refresh`).
   * The stateChange comes last, once the VIPs are in place, as keepalived runs notify_master.
   */
  private becomeMaster(reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    const from = this.currentState;
    this.clearDeadlines();
    this.currentState = 'Master';
    this.masterAdvertIntervalCs = this.config.advertIntervalCs;
    // As Master the current master is us: status shows our own address, as keepalived does.
    this.masterAddress = this.config.primaryAddress;
    this.masterPriority = undefined;

    const announce = this.config.announce;
    actions.push(this.advertAction(this.currentEffectivePriority));
    actions.push({ kind: 'addVips', addresses: this.ownedAddresses, acceptMode: acceptModeInEffect(this.config) });
    if (announce.repeat > 0) actions.push(this.announceAction(announce.repeat));

    this.advertAtMs = nowMs + advertIntervalMs(this.config.advertIntervalCs);
    if (announce.repeat > 0 && announce.secondBurstDelayMs > 0) {
      this.secondBurstAtMs = nowMs + announce.secondBurstDelayMs;
      this.secondBurstCount = announce.repeat;
    }
    if (announce.refreshRepeat > 0 && announce.refreshIntervalMs > 0)
      this.refreshAtMs = nowMs + announce.refreshIntervalMs;
    this.recordTransition(from, 'Master', reason, nowMs, actions);
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
    this.moveTo(to, reason, nowMs, actions);
  }

  /** Backup with a full Master_Down_Interval (RFC 9568 6.4.1). */
  private enterBackup(reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    this.moveTo('Backup', reason, nowMs, actions);
    this.masterDownAtMs = nowMs + this.masterDownMs();
  }

  private enterFault(reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    this.moveTo('Fault', reason, nowMs, actions);
  }

  /** A plain state change: every deadline of the old state is cancelled. */
  private moveTo(to: RouterState, reason: TransitionReason, nowMs: number, actions: RouterAction[]): void {
    const from = this.currentState;
    this.clearDeadlines();
    this.currentState = to;
    this.masterAddress = undefined;
    this.masterPriority = undefined;
    this.recordTransition(from, to, reason, nowMs, actions);
  }

  private recordTransition(
    from: RouterState,
    to: RouterState,
    reason: TransitionReason,
    nowMs: number,
    actions: RouterAction[],
  ): void {
    this.lastTransition = { atMs: nowMs, reason };
    this.syncWantsMaster = false;
    actions.push({ kind: 'stateChange', from, to, reason, priority: this.currentEffectivePriority });
  }

  private clearDeadlines(): void {
    this.lowerPriorityQuietUntilMs = undefined;
    this.lowerPriorityHeard.clear();
    this.advertAtMs = undefined;
    this.secondBurstAtMs = undefined;
    this.refreshAtMs = undefined;
    this.masterDownAtMs = undefined;
    this.preemptAtMs = undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private masterDownMs(): number {
    return masterDownIntervalMs(this.config.version, this.currentEffectivePriority, this.masterAdvertIntervalCs);
  }

  private advertAction(priority: number): Extract<RouterAction, { kind: 'sendAdvert' }> {
    return {
      kind: 'sendAdvert',
      vrid: this.config.vrid,
      priority,
      advertIntervalCs: this.config.advertIntervalCs,
      addresses: this.config.virtualAddresses,
    };
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
 * How nopreempt and preempt_delay apply.
 * - keepalived mode with initialState 'Master': keepalived 2.2.7 (vrrp_complete_instance) clears
 *   both, with a warning, for `state MASTER`; we do the same and say so with a notice at startup.
 *   This is the field failure "preempt_delay ignored at startup": the rebooted node preempts at once.
 * - otherwise (and always in openshift mode) both hold. keepalived also resets preempt_delay when
 *   nopreempt is set (they contradict each other); so do we.
 * The address owner always preempts (keepalived resets nopreempt for priority 255).
 */
function preemptRules(config: VirtualRouterConfig): {
  preempt: boolean;
  preemptDelayMs: number;
  ignored: string | undefined;
} {
  if (config.priority === OWNER_PRIORITY) return { preempt: true, preemptDelayMs: 0, ignored: undefined };
  if (config.preemptDelayMode === 'keepalived' && config.initialState === 'Master') {
    const cleared = [
      !config.preempt ? 'nopreempt' : undefined,
      config.preemptDelayMs > 0 ? `preempt_delay ${config.preemptDelayMs} ms` : undefined,
    ].filter((setting): setting is string => setting !== undefined);
    return {
      preempt: true,
      preemptDelayMs: 0,
      ignored:
        cleared.length > 0
          ? `initial state MASTER clears ${cleared.join(' and ')} (keepalived 2.2.7 behaviour)`
          : undefined,
    };
  }
  return { preempt: config.preempt, preemptDelayMs: config.preempt ? config.preemptDelayMs : 0, ignored: undefined };
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

function earlier(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a <= b ? a : b;
}

function notice(kind: NoticeKind, detail: string): RouterAction {
  return { kind: 'notice', notice: kind, detail };
}
