// keepalived's per-instance transport and tracking switches (issue 13): dont_track_primary,
// track_src_ip, unicast_ttl, mcast_dst_ip, old_unicast_checksum and skip_check_adv_addr, checked
// for buildRouterConfig.
// Each is left out of the result at its default, so a configuration without them reads (and
// compares) as before.

import ipaddr from 'ipaddr.js';
import type { VirtualRouterConfig } from '../core/types.js';
import type { IpFamily } from '../wire/types.js';
import { ConfigError, quoteValue } from './config-error.js';

export type WireOptionFields =
  | 'dontTrackPrimary'
  | 'trackSourceAddress'
  | 'unicastTtl'
  | 'multicastGroup'
  | 'skipCheckAdvertAddresses'
  | 'oldUnicastChecksum';

type WireOptionsInput = Partial<Pick<VirtualRouterConfig, WireOptionFields>>;

export function checkWireOptions(
  input: WireOptionsInput,
  family: IpFamily,
  field: (name: string) => string,
): Pick<VirtualRouterConfig, WireOptionFields> {
  const flag = (name: 'dontTrackPrimary' | 'trackSourceAddress' | 'skipCheckAdvertAddresses') => {
    const value = input[name] ?? false;
    if (typeof value !== 'boolean')
      throw new ConfigError(field(name), `must be true or false, got ${quoteValue(value)}`);
    return value;
  };
  const dontTrackPrimary = flag('dontTrackPrimary');
  const trackSourceAddress = flag('trackSourceAddress');
  const skipCheckAdvertAddresses = flag('skipCheckAdvertAddresses');
  const ttl = input.unicastTtl;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > 255))
    throw new ConfigError(field('unicastTtl'), `must be a whole number from 1 to 255, got ${quoteValue(ttl)}`);
  const group = input.multicastGroup === undefined ? undefined : checkGroup(input.multicastGroup, family, field);
  const checksum = input.oldUnicastChecksum ?? 'auto';
  if (checksum !== 'auto' && checksum !== 'always' && checksum !== 'never')
    throw new ConfigError(
      field('oldUnicastChecksum'),
      `must be 'auto', 'always' or 'never', got ${quoteValue(checksum)}`,
    );
  return {
    ...(dontTrackPrimary ? { dontTrackPrimary } : {}),
    ...(trackSourceAddress ? { trackSourceAddress } : {}),
    ...(skipCheckAdvertAddresses ? { skipCheckAdvertAddresses } : {}),
    ...(ttl !== undefined && ttl !== 255 ? { unicastTtl: ttl } : {}),
    ...(group !== undefined ? { multicastGroup: group } : {}),
    ...(checksum !== 'auto' ? { oldUnicastChecksum: checksum } : {}),
  };
}

/** The standard groups are left out (their canonical text), so a router that names one reads as before. */
const STANDARD_GROUP = { 4: '224.0.0.18', 6: 'ff02::12' } as const;

/** As keepalived 2.2.7's mcast_dst_ip: IPv4 any multicast address, IPv6 a link-local scoped one. */
function checkGroup(text: unknown, family: IpFamily, field: (name: string) => string): string | undefined {
  if (typeof text !== 'string' || !ipaddr.isValid(text))
    throw new ConfigError(field('multicastGroup'), `is not an IP address: ${quoteValue(text)}`);
  const address = ipaddr.parse(text);
  const groupFamily = address.kind() === 'ipv4' ? 4 : 6;
  if (groupFamily !== family)
    throw new ConfigError(field('multicastGroup'), `${text} is IPv${groupFamily}, the router is IPv${family}`);
  const canonical = address.toString();
  const bytes = address.toByteArray();
  const multicast = family === 4 ? bytes[0]! >= 224 && bytes[0]! <= 239 : bytes[0] === 0xff && (bytes[1]! & 0x0f) === 2;
  if (!multicast)
    throw new ConfigError(
      field('multicastGroup'),
      `${text} is not ${family === 4 ? 'a multicast address (224.0.0.0/4)' : 'a link-local multicast address (ff02::/16 scope)'}`,
    );
  return canonical === STANDARD_GROUP[family] ? undefined : canonical;
}
