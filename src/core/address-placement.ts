// Where a router's addresses live. A router owns its VIPs and its excluded addresses
// (keepalived's virtual_ipaddress_excluded); each lives on the router's interface unless the
// configuration puts it on another (keepalived's `dev`, VirtualRouterConfig.addressInterfaces).
// The one place that answers "which interface holds this address": the core, the engine and the
// daemon all ask here.

import type { VirtualRouterConfig } from './types.js';

/** The VIPs, then the excluded addresses (keepalived adds its E-VIPs after the VIPs too). */
export function ownedAddresses(config: VirtualRouterConfig): readonly string[] {
  const excluded = config.excludedAddresses ?? [];
  return excluded.length === 0 ? config.virtualAddresses : [...config.virtualAddresses, ...excluded];
}

/** True when `address` (canonical text) is one of the router's VIPs or excluded addresses. */
export function ownsAddress(config: VirtualRouterConfig, address: string): boolean {
  return config.virtualAddresses.includes(address) || (config.excludedAddresses ?? []).includes(address);
}

/** The interface the router puts `address` on, or undefined when the address is not the router's. */
export function addressInterface(config: VirtualRouterConfig, address: string): string | undefined {
  return ownsAddress(config, address) ? interfaceOf(config, address) : undefined;
}

/** One of the router's addresses with the interface it lives on, to tell a move between interfaces from no change. */
export function placement(config: VirtualRouterConfig, address: string): string {
  return `${interfaceOf(config, address)} ${address}`;
}

/**
 * Some of a router's addresses grouped by the interface each lives on, the router's own interface
 * first and always there (its group may be empty); one group, built at no cost, when none lives elsewhere.
 */
export function addressesByInterface(
  config: VirtualRouterConfig,
  addresses: readonly string[] = ownedAddresses(config),
): Map<string, readonly string[]> {
  const elsewhere = config.addressInterfaces;
  if (elsewhere === undefined || !addresses.some((address) => Object.hasOwn(elsewhere, address)))
    return new Map([[config.interface, addresses]]);
  const groups = new Map<string, string[]>([[config.interface, []]]);
  for (const address of addresses) {
    const iface = interfaceOf(config, address);
    const group = groups.get(iface);
    if (group === undefined) groups.set(iface, [address]);
    else group.push(address);
  }
  return groups;
}

/** Where one of the router's own addresses lives. */
function interfaceOf(config: VirtualRouterConfig, address: string): string {
  const elsewhere = config.addressInterfaces;
  return elsewhere !== undefined && Object.hasOwn(elsewhere, address) ? elsewhere[address]! : config.interface;
}
