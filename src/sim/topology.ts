// From scenario nodes to router configurations: which (LAN, family, VRID) group a router is in, its
// primary address, its unicast peers, and the validated VirtualRouterConfig (keepalived's defaults).

import { buildRouterConfig } from '../model/router-config.js';
import type { VirtualRouterConfig } from '../core/types.js';
import type { NodeSpec, RouterSpec, Scenario } from './scenario.js';

/** The (LAN, family, VRID) a router competes in. */
export function groupName(node: NodeSpec, router: RouterSpec): string {
  const lan = node.interfaces.find((f) => f.name === router.interface)!.lan;
  return `${lan} IPv${router.family} VRID ${router.vrid}`;
}

function primaryAddressOf(node: NodeSpec, router: RouterSpec): string {
  const iface = node.interfaces.find((f) => f.name === router.interface)!;
  return (router.family === 4 ? iface.ipv4 : iface.ipv6)!;
}

/** Every router's group and address: unicast routers advertise to the rest of their group. */
export function groupMembers(scenario: Scenario): Map<string, { node: string; address: string }[]> {
  const members = new Map<string, { node: string; address: string }[]>();
  for (const node of scenario.nodes) {
    for (const router of node.routers) {
      const name = groupName(node, router);
      const list = members.get(name) ?? [];
      list.push({ node: node.name, address: primaryAddressOf(node, router) });
      members.set(name, list);
    }
  }
  return members;
}

export function buildConfig(
  node: NodeSpec,
  router: RouterSpec,
  unicastPeers: readonly string[],
  where: string,
): VirtualRouterConfig {
  return buildRouterConfig(
    {
      name: router.name,
      interface: router.interface,
      vrid: router.vrid,
      version: router.version,
      priority: router.priority,
      advertIntervalCs: router.advertIntervalMs / 10,
      preempt: router.preempt,
      preemptDelayMs: router.preemptDelayMs,
      preemptDelayMode: router.preemptDelayMode,
      initialState: router.initialState,
      primaryAddress: primaryAddressOf(node, router),
      virtualAddresses: router.vips,
      unicastPeers,
      higherPrioritySendAdvert: router.higherPrioritySendAdvert,
      ...(router.password === undefined ? {} : { auth: { type: 'pass', password: router.password } }),
    },
    where,
  );
}
