// vrrpd's command line: keepalived 2.2.7's flags (so a unit file or a container command that starts
// keepalived starts vrrpd unchanged) plus a few of our own. Pure: returns what to do, or a usage error.

import type { LogLevel } from './logger.js';
import { PRIVATE_DIR } from './private-files.js';

export const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
export const DEFAULT_PID_FILE = '/run/keepalived.pid';
export const DEFAULT_VRRP_PID_FILE = '/run/keepalived_vrrp.pid';
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
  readonly pidFile: string;
  readonly vrrpPidFile: string;
  readonly dontRelease: boolean;
  readonly dumpConf: boolean;
  readonly umask: number | undefined;
  readonly socket: string | undefined;
  readonly dumpDir: string;
  readonly processTitle: string;
  /** -i: which `@id` lines apply (keepalived's default, the host name up to its first dot, when unset). */
  readonly configId: string | undefined;
  /** --metrics[=ADDR:PORT]: '' for the default listener (src/cli/metrics-listener.ts); unset: off. */
  readonly metrics: string | undefined;
  /** keepalived flags we accept and do nothing for, each reported once at start. */
  readonly ignored: readonly string[];
}

export type Command =
  | { readonly kind: 'run'; readonly options: DaemonOptions }
  | { readonly kind: 'status'; readonly json: boolean; readonly socket: string }
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
  { long: 'all-config', short: 'e', arg: 'none', ignoredBecause: 'not implemented' },
  { long: 'config-id', short: 'i', arg: 'required' },
  { long: 'config-test', short: 't', arg: 'optional' },
  { long: 'signum', arg: 'required' },
  { long: 'version', short: 'v', arg: 'none' },
  { long: 'help', short: 'h', arg: 'none' },
  // Refused: running them "ignored" would quietly do something else than asked.
  { long: 'namespace', short: 's', arg: 'required' },
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

/** Reads `vrrpd [flags]` or `vrrpd status [--json] [--socket PATH]`. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: written before the 60-line rule; to split (issue 11)
export function parseCommand(argv: readonly string[]): Command {
  if (argv[0] === 'status') return parseStatus(argv.slice(1));
  const seen = new Map<string, string | true>();
  const ignored: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    let shown = arg;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = BY_LONG.get(name);
      shown = `--${name}`;
    } else if (arg.startsWith('-') && arg.length >= 2) {
      // Bundled switches (-nlD) as getopt allows; a flag with a value takes the rest (-fFILE).
      for (let j = 1; j < arg.length; j++) {
        const s = BY_SHORT.get(arg[j]!);
        if (s === undefined) return { kind: 'usage', message: `unknown option -${arg[j]!}` };
        if (s.arg === 'none' || j === arg.length - 1) {
          if (s.arg === 'none') {
            record(s, true);
            continue;
          }
          spec = s;
          shown = `-${arg[j]!}`;
          break;
        }
        const rest = arg.slice(j + 1);
        spec = s;
        inline = rest;
        shown = `-${arg[j]!}`;
        break;
      }
      if (spec === undefined) continue;
    } else {
      return { kind: 'usage', message: `unexpected argument ${JSON.stringify(arg)}` };
    }
    if (spec === undefined) return { kind: 'usage', message: `unknown option ${shown}` };
    if (spec.arg === 'none') {
      if (inline !== undefined) return { kind: 'usage', message: `${shown} takes no value` };
      record(spec, true);
    } else if (spec.arg === 'optional') {
      record(spec, inline ?? true);
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined) return { kind: 'usage', message: `${shown} needs a value` };
      record(spec, value);
    }
  }

  function record(spec: FlagSpec, value: string | true): void {
    seen.set(spec.long, value);
    if (spec.ignoredBecause !== undefined) {
      const name = `${spec.short !== undefined ? `-${spec.short}/` : ''}--${spec.long}`;
      if (!ignored.some((line) => line.startsWith(`${name}:`))) ignored.push(`${name}: ${spec.ignoredBecause}`);
    }
  }

  if (seen.has('help')) return { kind: 'help' };
  if (seen.has('version')) return { kind: 'version' };
  if (seen.has('signum')) return { kind: 'signum', name: String(seen.get('signum')) };
  if (seen.has('namespace'))
    return { kind: 'usage', message: '-s/--namespace is not supported: start vrrpd with `ip netns exec NAME`' };
  if (seen.has('genhash')) return { kind: 'usage', message: '-T/--genhash is not supported (no health checkers)' };

  const str = (name: string): string | undefined => {
    const value = seen.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  const level = str('log-level');
  if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) {
    return { kind: 'usage', message: `--log-level must be one of ${LEVELS.join(', ')}` };
  }
  const format = str('log-format');
  if (format !== undefined && format !== 'json' && format !== 'pretty')
    return { kind: 'usage', message: '--log-format must be json or pretty' };
  const umaskText = str('umask');
  let umask: number | undefined;
  if (umaskText !== undefined) {
    // keepalived reads it with strtol(base 0): 022 is octal, 0x12 hex, 18 decimal.
    umask = /^0x[0-9a-f]+$/i.test(umaskText)
      ? parseInt(umaskText, 16)
      : /^0[0-7]*$/.test(umaskText)
        ? parseInt(umaskText, 8)
        : /^[1-9]\d*$/.test(umaskText)
          ? parseInt(umaskText, 10)
          : NaN;
    if (!Number.isInteger(umask) || umask > 0o777)
      return { kind: 'usage', message: `--umask ${umaskText} is not a valid mask` };
  }
  for (const name of ['use-file', 'config-id', 'pid', 'vrrp_pid', 'socket', 'dump-dir', 'process-title']) {
    if (str(name) === '') return { kind: 'usage', message: `--${name} must not be empty` };
  }
  const test = seen.get('config-test');
  return {
    kind: 'run',
    options: {
      configFile: str('use-file') ?? DEFAULT_CONFIG,
      configTest: test !== undefined,
      configTestLog: typeof test === 'string' ? test : undefined,
      logConsole: seen.has('log-console'),
      logDetail: seen.has('log-detail'),
      logLevel: level as LogLevel | undefined,
      logFormat: format as 'json' | 'pretty' | undefined,
      pidFile: str('pid') ?? DEFAULT_PID_FILE,
      vrrpPidFile: str('vrrp_pid') ?? DEFAULT_VRRP_PID_FILE,
      dontRelease: seen.has('dont-release-vrrp'),
      dumpConf: seen.has('dump-conf'),
      umask,
      socket: str('socket') === 'none' ? undefined : (str('socket') ?? DEFAULT_SOCKET),
      dumpDir: str('dump-dir') ?? DEFAULT_DUMP_DIR,
      processTitle: str('process-title') ?? DEFAULT_PROCESS_TITLE,
      configId: str('config-id'),
      metrics: seen.get('metrics') === true ? '' : str('metrics'),
      ignored,
    },
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
