// What the environment reader needs to know about the node: its interfaces with their addresses, and
// the interface of the default route. Read once at start (rtnetlink for links and addresses,
// /proc/net/route and /proc/net/ipv6_route for the default route), then handed to the pure reader.

import { readFile } from 'node:fs/promises';
import type { RtNetlinkClient } from '../linux/netlink.js';
import type { IpFamily } from '../wire/types.js';

export interface NodeAddress {
  readonly family: IpFamily;
  readonly address: string;
  /** RT_SCOPE: 0 global, 253 link, 254 host. */
  readonly scope: number;
  readonly secondary: boolean;
}

export interface NodeInterface {
  readonly name: string;
  readonly addresses: readonly NodeAddress[];
}

export interface NodeNetwork {
  readonly interfaces: readonly NodeInterface[];
  /** Interface of the IPv4 default route, else of the IPv6 one. */
  readonly defaultRouteInterface: string | undefined;
}

/** The device of the first default route in /proc/net/route (destination and mask 00000000). */
export function defaultRouteFromProcRoute(text: string): string | undefined {
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 8 && fields[1] === '00000000' && fields[7] === '00000000') return fields[0];
  }
  return undefined;
}

/** The device of the first ::/0 route in /proc/net/ipv6_route that is not on lo. */
export function defaultRouteFromProcIpv6Route(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 10 && /^0{32}$/.test(fields[0]!) && fields[1] === '00' && fields[9] !== 'lo') return fields[9];
  }
  return undefined;
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

export async function readNodeNetwork(client: RtNetlinkClient): Promise<NodeNetwork> {
  const [links, addresses] = await Promise.all([client.listLinks(), client.listAddresses()]);
  const interfaces = links.map((link) => ({
    name: link.name,
    addresses: addresses
      .filter((a) => a.ifindex === link.ifindex)
      .map((a) => ({ family: a.family, address: a.address, scope: a.scope, secondary: a.flags.includes('secondary') })),
  }));
  const defaultRouteInterface =
    defaultRouteFromProcRoute(await readOrEmpty('/proc/net/route')) ??
    defaultRouteFromProcIpv6Route(await readOrEmpty('/proc/net/ipv6_route'));
  return { interfaces, defaultRouteInterface };
}
