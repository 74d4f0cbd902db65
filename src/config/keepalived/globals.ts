// global_defs: the settings that apply to every vrrp_instance (strict mode, GARP timings, version)
// and the few the daemon needs (router_id, script security, the VRRP process's scheduling). Options of keepalived that have no
// meaning here are accepted with a warning that says so, never dropped silently.

import type { AnnounceConfig } from '../../core/types.js';
import { MAX_CPU, NO_SWAP_UNSUPPORTED, type ProcessScheduling } from '../../model/scheduling.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import type { Statement } from './parser.js';
import { integerValue, noArgs, readInteger, singleArg } from './values.js';

export interface KeepalivedGlobals {
  routerId?: string;
  scriptUser?: string;
  enableScriptSecurity: boolean;
  version?: 2 | 3;
  /** Where vrrp_strict was set (it changes every instance). */
  strict?: SourcePosition;
  checkUnicastSource: boolean;
  announce: Partial<AnnounceConfig>;
  /** vrrp_rt_priority, vrrp_priority, vrrp_cpu_affinity, vrrp_rlimit_rttime. */
  scheduling?: ProcessScheduling;
}

/** The keyword each scheduling setting comes from, for the error when the kernel refuses it. */
const SCHEDULING_KEYWORDS = {
  realtimePriority: 'vrrp_rt_priority',
  nice: 'vrrp_priority',
  cpuAffinity: 'vrrp_cpu_affinity',
  realtimeLimitUs: 'vrrp_rlimit_rttime',
} as const;

const DEFAULT_MCAST_GROUP = { vrrp_mcast_group4: '224.0.0.18', vrrp_mcast_group6: 'ff02::12' } as const;

/** Accepted and ignored: mail, SNMP, LVS, process tuning. */
const IGNORED_GLOBALS = new Set([
  'notification_email', 'notification_email_from', 'smtp_server', 'smtp_connect_timeout', 'smtp_helo_name',
  'smtp_alert', 'smtp_alert_vrrp', 'smtp_alert_checker', 'no_email_faults', 'enable_traps', 'enable_snmp_vrrp',
  'enable_snmp_keepalived', 'enable_snmp_checker', 'enable_snmp_rfc', 'enable_snmp_rfcv2', 'enable_snmp_rfcv3',
  'snmp_socket', 'lvs_id', 'lvs_sync_daemon', 'lvs_flush', 'lvs_flush_onstop', 'lvs_timeouts', 'checker_priority',
  'checker_no_swap', 'checker_rt_priority', 'checker_cpu_affinity', 'checker_process_name', 'bfd_priority',
  'bfd_no_swap', 'bfd_rt_priority', 'bfd_process_name', 'vrrp_process_name', 'process_names', 'process_name',
  'max_auto_priority', 'min_auto_priority_delay', 'checker_rlimit_rtime', 'bfd_rlimit_rtime', 'checker_rlimit_rttime',
  'bfd_rlimit_rttime', 'umask',
  'dynamic_interfaces', 'vrrp_rx_bufs_policy', 'vrrp_rx_bufs_multiplier', 'vrrp_netlink_cmd_rcv_bufs',
  'vrrp_netlink_cmd_rcv_bufs_force', 'vrrp_netlink_monitor_rcv_bufs', 'vrrp_netlink_monitor_rcv_bufs_force',
  'random_seed', 'vrrp_higher_prio_send_advert',
]);

/** Known keepalived options that would change VRRP behaviour and are not implemented: warned. */
const UNSUPPORTED_GLOBALS: Readonly<Record<string, string>> = {
  vrrp_garp_interval: 'the gap between gratuitous ARPs of one burst is not configurable yet; they are sent back to back',
  vrrp_gna_interval: 'the gap between unsolicited NAs of one burst is not configurable yet; they are sent back to back',
  vrrp_min_garp: 'not supported; the vrrp_garp_* values are used as given',
  vrrp_lower_prio_no_advert: 'not supported: a Master that hears a lower priority advertises at once (RFC 9568)',
  vrrp_startup_delay: 'not supported yet: routers start at once',
  vrrp_notify_fifo: 'notify FIFOs are not supported yet (issue 5)',
  vrrp_notify_fifo_script: 'notify FIFOs are not supported yet (issue 5)',
  notify_fifo: 'notify FIFOs are not supported yet (issue 5)',
  notify_fifo_script: 'notify FIFOs are not supported yet (issue 5)',
  vrrp_iptables: 'accepted; accept mode off is enforced with vrrp-engine\'s own nftables table inet vrrp_engine_accept (a drop set of the VIPs)',
  vrrp_ipsets: 'accepted; accept mode off is enforced with vrrp-engine\'s own nftables table inet vrrp_engine_accept (a drop set of the VIPs)',
  vrrp_nftables: 'accepted; accept mode off is enforced with vrrp-engine\'s own nftables table inet vrrp_engine_accept (a drop set of the VIPs)',
  vrrp_nftables_priority: 'accepted; accept mode off is enforced with vrrp-engine\'s own nftables table inet vrrp_engine_accept (a drop set of the VIPs)',
  vrrp_nftables_ifindex: 'accepted; accept mode off is enforced with vrrp-engine\'s own nftables table inet vrrp_engine_accept (a drop set of the VIPs)',
  default_interface: 'not supported: give each vrrp_instance its interface',
  net_namespace: 'not supported: run vrrp-engine inside the namespace instead',
  instance: 'not supported',
  linkbeat_use_polling: 'not supported: link state comes from rtnetlink',
  vrrp_skip_check_adv_addr: 'accepted: vrrp-engine only logs an address list that differs from ours (it drops it only under vrrp_strict)',
};

export function readGlobalDefs(block: readonly Statement[], globals: KeepalivedGlobals, diagnostics: DiagnosticList): void {
  for (const statement of block) {
    const { keyword } = statement;
    switch (keyword) {
      case 'router_id': {
        const word = singleArg(statement, diagnostics);
        if (word) globals.routerId = word.text;
        break;
      }
      case 'script_user': {
        // `script_user USER [GROUP]`
        if (statement.args.length < 1 || statement.args.length > 2) {
          diagnostics.error(statement, 'script_user takes a user name and optionally a group');
        } else {
          globals.scriptUser = statement.args.map((w) => w.text).join(' ');
        }
        break;
      }
      case 'enable_script_security':
        if (noArgs(statement, diagnostics)) globals.enableScriptSecurity = true;
        break;
      case 'vrrp_version': {
        const version = readInteger(statement, 2, 3, diagnostics);
        if (version === 2 || version === 3) globals.version = version;
        break;
      }
      case 'vrrp_strict':
        if (noArgs(statement, diagnostics)) globals.strict = statement;
        break;
      case 'vrrp_check_unicast_src':
        if (noArgs(statement, diagnostics)) globals.checkUnicastSource = true;
        break;
      case 'vrrp_mcast_group4':
      case 'vrrp_mcast_group6': {
        const word = singleArg(statement, diagnostics);
        const standard = DEFAULT_MCAST_GROUP[keyword];
        if (word && word.text.toLowerCase() !== standard) {
          diagnostics.error(word, `${keyword} ${word.text}: only the standard group ${standard} is supported for now`);
        }
        break;
      }
      case 'vrrp_rt_priority':
        setScheduling(globals, 'realtimePriority', readInteger(statement, 1, 99, diagnostics));
        break;
      case 'vrrp_priority':
        setScheduling(globals, 'nice', readInteger(statement, -20, 19, diagnostics));
        break;
      case 'vrrp_no_swap':
        if (noArgs(statement, diagnostics)) diagnostics.warning(statement, `vrrp_no_swap: ${NO_SWAP_UNSUPPORTED}`);
        break;
      case 'vrrp_cpu_affinity':
        setScheduling(globals, 'cpuAffinity', readCpuList(statement, diagnostics));
        break;
      case 'vrrp_rlimit_rtime':
      case 'vrrp_rlimit_rttime': {
        if (keyword === 'vrrp_rlimit_rtime') diagnostics.warning(statement, 'vrrp_rlimit_rtime is deprecated (as in keepalived): use vrrp_rlimit_rttime');
        const limitUs = readInteger(statement, 1, 4_294_967_295, diagnostics);
        // keepalived's soft limit is half of this and must not be 0: 1 is taken as 2, as it does.
        setScheduling(globals, 'realtimeLimitUs', limitUs === 1 ? 2 : limitUs);
        break;
      }
      default:
        if (!(keyword.startsWith('vrrp_garp_') && readGarpGlobal(statement, globals.announce, diagnostics))) {
          unknownGlobal(statement, diagnostics);
        }
    }
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

function unknownGlobal(statement: Statement, diagnostics: DiagnosticList): void {
  const { keyword } = statement;
  if (IGNORED_GLOBALS.has(keyword)) {
    diagnostics.warning(statement, `${keyword} is accepted and ignored: it has no effect on vrrp-engine`);
  } else if (UNSUPPORTED_GLOBALS[keyword] !== undefined) {
    diagnostics.warning(statement, `${keyword}: ${UNSUPPORTED_GLOBALS[keyword]}`);
  } else {
    diagnostics.error(statement, `unknown keyword "${keyword}" in global_defs`);
  }
}

/** GARP timings, global (`vrrp_garp_*`) or per instance (`garp_*`); false if not one of them. */
export function readGarpGlobal(statement: Statement, announce: Partial<AnnounceConfig>, diagnostics: DiagnosticList): boolean {
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

function setMs(statement: Statement, announce: Partial<AnnounceConfig>, field: keyof AnnounceConfig, diagnostics: DiagnosticList): void {
  const seconds = readInteger(statement, 0, 86_400, diagnostics);
  if (seconds !== undefined) (announce as Record<string, number>)[field] = seconds * 1000;
}

function setCount(statement: Statement, announce: Partial<AnnounceConfig>, field: keyof AnnounceConfig, min: number, diagnostics: DiagnosticList): void {
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
    ...(announce.lowerPriorityRepeat === undefined && announce.repeat !== undefined ? { lowerPriorityRepeat: announce.repeat } : {}),
    ...(announce.lowerPrioritySecondBurstDelayMs === undefined && announce.secondBurstDelayMs !== undefined
      ? { lowerPrioritySecondBurstDelayMs: announce.secondBurstDelayMs }
      : {}),
  };
}
