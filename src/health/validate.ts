// Checks a HealthPlan that came from outside (the `health` section of bin/vrrp-engine's JSON) and the
// references inside any plan: every mistake is a ConfigError naming the field, before anything runs.

import { ConfigError } from '../model/config-error.js';
import { unknownKeyMessage } from '../model/known-keys.js';
import type {
  CheckSpec,
  HealthPlan,
  NotifyCommands,
  NotifyFifoSpec,
  NotifySpec,
  ScriptSecurity,
  StartStopScript,
  SyncGroupSpec,
  TrackSpec,
} from '../model/health-plan.js';

type Json = Record<string, unknown>;

const CHECK_FIELDS: Record<CheckSpec['kind'], readonly string[]> = {
  script: ['kind', 'name', 'command', 'intervalMs', 'timeoutMs', 'rise', 'fall', 'user', 'group', 'initFail'],
  tcp: ['kind', 'name', 'host', 'port', 'intervalMs', 'timeoutMs', 'rise', 'fall'],
  icmp: ['kind', 'name', 'host', 'intervalMs', 'timeoutMs', 'rise', 'fall'],
  file: ['kind', 'name', 'path', 'intervalMs', 'initValue', 'initOverwrite'],
  process: [
    'kind',
    'name',
    'process',
    'parameters',
    'paramMatch',
    'fullCommand',
    'quorum',
    'quorumMax',
    'intervalMs',
    'delayMs',
    'forkDelayMs',
  ],
  interface: ['kind', 'name', 'interface'],
};
const NOTIFY_FIELDS = ['master', 'backup', 'fault', 'stop', 'notify'] as const;

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(field, 'must be an object');
  return value as Json;
}

function onlyFields(value: Json, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) throw new ConfigError(`${field}.${key}`, unknownKeyMessage(key, allowed));
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError(field, 'must be a list');
  return value;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(field, 'must be a non-empty string');
  return value;
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optional<T>(value: unknown, read: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(field, 'must be true or false');
  return value;
}

function argv(value: unknown, field: string): string[] {
  const items = list(value, field);
  if (items.length === 0) throw new ConfigError(field, 'must hold the program and its arguments');
  return items.map((item, index) => {
    if (typeof item !== 'string' || (index === 0 && item === ''))
      throw new ConfigError(`${field}[${index}]`, 'must be a string (the program: non-empty)');
    return item;
  });
}

const DAY_MS = 86_400_000;

function timing(raw: Json, field: string): { intervalMs: number; timeoutMs: number; rise: number; fall: number } {
  const intervalMs = integer(raw.intervalMs, `${field}.intervalMs`, 10, DAY_MS);
  return {
    intervalMs,
    timeoutMs: integer(raw.timeoutMs ?? intervalMs, `${field}.timeoutMs`, 1, DAY_MS),
    rise: integer(raw.rise ?? 1, `${field}.rise`, 1, 1_000_000),
    fall: integer(raw.fall ?? 1, `${field}.fall`, 1, 1_000_000),
  };
}

/** The fields of a `process` check after its kind and name (read in that order, so errors come in it). */
function readProcessCheck(raw: Json, name: string, field: string): CheckSpec {
  const parameters =
    raw.parameters === undefined
      ? undefined
      : list(raw.parameters, `${field}.parameters`).map((v, i) => text(v, `${field}.parameters[${i}]`));
  const paramMatch = raw.paramMatch;
  if (paramMatch !== undefined && paramMatch !== 'exact' && paramMatch !== 'partial' && paramMatch !== 'initial') {
    throw new ConfigError(`${field}.paramMatch`, 'must be exact, partial or initial');
  }
  const numbers = {
    quorum: optional(raw.quorum, (v) => integer(v, `${field}.quorum`, 0, 65535)),
    quorumMax: optional(raw.quorumMax, (v) => integer(v, `${field}.quorumMax`, 0, 65535)),
    intervalMs: optional(raw.intervalMs, (v) => integer(v, `${field}.intervalMs`, 10, DAY_MS)),
    delayMs: optional(raw.delayMs, (v) => integer(v, `${field}.delayMs`, 0, DAY_MS)),
    forkDelayMs: optional(raw.forkDelayMs, (v) => integer(v, `${field}.forkDelayMs`, 0, DAY_MS)),
  };
  const fullCommand = optional(raw.fullCommand, (v) => bool(v, `${field}.fullCommand`));
  return {
    kind: 'process',
    name,
    process: text(raw.process, `${field}.process`),
    ...(parameters !== undefined ? { parameters } : {}),
    ...(paramMatch !== undefined ? { paramMatch } : {}),
    ...(fullCommand !== undefined ? { fullCommand } : {}),
    ...Object.fromEntries(Object.entries(numbers).filter(([, v]) => v !== undefined)),
  };
}

function readCheck(value: unknown, field: string): CheckSpec {
  const raw = object(value, field);
  const kind = raw.kind;
  if (typeof kind !== 'string' || !(kind in CHECK_FIELDS)) {
    throw new ConfigError(
      `${field}.kind`,
      `must be one of ${Object.keys(CHECK_FIELDS).join(', ')}, got ${JSON.stringify(kind)}`,
    );
  }
  onlyFields(raw, CHECK_FIELDS[kind as CheckSpec['kind']], field);
  const name = text(raw.name, `${field}.name`);
  switch (kind as CheckSpec['kind']) {
    case 'script': {
      const user = optional(raw.user, (v) => text(v, `${field}.user`));
      const group = optional(raw.group, (v) => text(v, `${field}.group`));
      return {
        kind: 'script',
        name,
        command: argv(raw.command, `${field}.command`),
        ...timing(raw, field),
        ...(user !== undefined ? { user } : {}),
        ...(group !== undefined ? { group } : {}),
        initFail: optional(raw.initFail, (v) => bool(v, `${field}.initFail`)) ?? false,
      };
    }
    case 'tcp':
      return {
        kind: 'tcp',
        name,
        host: text(raw.host, `${field}.host`),
        port: integer(raw.port, `${field}.port`, 1, 65535),
        ...timing(raw, field),
      };
    case 'icmp':
      return { kind: 'icmp', name, host: text(raw.host, `${field}.host`), ...timing(raw, field) };
    case 'file': {
      const intervalMs = optional(raw.intervalMs, (v) => integer(v, `${field}.intervalMs`, 10, DAY_MS));
      const initValue = optional(raw.initValue, (v) => integer(v, `${field}.initValue`, -(2 ** 31), 2 ** 31 - 1));
      const initOverwrite = optional(raw.initOverwrite, (v) => bool(v, `${field}.initOverwrite`));
      return {
        kind: 'file',
        name,
        path: text(raw.path, `${field}.path`),
        ...(intervalMs !== undefined ? { intervalMs } : {}),
        ...(initValue !== undefined ? { initValue } : {}),
        ...(initOverwrite !== undefined ? { initOverwrite } : {}),
      };
    }
    case 'process':
      return readProcessCheck(raw, name, field);
    case 'interface':
      return { kind: 'interface', name, interface: text(raw.interface, `${field}.interface`) };
  }
}

function readTrack(value: unknown, field: string): TrackSpec {
  const raw = object(value, field);
  onlyFields(raw, ['router', 'check', 'weight', 'reverse'], field);
  const reverse = optional(raw.reverse, (v) => bool(v, `${field}.reverse`));
  return {
    router: text(raw.router, `${field}.router`),
    check: text(raw.check, `${field}.check`),
    weight: integer(raw.weight ?? 0, `${field}.weight`, -254, 254),
    ...(reverse !== undefined ? { reverse } : {}),
  };
}

function readNotifyCommands(raw: Json, field: string): NotifyCommands {
  const commands: Record<string, string[]> = {};
  for (const key of NOTIFY_FIELDS) if (raw[key] !== undefined) commands[key] = argv(raw[key], `${field}.${key}`);
  return commands;
}

const NOTIFY_EXTRA_FIELDS = ['masterRxLowerPri', 'notifyDeleted', 'deleted', 'priorityChanges'] as const;

function readNotify(value: unknown, field: string): NotifySpec {
  const raw = object(value, field);
  onlyFields(raw, ['router', ...NOTIFY_FIELDS, ...NOTIFY_EXTRA_FIELDS], field);
  const masterRxLowerPri = optional(raw.masterRxLowerPri, (v) => argv(v, `${field}.masterRxLowerPri`));
  const notifyDeleted = optional(raw.notifyDeleted, (v) => bool(v, `${field}.notifyDeleted`));
  const deleted = optional(raw.deleted, (v) => argv(v, `${field}.deleted`));
  if (deleted !== undefined && notifyDeleted !== true)
    throw new ConfigError(
      `${field}.deleted`,
      'runs only with notifyDeleted: true (otherwise a deletion notifies FAULT)',
    );
  const priorityChanges = optional(raw.priorityChanges, (v) => bool(v, `${field}.priorityChanges`));
  return {
    router: text(raw.router, `${field}.router`),
    ...readNotifyCommands(raw, field),
    ...(masterRxLowerPri !== undefined ? { masterRxLowerPri } : {}),
    ...(notifyDeleted !== undefined ? { notifyDeleted } : {}),
    ...(deleted !== undefined ? { deleted } : {}),
    ...(priorityChanges !== undefined ? { priorityChanges } : {}),
  };
}

/** startupScript / shutdownScript: `{command, timeoutMs?, user?, group?}`, keepalived's 1..1000 s, 10 s by default. */
function readStartStopScript(value: unknown, field: string): StartStopScript {
  const raw = object(value, field);
  onlyFields(raw, ['command', 'timeoutMs', 'user', 'group'], field);
  const user = optional(raw.user, (v) => text(v, `${field}.user`));
  const group = optional(raw.group, (v) => text(v, `${field}.group`));
  if (group !== undefined && user === undefined) throw new ConfigError(`${field}.group`, 'needs a user');
  return {
    command: argv(raw.command, `${field}.command`),
    timeoutMs: integer(raw.timeoutMs ?? 10_000, `${field}.timeoutMs`, 1000, 1_000_000),
    ...(user !== undefined ? { user } : {}),
    ...(group !== undefined ? { group } : {}),
  };
}

function readSyncGroup(value: unknown, field: string): SyncGroupSpec {
  const raw = object(value, field);
  onlyFields(raw, ['name', 'routers', 'notify'], field);
  const notify = raw.notify === undefined ? undefined : object(raw.notify, `${field}.notify`);
  if (notify) onlyFields(notify, NOTIFY_FIELDS, `${field}.notify`);
  return {
    name: text(raw.name, `${field}.name`),
    routers: list(raw.routers, `${field}.routers`).map((v, i) => text(v, `${field}.routers[${i}]`)),
    ...(notify ? { notify: readNotifyCommands(notify, `${field}.notify`) } : {}),
  };
}

function readScriptSecurity(value: unknown, field: string): ScriptSecurity {
  const raw = object(value, field);
  onlyFields(raw, ['enabled', 'defaultUser', 'defaultGroup'], field);
  const defaultUser = optional(raw.defaultUser, (v) => text(v, `${field}.defaultUser`));
  const defaultGroup = optional(raw.defaultGroup, (v) => text(v, `${field}.defaultGroup`));
  return {
    enabled: bool(raw.enabled ?? false, `${field}.enabled`),
    ...(defaultUser !== undefined ? { defaultUser } : {}),
    ...(defaultGroup !== undefined ? { defaultGroup } : {}),
  };
}

function readNotifyFifo(value: unknown, field: string): NotifyFifoSpec {
  const raw = object(value, field);
  onlyFields(raw, ['path', 'owner', 'script', 'scriptUser', 'scriptGroup'], field);
  const owner = optional(raw.owner, (v) => {
    const o = object(v, `${field}.owner`);
    onlyFields(o, ['user', 'group'], `${field}.owner`);
    const group = optional(o.group, (g) => text(g, `${field}.owner.group`));
    return { user: text(o.user, `${field}.owner.user`), ...(group !== undefined ? { group } : {}) };
  });
  const script = optional(raw.script, (v) => argv(v, `${field}.script`));
  const scriptUser = optional(raw.scriptUser, (v) => text(v, `${field}.scriptUser`));
  const scriptGroup = optional(raw.scriptGroup, (v) => text(v, `${field}.scriptGroup`));
  return {
    path: text(raw.path, `${field}.path`),
    ...(owner !== undefined ? { owner } : {}),
    ...(script !== undefined ? { script } : {}),
    ...(scriptUser !== undefined ? { scriptUser } : {}),
    ...(scriptGroup !== undefined ? { scriptGroup } : {}),
  };
}

/** A plan from JSON: every field checked, then its references (see checkHealthPlan). */
export function readHealthPlan(value: unknown, routers: readonly string[], field = 'health'): HealthPlan {
  const raw = object(value, field);
  onlyFields(
    raw,
    [
      'checks',
      'tracks',
      'notify',
      'syncGroups',
      'scriptSecurity',
      'notifyTimeoutMs',
      'notifyFifos',
      'fifoStatesOnReload',
      'startupScript',
      'shutdownScript',
    ],
    field,
  );
  const startupScript = optional(raw.startupScript, (v) => readStartStopScript(v, `${field}.startupScript`));
  const shutdownScript = optional(raw.shutdownScript, (v) => readStartStopScript(v, `${field}.shutdownScript`));
  const notifyTimeoutMs = optional(raw.notifyTimeoutMs, (v) => integer(v, `${field}.notifyTimeoutMs`, 1, DAY_MS));
  const scriptSecurity = optional(raw.scriptSecurity, (v) => readScriptSecurity(v, `${field}.scriptSecurity`));
  const plan: HealthPlan = {
    checks: list(raw.checks, `${field}.checks`).map((v, i) => readCheck(v, `${field}.checks[${i}]`)),
    tracks: list(raw.tracks, `${field}.tracks`).map((v, i) => readTrack(v, `${field}.tracks[${i}]`)),
    notify: list(raw.notify, `${field}.notify`).map((v, i) => readNotify(v, `${field}.notify[${i}]`)),
    syncGroups: list(raw.syncGroups, `${field}.syncGroups`).map((v, i) =>
      readSyncGroup(v, `${field}.syncGroups[${i}]`),
    ),
    ...(scriptSecurity !== undefined ? { scriptSecurity } : {}),
    ...(notifyTimeoutMs !== undefined ? { notifyTimeoutMs } : {}),
    ...(raw.notifyFifos !== undefined
      ? {
          notifyFifos: list(raw.notifyFifos, `${field}.notifyFifos`).map((v, i) =>
            readNotifyFifo(v, `${field}.notifyFifos[${i}]`),
          ),
        }
      : {}),
    ...(raw.fifoStatesOnReload !== undefined
      ? { fifoStatesOnReload: bool(raw.fifoStatesOnReload, `${field}.fifoStatesOnReload`) }
      : {}),
    ...(startupScript !== undefined ? { startupScript } : {}),
    ...(shutdownScript !== undefined ? { shutdownScript } : {}),
  };
  checkHealthPlan(plan, routers, field);
  return plan;
}

/**
 * The references in a plan: check names unique, every track names a check and a router, weights in
 * range, a router in one sync group at most, notify for known routers.
 */
export function checkHealthPlan(plan: HealthPlan, routers: readonly string[], field = 'health'): void {
  const known = new Set(routers);
  const checks = new Map<string, CheckSpec>();
  plan.checks.forEach((check, index) => {
    if (checks.has(check.name))
      throw new ConfigError(`${field}.checks[${index}].name`, `a second check named ${JSON.stringify(check.name)}`);
    checks.set(check.name, check);
  });
  plan.tracks.forEach((track, index) => {
    const at = `${field}.tracks[${index}]`;
    if (!known.has(track.router))
      throw new ConfigError(`${at}.router`, `no router named ${JSON.stringify(track.router)}`);
    const check = checks.get(track.check);
    if (check === undefined) throw new ConfigError(`${at}.check`, `no check named ${JSON.stringify(track.check)}`);
    const limit = check.kind === 'file' ? 254 : 253;
    if (!Number.isInteger(track.weight) || Math.abs(track.weight) > limit)
      throw new ConfigError(`${at}.weight`, `must be a whole number from -${limit} to ${limit}`);
  });
  plan.notify.forEach((notify, index) => {
    if (!known.has(notify.router))
      throw new ConfigError(`${field}.notify[${index}].router`, `no router named ${JSON.stringify(notify.router)}`);
  });
  const groupOf = new Map<string, string>();
  plan.syncGroups.forEach((group, index) => {
    if (group.routers.length === 0)
      throw new ConfigError(`${field}.syncGroups[${index}].routers`, 'must name at least one router');
    group.routers.forEach((router, position) => {
      const at = `${field}.syncGroups[${index}].routers[${position}]`;
      if (!known.has(router)) throw new ConfigError(at, `no router named ${JSON.stringify(router)}`);
      const other = groupOf.get(router);
      if (other !== undefined) throw new ConfigError(at, `${router} is already in sync group ${other}`);
      groupOf.set(router, group.name);
    });
  });
}
