// VRRP virtual MAC (keepalived's use_vmac): a macvlan on the router's interface carrying the RFC 5798
// virtual MAC 00:00:5e:00:01:{VRID} (IPv4) or 00:00:5e:00:02:{VRID} (IPv6), so the VIPs keep one MAC
// across failover and neighbours need no GARP / NA to follow a new Master.
//
// Behaviour taken from keepalived 2.2.7 (vrrp_vmac.c, vrrp_if_config.c), not its code:
//   - macvlan in private mode: a multicast frame whose source MAC is one of the host's own private
//     macvlans (another router's advert sent from the same virtual MAC) is delivered to that macvlan
//     only, not to the parent. So adverts are sent *and received* on the VMAC, and the VMAC stays up in
//     every state (on a Backup it holds no VIP);
//   - on the VMAC: arp_ignore=1 (answer ARP only for its own addresses: the VIPs), accept_local=1,
//     rp_filter=0 (it receives adverts while it has no address), promote_secondaries=1, and IPv6 off
//     (an IPv4 VMAC with a link-local address would run DAD and MLD from a MAC two hosts share);
//   - on the parent: arp_ignore=1 and arp_filter=1, so the parent never answers ARP for a VIP with its
//     own MAC, and (our addition) arp_announce=2, so it never asks from a VIP either; the previous
//     values are put back when the last VMAC on it is removed;
//   - an IPv6 VMAC (keepalived 2.2.7 seen on the wire and in `ip -d link`): IPv4 sysctls and the
//     parent left alone; addr_gen_mode=1 (none), so the kernel makes no link-local from the shared MAC
//     (RFC 5798 7.4: adverts come from the router's own link-local); instead the router's advert
//     source (its configured primaryAddress, else the parent's link-local) is added to the VMAC as /64,
//     nodad and deprecated (preferred_lft 0), so adverts leave from the virtual MAC with that source
//     while the kernel never picks it for other traffic;
//   - the default name is vrrp.<vrid> for both families, as keepalived 2.2.7 names it; when another
//     router has it, vrrp<n>.<vrid> (IPv6: vrrp6.<vrid> first), see src/model/vmac-name.ts;
//   - vmac_xmit_base (`xmitBase`): adverts are sent and received on the parent, with its MAC and its
//     address, while the VIPs live on the VMAC; an IPv6 VMAC then gets no source address. Unicast
//     peers need it (their adverts come to the parent's address), so keepalived turns it on for them;
//   - removed at stop; at start one left by a killed run (same name, same MAC) is removed first.
// Different from keepalived: a macvlan of that name with *another* MAC is refused (EEXIST) rather than
// deleted, since it may belong to someone else.

import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { addressInterface, ownedAddresses } from '../core/address-placement.js';
import type { VirtualRouterConfig } from '../core/types.js';
import { PromoteSecondaries } from './promote-secondaries.js';
import { ConfigError } from '../model/config-error.js';
import { generatedVmacName } from '../model/vmac-name.js';
import type { IpFamily } from '../wire/types.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { IpvlanSettings } from './ipvlan.js';
import type { LinkDetails, MacvlanClient } from './macvlan.js';
import { MAX_INTERFACE_NAME_LENGTH, type RtNetlinkClient } from './netlink.js';
import { codedError, errorCode, type CodedError } from '../errors.js';

/** A router's VMAC as planned from its configuration. */
export interface VmacPlan {
  readonly router: string;
  readonly vrid: number;
  readonly family: IpFamily;
  /** The router's configured interface: the macvlan's parent. */
  readonly parent: string;
  readonly name: string;
  readonly mac: string;
  /**
   * keepalived's vmac_xmit_base: adverts are sent and received on the parent (from its MAC and address),
   * while the VIPs still live on the VMAC.
   */
  readonly xmitBase?: boolean;
  /** Made for addresses only (keepalived's use_vmac on an address, use_vmac_addr): no advert uses it. */
  readonly addressesOnly?: boolean;
  /** IPv6: the router's advert source, put on the VMAC (set once the router's address is resolved). */
  readonly sourceAddress?: string;
  /** keepalived's use_ipvlan: an l2 ipvlan, not a macvlan; `mac` is then empty (it has its parent's). */
  readonly ipvlan?: IpvlanSettings;
}

/** RFC 5798 7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6. */
export function virtualMac(vrid: number, family: IpFamily): string {
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}

/** keepalived 2.2.7's default name, vrrp.<vrid> for IPv4 and IPv6 alike (when no other router has it). */
export function defaultVmacName(vrid: number): string {
  return `vrrp.${vrid}`;
}

/**
 * The VMAC name of each router, in order, as keepalived 2.2.7 names them: a name given is kept; `true`
 * takes the first free name of `<prefix>.<vrid>`, `<prefix><n>.<vrid>` (src/model/vmac-name.ts) that no
 * named VMAC and no earlier router has. Anything else (false, undefined, a mistake) gives undefined and
 * is judged by planVmac.
 */
export function vmacNames(
  routers: readonly { readonly useVmac?: unknown; readonly vrid?: unknown; readonly family: IpFamily }[],
): (string | undefined)[] {
  const taken = new Set(routers.map((r) => r.useVmac).filter((name): name is string => typeof name === 'string'));
  return routers.map((router) => {
    if (typeof router.useVmac === 'string') return router.useVmac;
    if (router.useVmac !== true || typeof router.vrid !== 'number') return undefined;
    const name = generatedVmacName(router.vrid, router.family, taken);
    taken.add(name);
    return name;
  });
}

/**
 * Validates `useVmac` (true or an interface name) and `vmacXmitBase` for a router; ConfigError names
 * `where.useVmac` / `where.vmacXmitBase`. `name` is the router's name from vmacNames (for `true`).
 */
export function planVmac(
  useVmac: unknown,
  router: { name: string; interface: string; vrid: number; family: IpFamily; unicastPeers?: readonly string[] },
  where: string,
  options: { readonly xmitBase?: unknown; readonly name?: string | undefined } = {},
): VmacPlan | undefined {
  const field = `${where}.useVmac`;
  const { xmitBase } = options;
  if (xmitBase !== undefined && typeof xmitBase !== 'boolean')
    throw new ConfigError(`${where}.vmacXmitBase`, `must be true or false, got ${JSON.stringify(xmitBase)}`);
  if (useVmac === undefined || useVmac === false) {
    if (xmitBase === true)
      throw new ConfigError(`${where}.vmacXmitBase`, 'needs useVmac: adverts leave from the base interface of a VMAC');
    return undefined;
  }
  if (useVmac !== true && typeof useVmac !== 'string') {
    throw new ConfigError(field, `must be true, false or an interface name, got ${JSON.stringify(useVmac)}`);
  }
  if ((router.unicastPeers?.length ?? 0) > 0 && xmitBase !== true) {
    // Peers answer to the parent's address, so their adverts arrive on the parent, never on the VMAC.
    throw new ConfigError(
      `${where}.vmacXmitBase`,
      'must be true with useVmac and unicastPeers: unicast adverts are sent and received on the base interface (keepalived sets vmac_xmit_base itself)',
    );
  }
  const name = useVmac === true ? (options.name ?? defaultVmacName(router.vrid)) : useVmac;
  checkVmacName(name, router.interface, field);
  return {
    router: router.name,
    vrid: router.vrid,
    family: router.family,
    parent: router.interface,
    name,
    mac: virtualMac(router.vrid, router.family),
    ...(xmitBase === true ? { xmitBase: true } : {}),
  };
}

/** A VMAC's (or ipvlan's) name as the kernel takes it, and not its parent's; ConfigError naming `field`. */
export function checkVmacName(name: string, parent: string, field: string): void {
  if (
    name.length === 0 ||
    name.length > MAX_INTERFACE_NAME_LENGTH ||
    /[\s/:]/.test(name) ||
    name === '.' ||
    name === '..'
  ) {
    throw new ConfigError(
      field,
      `${JSON.stringify(name)} is not a valid interface name (1 to ${MAX_INTERFACE_NAME_LENGTH} characters, no space, '/' or ':')`,
    );
  }
  if (name === parent) throw new ConfigError(field, `the VMAC cannot have the name of its parent ${parent}`);
}

/** Two routers may not share a VMAC name. */
export function checkVmacNames(plans: readonly (VmacPlan | undefined)[]): void {
  const seen = new Map<string, number>();
  plans.forEach((plan, index) => {
    if (!plan) return;
    const first = seen.get(plan.name);
    if (first !== undefined)
      throw new ConfigError(`routers[${index}].useVmac`, `VMAC ${plan.name} is also used by routers[${first}]`);
    seen.set(plan.name, index);
  });
}

/** An IPv6 VMAC's plan once its router's advert source is known (the address goes on the VMAC). */
export function withSourceAddress(plan: VmacPlan | undefined, sourceAddress: string): VmacPlan | undefined {
  // With vmac_xmit_base adverts leave from the parent, so the VMAC needs no source (keepalived adds none).
  return plan?.family === 6 && !plan.xmitBase ? { ...plan, sourceAddress } : plan;
}

/**
 * The router's configuration on its VMAC. Without xmitBase the router runs on the VMAC (sockets,
 * adverts, VIPs). With it the router stays on the parent, where adverts are sent and received, and
 * each of its addresses of its own family that lives on the parent is put on the VMAC instead, as
 * keepalived 2.2.7 does (an address of the other family stays on the parent).
 */
export function configOnVmac(config: VirtualRouterConfig, plan: VmacPlan | undefined): VirtualRouterConfig {
  if (plan === undefined) return config;
  if (!plan.xmitBase) return { ...config, interface: plan.name };
  const onVmac: Record<string, string> = {};
  for (const address of ownedAddresses(config)) {
    if (addressInterface(config, address) === config.interface && isIP(address) === config.family)
      onVmac[address] = plan.name;
  }
  return { ...config, addressInterfaces: { ...config.addressInterfaces, ...onVmac } };
}

function sysctlPath(family: 'ipv4' | 'ipv6', iface: string, name: string): string {
  return `/proc/sys/net/${family}/conf/${iface}/${name}`;
}

function readSysctl(family: 'ipv4' | 'ipv6', iface: string, name: string): string {
  return readFileSync(sysctlPath(family, iface, name), 'utf8').trim();
}

function writeSysctl(family: 'ipv4' | 'ipv6', iface: string, name: string, value: string): void {
  writeFileSync(sysctlPath(family, iface, name), value);
}

const VMAC_IPV4_SYSCTLS: readonly [string, string][] = [
  ['arp_ignore', '1'],
  ['accept_local', '1'],
  ['rp_filter', '0'],
  ['promote_secondaries', '1'],
];
const PARENT_IPV4_SYSCTLS: readonly [string, string][] = [
  ['arp_ignore', '1'],
  ['arp_filter', '1'],
  // Not set by keepalived 2.2.7. Without it, a Master answering a client it has no neighbour entry
  // for asks for the client's MAC from the parent with the VIP as sender address, and the client
  // re-points the VIP at the parent's MAC, undoing the VMAC (test/linux/vmac.test.ts sees this).
  ['arp_announce', '2'],
];

const VMAC_IPV6_SYSCTLS: readonly [string, string][] = [
  // On even if the host's default is off: the router speaks IPv6 here.
  ['disable_ipv6', '0'],
  // IN6_ADDR_GEN_MODE_NONE: no EUI-64 link-local from the MAC every router of the VRID shares.
  ['addr_gen_mode', '1'],
];
/** The prefix length keepalived gives the VMAC's link-local address. */
const VMAC_SOURCE_PREFIX_LENGTH = 64;

const VMAC_UP_WAIT_MS = 1000;

/** The link is the one the plan makes: a macvlan with its MAC, or an ipvlan on its parent. */
function isOurs(link: LinkDetails, plan: VmacPlan, parentIndex: number | undefined): boolean {
  if (plan.ipvlan) return link.kind === 'ipvlan' && link.parentIndex === parentIndex;
  return link.kind === 'macvlan' && link.mac === plan.mac;
}

/** The message starts with the code, as Node's own errors do, so a one-line report shows it. */
function vmacError(code: string, message: string): CodedError {
  return codedError(code, `${code}: ${message}`);
}

/**
 * Creates and removes the VMACs of one runtime, and the parent settings they need; holds the
 * promote_secondaries its routers without a VMAC asked for (promote-secondaries.ts).
 */
export class VmacManager {
  readonly promoted = new PromoteSecondaries();
  private readonly client: MacvlanClient;
  private readonly addresses: RtNetlinkClient;
  private readonly logger: RuntimeLogger;
  /** Parent -> its sysctl values before the first VMAC, and how many VMACs it has now. */
  private readonly parents = new Map<string, { saved: [string, string][]; users: number }>();
  private readonly created = new Set<string>();

  constructor(client: MacvlanClient, logger: RuntimeLogger, addresses: RtNetlinkClient) {
    this.client = client;
    this.addresses = addresses;
    this.logger = logger;
  }

  /**
   * Creates the VMAC (removing one a killed run left behind), applies the sysctls and brings it up.
   * Rejects with ENODEV if the parent is missing, EEXIST if the name belongs to another interface.
   */
  async create(plan: VmacPlan): Promise<void> {
    const parent = await this.client.find(plan.parent);
    if (!parent) {
      throw vmacError(
        'ENODEV',
        `${plan.router}: interface ${plan.parent} does not exist, so VMAC ${plan.name} cannot be created on it`,
      );
    }
    await this.removeLeftover(plan, parent.ifindex);
    const what = plan.ipvlan ? `ipvlan ${plan.name} (l2 ${plan.ipvlan.mode})` : `VMAC ${plan.name} (${plan.mac})`;
    try {
      if (plan.ipvlan)
        await this.client.createIpvlan({ name: plan.name, parentIndex: parent.ifindex, mode: plan.ipvlan.mode });
      else await this.client.create({ name: plan.name, parentIndex: parent.ifindex, mac: plan.mac, mode: 'private' });
    } catch (error) {
      // The kernel refuses a second macvlan with the same MAC on one parent (EADDRINUSE in some versions);
      // a kernel without ipvlan answers EOPNOTSUPP ("Unknown device type"), as it does to iproute2.
      throw vmacError(
        errorCode(error) ?? 'EIO',
        `${plan.router}: creating ${what} on ${plan.parent} failed: ${(error as Error).message}`,
      );
    }
    this.created.add(plan.name);
    const vmac = await this.client.find(plan.name);
    if (!vmac) throw vmacError('ENODEV', `${plan.router}: ${what} vanished right after it was created`);
    // Before it goes up: IPv6 would otherwise start DAD on a link-local address at once.
    if (plan.ipvlan) {
      await this.configureIpvlan(plan, plan.ipvlan, vmac.ifindex);
    } else if (plan.family === 6) {
      await this.configureIpv6(plan, vmac.ifindex);
    } else {
      writeSysctl('ipv6', plan.name, 'disable_ipv6', '1');
      for (const [name, value] of VMAC_IPV4_SYSCTLS) writeSysctl('ipv4', plan.name, name, value);
      this.configureParent(plan.parent);
      this.warnStrictRpFilter(plan);
    }
    await this.client.setUp(vmac.ifindex, true);
    await this.waitRunning(plan.name, parent.running);
    this.logger.info(
      {
        event: 'vmacCreated',
        router: plan.router,
        interface: plan.name,
        parent: plan.parent,
        ...(plan.ipvlan ? { kind: 'ipvlan', mode: plan.ipvlan.mode } : { mac: plan.mac }),
      },
      plan.ipvlan
        ? `${plan.router}: ${what} created on ${plan.parent}`
        : `${plan.router}: VMAC ${plan.name} (${plan.mac}, macvlan private) created on ${plan.parent}`,
    );
  }

  /** One of ours left by a killed run (same name, kind and MAC or parent) is removed; any other is refused. */
  private async removeLeftover(plan: VmacPlan, parentIndex: number): Promise<void> {
    const existing = await this.client.find(plan.name);
    if (!existing) return;
    if (!isOurs(existing, plan, parentIndex)) {
      const what =
        existing.kind === 'macvlan'
          ? `a macvlan with MAC ${existing.mac ?? 'none'}`
          : `a ${existing.kind ?? 'physical'} interface${existing.kind === 'ipvlan' ? ' on another parent' : ''}`;
      const ours = plan.ipvlan ? `the ipvlan on ${plan.parent}` : `the VMAC ${plan.mac}`;
      throw vmacError(
        'EEXIST',
        `${plan.router}: ${plan.name} already exists as ${what}, not ${ours}; not touching it (remove it or choose another ${plan.ipvlan ? 'use_ipvlan' : 'useVmac'} name)`,
      );
    }
    await this.client.delete(existing.ifindex);
    this.logger.warn(
      { event: 'leftoverVmacRemoved', router: plan.router, interface: plan.name, mac: plan.mac },
      `removed ${plan.ipvlan ? 'ipvlan' : 'VMAC'} ${plan.name} left by an earlier run that did not stop cleanly`,
    );
  }

  /** IPv6 off on an IPv4 ipvlan (unless it carries IPv6 addresses), its address on it. */
  private async configureIpvlan(plan: VmacPlan, ipvlan: IpvlanSettings, ifindex: number): Promise<void> {
    writeSysctl('ipv6', plan.name, 'disable_ipv6', ipvlan.ipv6 ? '0' : '1');
    if (ipvlan.address === undefined) return;
    await this.addresses.addAddress({
      ifindex,
      family: plan.family,
      address: ipvlan.address,
      prefixLength: ipvlan.prefixLength ?? (plan.family === 4 ? 32 : 128),
      noDad: plan.family === 6,
    });
  }

  /** Removes a VMAC this manager created; a parent's settings are restored after its last VMAC. */
  async remove(plan: VmacPlan): Promise<void> {
    if (!this.created.delete(plan.name)) return;
    const vmac = await this.client.find(plan.name);
    // Only the interface we made: same name *and* our MAC (an ipvlan: same kind and parent).
    if (vmac && isOurs(vmac, plan, plan.ipvlan ? vmac.parentIndex : undefined)) await this.client.delete(vmac.ifindex);
    if (plan.family === 4) this.releaseParent(plan.parent);
    this.logger.info(
      { event: 'vmacRemoved', router: plan.router, interface: plan.name },
      `${plan.router}: VMAC ${plan.name} removed`,
    );
  }

  /** IPv6 on, no address made from the shared MAC, and the router's advert source on it. */
  private async configureIpv6(plan: VmacPlan, ifindex: number): Promise<void> {
    for (const [name, value] of VMAC_IPV6_SYSCTLS) writeSysctl('ipv6', plan.name, name, value);
    // vmac_xmit_base: adverts leave from the parent, so the VMAC has no address of its own (as keepalived).
    if (plan.xmitBase || plan.addressesOnly) return;
    if (plan.sourceAddress === undefined) {
      throw vmacError('EINVAL', `${plan.router}: IPv6 VMAC ${plan.name} planned without the router's source address`);
    }
    await this.addresses.addAddress({
      ifindex,
      family: 6,
      address: plan.sourceAddress,
      prefixLength: VMAC_SOURCE_PREFIX_LENGTH,
      noDad: true,
      deprecated: true,
    });
  }

  /**
   * A macvlan's operstate follows its parent a moment after it goes up; waiting for it keeps the
   * runtime from logging the VMAC as down at start and putting its router in Fault for nothing.
   */
  private async waitRunning(name: string, parentRunning: boolean): Promise<void> {
    if (!parentRunning) return;
    const deadline = Date.now() + VMAC_UP_WAIT_MS;
    while (Date.now() < deadline) {
      if ((await this.client.find(name))?.running === true) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The kernel applies max(all, interface): a strict `all` makes the VMAC drop every advert. */
  private warnStrictRpFilter(plan: VmacPlan): void {
    let all: string;
    try {
      all = readSysctl('ipv4', 'all', 'rp_filter');
    } catch {
      return;
    }
    if (all !== '1') return;
    this.logger.warn(
      { event: 'notice', router: plan.router, interface: plan.name, notice: 'strict-rp-filter' },
      `${plan.router}: net.ipv4.conf.all.rp_filter is 1 (strict), so ${plan.name} drops adverts from peers; set it to 0 or 2`,
    );
  }

  private configureParent(parent: string): void {
    const known = this.parents.get(parent);
    if (known) {
      known.users++;
      return;
    }
    const saved = PARENT_IPV4_SYSCTLS.map(([name]) => [name, readSysctl('ipv4', parent, name)] as [string, string]);
    for (const [name, value] of PARENT_IPV4_SYSCTLS) writeSysctl('ipv4', parent, name, value);
    this.parents.set(parent, { saved, users: 1 });
  }

  private releaseParent(parent: string): void {
    const known = this.parents.get(parent);
    if (!known || --known.users > 0) return;
    this.parents.delete(parent);
    try {
      for (const [name, value] of known.saved) writeSysctl('ipv4', parent, name, value);
    } catch {
      // The parent is gone; nothing to restore.
    }
  }
}
