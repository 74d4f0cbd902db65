// The health plan: what to check, which routers each check moves and by how much, which commands to run
// on state changes, and which routers change state together. Plain data (JSON-able, no closures), built
// and validated by its producers (the keepalived.conf reader, the OpenShift environment reader, the
// `health` section of bin/vrrp-engine's JSON) and run by startHealth (src/health/index.ts).
//
// Times are milliseconds. Commands are argument vectors: nothing here is ever given to a shell.

/** Run-time rhythm of a polled check (keepalived vrrp_script's interval / timeout / rise / fall). */
export interface CheckTiming {
  /** Time between the start of one run and the start of the next (a run never overlaps itself). */
  readonly intervalMs: number;
  /** A run that has not finished by then is a failure (a script is killed: SIGTERM, SIGKILL 2 s later). */
  readonly timeoutMs: number;
  /** Consecutive successes that turn a failed check up. */
  readonly rise: number;
  /** Consecutive failures that turn an up check down. */
  readonly fall: number;
}

/** keepalived vrrp_script: the command's exit status 0 is success. */
export interface ScriptCheckSpec extends CheckTiming {
  readonly kind: 'script';
  readonly name: string;
  /** argv[0] is the program (an absolute path, or found on PATH as execvp would). */
  readonly command: readonly string[];
  /** Run as this user (name or numeric id); default scriptSecurity.defaultUser, else our own user. */
  readonly user?: string;
  /** Run with this group (name or numeric id); default the user's primary group. */
  readonly group?: string;
  /** Start in the failed state (keepalived init_fail); otherwise a check starts up. */
  readonly initFail: boolean;
}

/** A TCP connection to host:port completes within the timeout (OpenShift's OPENSHIFT_HA_MONITOR_PORT). */
export interface TcpCheckSpec extends CheckTiming {
  readonly kind: 'tcp';
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** An ICMP (or ICMPv6) echo reply arrives within the timeout (net-ping; needs CAP_NET_RAW). */
export interface IcmpCheckSpec extends CheckTiming {
  readonly kind: 'icmp';
  readonly name: string;
  readonly host: string;
}

/**
 * keepalived vrrp_track_file: the file holds a number; a tracking router's priority moves by
 * number * weight (weight 0: a non-zero number means Fault; a product below -253 means Fault).
 * A missing or unreadable file reads as 0 unless `initValue` says otherwise.
 */
export interface FileCheckSpec {
  readonly kind: 'file';
  readonly name: string;
  readonly path: string;
  /** How often the file is re-read besides change notifications (default 1000 ms). */
  readonly intervalMs?: number;
  /** keepalived init_file VALUE: written at start when the file does not exist (or always, with overwrite). */
  readonly initValue?: number;
  readonly initOverwrite?: boolean;
}

/**
 * keepalived vrrp_track_process: up while the number of running processes that match lies within
 * [quorum, quorumMax]. Read from /proc by polling (keepalived uses the proc connector).
 */
export interface ProcessCheckSpec {
  readonly kind: 'process';
  readonly name: string;
  /** The process name (/proc/PID/comm, at most 15 characters), or the full path when fullCommand. */
  readonly process: string;
  /**
   * Arguments to match after the program (then `process` is matched against argv[0]); absent: any
   * arguments; empty: none at all.
   */
  readonly parameters?: readonly string[];
  /**
   * keepalived param_match. exact (default): these arguments and no more; partial: the first
   * arguments are these; initial: the same, but the last one given may be a prefix of the real one.
   */
  readonly paramMatch?: 'exact' | 'partial' | 'initial';
  /** Match argv[0] of /proc/PID/cmdline instead of comm (keepalived full_command). */
  readonly fullCommand?: boolean;
  /** Minimum number of matching processes (default 1). */
  readonly quorum?: number;
  /** Maximum number (default unlimited). */
  readonly quorumMax?: number;
  /** Time between /proc scans (default 1000 ms). */
  readonly intervalMs?: number;
  /** A loss of quorum must last this long before it counts (keepalived `delay`; default 0). */
  readonly delayMs?: number;
  /**
   * A change of verdict that a fork of a counted process made (the child, a process whose parent is
   * counted, matches too: it has not exec'd yet) must last this long before it counts; a change back
   * within it is no change (keepalived `fork_delay`; default 0).
   */
  readonly forkDelayMs?: number;
}

/** keepalived track_interface: the link (IFF_UP and IFF_RUNNING) of a named interface. */
export interface InterfaceCheckSpec {
  readonly kind: 'interface';
  readonly name: string;
  readonly interface: string;
}

export type CheckSpec =
  | ScriptCheckSpec
  | TcpCheckSpec
  | IcmpCheckSpec
  | FileCheckSpec
  | ProcessCheckSpec
  | InterfaceCheckSpec;
export type CheckKind = CheckSpec['kind'];

/**
 * A router follows a check (keepalived track_script / track_interface / track_file / track_process).
 * Weight semantics are keepalived's: > 0 adds while up, < 0 subtracts while down, 0 puts the router in
 * Fault while down. For a file check the weight multiplies the file's number instead.
 */
export interface TrackSpec {
  readonly router: string;
  readonly check: string;
  /** -253..253 (file checks: -254..254). */
  readonly weight: number;
  /** keepalived `weight N reverse`: a positive weight subtracts while up, a negative one adds while down. */
  readonly reverse?: boolean;
}

/** Commands run on a state change, each an argv (no shell). */
export interface NotifyCommands {
  readonly master?: readonly string[];
  readonly backup?: readonly string[];
  readonly fault?: readonly string[];
  readonly stop?: readonly string[];
  /** Run on every change with 4 more arguments: INSTANCE|GROUP, name, MASTER|BACKUP|FAULT|STOP, priority. */
  readonly notify?: readonly string[];
}

/** A router's notify scripts (keepalived notify_master / notify_backup / notify_fault / notify_stop / notify). */
export interface NotifySpec extends NotifyCommands {
  readonly router: string;
  /**
   * keepalived notify_master_rx_lower_pri: run, with no extra arguments, each time this router as
   * Master hears an advert of lower priority (or of equal priority from a smaller address).
   */
  readonly masterRxLowerPri?: readonly string[];
  /**
   * keepalived notify_deleted: a reload that removes this router notifies DELETED (and runs `deleted`,
   * if given) instead of FAULT.
   */
  readonly notifyDeleted?: boolean;
  readonly deleted?: readonly string[];
  /**
   * keepalived notify_priority_changes: each change of the effective priority is written to the
   * notify FIFOs (`INSTANCE "name" MASTER_PRIORITY 90`, BACKUP_PRIORITY when not Master).
   */
  readonly priorityChanges?: boolean;
}

/** keepalived startup_script / shutdown_script: one command run once, waited for up to its timeout. */
export interface StartStopScript {
  readonly command: readonly string[];
  /** Past this the script is killed (SIGTERM to its process group, SIGKILL 2 s later); keepalived's default 10 s. */
  readonly timeoutMs: number;
  /** Run as this user (name or id); default scriptSecurity.defaultUser, else our own user. */
  readonly user?: string;
  readonly group?: string;
}

/** keepalived vrrp_sync_group: its routers change state together. */
export interface SyncGroupSpec {
  readonly name: string;
  /** At least one router; a router belongs to one group at most. */
  readonly routers: readonly string[];
  /** The group's own notify scripts (keepalived passes GROUP as the first argument of `notify`). */
  readonly notify?: NotifyCommands;
}

/** keepalived notify_fifo / vrrp_notify_fifo: state changes written as lines (src/health/notify-fifo.ts). */
export interface NotifyFifoSpec {
  readonly path: string;
  /** The FIFO's owner when it is made (keepalived's `notify_fifo PATH [USER [GROUP]]`). */
  readonly owner?: { readonly user: string; readonly group?: string };
  /** Started with the FIFO's path as its last argument (notify_fifo_script). */
  readonly script?: readonly string[];
  readonly scriptUser?: string;
  readonly scriptGroup?: string;
  /** The mode a FIFO made here gets (bin/vrrpd: keepalived's 0644 less the umask); 0600 when absent. */
  readonly mode?: number;
}

export interface ScriptSecurity {
  /** keepalived enable_script_security: refuse a script any non-root user could modify. */
  readonly enabled: boolean;
  /** keepalived script_user (user name or id) for scripts and notify commands without their own. */
  readonly defaultUser?: string;
  readonly defaultGroup?: string;
}

export interface HealthPlan {
  readonly checks: readonly CheckSpec[];
  readonly tracks: readonly TrackSpec[];
  readonly notify: readonly NotifySpec[];
  readonly syncGroups: readonly SyncGroupSpec[];
  readonly scriptSecurity?: ScriptSecurity;
  /** A notify command still running after this long is killed and logged (default 30 s). */
  readonly notifyTimeoutMs?: number;
  readonly notifyFifos?: readonly NotifyFifoSpec[];
  /** keepalived fifo_write_vrrp_states_on_reload: a reload writes every current state to the FIFOs. */
  readonly fifoStatesOnReload?: boolean;
  /** Run at start, before any router starts; the routers start once it has ended (or was killed). */
  readonly startupScript?: StartStopScript;
  /** Run at stop, after every router has stopped (VIPs removed); the process ends once it has ended. */
  readonly shutdownScript?: StartStopScript;
}

export const EMPTY_HEALTH_PLAN: HealthPlan = { checks: [], tracks: [], notify: [], syncGroups: [] };
