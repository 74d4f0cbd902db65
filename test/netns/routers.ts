// The three kinds of VRRP router a test can start in a namespace, behind one interface: our runner
// (bin/vrrp-engine, JSON lines on stdout), our keepalived drop-in (bin/vrrpd reading keepalived.conf,
// its readable console lines) and keepalived 2.2.7 (its console log). All are configured from the
// same RouterSpec, and vrrpd and keepalived read the very same keepalived.conf, so a test describes
// one virtual router once.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LanNode } from './lan.js';
import { NamespaceProcess, type TimedLine } from './process.js';

export const RUNNER = fileURLToPath(new URL('../../../bin/vrrp-engine', import.meta.url));
export const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));

export type RouterKind = 'ours' | 'vrrpd' | 'keepalived';

/** How vrrpd or keepalived is started besides its specs. */
export interface ConfOptions {
  /** The keepalived.conf to read, instead of the one written from the specs. */
  readonly confText?: string;
  /**
   * A host name of its own (a UTS namespace): keepalived's default config id, which `@id` lines in
   * the file are compared with. Without it every process has the test machine's host name.
   */
  readonly hostname?: string;
  /** More command-line arguments, after the ones every process gets (e.g. `-u 027`). */
  readonly extraArgs?: readonly string[];
  /**
   * keepalived: TMPDIR set to its own directory, so its dumps (keepalived.data, .stats, .json) land
   * there, where vrrpd's --dump-dir puts ours, instead of the /tmp every process on the machine shares.
   */
  readonly dumpsInOwnDir?: boolean;
  /**
   * No -p / -r (nor vrrpd's --socket): the pid files and socket go where the file's naming keywords
   * (use_pid_dir, instance, net_namespace) put them, as with no flags at all.
   */
  readonly defaultFiles?: boolean;
  /** An empty /run of its own (tmpfs in a mount namespace): its default files meet nobody's. */
  readonly privateRun?: boolean;
}

/** `command args` with TMPDIR=`dir` when `dir` is given; `env` execs, so the PID stays the program's. */
function withTmpDir(dir: string | undefined, command: string, args: readonly string[]): [string, string[]] {
  if (dir === undefined) return [command, [...args]];
  return ['env', [`TMPDIR=${dir}`, command, ...args]];
}

/** `command args` in a UTS namespace of its own named `hostname`; both steps exec, so the PID stays the program's. */
function withHostname(hostname: string | undefined, command: string, args: readonly string[]): [string, string[]] {
  if (hostname === undefined) return [command, [...args]];
  return ['unshare', ['--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', hostname, command, ...args]];
}

/** `command args` with an empty tmpfs on /run in a mount namespace of its own (the PID stays the program's). */
function withPrivateRun(on: boolean | undefined, [command, args]: [string, string[]]): [string, string[]] {
  if (!on) return [command, args];
  const script = 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"';
  return ['unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', command, ...args]];
}

export type State = 'Initialize' | 'Backup' | 'Master' | 'Fault';

/** One virtual router, in the runner's vocabulary (RouterConfigInput); keepalived.conf is derived from it. */
export interface RouterSpec {
  readonly name: string;
  readonly vrid: number;
  readonly priority: number;
  readonly virtualAddresses: readonly string[];
  readonly version?: 2 | 3;
  readonly advertIntervalCs?: number;
  readonly preempt?: boolean;
  readonly preemptDelayMs?: number;
  readonly unicastPeers?: readonly string[];
  readonly auth?: { readonly type: 'pass'; readonly password: string };
  readonly v3Ipv4PseudoHeader?: boolean;
}

export interface StateRecord {
  readonly atMs: number;
  readonly router: string;
  readonly state: State;
  readonly reason?: string;
}

/** What every router process offers a test: its states over time, and waiting for one. */
export abstract class RouterProcess extends NamespaceProcess {
  readonly states: StateRecord[] = [];
  abstract readonly kind: RouterKind;

  constructor(
    readonly node: LanNode,
    readonly specs: readonly RouterSpec[],
    command: string,
    args: readonly string[],
  ) {
    super(`${node.name}`, node.namespace, command, args);
  }

  protected abstract stateFromLine(line: TimedLine): StateRecord | undefined;

  protected override onLine(line: TimedLine): void {
    const record = this.stateFromLine(line);
    if (record) this.states.push(record);
    super.onLine(line);
  }

  /** Latest state of a router by name, or undefined before its first state change. */
  stateOf(router: string): State | undefined {
    return this.states.filter((s) => s.router === router).at(-1)?.state;
  }

  /** Waits for `router` to enter `state` (a record at or after line index `since`). */
  async waitForState(router: string, state: State, timeoutMs: number, since = 0): Promise<StateRecord> {
    const line = await this.waitForLine(
      (l) => {
        const r = this.stateFromLine(l);
        return r !== undefined && r.router === router && r.state === state;
      },
      timeoutMs,
      `${router} entering ${state}`,
      since,
    );
    return this.stateFromLine(line)!;
  }

  /** Line index to pass as `since`: only what happens from now on counts. */
  mark(): number {
    return this.lines.length;
  }
}

/** Our runner: one JSON object per stdout line, each with an `event` field. */
export class OursProcess extends RouterProcess {
  readonly kind = 'ours';

  constructor(
    node: LanNode,
    specs: readonly RouterSpec[],
    extra: { readonly vips?: readonly unknown[]; readonly splitBrain?: unknown } = {},
  ) {
    const dir = mkdtempSync(join(tmpdir(), 'vrrp-netns-'));
    const config = join(dir, 'config.json');
    const routers = specs.map((s) => ({ ...s, interface: node.interface }));
    const optional = {
      ...(extra.vips ? { vips: extra.vips } : {}),
      ...(extra.splitBrain ? { splitBrain: extra.splitBrain } : {}),
    };
    writeFileSync(config, JSON.stringify({ routers, ...optional }, null, 2));
    super(node, specs, process.execPath, [
      RUNNER,
      '--config',
      config,
      '--log-level',
      process.env.VRRP_TEST_LOG_LEVEL ?? 'debug',
    ]);
    void this.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  }

  /** Every parsed JSON event, in order. */
  get events(): Record<string, unknown>[] {
    return this.lines.flatMap((l) => {
      const e = parseJson(l);
      return e ? [e] : [];
    });
  }

  waitForEvent(
    pred: (e: Record<string, unknown>) => boolean,
    timeoutMs: number,
    what: string,
    since = 0,
  ): Promise<Record<string, unknown>> {
    return this.waitForLine(
      (l) => {
        const e = parseJson(l);
        return e !== undefined && pred(e);
      },
      timeoutMs,
      what,
      since,
    ).then((l) => parseJson(l)!);
  }

  protected stateFromLine(line: TimedLine): StateRecord | undefined {
    const e = parseJson(line);
    if (e?.event !== 'stateChange') return undefined;
    return { atMs: line.atMs, router: String(e.router), state: e.to as State, reason: String(e.reason) };
  }
}

function parseJson(line: TimedLine): Record<string, unknown> | undefined {
  if (line.stream !== 'stdout' || !line.text.startsWith('{')) return undefined;
  try {
    return JSON.parse(line.text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const KEEPALIVED_STATE = /\((\S+)\) Entering (MASTER|BACKUP|FAULT) STATE/;
const KEEPALIVED_STATE_NAMES: Record<string, State> = { MASTER: 'Master', BACKUP: 'Backup', FAULT: 'Fault' };

/** keepalived 2.2.7 in the foreground (-n), logging to the console (-l), no syslog. */
export class KeepalivedProcess extends RouterProcess {
  readonly kind = 'keepalived';
  readonly dir: string;

  constructor(node: LanNode, specs: readonly RouterSpec[], options: ConfOptions = {}) {
    const dir = confDir('vrrp-keepalived-', options.confText ?? keepalivedConf(node, specs));
    // Private pid files, so several keepalived instances (one per namespace) never meet.
    super(
      node,
      specs,
      ...withPrivateRun(
        options.privateRun,
        withHostname(
          options.hostname,
          ...withTmpDir(options.dumpsInOwnDir ? dir : undefined, 'keepalived', [
            ...keepalivedArgs(dir, options.defaultFiles),
            '--no-syslog',
            ...(options.extraArgs ?? []),
          ]),
        ),
      ),
    );
    this.dir = dir;
  }

  get configText(): string {
    return readFileSync(join(this.dir, 'keepalived.conf'), 'utf8');
  }

  /** PID of keepalived's VRRP child (from its -r pid file), if it has written one. */
  vrrpChildPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dir, 'vrrp.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops keepalived; its VRRP child is ours too, so it is killed by PID if it outlives the parent. */
  override async stop(graceMs = 3000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.vrrpChildPid();
    const info = await super.stop(graceMs);
    if (child !== undefined) killIfAlive(child);
    rmSync(this.dir, { recursive: true, force: true });
    return info;
  }

  /**
   * kill -9 of keepalived as an operator does it (every keepalived process): the VRRP child first.
   * Killing only the parent is not a hard kill: the child is told its parent died (SIGTERM) and
   * shuts down gracefully, with a priority-0 advert and its VIPs removed (observed with 2.2.7).
   */
  override async kill(): Promise<void> {
    const child = this.vrrpChildPid();
    if (child !== undefined) killIfAlive(child);
    await super.kill();
  }

  protected stateFromLine(line: TimedLine): StateRecord | undefined {
    const m = KEEPALIVED_STATE.exec(line.text);
    if (!m) return undefined;
    return { atMs: line.atMs, router: m[1]!, state: KEEPALIVED_STATE_NAMES[m[2]!]! };
  }
}

/** A temp dir holding `keepalived.conf` with `text`; its owner removes it when its process ends. */
function confDir(prefix: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'keepalived.conf'), text);
  return dir;
}

/** -p and -r into `dir`, so several daemons (one per namespace) never meet on /run's pid files. */
function privatePidFiles(dir: string): string[] {
  return ['-p', join(dir, 'keepalived.pid'), '-r', join(dir, 'vrrp.pid')];
}

/** In the foreground, readable log lines at debug level, dir's keepalived.conf, private pid files (unless defaultFiles). */
function keepalivedArgs(dir: string, defaultFiles = false): string[] {
  return ['-n', '-l', '-D', '-f', join(dir, 'keepalived.conf'), ...(defaultFiles ? [] : privatePidFiles(dir))];
}

/** vrrpd's readable state-change line (-l): "TIME INFO  VI_1: Backup -> Master (master-down-timer)". */
const VRRPD_STATE =
  /^\S+ INFO {2}(\S+): (?:Initialize|Backup|Master|Fault) -> (Initialize|Backup|Master|Fault) \(([^)]+)\)$/;

/**
 * bin/vrrpd as an operator starts it in keepalived's place (`-n -l -f FILE`), on the keepalived.conf
 * KeepalivedProcess would get for the same specs; its pid files, status socket and dump files go to
 * a private temp dir, so several of them (one per namespace) never meet. States are read from its
 * readable state-change lines, reasons included.
 */
export class VrrpdProcess extends RouterProcess {
  readonly kind = 'vrrpd';
  readonly dir: string;

  constructor(node: LanNode, specs: readonly RouterSpec[], options: ConfOptions = {}) {
    const dir = confDir('vrrp-vrrpd-', options.confText ?? keepalivedConf(node, specs));
    super(
      node,
      specs,
      ...withPrivateRun(
        options.privateRun,
        withHostname(options.hostname, process.execPath, [
          VRRPD,
          '-n',
          '-l',
          '-D',
          '-f',
          join(dir, 'keepalived.conf'),
          ...(options.defaultFiles ? [] : [...privatePidFiles(dir), '--socket', join(dir, 'vrrpd.sock')]),
          '--dump-dir',
          dir,
          ...(options.extraArgs ?? []),
        ]),
      ),
    );
    this.dir = dir;
    void this.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  }

  get socket(): string {
    return join(this.dir, 'vrrpd.sock');
  }

  protected stateFromLine(line: TimedLine): StateRecord | undefined {
    if (line.stream !== 'stdout') return undefined;
    const m = VRRPD_STATE.exec(line.text);
    if (!m) return undefined;
    return { atMs: line.atMs, router: m[1]!, state: m[2] as State, reason: m[3]! };
  }
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already exited with its parent.
  }
}

/** keepalived.conf for the same virtual routers, on the node's eth0. */
export function keepalivedConf(node: LanNode, specs: readonly RouterSpec[]): string {
  const lines = ['global_defs {', `  router_id ${node.name}`, '}'];
  for (const s of specs) {
    const family = s.virtualAddresses[0]!.includes(':') ? 6 : 4;
    const version = s.version ?? (family === 6 ? 3 : 2);
    const intervalCs = s.advertIntervalCs ?? 100;
    lines.push(`vrrp_instance ${s.name} {`, '  state BACKUP', `  interface ${node.interface}`, `  version ${version}`);
    lines.push(`  virtual_router_id ${s.vrid}`, `  priority ${s.priority}`, `  advert_int ${intervalCs / 100}`);
    if (s.preempt === false) lines.push('  nopreempt');
    if (s.preemptDelayMs) lines.push(`  preempt_delay ${s.preemptDelayMs / 1000}`);
    if (s.auth) lines.push('  authentication {', '    auth_type PASS', `    auth_pass ${s.auth.password}`, '  }');
    if (s.unicastPeers && s.unicastPeers.length > 0) {
      lines.push(`  unicast_src_ip ${family === 4 ? node.ipv4 : node.linkLocal}`, '  unicast_peer {');
      for (const peer of s.unicastPeers) lines.push(`    ${peer}`);
      lines.push('  }');
    }
    lines.push('  virtual_ipaddress {');
    for (const vip of s.virtualAddresses) lines.push(`    ${vip}/${family === 4 ? 32 : 128}`);
    lines.push('  }', '}');
  }
  return `${lines.join('\n')}\n`;
}
