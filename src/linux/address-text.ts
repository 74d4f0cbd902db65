// Address text in its one canonical form, the key every map of addresses uses, so that `2001:DB8::1`
// and `2001:db8:0::1` are one address.

import { isIP } from 'node:net';
import { formatIpv4, formatIpv6, parseAddress } from '../wire/address.js';
import type { IpFamily } from '../wire/types.js';

/** Canonical text and family, or undefined if `text` is not a plain IPv4/IPv6 address. */
export function canonicalAddress(text: string): { family: IpFamily; address: string } | undefined {
  const family = isIP(text);
  if (family !== 4 && family !== 6) return undefined;
  const parsed = parseAddress(text, family);
  if (!parsed) return undefined;
  return { family, address: family === 4 ? formatIpv4(parsed.bytes, 0) : formatIpv6(parsed.bytes, 0) };
}
