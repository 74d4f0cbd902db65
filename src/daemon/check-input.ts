// What the Linux runtime takes (LinuxEngineInput) and how it is checked, in two phases:
//   1. `checkInput`: everything that needs no network (shape, every router's settings, the set's
//      VRIDs, VMAC names and VipSpecs), throwing ConfigError naming the field;
//   2. `resolveRouter`: per router, reading (never changing) its interface for a primaryAddress left
//      out. At start any failure stops the start; on a run-time apply it fails that router only.

import { isIP } from 'node:net';
import { buildRouterConfig } from '../model/router-config.js';
import { ConfigError } from '../model/config-error.js';
import { unknownKeyMessage } from '../model/known-keys.js';
import { addressInterface } from '../core/address-placement.js';
import type { VirtualRouterConfig } from '../core/types.js';
import type { IpFamily } from '../wire/types.js';
import { canonicalAddress } from '../linux/addresses.js';
import type { VipSpec } from '../model/runtime-input.js';
import type { LinuxEngineInput, LinuxRouterInput, LinuxVipSpec } from '../model/runtime-input.js';
import { getSourceAddresses } from '../linux/links.js';
import { checkProcessScheduling } from '../model/scheduling.js';
import { checkNftables } from '../model/nftables.js';
import { checkSplitBrain } from '../model/split-brain.js';
import { checkReceiveBufferPolicy } from '../model/receive-buffers.js';
import { checkNetlinkBuffers } from '../model/netlink-buffers.js';
import { checkAnnounceSpacing, type AnnounceSpacing } from '../model/announce-spacing.js';
import { checkLinkDelays } from '../model/link-delays.js';
import { checkPolledLinks } from '../model/link-polling.js';
import { checkRoutesInput } from '../model/routes.js';
import type { RtNetlinkClient } from '../linux/netlink.js';
import {
  checkVmacName,
  checkVmacNames,
  configOnVmac,
  planVmac,
  vmacNames,
  withSourceAddress,
  type VmacPlan,
} from '../linux/vmac.js';
import { checkIpvlan, type IpvlanSettings } from '../linux/ipvlan.js';
import { hasCode } from '../errors.js';
import { planAddressVmacs } from './address-vmacs.js';
import { planRouterAdverts, type RouterAdvertPlan } from './router-adverts.js';

/** Every field a router may have; a compile error here means RouterConfigInput changed. */
const ROUTER_FIELDS: Record<keyof LinuxRouterInput, true> = {
  name: true,
  interface: true,
  vrid: true,
  version: true,
  family: true,
  priority: true,
  advertIntervalCs: true,
  initialState: true,
  preempt: true,
  preemptDelayMs: true,
  preemptDelayMode: true,
  acceptMode: true,
  primaryAddress: true,
  virtualAddresses: true,
  excludedAddresses: true,
  auth: true,
  v3Ipv4PseudoHeader: true,
  unicastPeers: true,
  unicastFaultNoPeer: true,
  checkUnicastTtl: true,
  strictAddressList: true,
  announce: true,
  higherPrioritySendAdvert: true,
  lowerPriorityNoAdvert: true,
  downTimerAdverts: true,
  startupDelayMs: true,
  useVmac: true,
  useIpvlan: true,
  vmacXmitBase: true,
  routerAdverts: true,
  receiveBufferBytes: true,
  promoteSecondaries: true,
  dontTrackPrimary: true,
  trackSourceAddress: true,
  unicastTtl: true,
  multicastGroup: true,
  skipCheckAdvertAddresses: true,
  oldUnicastChecksum: true,
};
const INPUT_FIELDS: readonly string[] = [
  'routers',
  'vips',
  'logger',
  'scheduling',
  'splitBrain',
  'receiveBuffers',
  'netlinkBuffers',
  'nftables',
  'announceSpacing',
  'linkDelays',
  'polledLinks',
  'routes',
  'rules',
  'staticAddresses',
  'disableLocalIgmp',
];
const VIP_FIELDS: readonly string[] = [
  'interface',
  'address',
  'prefixLength',
  'label',
  'preferredLifetime',
  'noTrack',
  'useVmac',
];

/** How long to wait for an IPv6 link-local address to finish DAD before giving up on it. */
const LINK_LOCAL_DAD_WAIT_MS = 3000;
const LINK_LOCAL_POLL_MS = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shape checks that need no network: unknown fields (typos) are errors, not silently ignored. */
function checkShape(input: unknown): asserts input is LinuxEngineInput {
  if (!isRecord(input)) throw new ConfigError('config', 'must be an object with a "routers" list');
  for (const key of Object.keys(input)) {
    if (!INPUT_FIELDS.includes(key)) throw new ConfigError(key, unknownKeyMessage(key, INPUT_FIELDS));
  }
  if (input.scheduling !== undefined) checkProcessScheduling(input.scheduling);
  if (input.splitBrain !== undefined) checkSplitBrain(input.splitBrain);
  if (input.receiveBuffers !== undefined) checkReceiveBufferPolicy(input.receiveBuffers);
  if (input.netlinkBuffers !== undefined) checkNetlinkBuffers(input.netlinkBuffers);
  if (input.nftables !== undefined) checkNftables(input.nftables);
  if (input.announceSpacing !== undefined) checkAnnounceSpacing(input.announceSpacing);
  if (input.disableLocalIgmp !== undefined && typeof input.disableLocalIgmp !== 'boolean')
    throw new ConfigError('disableLocalIgmp', `must be true or false, got ${JSON.stringify(input.disableLocalIgmp)}`);
  if (input.linkDelays !== undefined) checkLinkDelays(input.linkDelays);
  if (input.polledLinks !== undefined) checkPolledLinks(input.polledLinks);
  if (!Array.isArray(input.routers) || input.routers.length === 0) {
    throw new ConfigError('routers', 'must be a non-empty list of routers');
  }
  const names = new Map<string, number>();
  input.routers.forEach((router: unknown, index) => {
    const where = `routers[${index}]`;
    if (!isRecord(router)) throw new ConfigError(where, 'must be an object');
    for (const key of Object.keys(router)) {
      if (!Object.hasOwn(ROUTER_FIELDS, key))
        throw new ConfigError(`${where}.${key}`, unknownKeyMessage(key, Object.keys(ROUTER_FIELDS)));
    }
    for (const field of ['name', 'interface'] as const) {
      if (typeof router[field] !== 'string' || (router[field] as string).trim() === '') {
        throw new ConfigError(`${where}.${field}`, `must be a non-empty string, got ${JSON.stringify(router[field])}`);
      }
    }
    const name = router.name as string;
    const first = names.get(name);
    if (first !== undefined)
      throw new ConfigError(`${where}.name`, `${JSON.stringify(name)} is also the name of routers[${first}]`);
    names.set(name, index);
    if (!Array.isArray(router.virtualAddresses))
      throw new ConfigError(`${where}.virtualAddresses`, 'must be a list of IP addresses');
    if (router.excludedAddresses !== undefined && !Array.isArray(router.excludedAddresses)) {
      throw new ConfigError(`${where}.excludedAddresses`, 'must be a list of IP addresses');
    }
  });
  if (input.vips !== undefined) {
    if (!Array.isArray(input.vips)) throw new ConfigError('vips', 'must be a list');
    input.vips.forEach((vip: unknown, index) => {
      if (!isRecord(vip)) throw new ConfigError(`vips[${index}]`, 'must be an object');
      for (const key of Object.keys(vip)) {
        if (!VIP_FIELDS.includes(key))
          throw new ConfigError(`vips[${index}].${key}`, unknownKeyMessage(key, VIP_FIELDS));
      }
      if (typeof vip.interface !== 'string') throw new ConfigError(`vips[${index}].interface`, 'must be a string');
      if (typeof vip.address !== 'string') throw new ConfigError(`vips[${index}].address`, 'must be a string');
      if (vip.noTrack !== undefined && typeof vip.noTrack !== 'boolean')
        throw new ConfigError(`vips[${index}].noTrack`, 'must be true or false');
    });
  }
  checkRoutesInput(input);
}

function routerFamily(router: LinuxRouterInput, where: string): IpFamily {
  if (router.family === 4 || router.family === 6) return router.family;
  const first = router.virtualAddresses[0];
  const family = typeof first === 'string' ? isIP(first) : 0;
  if (family === 4 || family === 6) return family;
  throw new ConfigError(
    `${where}.primaryAddress`,
    'not set, and the address family cannot be told from virtualAddresses[0]',
  );
}

/** Fills in primaryAddress from the interface: its primary IPv4, or its IPv6 link-local address. */
async function resolvePrimaryAddress(
  client: RtNetlinkClient,
  router: LinuxRouterInput,
  where: string,
  vipsOnInterface: ReadonlySet<string>,
): Promise<string> {
  const family = routerFamily(router, where);
  const field = `${where}.primaryAddress`;
  const deadline = Date.now() + LINK_LOCAL_DAD_WAIT_MS;
  for (;;) {
    let found;
    try {
      found = await getSourceAddresses(client, router.interface, vipsOnInterface);
    } catch (error) {
      if (hasCode(error, 'ENODEV')) {
        throw new ConfigError(field, `not set, and interface ${router.interface} does not exist to take it from`);
      }
      throw error;
    }
    if (family === 4) {
      if (found.ipv4 !== undefined) return found.ipv4;
      throw new ConfigError(
        field,
        `not set, and ${router.interface} has no IPv4 address (other than the VIPs) to send from`,
      );
    }
    if (found.ipv6LinkLocal === undefined) {
      throw new ConfigError(field, `not set, and ${router.interface} has no IPv6 link-local address (is it down?)`);
    }
    // A tentative address cannot be sent from yet; DAD takes about a second after the link comes up.
    if (!found.ipv6Tentative || Date.now() >= deadline) return found.ipv6LinkLocal;
    await new Promise((resolve) => setTimeout(resolve, LINK_LOCAL_POLL_MS));
  }
}

/** Checks that need the whole set: one router per (interface, family, VRID); every VipSpec used. */
function checkRouterSet(configs: readonly VirtualRouterConfig[], vips: readonly VipSpec[]): void {
  const seen = new Map<string, number>();
  configs.forEach((config, index) => {
    const key = `${config.interface}/${config.family}/${config.vrid}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigError(
        `routers[${index}].vrid`,
        `VRID ${config.vrid} on ${config.interface} (IPv${config.family}) is already used by routers[${first}]`,
      );
    }
    seen.set(key, index);
  });
  vips.forEach((vip, index) => {
    const canonical = canonicalAddress(vip.address);
    if (canonical === undefined) return; // LinuxAddressPort names this one
    const used = configs.some((c) => addressInterface(c, canonical.address) === vip.interface);
    if (!used) {
      throw new ConfigError(
        `vips[${index}].address`,
        `${vip.address} on ${vip.interface} is not a virtual or excluded address of any router`,
      );
    }
  });
}

/** The interfaces a router tracks for its addresses living elsewhere (keepalived: unless `no_track`). */
export function trackedAddressInterfaces(config: VirtualRouterConfig, vips: readonly LinuxVipSpec[]): string[] {
  const elsewhere = config.addressInterfaces ?? {};
  const untracked = new Set(
    vips
      .filter((v) => v.noTrack === true)
      .map((v) => `${v.interface} ${canonicalAddress(v.address)?.address ?? v.address}`),
  );
  const tracked = Object.entries(elsewhere)
    .filter(([address, iface]) => !untracked.has(`${iface} ${address}`))
    .map(([, iface]) => iface);
  return [...new Set(tracked)];
}

/** A VipSpec naming a VMAC router's configured interface is moved to the VMAC, where the VIP lives. */
function onVmac(
  vip: LinuxVipSpec,
  configs: readonly VirtualRouterConfig[],
  vmacs: readonly (VmacPlan | undefined)[],
): LinuxVipSpec {
  const canonical = canonicalAddress(vip.address);
  if (canonical === undefined) return vip;
  const index = configs.findIndex(
    (c, i) => vmacs[i]?.parent === vip.interface && addressInterface(c, canonical.address) === vmacs[i]!.name,
  );
  return index === -1 ? vip : { ...vip, interface: vmacs[index]!.name };
}

/**
 * Per router, its addresses that a VipSpec puts on another interface (keepalived `dev`). A VipSpec on
 * a router's own interface (or its VMAC's parent) is an ordinary one; one elsewhere belongs to the one
 * router holding that address, and an address may be put on one interface only.
 */
function addressPlacements(
  routers: readonly LinuxRouterInput[],
  vips: readonly LinuxVipSpec[],
): Record<string, string>[] {
  const owned = routers.map((router) => {
    const list = [...router.virtualAddresses, ...(router.excludedAddresses ?? [])];
    return new Set(list.map((text) => (typeof text === 'string' ? canonicalAddress(text)?.address : undefined)));
  });
  const placements = routers.map((): Record<string, string> => ({}));
  vips.forEach((vip, index) => {
    const address = canonicalAddress(vip.address)?.address;
    if (address === undefined) return; // LinuxAddressPort names this one
    const holders = routers.map((_, i) => i).filter((i) => owned[i]!.has(address));
    if (holders.some((i) => routers[i]!.interface === vip.interface || vmacParent(routers[i]!) === vip.interface))
      return;
    if (holders.length > 1) {
      const names = holders.map((i) => routers[i]!.name).join(', ');
      throw new ConfigError(
        `vips[${index}].interface`,
        `${vip.address} on ${vip.interface}: routers ${names} all hold it; say which by putting it on one router only`,
      );
    }
    if (holders.length === 0) return; // checkRouterSet names it
    const placed = placements[holders[0]!]!;
    const earlier = placed[address];
    if (earlier !== undefined && earlier !== vip.interface) {
      throw new ConfigError(
        `vips[${index}].interface`,
        `${vip.address} is put on both ${earlier} and ${vip.interface}`,
      );
    }
    placed[address] = vip.interface;
  });
  return placements;
}

/** The interface a router with useVmac is configured on (its VMAC's parent), if any. */
function vmacParent(router: LinuxRouterInput): string | undefined {
  const vmac = router.useVmac !== undefined && router.useVmac !== false;
  return vmac || router.useIpvlan !== undefined ? router.interface : undefined;
}

/** One router after the checks that need no network. */
export interface CheckedRouter {
  readonly input: LinuxRouterInput;
  /** Where errors about it point: `routers[i]`. */
  readonly where: string;
  readonly vmac: VmacPlan | undefined;
  /** The VMACs made for its addresses (VipSpecs with useVmac): src/daemon/address-vmacs.ts. */
  readonly extraVmacs: readonly VmacPlan[];
  /** Its configured interface's VIPs (all routers'), left out when picking a source address there. */
  readonly vipsOnInterface: ReadonlySet<string>;
  /** Its addresses living on another interface (from the VipSpecs). */
  readonly addressInterfaces: Readonly<Record<string, string>>;
  /** Router Advertisements while Master (`routerAdverts`), if on. */
  readonly routerAdverts: RouterAdvertPlan | undefined;
}

export interface CheckedInput {
  readonly routers: readonly CheckedRouter[];
  /** With a VMAC router's VipSpecs moved to its VMAC. */
  readonly vips: readonly LinuxVipSpec[];
  readonly announceSpacing: AnnounceSpacing | undefined;
}

function familyHint(router: LinuxRouterInput): IpFamily {
  if (router.family === 4 || router.family === 6) return router.family;
  const text = router.primaryAddress ?? router.virtualAddresses[0];
  return typeof text === 'string' && isIP(text) === 6 ? 6 : 4;
}

/** A stand-in source address, so that every other setting can be checked before the interface is read. */
function placeholderPrimary(router: LinuxRouterInput, where: string): string {
  return router.primaryAddress ?? (routerFamily(router, where) === 4 ? '0.0.0.1' : 'fe80::1');
}

/** Phase 1: everything that needs no network. Throws ConfigError naming the field. */
export function checkInput(input: LinuxEngineInput): CheckedInput {
  checkShape(input);
  const placements = addressPlacements(input.routers, input.vips ?? []);
  const vipsByInterface = new Map<string, Set<string>>();
  for (const router of input.routers) {
    const set = vipsByInterface.get(router.interface) ?? new Set<string>();
    for (const text of [...router.virtualAddresses, ...(router.excludedAddresses ?? [])]) {
      const canonical = typeof text === 'string' ? canonicalAddress(text) : undefined;
      if (canonical) set.add(canonical.address);
    }
    vipsByInterface.set(router.interface, set);
  }
  const configs: VirtualRouterConfig[] = [];
  const vmacs: (VmacPlan | undefined)[] = [];
  // The family only picks the numbering of a taken name; a wrong one is refused just below.
  const names = vmacNames(input.routers.map((router) => ({ ...withIpvlanName(router), family: familyHint(router) })));
  const addressVmacs = planAddressVmacs(input.routers, input.vips ?? [], names, familyHint);
  const routers = input.routers.map((router, index): CheckedRouter => {
    const where = `routers[${index}]`;
    const { useVmac, vmacXmitBase, promoteSecondaries } = router;
    if (promoteSecondaries !== undefined && typeof promoteSecondaries !== 'boolean')
      throw new ConfigError(
        `${where}.promoteSecondaries`,
        `must be true or false, got ${JSON.stringify(promoteSecondaries)}`,
      );
    const routerInput = coreFields(router);
    const addressInterfaces = { ...placements[index]!, ...addressVmacs.placements[index]! };
    const extraVmacs = addressVmacs.plans[index]!;
    const config = buildRouterConfig(
      { ...routerInput, addressInterfaces, primaryAddress: placeholderPrimary(router, where) },
      where,
    );
    const ipvlan = checkIpvlan(router.useIpvlan, config, where, useVmac);
    const vmac = ipvlan
      ? ipvlanPlan(config, names[index]!, ipvlan, where)
      : planVmac(useVmac, config, where, { xmitBase: vmacXmitBase, name: names[index] });
    vmacs.push(vmac);
    const placed = configOnVmac(config, vmac);
    configs.push(placed);
    const routerAdverts = planRouterAdverts(router.routerAdverts, placed, where);
    const vipsOnInterface = vipsByInterface.get(router.interface)!;
    return { input: router, where, vmac, extraVmacs, vipsOnInterface, addressInterfaces, routerAdverts };
  });
  checkVmacNames([...vmacs, ...addressVmacs.plans.flat()]);
  const vips = addressVmacs.vips.map((vip) => onVmac(vip, configs, vmacs));
  checkRouterSet(configs, vips);
  return { routers, vips, announceSpacing: input.announceSpacing };
}

/** For naming: an ipvlan is named as a VMAC is (vmacNames), its own name as useVmac's. */
function withIpvlanName(router: LinuxRouterInput): LinuxRouterInput {
  const { useIpvlan } = router;
  if (useIpvlan === undefined || typeof useIpvlan !== 'object' || useIpvlan === null) return router;
  return { ...router, useVmac: typeof useIpvlan.name === 'string' ? useIpvlan.name : true };
}

/** The ipvlan of a router with useIpvlan, as a VmacPlan (the VMAC path creates, reopens and removes it). */
function ipvlanPlan(config: VirtualRouterConfig, name: string, ipvlan: IpvlanSettings, where: string): VmacPlan {
  checkVmacName(name, config.interface, `${where}.useIpvlan.name`);
  const { name: router, vrid, family, interface: parent } = config;
  return { router, vrid, family, parent, name, mac: '', ipvlan };
}

/** Every VMAC a router needs: its own, then those of its addresses. */
export function vmacsOf(router: CheckedRouter): VmacPlan[] {
  return router.vmac === undefined ? [...router.extraVmacs] : [router.vmac, ...router.extraVmacs];
}

/** A router ready to run: its final configuration (on its VMAC, or with vmacXmitBase its VIPs there). */
export interface ResolvedRouter extends CheckedRouter {
  readonly config: VirtualRouterConfig;
  /** primaryAddress was read from the interface (and is followed there, see source-address.ts). */
  readonly resolved: boolean;
  /** Our own address, found in unicastPeers once primaryAddress was read from the interface, and left out. */
  readonly ownPeerDropped?: string;
}

/** A router without the fields only the Linux runtime reads (the core's buildRouterConfig refuses them). */
function coreFields(
  router: LinuxRouterInput,
): Omit<LinuxRouterInput, 'useVmac' | 'useIpvlan' | 'vmacXmitBase' | 'routerAdverts' | 'promoteSecondaries'> {
  const {
    useVmac: _useVmac,
    useIpvlan: _useIpvlan,
    vmacXmitBase: _vmacXmitBase,
    routerAdverts: _routerAdverts,
    promoteSecondaries: _promote,
    ...core
  } = router;
  return core;
}

/** Phase 2, per router: reads its interface for a primaryAddress left out (rejects with ConfigError if none). */
export async function resolveRouter(router: CheckedRouter, client: RtNetlinkClient): Promise<ResolvedRouter> {
  const { input, where, vmac } = router;
  const routerInput = coreFields(input);
  // keepalived: the ipvlan's address is the advert source unless the instance has one of its own.
  const primaryAddress =
    input.primaryAddress ??
    vmac?.ipvlan?.address ??
    (await resolvePrimaryAddress(client, input, where, router.vipsOnInterface));
  // One peer list for every node (OpenShift writes it so; keepalived runs it): the address we just read
  // from the interface is ourselves, not a peer. A primaryAddress given explicitly and also listed as a
  // peer is still refused by buildRouterConfig: that is a mistake in the file, not a shared list.
  const ownPeer =
    input.primaryAddress === undefined
      ? routerInput.unicastPeers?.find((peer) => canonicalAddress(peer)?.address === primaryAddress)
      : undefined;
  const unicastPeers =
    ownPeer === undefined ? routerInput.unicastPeers : routerInput.unicastPeers!.filter((peer) => peer !== ownPeer);
  if (unicastPeers !== undefined && unicastPeers.length === 0 && ownPeer !== undefined) {
    // An empty list would mean multicast: refuse rather than change the transport behind the user's back.
    throw new ConfigError(
      `${where}.unicastPeers`,
      `lists only our own address ${ownPeer} (read from ${input.interface}): no peer left`,
    );
  }
  const config = buildRouterConfig(
    {
      ...routerInput,
      ...(unicastPeers ? { unicastPeers } : {}),
      addressInterfaces: router.addressInterfaces,
      primaryAddress,
    },
    where,
  );
  return {
    ...router,
    // An IPv6 VMAC carries the advert source: adverts leave from the virtual MAC with that address.
    vmac: withSourceAddress(vmac, config.primaryAddress),
    config: configOnVmac(config, vmac),
    resolved: input.primaryAddress === undefined && vmac?.ipvlan?.address === undefined,
    ...(ownPeer !== undefined ? { ownPeerDropped: ownPeer } : {}),
  };
}
