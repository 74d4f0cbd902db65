// Receive checks for an advertisement the codec has already accepted (RFC 3768 7.1, RFC 9568 7.1,
// plus keepalived's unicast peer and own-packet checks). Each failure is a DropReason; nothing throws.
//
// This runs on every received packet, so everything that depends only on the configuration (the
// expected auth bytes, the peer set, the VIP set) is computed once per config and the per-packet path
// allocates nothing.

import type { DropReason, ReceivedAdvert, VirtualRouterConfig } from './types.js';
import {
  AUTH_NONE,
  AUTH_SIMPLE_PASSWORD,
  VRRP_MULTICAST_V4,
  VRRP_MULTICAST_V6,
  VRRP_TTL,
  type PacketMeta,
} from '../wire/types.js';
import { passwordToAuthData } from '../wire/codec.js';

/** What the receive checks need from a configuration, precomputed. */
export interface ReceiveChecks {
  readonly config: VirtualRouterConfig;
  readonly authType: number;
  /** 8 bytes for a v2 password, empty otherwise. */
  readonly authData: Uint8Array;
  readonly unicast: boolean;
  readonly peers: ReadonlySet<string>;
  readonly virtualAddresses: ReadonlySet<string>;
}

export function compileReceiveChecks(config: VirtualRouterConfig): ReceiveChecks {
  const password = config.version === 2 && config.auth.type === 'pass' ? config.auth.password : undefined;
  return {
    config,
    authType: password === undefined ? AUTH_NONE : AUTH_SIMPLE_PASSWORD,
    authData: password === undefined ? new Uint8Array(0) : passwordToAuthData(password),
    unicast: config.unicastPeers.length > 0,
    peers: new Set(config.unicastPeers),
    virtualAddresses: new Set(config.virtualAddresses),
  };
}

const compiledByConfig = new WeakMap<VirtualRouterConfig, ReceiveChecks>();

/** The precomputed checks for `config`, built on first use and kept as long as the config lives. */
export function receiveChecksFor(config: VirtualRouterConfig): ReceiveChecks {
  let checks = compiledByConfig.get(config);
  if (checks === undefined) {
    checks = compileReceiveChecks(config);
    compiledByConfig.set(config, checks);
  }
  return checks;
}

/** Why `advert` must be dropped by the router configured as `config`, or undefined to accept it. */
export function validateAdvert(advert: ReceivedAdvert, config: VirtualRouterConfig): DropReason | undefined {
  return checkAdvert(advert, receiveChecksFor(config));
}

/**
 * The checks in order: where the packet came from and how (TTL, version, family), whether it is
 * authentic (auth, own packet, unicast peer), then whether its contents make sense (count, interval,
 * address list). The first failure names the reason.
 */
export function checkAdvert(
  advert: ReceivedAdvert,
  checks: ReceiveChecks,
  checkAddressList = true,
): DropReason | undefined {
  const headerReason = checkAdvertHeader(advert, advert, advert.addresses.length, checks);
  if (headerReason !== undefined) return headerReason;
  const config = checks.config;
  // RFC 3768 7.1: a mismatching list is dropped unless it comes from the address owner (priority 255).
  // `checkAddressList` false: keepalived skip_check_adv_addr, the sender is the one last heard.
  if (checkAddressList && config.strictAddressList && advert.priority !== 255 && !addressListMatches(advert, checks))
    return 'address-list-mismatch';
  return undefined;
}

/** The fields of an advert the checks before the address list read. */
export type AdvertHeaderFields = Pick<ReceivedAdvert, 'version' | 'advertIntervalCs' | 'authType' | 'authData'>;

/**
 * Every check of checkAdvert that does not read the address list, in the same order: all of them but
 * the last (strict address list). A packet this rejects is rejected by checkAdvert for the same reason
 * whatever its addresses are, so the receive path (InterfaceDemux) runs this first and decodes the
 * addresses only of a packet it passes.
 */
export function checkAdvertHeader(
  advert: AdvertHeaderFields,
  meta: PacketMeta,
  addressCount: number,
  checks: ReceiveChecks,
): DropReason | undefined {
  const config = checks.config;

  // RFC 3768/9568 7.1: TTL / Hop Limit MUST be 255 (a router off-link cannot forge it). A unicast
  // advert is checked too unless checkUnicastTtl is off (a keepalived.conf router: keepalived 2.2.7
  // checks multicast adverts only). A router's own group (mcast_dst_ip) is multicast.
  if (
    meta.ttl !== VRRP_TTL &&
    (isMulticastDestination(meta.destinationAddress) ||
      meta.destinationAddress === config.multicastGroup ||
      config.checkUnicastTtl)
  ) {
    return 'ttl';
  }
  if (advert.version !== config.version) return 'version-mismatch';
  if (meta.family !== config.family) return 'family-mismatch';

  // RFC 3768 7.1 / 5.3.6: v2 authentication type and data must match ours. v3 has no authentication.
  if (config.version === 2) {
    if (advert.authType !== checks.authType) return 'auth-type-mismatch';
    if (checks.authType === AUTH_SIMPLE_PASSWORD && !sameBytes(advert.authData, checks.authData)) {
      return 'auth-data-mismatch';
    }
  }

  // Our own advert looped back by multicast; it says nothing about anyone else.
  if (meta.sourceAddress === config.primaryAddress) return 'own-packet';
  // Unicast mode: only configured peers may speak to us. (keepalived checks this only with
  // `check_unicast_src`; the configuration contract here makes it unconditional.)
  if (checks.unicast && !checks.peers.has(meta.sourceAddress)) return 'unknown-unicast-source';

  if (addressCount === 0) return 'zero-address-count';
  if (advert.advertIntervalCs === 0) return 'zero-interval';
  // RFC 3768 7.1: a v2 advert whose interval differs from ours MUST be discarded. (v3 only logs it,
  // and a Backup adopts the master's interval: see VirtualRouter.)
  if (config.version === 2 && advert.advertIntervalCs !== config.advertIntervalCs) return 'interval-mismatch';
  return undefined;
}

/**
 * keepalived old_unicast_checksum: a VRRPv3 IPv4 router that speaks unicast with the pseudo-header
 * takes adverts whose pseudo-header carries 224.0.0.18 instead of its address (keepalived 1.3.6 and
 * older, or a peer set to `old_unicast_checksum`), unless set to 'never'.
 */
export function takesOldUnicastChecksum(config: VirtualRouterConfig): boolean {
  return (
    config.version === 3 &&
    config.family === 4 &&
    config.v3Ipv4PseudoHeader &&
    config.unicastPeers.length > 0 &&
    config.oldUnicastChecksum !== 'never'
  );
}

/** Same set of virtual addresses as ours (order does not matter, as in keepalived). */
export function addressListMatches(advert: ReceivedAdvert, checks: ReceiveChecks): boolean {
  const addresses = advert.addresses;
  if (addresses.length !== checks.virtualAddresses.size) return false;
  for (let index = 0; index < addresses.length; index++) {
    if (!checks.virtualAddresses.has(addresses[index]!)) return false;
  }
  return true;
}

function isMulticastDestination(address: string): boolean {
  return address === VRRP_MULTICAST_V4 || address === VRRP_MULTICAST_V6;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) {
    if (a[index] !== b[index]) return false;
  }
  return true;
}
