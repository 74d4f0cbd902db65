// global_defs: the settings that apply to every vrrp_instance (strict mode, GARP timings, version)
// and the few the daemon needs (router_id, script security, the VRRP process's scheduling). Every other
// keyword is warned or refused by its class in the keyword table (keywords.ts), never dropped silently.

import type { AnnounceConfig } from '../../core/types.js';
import { splitCommandLine } from './command-line.js';
import { readExtraInterfaceAnnounce, readGlobalGap, type ExtraInterfaceAnnounce } from './garp.js';
import type { AnnounceGaps } from '../../model/announce-spacing.js';
import type { NotifyFifoSpec } from '../../model/health-plan.js';
import { MAX_CPU, type ProcessScheduling } from '../../model/scheduling.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import { reportUnmapped } from './keywords.js';
import { readUmask } from './umask.js';
import { readRandomSeed } from './random-seed.js';
import { NETLINK_BUFFER_READERS, type NetlinkBuffersGlobals } from './netlink-buffers.js';
import { NFTABLES_READERS, type NftablesGlobals } from './nftables-globals.js';
import { RELOAD_READERS, type ReloadSettings } from './reload-globals.js';
import type { Statement } from './parser.js';
import type { ProcessNaming } from './process-naming.js';
import { type RxBufsGlobals, readRxBufsMultiplier, readRxBufsPolicy } from './receive-buffers.js';
import { START_STOP_READERS, type StartStopGlobals } from './start-stop.js';
import { MAX_INTERFACE_NAME, integerValue, noArgs, readFlag, readInteger, readSeconds, singleArg } from './values.js';

export interface KeepalivedGlobals extends StartStopGlobals {
  routerId?: string;
  scriptUser?: string;
  enableScriptSecurity: boolean;
  version?: 2 | 3;
  /** Where vrrp_strict was set (it changes every instance). */
  strict?: SourcePosition;
  checkUnicastSource: boolean;
  announce: Partial<AnnounceConfig>;
  /** vrrp_rt_priority, vrrp_priority, vrrp_cpu_affinity, vrrp_rlimit_rttime, vrrp_no_swap. */
  scheduling?: ProcessScheduling;
  /** vrrp_garp_interval, vrrp_gna_interval: the gaps on every interface not in a garp_group. */
  announceGaps?: AnnounceGaps;
  /** vrrp_garp_extra_if: every instance's garp_extra_if unless it sets its own. */
  extraInterfaceAnnounce?: ExtraInterfaceAnnounce;
  /** notify_fifo and vrrp_notify_fifo (keyword -> FIFO), with their *_script. */
  fifos?: Partial<Record<FifoKeyword, NotifyFifoSpec & { readonly at: SourcePosition }>>;
  fifoScripts?: Partial<
    Record<
      FifoKeyword,
      { readonly argv: readonly string[]; readonly user?: string; readonly group?: string; readonly at: SourcePosition }
    >
  >;
  fifoStatesOnReload?: boolean;
  /** vmac_prefix: a generated VMAC is named `<prefix>.<vrid>` (default vrrp). */
  vmacPrefix?: string;
  /** vmac_addr_prefix: the same for the VMACs of addresses (use_vmac_addr); default vmac_prefix. */
  vmacAddrPrefix?: string;
  /** vrrp_lower_prio_no_advert, vrrp_higher_prio_send_advert, vrrp_down_timer_adverts: instance defaults. */
  advertPolicy?: AdvertPolicy;
  /** vrrp_skip_check_adv_addr: skip_check_adv_addr for every instance. */
  skipCheckAdvertAddresses?: boolean;
  /** vrrp_startup_delay, in ms: given to every instance. */
  startupDelayMs?: number;
  /** default_interface: where a static_ipaddress without `dev` goes (keepalived's default: eth0). */
  defaultInterface?: string;
  /** The FIFOs with their scripts, as the health plan takes them (resolveNotifyFifos). */
  notifyFifos?: NotifyFifoSpec[];
  /** vrrp_rx_bufs_policy and vrrp_rx_bufs_multiplier (receive-buffers.ts). */
  rxBufs?: RxBufsGlobals;
  /** vrrp_netlink_{cmd,monitor}_rcv_bufs[_force] (netlink-buffers.ts). */
  netlinkBuffers?: NetlinkBuffersGlobals;
  /** umask (umask.ts): the process umask and the modes of the files made (src/cli/file-modes.ts). */
  umask?: number;
  /** nftables, nftables_priority, nftables_counters, nftables_ifindex, vrrp_iptables (nftables-globals.ts). */
  nftables?: NftablesGlobals;
  /** reload_check_config, reload_file, reload_time_file, reload_repeat (reload-globals.ts). */
  reload?: ReloadSettings;
  /** The last reload_file had no name: named by `naming` once the file is read (defaultReloadFile). */
  reloadFileDefault?: boolean;
  /** net_namespace, instance, use_pid_dir: top-level keywords (process-naming.ts). */
  naming?: ProcessNaming;
  /** data_use_instance: the data dump's name holds the namespace and instance names. */
  dataUseInstance?: boolean;
  /** disable_local_igmp: no IGMP reports for link-local groups while running (src/linux/local-igmp.ts). */
  disableLocalIgmp?: boolean;
}

type FifoKeyword = 'notify_fifo' | 'vrrp_notify_fifo';

/** How a Master answers adverts and how long a Backup waits, as keepalived's keywords set them. */
export interface AdvertPolicy {
  readonly lowerPriorityNoAdvert?: boolean;
  readonly higherPrioritySendAdvert?: boolean;
  readonly downTimerAdverts?: number;
}

/** Reads lower_prio_no_advert, higher_prio_send_advert or down_timer_adverts (with or without vrrp_). */
export function readAdvertPolicy(
  statement: Statement,
  policy: AdvertPolicy,
  diagnostics: DiagnosticList,
): AdvertPolicy | undefined {
  switch (statement.keyword.replace(/^vrrp_/, '')) {
    case 'lower_prio_no_advert': {
      const on = readFlag(statement, diagnostics);
      return on === undefined ? policy : { ...policy, lowerPriorityNoAdvert: on };
    }
    case 'higher_prio_send_advert': {
      const on = readFlag(statement, diagnostics);
      return on === undefined ? policy : { ...policy, higherPrioritySendAdvert: on };
    }
    case 'down_timer_adverts': {
      const adverts = readInteger(statement, 1, 100, diagnostics);
      return adverts === undefined ? policy : { ...policy, downTimerAdverts: adverts };
    }
    default:
      return undefined;
  }
}

/** The keyword each scheduling setting comes from, for the error when the kernel refuses it. */
const SCHEDULING_KEYWORDS = {
  realtimePriority: 'vrrp_rt_priority',
  nice: 'vrrp_priority',
  cpuAffinity: 'vrrp_cpu_affinity',
  realtimeLimitUs: 'vrrp_rlimit_rttime',
  lockMemory: 'vrrp_no_swap',
  maxAutoPriority: 'max_auto_priority',
  autoPriorityDelayUs: 'min_auto_priority_delay',
} as const;

const DEFAULT_MCAST_GROUP = { vrrp_mcast_group4: '224.0.0.18', vrrp_mcast_group6: 'ff02::12' } as const;

export function readGlobalDefs(
  block: readonly Statement[],
  globals: KeepalivedGlobals,
  diagnostics: DiagnosticList,
): void {
  for (const statement of block) {
    const { keyword } = statement;
    const reader = Object.hasOwn(GLOBAL_READERS, keyword) ? GLOBAL_READERS[keyword] : undefined;
    if (reader) reader(statement, globals, diagnostics);
    else if (!(keyword.startsWith('vrrp_garp_') && readGarpGlobal(statement, globals.announce, diagnostics)))
      reportUnmapped('global_defs', statement, diagnostics);
  }
}

type GlobalReader = (statement: Statement, globals: KeepalivedGlobals, diagnostics: DiagnosticList) => void;

/** global_defs keywords with a meaning here, each with its reader; the others go to reportUnmapped. */
const GLOBAL_READERS: Readonly<Record<string, GlobalReader>> = {
  ...RELOAD_READERS,
  ...START_STOP_READERS,
  ...NETLINK_BUFFER_READERS,
  random_seed: (statement, _globals, diagnostics) => readRandomSeed(statement, diagnostics),
  umask: (statement, globals, diagnostics) => {
    const mask = readUmask(statement, diagnostics);
    if (mask !== undefined) globals.umask = mask;
  },
  default_interface: (statement, globals, diagnostics) => {
    const word = singleArg(statement, diagnostics);
    if (word && word.text.length > MAX_INTERFACE_NAME)
      diagnostics.error(word, `interface name "${word.text}" is longer than ${MAX_INTERFACE_NAME} characters`);
    else if (word) globals.defaultInterface = word.text;
  },
  router_id: (statement, globals, diagnostics) => {
    const word = singleArg(statement, diagnostics);
    if (word) globals.routerId = word.text;
  },
  script_user: (statement, globals, diagnostics) => {
    // `script_user USER [GROUP]`
    if (statement.args.length < 1 || statement.args.length > 2)
      diagnostics.error(statement, 'script_user takes a user name and optionally a group');
    else globals.scriptUser = statement.args.map((w) => w.text).join(' ');
  },
  enable_script_security: (statement, globals, diagnostics) => {
    if (noArgs(statement, diagnostics)) globals.enableScriptSecurity = true;
  },
  vrrp_version: (statement, globals, diagnostics) => {
    const version = readInteger(statement, 2, 3, diagnostics);
    if (version === 2 || version === 3) globals.version = version;
  },
  vrrp_strict: (statement, globals, diagnostics) => {
    if (noArgs(statement, diagnostics)) globals.strict = statement;
  },
  vrrp_check_unicast_src: (statement, globals, diagnostics) => {
    if (noArgs(statement, diagnostics)) globals.checkUnicastSource = true;
  },
  vrrp_garp_extra_if: (statement, globals, diagnostics) => {
    const extra = readExtraInterfaceAnnounce(statement, 1, diagnostics);
    if (extra) globals.extraInterfaceAnnounce = extra;
  },
  vrrp_garp_interval: (statement, globals, diagnostics) => {
    readGlobalGap(statement, (globals.announceGaps ??= {}), diagnostics);
  },
  vrrp_gna_interval: (statement, globals, diagnostics) => {
    readGlobalGap(statement, (globals.announceGaps ??= {}), diagnostics);
  },
  vrrp_mcast_group4: readMcastGroup,
  vrrp_mcast_group6: readMcastGroup,
  vrrp_rt_priority: (statement, globals, diagnostics) =>
    setScheduling(globals, 'realtimePriority', readInteger(statement, 1, 99, diagnostics)),
  vrrp_priority: (statement, globals, diagnostics) =>
    setScheduling(globals, 'nice', readInteger(statement, -20, 19, diagnostics)),
  vrrp_no_swap: (statement, globals, diagnostics) => {
    // keepalived ignores anything after the keyword; so do we, with a word about it.
    if (statement.args.length > 0) diagnostics.warning(statement, 'vrrp_no_swap takes no value; ignored');
    setScheduling(globals, 'lockMemory', true);
  },
  notify_fifo: readNotifyFifo,
  vrrp_notify_fifo: readNotifyFifo,
  notify_fifo_script: readNotifyFifoScript,
  vrrp_notify_fifo_script: readNotifyFifoScript,
  vmac_prefix: (statement, globals, diagnostics) => readVmacPrefix(statement, globals, 'vmacPrefix', diagnostics),
  vmac_addr_prefix: (statement, globals, diagnostics) =>
    readVmacPrefix(statement, globals, 'vmacAddrPrefix', diagnostics),
  data_use_instance: (statement, globals, diagnostics) => {
    const on = readFlag(statement, diagnostics);
    if (on !== undefined) globals.dataUseInstance = on;
  },
  fifo_write_vrrp_states_on_reload: (statement, globals, diagnostics) => {
    if (noArgs(statement, diagnostics)) globals.fifoStatesOnReload = true;
  },
  vrrp_min_garp: (statement, globals, diagnostics) => {
    // keepalived -d with vrrp_min_garp: one message, no second burst, after becoming Master and after a
    // lower-priority advert alike (the refresh stays off). Later vrrp_garp_* lines override it.
    if (readFlag(statement, diagnostics) === true) {
      Object.assign(globals.announce, {
        repeat: 1,
        secondBurstDelayMs: 0,
        lowerPriorityRepeat: 1,
        lowerPrioritySecondBurstDelayMs: 0,
      });
    }
  },
  log_unknown_vrids: (statement, _globals, diagnostics) => {
    // What vrrp-engine always does: the runtime logs each unknown VRID's drops (rate-limited, counted).
    noArgs(statement, diagnostics);
  },
  dynamic_interfaces: (statement, _globals, diagnostics) => {
    // vrrp-engine always runs so: an interface missing at start keeps its instance in Fault.
    const [first, extra] = statement.args;
    if (extra !== undefined || (first !== undefined && first.text !== 'allow_if_changes'))
      diagnostics.error(statement, 'dynamic_interfaces takes nothing or allow_if_changes');
  },
  vrrp_cpu_affinity: (statement, globals, diagnostics) =>
    setScheduling(globals, 'cpuAffinity', readCpuList(statement, diagnostics)),
  vrrp_rlimit_rtime: readRlimitRttime,
  vrrp_rlimit_rttime: readRlimitRttime,
  max_auto_priority: readMaxAutoPriority,
  min_auto_priority_delay: (statement, globals, diagnostics) =>
    setScheduling(globals, 'autoPriorityDelayUs', readInteger(statement, 1, 10_000_000, diagnostics)),
  vrrp_lower_prio_no_advert: readGlobalAdvertPolicy,
  vrrp_higher_prio_send_advert: readGlobalAdvertPolicy,
  vrrp_down_timer_adverts: readGlobalAdvertPolicy,
  vrrp_rx_bufs_policy: (statement, globals, diagnostics) =>
    readRxBufsPolicy(statement, (globals.rxBufs ??= {}), diagnostics),
  vrrp_rx_bufs_multiplier: (statement, globals, diagnostics) =>
    readRxBufsMultiplier(statement, (globals.rxBufs ??= {}), diagnostics),
  disable_local_igmp: (_statement, globals) => {
    // keepalived's handler reads no value. It refuses the keyword when the kernel lacks the setting;
    // that is known at start, where a failure to set it is logged (host-setup.ts disableLocalIgmp).
    globals.disableLocalIgmp = true;
  },
  vrrp_skip_check_adv_addr: (_statement, globals) => {
    // keepalived's handler reads no value: any line turns it on for every instance.
    globals.skipCheckAdvertAddresses = true;
  },
  vrrp_startup_delay: (statement, globals, diagnostics) => {
    // keepalived: a decimal number of seconds, above 0 and at most UINT_MAX / TIMER_HZ.
    const seconds = readSeconds(statement, 0.000001, 4294, diagnostics);
    if (seconds !== undefined) globals.startupDelayMs = Math.round(seconds * 1000);
  },
  ...Object.fromEntries(
    Object.entries(NFTABLES_READERS).map(([keyword, read]): [string, GlobalReader] => [
      keyword,
      (statement, globals, diagnostics) => read(statement, (globals.nftables ??= {}), diagnostics),
    ]),
  ),
};

function readGlobalAdvertPolicy(statement: Statement, globals: KeepalivedGlobals, diagnostics: DiagnosticList): void {
  globals.advertPolicy = readAdvertPolicy(statement, globals.advertPolicy ?? {}, diagnostics) ?? {};
}

function readMcastGroup(statement: Statement, _globals: KeepalivedGlobals, diagnostics: DiagnosticList): void {
  const keyword = statement.keyword as keyof typeof DEFAULT_MCAST_GROUP;
  const word = singleArg(statement, diagnostics);
  const standard = DEFAULT_MCAST_GROUP[keyword];
  if (word && word.text.toLowerCase() !== standard)
    diagnostics.error(word, `${keyword} ${word.text}: only the standard group ${standard} is supported for now`);
}

/** `notify_fifo PATH [USER [GROUP]]`: USER and GROUP own the FIFO when it is made. */
function readNotifyFifo(statement: Statement, globals: KeepalivedGlobals, diagnostics: DiagnosticList): void {
  const keyword = statement.keyword as FifoKeyword;
  const [path, user, group, extra] = statement.args;
  if (!path || extra) diagnostics.error(statement, `${keyword} takes a FIFO path and optionally a user and a group`);
  else if (!path.text.startsWith('/'))
    diagnostics.error(path, `${keyword} ${path.text}: the FIFO path must be absolute`);
  else {
    globals.fifos = {
      ...globals.fifos,
      [keyword]: {
        path: path.text,
        ...(user ? { owner: { user: user.text, ...(group ? { group: group.text } : {}) } } : {}),
        at: statement,
      },
    };
  }
}

function readNotifyFifoScript(statement: Statement, globals: KeepalivedGlobals, diagnostics: DiagnosticList): void {
  const script = readScriptWithUser(statement, diagnostics);
  if (script)
    globals.fifoScripts = {
      ...globals.fifoScripts,
      [statement.keyword.replace(/_script$/, '')]: { ...script, at: statement },
    };
}

function readRlimitRttime(statement: Statement, globals: KeepalivedGlobals, diagnostics: DiagnosticList): void {
  if (statement.keyword === 'vrrp_rlimit_rtime')
    diagnostics.warning(statement, 'vrrp_rlimit_rtime is deprecated (as in keepalived): use vrrp_rlimit_rttime');
  const limitUs = readInteger(statement, 1, 4_294_967_295, diagnostics);
  // keepalived's soft limit is half of this and must not be 0: 1 is taken as 2, as it does.
  setScheduling(globals, 'realtimeLimitUs', limitUs === 1 ? 2 : limitUs);
}

/**
 * `max_auto_priority [PRIORITY]`: no value is the highest SCHED_RR priority (99); 0 (keepalived's
 * default) and -1 (which only silences keepalived's start notice) leave the automatic raise off.
 */
function readMaxAutoPriority(statement: Statement, globals: KeepalivedGlobals, diagnostics: DiagnosticList): void {
  const priority = statement.args.length === 0 ? 99 : readInteger(statement, -1, 99, diagnostics);
  if (priority === undefined) return;
  if (priority > 0) setScheduling(globals, 'maxAutoPriority', priority);
  else if (globals.scheduling?.maxAutoPriority !== undefined) {
    const { maxAutoPriority: _off, ...rest } = globals.scheduling;
    globals.scheduling = rest;
  }
}

/**
 * notify_fifo and vrrp_notify_fifo with their scripts, once global_defs is read (the keywords may come
 * in any order). keepalived wants every FIFO name different; a script without its FIFO is not run.
 */
export function resolveNotifyFifos(globals: KeepalivedGlobals, diagnostics: DiagnosticList): void {
  const specs: NotifyFifoSpec[] = [];
  for (const keyword of ['notify_fifo', 'vrrp_notify_fifo'] as const) {
    const fifo = globals.fifos?.[keyword];
    const script = globals.fifoScripts?.[keyword];
    if (script && !fifo) {
      diagnostics.warning(script.at, `${keyword}_script is not run: there is no ${keyword} for it to read`);
    }
    if (!fifo) continue;
    const other = specs.find((spec) => spec.path === fifo.path);
    if (other) {
      diagnostics.error(fifo.at, `${keyword} ${fifo.path}: notify_fifo and vrrp_notify_fifo must name different FIFOs`);
      continue;
    }
    const { at: _at, ...spec } = fifo;
    specs.push({
      ...spec,
      ...(script
        ? {
            script: script.argv,
            ...(script.user ? { scriptUser: script.user } : {}),
            ...(script.group ? { scriptGroup: script.group } : {}),
          }
        : {}),
    });
  }
  if (specs.length > 0) globals.notifyFifos = specs;
}

/** `KEYWORD COMMAND [USER [GROUP]]`, COMMAND one word or a quoted command line (keepalived's form). */
function readScriptWithUser(
  statement: Statement,
  diagnostics: DiagnosticList,
): { argv: string[]; user?: string; group?: string } | undefined {
  const [command, user, group, extra] = statement.args;
  if (!command || extra) {
    diagnostics.error(
      statement,
      `${statement.keyword} takes a command (quoted if it has arguments) and optionally a user and a group`,
    );
    return undefined;
  }
  try {
    const argv = command.quoted ? splitCommandLine(command.text) : [command.text];
    if (argv.length === 0) throw new Error('the command is empty');
    return { argv, ...(user ? { user: user.text } : {}), ...(group ? { group: group.text } : {}) };
  } catch (error) {
    diagnostics.error(statement, `${statement.keyword}: ${(error as Error).message}`);
    return undefined;
  }
}

function setScheduling<K extends keyof typeof SCHEDULING_KEYWORDS>(
  globals: KeepalivedGlobals,
  setting: K,
  value: ProcessScheduling[K] | undefined,
): void {
  if (value === undefined) return;
  globals.scheduling = { ...globals.scheduling, [setting]: value, names: SCHEDULING_KEYWORDS };
}

/** `vrrp_cpu_affinity 0 2 3`: CPU numbers (checked against the machine's CPUs at start). */
function readCpuList(statement: Statement, diagnostics: DiagnosticList): number[] | undefined {
  if (statement.args.length === 0) {
    diagnostics.error(statement, 'vrrp_cpu_affinity needs at least one CPU number');
    return undefined;
  }
  const cpus = statement.args.map((word) => integerValue(word, 'vrrp_cpu_affinity', 0, MAX_CPU, diagnostics));
  return cpus.every((cpu) => cpu !== undefined) ? [...new Set(cpus as number[])] : undefined;
}

/** GARP timings, global (`vrrp_garp_*`) or per instance (`garp_*`); false if not one of them. */
export function readGarpGlobal(
  statement: Statement,
  announce: Partial<AnnounceConfig>,
  diagnostics: DiagnosticList,
): boolean {
  const name = statement.keyword.replace(/^vrrp_/, '');
  switch (name) {
    case 'garp_master_delay':
      setMs(statement, announce, 'secondBurstDelayMs', diagnostics);
      return true;
    case 'garp_master_repeat':
      setCount(statement, announce, 'repeat', 1, diagnostics);
      return true;
    case 'garp_master_refresh':
      setMs(statement, announce, 'refreshIntervalMs', diagnostics);
      return true;
    case 'garp_master_refresh_repeat':
      setCount(statement, announce, 'refreshRepeat', 1, diagnostics);
      return true;
    case 'garp_lower_prio_delay':
      setMs(statement, announce, 'lowerPrioritySecondBurstDelayMs', diagnostics);
      return true;
    case 'garp_lower_prio_repeat':
      setCount(statement, announce, 'lowerPriorityRepeat', 0, diagnostics);
      return true;
    default:
      return false;
  }
}

function setMs(
  statement: Statement,
  announce: Partial<AnnounceConfig>,
  field: keyof AnnounceConfig,
  diagnostics: DiagnosticList,
): void {
  const seconds = readInteger(statement, 0, 86_400, diagnostics);
  if (seconds !== undefined) (announce as Record<string, number>)[field] = seconds * 1000;
}

function setCount(
  statement: Statement,
  announce: Partial<AnnounceConfig>,
  field: keyof AnnounceConfig,
  min: number,
  diagnostics: DiagnosticList,
): void {
  const count = readInteger(statement, min, 10_000, diagnostics);
  if (count !== undefined) (announce as Record<string, number>)[field] = count;
}

/**
 * keepalived's global lower-priority re-announcement falls back to the global master burst settings
 * when it is not set itself, so setting vrrp_garp_master_repeat alone changes both.
 */
export function completeAnnounce(announce: Partial<AnnounceConfig>): Partial<AnnounceConfig> {
  return {
    ...announce,
    ...(announce.lowerPriorityRepeat === undefined && announce.repeat !== undefined
      ? { lowerPriorityRepeat: announce.repeat }
      : {}),
    ...(announce.lowerPrioritySecondBurstDelayMs === undefined && announce.secondBurstDelayMs !== undefined
      ? { lowerPrioritySecondBurstDelayMs: announce.secondBurstDelayMs }
      : {}),
  };
}

/**
 * vmac_prefix / vmac_addr_prefix. keepalived cuts a long prefix so that `<prefix>.<vrid>` fits in 15
 * bytes; a '/' or ':' would make a name the kernel refuses (keepalived's -t accepts it, its VMAC then
 * fails to be created). A second one is ignored, as keepalived does.
 */
function readVmacPrefix(
  statement: Statement,
  globals: KeepalivedGlobals,
  field: 'vmacPrefix' | 'vmacAddrPrefix',
  diagnostics: DiagnosticList,
): void {
  const word = singleArg(statement, diagnostics);
  if (!word) return;
  if (/[\s/:]/.test(word.text)) {
    diagnostics.error(word, `${statement.keyword} "${word.text}": no "/" or ":" (the VMAC is named <prefix>.<vrid>)`);
  } else if (globals[field] !== undefined) {
    diagnostics.warning(
      word,
      `${statement.keyword} is already set to "${globals[field]}": this one is ignored, as keepalived does`,
    );
  } else globals[field] = word.text;
}
