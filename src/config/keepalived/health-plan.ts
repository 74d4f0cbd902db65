// keepalived.conf (as loadKeepalivedConfig read it) -> HealthPlan: vrrp_script, vrrp_track_file,
// vrrp_track_process and track_interface become checks; each instance's (and sync group's) track_*
// entries become tracks with keepalived's weights; notify_* become notify commands; vrrp_sync_group
// becomes a sync group; enable_script_security / script_user become the plan's script security.
// Only objects something tracks are checked, as keepalived runs only the scripts in use.
// keepalived 2.2.7's rules kept here: weights are 0 (a failure is Fault) for an address owner and for
// the members of a sync group without sync_group_tracking_weight; scripts run as script_user, else as
// keepalived_script if that user exists, else as this process's user.

import { readFileSync } from 'node:fs';
import type { LoadedKeepalivedConfig, PendingInstanceFeatures } from './index.js';
import type { TrackEntry } from './tracking.js';
import { resolvePriorityChanges } from './notify-extras.js';
import { DEFAULT_START_STOP_TIMEOUT_S, type StartStopScriptLine } from './start-stop.js';
import type {
  CheckSpec,
  HealthPlan,
  NotifyCommands,
  NotifySpec,
  StartStopScript,
  SyncGroupSpec,
  TrackSpec,
} from '../../model/health-plan.js';

const NOTIFY_FIELDS: Readonly<Record<string, keyof NotifyCommands>> = {
  notify_master: 'master',
  notify_backup: 'backup',
  notify_fault: 'fault',
  notify_stop: 'stop',
  notify: 'notify',
};

export const checkNames = {
  file: (name: string) => `track_file:${name}`,
  process: (name: string) => `track_process:${name}`,
  interface: (name: string) => `interface:${name}`,
} as const;

function notifyCommands(features: PendingInstanceFeatures): NotifyCommands {
  const commands: Partial<Record<keyof NotifyCommands, readonly string[]>> = {};
  for (const [keyword, argv] of Object.entries(features.notify)) {
    const field = NOTIFY_FIELDS[keyword];
    if (field !== undefined) commands[field] = argv;
  }
  return commands;
}

/** Whether a user exists (read once, at configuration time, like the rest of the file). */
function userExists(name: string, passwd = '/etc/passwd'): boolean {
  try {
    return readFileSync(passwd, 'utf8')
      .split('\n')
      .some((line) => line.split(':')[0] === name);
  } catch {
    return false;
  }
}

export function healthPlanFromKeepalived(
  loaded: LoadedKeepalivedConfig,
  options: { readonly passwd?: string } = {},
): HealthPlan {
  const { pending, globals } = loaded;
  const owners = new Set(loaded.input.routers.filter((router) => router.priority === 255).map((router) => router.name));
  const unweightedMembers = new Set(
    pending.syncGroups.filter((group) => !group.trackingWeight).flatMap((group) => group.instances),
  );
  const builder = new TrackBuilder(loaded);
  const groupOf = new Map(pending.syncGroups.flatMap((group) => group.instances.map((name) => [name, group] as const)));
  const notify: NotifySpec[] = [];
  for (const [router, features] of pending.instances) {
    builder.addTracks(router, features, !owners.has(router) && !unweightedMembers.has(router));
    const spec = {
      ...notifyCommands(features),
      ...notifyExtras(features, groupOf.get(router)?.features, globals.notifyPriorityChanges),
    };
    if (Object.keys(spec).length > 0) notify.push({ router, ...spec });
  }
  const syncGroups: SyncGroupSpec[] = [];
  for (const group of pending.syncGroups) {
    if (group.instances.length === 0) continue; // keepalived drops an empty group
    // keepalived: a sync group's tracked objects only fault the group, unless sync_group_tracking_weight.
    for (const router of group.instances)
      builder.addTracks(router, group.features, group.trackingWeight && !owners.has(router));
    const commands = notifyCommands(group.features);
    syncGroups.push({
      name: group.name,
      routers: group.instances,
      ...(Object.keys(commands).length > 0 ? { notify: commands } : {}),
    });
  }

  const scriptUser = globals.scriptUser ?? (userExists('keepalived_script', options.passwd) ? 'keepalived_script' : '');
  const [defaultUser, defaultGroup] = scriptUser.split(' ');
  return {
    checks: [...builder.checks.values()],
    tracks: builder.tracks,
    notify,
    syncGroups,
    scriptSecurity: {
      enabled: globals.enableScriptSecurity,
      ...(defaultUser ? { defaultUser } : {}),
      ...(defaultGroup ? { defaultGroup } : {}),
    },
    ...(globals.notifyFifos !== undefined ? { notifyFifos: globals.notifyFifos } : {}),
    ...(globals.fifoStatesOnReload === true ? { fifoStatesOnReload: true } : {}),
    ...startStopScripts(globals),
  };
}

/** notify_master_rx_lower_pri, notify_deleted and notify_priority_changes (notify-extras.ts). */
function notifyExtras(
  features: PendingInstanceFeatures,
  group: PendingInstanceFeatures | undefined,
  global: boolean | undefined,
): Omit<NotifySpec, 'router' | keyof NotifyCommands> {
  const lowerPriority = features.notify.notify_master_rx_lower_pri;
  const deleted = features.notify.notify_deleted;
  const priorityChanges = resolvePriorityChanges(features.notifyPriorityChanges, group?.notifyPriorityChanges, global);
  return {
    ...(lowerPriority !== undefined ? { masterRxLowerPri: lowerPriority } : {}),
    ...(features.notifyDeleted === true ? { notifyDeleted: true } : {}),
    ...(deleted !== undefined ? { deleted } : {}),
    ...(priorityChanges ? { priorityChanges } : {}),
  };
}

/** startup_script and shutdown_script with their timeouts (keepalived's default 10 s). */
function startStopScripts(
  globals: LoadedKeepalivedConfig['globals'],
): Pick<HealthPlan, 'startupScript' | 'shutdownScript'> {
  const script = (line: StartStopScriptLine | undefined, timeoutS: number | undefined): StartStopScript | undefined =>
    line === undefined ? undefined : { ...line, timeoutMs: (timeoutS ?? DEFAULT_START_STOP_TIMEOUT_S) * 1000 };
  const startupScript = script(globals.startupScript, globals.startupScriptTimeout);
  const shutdownScript = script(globals.shutdownScript, globals.shutdownScriptTimeout);
  return {
    ...(startupScript !== undefined ? { startupScript } : {}),
    ...(shutdownScript !== undefined ? { shutdownScript } : {}),
  };
}

type Pending = LoadedKeepalivedConfig['pending'];

/** The checks in use (each once) and the tracks of them, gathered instance by instance. */
class TrackBuilder {
  readonly checks = new Map<string, CheckSpec>();
  readonly tracks: TrackSpec[] = [];
  private readonly scripts: Map<string, Pending['scripts'][number]>;
  private readonly files: Map<string, Pending['trackFiles'][number]>;
  private readonly processes: Map<string, Pending['trackProcesses'][number]>;

  constructor({ pending }: LoadedKeepalivedConfig) {
    this.scripts = new Map(pending.scripts.map((s) => [s.name, s]));
    this.files = new Map(pending.trackFiles.map((f) => [f.name, f]));
    this.processes = new Map(pending.trackProcesses.map((p) => [p.name, p]));
  }

  /** Adds the checks (once) and a track of each for `router`; `weighted` false: weight 0 (Fault only). */
  addTracks(router: string, features: PendingInstanceFeatures, weighted: boolean): void {
    const track = (check: string, entry: TrackEntry, defaultWeight: number, defaultReverse: boolean): void => {
      if (this.tracks.some((t) => t.router === router && t.check === check)) return; // the instance's own entry wins
      const weight = weighted ? (entry.weight ?? defaultWeight) : 0;
      const reverse = entry.weight !== undefined ? entry.reverse === true : defaultReverse;
      this.tracks.push({ router, check, weight, ...(reverse ? { reverse } : {}) });
    };
    for (const entry of features.trackScripts) {
      const script = this.scripts.get(entry.name);
      if (script === undefined) continue; // the reader reported it
      this.checks.set(script.name, scriptCheck(script));
      track(script.name, entry, script.weight, script.weightReverse);
    }
    for (const entry of features.trackInterfaces) {
      const name = checkNames.interface(entry.name);
      this.checks.set(name, { kind: 'interface', name, interface: entry.name });
      track(name, entry, 0, false);
    }
    for (const entry of features.trackFiles) {
      const file = this.files.get(entry.name);
      if (file === undefined) continue;
      const name = checkNames.file(file.name);
      this.checks.set(name, {
        kind: 'file',
        name,
        path: file.file,
        ...(file.init ? { initValue: file.init.value, initOverwrite: file.init.overwrite } : {}),
      });
      track(name, entry, file.weight, file.weightReverse);
    }
    for (const entry of features.trackProcesses) {
      const proc = this.processes.get(entry.name);
      if (proc === undefined) continue;
      const check = processCheck(proc);
      this.checks.set(check.name, check);
      track(check.name, entry, proc.weight, proc.weightReverse);
    }
  }
}

function scriptCheck(script: Pending['scripts'][number]): CheckSpec {
  const [user, group] = (script.user ?? '').split(' ');
  return {
    kind: 'script',
    name: script.name,
    command: script.command,
    intervalMs: script.interval * 1000,
    timeoutMs: (script.timeout ?? script.interval) * 1000,
    rise: script.rise,
    fall: script.fall,
    initFail: script.initFail,
    ...(user ? { user } : {}),
    ...(group ? { group } : {}),
  };
}

function processCheck(proc: Pending['trackProcesses'][number]): CheckSpec {
  return {
    kind: 'process',
    name: checkNames.process(proc.name),
    process: proc.process,
    ...(proc.parameters !== undefined ? { parameters: proc.parameters, paramMatch: proc.paramMatch } : {}),
    ...(proc.fullCommand ? { fullCommand: true } : {}),
    quorum: proc.quorum,
    ...(proc.quorumMax !== undefined ? { quorumMax: proc.quorumMax } : {}),
    ...(proc.terminateDelay > 0 ? { delayMs: Math.round(proc.terminateDelay * 1000) } : {}),
    ...(proc.forkDelay > 0 ? { forkDelayMs: Math.ceil(proc.forkDelay * 1000) } : {}),
  };
}
