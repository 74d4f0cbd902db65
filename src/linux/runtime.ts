// The Linux runtime: an Engine on real ports (raw VRRP sockets, rtnetlink VIPs, GARP / NA) plus the
// link watcher that feeds it interface state. `startLinuxEngine` is what bin/vrrp-engine runs.
//
// Order at start, so that a mistake never half-configures a host:
//   1. validate the input (ConfigError naming the field), reading the interfaces only to fill in a
//      missing primaryAddress;
//   2. open the sockets (without CAP_NET_RAW this fails, and the host is still as it was);
//   3. create the virtual MAC interfaces of routers with useVmac (vmac.ts);
//   4. remove VIPs left by a run that was killed before it could clean up (as keepalived does);
//   5. watch links and start the engine; a missing or down interface puts its routers in Fault at once.
// A router with useVmac runs on its VMAC: the engine's configuration names the VMAC as its interface
// (adverts, VIPs and GARPs go there, and its link state follows the parent's), while its source
// address is read from, and followed on, the configured interface.
// While running, a VIP that disappears from a Master (someone ran `ip addr del`) is put back, see
// vip-guard.ts for how that compares with keepalived 2.2.7.

import { isIP } from 'node:net';
import { buildRouterConfig, type RouterConfigInput } from '../config/router-config.js';
import { ConfigError } from '../config/errors.js';
import type { RouterSnapshot, VirtualRouterConfig } from '../core/types.js';
import { Engine } from '../engine/engine.js';
import type { EngineCounters } from '../engine/events.js';
import { preciseTime } from './precise-time.js';
import { warmUpProtocolPaths } from '../engine/warm-up.js';
import type { IpFamily } from '../wire/types.js';
import { LinuxAddressPort, canonicalAddress, type VipSpec } from './addresses.js';
import { announceVips } from './announce.js';
import { errorFields, logEngineEvents, type RuntimeLogger } from './event-log.js';
import { getSourceAddresses, LinkWatcher } from './links.js';
import { RtNetlinkClient, type NetlinkError } from './netlink.js';
import { MacvlanClient } from './macvlan.js';
import { LinuxPacketPort, type PacketPortError } from './packet-port.js';
import { SourceAddressTracker } from './source-address.js';
import { VipGuard, vipPrefixLengths } from './vip-guard.js';
import { checkVmacNames, planVmac, VmacManager, type VmacPlan } from './vmac.js';

export type { RuntimeLogger } from './event-log.js';

/** A router as the runtime takes it: primaryAddress may be left out and is then read from the interface. */
export type LinuxRouterInput = Omit<RouterConfigInput, 'primaryAddress'> & {
  readonly primaryAddress?: string;
  /**
   * keepalived's use_vmac: true runs the router on a macvlan `vrrp.<vrid>` with MAC
   * 00:00:5e:00:01:<vrid>; a string names the macvlan instead (at most 15 characters). IPv4 only.
   */
  readonly useVmac?: boolean | string;
};

export interface LinuxEngineInput {
  readonly routers: readonly LinuxRouterInput[];
  /** Prefix length / label / preferred lifetime per VIP; VIPs not listed are /32 or /128. */
  readonly vips?: readonly VipSpec[];
  /** pino or anything with the same methods; without one the runtime logs nothing. */
  readonly logger?: RuntimeLogger;
}

export interface LinuxEngineHandle {
  readonly engine: Engine;
  /** The validated routers, primary addresses filled in. */
  readonly routers: readonly VirtualRouterConfig[];
  /** Graceful: priority-0 adverts from Masters, VIPs removed, sockets and watcher closed. Idempotent. */
  stop(): Promise<void>;
  snapshot(): RouterSnapshot[];
  counters(): EngineCounters;
}

/** Every field a router may have; a compile error here means RouterConfigInput changed. */
const ROUTER_FIELDS: Record<keyof LinuxRouterInput, true> = {
  name: true,
  interface: true,
  vrid: true,
  version: true,
  family: true,
  priority: true,
  advertIntervalCs: true,
  initialState: true,
  preempt: true,
  preemptDelayMs: true,
  preemptDelayMode: true,
  acceptMode: true,
  primaryAddress: true,
  virtualAddresses: true,
  auth: true,
  v3Ipv4PseudoHeader: true,
  unicastPeers: true,
  checkUnicastTtl: true,
  strictAddressList: true,
  announce: true,
  higherPrioritySendAdvert: true,
  useVmac: true,
};
const INPUT_FIELDS = new Set(['routers', 'vips', 'logger']);
const VIP_FIELDS = new Set(['interface', 'address', 'prefixLength', 'label', 'preferredLifetime']);

/** How long to wait for an IPv6 link-local address to finish DAD before giving up on it. */
const LINK_LOCAL_DAD_WAIT_MS = 3000;
const LINK_LOCAL_POLL_MS = 100;

const silentLogger: RuntimeLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shape checks that need no network: unknown fields (typos) are errors, not silently ignored. */
function checkShape(input: unknown): asserts input is LinuxEngineInput {
  if (!isRecord(input)) throw new ConfigError('config', 'must be an object with a "routers" list');
  for (const key of Object.keys(input)) {
    if (!INPUT_FIELDS.has(key)) throw new ConfigError(key, `unknown field (expected ${[...INPUT_FIELDS].join(', ')})`);
  }
  if (!Array.isArray(input.routers) || input.routers.length === 0) {
    throw new ConfigError('routers', 'must be a non-empty list of routers');
  }
  const names = new Map<string, number>();
  input.routers.forEach((router: unknown, index) => {
    const where = `routers[${index}]`;
    if (!isRecord(router)) throw new ConfigError(where, 'must be an object');
    for (const key of Object.keys(router)) {
      if (!Object.hasOwn(ROUTER_FIELDS, key)) throw new ConfigError(`${where}.${key}`, 'unknown field');
    }
    for (const field of ['name', 'interface'] as const) {
      if (typeof router[field] !== 'string' || (router[field] as string).trim() === '') {
        throw new ConfigError(`${where}.${field}`, `must be a non-empty string, got ${JSON.stringify(router[field])}`);
      }
    }
    const name = router.name as string;
    const first = names.get(name);
    if (first !== undefined) throw new ConfigError(`${where}.name`, `${JSON.stringify(name)} is also the name of routers[${first}]`);
    names.set(name, index);
    if (!Array.isArray(router.virtualAddresses)) throw new ConfigError(`${where}.virtualAddresses`, 'must be a list of IP addresses');
  });
  if (input.vips !== undefined) {
    if (!Array.isArray(input.vips)) throw new ConfigError('vips', 'must be a list');
    input.vips.forEach((vip: unknown, index) => {
      if (!isRecord(vip)) throw new ConfigError(`vips[${index}]`, 'must be an object');
      for (const key of Object.keys(vip)) {
        if (!VIP_FIELDS.has(key)) throw new ConfigError(`vips[${index}].${key}`, 'unknown field');
      }
      if (typeof vip.interface !== 'string') throw new ConfigError(`vips[${index}].interface`, 'must be a string');
      if (typeof vip.address !== 'string') throw new ConfigError(`vips[${index}].address`, 'must be a string');
    });
  }
}

function routerFamily(router: LinuxRouterInput, where: string): IpFamily {
  if (router.family === 4 || router.family === 6) return router.family;
  const first = router.virtualAddresses[0];
  const family = typeof first === 'string' ? isIP(first) : 0;
  if (family === 4 || family === 6) return family;
  throw new ConfigError(`${where}.primaryAddress`, 'not set, and the address family cannot be told from virtualAddresses[0]');
}

/** Fills in primaryAddress from the interface: its primary IPv4, or its IPv6 link-local address. */
async function resolvePrimaryAddress(
  client: RtNetlinkClient,
  router: LinuxRouterInput,
  where: string,
  vipsOnInterface: ReadonlySet<string>,
): Promise<string> {
  const family = routerFamily(router, where);
  const field = `${where}.primaryAddress`;
  const deadline = Date.now() + LINK_LOCAL_DAD_WAIT_MS;
  for (;;) {
    let found;
    try {
      found = await getSourceAddresses(client, router.interface, vipsOnInterface);
    } catch (error) {
      if ((error as NetlinkError).code === 'ENODEV') {
        throw new ConfigError(field, `not set, and interface ${router.interface} does not exist to take it from`);
      }
      throw error;
    }
    if (family === 4) {
      if (found.ipv4 !== undefined) return found.ipv4;
      throw new ConfigError(field, `not set, and ${router.interface} has no IPv4 address (other than the VIPs) to send from`);
    }
    if (found.ipv6LinkLocal === undefined) {
      throw new ConfigError(field, `not set, and ${router.interface} has no IPv6 link-local address (is it down?)`);
    }
    // A tentative address cannot be sent from yet; DAD takes about a second after the link comes up.
    if (!found.ipv6Tentative || Date.now() >= deadline) return found.ipv6LinkLocal;
    await new Promise((resolve) => setTimeout(resolve, LINK_LOCAL_POLL_MS));
  }
}

/** Checks that need the whole set: one router per (interface, family, VRID); every VipSpec used. */
function checkRouterSet(configs: readonly VirtualRouterConfig[], vips: readonly VipSpec[]): void {
  const seen = new Map<string, number>();
  configs.forEach((config, index) => {
    const key = `${config.interface}/${config.family}/${config.vrid}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigError(
        `routers[${index}].vrid`,
        `VRID ${config.vrid} on ${config.interface} (IPv${config.family}) is already used by routers[${first}]`,
      );
    }
    seen.set(key, index);
    // Refusing is more honest than accepting and not enforcing: without accept mode a Master must drop
    // traffic to its VIPs (keepalived does it with an iptables/nftables rule under vrrp_strict).
    if (!config.acceptMode) {
      throw new ConfigError(
        `routers[${index}].acceptMode`,
        'false is not supported on Linux yet: nothing would drop traffic to the VIPs (it needs the firewall rule keepalived adds under vrrp_strict)',
      );
    }
  });
  vips.forEach((vip, index) => {
    const canonical = canonicalAddress(vip.address);
    if (canonical === undefined) return; // LinuxAddressPort names this one
    const used = configs.some((c) => c.interface === vip.interface && c.virtualAddresses.includes(canonical.address));
    if (!used) {
      throw new ConfigError(`vips[${index}].address`, `${vip.address} on ${vip.interface} is not a virtualAddress of any router on that interface`);
    }
  });
}

/**
 * Validates everything; reads (never changes) interfaces to fill in primary addresses. Returns the
 * configurations and the names of the routers whose primaryAddress was read from the interface.
 */
async function validate(
  input: LinuxEngineInput,
  client: RtNetlinkClient,
): Promise<{ configs: VirtualRouterConfig[]; resolved: Set<string>; vmacs: (VmacPlan | undefined)[]; vips: VipSpec[] }> {
  checkShape(input);
  const vipsByInterface = new Map<string, Set<string>>();
  for (const router of input.routers) {
    const set = vipsByInterface.get(router.interface) ?? new Set<string>();
    for (const text of router.virtualAddresses) {
      const canonical = typeof text === 'string' ? canonicalAddress(text) : undefined;
      if (canonical) set.add(canonical.address);
    }
    vipsByInterface.set(router.interface, set);
  }
  const configs: VirtualRouterConfig[] = [];
  const resolved = new Set<string>();
  const vmacs: (VmacPlan | undefined)[] = [];
  for (const [index, router] of input.routers.entries()) {
    const where = `routers[${index}]`;
    const { useVmac, ...routerInput } = router;
    const primaryAddress =
      router.primaryAddress ?? (await resolvePrimaryAddress(client, router, where, vipsByInterface.get(router.interface)!));
    const config = buildRouterConfig({ ...routerInput, primaryAddress }, where);
    const vmac = planVmac(useVmac, config, where);
    vmacs.push(vmac);
    configs.push(vmac ? { ...config, interface: vmac.name } : config);
    if (router.primaryAddress === undefined) resolved.add(router.name);
  }
  checkVmacNames(vmacs);
  const vips = (input.vips ?? []).map((vip) => onVmac(vip, configs, vmacs));
  checkRouterSet(configs, vips);
  return { configs, resolved, vmacs, vips };
}

/** A VipSpec naming a VMAC router's configured interface is moved to the VMAC, where the VIP lives. */
function onVmac(vip: VipSpec, configs: readonly VirtualRouterConfig[], vmacs: readonly (VmacPlan | undefined)[]): VipSpec {
  const canonical = canonicalAddress(vip.address);
  if (canonical === undefined) return vip;
  const index = configs.findIndex(
    (c, i) => vmacs[i]?.parent === vip.interface && c.virtualAddresses.includes(canonical.address),
  );
  return index === -1 ? vip : { ...vip, interface: configs[index]!.interface };
}

/**
 * Validates `input`, cleans up after an earlier killed run, and starts the engine on the Linux ports.
 * Rejects with ConfigError (nothing touched) for a configuration mistake, with a coded Error (after
 * undoing what it did) when the host does not allow it to run (EPERM without CAP_NET_RAW, ...).
 */
export async function startLinuxEngine(input: LinuxEngineInput): Promise<LinuxEngineHandle> {
  const logger = input.logger ?? silentLogger;
  const client = new RtNetlinkClient();
  const macvlans = new MacvlanClient();
  const vmacManager = new VmacManager(macvlans, logger);
  let plannedVmacs: VmacPlan[] = [];
  let addressPort: LinuxAddressPort | undefined;
  let watcher: LinkWatcher | undefined;
  let packets: LinuxPacketPort | undefined;
  try {
    const { configs, resolved, vmacs, vips: vipSpecs } = await validate(input, client);
    plannedVmacs = vmacs.filter((plan): plan is VmacPlan => plan !== undefined);
    addressPort = new LinuxAddressPort({ announce: announceVips, vips: vipSpecs, client });
    const interfaces = [...new Set(configs.map((c) => c.interface))];

    // Sockets first: without CAP_NET_RAW this throws EPERM and nothing on the host has changed.
    const packetErrors = (event: PacketPortError) =>
      logger.error(
        { event: 'error', operation: event.operation, interface: event.interface, family: event.family, error: errorFields(event.error) },
        `VRRP socket ${event.operation} on ${event.interface} (IPv${event.family}): ${event.error.message}`,
      );
    packets = new LinuxPacketPort(configs, { onError: packetErrors });
    packets.open();

    // --- From here on the host is changed. ---
    // A VMAC's socket found no interface above (or one left by a killed run, now replaced): reopen it.
    for (const plan of plannedVmacs) {
      await vmacManager.create(plan);
      packets.reopen(plan.name, false);
    }
    for (const iface of interfaces) {
      const vips = [...new Set(configs.filter((c) => c.interface === iface).flatMap((c) => c.virtualAddresses))];
      try {
        const removed = await addressPort.removeLeftoverVips(iface, vips);
        if (removed.length > 0) {
          logger.warn(
            { event: 'leftoverVipsRemoved', interface: iface, addresses: removed },
            `removed VIPs left on ${iface} by an earlier run that did not stop cleanly`,
          );
        }
      } catch (error) {
        if ((error as NetlinkError).code !== 'ENODEV') {
          logger.error({ event: 'error', operation: 'removeLeftoverVips', interface: iface, error: errorFields(error) }, 'could not remove leftover VIPs');
        }
      }
    }

    watcher = await LinkWatcher.start();

    // Compile the Master path now, not during the first takeover (see warm-up.ts).
    warmUpProtocolPaths(configs);
    const engine = new Engine(configs, { time: preciseTime(), packets, addresses: addressPort });
    logEngineEvents(engine, logger);
    const guard = new VipGuard({
      engine,
      configs,
      client,
      addresses: addressPort,
      prefixLengths: vipPrefixLengths(configs, vipSpecs),
      logger,
    });
    // A VMAC router's source address lives on the configured interface, not on the VMAC.
    const parentOf = new Map(plannedVmacs.map((plan) => [plan.router, plan.parent]));
    const followed = configs
      .filter((c) => resolved.has(c.name))
      .map((c) => ({ ...c, interface: parentOf.get(c.name) ?? c.interface }));
    const sources = new SourceAddressTracker(engine, followed, logger);
    const recheckSources = () =>
      sources.recheck(client).catch((error: unknown) =>
        logger.error({ event: 'error', operation: 'sourceAddressCheck', error: errorFields(error) }, 'checking source addresses failed'),
      );
    const used = new Set(interfaces);
    const w = watcher;
    const p = packets;
    w.on('link', (event) => {
      if (!used.has(event.interface)) return;
      logger.info({ event: 'link', interface: event.interface, up: event.up }, `${event.interface} is ${event.up ? 'up' : 'down'}`);
      p.reopen(event.interface, true);
      engine.linkChange(event.interface, event.up);
    });
    w.on('linkRemoved', (event) => {
      if (!used.has(event.interface)) return;
      logger.warn({ event: 'link', interface: event.interface, up: false, removed: true }, `${event.interface} was deleted`);
      p.release(event.interface);
      engine.linkChange(event.interface, false);
    });
    w.on('addressRemoved', (event) => {
      guard.addressRemoved(event);
      sources.addressRemoved(event);
    });
    w.on('addressAdded', (event) => sources.addressAdded(event));
    w.on('resynced', () => {
      logger.warn({ event: 'notice', notice: 'link-watcher-resynced' }, 'link watcher restarted; re-checking every VIP and source address');
      guard.recheckAll();
      void recheckSources();
    });
    w.on('error', (error) => logger.error({ event: 'error', operation: 'linkWatcher', error: errorFields(error) }, `link watcher: ${error.message}`));

    // Links already down are reported before start(), so their routers start in Fault rather than
    // going Master (an owner would) and straight to Fault, adding and removing VIPs on the way.
    for (const iface of interfaces) {
      const up = w.isUp(iface);
      if (up === true) continue;
      logger.warn(
        { event: 'link', interface: iface, up: false, missing: up === undefined },
        up === undefined ? `${iface} does not exist: its routers stay in Fault until it appears` : `${iface} is down at start`,
      );
      engine.linkChange(iface, false);
    }
    engine.start();
    // The address read during validation may have gone since; from here on the watcher reports changes.
    await recheckSources();
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
          ...(parentOf.has(c.name) ? { vmacParent: parentOf.get(c.name) } : {}),
        })),
      },
      `running ${configs.length} virtual router(s)`,
    );

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        guard.stop();
        try {
          await engine.stop();
        } finally {
          w.close();
          addressPort!.close();
          await removeVmacs(vmacManager, plannedVmacs, logger);
          macvlans.close();
          client.close();
          logger.info({ event: 'stopped' }, 'stopped');
        }
      })();
      return stopping;
    };
    return { engine, routers: configs, stop, snapshot: () => engine.snapshot(), counters: () => engine.counters() };
  } catch (error) {
    packets?.close();
    watcher?.close();
    addressPort?.close();
    await removeVmacs(vmacManager, plannedVmacs, logger);
    macvlans.close();
    client.close();
    throw error;
  }
}

/** Removes the VMACs this run created; a failure is logged, the others are still removed. */
async function removeVmacs(manager: VmacManager, plans: readonly VmacPlan[], logger: RuntimeLogger): Promise<void> {
  for (const plan of plans) {
    try {
      await manager.remove(plan);
    } catch (error) {
      logger.error({ event: 'error', operation: 'removeVmac', interface: plan.name, error: errorFields(error) }, `could not remove VMAC ${plan.name}`);
    }
  }
}

