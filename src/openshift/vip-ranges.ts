// OPENSHIFT_HA_VIRTUAL_IPS: a comma list of single addresses and ranges. A range varies only the last
// IPv4 octet (`192.0.2.10-12`) or the last IPv6 hextet (`2001:db8::1f39-1f3b`, any case); the end may
// also be written as a whole address with the same first octets / hextets. Unlike the shipping wrapper,
// which strips characters it does not like and silently drops what it cannot read, every bad entry is
// an error naming it. The value is hostile input: its length is bounded, ranges are counted before any
// is expanded, and every failure (ipaddr.js's own errors included) is an EnvError.

import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { IpFamily } from '../wire/types.js';
import { quoteValue } from '../model/config-error.js';
import { checkValueShape, EnvError } from './errors.js';

export const VIRTUAL_IPS = 'OPENSHIFT_HA_VIRTUAL_IPS';
/** An advert's count field holds at most 255 addresses, so one instance carries at most 255 VIPs. */
export const MAX_VIPS_PER_INSTANCE = 255;
/** Router ids 1-255: at most 255 instances on one interface, hence 255 x 255 VIPs in all. */
export const MAX_INSTANCES = 255;
export const MAX_VIPS = MAX_INSTANCES * MAX_VIPS_PER_INSTANCE;

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

/**
 * `text` as a plain address (canonical text), or why it is not one. Refused: a prefix length, a zone
 * index (`fe80::1%eth0`: an address is added to our one interface, the zone names none of it) and an
 * IPv4-mapped IPv6 address. Never throws.
 */
export function parsePlainAddress(text: string): Vip | { readonly problem: string } {
  if (text.includes('/')) return { problem: 'an address takes no prefix length' };
  if (text.includes('%'))
    return { problem: `${quoteValue(text)} carries a zone index ("%..."); write the address alone` };
  try {
    if (isIPv4(text)) return { family: 4, address: ipaddr.IPv4.parse(text).toString() };
    if (isIPv6(text)) {
      const parsed = ipaddr.IPv6.parse(text);
      if (parsed.isIPv4MappedAddress()) return { problem: 'write an IPv4-mapped address as plain IPv4' };
      return { family: 6, address: parsed.toString() };
    }
  } catch {
    // node:net and ipaddr.js disagree on some odd text; either refusing it is enough.
  }
  return { problem: `${quoteValue(text)} is not an IP address` };
}

/** ipaddr.js range names of addresses no node may claim, and how the message names them. */
const SPECIAL_USE: ReadonlyMap<string, string> = new Map([
  ['unspecified', 'the unspecified address'],
  ['loopback', 'a loopback address'],
  ['multicast', 'a multicast address'],
  ['broadcast', 'the broadcast address'],
]);

/** Why `vip` cannot be a node's unicast address (a VIP, a peer, a source), or undefined. */
export function specialUseProblem(vip: Vip): string | undefined {
  const what = SPECIAL_USE.get(ipaddr.parse(vip.address).range());
  return what === undefined ? undefined : `${vip.address} is ${what}, not an address a node can own`;
}

function parseSingle(text: string, entry: string): Vip {
  if (text.includes('/')) throw bad(entry, 'a VIP takes no prefix length (it is added as /32 or /128)');
  const parsed = parsePlainAddress(text);
  if ('problem' in parsed) throw bad(entry, parsed.problem);
  const problem = specialUseProblem(parsed);
  if (problem !== undefined) throw bad(entry, problem);
  return parsed;
}

/** One entry before expansion: the fixed leading fields and the first and last value of the varying one. */
interface VipRange {
  readonly entry: string;
  readonly start: Vip;
  readonly first: number;
  readonly last: number;
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
      throw bad(
        entry,
        'a range varies only the last octet: the end must be a number 0-255 or an address in the same /24',
      );
    }
    return endOctets[3]!;
  }
  if (/^[0-9a-fA-F]{1,4}$/.test(endText)) return parseInt(endText, 16);
  const end = parseSingle(endText, entry);
  const startParts = ipaddr.IPv6.parse(start.address).parts;
  const endParts = end.family === 6 ? ipaddr.IPv6.parse(end.address).parts : undefined;
  if (!endParts || endParts.slice(0, 7).join(':') !== startParts.slice(0, 7).join(':')) {
    throw bad(
      entry,
      'an IPv6 range varies only the last hextet: the end must be 1-4 hex digits or an address differing only there',
    );
  }
  return endParts[7]!;
}

function lastField(vip: Vip): number {
  return vip.family === 4 ? ipaddr.IPv4.parse(vip.address).octets[3]! : ipaddr.IPv6.parse(vip.address).parts[7]!;
}

/** Makes the addresses of a range: `start` with its last octet / hextet replaced (parsed once per range). */
function lastFieldReplacer(start: Vip): (value: number) => Vip {
  if (start.family === 4) {
    const prefix = ipaddr.IPv4.parse(start.address).octets.slice(0, 3).join('.');
    return (value) => ({ family: 4, address: `${prefix}.${value}` });
  }
  const leading = ipaddr.IPv6.parse(start.address).parts.slice(0, 7);
  // With a non-zero last hextet the text of the first seven does not depend on its value (it cannot join
  // a run of zeros), so it is built once: 65,025 VIPs cost string concatenations, not 65,025 formattings.
  const withOne = new ipaddr.IPv6([...leading, 1]).toString();
  const head = withOne.slice(0, -1);
  return (value) => ({
    family: 6,
    address: value === 0 ? new ipaddr.IPv6([...leading, 0]).toString() : head + value.toString(16),
  });
}

function parseEntry(entry: string): VipRange {
  if (/\s/.test(entry)) throw bad(entry, 'separate entries with commas');
  const dash = entry.indexOf('-');
  if (dash === -1) {
    const single = parseSingle(entry, entry);
    const value = lastField(single);
    return { entry, start: single, first: value, last: value };
  }
  if (entry.indexOf('-', dash + 1) !== -1) throw bad(entry, 'a range has one "-"');
  const startText = entry.slice(0, dash);
  const endText = entry.slice(dash + 1);
  if (startText === '' || endText === '') throw bad(entry, 'a range needs a start and an end');
  const start = parseSingle(startText, entry);
  const first = lastField(start);
  const last = rangeEnd(start, endText, entry);
  const hex = start.family === 6;
  if (last < first) {
    throw bad(
      entry,
      `the range ends (${hex ? last.toString(16) : last}) before it starts (${hex ? first.toString(16) : first})`,
    );
  }
  // The start was checked; a range may still end on a broadcast address (x.x.x.255 of 255.255.255.0/24).
  const problem = specialUseProblem(lastFieldReplacer(start)(last));
  if (problem !== undefined) throw bad(entry, problem);
  return { entry, start, first, last };
}

/** Every VIP in order of appearance; empty entries (a trailing comma) are skipped, duplicates refused. */
export function parseVirtualIps(value: string | undefined): Vip[] {
  if (value === undefined || value.trim() === '') {
    throw new EnvError(VIRTUAL_IPS, value, `required: ${EXPECTED}`);
  }
  checkValueShape(VIRTUAL_IPS, value);
  // Counted before anything is expanded: an IPv6 range spans up to 65,536 addresses, and many of them
  // must be refused in the time it takes to read the text, not after building every address.
  const ranges: VipRange[] = [];
  let total = 0;
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const range = parseEntry(entry);
    total += range.last - range.first + 1;
    if (total > MAX_VIPS) {
      throw new EnvError(
        VIRTUAL_IPS,
        value,
        `more than ${MAX_VIPS} VIPs by ${entry}; at most ${MAX_INSTANCES} instances (router ids) of ${MAX_VIPS_PER_INSTANCE} VIPs (an advert's count field) fit one interface`,
      );
    }
    ranges.push(range);
  }
  if (ranges.length === 0) throw new EnvError(VIRTUAL_IPS, value, `no address in it: ${EXPECTED}`);
  const vips: Vip[] = [];
  const seen = new Set<string>();
  for (const { entry, start, first, last } of ranges) {
    const addressWith = lastFieldReplacer(start);
    for (let field = first; field <= last; field++) {
      const vip = first === last ? start : addressWith(field);
      if (seen.has(vip.address)) throw bad(entry, `${vip.address} is listed more than once`);
      seen.add(vip.address);
      vips.push(vip);
    }
  }
  return vips;
}
