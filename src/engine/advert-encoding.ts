// How a router's adverts become packets: its destinations (the multicast group or each unicast
// peer), their encode options and authentication, built once per configuration; and where its
// addresses live. Shared by the engine and its HeadStart collaborator, which encode the same way.

import type { RouterAction, VirtualRouterConfig } from '../core/types.js';
import { encodeAdvert, passwordToAuthData } from '../wire/codec.js';
import { AUTH_NONE, AUTH_SIMPLE_PASSWORD, VRRP_MULTICAST_V4, VRRP_MULTICAST_V6 } from '../wire/types.js';
import type { AdvertToEncode, EncodeOptions } from '../wire/types.js';
import type { OutgoingPacket } from './ports.js';

export type AdvertAction = Extract<RouterAction, { kind: 'sendAdvert' }>;

/** How a router's adverts are encoded and addressed; rebuilt when the router is reconfigured. */
export interface AdvertEncoding {
  readonly config: VirtualRouterConfig;
  /** The multicast group, or the unicast peers. */
  readonly destinations: readonly string[];
  /** Encode options per destination, built once: the v3 pseudo-header covers the actual destination. */
  readonly encodeOptions: readonly EncodeOptions[];
  /** The same with keepalived's old unicast checksum (224.0.0.18 in the pseudo-header). */
  readonly oldChecksumOptions: readonly EncodeOptions[];
  readonly authType: number;
  readonly authData: Uint8Array | undefined;
}

export function advertEncoding(config: VirtualRouterConfig): AdvertEncoding {
  const destinations =
    config.unicastPeers.length > 0
      ? config.unicastPeers
      : [config.multicastGroup ?? (config.family === 4 ? VRRP_MULTICAST_V4 : VRRP_MULTICAST_V6)];
  const encodeOptions = destinations.map((destinationAddress) => ({
    family: config.family,
    sourceAddress: config.primaryAddress,
    destinationAddress,
    v3Ipv4PseudoHeader: config.v3Ipv4PseudoHeader,
  }));
  return {
    config,
    destinations,
    encodeOptions,
    oldChecksumOptions: encodeOptions.map((options) => ({ ...options, pseudoHeaderDestination: VRRP_MULTICAST_V4 })),
    authType: config.auth.type === 'pass' ? AUTH_SIMPLE_PASSWORD : AUTH_NONE,
    authData: config.auth.type === 'pass' ? passwordToAuthData(config.auth.password) : undefined,
  };
}

/**
 * One packet per destination: the v3 pseudo-header checksum covers the actual destination address.
 * `periodic` marks a Master's periodic advert (OutgoingPacket.periodic).
 */
export function encodeAdvertPackets(
  encoding: AdvertEncoding,
  action: AdvertAction,
  periodic = false,
): OutgoingPacket[] {
  const config = encoding.config;
  const advert: AdvertToEncode = {
    version: config.version,
    vrid: action.vrid,
    priority: action.priority,
    advertIntervalCs: action.advertIntervalCs,
    addresses: action.addresses,
    authType: encoding.authType,
    authData: encoding.authData,
  };
  const { interface: iface, family, primaryAddress: sourceAddress } = config;
  // keepalived unicast_ttl: the TTL of adverts to unicast peers (the multicast group's stays 255).
  const ttl = config.unicastPeers.length > 0 ? config.unicastTtl : undefined;
  const optionsList = action.oldUnicastChecksum === true ? encoding.oldChecksumOptions : encoding.encodeOptions;
  return optionsList.map((options): OutgoingPacket => {
    const payload = encodeAdvert(advert, options);
    const destinationAddress = options.destinationAddress;
    if (ttl !== undefined) {
      return periodic
        ? { interface: iface, family, sourceAddress, destinationAddress, payload, ttl, periodic: true }
        : { interface: iface, family, sourceAddress, destinationAddress, payload, ttl };
    }
    // Two literals rather than a spread: this is the per-advert path.
    return periodic
      ? { interface: iface, family, sourceAddress, destinationAddress, payload, periodic: true }
      : { interface: iface, family, sourceAddress, destinationAddress, payload };
  });
}

/**
 * A router's addresses grouped by the interface each lives on (its own, or its keepalived `dev`), the
 * router's interface first; one group without building anything when no address lives elsewhere.
 */
export function addressesByInterface(
  config: VirtualRouterConfig,
  addresses: readonly string[],
): [string, readonly string[]][] {
  const elsewhere = config.addressInterfaces;
  if (elsewhere === undefined || !addresses.some((address) => Object.hasOwn(elsewhere, address)))
    return [[config.interface, addresses]];
  const groups = new Map<string, string[]>([[config.interface, []]]);
  for (const address of addresses) {
    const iface = Object.hasOwn(elsewhere, address) ? elsewhere[address]! : config.interface;
    const group = groups.get(iface);
    if (group === undefined) groups.set(iface, [address]);
    else group.push(address);
  }
  return [...groups].filter(([, group]) => group.length > 0);
}
