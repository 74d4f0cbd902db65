// Plain-data types of the sans-IO VRRP engine: configuration, inputs, actions, snapshots.
// Nothing here holds a closure, so a trace of inputs and actions can be printed, diffed and replayed.

import type { ChecksumForm, IpFamily, VrrpVersion, WireDropReason } from '../wire/types.js';

/** RFC 5798 6.4 states plus keepalived's FAULT. */
export type RouterState = 'Initialize' | 'Backup' | 'Master' | 'Fault';

/**
 * How preempt_delay and nopreempt combine with an instance configured to start as master.
 * - 'keepalived': as keepalived 2.2.7, which clears both (with a warning) when `state MASTER` is set.
 * - 'openshift': as the OpenShift documentation promises: both hold even for an instance that
 *   starts as master, so a rebooted high-priority node waits preempt_delay before taking the VIP.
 */
export type PreemptDelayMode = 'keepalived' | 'openshift';

export interface AnnounceConfig {
  /** Gratuitous ARP / unsolicited NA messages sent at once on becoming master (keepalived: 5). */
  readonly repeat: number;
  /** Delay before the second burst (keepalived vrrp_garp_master_delay: 5 s); 0 = no second burst. */
  readonly secondBurstDelayMs: number;
  /** Periodic refresh while master (keepalived vrrp_garp_master_refresh); 0 = off. */
  readonly refreshIntervalMs: number;
  /** Messages per refresh (keepalived vrrp_garp_master_refresh_repeat: 1). */
  readonly refreshRepeat: number;
  /**
   * A Master that hears a lower-priority advert (two Masters: a healed partition, a blocked group)
   * re-announces, because hosts may have learnt the other Master's MAC for the VIP meanwhile
   * (keepalived vrrp_garp_lower_prio_repeat; defaults to `repeat`). 0 = no announcement.
   */
  readonly lowerPriorityRepeat: number;
  /** Delay of the second burst after such a re-announcement (keepalived vrrp_garp_lower_prio_delay). */
  readonly lowerPrioritySecondBurstDelayMs: number;
  /**
   * keepalived garp_extra_if: while Master, at the first advert after each such interval, one
   * GARP / NA for the first address on each of `extraInterfaces`; 0 or left out: off.
   */
  readonly extraInterfaceIntervalMs?: number;
  /** The interfaces, other than the router's own, that garp_extra_if announces on. */
  readonly extraInterfaces?: readonly string[];
}

export type AuthConfig =
  | { readonly type: 'none' }
  /** v2 simple text password; only the first 8 bytes go on the wire. */
  | { readonly type: 'pass'; readonly password: string };

export type OldUnicastChecksum = 'auto' | 'always' | 'never';

/** A fully validated virtual router configuration (config loaders produce it; the core trusts it). */
export interface VirtualRouterConfig {
  /** Instance name, e.g. keepalived's vrrp_instance name. */
  readonly name: string;
  /** Interface the instance runs on (used by the demux and adapters; the core only reports it). */
  readonly interface: string;
  readonly vrid: number;
  readonly version: VrrpVersion;
  readonly family: IpFamily;
  /** Configured priority 1..255; 255 means address owner. */
  readonly priority: number;
  /** Our advertisement interval in centiseconds (v2: a multiple of 100). */
  readonly advertIntervalCs: number;
  /** keepalived `state MASTER` (a hint, not a promise). */
  readonly initialState: 'Backup' | 'Master';
  /** false = keepalived `nopreempt`. */
  readonly preempt: boolean;
  /** keepalived preempt_delay; 0 = none. */
  readonly preemptDelayMs: number;
  readonly preemptDelayMode: PreemptDelayMode;
  /** RFC 5798 Accept_Mode; passed to the address adapter with the VIPs. */
  readonly acceptMode: boolean;
  /** Our address on the interface: advert source and tie-breaker (IPv6: the link-local address). */
  readonly primaryAddress: string;
  /** Virtual addresses, canonical text form, without prefix length. */
  readonly virtualAddresses: readonly string[];
  /**
   * keepalived virtual_ipaddress_excluded: added, removed and announced with the VIPs, but never listed
   * in adverts nor part of the received address-list check. Either family (an IPv6 address beside an
   * IPv4 router is their usual use). Canonical text form; none when left out.
   */
  readonly excludedAddresses?: readonly string[];
  /**
   * keepalived `dev` on a VIP: address -> interface, for the addresses (virtual or excluded) that live
   * on another interface than `interface`. The core only compares it on reconfigure; the engine sends
   * each address's add / remove / announce to its interface. No adverts go there.
   */
  readonly addressInterfaces?: Readonly<Record<string, string>>;
  readonly auth: AuthConfig;
  /** v3 over IPv4: checksum with the pseudo-header (keepalived 2.2.7 default: true). */
  readonly v3Ipv4PseudoHeader: boolean;
  /** Empty: multicast. Otherwise adverts go to each peer and only these sources are accepted. */
  readonly unicastPeers: readonly string[];
  /**
   * keepalived `unicast_fault_no_peer`: an instance meant to speak unicast whose peer list is empty stays
   * in Fault instead of falling back to multicast. Left out: off.
   */
  readonly unicastFaultNoPeer?: boolean;
  /**
   * Check TTL/hop limit 255 on unicast too. buildRouterConfig turns it on; the keepalived.conf reader
   * turns it off for a unicast router, as keepalived 2.2.7 checks the TTL of multicast adverts only.
   */
  readonly checkUnicastTtl: boolean;
  /** v2: drop an advert whose address list differs from ours (keepalived: log only unless vrrp_strict). */
  readonly strictAddressList: boolean;
  /**
   * keepalived `skip_check_adv_addr`: a Backup checks (logs, and under strictAddressList drops) an
   * advert's address list only when it comes from another source than the last advert it heard, so a
   * steady Master's adverts are not compared one by one. A Master checks every advert. Left out: off.
   */
  readonly skipCheckAdvertAddresses?: boolean;
  /**
   * keepalived `dont_track_primary`: the link of `interface` going down does not put the router in
   * Fault (tracked interfaces, scripts and the rest still do). Left out: off.
   */
  readonly dontTrackPrimary?: boolean;
  /**
   * keepalived `track_src_ip`: the configured primaryAddress leaving `interface` puts the router in
   * Fault until it is back (the daemon follows the interface's addresses; the core only carries it).
   * Left out: off (a configured source address is not followed).
   */
  readonly trackSourceAddress?: boolean;
  /**
   * keepalived `unicast_ttl`: the TTL / hop limit of adverts to unicast peers, 1..255. Left out: 255.
   * Received unicast adverts are TTL-checked per `checkUnicastTtl`, whatever this is.
   */
  readonly unicastTtl?: number;
  /**
   * keepalived `mcast_dst_ip`: the multicast group adverts go to and are heard on, instead of
   * 224.0.0.18 / ff02::12 (IPv4: any multicast address; IPv6: a link-local one, ff02::/16). Canonical
   * text; left out: the standard group.
   */
  readonly multicastGroup?: string;
  /**
   * keepalived `old_unicast_checksum` (VRRPv3 over IPv4 to unicast peers, with the pseudo-header):
   * the form of keepalived 1.3.6 and older puts 224.0.0.18 in the pseudo-header instead of the peer.
   * - 'auto' (left out; keepalived's default): the RFC form, until a valid advert in the old form is
   *   heard; from then on the old form (keepalived: "Setting unicast VRRPv3 checksum to old version").
   * - 'always' (`old_unicast_checksum`): the old form.
   * - 'never' (`old_unicast_checksum never`): the RFC form whatever is heard.
   * Received adverts are accepted in any form (src/wire/codec.ts).
   */
  readonly oldUnicastChecksum?: OldUnicastChecksum;
  /**
   * A Master stepping down for a higher-priority advert first sends one advert of its own (keepalived
   * `higher_prio_send_advert`). The new Master then hears that there were two Masters and re-announces
   * the VIPs to hosts that learnt ours; without it, when the higher advert arrives first after a
   * partition heals, those hosts keep a stale ARP/ND entry. buildRouterConfig turns it on.
   */
  readonly higherPrioritySendAdvert: boolean;
  /**
   * A Master that hears a lower-priority advert does not advertise at once (keepalived
   * `lower_prio_no_advert`; on under its strict mode). It still re-announces the VIPs. Left out: off.
   */
  readonly lowerPriorityNoAdvert?: boolean;
  /**
   * Adverts a Backup may miss before it takes over: Master_Down_Interval is this many advert intervals
   * plus the skew (keepalived `down_timer_adverts`, 1..100). Left out: 3, as the RFCs say.
   */
  readonly downTimerAdverts?: number;
  /**
   * keepalived `vrrp_startup_delay`: for this long after startup a Backup's down timer counts from the
   * end of the delay, so no router takes over before it (an owner becomes Master when it ends). Left
   * out: no delay.
   */
  readonly startupDelayMs?: number;
  /**
   * keepalived `kernel_rx_buf_size`: this router's share, in bytes, of the receive buffer of the VRRP
   * socket it uses (src/model/receive-buffers.ts). Read by the Linux packet port only; the core and
   * the simulator ignore it.
   */
  readonly receiveBufferBytes?: number;
  readonly announce: AnnounceConfig;
}

/** A received advertisement after the codec accepted it, with the network metadata. */
export interface ReceivedAdvert {
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly priority: number;
  readonly advertIntervalCs: number;
  readonly addresses: readonly string[];
  readonly authType: number;
  readonly authData: Uint8Array;
  readonly family: IpFamily;
  readonly sourceAddress: string;
  readonly destinationAddress: string;
  readonly ttl: number;
  /** The checksum form the codec accepted (the demux gives it; left out: not known). */
  readonly checksumForm?: ChecksumForm | undefined;
}

/** Inputs to a virtual router. Each is handled together with the current time `nowMs`. */
export type RouterInput =
  | { readonly kind: 'startup' }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'advert'; readonly advert: ReceivedAdvert }
  /** A deadline may have passed. Calling it early, or twice, changes nothing. */
  | { readonly kind: 'timeout' }
  /** The interface's link went up or down. */
  | { readonly kind: 'link'; readonly up: boolean }
  /**
   * A tracked object (script, check, interface, file) reported its status. Weight semantics are
   * keepalived's: weight > 0 adds the weight while up; weight < 0 subtracts |weight| while down;
   * weight 0 puts the router in Fault while down.
   */
  | { readonly kind: 'track'; readonly name: string; readonly up: boolean; readonly weight: number }
  /** Change the configured (base) priority at run time. */
  | { readonly kind: 'setPriority'; readonly priority: number }
  /**
   * Someone else removed one of our VIPs while we were Master (keepalived: step down with a
   * priority-0 advert and take over again after Skew_Time, re-adding and re-announcing the VIPs).
   */
  | { readonly kind: 'vipsLost' }
  /**
   * keepalived vrrp_sync_group, decided by the engine-side coordinator (src/health/sync-groups.ts):
   * - join: this router is a group member. From now on a Backup whose down timer or preempt wait runs
   *   out does not take over alone: it says it is ready (notice 'sync-wants-master') and waits; and
   *   changes of its own fault condition are reported ('sync-own-fault', 'sync-own-fault-cleared').
   * - master: the whole group can go Master: a Backup takes over now.
   * - backup: a member stepped down: a Master steps down too (no priority-0 advert, as keepalived).
   * - fault / fault-cleared: another member is in Fault: this one is held in Fault as well.
   * - leave: no longer a member (a reload removed its group): it takes over alone again.
   */
  | { readonly kind: 'syncGroup'; readonly command: SyncGroupCommand };

export type SyncGroupCommand = 'join' | 'leave' | 'master' | 'backup' | 'fault' | 'fault-cleared';

/** Why a router changed state; every stateChange action carries one. */
export type TransitionReason =
  | 'startup-owner' // priority 255 at startup: Master at once
  | 'startup' // Initialize -> Backup with the down timer running
  | 'startup-master-wanted' // keepalived `state MASTER`
  | 'master-down-timer' // Backup: no advert within Master_Down_Interval
  | 'preempt-delay-expired' // Backup: waited preempt_delay, now taking over
  | 'higher-priority-advert' // Master: an advert with greater priority
  | 'tie-break-lost' // Master: equal priority, greater primary address
  | 'shutdown'
  | 'link-down'
  | 'link-up'
  | 'track-failed' // a weight-0 tracked object went down
  | 'track-recovered'
  | 'no-unicast-peer' // keepalived unicast_fault_no_peer with an empty unicastPeers: Fault for good
  | 'vips-removed' // Master: a VIP was removed by someone else (keepalived behaviour)
  | 'sync-group'; // its vrrp_sync_group moved it (a member's fault, step-down or takeover)

/** Why an advert was dropped. Each is counted per router or per interface, never thrown. */
export type DropReason =
  | WireDropReason
  | 'unknown-vrid' // no router for this VRID on the interface
  | 'ttl' // TTL / hop limit not 255
  | 'version-mismatch' // another VRRP version than ours
  | 'family-mismatch'
  | 'auth-type-mismatch'
  | 'auth-data-mismatch'
  | 'zero-address-count'
  | 'zero-interval'
  | 'interval-mismatch' // v2: advert interval differs from ours
  | 'address-list-mismatch' // only when strictAddressList
  | 'own-packet' // our own advert looped back
  | 'unknown-unicast-source'; // unicast mode and the source is not a configured peer

/** Things worth logging that do not drop the packet. */
export type NoticeKind =
  | 'interval-mismatch-v3' // v3 interval differs from ours: logged, adopted by a Backup
  | 'address-list-mismatch' // logged; dropped only when strict
  | 'owner-conflict' // another router also claims priority 255: the greater primary address stays Master
  | 'lower-priority-master' // Master saw a lower priority advert and advertised at once
  | 'preempt-settings-ignored' // keepalived mode, initialState Master: nopreempt / preempt_delay cleared
  | 'sync-wants-master' // sync group member: ready to take over, waiting for its group
  | 'sync-stands-by' // sync group member: no longer ready (heard a master, or changed state)
  | 'sync-own-fault' // sync group member: its own link or weight-0 track failed
  | 'sync-own-fault-cleared' // sync group member: its own fault condition is gone
  | 'old-unicast-checksum' // old_unicast_checksum auto: a peer uses keepalived's old unicast checksum, so do we now
  | 'vrid-collision'; // first advert from a source whose settings for our VRID differ (demux: once per source and reason)

/** Actions a virtual router asks its driver to carry out, in order. */
export type RouterAction =
  | {
      readonly kind: 'sendAdvert';
      readonly vrid: number;
      readonly priority: number;
      readonly advertIntervalCs: number;
      readonly addresses: readonly string[];
      /** keepalived old_unicast_checksum: 224.0.0.18 in the v3 IPv4 pseudo-header of unicast adverts. */
      readonly oldUnicastChecksum?: true;
    }
  | { readonly kind: 'addVips'; readonly addresses: readonly string[]; readonly acceptMode: boolean }
  | { readonly kind: 'removeVips'; readonly addresses: readonly string[] }
  /**
   * A Master's reload changed Accept_Mode: `addresses`, kept on the interface, now answer (true) or
   * are dropped (false; keepalived's nftables sets), as if they had been added with it.
   */
  | { readonly kind: 'setAcceptMode'; readonly addresses: readonly string[]; readonly acceptMode: boolean }
  /** Send `count` gratuitous ARPs (IPv4) or unsolicited NAs (IPv6) for each address. */
  | { readonly kind: 'announceVips'; readonly addresses: readonly string[]; readonly count: number }
  | {
      readonly kind: 'stateChange';
      readonly from: RouterState;
      readonly to: RouterState;
      readonly reason: TransitionReason;
      /** Effective priority at the moment of the change (the notify scripts' 4th argument). */
      readonly priority: number;
    }
  | { readonly kind: 'priorityChange'; readonly from: number; readonly to: number }
  | { readonly kind: 'dropped'; readonly reason: DropReason; readonly detail?: string }
  | { readonly kind: 'notice'; readonly notice: NoticeKind; readonly detail: string };

/** A read-only view of a router for status commands, events and tests. */
export interface RouterSnapshot {
  readonly name: string;
  readonly vrid: number;
  readonly state: RouterState;
  readonly basePriority: number;
  readonly effectivePriority: number;
  /** Interval in use: ours as Master, the learned Master_Adver_Interval as v3 Backup. */
  readonly masterAdvertIntervalCs: number;
  /** Source address of the last accepted advert from the current master, if any. */
  readonly masterAddress: string | undefined;
  readonly lastTransition: { readonly atMs: number; readonly reason: TransitionReason } | undefined;
  readonly nextDeadlineMs: number | undefined;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
