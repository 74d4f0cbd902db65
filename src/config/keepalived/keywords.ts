// Every keyword of keepalived 2.2.7's keepalived.conf(5) in the blocks that concern VRRP, each in one
// class. The reader uses this table for every keyword its own code does not map (reportUnmapped), and
// docs/keepalived-conf.md's keyword tables are rendered from it (test/config/keepalived-keywords.test.ts
// holds them equal; test/config/keepalived-verdict.root.test.ts runs one file per row past keepalived -t).
//
// Classes:
// - implemented: the reader maps it with keepalived's meaning (each has a test);
// - not-ours: it tunes a part vrrp-engine does not have (LVS, the checker and BFD processes, SMTP,
//   SNMP, D-Bus): accepted, with one warning saying so;
// - refused: keepalived accepts it, but running without it would be wrong and there is no stand-in.

import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';

// There is no "not yet" class: every keyword that changes what a VRRP router does is implemented
// (issue 13); the type keeps it that way.
export type KeywordClass = 'implemented' | 'not-ours' | 'refused';

/** The blocks whose keywords are listed; `top` is the file's top level. */
export const KEYWORD_BLOCKS = [
  'top',
  'global_defs',
  'vrrp_instance',
  'authentication',
  'vrrp_sync_group',
  'vrrp_script',
  'vrrp_track_file',
  'vrrp_track_process',
] as const;
export type KeywordBlock = (typeof KEYWORD_BLOCKS)[number];

export interface KeywordRow {
  readonly block: KeywordBlock;
  readonly keyword: string;
  readonly class: KeywordClass;
  /** What vrrp-engine does with it (implemented), or what differs (the other classes). */
  readonly note: string;
  /**
   * The text after the keyword in a file that keepalived 2.2.7 -t accepts (from the manual's synopsis);
   * may hold a `{ ... }` block. Empty for a flag.
   */
  readonly sample: string;
}

type Row = readonly [keyword: string, cls: KeywordClass, note: string, sample?: string];

const LVS = 'LVS (virtual servers, IPVS) is not part of vrrp-engine';
const CHECKER = "tunes keepalived's checker (LVS health-check) process, which vrrp-engine does not have";
const BFD = "tunes keepalived's BFD process, which vrrp-engine does not have";
const SMTP = 'vrrp-engine sends no mail';
const SNMP = 'vrrp-engine has no SNMP agent (its metrics are Prometheus, docs/operations.md)';
/** Samples of unicast keywords add a peer: keepalived -t fails on a unicast keyword without one. */
const WITH_PEER = '\nunicast_peer {\n192.0.2.2\n}';

const TOP: readonly Row[] = [
  ['global_defs', 'implemented', 'settings for every instance, wherever the block is in the file', '{ router_id R1 }'],
  [
    'vrrp_instance',
    'implemented',
    'one router (see the vrrp_instance table)',
    'VI_9 {\ninterface eth0\nvirtual_router_id 59\nvirtual_ipaddress {\n192.0.2.59\n}\n}',
  ],
  ['vrrp_sync_group', 'implemented', 'a sync group, run by src/health (docs/health.md)', 'G9 {\ngroup {\nVI_1\n}\n}'],
  ['vrrp_script', 'implemented', 'a tracked script, run by src/health', 'chk9 {\nscript "/bin/true"\n}'],
  ['vrrp_track_file', 'implemented', 'a tracked file, read by src/health', 'tf9 {\nfile "/run/vrrp-track"\n}'],
  ['track_file', 'implemented', 'the same as vrrp_track_file', 'tf9 {\nfile "/run/vrrp-track"\n}'],
  ['vrrp_track_process', 'implemented', 'a tracked process, found in /proc by src/health', 'tp9 {\nprocess sshd\n}'],
  ['include', 'implemented', 'files read in place (glob patterns, relative to the including file)', 'empty.inc'],
  ['includer', 'implemented', 'include, with a match that cannot be read an error (include_check read)', 'empty.inc'],
  ['includem', 'implemented', 'include, with a missing file an error too (include_check match)', 'empty.inc'],
  [
    'includew',
    'implemented',
    'include, with a missing file or an empty wildcard an error too (include_check match wildcard_match)',
    'empty.inc',
  ],
  [
    'includeb',
    'implemented',
    'include, with a { } alternative naming no file an error too (include_check brace_match)',
    'empty.inc',
  ],
  ['includea', 'implemented', 'include with every include_check check', 'empty.inc'],
  [
    'static_ipaddress',
    'implemented',
    'addresses added at start whatever the state, kept, removed at stop (virtual_ipaddress syntax; no dev: default_interface)',
    '{ 192.0.2.201/32 dev eth0 }',
  ],
  [
    'static_routes',
    'implemented',
    'routes added at start whatever the state (rtnetlink, protocol keepalived), put back if deleted, removed at stop',
    '{ 198.51.100.0/24 via 192.0.2.1 dev eth0 }',
  ],
  [
    'static_rules',
    'implemented',
    'policy rules added at start whatever the state, put back if deleted, removed at stop',
    '{\nfrom 198.51.100.0/24 table 100 preference 100\n}',
  ],
  [
    'track_group',
    'implemented',
    'its instances track (weight 0) the link of each static address, route (dev) and rule (iif) naming the group',
    'G1 {\ngroup {\nVI_1\n}\n}',
  ],
  [
    'garp_group',
    'implemented',
    'its interfaces take its garp_interval / gna_interval instead of the global gaps (a gap it leaves out: none); an interface already in a group keeps the first',
    '{\ngarp_interval 0.001\ninterface eth0\n}',
  ],
  [
    'linkbeat_interfaces',
    'implemented',
    "each interface's link is read once a second, its rtnetlink link changes ignored: MII (the PHY's BMSR link bit), ETHTOOL (GLINK) or IOCTL, or with no type the first the driver answers, then IFF_UP and IFF_RUNNING; a change moves the instances using or tracking it at once (track_interface included); a type the driver lacks falls back as keepalived's does (logged)",
    '{\nlo\n}',
  ],
  [
    'interface_up_down_delays',
    'implemented',
    "per interface (seconds, µs resolution, 0..255), a link change reaches the instances using or tracking it (track_interface included) only after it has held for the down (or up) delay; a flap back within it moves nothing; a missing up delay is 0 (keepalived 2.2.7's code); the first change of a link never seen up, and a deletion, are at once; cut below (down_timer_adverts - 1) x advert_int of an instance on the interface; a reload applies new delays",
    '{ eth0 1 }',
  ],
  [
    'linkbeat_use_polling',
    'implemented',
    'the interface of every instance (but a VMAC one) is polled as in linkbeat_interfaces, with its type there if it is listed, else the first the driver answers',
  ],
  [
    'net_namespace',
    'implemented',
    'bin/vrrpd runs in the network namespace /run/netns/NAME (entered, then started again inside it, before any socket), with /run/keepalived/NAME as its /run/keepalived; implies use_pid_dir; a reload cannot change it',
    'blue',
  ],
  ['net_namespace_ipvs', 'not-ours', LVS, 'blue'],
  ['namespace_with_ipsets', 'not-ours', 'vrrp-engine uses no ipsets'],
  [
    'instance',
    'implemented',
    'the pid files are /run/keepalived/keepalived_NAME.pid and vrrp_NAME.pid, the default reload_file keepalived_NAME.reload, the socket vrrpd_NAME.sock (unless -p, -r, --socket); implies use_pid_dir; a reload cannot change it',
    'I1',
  ],
  [
    'use_pid_dir',
    'implemented',
    'the pid files are /run/keepalived/keepalived.pid and vrrp.pid (made 0755, removed at exit if empty), the default reload_file and the socket there too (unless -p, -r, --socket)',
  ],
  ['child_wait_time', 'not-ours', 'vrrp-engine runs no child processes that must be waited for at stop', '5'],
  ['virtual_server', 'not-ours', LVS, '192.0.2.10 80 {\nreal_server 192.0.2.11 80 {\n}\n}'],
  ['virtual_server_group', 'not-ours', LVS, 'G1 { 192.0.2.10 80 }'],
  ['bfd_instance', 'not-ours', 'BFD is not part of vrrp-engine (track_bfd is refused)', 'B1 { neighbor_ip 192.0.2.2 }'],
];

const GLOBAL_DEFS: readonly Row[] = [
  ['router_id', 'implemented', "the daemon's name in logs and notify output", 'LVS_1'],
  ['script_user', 'implemented', 'the user scripts run as', 'root'],
  ['enable_script_security', 'implemented', 'scripts writable by non-root users are refused'],
  ['vrrp_version', 'implemented', 'the default VRRP version of every instance', '3'],
  [
    'vrrp_strict',
    'implemented',
    'strict mode for every instance (RFC conformance: no authentication, address lists checked, accept mode off)',
  ],
  [
    'vrrp_check_unicast_src',
    'implemented',
    'adverts from a source that is not a unicast_peer are dropped (vrrp-engine drops them even without this)',
  ],
  ['vrrp_mcast_group4', 'implemented', 'only the standard 224.0.0.18 (another group is refused)', '224.0.0.18'],
  ['vrrp_mcast_group6', 'implemented', 'only the standard ff02::12 (another group is refused)', 'ff02::12'],
  ['vrrp_garp_master_delay', 'implemented', 'delay of the second GARP/NA burst after becoming Master', '10'],
  ['vrrp_garp_master_repeat', 'implemented', 'messages per GARP/NA burst after becoming Master', '1'],
  ['vrrp_garp_master_refresh', 'implemented', 'interval of GARP/NA refreshes while Master', '60'],
  ['vrrp_garp_master_refresh_repeat', 'implemented', 'messages per refresh', '2'],
  ['vrrp_garp_lower_prio_delay', 'implemented', 'delay of the second burst after a lower-priority advert', '10'],
  ['vrrp_garp_lower_prio_repeat', 'implemented', 'messages per burst after a lower-priority advert', '1'],
  [
    'vrrp_rt_priority',
    'implemented',
    'SCHED_RR priority of the thread that sends adverts (src/linux/scheduling.ts)',
    '50',
  ],
  ['vrrp_priority', 'implemented', 'nice value of that thread when vrrp_rt_priority is not set', '-10'],
  ['vrrp_cpu_affinity', 'implemented', 'CPUs that thread may run on', '0'],
  ['vrrp_rlimit_rttime', 'implemented', 'RLIMIT_RTTIME with vrrp_rt_priority (default 200000 µs, not 10000)', '20000'],
  [
    'vrrp_rlimit_rtime',
    'implemented',
    'the deprecated spelling of vrrp_rlimit_rttime (warned, as keepalived)',
    '20000',
  ],
  [
    'dynamic_interfaces',
    'implemented',
    'always so in vrrp-engine: an interface may be missing at start (the instance waits in Fault)',
  ],
  [
    'vrrp_no_swap',
    'implemented',
    "locks the advert path (MLOCK_ONFAULT, as keepalived's mlockall): code, main stack, malloc heap, the advert thread's stack; not V8's heap, which V8 cannot run locked; needs CAP_IPC_LOCK",
  ],
  [
    'vrrp_garp_interval',
    'implemented',
    'least gap between two gratuitous ARPs on an interface (all routers); the first goes at once, the rest of a burst is one more a gap later, as in keepalived',
    '0.001',
  ],
  [
    'vrrp_gna_interval',
    'implemented',
    'least gap between two unsolicited NAs on an interface (all routers); the first goes at once, the rest of a burst is one more a gap later, as in keepalived',
    '0.000001',
  ],
  [
    'vrrp_min_garp',
    'implemented',
    'one GARP/NA per address and no second burst, after becoming Master and after a lower-priority advert',
  ],
  ['vrrp_garp_extra_if', 'implemented', 'garp_extra_if for every instance that sets none (at least 1 s)', '100'],
  [
    'vrrp_lower_prio_no_advert',
    'implemented',
    'the default of lower_prio_no_advert for every instance (on under strict mode, as keepalived)',
  ],
  [
    'vrrp_higher_prio_send_advert',
    'implemented',
    "the default of higher_prio_send_advert for every instance (left out: vrrp-engine's own default, on; off under strict mode)",
  ],
  ['vrrp_down_timer_adverts', 'implemented', 'the default of down_timer_adverts for every instance', '5'],
  [
    'vrrp_skip_check_adv_addr',
    'implemented',
    'skip_check_adv_addr for every instance (any value turns it on, as in keepalived)',
  ],
  [
    'vrrp_notify_priority_changes',
    'implemented',
    "the default of every instance's notify_priority_changes (an instance's own, then its sync group's, win)",
    'true',
  ],
  [
    'vrrp_startup_delay',
    'implemented',
    "no Backup takes over (and an owner stays Backup) until this long after start: down timers count from the delay's end",
    '5.5',
  ],
  [
    'log_unknown_vrids',
    'implemented',
    'always so in vrrp-engine: an advert for a VRID not configured is logged (rate-limited, with a count)',
  ],
  [
    'vmac_prefix',
    'implemented',
    'use_vmac without a name makes <prefix>.<vrid>, the prefix cut to fit 15 bytes; <prefix><n>.<vrid> when an earlier instance has that name',
    'vrrp',
  ],
  [
    'vmac_addr_prefix',
    'implemented',
    'the VMACs made for addresses (use_vmac_addr, use_vmac on an address) are named <prefix>.<vrid> as vmac_prefix names them (default: vmac_prefix)',
    'vrrp',
  ],
  [
    'notify_fifo',
    'implemented',
    'state changes written to this FIFO as keepalived writes them (INSTANCE "VI_1" MASTER 100); made if missing',
    '/run/keepalived.fifo',
  ],
  [
    'notify_fifo_script',
    'implemented',
    'started with the notify_fifo path as its last argument, ended with SIGTERM at stop',
    '/bin/true',
  ],
  [
    'vrrp_notify_fifo',
    'implemented',
    'as notify_fifo (a second FIFO: keepalived writes the VRRP lines to both)',
    '/run/keepalived_vrrp.fifo',
  ],
  [
    'vrrp_notify_fifo_script',
    'implemented',
    'started with the vrrp_notify_fifo path as its last argument',
    '/bin/true',
  ],
  ['fifo_write_vrrp_states_on_reload', 'implemented', "a reload writes every instance's state to the FIFOs again"],
  [
    'nftables',
    'implemented',
    "names keepalived's accept-mode tables ip NAME and ip6 NAME (default keepalived, also without the keyword) and sets their priority back to -1; a second one, or a name of 256 bytes or more, is ignored with a warning",
    'keepalived',
  ],
  [
    'nftables_priority',
    'implemented',
    "the hook priority of the accept-mode tables' in and out chains (default -1)",
    '-1',
  ],
  ['nftables_counters', 'implemented', 'a counter in every rule of the accept-mode tables'],
  [
    'nftables_ifindex',
    'implemented',
    'link-local VIPs keyed by interface index even with dont_track_primary (which otherwise keys those on its interface, or no_track, by name)',
  ],
  [
    'vrrp_iptables',
    'implemented',
    'as keepalived 2.2.7 built without iptables (Debian): nftables, table keepalived, priority -1, with a warning; chain names ignored (keepalived -t exits 5 on it, vrrpd -t warns)',
  ],
  [
    'vrrp_ipsets',
    'implemented',
    'ignored with a warning, as keepalived 2.2.7 built without ipset support (Debian) ignores it (it logs "Unknown keyword"; keepalived -t exits 5)',
  ],
  [
    'disable_local_igmp',
    'implemented',
    'net.ipv4.igmp_link_local_mcast_reports 1 -> 0 at start, back to 1 at stop (left alone if already 0); not changed by a reload',
  ],
  ['default_interface', 'implemented', 'the interface of a static_ipaddress without dev (default eth0)', 'eth0'],
  [
    'startup_script',
    'implemented',
    'run once before any instance starts (COMMAND [USER [GROUP]], no shell); the instances start when it has ended or was killed at its timeout; not on a reload',
    '/bin/true',
  ],
  ['startup_script_timeout', 'implemented', 'seconds (1-1000, default 10) before the startup script is killed', '10'],
  [
    'shutdown_script',
    'implemented',
    'run once after every instance has stopped and removed its VIPs; the process ends when it has ended or was killed at its timeout',
    '/bin/true',
  ],
  ['shutdown_script_timeout', 'implemented', 'seconds (1-1000, default 10) before the shutdown script is killed', '10'],
  [
    'include_check',
    'implemented',
    'which include problems refuse the file (read, match, wildcard_match, brace_match; + adds, - removes; none: all); set in the main file it lasts, in an included file until that file ends; without it a missing include is a warning and the file runs',
    'read +match -wildcard_match',
  ],
  [
    'reload_check_config',
    'implemented',
    "a reload checks the new file first and keeps the running one if it has errors (vrrpd's reload always does); with LOG_FILE the check's report (vrrpd -t's lines) replaces LOG_FILE at each reload",
    '/run/keepalived.check.log',
  ],
  [
    'reload_time_file',
    'implemented',
    'a reload at the time the file holds (HH:MM:SS, YY-MM-DD HH:MM:SS or YYYY-MM-DD HH:MM:SS, Z for UTC), moved when it changes, cancelled when it goes; the file is removed when the reload is due',
    '/run/keepalived.reload_time',
  ],
  [
    'reload_repeat',
    'implemented',
    'the reload_time_file is kept after its reload, so a time without a date reloads again every day',
  ],
  [
    'reload_file',
    'implemented',
    'an empty file (mode 0644; default /run/keepalived.reload) exists while a reload reads the configuration; one left from an earlier run is removed at start',
    '/run/keepalived.reload',
  ],
  [
    'max_auto_priority',
    'implemented',
    "each time the engine's timer fires more than min_auto_priority_delay late, the advert threads go to SCHED_RR 1, then one step up, to at most this (no value: 99); never lowered (needs CAP_SYS_NICE)",
    '50',
  ],
  [
    'min_auto_priority_delay',
    'implemented',
    'how late (µs, default 1000000) a timer must fire for max_auto_priority to raise the priority',
    '1000000',
  ],
  [
    'vrrp_rx_bufs_policy',
    'implemented',
    "each VRRP socket's receive buffer (SO_RCVBUF): the sum over its instances of multiplier x MTU, multiplier x advert length, or a size",
    'MTU',
  ],
  ['vrrp_rx_bufs_multiplier', 'implemented', 'the multiplier of the MTU and ADVERT policies (default 3)', '3'],
  [
    'vrrp_netlink_cmd_rcv_bufs',
    'implemented',
    'the receive buffer of every rtnetlink request socket (SO_RCVBUF, or SO_RCVBUFFORCE with the _force keyword); 0 keeps the earlier value',
    '1048576',
  ],
  [
    'vrrp_netlink_cmd_rcv_bufs_force',
    'implemented',
    "the request sockets' buffer is set with SO_RCVBUFFORCE (past net.core.rmem_max); alone, 64 KiB as keepalived",
    'true',
  ],
  [
    'vrrp_netlink_monitor_rcv_bufs',
    'implemented',
    'the receive buffer of the link and address notification socket (SO_RCVBUF, or SO_RCVBUFFORCE with the _force keyword); 0 keeps the earlier value',
    '1048576',
  ],
  [
    'vrrp_netlink_monitor_rcv_bufs_force',
    'implemented',
    "the notification socket's buffer is set with SO_RCVBUFFORCE (past net.core.rmem_max); alone, 64 KiB as keepalived",
    'true',
  ],
  [
    'umask',
    'implemented',
    "the process umask (scripts inherit it; 0177 without it, as keepalived) and the files' modes: dumps and track files 0666 less it, notify FIFOs 0644 less it, pid files 0644; -u/--umask wins (docs/vrrpd.md, Files)",
    '022',
  ],
  [
    'random_seed',
    'implemented',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: keepalived's own ${...} syntax, quoted
    'checked (0 to 4294967295) and, as in keepalived 2.2.7, no seed: each read seeds ${_RANDOM} with the time (glibc random(), the same numbers as keepalived in the same second); a warning says so',
    '1234',
  ],
  [
    'data_use_instance',
    'implemented',
    'with net_namespace or instance, the data dump is keepalived.NAMESPACE_INSTANCE.data (keepalived renames no other dump)',
  ],
  [
    'tmp_config_directory',
    'not-ours',
    'keepalived copies the file for its child processes; vrrp-engine reads it once in one process',
    '/tmp',
  ],
  ['config_save_dir', 'not-ours', "debugging aid of keepalived's reloads; vrrp-engine saves no copies", '/tmp'],
  ['process_names', 'not-ours', "vrrp-engine is one process; its title is set with vrrpd's flags"],
  ['process_name', 'not-ours', "vrrp-engine is one process; its title is set with vrrpd's flags", 'keepalived'],
  [
    'vrrp_process_name',
    'not-ours',
    "vrrp-engine is one process; its title is set with vrrpd's flags",
    'keepalived_vrrp',
  ],
  ['checker_process_name', 'not-ours', CHECKER, 'keepalived_ipvs'],
  ['bfd_process_name', 'not-ours', BFD, 'keepalived_bfd'],
  ['notification_email', 'not-ours', SMTP, '{ admin@example.com }'],
  ['notification_email_from', 'not-ours', SMTP, 'admin@example.com'],
  ['smtp_server', 'not-ours', SMTP, '192.0.2.25'],
  ['smtp_helo_name', 'not-ours', SMTP, 'node'],
  ['smtp_connect_timeout', 'not-ours', SMTP, '30'],
  ['smtp_alert', 'not-ours', SMTP, 'true'],
  ['smtp_alert_vrrp', 'not-ours', SMTP, 'true'],
  ['smtp_alert_checker', 'not-ours', SMTP, 'true'],
  ['no_email_faults', 'not-ours', SMTP],
  ['checker_log_all_failures', 'not-ours', CHECKER, 'true'],
  ['lvs_sync_daemon', 'not-ours', LVS, 'eth0 VI_1'],
  ['lvs_timeouts', 'not-ours', LVS, 'tcp 900'],
  ['lvs_flush', 'not-ours', LVS],
  ['lvs_flush_on_stop', 'not-ours', LVS],
  ['nftables_ipvs', 'not-ours', LVS, 'keepalived_ipvs'],
  ['nftables_ipvs_priority', 'not-ours', LVS, '-1'],
  ['nftables_ipvs_start_fwmark', 'not-ours', LVS, '1000'],
  ['lvs_notify_fifo', 'not-ours', LVS, '/run/keepalived_lvs.fifo'],
  ['lvs_notify_fifo_script', 'not-ours', LVS, '/bin/true'],
  ['lvs_netlink_cmd_rcv_bufs', 'not-ours', LVS, '1048576'],
  ['lvs_netlink_cmd_rcv_bufs_force', 'not-ours', LVS, 'true'],
  ['lvs_netlink_monitor_rcv_bufs', 'not-ours', LVS, '1048576'],
  ['lvs_netlink_monitor_rcv_bufs_force', 'not-ours', LVS, 'true'],
  ['rs_init_notifies', 'not-ours', LVS],
  ['no_checker_emails', 'not-ours', LVS],
  ['checker_priority', 'not-ours', CHECKER, '-10'],
  ['checker_no_swap', 'not-ours', CHECKER],
  ['checker_cpu_affinity', 'not-ours', CHECKER, '0'],
  ['checker_rt_priority', 'not-ours', CHECKER, '50'],
  ['checker_rlimit_rttime', 'not-ours', CHECKER, '20000'],
  ['bfd_priority', 'not-ours', BFD, '-10'],
  ['bfd_no_swap', 'not-ours', BFD],
  ['bfd_cpu_affinity', 'not-ours', BFD, '0'],
  ['bfd_rt_priority', 'not-ours', BFD, '50'],
  ['bfd_rlimit_rttime', 'not-ours', BFD, '20000'],
  [
    'process_monitor_rcv_bufs',
    'not-ours',
    'vrrp-engine tracks processes by reading /proc, with no process-events socket',
    '500000',
  ],
  [
    'process_monitor_rcv_bufs_force',
    'not-ours',
    'vrrp-engine tracks processes by reading /proc, with no process-events socket',
    'true',
  ],
  ['snmp_socket', 'not-ours', SNMP, 'udp:192.0.2.1:705'],
  ['enable_snmp_vrrp', 'not-ours', SNMP],
  ['enable_snmp_checker', 'not-ours', SNMP],
  ['enable_snmp_rfc', 'not-ours', SNMP],
  ['enable_snmp_rfcv2', 'not-ours', SNMP],
  ['enable_snmp_rfcv3', 'not-ours', SNMP],
  ['enable_traps', 'not-ours', SNMP],
  [
    'enable_dbus',
    'not-ours',
    'vrrp-engine has no D-Bus interface (its status socket and HTTP are in docs/operations.md)',
  ],
  ['dbus_service_name', 'not-ours', 'vrrp-engine has no D-Bus interface', 'org.keepalived.Vrrp1'],
];

const VRRP_INSTANCE: readonly Row[] = [
  ['interface', 'implemented', 'the interface adverts are sent and received on', 'eth0'],
  ['virtual_router_id', 'implemented', 'the VRID, 1..255', '51'],
  ['state', 'implemented', 'the initial state, MASTER or BACKUP', 'BACKUP'],
  ['priority', 'implemented', 'the priority, 1..255 (255 without priority under state MASTER)', '100'],
  ['advert_int', 'implemented', 'the advert interval (v2 whole seconds, v3 centiseconds)', '1'],
  ['version', 'implemented', 'VRRPv2 or v3', '3'],
  [
    'authentication',
    'implemented',
    'PASS authentication (VRRPv2); AH is refused',
    '{\nauth_type PASS\nauth_pass 1111\n}',
  ],
  ['virtual_ipaddress', 'implemented', 'the VIPs, added as Master and advertised', '{ 192.0.2.101/24 dev eth0 }'],
  [
    'virtual_ipaddress_excluded',
    'implemented',
    'addresses added as Master and never advertised',
    '{ 198.51.100.1/24 }',
  ],
  ['unicast_src_ip', 'implemented', 'the source address of adverts', `192.0.2.1${WITH_PEER}`],
  ['mcast_src_ip', 'implemented', 'the source address of adverts', '192.0.2.1'],
  ['unicast_peer', 'implemented', 'adverts go to these peers instead of the multicast group', '{ 192.0.2.2 }'],
  [
    'check_unicast_src',
    'implemented',
    'adverts from a source that is not a unicast_peer are dropped (vrrp-engine drops them even without this)',
    WITH_PEER,
  ],
  ['use_vmac', 'implemented', 'a macvlan with the virtual MAC holds the VIPs', 'vrrp.51'],
  ['accept', 'implemented', 'accept mode on'],
  ['no_accept', 'implemented', 'accept mode off, enforced with an nftables drop set'],
  ['nopreempt', 'implemented', 'a higher priority does not take over from a running Master'],
  ['preempt', 'implemented', 'the default'],
  ['preempt_delay', 'implemented', 'seconds before a Backup preempts after start', '10'],
  ['strict_mode', 'implemented', 'strict mode for this instance', 'on'],
  ['garp_master_delay', 'implemented', 'as vrrp_garp_master_delay, for this instance', '10'],
  ['garp_master_repeat', 'implemented', 'as vrrp_garp_master_repeat, for this instance', '1'],
  ['garp_master_refresh', 'implemented', 'as vrrp_garp_master_refresh, for this instance', '60'],
  ['garp_master_refresh_repeat', 'implemented', 'as vrrp_garp_master_refresh_repeat, for this instance', '2'],
  ['garp_lower_prio_delay', 'implemented', 'as vrrp_garp_lower_prio_delay, for this instance', '10'],
  ['garp_lower_prio_repeat', 'implemented', 'as vrrp_garp_lower_prio_repeat, for this instance', '1'],
  ['track_interface', 'implemented', 'links that move the priority or put the instance in Fault', '{\nlo\n}'],
  ['track_script', 'implemented', 'vrrp_scripts that move the priority or fault', '{ chk }'],
  ['track_file', 'implemented', 'vrrp_track_files that move the priority or fault', '{ tf }'],
  ['track_process', 'implemented', 'vrrp_track_processes that move the priority or fault', '{ tp }'],
  ['notify', 'implemented', "run on every state change with keepalived's arguments", '/bin/true'],
  ['notify_master', 'implemented', 'run on becoming Master', '/bin/true'],
  ['notify_backup', 'implemented', 'run on becoming Backup', '/bin/true'],
  ['notify_fault', 'implemented', 'run on entering Fault', '/bin/true'],
  ['notify_stop', 'implemented', 'run when the instance stops', '/bin/true'],
  [
    'track_bfd',
    'refused',
    'BFD is not part of vrrp-engine: track the peer with a track_script (e.g. a ping) or track_interface instead',
    '{ B1 }',
  ],
  [
    'dont_track_primary',
    'implemented',
    "the link of the instance's interface going down does not put it in Fault (its VIPs' other interfaces and tracked objects still do)",
  ],
  [
    'track_src_ip',
    'implemented',
    'the configured unicast_src_ip / mcast_src_ip missing from the interface (at start or later) puts the instance in Fault until it is back (keepalived 2.2.7 means to, but does not: see docs/keepalived-conf.md)',
    `\nunicast_src_ip 192.0.2.1${WITH_PEER}`,
  ],
  [
    'unicast_fault_no_peer',
    'implemented',
    'an instance with no unicast_peer stays in Fault instead of falling back to multicast',
    WITH_PEER,
  ],
  [
    'unicast_ttl',
    'implemented',
    'the TTL / hop limit of adverts to unicast peers (0 is sent as 1); received unicast adverts are not TTL-checked, as in keepalived',
    `10${WITH_PEER}`,
  ],
  [
    'old_unicast_checksum',
    'implemented',
    'VRRPv3 IPv4 unicast adverts put 224.0.0.18 in the checksum pseudo-header (keepalived 1.3.6 form); "never": the RFC form even after hearing the old one (by default a peer heard using it switches ours)',
    WITH_PEER,
  ],
  [
    'mcast_dst_ip',
    'implemented',
    'the multicast group adverts are sent to and heard on (IPv4 multicast, IPv6 ffX2::)',
    '224.0.0.19',
  ],
  [
    'vrf',
    'implemented',
    'ignored (warned), as keepalived 2.2.7 ignores it in an instance with an interface and refuses an instance without one ("Unknown interface!"): no 2.2.7 instance runs in a VRF',
    'blue',
  ],
  [
    'use_vmac_addr',
    'implemented',
    "each address on another interface (dev), or of the other family, lives on a VMAC made there with the instance's virtual MAC (one per interface and family)",
    '',
  ],
  [
    'vmac_xmit_base',
    'implemented',
    'adverts are sent and received on the base interface (its MAC and address) while the VIPs live on the VMAC; set for unicast peers, ignored without use_vmac or in strict mode (warned)',
    '\nuse_vmac',
  ],
  [
    'use_ipvlan',
    'implemented',
    'the instance runs on an l2 ipvlan made on its interface (named as a VMAC; bridge, private or vepa): adverts and VIPs there, its address added and the advert source; an IPv4 one needs the address; not with unicast peers (keepalived -t fails on both)',
    'ipvl51 192.0.2.9/24',
  ],
  [
    'native_ipv6',
    'implemented',
    'the instance is IPv6 and VRRPv3 from where it is written: a version 2 before it becomes 3; an IPv4 VIP, source or peer after it is an error (excluded addresses may be IPv4); written after an IPv4 one it is an error (keepalived ignores it, -t fails)',
  ],
  [
    'garp_extra_if',
    'implemented',
    "while Master, at the first advert after each interval, one GARP/NA for the first address on each other interface of the instance's addresses that is a VMAC of this file (any other interface with `all`); off when there is none",
    '100',
  ],
  [
    'down_timer_adverts',
    'implemented',
    'Master_Down_Interval is this many advert intervals plus the skew (RFC: 3; put back to 3 under strict mode)',
    '5',
  ],
  [
    'lower_prio_no_advert',
    'implemented',
    'a Master that hears a lower priority does not advertise at once (it still re-announces the VIPs)',
  ],
  [
    'higher_prio_send_advert',
    'implemented',
    'a Master that hears a higher priority sends one advert as it steps down (off: it steps down silently)',
  ],
  [
    'skip_check_adv_addr',
    'implemented',
    'a Backup compares the address list only of adverts from another source than the last one heard (any value turns it on, as in keepalived)',
  ],
  [
    'promote_secondaries',
    'implemented',
    'net.ipv4.conf.<interface>.promote_secondaries turned on while the instance runs (if off), back off when the last such instance stops; ignored with use_vmac (on there anyway)',
  ],
  [
    'virtual_routes',
    'implemented',
    'routes added after the VIPs on becoming Master, removed on leaving it and at stop; a tracked one deleted by someone else: step down and take over again',
    '{ 198.51.100.0/24 via 192.0.2.254 dev eth0 }',
  ],
  [
    'virtual_rules',
    'implemented',
    'policy rules added after the routes on becoming Master, removed first on leaving it and at stop',
    '{\nfrom 198.51.100.0/24 table 100 preference 100\n}',
  ],
  [
    'notify_deleted',
    'implemented',
    'a reload that removes the instance notifies DELETED (running the optional command) instead of FAULT',
    '/bin/true',
  ],
  [
    'notify_master_rx_lower_pri',
    'implemented',
    'run (no arguments added) each time the Master hears a lower priority; the notify FIFOs get MASTER_RX_LOWER_PRI lines with or without it',
    '/bin/true',
  ],
  [
    'notify_priority_changes',
    'implemented',
    'effective priority changes are written to the notify FIFOs (MASTER_PRIORITY / BACKUP_PRIORITY lines)',
    'true',
  ],
  [
    'linkbeat_use_polling',
    'implemented',
    "deprecated (warned, as keepalived does): the instance's interface is polled as in linkbeat_interfaces, unless it uses a VMAC",
  ],
  [
    'kernel_rx_buf_size',
    'implemented',
    "this instance's share of its VRRP socket's receive buffer, in place of vrrp_rx_bufs_policy's (0: the policy's)",
    '212992',
  ],
  [
    'debug',
    'not-ours',
    "keepalived's per-instance debug level; vrrp-engine's log level is set with vrrpd's flags",
    '1',
  ],
  ['smtp_alert', 'not-ours', SMTP, 'true'],
  ['lvs_sync_daemon_interface', 'not-ours', LVS, 'eth0'],
];

const AUTHENTICATION: readonly Row[] = [
  ['auth_type', 'implemented', 'PASS (AH is refused)', 'PASS'],
  ['auth_pass', 'implemented', 'the password, at most 8 bytes (longer is cut, warned, as keepalived)', '1111'],
];

const VRRP_SYNC_GROUP: readonly Row[] = [
  ['group', 'implemented', 'the member instances', '{\nVI_1\nVI_2\n}'],
  ['track_interface', 'implemented', 'tracked by every member', '{\nlo\n}'],
  ['track_script', 'implemented', 'tracked by every member', '{ chk }'],
  ['track_file', 'implemented', 'tracked by every member', '{ tf }'],
  ['track_process', 'implemented', 'tracked by every member', '{ tp }'],
  ['notify', 'implemented', 'run on every group state change', '/bin/true'],
  ['notify_master', 'implemented', 'run when the group becomes Master', '/bin/true'],
  ['notify_backup', 'implemented', 'run when the group becomes Backup', '/bin/true'],
  ['notify_fault', 'implemented', 'run when the group enters Fault', '/bin/true'],
  ['notify_stop', 'implemented', 'run when the group stops', '/bin/true'],
  ['sync_group_tracking_weight', 'implemented', "the group's tracked objects move priorities instead of only faulting"],
  [
    'track_bfd',
    'refused',
    'BFD is not part of vrrp-engine: track the peer with a track_script (e.g. a ping) or track_interface instead',
    '{ B1 }',
  ],
  [
    'notify_priority_changes',
    'implemented',
    "the default of its instances' notify_priority_changes (an instance's own setting wins)",
    'true',
  ],
  [
    'global_tracking',
    'implemented',
    'deprecated: read as sync_group_tracking_weight, with a warning (as keepalived 2.2.7)',
  ],
  ['smtp_alert', 'not-ours', SMTP, 'true'],
];

const VRRP_SCRIPT: readonly Row[] = [
  ['script', 'implemented', 'the command, split as keepalived splits it (no shell)', '"/bin/true"'],
  ['interval', 'implemented', 'seconds between runs', '2'],
  ['timeout', 'implemented', 'seconds a run may take', '2'],
  ['weight', 'implemented', 'priority change on success (positive) or failure (negative); reverse inverts', '-20'],
  ['rise', 'implemented', 'successes before the check counts as up', '2'],
  ['fall', 'implemented', 'failures before the check counts as down', '2'],
  ['user', 'implemented', 'the user (and group) the script runs as', 'root'],
  ['init_fail', 'implemented', 'the check starts as failed'],
];

const VRRP_TRACK_FILE: readonly Row[] = [
  ['file', 'implemented', 'the file whose number is read', '"/run/vrrp-track"'],
  ['weight', 'implemented', 'multiplies the number read', '1'],
  ['init_file', 'implemented', 'writes the file at start (unless it exists, or with overwrite)', '0 overwrite'],
];

const VRRP_TRACK_PROCESS: readonly Row[] = [
  ['process', 'implemented', 'the process name (and parameters) to find', 'sshd'],
  ['param_match', 'implemented', 'initial or partial matching of the parameters', 'initial'],
  ['weight', 'implemented', 'priority change when the quorum is met or lost', '10'],
  ['quorum', 'implemented', 'matching processes needed', '1'],
  ['quorum_max', 'implemented', 'matching processes allowed', '2'],
  ['terminate_delay', 'implemented', 'seconds a loss of quorum must last', '1'],
  ['delay', 'implemented', 'sets terminate_delay and fork_delay', '1'],
  ['full_command', 'implemented', 'match the whole command line'],
  [
    'fork_delay',
    'implemented',
    'a verdict change made by a fork of a counted process (a new process whose parent is counted) waits this long; a count back within it changes nothing (delay sets it too)',
    '1',
  ],
];

const BY_BLOCK: Readonly<Record<KeywordBlock, readonly Row[]>> = {
  top: TOP,
  global_defs: GLOBAL_DEFS,
  vrrp_instance: VRRP_INSTANCE,
  authentication: AUTHENTICATION,
  vrrp_sync_group: VRRP_SYNC_GROUP,
  vrrp_script: VRRP_SCRIPT,
  vrrp_track_file: VRRP_TRACK_FILE,
  vrrp_track_process: VRRP_TRACK_PROCESS,
};

/** The whole table, block by block, in the order above. */
export const KEYWORDS: readonly KeywordRow[] = KEYWORD_BLOCKS.flatMap((block) =>
  BY_BLOCK[block].map(([keyword, cls, note, sample]) => ({ block, keyword, class: cls, note, sample: sample ?? '' })),
);

const INDEX = new Map(KEYWORDS.map((row) => [`${row.block} ${row.keyword}`, row]));

export function keywordRow(block: KeywordBlock, keyword: string): KeywordRow | undefined {
  return INDEX.get(`${block} ${keyword}`);
}

/** The warning a not-ours keyword gets, or the error of a refused one. */
export function classMessage(row: KeywordRow): string {
  switch (row.class) {
    case 'not-ours':
      return `${row.keyword} is accepted and has no effect: ${row.note}`;
    case 'refused':
      return `${row.keyword} is not supported: ${row.note}`;
    case 'implemented':
      return `${row.keyword}: ${row.note}`;
  }
}

/** Unknown keywords of a file that get a "did you mean", and the longest word that may get one. */
const MAX_GUESSES = 100;
const MAX_GUESSED_LENGTH = 64;

/**
 * A keyword the reader's own code did not map: warned or refused by its class, or `unknown keyword`
 * with the closest real keyword. An implemented keyword reaching here is a reader bug, reported so the
 * keyword tests catch it.
 */
export function reportUnmapped(
  block: KeywordBlock,
  statement: Statement,
  diagnostics: DiagnosticList,
  where = block === 'top' ? '' : ` in ${block}`,
): void {
  const row = keywordRow(block, statement.keyword);
  if (row === undefined) {
    // A guess costs an edit distance per keyword: made for the first errors of a file and short words only,
    // so a hostile file of thousands of long unknown words stays cheap.
    const guess =
      diagnostics.errorCount < MAX_GUESSES && statement.keyword.length <= MAX_GUESSED_LENGTH
        ? suggestion(block, statement.keyword)
        : '';
    diagnostics.error(statement, `unknown keyword "${statement.keyword}"${where}${guess}`);
  } else if (row.class === 'refused') {
    diagnostics.error(statement, classMessage(row));
  } else if (row.class === 'implemented') {
    diagnostics.error(
      statement,
      `${statement.keyword}${where} was not read (a vrrp-engine bug: it is listed as implemented)`,
    );
  } else {
    diagnostics.warning(statement, classMessage(row));
  }
}

/** ` (did you mean "X"?)`, or where the keyword belongs when it is one of another block; else nothing. */
export function suggestion(block: KeywordBlock, word: string): string {
  const elsewhere = KEYWORD_BLOCKS.filter((other) => other !== block && keywordRow(other, word) !== undefined);
  if (elsewhere.length > 0)
    return ` (it is a keyword of ${elsewhere.map((b) => (b === 'top' ? 'the top level' : b)).join(' and ')})`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const row of BY_BLOCK[block]) {
    const distance = editDistance(word, row[0]);
    if (distance < bestDistance) [best, bestDistance] = [row[0], distance];
  }
  // A prefix or suffix of a keyword (vrrp_nftables -> nftables) is a likely slip too.
  const affixed = BY_BLOCK[block].find(
    ([keyword]) =>
      word.length >= 5 &&
      (word.endsWith(keyword) || keyword.endsWith(word) || word.startsWith(keyword) || keyword.startsWith(word)),
  );
  if (affixed) return ` (did you mean "${affixed[0]}"?)`;
  const limit = Math.max(2, Math.floor(word.length / 3));
  if (best !== undefined && bestDistance <= limit) return ` (did you mean "${best}"?)`;
  return '';
}

/** Levenshtein distance, two rows; the words are short. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

const CLASS_TITLE: Readonly<Record<KeywordClass, string>> = {
  implemented: 'implemented',
  'not-ours': 'not ours (warned)',
  refused: 'refused',
};

/** docs/keepalived-conf.md's keyword tables, rendered from KEYWORDS (a test holds the doc equal to this). */
export function renderKeywordTables(): string {
  const count = (cls: KeywordClass) => KEYWORDS.filter((row) => row.class === cls).length;
  const lines = [
    `${KEYWORDS.length} keywords: ${count('implemented')} implemented, ${count('not-ours')} not ours, ${count('refused')} refused.`,
  ];
  for (const block of KEYWORD_BLOCKS) {
    lines.push(
      '',
      `#### ${block === 'top' ? 'Top level' : `\`${block}\``}`,
      '',
      '| keyword | class | what vrrp-engine does, or what differs |',
      '|---|---|---|',
    );
    for (const row of KEYWORDS.filter((r) => r.block === block)) {
      lines.push(`| \`${row.keyword}\` | ${CLASS_TITLE[row.class]} | ${row.note.replaceAll('|', '\\|')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
