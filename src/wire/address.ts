// IP address text <-> bytes for the codec. Formatting runs per received packet, so it is hand-written
// (no ipaddr.js in the decode hot path) and produces exactly what ipaddr.js `toString()` does:
// dotted quad for IPv4, RFC 5952 for IPv6 (lower case, no leading zeros, the longest run of two or more
// zero groups as `::`, leftmost on ties, and no mixed IPv4 notation even for mapped addresses).
//
// Parsing runs on our own strings (configuration, and the addresses the socket layer reports in
// PacketMeta). The same few strings come back on every packet, so parsed results are memoised in a
// small bounded cache and ipaddr.js (used for IPv6 text) runs only on a miss. These caches, like the
// text caches below, memoise pure functions, so the codec stays deterministic.

import ipaddr from 'ipaddr.js';
import { sumWords } from './checksum.js';
import type { IpFamily } from './types.js';

/** Decimal text of each byte value, so an IPv4 address formats by table lookups. */
const DECIMAL_BYTE: readonly string[] = Array.from({ length: 256 }, (_, value) => String(value));

function buildIpv4Text(bytes: Uint8Array, offset: number): string {
  return (
    DECIMAL_BYTE[bytes[offset]!]! +
    '.' +
    DECIMAL_BYTE[bytes[offset + 1]!]! +
    '.' +
    DECIMAL_BYTE[bytes[offset + 2]!]! +
    '.' +
    DECIMAL_BYTE[bytes[offset + 3]!]!
  );
}

/**
 * Text of recently seen IPv4 addresses: a LAN carries the same few VIPs in every advert, and handing
 * back one flat string each time is cheaper than building a new one and cheaper for the core to
 * compare. Keyed by the first three bytes (a small integer, so the Map lookup allocates nothing),
 * then indexed by the last byte.
 */
const IPV4_PREFIX_LIMIT = 64;
const ipv4TextByPrefix = new Map<number, Array<string | undefined>>();

export function formatIpv4(bytes: Uint8Array, offset: number): string {
  const prefix = (bytes[offset]! << 16) | (bytes[offset + 1]! << 8) | bytes[offset + 2]!;
  let texts = ipv4TextByPrefix.get(prefix);
  if (texts === undefined) {
    if (ipv4TextByPrefix.size >= IPV4_PREFIX_LIMIT) ipv4TextByPrefix.delete(ipv4TextByPrefix.keys().next().value!);
    texts = new Array<string | undefined>(256).fill(undefined);
    ipv4TextByPrefix.set(prefix, texts);
  }
  const last = bytes[offset + 3]!;
  let text = texts[last];
  if (text === undefined) {
    text = buildIpv4Text(bytes, offset);
    texts[last] = text;
  }
  return text;
}

/** Recently formatted IPv6 addresses, most recent first, compared byte for byte before reuse. */
const RECENT_IPV6_LIMIT = 16;
const recentIpv6Bytes: Uint8Array[] = [];
const recentIpv6Text: string[] = [];

/** RFC 5952 text of the 16 bytes at `offset`. */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  for (let index = 0; index < recentIpv6Bytes.length; index++) {
    const candidate = recentIpv6Bytes[index]!;
    let byte = 15;
    // From the end: addresses on one link usually share their prefix and differ in the interface ID.
    while (byte >= 0 && candidate[byte] === bytes[offset + byte]) byte--;
    if (byte < 0) return recentIpv6Text[index]!;
  }
  const text = buildIpv6Text(bytes, offset);
  if (recentIpv6Bytes.length >= RECENT_IPV6_LIMIT) {
    recentIpv6Bytes.pop();
    recentIpv6Text.pop();
  }
  recentIpv6Bytes.unshift(bytes.slice(offset, offset + 16));
  recentIpv6Text.unshift(text);
  return text;
}

function buildIpv6Text(bytes: Uint8Array, offset: number): string {
  // Find the longest run of zero groups; a strict `>` keeps the leftmost run on ties.
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  for (let group = 0; group < 8; group++) {
    const at = offset + group * 2;
    if (bytes[at] === 0 && bytes[at + 1] === 0) {
      if (runStart < 0) runStart = group;
      const runLength = group - runStart + 1;
      if (runLength > bestLength) {
        bestLength = runLength;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  // RFC 5952 4.2.2: a single zero group is never shortened to `::`.
  if (bestLength < 2) bestStart = -1;

  let text = '';
  for (let group = 0; group < 8; group++) {
    if (group === bestStart) {
      text += '::';
      group += bestLength - 1;
      continue;
    }
    if (text.length > 0 && !text.endsWith(':')) text += ':';
    const at = offset + group * 2;
    text += ((bytes[at]! << 8) | bytes[at + 1]!).toString(16);
  }
  return text;
}

/** Strict dotted quad: four decimal parts 0..255 without leading zeros (so `010.0.0.1` is refused). */
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_TEXT = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

function parseIpv4Uncached(text: string): Uint8Array | undefined {
  const match = IPV4_TEXT.exec(text);
  if (match === null) return undefined;
  return Uint8Array.of(Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4]));
}

function parseIpv6Uncached(text: string): Uint8Array | undefined {
  // ipaddr.js accepts a zone index (`fe80::1%eth0`, as recvmsg reports link-local sources) and ignores it
  // for the bytes, which is what the pseudo-header needs.
  if (!text.includes(':')) return undefined;
  try {
    return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
  } catch {
    return undefined;
  }
}

/** A parsed address and the sum of its 16-bit words, the part of a pseudo-header sum it contributes. */
export interface ParsedAddress {
  readonly bytes: Uint8Array;
  readonly wordSum: number;
}

const CACHE_LIMIT = 512;
const ipv4Cache = new Map<string, ParsedAddress | null>();
const ipv6Cache = new Map<string, ParsedAddress | null>();

function remember(cache: Map<string, ParsedAddress | null>, text: string, value: ParsedAddress | null): void {
  // Evict the oldest entry (Maps iterate in insertion order) so odd inputs cannot grow the cache.
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(text, value);
}

/**
 * Parses `text` as an address of `family`, or returns undefined. Never throws. The returned object
 * is shared: callers must not modify its bytes.
 */
export function parseAddress(text: string, family: IpFamily): ParsedAddress | undefined {
  if (typeof text !== 'string' || (family !== 4 && family !== 6)) return undefined;
  const cache = family === 4 ? ipv4Cache : ipv6Cache;
  const cached = cache.get(text);
  if (cached !== undefined) return cached ?? undefined;
  const bytes = family === 4 ? parseIpv4Uncached(text) : parseIpv6Uncached(text);
  const parsed = bytes === undefined ? null : { bytes, wordSum: sumWords(bytes) };
  remember(cache, text, parsed);
  return parsed ?? undefined;
}

export function addressLength(family: IpFamily): 4 | 16 {
  return family === 4 ? 4 : 16;
}
