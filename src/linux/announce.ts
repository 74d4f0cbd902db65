// Announcing VIPs on Linux: gratuitous ARP for IPv4, unsolicited Neighbor Advertisement for IPv6,
// through the raw-socket addon. The engine decides when and how many (keepalived's 5 at once and 5
// more after 5 s); this only sends `count` per address, all addresses of one interface in one native
// call (sendmmsg batches on an AF_PACKET socket the addon keeps open per interface).

import { readFileSync } from 'node:fs';
import { loadNative } from './native.js';
import { codedError, errorCode } from '../errors.js';

/**
 * Whether the interface forwards IPv6. keepalived 2.2.7 sets the NA Router flag only then: a host
 * that does not route must not claim to be a router, or neighbours would use it as one.
 */
export function ipv6Forwarding(iface: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${iface}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** Sends `count` GARPs / NAs per address; tries every address, then throws one error naming each failure. */
export function announceVips(iface: string, addresses: readonly string[], count: number): void {
  if (addresses.length === 0) return;
  const router = addresses.some((address) => address.includes(':')) ? ipv6Forwarding(iface) : undefined;
  let result;
  try {
    result = loadNative().sendAnnouncements({
      interface: iface,
      addresses,
      count,
      ...(router === undefined ? {} : { router }),
    });
  } catch (error) {
    // The whole call failed (no such interface, not Ethernet, a malformed address): every address failed.
    const message = error instanceof Error ? error.message : String(error);
    throw codedError(
      errorCode(error) ?? 'EIO',
      `announcing on ${iface} failed for ${addresses.length} address(es): ${message}`,
    );
  }
  if (result.failures.length > 0) {
    const failures = result.failures.map((failure) => `${failure.address}: ${failure.error.message}`);
    throw Object.assign(
      new Error(`announcing on ${iface} failed for ${failures.length} address(es): ${failures.join('; ')}`),
      {
        code: result.failures[0]!.error.code ?? 'EIO',
      },
    );
  }
}
