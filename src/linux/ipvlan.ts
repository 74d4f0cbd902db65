// keepalived's use_ipvlan: the router runs on an l2 ipvlan made on its interface instead of a macvlan
// VMAC. Behaviour taken from keepalived 2.2.7 (vrrp_parser.c vrrp_ipvlan_handler, vrrp.c
// vrrp_complete_instance, vrrp_vmac.c netlink_link_add_ipvlan), not its code:
//   - an ipvlan shares its parent's MAC, so there is no virtual MAC: neighbours follow a new Master by
//     its GARPs / NAs, as without a VMAC;
//   - always mode l2 (frames, ARP and the VRRP group reach it); `bridge` (the default), `private` or
//     `vepa` are the ipvlan flags;
//   - named as a VMAC is (vrrp.<vrid>, then vrrp<n>.<vrid>; vmac_prefix), unless a name is given;
//   - the router runs on it: adverts are sent and received there, the VIPs live there;
//   - its address (`address`, with a prefix length) is added to it and is the advert source unless the
//     router has one of its own; an IPv4 ipvlan needs one (keepalived puts the instance in Fault for
//     good without it: refused here);
//   - IPv6 off on an IPv4 ipvlan unless the router has IPv6 excluded addresses; no other sysctl;
//   - no unicast peers: keepalived turns vmac_xmit_base on for them and then drops it as "only valid
//     with a vmac", leaving the unicast socket bound to an address the ipvlan does not have (its -t
//     fails): refused here.
// Removed at stop; one of the same name on the same parent left by a killed run is removed first;
// any other interface of that name is refused (EEXIST), as for a VMAC.

import { isIP } from 'node:net';
import { ConfigError } from '../model/config-error.js';
import type { IpFamily } from '../wire/types.js';
import type { IpvlanMode } from '../model/ipvlan-input.js';

/** What a VmacPlan of an ipvlan adds. */
export interface IpvlanSettings {
  readonly mode: IpvlanMode;
  readonly address?: string;
  readonly prefixLength?: number;
  /** IPv6 on the ipvlan (an IPv6 router, or an IPv4 one with IPv6 excluded addresses). */
  readonly ipv6: boolean;
}

const MODES: readonly IpvlanMode[] = ['bridge', 'private', 'vepa'];
const FIELDS: readonly string[] = ['name', 'address', 'mode'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `ADDRESS[/LEN]` split and checked; ConfigError naming `field`. */
function splitAddress(text: unknown, field: string): { address: string; family: IpFamily; prefixLength?: number } {
  if (typeof text !== 'string') throw new ConfigError(field, `must be an address, got ${JSON.stringify(text)}`);
  const [address, length, ...rest] = text.split('/');
  const kind = isIP(address!);
  if (kind === 0 || rest.length > 0) throw new ConfigError(field, `${JSON.stringify(text)} is not ADDRESS[/LEN]`);
  const family: IpFamily = kind === 4 ? 4 : 6;
  if (length === undefined) return { address: address!, family };
  const prefixLength = Number(length);
  if (!/^\d+$/.test(length) || prefixLength > (family === 4 ? 32 : 128))
    throw new ConfigError(field, `${JSON.stringify(text)}: the prefix length must be 0..${family === 4 ? 32 : 128}`);
  return { address: address!, family, prefixLength };
}

/**
 * Checks `useIpvlan` for a router and returns its settings, or undefined without one. ConfigError
 * names `<where>.useIpvlan...`.
 */
export function checkIpvlan(
  useIpvlan: unknown,
  router: {
    readonly family: IpFamily;
    readonly unicastPeers?: readonly string[];
    readonly excludedAddresses?: readonly string[];
  },
  where: string,
  useVmac: unknown,
): IpvlanSettings | undefined {
  const field = `${where}.useIpvlan`;
  if (useIpvlan === undefined) return undefined;
  if (!isRecord(useIpvlan)) throw new ConfigError(field, 'must be an object: { name?, address?, mode? }');
  const unknown = Object.keys(useIpvlan).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined) throw new ConfigError(`${field}.${unknown}`, `is not one of ${FIELDS.join(', ')}`);
  if (useVmac !== undefined && useVmac !== false)
    throw new ConfigError(field, 'and useVmac both make the interface the router runs on: choose one');
  if ((router.unicastPeers?.length ?? 0) > 0)
    throw new ConfigError(field, 'cannot be used with unicastPeers (keepalived 2.2.7 cannot either: its -t fails)');
  const mode = useIpvlan.mode ?? 'bridge';
  if (!MODES.includes(mode as IpvlanMode))
    throw new ConfigError(`${field}.mode`, `must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  const { name } = useIpvlan;
  if (name !== undefined && typeof name !== 'string')
    throw new ConfigError(`${field}.name`, `must be an interface name, got ${JSON.stringify(name)}`);
  const ipv6 = router.family === 6 || (router.excludedAddresses ?? []).some((a) => isIP(a.split('/')[0]!) === 6);
  if (useIpvlan.address === undefined) {
    if (router.family === 4)
      throw new ConfigError(
        `${field}.address`,
        'is required for an IPv4 router: the ipvlan needs an address to send from (keepalived puts such an instance in Fault)',
      );
    return { mode: mode as IpvlanMode, ipv6 };
  }
  const split = splitAddress(useIpvlan.address, `${field}.address`);
  if (split.family !== router.family)
    throw new ConfigError(
      `${field}.address`,
      `${split.address} is IPv${split.family}, the router is IPv${router.family}`,
    );
  return {
    mode: mode as IpvlanMode,
    address: split.address,
    ...(split.prefixLength !== undefined ? { prefixLength: split.prefixLength } : {}),
    ipv6,
  };
}
