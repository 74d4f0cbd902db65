// Steps of startLinuxEngine that need no runtime: resolving the routers, the main thread's scheduling,
// the host changes before the engine starts, and undoing exactly what a failed start had opened.

import type { VirtualRouterConfig } from '../core/types.js';
import type { AcceptModeFirewall } from '../linux/accept-mode-firewall.js';
import type { LinuxAddressPort } from '../linux/addresses.js';
import type { LinkWatcher } from '../linux/links.js';
import type { LocalIgmpReports } from '../linux/local-igmp.js';
import type { MacvlanClient } from '../linux/macvlan.js';
import type { RtNetlinkClient } from '../linux/netlink.js';
import type { LinuxPacketPort } from '../linux/packet-port.js';
import { applyProcessScheduling, describeScheduling, type AppliedScheduling } from '../linux/scheduling.js';
import type { VmacManager } from '../linux/vmac.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { announcePacer } from '../linux/announce-pacer.js';
import type { LinuxEngineInput } from '../model/runtime-input.js';
import { isDefaultScheduling } from '../model/scheduling.js';
import { resolveRouter, type CheckedRouter, type ResolvedRouter } from './check-input.js';
import {
  byInterface,
  closeFirewall,
  logOwnPeerDropped,
  prepareFirewall,
  releaseRouterHosts,
  removeLeftovers,
  restoreLocalIgmp,
  setUpRouterHost,
} from './host-setup.js';
import type { LinuxEngineHandle } from './handle.js';

/** What a start has opened so far: a failure closes exactly that (closeOpened). */
export interface OpenedAtStart {
  readonly logger: RuntimeLogger;
  readonly client: RtNetlinkClient;
  readonly macvlans: MacvlanClient;
  readonly vmacs: VmacManager;
  readonly firewall: AcceptModeFirewall;
  /** The routers of the start, whose host setup (VMAC, promote_secondaries) a failure undoes. */
  planned: readonly ResolvedRouter[];
  addressPort: LinuxAddressPort | undefined;
  watcher: LinkWatcher | undefined;
  packets: LinuxPacketPort | undefined;
  /** disable_local_igmp: set before the sockets join VRRP's group, restored by a failed start or the runtime's stop. */
  readonly localIgmp: LocalIgmpReports | undefined;
}

/** Closes what a failed start opened and removes the VMACs it planned; failures are logged. */
export async function closeOpened(opened: OpenedAtStart): Promise<void> {
  opened.packets?.close();
  opened.watcher?.close();
  opened.addressPort?.close();
  await closeFirewall(opened.firewall, opened.logger);
  await releaseRouterHosts(opened.vmacs, opened.planned, opened.logger);
  restoreLocalIgmp(opened.localIgmp, opened.logger);
  opened.macvlans.close();
  opened.client.close();
}

/** Each router resolved (primary address read from its interface if missing), in order. */
export async function resolveRouters(
  routers: readonly CheckedRouter[],
  client: RtNetlinkClient,
  logger: RuntimeLogger,
): Promise<ResolvedRouter[]> {
  const resolved: ResolvedRouter[] = [];
  for (const router of routers) {
    const one = await resolveRouter(router, client);
    logOwnPeerDropped(one, logger);
    resolved.push(one);
  }
  return resolved;
}

/** The main thread's scheduling as configured, if it is not the default; a refusal throws. */
export function scheduleMainThread(input: LinuxEngineInput, logger: RuntimeLogger): AppliedScheduling | undefined {
  if (isDefaultScheduling(input.scheduling)) return undefined;
  const applied = applyProcessScheduling(input.scheduling!);
  logger.info({ event: 'scheduling', ...applied }, `main thread scheduling: ${describeScheduling(applied)}`);
  return applied;
}

/**
 * The host changes before the link watcher starts: the planned VMACs (their sockets reopened), leftover
 * VIPs removed, the accept-mode table. Returns the routers' addresses by interface.
 */
export async function prepareHost(
  opened: OpenedAtStart,
  packets: LinuxPacketPort,
  addressPort: LinuxAddressPort,
  configs: readonly VirtualRouterConfig[],
): Promise<Map<string, string[]>> {
  const { logger } = opened;
  // A paced frame sent after its call returned has no caller to fail to: its failure is logged here
  // (the process's pacer: the last runtime started logs them).
  announcePacer.onDeferredError = (iface, address, error) =>
    logger.warn(
      { event: 'error', operation: 'announceVips', interface: iface, addresses: [address], error: errorFields(error) },
      `a paced announcement of ${address} on ${iface} failed`,
    );
  // A VMAC's socket found no interface before (or one left by a killed run, now replaced): reopen it.
  for (const router of opened.planned) {
    await setUpRouterHost(opened.vmacs, router, logger);
    if (router.vmac !== undefined) packets.reopen(router.vmac.name, false);
  }
  const vipsByInterface = byInterface(configs);
  for (const [iface, addresses] of vipsByInterface) await removeLeftovers(addressPort, iface, addresses, logger);
  await prepareFirewall(opened.firewall, configs, logger);
  return vipsByInterface;
}

/** The handle stops when the signal aborts (at once if it already has, during beforeStart). */
export function stopOnAbort(handle: LinuxEngineHandle, signal: AbortSignal, logger: RuntimeLogger): void {
  const stop = (): void =>
    void handle
      .stop()
      .catch((error: unknown) =>
        logger.error(
          { event: 'error', operation: 'stop', error: errorFields(error) },
          `stop on abort: ${String(error)}`,
        ),
      );
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
}
