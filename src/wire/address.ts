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

// Text of recently seen addresses, in direct-mapped caches keyed by the whole address: a LAN carries
// the same few VIPs in every advert, and handing back one flat string each time is cheaper than
// building a new one and cheaper for the core to compare. Each address has exactly one slot (a hash of
// its bytes), so a lookup is one comparison and a miss overwrites that slot: a sender of random
// addresses costs the text it makes us build and nothing more (no eviction walk, no allocation but the
// string), and cannot push one address's entry out more often than a colliding address arrives.
const TEXT_CACHE_SLOTS = 1024;
const TEXT_CACHE_MASK = TEXT_CACHE_SLOTS - 1;

const ipv4CacheKeys = new Uint32Array(TEXT_CACHE_SLOTS);
const ipv4CacheTexts: Array<string | undefined> = new Array<string | undefined>(TEXT_CACHE_SLOTS).fill(undefined);

/** Dotted quad of the 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset: number): string {
  const key =
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
  // Multiplicative hash: addresses of one subnet differ in their low bits, which must spread.
  const slot = (Math.imul(key, 0x9e3779b1) >>> 22) & TEXT_CACHE_MASK;
  const cached = ipv4CacheTexts[slot];
  if (cached !== undefined && ipv4CacheKeys[slot] === key) return cached;
  const text = buildIpv4Text(bytes, offset);
  ipv4CacheKeys[slot] = key;
  ipv4CacheTexts[slot] = text;
  return text;
}

const ipv6CacheKeys = new Uint8Array(TEXT_CACHE_SLOTS * 16);
const ipv6CacheTexts: Array<string | undefined> = new Array<string | undefined>(TEXT_CACHE_SLOTS).fill(undefined);

/** RFC 5952 text of the 16 bytes at `offset`. */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  let hash = 0;
  for (let byte = 0; byte < 16; byte += 4) {
    const word =
      (bytes[offset + byte]! << 24) |
      (bytes[offset + byte + 1]! << 16) |
      (bytes[offset + byte + 2]! << 8) |
      bytes[offset + byte + 3]!;
    hash = Math.imul(hash ^ word, 0x9e3779b1);
  }
  const slot = (hash >>> 22) & TEXT_CACHE_MASK;
  const cached = ipv6CacheTexts[slot];
  const base = slot * 16;
  if (cached !== undefined) {
    let byte = 15;
    // From the end: addresses on one link usually share their prefix and differ in the interface ID.
    while (byte >= 0 && ipv6CacheKeys[base + byte] === bytes[offset + byte]) byte--;
    if (byte < 0) return cached;
  }
  const text = buildIpv6Text(bytes, offset);
  for (let byte = 0; byte < 16; byte++) ipv6CacheKeys[base + byte] = bytes[offset + byte]!;
  ipv6CacheTexts[slot] = text;
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
