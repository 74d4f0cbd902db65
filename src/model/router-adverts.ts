// The `routerAdverts` key of an IPv6 router (JSON configuration; keepalived.conf has no such keyword):
// off by default, as keepalived 2.2.7 sends no Router Advertisements; `true` or an object turns them on
// for the router while it is Master (RFC 9568 6.4.3). Bounds and defaults follow RFC 4861 6.2.1, with
// FRR vrrpd's 16 s as the maximum interval. Every mistake is a ConfigError naming the field.

import ipaddr from 'ipaddr.js';
import type { PrefixInformation } from '../wire/router-advert.js';
import type { IpFamily } from '../wire/types.js';
import { ConfigError, quoteValue } from './config-error.js';
import { firstUnknownKey, unknownKeyMessage } from './known-keys.js';

export interface RouterAdvertPrefixInput {
  /** An on-link prefix, e.g. "2001:db8:1::/64". */
  readonly prefix: string;
  /** L flag (default true). */
  readonly onLink?: boolean;
  /** A flag: hosts may autoconfigure addresses in it (default true). */
  readonly autonomous?: boolean;
  /** Default 2592000 (30 days, RFC 4861 AdvValidLifetime). */
  readonly validLifetimeS?: number;
  /** Default 604800 (7 days, RFC 4861 AdvPreferredLifetime); at most validLifetimeS. */
  readonly preferredLifetimeS?: number;
}

export interface RouterAdvertsInput {
  /** MaxRtrAdvInterval, 4 to 1800 s (default 16, as FRR vrrpd asks of zebra). */
  readonly maxIntervalS?: number;
  /** MinRtrAdvInterval, 3 s to 0.75 x maxIntervalS (default 0.33 x maxIntervalS). */
  readonly minIntervalS?: number;
  /** AdvDefaultLifetime, maxIntervalS to 9000 s (default 3 x maxIntervalS). */
  readonly routerLifetimeS?: number;
  /** AdvCurHopLimit, 0 (unspecified) to 255 (default 64). */
  readonly curHopLimit?: number;
  /** AdvLinkMTU, 1280 to 65535; left out, no MTU option. */
  readonly mtu?: number;
  readonly prefixes?: readonly RouterAdvertPrefixInput[];
}

export interface RouterAdvertsConfig {
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly routerLifetimeS: number;
  readonly curHopLimit: number;
  readonly mtu?: number;
  readonly prefixes: readonly PrefixInformation[];
}

const ADVERT_KEYS = ['maxIntervalS', 'minIntervalS', 'routerLifetimeS', 'curHopLimit', 'mtu', 'prefixes'];
const PREFIX_KEYS = ['prefix', 'onLink', 'autonomous', 'validLifetimeS', 'preferredLifetimeS'];
const DEFAULT_MAX_INTERVAL_S = 16;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function knownKeys(value: Record<string, unknown>, known: string[], field: string): void {
  const unknown = firstUnknownKey(value, known);
  if (unknown !== undefined) throw new ConfigError(`${field}.${unknown}`, unknownKeyMessage(unknown, known));
}

function numberIn(value: unknown, field: string, min: number, max: number, whole: boolean): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (whole && !Number.isInteger(value))
  )
    throw new ConfigError(
      field,
      `must be a ${whole ? 'whole ' : ''}number from ${min} to ${max}, got ${quoteValue(value)}`,
    );
  return value;
}

function flag(value: unknown, field: string): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new ConfigError(field, `must be true or false, got ${quoteValue(value)}`);
  return value;
}

function checkPrefix(value: unknown, field: string): PrefixInformation {
  if (!isRecord(value)) throw new ConfigError(field, 'must be an object with a "prefix" such as "2001:db8:1::/64"');
  knownKeys(value, PREFIX_KEYS, field);
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(String(value.prefix));
  } catch {
    throw new ConfigError(
      `${field}.prefix`,
      `is not an IPv6 prefix such as 2001:db8:1::/64: ${quoteValue(value.prefix)}`,
    );
  }
  const [address, length] = parsed;
  if (address.kind() !== 'ipv6' || address.range() === 'linkLocal' || address.range() === 'multicast')
    throw new ConfigError(
      `${field}.prefix`,
      `must be an IPv6 unicast prefix that is not link-local, got ${quoteValue(value.prefix)}`,
    );
  const validLifetimeS = numberIn(value.validLifetimeS ?? 2_592_000, `${field}.validLifetimeS`, 0, 0xffffffff, true);
  const preferredLifetimeS = numberIn(
    value.preferredLifetimeS ?? Math.min(604_800, validLifetimeS),
    `${field}.preferredLifetimeS`,
    0,
    validLifetimeS,
    true,
  );
  // The bits past the length are zeroed: the option carries the prefix, not an address in it.
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${length}`);
  return {
    prefix: Uint8Array.from(network.toByteArray()),
    length,
    onLink: flag(value.onLink, `${field}.onLink`),
    autonomous: flag(value.autonomous, `${field}.autonomous`),
    validLifetimeS,
    preferredLifetimeS,
  };
}

function checkPrefixes(value: unknown, field: string): PrefixInformation[] {
  if (value === undefined) return [];
  // 40 options keep the RA well inside a 1280-byte IPv6 minimum MTU.
  if (!Array.isArray(value) || value.length > 32) throw new ConfigError(field, 'must be a list of at most 32 prefixes');
  return value.map((prefix, index) => checkPrefix(prefix, `${field}[${index}]`));
}

/** The `routerAdverts` setting checked and with its defaults; undefined when off (left out or false). */
export function checkRouterAdverts(value: unknown, field: string): RouterAdvertsConfig | undefined {
  if (value === undefined || value === false) return undefined;
  const input: Record<string, unknown> = value === true ? {} : isRecord(value) ? value : {};
  if (value !== true && !isRecord(value))
    throw new ConfigError(field, `must be true, false or an object of settings, got ${quoteValue(value)}`);
  knownKeys(input, ADVERT_KEYS, field);
  const maxIntervalS = numberIn(input.maxIntervalS ?? DEFAULT_MAX_INTERVAL_S, `${field}.maxIntervalS`, 4, 1800, false);
  const minIntervalS = numberIn(
    input.minIntervalS ?? Math.max(3, 0.33 * maxIntervalS),
    `${field}.minIntervalS`,
    3,
    0.75 * maxIntervalS,
    false,
  );
  const routerLifetimeS = numberIn(
    input.routerLifetimeS ?? Math.min(9000, Math.ceil(3 * maxIntervalS)),
    `${field}.routerLifetimeS`,
    Math.ceil(maxIntervalS),
    9000,
    true,
  );
  const mtu = input.mtu === undefined ? undefined : numberIn(input.mtu, `${field}.mtu`, 1280, 65535, true);
  return {
    minIntervalMs: minIntervalS * 1000,
    maxIntervalMs: maxIntervalS * 1000,
    routerLifetimeS,
    curHopLimit: numberIn(input.curHopLimit ?? 64, `${field}.curHopLimit`, 0, 255, true),
    ...(mtu === undefined ? {} : { mtu }),
    prefixes: checkPrefixes(input.prefixes, `${field}.prefixes`),
  };
}

/**
 * The address RAs leave from: the router's first link-local VIP (RFC 9568 5.2.9 makes it the first
 * address; hosts drop an RA from anything but a link-local source, RFC 4861 6.1.2).
 */
export function routerAdvertSource(family: IpFamily, virtualAddresses: readonly string[], field: string): string {
  if (family !== 6) throw new ConfigError(field, 'Router Advertisements are for IPv6 routers only');
  const source = virtualAddresses.find((text) => ipaddr.isValid(text) && ipaddr.parse(text).range() === 'linkLocal');
  if (source === undefined)
    throw new ConfigError(field, 'needs a link-local virtual address (fe80::...) to send Router Advertisements from');
  return source;
}
