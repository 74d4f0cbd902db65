// vrrpd's command line: keepalived 2.2.7's flags (so a unit file or a container command that starts
// keepalived starts vrrpd unchanged) plus a few of our own. Pure: returns what to do, or a usage error.

import type { LogLevel } from './logger.js';
import { PRIVATE_DIR } from './private-files.js';

export const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
/** keepalived's pid files without use_pid_dir, instance or net_namespace (src/cli/daemon-files.ts). */
export const DEFAULT_PID_FILE = '/run/keepalived.pid';
/** keepalived 2.2.7's: RUNSTATEDIR "/" VRRP_PID_FILE PID_EXTENSION (keepalived/include/pidfile.h). */
export const DEFAULT_VRRP_PID_FILE = '/run/vrrp.pid';
export const DEFAULT_SOCKET = '/run/vrrpd.sock';
/** Not keepalived's /tmp: a root-only directory, so nobody else can plant or read a dump (docs/vrrpd.md). */
export const DEFAULT_DUMP_DIR = PRIVATE_DIR;
/**
 * Starts with "keepalived" so `pgrep keepalived` (OpenShift's liveness probe) finds us, and says what
 * runs. `pidof keepalived` and `pgrep -x keepalived` want the exact name: --process-title keepalived.
 */
export const DEFAULT_PROCESS_TITLE = 'keepalived (vrrp-engine)';

export interface DaemonOptions {
  readonly configFile: string;
  readonly configTest: boolean;
  /** -t=FILE: where keepalived writes its config-test report; we honour it. */
  readonly configTestLog: string | undefined;
  readonly logConsole: boolean;
  readonly logDetail: boolean;
  readonly logLevel: LogLevel | undefined;
  readonly logFormat: 'json' | 'pretty' | undefined;
  /** -p / -r; undefined: keepalived's name for the configuration's naming keywords (daemon-files.ts). */
  readonly pidFile: string | undefined;
  readonly vrrpPidFile: string | undefined;
  readonly dontRelease: boolean;
  readonly dumpConf: boolean;
  readonly umask: number | undefined;
  /** --socket; false for "none"; undefined: named as the pid files are (daemon-files.ts). */
  readonly socket: string | false | undefined;
  readonly dumpDir: string;
  readonly processTitle: string;
  /** -s: the network namespace, instead of the file's net_namespace (src/cli/net-namespace.ts). */
  readonly netNamespace: string | undefined;
  /** -i: which `@id` lines apply (keepalived's default, the host name up to its first dot, when unset). */
  readonly configId: string | undefined;
  /** -e (--all-config): every include check on, as include_check without options (include-check.ts). */
  readonly allIncludeChecks: boolean;
  /** --metrics[=ADDR:PORT]: '' for the default listener (src/cli/metrics-listener.ts); unset: off. */
  readonly metrics: string | undefined;
  /** keepalived flags we accept and do nothing for, each reported once at start. */
  readonly ignored: readonly string[];
}

export type Command =
  | { readonly kind: 'run'; readonly options: DaemonOptions }
  | { readonly kind: 'status'; readonly json: boolean; readonly socket: string }
  /** `vrrpd record`: the daemon writes its flight recording (the status socket's `record`). */
  | { readonly kind: 'record'; readonly json: boolean; readonly socket: string }
  | { readonly kind: 'signum'; readonly name: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage'; readonly message: string };

interface FlagSpec {
  readonly long: string;
  readonly short?: string;
  /** required: takes the next argument; optional: only `--x=V` / `-xV`; none: a switch. */
  readonly arg: 'required' | 'optional' | 'none';
  /** Accepted and ignored: said once at start, with why. */
  readonly ignoredBecause?: string;
}

const FLAGS: readonly FlagSpec[] = [
  { long: 'use-file', short: 'f', arg: 'required' },
  { long: 'vrrp', short: 'P', arg: 'none', ignoredBecause: 'only the VRRP subsystem exists' },
  { long: 'check', short: 'C', arg: 'none', ignoredBecause: 'there is no health-checker subsystem (VRRP runs)' },
  { long: 'no_bfd', short: 'B', arg: 'none', ignoredBecause: 'there is no BFD subsystem' },
  { long: 'all', arg: 'none', ignoredBecause: 'there are no child processes' },
  { long: 'log-console', short: 'l', arg: 'none' },
  { long: 'log-detail', short: 'D', arg: 'none' },
  { long: 'log-facility', short: 'S', arg: 'required', ignoredBecause: 'logs go to stdout, never syslog' },
  { long: 'no-syslog', short: 'G', arg: 'none', ignoredBecause: 'logs go to stdout, never syslog' },
  { long: 'umask', short: 'u', arg: 'required' },
  { long: 'release-vips', short: 'X', arg: 'none', ignoredBecause: 'VIPs are always released on a stop' },
  { long: 'dont-release-vrrp', short: 'V', arg: 'none' },
  { long: 'dont-release-ipvs', short: 'I', arg: 'none', ignoredBecause: 'there is no IPVS' },
  { long: 'dont-respawn', short: 'R', arg: 'none', ignoredBecause: 'there are no child processes to respawn' },
  { long: 'dont-fork', short: 'n', arg: 'none' },
  { long: 'dump-conf', short: 'd', arg: 'none' },
  { long: 'pid', short: 'p', arg: 'required' },
  { long: 'vrrp_pid', short: 'r', arg: 'required' },
  { long: 'checkers_pid', short: 'c', arg: 'required', ignoredBecause: 'there is no checker process' },
  { long: 'bfd_pid', short: 'b', arg: 'required', ignoredBecause: 'there is no BFD process' },
  { long: 'address-monitoring', short: 'a', arg: 'none', ignoredBecause: 'not implemented' },
  { long: 'snmp', short: 'x', arg: 'none', ignoredBecause: 'SNMP is not implemented' },
  { long: 'snmp-agent-socket', short: 'A', arg: 'required', ignoredBecause: 'SNMP is not implemented' },
  { long: 'core-dump', short: 'm', arg: 'none', ignoredBecause: 'not applicable to Node.js' },
  { long: 'core-dump-pattern', short: 'M', arg: 'optional', ignoredBecause: 'not applicable to Node.js' },
  { long: 'all-config', short: 'e', arg: 'none' },
  { long: 'config-id', short: 'i', arg: 'required' },
  { long: 'config-test', short: 't', arg: 'optional' },
  { long: 'signum', arg: 'required' },
  { long: 'version', short: 'v', arg: 'none' },
  { long: 'help', short: 'h', arg: 'none' },
  { long: 'namespace', short: 's', arg: 'required' },
  // Refused: running it "ignored" would quietly do something else than asked.
  { long: 'genhash', short: 'T', arg: 'none' },
  // Ours.
  { long: 'socket', arg: 'required' },
  { long: 'dump-dir', arg: 'required' },
  { long: 'log-level', arg: 'required' },
  { long: 'log-format', arg: 'required' },
  { long: 'process-title', arg: 'required' },
  { long: 'metrics', arg: 'optional' },
];

const BY_LONG = new Map(FLAGS.map((f) => [f.long, f]));
const BY_SHORT = new Map(FLAGS.filter((f) => f.short !== undefined).map((f) => [f.short!, f]));
const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

type Usage = { readonly kind: 'usage'; readonly message: string };
const usage = (message: string): Usage => ({ kind: 'usage', message });

/** The flags seen so far, by long name, and the ignored ones to report once. */
class SeenFlags {
  readonly values = new Map<string, string | true>();
  readonly ignored: string[] = [];

  record(spec: FlagSpec, value: string | true): void {
    this.values.set(spec.long, value);
    if (spec.ignoredBecause === undefined) return;
    const name = `${spec.short !== undefined ? `-${spec.short}/` : ''}--${spec.long}`;
    if (!this.ignored.some((line) => line.startsWith(`${name}:`))) this.ignored.push(`${name}: ${spec.ignoredBecause}`);
  }

  /** The value of a flag that took one; undefined when absent or given as a bare switch. */
  text(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : undefined;
  }
}

/** One flag on the command line that may take a value: `--name=V`, `--name`, `-xV` or `-x`. */
interface Occurrence {
  readonly spec: FlagSpec;
  readonly inline: string | undefined;
  readonly shown: string;
}

/** Reads `vrrpd [flags]` or `vrrpd status [--json] [--socket PATH]`. */
export function parseCommand(argv: readonly string[]): Command {
  if (argv[0] === 'status') return parseStatus(argv.slice(1));
  if (argv[0] === 'record') {
    const parsed = parseStatus(argv.slice(1));
    return parsed.kind === 'status' ? { ...parsed, kind: 'record' } : parsed;
  }
  const flags = readFlags(argv);
  if (!(flags instanceof SeenFlags)) return flags;
  return earlyCommand(flags) ?? runCommand(flags);
}

function readFlags(argv: readonly string[]): SeenFlags | Usage {
  const flags = new SeenFlags();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let found: Occurrence | Usage | undefined;
    if (arg.startsWith('--')) found = readLong(arg);
    else if (arg.startsWith('-') && arg.length >= 2) found = readShorts(arg, flags);
    else return usage(`unexpected argument ${JSON.stringify(arg)}`);
    if (found === undefined) continue;
    if ('kind' in found) return found;
    const { spec, inline, shown } = found;
    if (spec.arg === 'none') {
      if (inline !== undefined) return usage(`${shown} takes no value`);
      flags.record(spec, true);
    } else if (spec.arg === 'optional') {
      flags.record(spec, inline ?? true);
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined) return usage(`${shown} needs a value`);
      flags.record(spec, value);
    }
  }
  return flags;
}

function readLong(arg: string): Occurrence | Usage {
  const eq = arg.indexOf('=');
  const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
  const spec = BY_LONG.get(name);
  if (spec === undefined) return usage(`unknown option --${name}`);
  return { spec, inline: eq === -1 ? undefined : arg.slice(eq + 1), shown: `--${name}` };
}

/**
 * Bundled switches (-nlD) as getopt allows, recorded here; a flag with a value ends the bundle and
 * takes the rest (-fFILE). Undefined when every letter was a switch.
 */
function readShorts(arg: string, flags: SeenFlags): Occurrence | Usage | undefined {
  for (let j = 1; j < arg.length; j++) {
    const letter = arg[j]!;
    const spec = BY_SHORT.get(letter);
    if (spec === undefined) return usage(`unknown option -${letter}`);
    if (spec.arg === 'none') {
      flags.record(spec, true);
      continue;
    }
    const rest = arg.slice(j + 1);
    return { spec, inline: rest === '' ? undefined : rest, shown: `-${letter}` };
  }
  return undefined;
}

/** The flags that answer at once instead of running: help, version, signum, and the refused ones. */
function earlyCommand(flags: SeenFlags): Command | undefined {
  const seen = flags.values;
  if (seen.has('help')) return { kind: 'help' };
  if (seen.has('version')) return { kind: 'version' };
  if (seen.has('signum')) return { kind: 'signum', name: String(seen.get('signum')) };
  if (seen.has('genhash')) return usage('-T/--genhash is not supported (no health checkers)');
  return undefined;
}

/** Flags whose value names a file, a socket or an id: an empty one is a mistake. */
const NON_EMPTY = ['use-file', 'config-id', 'pid', 'vrrp_pid', 'socket', 'dump-dir', 'process-title', 'namespace'];

function runCommand(flags: SeenFlags): Command {
  const level = flags.text('log-level');
  if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) {
    return usage(`--log-level must be one of ${LEVELS.join(', ')}`);
  }
  const format = flags.text('log-format');
  if (format !== undefined && format !== 'json' && format !== 'pretty')
    return usage('--log-format must be json or pretty');
  const umaskText = flags.text('umask');
  const umask = umaskText === undefined ? undefined : parseUmask(umaskText);
  if (umask !== undefined && (!Number.isInteger(umask) || umask > 0o777)) {
    return usage(`--umask ${umaskText} is not a valid mask`);
  }
  const empty = NON_EMPTY.find((name) => flags.text(name) === '');
  if (empty !== undefined) return usage(`--${empty} must not be empty`);
  const namespace = flags.text('namespace');
  if (namespace !== undefined && (namespace.includes('/') || namespace === '.' || namespace === '..'))
    return usage(`--namespace ${namespace}: a namespace name cannot hold "/" or be . or ..`);
  return { kind: 'run', options: daemonOptions(flags, umask) };
}

/** keepalived reads the mask with strtol(base 0): 022 is octal, 0x12 hex, 18 decimal; NaN otherwise. */
function parseUmask(text: string): number {
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text, 16);
  if (/^0[0-7]*$/.test(text)) return parseInt(text, 8);
  if (/^[1-9]\d*$/.test(text)) return parseInt(text, 10);
  return NaN;
}

/** The options once every value is checked (runCommand): defaults for what is absent. */
function daemonOptions(flags: SeenFlags, umask: number | undefined): DaemonOptions {
  const { values: seen, ignored } = flags;
  const str = (name: string): string | undefined => flags.text(name);
  const test = seen.get('config-test');
  return {
    configFile: str('use-file') ?? DEFAULT_CONFIG,
    configTest: test !== undefined,
    configTestLog: typeof test === 'string' ? test : undefined,
    logConsole: seen.has('log-console'),
    logDetail: seen.has('log-detail'),
    logLevel: str('log-level') as LogLevel | undefined,
    logFormat: str('log-format') as 'json' | 'pretty' | undefined,
    pidFile: str('pid'),
    vrrpPidFile: str('vrrp_pid'),
    dontRelease: seen.has('dont-release-vrrp'),
    dumpConf: seen.has('dump-conf'),
    umask,
    socket: str('socket') === 'none' ? false : str('socket'),
    dumpDir: str('dump-dir') ?? DEFAULT_DUMP_DIR,
    processTitle: str('process-title') ?? DEFAULT_PROCESS_TITLE,
    configId: str('config-id'),
    netNamespace: str('namespace'),
    allIncludeChecks: seen.has('all-config'),
    metrics: seen.get('metrics') === true ? '' : str('metrics'),
    ignored,
  };
}

function parseStatus(argv: readonly string[]): Command {
  let json = false;
  let socket = DEFAULT_SOCKET;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--socket' || arg.startsWith('--socket=')) {
      const value = arg === '--socket' ? argv[++i] : arg.slice('--socket='.length);
      if (value === undefined || value === '') return { kind: 'usage', message: 'status: --socket needs a path' };
      socket = value;
    } else return { kind: 'usage', message: `status: unexpected argument ${JSON.stringify(arg)}` };
  }
  return { kind: 'status', json, socket };
}

/**
 * keepalived --signum=NAME: the signal number a script should send. The real-time JSON and STATS_CLEAR
 * depend on the C library's SIGRTMIN / SIGRTMAX: src/linux/rt-signals.ts gives those.
 */
export const SIGNUMS: Readonly<Record<string, number>> = { STOP: 15, RELOAD: 1, DATA: 10, STATS: 12 };
