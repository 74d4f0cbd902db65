// What the Linux runtime takes (LinuxEngineInput): routers, where their addresses live, the logger and
// the process's scheduling. Plain data, produced by every reader (JSON, keepalived.conf, OPENSHIFT_HA_*)
// and checked by the daemon (src/daemon/check-input.ts `checkInput`) before anything runs.

import type { IpvlanInput } from './ipvlan-input.js';
import type { RuntimeLogger } from './logger.js';
import type { RouterConfigInput } from './router-config.js';
import type { RouterAdvertsInput } from './router-adverts.js';
import type { ReceiveBufferPolicy } from './receive-buffers.js';
import type { NetlinkReceiveBuffers } from './netlink-buffers.js';
import type { ProcessScheduling } from './scheduling.js';
import type { SplitBrainSettings } from './split-brain.js';
import type { NftablesSettings } from './nftables.js';
import type { LinkDelays } from './link-delays.js';
import type { PolledLinks } from './link-polling.js';
import type { AnnounceSpacing } from './announce-spacing.js';
import type { RouteSpec, RuleSpec, StaticAddressSpec } from './routes.js';

/** How one configured VIP is put on its interface (keepalived's `ip/len ... label name`). */
export interface VipSpec {
  readonly interface: string;
  readonly address: string;
  /** Default 32 (IPv4) or 128 (IPv6). */
  readonly prefixLength?: number;
  /** IPv4 only: `<interface>` or `<interface>:<suffix>`, at most 15 characters. */
  readonly label?: string;
  /**
   * IPv6 only (keepalived's `preferred_lft`): 0 marks the VIP deprecated, so it is not used as a
   * source address. Default 0 for a /128, 'forever' otherwise, as keepalived does.
   */
  readonly preferredLifetime?: 0 | 'forever';
}

/**
 * A router as the runtime takes it: primaryAddress may be left out and is then read from the interface.
 * Where each address lives comes from the VipSpecs (a VipSpec on another interface: keepalived `dev`).
 */
export type LinuxRouterInput = Omit<RouterConfigInput, 'primaryAddress' | 'addressInterfaces'> & {
  readonly primaryAddress?: string;
  /**
   * keepalived's use_vmac: true runs the router on a macvlan `vrrp.<vrid>` with MAC
   * 00:00:5e:00:01:<vrid> (IPv6: 00:00:5e:00:02:<vrid>); a string names the macvlan instead (at most
   * 15 characters). When another router has `vrrp.<vrid>`, `true` takes `vrrp<n>.<vrid>` (IPv6 tries
   * `vrrp6.<vrid>` first), as keepalived 2.2.7 does.
   */
  readonly useVmac?: boolean | string;
  /**
   * keepalived's use_ipvlan: the router runs on an l2 ipvlan made on `interface` (named as useVmac's
   * VMAC unless `name` is given; mode `bridge` (default), `private` or `vepa`), its `address`
   * (`ADDR[/LEN]`, required for IPv4) put on it and used as the advert source unless primaryAddress is
   * set. Not with useVmac nor unicastPeers. See src/linux/ipvlan.ts.
   */
  readonly useIpvlan?: IpvlanInput;
  /**
   * keepalived's vmac_xmit_base, with useVmac only: adverts are sent and received on `interface` (its
   * MAC, its address) while the VIPs live on the VMAC. Required with unicastPeers, whose adverts come
   * to the interface's own address.
   */
  readonly vmacXmitBase?: boolean;
  /**
   * IPv6 only, off by default (keepalived sends none): Router Advertisements from the first link-local
   * VIP while Master (RFC 9568 6.4.3); `true` takes the defaults (src/model/router-adverts.ts).
   */
  readonly routerAdverts?: boolean | RouterAdvertsInput;
  /**
   * keepalived's promote_secondaries: net.ipv4.conf.<interface>.promote_secondaries turned on while
   * the router runs (if it was off), so deleting the interface's primary address keeps the others of
   * its subnet; turned back off when the last such router stops. A VMAC has it on anyway.
   */
  readonly promoteSecondaries?: boolean;
};

/**
 * A VipSpec as the runtime takes it. One whose interface is not its router's puts the address there
 * (keepalived `dev`): added, removed and announced there, and that interface's link tracked by the
 * router (down: Fault) unless `noTrack`, as keepalived 2.2.7 does. No VRRP socket is opened there.
 */
export type LinuxVipSpec = VipSpec & {
  /**
   * keepalived's use_vmac on an address (and use_vmac_addr): the address lives on a macvlan made on
   * `interface` with its router's virtual MAC for the address's family, not on `interface` itself. One
   * per router, interface and family; `true` names it as useVmac does, a string names it. Not for an
   * address of the router's family on its own interface when the router has useVmac (already there).
   */
  readonly useVmac?: boolean | string;
  /**
   * keepalived `no_track`: its interface's link does not put the router in Fault, and the address
   * deleted by someone else is left alone until the router next becomes Master.
   */
  readonly noTrack?: boolean;
};

export interface LinuxEngineInput {
  readonly routers: readonly LinuxRouterInput[];
  /**
   * Prefix length / label / preferred lifetime / interface per VIP or excluded address; those not
   * listed are /32 or /128 on their router's interface.
   */
  readonly vips?: readonly LinuxVipSpec[];
  /** pino or anything with the same methods; without one the runtime logs nothing. */
  readonly logger?: RuntimeLogger;
  /**
   * The daemon's own scheduling (SCHED_RR, nice, CPU affinity), applied once before the
   * routers start (src/linux/scheduling.ts); left out, the process is left as it was started.
   */
  readonly scheduling?: ProcessScheduling;
  /** Address conflict detection, probing and resisting (src/model/split-brain.ts); detection is on by default. */
  readonly splitBrain?: SplitBrainSettings;
  /**
   * keepalived's vrrp_rx_bufs_policy and vrrp_rx_bufs_multiplier: how the VRRP sockets' receive
   * buffers are sized (src/model/receive-buffers.ts); left out, the kernel's default.
   */
  readonly receiveBuffers?: ReceiveBufferPolicy;
  /**
   * keepalived's vrrp_netlink_cmd_rcv_bufs[_force] and vrrp_netlink_monitor_rcv_bufs[_force]: the
   * rtnetlink sockets' receive buffers (src/model/netlink-buffers.ts); left out, vrrp-engine's own.
   */
  readonly netlinkBuffers?: NetlinkReceiveBuffers;
  /**
   * The nftables table that drops traffic to the VIPs of routers without accept mode (keepalived's
   * `nftables` keywords, src/model/nftables.ts); read at start, an apply keeps the running one.
   */
  readonly nftables?: NftablesSettings;
  /**
   * Gaps between gratuitous ARPs / unsolicited NAs on one interface, shared by every router there
   * (keepalived vrrp_garp_interval, vrrp_gna_interval, garp_group; src/model/announce-spacing.ts).
   * Left out: each burst back to back.
   */
  readonly announceSpacing?: AnnounceSpacing;
  /**
   * Per interface, how long a link change must hold before its routers move (keepalived
   * interface_up_down_delays; src/model/link-delays.ts). Read at start; left out, at once.
   */
  readonly linkDelays?: LinkDelays;
  /**
   * Interfaces whose link state is polled once a second, their rtnetlink link changes ignored
   * (keepalived linkbeat_interfaces, linkbeat_use_polling; src/model/link-polling.ts).
   */
  readonly polledLinks?: PolledLinks;
  /** Routes (src/model/routes.ts): those naming a router follow its mastership, the others are static. */
  readonly routes?: readonly RouteSpec[];
  /** Policy rules, the same way. */
  readonly rules?: readonly RuleSpec[];
  /** Addresses added at start whatever the routers' states, and removed at stop (keepalived static_ipaddress). */
  readonly staticAddresses?: readonly StaticAddressSpec[];
  /**
   * keepalived's disable_local_igmp: net.ipv4.igmp_link_local_mcast_reports (the network namespace's)
   * goes from 1 to 0 at start and back at stop (src/linux/local-igmp.ts); read at start only.
   */
  readonly disableLocalIgmp?: boolean;
}
