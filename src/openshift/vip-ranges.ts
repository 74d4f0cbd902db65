// OPENSHIFT_HA_VIRTUAL_IPS: a comma list of single addresses and ranges. A range varies only the last
// IPv4 octet (`192.0.2.10-12`) or the last IPv6 hextet (`2001:db8::1f39-1f3b`, any case); the end may
// also be written as a whole address with the same first octets / hextets. Unlike the shipping wrapper,
// which strips characters it does not like and silently drops what it cannot read, every bad entry is
// an error naming it.

import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { IpFamily } from '../wire/types.js';
import { EnvError } from './errors.js';

export const VIRTUAL_IPS = 'OPENSHIFT_HA_VIRTUAL_IPS';

export interface Vip {
  readonly family: IpFamily;
  /** Canonical text (IPv6 lower case, compressed). */
  readonly address: string;
}

const EXPECTED =
  'a comma-separated list of IPv4 / IPv6 addresses and ranges such as 192.0.2.10-12 or 2001:db8::a-f (no prefix length, no spaces inside an entry)';

function bad(entry: string, why: string): EnvError {
  return new EnvError(VIRTUAL_IPS, entry, `${why}; expected ${EXPECTED}`);
}

function parseSingle(text: string, entry: string): Vip {
  if (text.includes('/')) throw bad(entry, 'a VIP takes no prefix length (it is added as /32 or /128)');
  if (isIPv4(text)) return { family: 4, address: ipaddr.IPv4.parse(text).toString() };
  if (isIPv6(text)) {
    const parsed = ipaddr.IPv6.parse(text);
    if (parsed.isIPv4MappedAddress()) throw bad(entry, 'write an IPv4-mapped address as plain IPv4');
    return { family: 6, address: parsed.toString() };
  }
  throw bad(entry, `${JSON.stringify(text)} is not an IP address`);
}

/** The last field of a range end: a decimal octet (IPv4) or a hex hextet (IPv6), or a whole address. */
function rangeEnd(start: Vip, endText: string, entry: string): number {
  if (start.family === 4) {
    if (/^\d{1,3}$/.test(endText)) {
      const value = Number(endText);
      if (value > 255) throw bad(entry, `range end ${endText} is above 255`);
      return value;
    }
    const end = parseSingle(endText, entry);
    const startOctets = ipaddr.IPv4.parse(start.address).octets;
    const endOctets = end.family === 4 ? ipaddr.IPv4.parse(end.address).octets : undefined;
    if (!endOctets || endOctets.slice(0, 3).join('.') !== startOctets.slice(0, 3).join('.')) {
      throw bad(entry, 'a range varies only the last octet: the end must be a number 0-255 or an address in the same /24');
    }
    return endOctets[3]!;
  }
  if (/^[0-9a-fA-F]{1,4}$/.test(endText)) return parseInt(endText, 16);
  const end = parseSingle(endText, entry);
  const startParts = ipaddr.IPv6.parse(start.address).parts;
  const endParts = end.family === 6 ? ipaddr.IPv6.parse(end.address).parts : undefined;
  if (!endParts || endParts.slice(0, 7).join(':') !== startParts.slice(0, 7).join(':')) {
    throw bad(entry, 'an IPv6 range varies only the last hextet: the end must be 1-4 hex digits or an address differing only there');
  }
  return endParts[7]!;
}

function expandRange(entry: string, startText: string, endText: string): Vip[] {
  const start = parseSingle(startText, entry);
  const last = rangeEnd(start, endText, entry);
  if (start.family === 4) {
    const octets = ipaddr.IPv4.parse(start.address).octets;
    const first = octets[3]!;
    if (last < first) throw bad(entry, `the range ends (${last}) before it starts (${first})`);
    return Array.from({ length: last - first + 1 }, (_, i) => ({
      family: 4 as const,
      address: [...octets.slice(0, 3), first + i].join('.'),
    }));
  }
  const parts = ipaddr.IPv6.parse(start.address).parts;
  const first = parts[7]!;
  if (last < first) throw bad(entry, `the range ends (${last.toString(16)}) before it starts (${first.toString(16)})`);
  return Array.from({ length: last - first + 1 }, (_, i) => ({
    family: 6 as const,
    address: new ipaddr.IPv6([...parts.slice(0, 7), first + i]).toString(),
  }));
}

function parseEntry(entry: string): Vip[] {
  if (/\s/.test(entry)) throw bad(entry, 'separate entries with commas');
  const dash = entry.indexOf('-');
  if (dash === -1) return [parseSingle(entry, entry)];
  if (entry.indexOf('-', dash + 1) !== -1) throw bad(entry, 'a range has one "-"');
  const startText = entry.slice(0, dash);
  const endText = entry.slice(dash + 1);
  if (startText === '' || endText === '') throw bad(entry, 'a range needs a start and an end');
  return expandRange(entry, startText, endText);
}

/** Every VIP in order of appearance; empty entries (a trailing comma) are skipped, duplicates refused. */
export function parseVirtualIps(value: string | undefined): Vip[] {
  if (value === undefined || value.trim() === '') {
    throw new EnvError(VIRTUAL_IPS, value, `required: ${EXPECTED}`);
  }
  const vips: Vip[] = [];
  const seen = new Set<string>();
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    for (const vip of parseEntry(entry)) {
      if (seen.has(vip.address)) throw bad(entry, `${vip.address} is listed more than once`);
      seen.add(vip.address);
      vips.push(vip);
    }
  }
  if (vips.length === 0) throw new EnvError(VIRTUAL_IPS, value, `no address in it: ${EXPECTED}`);
  return vips;
}
