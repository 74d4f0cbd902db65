// OPENSHIFT_HA_* -> a typed, validated plan: the routers for startLinuxEngine, the health plan for
// startHealth, the firewall chain and the status listener. Pure: the node's interfaces, the random
// part of the priority and the script files' state come in as arguments, so every rule is testable.
// Every invalid value throws EnvError naming the variable, the value and what is expected.
// docs/openshift.md lists every variable and where we differ from the shipping wrapper.

import ipaddr from 'ipaddr.js';
import type { HealthPlan, CheckSpec, NotifySpec, TrackSpec } from '../model/health-plan.js';
import type { LinuxRouterInput } from '../model/runtime-input.js';
import type { ProcessScheduling } from '../model/scheduling.js';
import type { IpFamily } from '../wire/types.js';
import { nearestKey } from '../model/known-keys.js';
import { quoteValue } from '../model/config-error.js';
import { checkValueShape, EnvError, shortList } from './errors.js';
import type { NodeAddress, NodeInterface, NodeNetwork } from './node-network.js';
import { instancePriorities, nodeSlot, RANDOM_PRIORITY_SPAN, type InstanceRole } from './priority.js';
import {
  MAX_INSTANCES,
  MAX_VIPS_PER_INSTANCE,
  parsePlainAddress,
  parseVirtualIps,
  specialUseProblem,
  VIRTUAL_IPS,
  type Vip,
} from './vip-ranges.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The interfaces the wrapper tries after the configured one (its VirtualBox / cloud list). */
export const FALLBACK_INTERFACES = ['enp0s3', 'enp0s8', 'eth1', 'ens3'] as const;
export const DEFAULT_CONFIG_NAME = 'OpenShift-IPFailover';
export const DEFAULT_PREEMPT_DELAY_S = 300;
/** keepalived accepts preempt_delay up to 1000 s. */
const MAX_PREEMPT_DELAY_S = 1000;
const MAX_CHECK_INTERVAL_S = 3600;
/** A notify script still running after this long is killed (keepalived has no limit). */
export const NOTIFY_TIMEOUT_MS = 10_000;

export type Preemption = { readonly kind: 'nopreempt' } | { readonly kind: 'preempt_delay'; readonly seconds: number };

export interface OpenShiftInstance {
  /** `<config name scrubbed>_VIP_<c>`, as the wrapper names its vrrp_instance (notify's 2nd argument). */
  readonly name: string;
  /** c: the 1-based instance number the priority formula uses. */
  readonly ordinal: number;
  readonly vrid: number;
  readonly family: IpFamily;
  readonly version: 2 | 3;
  readonly role: InstanceRole;
  readonly priority: number;
  readonly initialState: 'Master' | 'Backup';
  readonly virtualAddresses: readonly string[];
  readonly unicastPeers: readonly string[];
}

export interface StatusListener {
  readonly port: number;
  readonly address: string;
}

export interface OpenShiftPlan {
  readonly configName: string;
  readonly interface: string;
  /** How the interface was chosen. */
  readonly interfaceSource: 'variable' | 'fallback' | 'default-route';
  /** The node's address the formula and the port check use (primary IPv4, or global IPv6 if none). */
  readonly nodeAddress: string;
  readonly ipslot: number;
  readonly replicaCount: number;
  readonly preemption: Preemption;
  /** v2 PASS authentication: the first 8 bytes of the config name (IPv4 instances only). */
  readonly authPassword: string;
  readonly instances: readonly OpenShiftInstance[];
  /** The health check every instance tracks with weight 0 (failure = Fault), if any. */
  readonly check: CheckSpec | undefined;
  readonly notifyCommand: readonly string[] | undefined;
  readonly iptablesChain: string | undefined;
  /** OPENSHIFT_HA_FIREWALL (ours): iptables or nftables; undefined: iptables if installed, else nft. */
  readonly firewallBackend: 'iptables' | 'nftables' | undefined;
  /** OPENSHIFT_HA_RT_PRIORITY, OPENSHIFT_HA_NO_SWAP (ours): keepalived's vrrp_rt_priority and vrrp_no_swap; undefined: off. */
  readonly scheduling: ProcessScheduling | undefined;
  readonly multicastSource: string | undefined;
  readonly unicastSource: string | undefined;
  readonly status: StatusListener | undefined;
  /** Things accepted with a caveat; logged at start. */
  readonly warnings: readonly string[];
  readonly routers: readonly LinuxRouterInput[];
  readonly health: HealthPlan;
}

export interface EnvDeps {
  readonly node: NodeNetwork;
  /** The R of the priority formula for instance c, 0..31. */
  readonly random: (c: number) => number;
  /** Why `path` cannot be run as a check or notify script (missing, not executable), or undefined. */
  readonly scriptProblem: (path: string) => string | undefined;
}

/** The wrapper's scrub(): keep letters, digits, '-' and '_', then '-' becomes '_'. */
export function scrubName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '').replace(/-/g, '_');
}

/** The first 8 bytes of the config name (what keepalived puts in the auth field). */
export function authPasswordOf(configName: string): string {
  const bytes = Buffer.from(configName, 'utf8').subarray(0, 8);
  return bytes.toString('utf8');
}

/** The trimmed value, or undefined when unset or blank; a huge value or a control character is an error. */
function text(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  checkValueShape(name, value);
  return value.trim() === '' ? undefined : value.trim();
}

/**
 * Decimal digits only: no sign, no `0x`, no exponent, no leading zero (the wrapper's shell arithmetic
 * reads `010` as octal 8 and refuses `08`), and few enough digits that Number() is exact.
 */
const WHOLE_NUMBER = /^(0|[1-9]\d{0,9})$/;

/** The first of `names` that is set (undocumented variables come with and without the OPENSHIFT_ prefix). */
function firstSet(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = text(env, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number, what = ''): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (!WHOLE_NUMBER.test(value) || Number(value) < min || Number(value) > max) {
    throw new EnvError(
      name,
      env[name],
      `expected a whole number from ${min} to ${max}${what}, in decimal digits without leading zeros`,
    );
  }
  return Number(value);
}

function parsePreemption(env: Env): Preemption {
  const name = 'OPENSHIFT_HA_PREEMPTION';
  const value = text(env, name);
  if (value === undefined) return { kind: 'preempt_delay', seconds: DEFAULT_PREEMPT_DELAY_S };
  const words = value.split(/\s+/);
  if (words.length === 1 && words[0] === 'nopreempt') return { kind: 'nopreempt' };
  if (
    words.length === 2 &&
    words[0] === 'preempt_delay' &&
    WHOLE_NUMBER.test(words[1]!) &&
    Number(words[1]) <= MAX_PREEMPT_DELAY_S
  ) {
    return { kind: 'preempt_delay', seconds: Number(words[1]) };
  }
  throw new EnvError(
    name,
    env[name],
    `expected "nopreempt" or "preempt_delay N" with N whole seconds 0-${MAX_PREEMPT_DELAY_S} (default "preempt_delay ${DEFAULT_PREEMPT_DELAY_S}")`,
  );
}

/** Interface names the kernel accepts: 1-15 bytes, no '/', ':' or whitespace. */
function checkInterfaceName(name: string, value: string): void {
  if (!/^[^\s/:]{1,15}$/.test(value) || Buffer.byteLength(value, 'utf8') > 15 || value === '.' || value === '..') {
    throw new EnvError(name, value, 'expected a network interface name (1-15 bytes, no "/", ":" or spaces)');
  }
}

function chooseInterface(
  env: Env,
  node: NodeNetwork,
  warnings: string[],
): { iface: NodeInterface; source: OpenShiftPlan['interfaceSource'] } {
  const name = 'OPENSHIFT_HA_NETWORK_INTERFACE';
  const configured = text(env, name);
  if (configured !== undefined) checkInterfaceName(name, configured);
  const wanted = configured ?? 'eth0';
  const byName = (n: string) => node.interfaces.find((i) => i.name === n);
  const direct = byName(wanted);
  if (direct) return { iface: direct, source: 'variable' };
  if (configured !== undefined) {
    // Named on purpose: running on another interface would hold the VIPs where nobody asked for them.
    throw new EnvError(
      name,
      env[name],
      `no such interface on this node; it has: ${
        shortList(
          node.interfaces.map((i) => i.name),
          8,
        ) || '(none)'
      }`,
    );
  }
  for (const candidate of FALLBACK_INTERFACES) {
    const found = byName(candidate);
    if (found) {
      warnings.push(
        `${name} unset and ${wanted} does not exist; using ${candidate} (the wrapper's fallback list ${FALLBACK_INTERFACES.join(', ')})`,
      );
      return { iface: found, source: 'fallback' };
    }
  }
  const viaRoute = node.defaultRouteInterface === undefined ? undefined : byName(node.defaultRouteInterface);
  if (viaRoute) {
    warnings.push(
      `${name} unset and ${wanted} does not exist; using ${viaRoute.name}, the interface of the default route`,
    );
    return { iface: viaRoute, source: 'default-route' };
  }
  throw new EnvError(
    name,
    env[name],
    `no such interface, none of ${FALLBACK_INTERFACES.join(', ')} exists and there is no default route; expected one of: ${
      shortList(
        node.interfaces.map((i) => i.name),
        8,
      ) || '(none)'
    }`,
  );
}

function isLinkLocal(address: NodeAddress): boolean {
  return address.family === 6 && /^fe[89ab][0-9a-f]:/i.test(address.address);
}

/** The node's address on the interface: its primary IPv4 (as ifconfig shows it), else a global IPv6. */
function nodeAddressOf(iface: NodeInterface, vips: ReadonlySet<string>): string {
  const own = iface.addresses.filter((a) => !vips.has(a.address));
  const ipv4 = own.filter((a) => a.family === 4);
  const primary = ipv4.find((a) => !a.secondary) ?? ipv4[0];
  if (primary) return primary.address;
  const ipv6 = own.find((a) => a.family === 6 && a.scope === 0 && !isLinkLocal(a));
  if (ipv6) return ipv6.address;
  throw new EnvError(
    'OPENSHIFT_HA_NETWORK_INTERFACE',
    iface.name,
    `${iface.name} has no IPv4 address and no global IPv6 address (besides the VIPs); the priority formula and the port check need one`,
  );
}

/** A command line as keepalived splits `script "..."` / `notify "..."`: words; the program an absolute path. */
function scriptCommand(env: Env, name: string, deps: EnvDeps): string[] | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const words = value.split(/\s+/);
  if (!words[0]!.startsWith('/'))
    throw new EnvError(name, env[name], 'expected the full path of a script, e.g. /etc/keepalive/check.sh');
  if (/["'\\`$;|&<>]/.test(value)) {
    throw new EnvError(
      name,
      env[name],
      'expected a path and plain arguments: quotes and shell characters are not interpreted (no shell runs it)',
    );
  }
  const problem = deps.scriptProblem(words[0]!);
  if (problem !== undefined)
    throw new EnvError(
      name,
      env[name],
      `${quoteValue(words[0]!)} ${problem}; expected an executable file (the ConfigMap is mounted at /etc/keepalive with mode 0755)`,
    );
  return words;
}

/** A node's unicast address in canonical text (so it compares equal to what netlink reports). */
function unicastAddress(env: Env, name: string, entry: string, expected: string): string {
  const parsed = parsePlainAddress(entry);
  if ('problem' in parsed) throw new EnvError(name, env[name], `${parsed.problem}; expected ${expected}`);
  const problem = specialUseProblem(parsed);
  if (problem !== undefined) throw new EnvError(name, env[name], `${problem}; expected ${expected}`);
  return parsed.address;
}

/** The family of an address in canonical text (IPv6 text always holds a ':'). */
function familyOf(address: string): IpFamily {
  return address.includes(':') ? 6 : 4;
}

function parseAddressList(env: Env, name: string, value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => unicastAddress(env, name, entry, 'a comma-separated list of node addresses'));
}

function parseExcludedIds(env: Env): Set<number> {
  const found = firstSet(env, ['OPENSHIFT_HA_EXCLUDED_VRRP_IDS', 'HA_EXCLUDED_VRRP_IDS']);
  const ids = new Set<number>();
  if (!found) return ids;
  for (const word of found.value.split(/[\s,]+/).filter((w) => w !== '')) {
    if (!WHOLE_NUMBER.test(word) || Number(word) < 1 || Number(word) > 255) {
      throw new EnvError(
        found.name,
        env[found.name],
        `${quoteValue(word)} is not a router id; expected router ids 1-255 separated by spaces`,
      );
    }
    ids.add(Number(word));
  }
  return ids;
}

/** VIPs split into instances: one per VIP, or G groups where the first N % G get one extra. */
function groupVips(env: Env, vips: readonly Vip[], warnings: string[]): Vip[][] {
  const name = 'OPENSHIFT_HA_VIP_GROUPS';
  if (text(env, name) === undefined) {
    if (vips.length > MAX_INSTANCES) {
      throw new EnvError(
        VIRTUAL_IPS,
        env[VIRTUAL_IPS],
        `one VRRP instance per VIP needs ${vips.length} router ids, and there are ${MAX_INSTANCES}; expected at most ${MAX_INSTANCES} VIPs, or OPENSHIFT_HA_VIP_GROUPS to share instances`,
      );
    }
    return vips.map((vip) => [vip]);
  }
  let groups = integer(env, name, 1, 1, MAX_INSTANCES);
  if (groups > vips.length) {
    warnings.push(`${name}: ${groups} groups for ${vips.length} VIP(s); using ${vips.length}, one VIP each`);
    groups = vips.length;
  }
  const base = Math.floor(vips.length / groups);
  const extra = vips.length % groups;
  const largest = base + (extra > 0 ? 1 : 0);
  if (largest > MAX_VIPS_PER_INSTANCE) {
    throw new EnvError(
      name,
      env[name],
      `${vips.length} VIPs in ${groups} group(s) puts ${largest} in one instance, and an advert carries at most ${MAX_VIPS_PER_INSTANCE}; expected at least ${Math.ceil(vips.length / MAX_VIPS_PER_INSTANCE)} groups`,
    );
  }
  const result: Vip[][] = [];
  let next = 0;
  for (let g = 0; g < groups; g++) {
    const size = base + (g < extra ? 1 : 0);
    const group = vips.slice(next, next + size);
    next += size;
    if (new Set(group.map((v) => v.family)).size > 1) {
      throw new EnvError(
        name,
        env[name],
        `group ${g + 1} would mix IPv4 and IPv6 VIPs (${shortList(group.map((v) => v.address))}); one VRRP instance carries one family: list each family's VIPs so the groups split them apart, or leave ${name} unset`,
      );
    }
    result.push(group);
  }
  return result;
}

function assignRouterIds(env: Env, count: number, excluded: ReadonlySet<number>): number[] {
  const name = 'OPENSHIFT_HA_VRRP_ID_OFFSET';
  const offset = integer(env, name, 0, 0, 255);
  const ids: number[] = [];
  for (let id = offset + 1; ids.length < count && id <= 255; id++) {
    if (!excluded.has(id)) ids.push(id);
  }
  if (ids.length < count) {
    throw new EnvError(
      name,
      env[name] ?? '0',
      `${count} VRRP instance(s) from offset ${offset} need router ids up to ${offset + count + excluded.size} at least, above 255; expected a smaller offset, fewer VIPs, or OPENSHIFT_HA_VIP_GROUPS`,
    );
  }
  return ids;
}

function checkSpec(env: Env, deps: EnvDeps, checkName: string, nodeAddress: string): CheckSpec | undefined {
  const intervalS = integer(
    env,
    'OPENSHIFT_HA_CHECK_INTERVAL',
    2,
    1,
    MAX_CHECK_INTERVAL_S,
    ' (seconds between checks)',
  );
  // The wrapper's vrrp_script: timeout = interval, rise = fall = 1.
  const timing = { intervalMs: intervalS * 1000, timeoutMs: intervalS * 1000, rise: 1, fall: 1 };
  const script = scriptCommand(env, 'OPENSHIFT_HA_CHECK_SCRIPT', deps);
  const port = integer(env, 'OPENSHIFT_HA_MONITOR_PORT', 80, 0, 65535, ' (0: no check)');
  if (script) return { kind: 'script', name: checkName, command: script, initFail: false, ...timing };
  if (port === 0) return undefined;
  return { kind: 'tcp', name: checkName, host: nodeAddress, port, ...timing };
}

function statusListener(env: Env): StatusListener | undefined {
  const port = integer(env, 'OPENSHIFT_HA_STATUS_PORT', 0, 0, 65535, ' (0 or unset: no listener)');
  if (port === 0) return undefined;
  const name = 'OPENSHIFT_HA_STATUS_ADDRESS';
  const address = text(env, name) ?? '0.0.0.0';
  const parsed = parsePlainAddress(address);
  if ('problem' in parsed)
    throw new EnvError(
      name,
      env[name],
      `${parsed.problem}; expected an IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1`,
    );
  return { port, address: parsed.address };
}

function iptablesChain(env: Env): string | undefined {
  const name = 'OPENSHIFT_HA_IPTABLES_CHAIN';
  const chain = text(env, name);
  if (chain === undefined) return undefined;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,27}$/.test(chain)) {
    throw new EnvError(
      name,
      env[name],
      'expected an iptables chain name (letters, digits, "_", "-", "." up to 28 characters, e.g. INPUT), or unset for no rule',
    );
  }
  return chain;
}

/** OPENSHIFT_HA_RT_PRIORITY (ours, off by default as in the keepalived image): 0 or unset is off. */
function realtimeScheduling(env: Env): ProcessScheduling | undefined {
  const name = 'OPENSHIFT_HA_RT_PRIORITY';
  const priority = integer(
    env,
    name,
    0,
    0,
    99,
    ' (SCHED_RR priority of the advert thread; 0: off; needs CAP_SYS_NICE)',
  );
  const lockMemory = noSwap(env);
  if (priority === 0 && !lockMemory) return undefined;
  return {
    ...(priority !== 0 ? { realtimePriority: priority } : {}),
    ...(lockMemory ? { lockMemory } : {}),
    names: { realtimePriority: name, realtimeLimitUs: name, lockMemory: NO_SWAP },
  };
}

const NO_SWAP = 'OPENSHIFT_HA_NO_SWAP';

/** OPENSHIFT_HA_NO_SWAP (ours, off by default): keepalived's vrrp_no_swap for the advert path. */
function noSwap(env: Env): boolean {
  const value = text(env, NO_SWAP)?.toLowerCase();
  if (value !== undefined && !['true', 'false', 'yes', 'no', '1', '0'].includes(value)) {
    throw new EnvError(
      NO_SWAP,
      env[NO_SWAP],
      'expected true or false (locks the advert path in memory; needs CAP_IPC_LOCK)',
    );
  }
  return value === 'true' || value === 'yes' || value === '1';
}

function firewallBackend(env: Env): 'iptables' | 'nftables' | undefined {
  const name = 'OPENSHIFT_HA_FIREWALL';
  const value = text(env, name);
  if (value === undefined || value === 'auto') return undefined;
  if (value === 'iptables' || value === 'nftables') return value;
  throw new EnvError(
    name,
    env[name],
    'expected iptables, nftables or auto (default: iptables when installed, else nftables)',
  );
}

function sourceAddress(env: Env, names: readonly string[]): string | undefined {
  const found = firstSet(env, names);
  if (!found) return undefined;
  const address = unicastAddress(env, found.name, found.value, 'the IP address to send adverts from');
  if (familyOf(address) === 6 && ipaddr.parse(address).range() !== 'linkLocal') {
    // The router configuration refuses it too, but only at start and without naming the variable.
    throw new EnvError(
      found.name,
      env[found.name],
      `${address} is not link-local; expected an fe80:: address: IPv6 adverts leave from the interface's link-local address (RFC 9568 5.1.2.1)`,
    );
  }
  return address;
}

function unicastPeers(env: Env, node: NodeNetwork, warnings: string[]): string[] {
  const name = 'OPENSHIFT_HA_UNICAST_PEERS';
  const value = text(env, name);
  const useName = 'OPENSHIFT_HA_USE_UNICAST';
  const use = text(env, useName)?.toLowerCase();
  if (use !== undefined && !['true', 'false', 'yes', 'no', '1', '0'].includes(use)) {
    throw new EnvError(useName, env[useName], 'expected true or false');
  }
  const wantsUnicast = use === 'true' || use === 'yes' || use === '1';
  if (value === undefined) {
    if (wantsUnicast)
      throw new EnvError(
        name,
        env[name],
        `${useName} is ${env[useName]}: expected the comma-separated addresses of the nodes`,
      );
    return [];
  }
  if (use !== undefined && !wantsUnicast) {
    warnings.push(
      `${useName}=${env[useName]} but ${name} is set: unicast is used, as the keepalived image does (it never reads ${useName})`,
    );
  }
  const own = new Set(node.interfaces.flatMap((i) => i.addresses.map((a) => a.address)));
  const all = parseAddressList(env, name, value);
  // Every node gets the same list, so it names this node too: our own addresses are not peers.
  const peers = [...new Set(all)].filter((peer) => !own.has(peer));
  if (peers.length === 0)
    throw new EnvError(
      name,
      env[name],
      "lists only this node's own addresses; expected the addresses of the other nodes too",
    );
  return peers;
}

/** Every OPENSHIFT_HA_* variable ipfailover reads (LOG_LEVEL is read by the program, src/cli/ipfailover.ts). */
export const KNOWN_VARIABLES: readonly string[] = [
  'OPENSHIFT_HA_CHECK_INTERVAL',
  'OPENSHIFT_HA_CHECK_SCRIPT',
  'OPENSHIFT_HA_CONFIG_NAME',
  'OPENSHIFT_HA_EXCLUDED_VRRP_IDS',
  'OPENSHIFT_HA_FIREWALL',
  'OPENSHIFT_HA_IPTABLES_CHAIN',
  'OPENSHIFT_HA_LOG_LEVEL',
  'OPENSHIFT_HA_MONITOR_PORT',
  'OPENSHIFT_HA_MULTICAST_SOURCE_IPADDRESS',
  'OPENSHIFT_HA_NETWORK_INTERFACE',
  'OPENSHIFT_HA_NO_SWAP',
  'OPENSHIFT_HA_NOTIFY_SCRIPT',
  'OPENSHIFT_HA_PREEMPTION',
  'OPENSHIFT_HA_REPLICA_COUNT',
  'OPENSHIFT_HA_RT_PRIORITY',
  'OPENSHIFT_HA_STATUS_ADDRESS',
  'OPENSHIFT_HA_STATUS_PORT',
  'OPENSHIFT_HA_UNICAST_PEERS',
  'OPENSHIFT_HA_UNICAST_SOURCE_IPADDRESS',
  'OPENSHIFT_HA_USE_UNICAST',
  'OPENSHIFT_HA_VIP_GROUPS',
  'OPENSHIFT_HA_VIRTUAL_IPS',
  'OPENSHIFT_HA_VRRP_ID_OFFSET',
];

/** A misspelt variable would be silently ignored: each unknown OPENSHIFT_HA_* one is a warning naming the closest known one. */
function warnUnknownVariables(env: Env, warnings: string[]): void {
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('OPENSHIFT_HA_') || KNOWN_VARIABLES.includes(name)) continue;
    const near = nearestKey(name, KNOWN_VARIABLES);
    warnings.push(
      `${name} is not a variable ipfailover reads: ignored${near !== undefined ? ` (did you mean ${near}?)` : ''}`,
    );
  }
}

export function readOpenShiftEnv(env: Env, deps: EnvDeps): OpenShiftPlan {
  const warnings: string[] = [];
  warnUnknownVariables(env, warnings);
  const { configName, baseName } = readConfigName(env);
  const vips = parseVirtualIps(env.OPENSHIFT_HA_VIRTUAL_IPS);
  const groups = groupVips(env, vips, warnings);
  const excluded = parseExcludedIds(env);
  const vrids = assignRouterIds(env, groups.length, excluded);
  const replicaCount = integer(env, 'OPENSHIFT_HA_REPLICA_COUNT', 2, 1, 255, ' (spec.replicas of the deployment)');
  const preemption = parsePreemption(env);
  const { iface, source } = chooseInterface(env, deps.node, warnings);
  const nodeAddress = nodeAddressOf(iface, new Set(vips.map((v) => v.address)));
  const ipslot = nodeSlot(nodeAddress);
  const peers = unicastPeers(env, deps.node, warnings);
  const multicastSource = sourceAddress(env, ['OPENSHIFT_HA_MULTICAST_SOURCE_IPADDRESS', 'MULTICAST_SOURCE_IPADDRESS']);
  const unicastSource = sourceAddress(env, ['OPENSHIFT_HA_UNICAST_SOURCE_IPADDRESS', 'UNICAST_SOURCE_IPADDRESS']);
  const check = checkSpec(env, deps, `chk_${baseName}`, nodeAddress);
  const notifyCommand = scriptCommand(env, 'OPENSHIFT_HA_NOTIFY_SCRIPT', deps);
  const priorities = instancePriorities(ipslot, replicaCount, groups.length, (c) => {
    const r = Math.floor(deps.random(c));
    return Math.min(RANDOM_PRIORITY_SPAN - 1, Math.max(0, r));
  });
  const instances = groups.map((group, index) =>
    openShiftInstance(env, { baseName, index, group, vrid: vrids[index]!, peers, preemption, ...priorities[index]! }),
  );
  const tracks: TrackSpec[] = check ? instances.map((i) => ({ router: i.name, check: check.name, weight: 0 })) : [];
  const notify: NotifySpec[] = notifyCommand ? instances.map((i) => ({ router: i.name, notify: notifyCommand })) : [];
  return {
    configName,
    interface: iface.name,
    interfaceSource: source,
    nodeAddress,
    ipslot,
    replicaCount,
    preemption,
    authPassword: authPasswordOf(configName),
    instances,
    check,
    notifyCommand,
    iptablesChain: iptablesChain(env),
    firewallBackend: firewallBackend(env),
    scheduling: realtimeScheduling(env),
    multicastSource,
    unicastSource,
    status: statusListener(env),
    warnings,
    routers: instances.map((instance) =>
      routerInput(instance, { iface: iface.name, configName, preemption, multicastSource, unicastSource }),
    ),
    // A hung notify script must not hold the shutdown past the pod's 30 s grace period.
    health: { checks: check ? [check] : [], tracks, notify, syncGroups: [], notifyTimeoutMs: NOTIFY_TIMEOUT_MS },
  };
}

/** OPENSHIFT_HA_CONFIG_NAME, and the part of it that names instances and the check. */
function readConfigName(env: Env): { configName: string; baseName: string } {
  const configName = text(env, 'OPENSHIFT_HA_CONFIG_NAME') ?? DEFAULT_CONFIG_NAME;
  const baseName = scrubName(configName);
  if (/[\t\n\r]/.test(configName)) {
    // The name is one line wherever it goes (logs, the firewall rule's comment); the wrapper pasted it into keepalived.conf.
    throw new EnvError(
      'OPENSHIFT_HA_CONFIG_NAME',
      env.OPENSHIFT_HA_CONFIG_NAME,
      'expected one line: no tab or line break',
    );
  }
  if (baseName === '') {
    throw new EnvError(
      'OPENSHIFT_HA_CONFIG_NAME',
      env.OPENSHIFT_HA_CONFIG_NAME,
      'expected a name with letters, digits, "-" or "_"',
    );
  }
  return { configName, baseName };
}

/** What one VIP group's instance is made of, read by readOpenShiftEnv. */
interface InstanceParts {
  readonly baseName: string;
  readonly index: number;
  readonly group: readonly Vip[];
  readonly vrid: number;
  readonly peers: readonly string[];
  readonly preemption: Preemption;
  readonly role: OpenShiftInstance['role'];
  readonly priority: number;
}

function openShiftInstance(env: Env, parts: InstanceParts): OpenShiftInstance {
  const { group, index, preemption, peers, role } = parts;
  const family = group[0]!.family;
  const familyPeers = peers.filter((peer) => familyOf(peer) === family);
  if (peers.length > 0 && familyPeers.length === 0) {
    throw new EnvError(
      'OPENSHIFT_HA_UNICAST_PEERS',
      env.OPENSHIFT_HA_UNICAST_PEERS,
      `no IPv${family} peer for the IPv${family} VIPs ${shortList(group.map((v) => v.address))}`,
    );
  }
  return {
    name: `${parts.baseName}_VIP_${index + 1}`,
    ordinal: index + 1,
    vrid: parts.vrid,
    family,
    version: family === 4 ? 2 : 3,
    role,
    priority: parts.priority,
    // The wrapper writes `state MASTER` for master candidates unless nopreempt; with our
    // preemptDelayMode 'openshift' it no longer cancels preempt_delay.
    initialState: role !== 'backup' && preemption.kind !== 'nopreempt' ? 'Master' : 'Backup',
    virtualAddresses: group.map((v) => v.address),
    unicastPeers: familyPeers,
  };
}

/** The settings every instance's router shares. */
interface SharedRouterSettings {
  readonly iface: string;
  readonly configName: string;
  readonly preemption: Preemption;
  readonly multicastSource: string | undefined;
  readonly unicastSource: string | undefined;
}

function routerInput(instance: OpenShiftInstance, shared: SharedRouterSettings): LinuxRouterInput {
  const { preemption } = shared;
  const source = instance.unicastPeers.length > 0 ? shared.unicastSource : shared.multicastSource;
  return {
    name: instance.name,
    interface: shared.iface,
    vrid: instance.vrid,
    version: instance.version,
    family: instance.family,
    priority: instance.priority,
    advertIntervalCs: 100,
    initialState: instance.initialState,
    preempt: preemption.kind !== 'nopreempt',
    preemptDelayMs: preemption.kind === 'preempt_delay' ? preemption.seconds * 1000 : 0,
    preemptDelayMode: 'openshift',
    virtualAddresses: instance.virtualAddresses,
    auth: instance.family === 4 ? { type: 'pass', password: shared.configName } : { type: 'none' },
    unicastPeers: instance.unicastPeers,
    ...(source !== undefined && familyOf(source) === instance.family ? { primaryAddress: source } : {}),
  };
}
