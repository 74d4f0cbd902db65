// The statement tree of a whole keepalived.conf -> LinuxEngineInput. global_defs is read first (its
// settings apply to every instance wherever it appears), then vrrp_script, vrrp_instance and
// vrrp_sync_group. Each router is checked with buildRouterConfig now, so its mistakes come out with
// the file and line they were written on instead of a field name at start.

import { ConfigError } from '../../model/config-error.js';
import { buildRouterConfig } from '../../model/router-config.js';
import type { LinuxEngineInput, LinuxRouterInput, LinuxVipSpec, VipSpec } from '../../model/runtime-input.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import { readGlobalDefs, resolveNotifyFifos, type KeepalivedGlobals } from './globals.js';
import { givenVmacNames } from './vmac.js';
import { warnStartStopSecurity } from './start-stop.js';
import { mapInstance, type MappedInstance, type PendingInstanceFeatures } from './instance.js';
import { reportUnmapped } from './keywords.js';
import { announceSpacing, extraInterfacesOf, readGarpGroups } from './garp.js';
import { readLinkDelays } from './link-delays.js';
import { readPolledLinks } from './link-polling.js';
import type { Statement } from './parser.js';
import { nftablesSettingsFrom } from './nftables-globals.js';
import {
  readSyncGroup,
  readTrackFile,
  readTrackProcess,
  readVrrpScript,
  type SyncGroupDefinition,
  type TrackFileDefinition,
  type TrackProcessDefinition,
  type VrrpScriptDefinition,
} from './scripts.js';
import type { TrackedNames } from './tracking.js';
import { receiveBufferPolicy } from './receive-buffers.js';
import type { ReceiveBufferPolicy } from '../../model/receive-buffers.js';
import type { NetlinkReceiveBuffers } from '../../model/netlink-buffers.js';
import { netlinkBuffersInput } from './netlink-buffers.js';
import { readStatics, STATIC_KEYWORDS, type MappedStatics } from './statics.js';
import { NAMING_KEYWORDS, readProcessNaming } from './process-naming.js';
import { defaultReloadFile } from './reload-globals.js';

export interface MappedConfig {
  readonly input: LinuxEngineInput;
  readonly globals: KeepalivedGlobals;
  readonly scripts: readonly VrrpScriptDefinition[];
  readonly trackFiles: readonly TrackFileDefinition[];
  readonly trackProcesses: readonly TrackProcessDefinition[];
  readonly syncGroups: readonly SyncGroupDefinition[];
  readonly pending: ReadonlyMap<string, PendingInstanceFeatures>;
}

/** RouterConfigInput field -> the keepalived keyword a user wrote, for messages. */
const KEYWORD_OF_FIELD: Readonly<Record<string, string>> = {
  name: 'vrrp_instance',
  interface: 'interface',
  vrid: 'virtual_router_id',
  version: 'version',
  family: 'virtual_ipaddress',
  priority: 'priority',
  advertIntervalCs: 'advert_int',
  initialState: 'state',
  preempt: 'nopreempt',
  preemptDelayMs: 'preempt_delay',
  acceptMode: 'accept',
  primaryAddress: 'unicast_src_ip',
  virtualAddresses: 'virtual_ipaddress',
  auth: 'authentication',
  unicastPeers: 'unicast_peer',
  unicastFaultNoPeer: 'unicast_fault_no_peer',
  strictAddressList: 'strict_mode',
  announce: 'garp_*',
};

/** Stands in for a source address the runtime will read from the interface, only to validate the rest. */
const PLACEHOLDER_SOURCE = { 4: '0.0.0.1', 6: 'fe80::ffff:ffff:ffff:fffe' } as const;

/** Every global_defs block, in order, into one set of globals; notify FIFOs resolved after. */
function readGlobals(statements: readonly Statement[], diagnostics: DiagnosticList): KeepalivedGlobals {
  const globals: KeepalivedGlobals = { enableScriptSecurity: false, checkUnicastSource: false, announce: {} };
  for (const statement of statements) {
    if (statement.keyword === 'global_defs') {
      if (statement.args.length > 0) diagnostics.error(statement, 'global_defs takes no name');
      if (!statement.block) diagnostics.error(statement, 'global_defs has no { } block');
      readGlobalDefs(statement.block ?? [], globals, diagnostics);
    }
  }
  globals.naming = readProcessNaming(statements, diagnostics);
  if (globals.reloadFileDefault && globals.reload)
    globals.reload = { ...globals.reload, reloadFile: defaultReloadFile(globals.naming) };
  resolveNotifyFifos(globals, diagnostics);
  warnStartStopSecurity(globals, diagnostics);
  return globals;
}

/** The vrrp_script definitions, each name once; scripts without enable_script_security are warned of. */
function readScripts(
  statements: readonly Statement[],
  globals: KeepalivedGlobals,
  diagnostics: DiagnosticList,
): VrrpScriptDefinition[] {
  const scripts: VrrpScriptDefinition[] = [];
  for (const statement of statements.filter((s) => s.keyword === 'vrrp_script')) {
    const script = readVrrpScript(statement, diagnostics);
    if (!script) continue;
    if (scripts.some((s) => s.name === script.name))
      diagnostics.error(statement, `vrrp_script ${script.name} is defined twice`);
    else scripts.push(script);
  }
  if (scripts.length > 0 && !globals.enableScriptSecurity) {
    diagnostics.warning(
      scripts[0]!.at,
      'scripts are configured without enable_script_security (keepalived reports this as a security violation)',
    );
  }
  return scripts;
}

/** A file without vrrp_instance runs nothing: an error, which says so plainly for an LVS-only file. */
function reportNoInstance(statements: readonly Statement[], mainFile: string, diagnostics: DiagnosticList): void {
  if (!statements.some((s) => s.keyword === 'vrrp_instance')) {
    const lvs = statements.some((s) => s.keyword === 'virtual_server' || s.keyword === 'virtual_server_group');
    diagnostics.error(
      { file: mainFile, line: 1 },
      lvs
        ? "no vrrp_instance: nothing for vrrp-engine to run (this file configures only keepalived's LVS load balancer, virtual_server, which vrrp-engine is not; run keepalived for it)"
        : 'no vrrp_instance: nothing to run',
    );
  }
}

/** The sync groups; any other top-level keyword not read elsewhere is reported by its class. */
function readSyncGroups(
  statements: readonly Statement[],
  instanceNames: ReadonlySet<string>,
  tracked: TrackedNames,
  diagnostics: DiagnosticList,
): SyncGroupDefinition[] {
  const syncGroups: SyncGroupDefinition[] = [];
  for (const statement of statements) {
    switch (statement.keyword) {
      case 'global_defs':
      case 'vrrp_script':
      case 'vrrp_instance':
      case 'vrrp_track_file':
      case 'track_file':
      case 'vrrp_track_process':
      case 'garp_group':
      case 'interface_up_down_delays':
      case 'linkbeat_interfaces':
      case 'linkbeat_use_polling':
        break;
      case 'vrrp_sync_group': {
        const group = readSyncGroup(statement, instanceNames, tracked, diagnostics);
        if (group) syncGroups.push(group);
        break;
      }
      default:
        // The naming keywords are read with the globals (readGlobals).
        if (!STATIC_KEYWORDS.has(statement.keyword) && !NAMING_KEYWORDS.has(statement.keyword))
          reportUnmapped('top', statement, diagnostics);
    }
  }
  return syncGroups;
}

export function mapKeepalivedStatements(
  statements: readonly Statement[],
  mainFile: string,
  diagnostics: DiagnosticList,
): MappedConfig {
  const globals = readGlobals(statements, diagnostics);

  const scripts = readScripts(statements, globals, diagnostics);

  const trackFiles = readDefinitions(statements, ['vrrp_track_file', 'track_file'], readTrackFile, diagnostics);
  const trackProcesses = readDefinitions(statements, ['vrrp_track_process'], readTrackProcess, diagnostics);
  const tracked: TrackedNames = {
    scripts: new Set(scripts.map((s) => s.name)),
    files: new Set(trackFiles.map((f) => f.name)),
    processes: new Set(trackProcesses.map((p) => p.name)),
  };
  const instances: MappedInstance[] = [];
  const names = new Map<string, SourcePosition>();
  const vmacNames = givenVmacNames(statements);
  for (const statement of statements.filter((s) => s.keyword === 'vrrp_instance')) {
    const errorsBefore = countErrors(diagnostics);
    const mapped = mapInstance(statement, globals, tracked, diagnostics, vmacNames);
    if (!mapped) continue;
    const first = names.get(mapped.router.name);
    if (first) {
      diagnostics.error(
        statement,
        `vrrp_instance ${mapped.router.name} is defined twice (first at ${first.file}:${first.line})`,
      );
      continue;
    }
    names.set(mapped.router.name, statement);
    // A value already reported would only be reported again, less clearly, by buildRouterConfig.
    if (countErrors(diagnostics) === errorsBefore) validateRouter(mapped, diagnostics);
    instances.push(mapped);
  }
  checkVridsUnique(instances, diagnostics);

  const syncGroups = readSyncGroups(statements, new Set(names.keys()), tracked, diagnostics);
  reportNoInstance(statements, mainFile, diagnostics);
  const statics = readStatics(statements, new Set(names.keys()), globals.defaultInterface, diagnostics);

  const routers: LinuxRouterInput[] = withExtraInterfaces(instances, globals);
  const vips: VipSpec[] = instances.flatMap((i) => i.vips);
  const spacing = announceSpacing(globals.announceGaps ?? {}, readGarpGroups(statements, diagnostics));
  const linkDelays = readLinkDelays(statements, routers, diagnostics);
  const polledLinks = readPolledLinks(statements, routers, diagnostics);
  return {
    input: {
      routers,
      ...(vips.length > 0 ? { vips } : {}),
      ...(spacing ? { announceSpacing: spacing } : {}),
      ...(linkDelays ? { linkDelays } : {}),
      ...(polledLinks ? { polledLinks } : {}),
      ...(globals.scheduling ? { scheduling: globals.scheduling } : {}),
      ...withReceiveBuffers(receiveBufferPolicy(globals.rxBufs)),
      ...withNetlinkBuffers(netlinkBuffersInput(globals.netlinkBuffers)),
      nftables: nftablesSettingsFrom(globals.nftables),
      ...routesInput(instances, statics),
      ...(globals.disableLocalIgmp ? { disableLocalIgmp: true } : {}),
    },
    globals,
    scripts,
    trackFiles,
    trackProcesses,
    syncGroups,
    pending: new Map(instances.map((i) => [i.router.name, withTrackGroups(i, statics, globals.vmacPrefix)])),
  };
}

/** The routes, rules and static addresses of the file, left out when there are none. */
function routesInput(instances: readonly MappedInstance[], statics: MappedStatics): Partial<LinuxEngineInput> {
  const routes = [...instances.flatMap((i) => i.routes), ...statics.routes];
  const rules = [...instances.flatMap((i) => i.rules), ...statics.rules];
  return {
    ...(routes.length > 0 ? { routes } : {}),
    ...(rules.length > 0 ? { rules } : {}),
    ...(statics.addresses.length > 0 ? { staticAddresses: statics.addresses } : {}),
  };
}

/** An instance tracks, weight 0, the links of its track groups' static entries and of its own virtual routes and rules (keepalived). */
function withTrackGroups(
  instance: MappedInstance,
  statics: MappedStatics,
  vmacPrefix: string | undefined,
): PendingInstanceFeatures {
  const { pending, router } = instance;
  // The instance's own links (its interface, its VMAC) are followed already.
  const vmac =
    typeof router.useVmac === 'string'
      ? router.useVmac
      : router.useVmac
        ? `${vmacPrefix ?? 'vrrp'}.${router.vrid}`
        : (router.useIpvlan?.name ?? '');
  // keepalived's vrrp_complete_instance: a tracked virtual route's dev and a tracked virtual rule's
  // iif / oif are tracked by the instance too, weight 0.
  const own = [
    ...instance.routes.filter((r) => r.noTrack !== true).map((r) => r.dev),
    ...instance.rules.filter((r) => r.noTrack !== true).flatMap((r) => [r.iif, r.oif]),
  ].filter((iface): iface is string => iface !== undefined && iface !== router.interface && iface !== vmac);
  const extra = [...new Set([...(statics.trackInterfaces.get(router.name) ?? []), ...own])].filter(
    (iface) => !pending.trackInterfaces.some((entry) => entry.name === iface),
  );
  if (extra.length === 0) return pending;
  return {
    ...pending,
    trackInterfaces: [...pending.trackInterfaces, ...extra.map((iface) => ({ name: iface, weight: 0 }))],
  };
}

function withNetlinkBuffers(buffers: NetlinkReceiveBuffers | undefined): { netlinkBuffers?: NetlinkReceiveBuffers } {
  return buffers ? { netlinkBuffers: buffers } : {};
}

function withReceiveBuffers(policy: ReceiveBufferPolicy | undefined): { receiveBuffers?: ReceiveBufferPolicy } {
  return policy === undefined ? {} : { receiveBuffers: policy };
}

/** Each router with its garp_extra_if (or the global vrrp_garp_extra_if) resolved to interfaces. */
function withExtraInterfaces(instances: readonly MappedInstance[], globals: KeepalivedGlobals): LinuxRouterInput[] {
  const vmacName = ({ useVmac, useIpvlan, vrid }: LinuxRouterInput) =>
    typeof useVmac === 'string' ? useVmac : useVmac === true ? `vrrp.${vrid}` : useIpvlan?.name;
  // Where an address lives: its own VMAC (use_vmac on the address, named by the reader), else its interface.
  const placeOf = (vip: LinuxVipSpec) => (typeof vip.useVmac === 'string' ? vip.useVmac : vip.interface);
  const vmacs = new Set([
    ...instances.map((i) => vmacName(i.router)).filter((name): name is string => name !== undefined),
    ...instances.flatMap((i) => i.vips.flatMap((vip) => (typeof vip.useVmac === 'string' ? [vip.useVmac] : []))),
  ]);
  return instances.map(({ router, vips, extraInterfaceAnnounce }) => {
    const extra = extraInterfaceAnnounce ?? globals.extraInterfaceAnnounce;
    if (extra === undefined || extra.intervalMs === 0) return router;
    const own = [router.interface, vmacName(router) ?? router.interface];
    const interfaces = extraInterfacesOf(own, vips.map(placeOf), vmacs, extra.all);
    if (interfaces.length === 0) return router;
    return {
      ...router,
      announce: { ...router.announce, extraInterfaceIntervalMs: extra.intervalMs, extraInterfaces: interfaces },
    };
  });
}

/** Named definitions (vrrp_track_file, ...) under any of their keywords; a name defined twice is an error. */
function readDefinitions<T extends { readonly name: string }>(
  statements: readonly Statement[],
  keywords: readonly string[],
  read: (statement: Statement, diagnostics: DiagnosticList) => T | undefined,
  diagnostics: DiagnosticList,
): T[] {
  const found: T[] = [];
  for (const statement of statements.filter((s) => keywords.includes(s.keyword))) {
    const definition = read(statement, diagnostics);
    if (!definition) continue;
    if (found.some((other) => other.name === definition.name))
      diagnostics.error(statement, `${statement.keyword} ${definition.name} is defined twice`);
    else found.push(definition);
  }
  return found;
}

/** buildRouterConfig's checks, reported at the line the offending value came from. */
function validateRouter(mapped: MappedInstance, diagnostics: DiagnosticList): void {
  const {
    useVmac: _useVmac,
    useIpvlan: _useIpvlan,
    vmacXmitBase: _vmacXmitBase,
    promoteSecondaries: _promote,
    ...router
  } = mapped.router;
  const family = router.family ?? 4;
  const where = `vrrp_instance ${router.name}`;
  try {
    buildRouterConfig({ ...router, primaryAddress: router.primaryAddress ?? PLACEHOLDER_SOURCE[family] }, where);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const path = error.field.slice(where.length + 1);
    const message = error.message.slice(error.field.length + 2);
    diagnostics.error(positionOf(path, mapped), `${where}: ${describeField(path)}: ${message}`);
  }
}

/** The most specific recorded position for a field path like `virtualAddresses[2]` or `auth.password`. */
function positionOf(path: string, mapped: MappedInstance): SourcePosition {
  let key = path;
  for (;;) {
    const found = mapped.positions.get(key);
    if (found) return found;
    const shorter = key.replace(/(\[\d+\]|\.[^.[]+)$/, '');
    if (shorter === key) return mapped.at;
    key = shorter;
  }
}

function describeField(path: string): string {
  const base = /^[^.[]+/.exec(path)?.[0] ?? path;
  return `${KEYWORD_OF_FIELD[base] ?? base}${path.slice(base.length)}`;
}

function checkVridsUnique(instances: readonly MappedInstance[], diagnostics: DiagnosticList): void {
  const seen = new Map<string, MappedInstance>();
  for (const instance of instances) {
    const { interface: iface, vrid, family } = instance.router;
    const key = `${iface}/${family ?? 4}/${vrid}`;
    const first = seen.get(key);
    if (first) {
      diagnostics.error(
        instance.positions.get('vrid') ?? instance.at,
        `virtual_router_id ${vrid} on ${iface} (IPv${family ?? 4}) is already used by vrrp_instance ${first.router.name} (${first.at.file}:${first.at.line})`,
      );
    } else seen.set(key, instance);
  }
}

function countErrors(diagnostics: DiagnosticList): number {
  return diagnostics.errorCount;
}
