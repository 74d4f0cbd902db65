// Turns a partial, user-facing router description into the complete, validated VirtualRouterConfig
// that the core trusts. Defaults follow keepalived 2.2.7, so a configuration means the same thing here
// as it does there. Every mistake is a ConfigError naming the field.

import ipaddr from 'ipaddr.js';
import type { AnnounceConfig, AuthConfig, PreemptDelayMode, VirtualRouterConfig } from '../core/types.js';
import type { IpFamily, VrrpVersion } from '../wire/types.js';
import { routerReceiveBuffer } from './receive-buffers.js';
import { ConfigError, quoteValue } from './config-error.js';
import { firstUnknownKey, unknownKeyMessage } from './known-keys.js';
import { checkWireOptions } from './wire-options.js';

export type RouterConfigInput = Partial<Omit<VirtualRouterConfig, 'announce' | 'family'>> & {
  readonly name: string;
  readonly interface: string;
  readonly vrid: number;
  readonly primaryAddress: string;
  readonly virtualAddresses: readonly string[];
  readonly family?: IpFamily;
  readonly announce?: Partial<AnnounceConfig>;
};

/** keepalived's vrrp_garp_master_repeat / _delay / _refresh / _refresh_repeat defaults. */
export const DEFAULT_ANNOUNCE: AnnounceConfig = {
  repeat: 5,
  secondBurstDelayMs: 5000,
  refreshIntervalMs: 0,
  refreshRepeat: 1,
  lowerPriorityRepeat: 5,
  lowerPrioritySecondBurstDelayMs: 5000,
};

/** keepalived accepts preempt_delay up to 1000 s. */
const MAX_PREEMPT_DELAY_MS = 1_000_000;

/**
 * The primary address, and the family and version it implies or that the input gives; every mismatch
 * is a ConfigError naming its field.
 */
function checkFamilyAndVersion(
  input: RouterConfigInput,
  field: (name: string) => string,
): { primary: ipaddr.IPv4 | ipaddr.IPv6; family: IpFamily; version: VrrpVersion } {
  const primary = parseAddress(input.primaryAddress, field('primaryAddress'));
  const family: IpFamily = primary.kind() === 'ipv4' ? 4 : 6;
  if (input.family !== undefined && input.family !== family) {
    throw new ConfigError(
      field('family'),
      `is ${quoteValue(input.family)} but primaryAddress ${input.primaryAddress} is IPv${family}`,
    );
  }

  // RFC 9568 5.1.2.1: an IPv6 advert MUST come from the interface's link-local address (and the
  // tie-break compares those), so a global address here is a mistake, not a preference.
  if (family === 6 && primary.range() !== 'linkLocal') {
    throw new ConfigError(
      field('primaryAddress'),
      `${input.primaryAddress} is not link-local: IPv6 adverts are sent from the interface's fe80:: address (RFC 9568 5.1.2.1)`,
    );
  }

  const version: VrrpVersion = input.version ?? (family === 4 ? 2 : 3);
  if (version !== 2 && version !== 3) {
    throw new ConfigError(field('version'), `must be 2 or 3, got ${quoteValue(version)}`);
  }
  if (version === 2 && family === 6) {
    throw new ConfigError(field('version'), 'VRRPv2 is IPv4 only (RFC 3768); use version 3 for IPv6');
  }
  return { primary, family, version };
}

/** One to 255 addresses of the router's family (the advert's count field is a byte). */
function checkVirtualAddresses(list: unknown, family: IpFamily, field: string): string[] {
  const virtualAddresses = checkAddressList(list, family, field);
  if (virtualAddresses.length === 0) {
    throw new ConfigError(field, 'at least one virtual address is required');
  }
  if (virtualAddresses.length > 255) {
    throw new ConfigError(field, `at most 255 addresses fit the count field, got ${virtualAddresses.length}`);
  }
  return virtualAddresses;
}

export function buildRouterConfig(input: RouterConfigInput, where = 'router'): VirtualRouterConfig {
  const field = (name: string) => `${where}.${name}`;

  const name = requireText(input.name, field('name'));
  const iface = requireText(input.interface, field('interface'));
  const vrid = requireInteger(input.vrid, field('vrid'), 1, 255);

  const { primary, family, version } = checkFamilyAndVersion(input, field);

  const priority = requireInteger(input.priority ?? 100, field('priority'), 1, 255);
  const advertIntervalCs = checkAdvertInterval(input.advertIntervalCs ?? 100, version, field('advertIntervalCs'));

  const virtualAddresses = checkVirtualAddresses(input.virtualAddresses, family, field('virtualAddresses'));

  const excludedAddresses = checkAddressList(input.excludedAddresses ?? [], undefined, field('excludedAddresses'));
  excludedAddresses.forEach((address, index) => {
    if (virtualAddresses.includes(address))
      throw new ConfigError(`${field('excludedAddresses')}[${index}]`, `${address} is also a virtual address`);
  });
  const addressInterfaces = checkAddressInterfaces(
    input.addressInterfaces ?? {},
    iface,
    [...virtualAddresses, ...excludedAddresses],
    field('addressInterfaces'),
  );

  const primaryAddress = primary.toString();

  const auth = checkAuth(input.auth ?? { type: 'none' }, version, field('auth'));
  const preemptDelayMs = requireInteger(input.preemptDelayMs ?? 0, field('preemptDelayMs'), 0, MAX_PREEMPT_DELAY_MS);
  const preemptDelayMode: PreemptDelayMode = input.preemptDelayMode ?? 'keepalived';
  if (preemptDelayMode !== 'keepalived' && preemptDelayMode !== 'openshift') {
    throw new ConfigError(
      field('preemptDelayMode'),
      `must be 'keepalived' or 'openshift', got ${quoteValue(preemptDelayMode)}`,
    );
  }
  const initialState = input.initialState ?? 'Backup';
  if (initialState !== 'Backup' && initialState !== 'Master') {
    throw new ConfigError(field('initialState'), `must be 'Backup' or 'Master', got ${quoteValue(initialState)}`);
  }

  return {
    name,
    interface: iface,
    vrid,
    version,
    family,
    priority,
    advertIntervalCs,
    initialState,
    preempt: requireBoolean(input.preempt ?? true, field('preempt')),
    preemptDelayMs,
    preemptDelayMode,
    // keepalived without vrrp_strict answers on its VIPs, i.e. accept mode on.
    acceptMode: requireBoolean(input.acceptMode ?? true, field('acceptMode')),
    primaryAddress,
    virtualAddresses,
    // Left out when empty, so a configuration without them reads (and compares) as before.
    ...(excludedAddresses.length > 0 ? { excludedAddresses } : {}),
    ...(Object.keys(addressInterfaces).length > 0 ? { addressInterfaces } : {}),
    auth,
    v3Ipv4PseudoHeader: requireBoolean(input.v3Ipv4PseudoHeader ?? true, field('v3Ipv4PseudoHeader')),
    ...unicastSettings(input, family, primaryAddress, field),
    strictAddressList: requireBoolean(input.strictAddressList ?? false, field('strictAddressList')),
    // On, unlike keepalived's default: it costs one advert per multi-Master episode and closes the
    // "no GARP after a multi-master episode" failure (see VirtualRouterConfig.higherPrioritySendAdvert).
    higherPrioritySendAdvert: requireBoolean(input.higherPrioritySendAdvert ?? true, field('higherPrioritySendAdvert')),
    ...advertPolicy(input, field),
    ...routerReceiveBuffer(input.receiveBufferBytes, field('receiveBufferBytes')),
    ...checkWireOptions(input, family, field),
    announce: checkAnnounce(
      {
        ...DEFAULT_ANNOUNCE,
        ...knownKeysOnly(input.announce ?? {}, [...Object.keys(DEFAULT_ANNOUNCE), ...EXTRA_IF_KEYS], field('announce')),
      },
      field('announce'),
    ),
  };
}

/** The unicast peers (never ourselves), unicast_fault_no_peer and the unicast TTL check. */
function unicastSettings(
  input: RouterConfigInput,
  family: IpFamily,
  primaryAddress: string,
  field: (name: string) => string,
): Pick<VirtualRouterConfig, 'unicastPeers' | 'unicastFaultNoPeer' | 'checkUnicastTtl'> {
  const unicastPeers = checkAddressList(input.unicastPeers ?? [], family, field('unicastPeers'));
  if (unicastPeers.includes(primaryAddress)) {
    throw new ConfigError(field('unicastPeers'), `contains our own primaryAddress ${primaryAddress}`);
  }
  const faultNoPeer = requireBoolean(input.unicastFaultNoPeer ?? false, field('unicastFaultNoPeer'));
  return {
    unicastPeers,
    // Left out when off, so a configuration without it reads (and compares) as before.
    ...(faultNoPeer ? { unicastFaultNoPeer: true } : {}),
    checkUnicastTtl: requireBoolean(input.checkUnicastTtl ?? true, field('checkUnicastTtl')),
  };
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(field, `must be a non-empty string, got ${quoteValue(value)}`);
  }
  return value;
}

function requireInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `must be a whole number from ${min} to ${max}, got ${quoteValue(value)}`);
  }
  return value;
}

function requireBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(field, `must be true or false, got ${quoteValue(value)}`);
  return value;
}

function parseAddress(text: unknown, field: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (typeof text !== 'string' || !ipaddr.isValid(text)) {
    throw new ConfigError(field, `is not an IP address: ${quoteValue(text)}`);
  }
  const address = ipaddr.parse(text);
  // An IPv4-mapped IPv6 address would make a family mismatch look legitimate; take the plain form.
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    throw new ConfigError(field, `write IPv4-mapped ${text} as a plain IPv4 address`);
  }
  return address;
}

/** Each address living on another interface must be one of the router's; the router's own interface is left out. */
function checkAddressInterfaces(
  map: unknown,
  iface: string,
  owned: readonly string[],
  field: string,
): Record<string, string> {
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw new ConfigError(field, 'must be an object of address -> interface');
  const checked: Record<string, string> = {};
  for (const [text, target] of Object.entries(map)) {
    const address = parseAddress(text, `${field}.${text}`).toString();
    if (!owned.includes(address))
      throw new ConfigError(`${field}.${text}`, `${text} is not one of the router's virtual or excluded addresses`);
    const name = requireText(target, `${field}.${text}`);
    if (name !== iface) checked[address] = name;
  }
  return checked;
}

/** Canonical addresses, each once; all of `family` unless it is undefined (excluded addresses may be either). */
function checkAddressList(list: unknown, family: IpFamily | undefined, field: string): string[] {
  if (!Array.isArray(list)) throw new ConfigError(field, 'must be a list of IP addresses');
  const seen = new Set<string>();
  return list.map((text, index) => {
    const address = parseAddress(text, `${field}[${index}]`);
    const addressFamily = address.kind() === 'ipv4' ? 4 : 6;
    if (family !== undefined && addressFamily !== family) {
      throw new ConfigError(
        `${field}[${index}]`,
        `${text as string} is IPv${addressFamily}, the router is IPv${family}`,
      );
    }
    const canonical = address.toString();
    if (seen.has(canonical)) throw new ConfigError(`${field}[${index}]`, `${canonical} is listed twice`);
    seen.add(canonical);
    return canonical;
  });
}

function checkAdvertInterval(intervalCs: unknown, version: VrrpVersion, field: string): number {
  if (version === 2) {
    // v2 carries whole seconds, 1..255.
    const cs = requireInteger(intervalCs, field, 100, 25500);
    if (cs % 100 !== 0) {
      throw new ConfigError(field, `VRRPv2 advertises whole seconds; ${cs} cs is not a multiple of 100`);
    }
    return cs;
  }
  return requireInteger(intervalCs, field, 1, 4095);
}

/** `value` itself, once none of its keys is unknown (a misspelt one is named with the nearest known key). */
function knownKeysOnly<T extends object>(value: T, known: readonly string[], field: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(field, 'must be an object');
  const key = firstUnknownKey(value, known);
  if (key !== undefined) throw new ConfigError(`${field}.${key}`, unknownKeyMessage(key, known));
  return value;
}

function checkAuth(auth: AuthConfig, version: VrrpVersion, field: string): AuthConfig {
  switch (auth.type) {
    case 'none':
      return knownKeysOnly(auth, ['type'], field);
    case 'pass':
      knownKeysOnly(auth, ['type', 'password'], field);
      if (version !== 2) throw new ConfigError(field, 'VRRPv3 has no authentication (RFC 5798 9.1); remove it');
      requireText(auth.password, `${field}.password`);
      return { type: 'pass', password: auth.password };
    default:
      throw new ConfigError(
        field,
        `unsupported authentication ${quoteValue((auth as { type: unknown }).type)}: use 'none' or 'pass' (IP AH was removed from VRRP by RFC 3768)`,
      );
  }
}

function checkAnnounce(announce: AnnounceConfig, field: string): AnnounceConfig {
  return {
    repeat: requireInteger(announce.repeat, `${field}.repeat`, 0, 10_000),
    secondBurstDelayMs: requireInteger(announce.secondBurstDelayMs, `${field}.secondBurstDelayMs`, 0, 86_400_000),
    refreshIntervalMs: requireInteger(announce.refreshIntervalMs, `${field}.refreshIntervalMs`, 0, 86_400_000),
    refreshRepeat: requireInteger(announce.refreshRepeat, `${field}.refreshRepeat`, 1, 10_000),
    lowerPriorityRepeat: requireInteger(announce.lowerPriorityRepeat, `${field}.lowerPriorityRepeat`, 0, 10_000),
    lowerPrioritySecondBurstDelayMs: requireInteger(
      announce.lowerPrioritySecondBurstDelayMs,
      `${field}.lowerPrioritySecondBurstDelayMs`,
      0,
      86_400_000,
    ),
    ...extraInterfaces(announce, field),
  };
}

const EXTRA_IF_KEYS = ['extraInterfaceIntervalMs', 'extraInterfaces'];

/** keepalived garp_extra_if: both or neither, left out when off so a configuration reads as before. */
function extraInterfaces(
  announce: AnnounceConfig,
  field: string,
): Pick<AnnounceConfig, 'extraInterfaceIntervalMs' | 'extraInterfaces'> {
  const intervalMs = requireInteger(
    announce.extraInterfaceIntervalMs ?? 0,
    `${field}.extraInterfaceIntervalMs`,
    0,
    86_400_000,
  );
  const list: unknown = announce.extraInterfaces ?? [];
  if (!Array.isArray(list) || list.some((name) => typeof name !== 'string' || name === '' || name.length > 15))
    throw new ConfigError(`${field}.extraInterfaces`, `must be a list of interface names, got ${quoteValue(list)}`);
  if (intervalMs === 0 || list.length === 0) return {};
  return { extraInterfaceIntervalMs: intervalMs, extraInterfaces: [...new Set(list as string[])] };
}

/** keepalived's vrrp_startup_delay is at most UINT_MAX / TIMER_HZ seconds. */
const MAX_STARTUP_DELAY_MS = 4_294_000;

/**
 * keepalived's lower_prio_no_advert, down_timer_adverts (1..100) and vrrp_startup_delay, left out at
 * their defaults (off, the RFC's 3, none) so a configuration without them reads (and compares) as before.
 */
function advertPolicy(
  input: RouterConfigInput,
  field: (name: string) => string,
): Pick<VirtualRouterConfig, 'lowerPriorityNoAdvert' | 'downTimerAdverts' | 'startupDelayMs'> {
  const noAdvert = requireBoolean(input.lowerPriorityNoAdvert ?? false, field('lowerPriorityNoAdvert'));
  const adverts = requireInteger(input.downTimerAdverts ?? 3, field('downTimerAdverts'), 1, 100);
  const delayMs = requireInteger(input.startupDelayMs ?? 0, field('startupDelayMs'), 0, MAX_STARTUP_DELAY_MS);
  return {
    ...(noAdvert ? { lowerPriorityNoAdvert: true } : {}),
    ...(adverts !== 3 ? { downTimerAdverts: adverts } : {}),
    ...(delayMs > 0 ? { startupDelayMs: delayMs } : {}),
  };
}
