// Announcing VIPs on Linux: gratuitous ARP for IPv4, unsolicited Neighbor Advertisement for IPv6,
// through the raw-socket addon. The engine decides when and how many (keepalived's 5 at once and 5
// more after 5 s); this only sends `count` per address.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { sendGratuitousArp, sendUnsolicitedNa } from './raw-socket.js';

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
  const failures: string[] = [];
  let firstCode: string | undefined;
  let router: boolean | undefined;
  for (const address of addresses) {
    try {
      if (isIP(address) === 4) {
        sendGratuitousArp({ interface: iface, address, count });
      } else {
        router ??= ipv6Forwarding(iface);
        sendUnsolicitedNa({ interface: iface, address, count, router });
      }
    } catch (error) {
      const coded = error as Error & { code?: string };
      firstCode ??= coded.code ?? 'EIO';
      failures.push(`${address}: ${coded.message}`);
    }
  }
  if (failures.length > 0) {
    throw Object.assign(new Error(`announcing on ${iface} failed for ${failures.length} address(es): ${failures.join('; ')}`), {
      code: firstCode ?? 'EIO',
    });
  }
}
