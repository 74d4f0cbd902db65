// The runtime's dealings with the host at start, apply and stop that are the same each time: VIPs
// and drop tables left by a killed run, VMACs removed, and the lines that say so. Failures that must
// not stop a start or a stop are logged here, not thrown.

import { addressesByInterface, ownedAddresses, placement } from '../core/address-placement.js';
import type { VirtualRouterConfig } from '../core/types.js';
import { acceptModeInEffect } from '../core/virtual-router.js';
import type { AcceptModeFirewall } from '../linux/accept-mode-firewall.js';
import type { LinuxAddressPort } from '../linux/addresses.js';
import type { LocalIgmpReports } from '../linux/local-igmp.js';
import type { PacketPortError } from '../linux/packet-port.js';
import type { VmacManager, VmacPlan } from '../linux/vmac.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { vmacsOf, type ResolvedRouter } from './check-input.js';
import type { ApplyResult } from './handle.js';
import { hasCode } from '../errors.js';

/** Removes `vips` found on `iface` (left by a run killed before it cleaned up); failures are logged. */
export async function removeLeftovers(
  port: LinuxAddressPort,
  iface: string,
  vips: readonly string[],
  logger: RuntimeLogger,
): Promise<void> {
  if (vips.length === 0) return;
  try {
    const removed = await port.removeLeftoverVips(iface, vips);
    if (removed.length > 0) {
      logger.warn(
        { event: 'leftoverVipsRemoved', interface: iface, addresses: removed },
        `removed VIPs left on ${iface} by an earlier run that did not stop cleanly`,
      );
    }
  } catch (error) {
    if (!hasCode(error, 'ENODEV')) {
      logger.error(
        { event: 'error', operation: 'removeLeftoverVips', interface: iface, error: errorFields(error) },
        'could not remove leftover VIPs',
      );
    }
  }
}

/** The one line an apply ends with: what it did, by router name. */
export function logApplied(result: ApplyResult, logger: RuntimeLogger): void {
  const { unchanged, reconfigured, replaced, added, removed, failed } = result;
  logger.info(
    {
      event: 'applied',
      unchanged,
      reconfigured,
      replaced,
      added,
      removed,
      failed: failed.map((f) => ({ name: f.name, error: f.error.message })),
    },
    `configuration applied: ${unchanged.length} unchanged, ${reconfigured.length} reconfigured, ${replaced.length} replaced, ${added.length} added, ${removed.length} removed, ${failed.length} failed`,
  );
}

export function logOwnPeerDropped(router: ResolvedRouter, logger: RuntimeLogger): void {
  if (router.ownPeerDropped === undefined) return;
  logger.info(
    { event: 'notice', notice: 'own-unicast-peer', router: router.input.name, address: router.ownPeerDropped },
    `${router.input.name}: unicast peer ${router.ownPeerDropped} is this node's own address; not sending to it`,
  );
}

/**
 * Replaces the drop tables left by a killed run (their VIPs would stay unreachable) and, when some
 * router runs without accept mode, asks the kernel whether it would take ours (nft -c; made at the
 * first VIP, as keepalived does): without them such a router would accept traffic to its VIPs, so that
 * failure stops the start (a clear error, the host's changes undone). Other failures are logged.
 */
export async function prepareFirewall(
  firewall: AcceptModeFirewall,
  configs: readonly VirtualRouterConfig[],
  logger: RuntimeLogger,
): Promise<void> {
  const needed = configs.some((c) => !acceptModeInEffect(c));
  try {
    await firewall.removeLeftover();
    if (needed) await firewall.check();
  } catch (error) {
    // Without nft there can be no leftover table either: only a problem when a router needs it.
    if (!needed && hasCode(error, 'ENOENT')) return;
    if (needed) throw error;
    logger.error(
      { event: 'error', operation: 'removeAcceptModeTable', error: errorFields(error) },
      `could not remove leftover accept-mode tables ${firewall.settings.table}`,
    );
  }
}

export async function closeFirewall(firewall: AcceptModeFirewall, logger: RuntimeLogger): Promise<void> {
  try {
    await firewall.close();
  } catch (error) {
    logger.error(
      { event: 'error', operation: 'removeAcceptModeTable', error: errorFields(error) },
      `could not remove the accept-mode tables ${firewall.settings.table}`,
    );
  }
}

/**
 * What a router needs of the host before it starts: its VMAC, or promote_secondaries on its interface
 * (keepalived's; a failure there is logged, the router still starts, as keepalived's would).
 */
export async function setUpRouterHost(
  vmacs: VmacManager,
  router: ResolvedRouter,
  logger: RuntimeLogger,
): Promise<void> {
  for (const plan of vmacsOf(router)) await vmacs.create(plan);
  // keepalived ignores promote_secondaries with use_vmac (the reader warns).
  if (router.vmac !== undefined || router.input.promoteSecondaries !== true) return;
  const { name } = router.input;
  const iface = router.config.interface;
  try {
    if (vmacs.promoted.acquire(name, iface))
      logger.info(
        { event: 'promoteSecondaries', router: name, interface: iface, value: 1 },
        `${name}: promote_secondaries on for ${iface}`,
      );
  } catch (error) {
    logger.warn(
      { event: 'error', operation: 'promoteSecondaries', router: name, interface: iface, error: errorFields(error) },
      `${name}: could not turn promote_secondaries on for ${iface}`,
    );
  }
}

/** Undoes setUpRouterHost for routers that stop or leave: VMACs removed, promote_secondaries restored. */
export async function releaseRouterHosts(
  vmacs: VmacManager,
  routers: readonly ResolvedRouter[],
  logger: RuntimeLogger,
): Promise<void> {
  await removeVmacs(vmacs, routers.flatMap(vmacsOf), logger);
  for (const { input } of routers) {
    try {
      for (const iface of vmacs.promoted.release(input.name))
        logger.info(
          { event: 'promoteSecondaries', interface: iface, value: 0 },
          `promote_secondaries restored (off) for ${iface}`,
        );
    } catch (error) {
      logger.error(
        { event: 'error', operation: 'promoteSecondaries', router: input.name, error: errorFields(error) },
        `${input.name}: could not restore promote_secondaries`,
      );
    }
  }
}

/** Removes the VMACs this run created; a failure is logged, the others are still removed. */
/** The routers' own VMACs (not those made for their addresses), for the start log. */
export function ownVmacs(routers: readonly ResolvedRouter[]): VmacPlan[] {
  return routers.flatMap((router) => (router.vmac === undefined ? [] : [router.vmac]));
}

export async function removeVmacs(
  manager: VmacManager,
  plans: readonly VmacPlan[],
  logger: RuntimeLogger,
): Promise<void> {
  for (const plan of plans) {
    try {
      await manager.remove(plan);
    } catch (error) {
      logger.error(
        { event: 'error', operation: 'removeVmac', interface: plan.name, error: errorFields(error) },
        `could not remove VMAC ${plan.name}`,
      );
    }
  }
}

/** The start line: each router as it runs (a VMAC router with its parent). */
export function logStarted(
  logger: RuntimeLogger,
  configs: readonly VirtualRouterConfig[],
  vmacs: readonly VmacPlan[],
): void {
  const parentOf = new Map(vmacs.map((plan) => [plan.router, plan.parent]));
  logger.info(
    {
      event: 'started',
      routers: configs.map((c) => ({
        name: c.name,
        interface: c.interface,
        vrid: c.vrid,
        version: c.version,
        family: c.family,
        priority: c.priority,
        primaryAddress: c.primaryAddress,
        virtualAddresses: c.virtualAddresses,
        ...(c.excludedAddresses !== undefined ? { excludedAddresses: c.excludedAddresses } : {}),
        ...(c.addressInterfaces !== undefined ? { addressInterfaces: c.addressInterfaces } : {}),
        ...(parentOf.has(c.name) ? { vmacParent: parentOf.get(c.name) } : {}),
      })),
    },
    `running ${configs.length} virtual router(s)`,
  );
}

/** `interface address` of each of a router's addresses (VIPs and excluded) where it lives. */
export function placements(config: VirtualRouterConfig): string[] {
  return ownedAddresses(config).map((address) => placement(config, address));
}

/** The routers' addresses by the interface each lives on, each address once per interface. */
export function byInterface(configs: readonly VirtualRouterConfig[]): Map<string, string[]> {
  const groups = new Map<string, Set<string>>();
  for (const config of configs) {
    for (const [iface, addresses] of addressesByInterface(config)) {
      if (addresses.length === 0) continue;
      const group = groups.get(iface) ?? groups.set(iface, new Set()).get(iface)!;
      for (const address of addresses) group.add(address);
    }
  }
  return new Map([...groups].map(([iface, set]) => [iface, [...set]]));
}

/** The line for a VRRP socket's failure (LinuxPacketPort's onError). */
export function packetPortErrorLogger(logger: RuntimeLogger): (event: PacketPortError) => void {
  return (event) =>
    logger.error(
      {
        event: 'error',
        operation: event.operation,
        interface: event.interface,
        family: event.family,
        error: errorFields(event.error),
      },
      `VRRP socket ${event.operation} on ${event.interface} (IPv${event.family}): ${event.error.message}`,
    );
}

/** disable_local_igmp at start (src/linux/local-igmp.ts); a failure is logged and the start goes on, as in keepalived. */
export function disableLocalIgmp(igmp: LocalIgmpReports | undefined, logger: RuntimeLogger): void {
  if (igmp === undefined) return;
  try {
    const changed = igmp.disable();
    logger.info(
      { event: 'localIgmp', path: igmp.path, value: 0, changed },
      changed ? `disable_local_igmp: ${igmp.path} 1 -> 0` : `disable_local_igmp: ${igmp.path} was already 0`,
    );
  } catch (error) {
    logger.warn(
      { event: 'error', operation: 'disableLocalIgmp', path: igmp.path, error: errorFields(error) },
      `disable_local_igmp: could not set ${igmp.path} (the kernel may not have it); IGMP reports for link-local groups stay on`,
    );
  }
}

/** Undoes disableLocalIgmp at stop; a failure is logged. */
export function restoreLocalIgmp(igmp: LocalIgmpReports | undefined, logger: RuntimeLogger): void {
  try {
    if (igmp?.restore())
      logger.info({ event: 'localIgmp', path: igmp.path, value: 1 }, `disable_local_igmp: ${igmp.path} back to 1`);
  } catch (error) {
    logger.warn(
      { event: 'error', operation: 'restoreLocalIgmp', path: igmp?.path, error: errorFields(error) },
      `disable_local_igmp: could not set ${igmp?.path} back to 1`,
    );
  }
}
