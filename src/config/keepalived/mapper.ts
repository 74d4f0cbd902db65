// The statement tree of a whole keepalived.conf -> LinuxEngineInput. global_defs is read first (its
// settings apply to every instance wherever it appears), then vrrp_script, vrrp_instance and
// vrrp_sync_group. Each router is checked with buildRouterConfig now, so its mistakes come out with
// the file and line they were written on instead of a field name at start.

import { ConfigError } from '../../model/config-error.js';
import { buildRouterConfig } from '../../model/router-config.js';
import type { LinuxEngineInput, LinuxRouterInput, VipSpec } from '../../model/runtime-input.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import { readGlobalDefs, resolveNotifyFifos, type KeepalivedGlobals } from './globals.js';
import { warnStartStopSecurity } from './start-stop.js';
import { mapInstance, type MappedInstance, type PendingInstanceFeatures } from './instance.js';
import { reportUnmapped } from './keywords.js';
import type { Statement } from './parser.js';
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
  for (const statement of statements.filter((s) => s.keyword === 'vrrp_instance')) {
    const errorsBefore = countErrors(diagnostics);
    const mapped = mapInstance(statement, globals, tracked, diagnostics);
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

  const syncGroups: SyncGroupDefinition[] = [];
  for (const statement of statements) {
    switch (statement.keyword) {
      case 'global_defs':
      case 'vrrp_script':
      case 'vrrp_instance':
      case 'vrrp_track_file':
      case 'track_file':
      case 'vrrp_track_process':
        break;
      case 'vrrp_sync_group': {
        const group = readSyncGroup(statement, new Set(names.keys()), tracked, diagnostics);
        if (group) syncGroups.push(group);
        break;
      }
      default:
        reportUnmapped('top', statement, diagnostics);
    }
  }
  reportNoInstance(statements, mainFile, diagnostics);

  const routers: LinuxRouterInput[] = instances.map((i) => i.router);
  const vips: VipSpec[] = instances.flatMap((i) => i.vips);
  return {
    input: {
      routers,
      ...(vips.length > 0 ? { vips } : {}),
      ...(globals.scheduling ? { scheduling: globals.scheduling } : {}),
    },
    globals,
    scripts,
    trackFiles,
    trackProcesses,
    syncGroups,
    pending: new Map(instances.map((i) => [i.router.name, i.pending])),
  };
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
  const { useVmac: _useVmac, ...router } = mapped.router;
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
