// Shared parts of the data-plane benchmarks (bench/lan/*): flags, statistics, the machine and load
// note, a LAN from the namespace test harness with guaranteed cleanup, router processes of either
// implementation, /proc readings, and a bridge capture read back with test/helpers/pcap.ts.
//
// Every benchmark runs the same scenario with keepalived 2.2.7 and with ours, one after the other,
// each on a fresh LAN, and prints the two side by side. Figures are printed, never asserted.
//
// Diagnostics: BENCH_OURS_NODE_FLAGS adds Node flags to our router processes (e.g. "--cpu-prof
// --cpu-prof-dir=/tmp/prof" or "--trace-gc"), and BENCH_STOP_GRACE_MS gives them longer than 3 s to
// exit on SIGTERM, so a profile is written before the SIGKILL.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readPcap } from '../../test/helpers/pcap.js';
import { rememberPid } from '../../test/netns/cleanup.js';
import { Harness, skipReason, type RouterSpec } from '../../test/netns/harness.js';
import type { LanNode } from '../../test/netns/lan.js';
import { NamespaceProcess } from '../../test/netns/process.js';
import { KeepalivedProcess, keepalivedConf, RUNNER, type RouterProcess, type State } from '../../test/netns/routers.js';

export { printTable } from '../harness.js';
export { masterDownMs, skewMs } from '../../test/netns/timing.js';
export type { RouterSpec, RouterProcess, LanNode, Harness };

export type Impl = 'keepalived' | 'ours';

// ---------------------------------------------------------------- flags

export interface FlagSpec {
  readonly [name: string]: { readonly default: string; readonly help: string };
}

/**
 * Parses `--name value` flags (all strings, with defaults); `--help` prints them and exits.
 * `--impl keepalived,ours` is common to every benchmark.
 */
export function parseFlags<S extends FlagSpec>(usage: string, spec: S): { [K in keyof S]: string } & { impls: Impl[] } {
  const all: FlagSpec = { ...spec, impl: { default: 'keepalived,ours', help: 'implementations to run, in order' } };
  const options = Object.fromEntries(Object.keys(all).map((k) => [k, { type: 'string' as const }]));
  const { values } = parseArgs({ options: { ...options, help: { type: 'boolean' } }, strict: true }) as {
    values: Record<string, string | boolean | undefined>;
  };
  if (values.help === true) {
    console.log(`${usage}\n\nflags:`);
    for (const [k, v] of Object.entries(all)) console.log(`  --${k.padEnd(16)} ${v.help} (default ${v.default})`);
    process.exit(0);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) out[k] = (values[k] as string | undefined) ?? v.default;
  const impls = out.impl!.split(',').map((s) => s.trim());
  for (const i of impls) if (i !== 'keepalived' && i !== 'ours') throw new Error(`--impl: unknown implementation ${i}`);
  return { ...(out as { [K in keyof S]: string }), impls: impls as Impl[] };
}

export function numberList(text: string): number[] {
  return text
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n));
}

/** Exits with a message when the benchmark cannot run here (not root, a tool missing). */
export function requireLab(extraTools: readonly string[] = []): void {
  const reason = skipReason(['keepalived', ...extraTools]);
  if (reason !== undefined) {
    console.error(`cannot run: ${reason}`);
    process.exit(2);
  }
  // A Ctrl-C or SIGTERM still runs the exit hooks of test/netns/cleanup.ts (kill by PID, delete namespaces).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
}

// ---------------------------------------------------------------- statistics

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    min: s[0] ?? NaN,
    median: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.at(-1) ?? NaN,
  };
}

export function ms(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

// ---------------------------------------------------------------- machine and load

/** Date, kernel, CPU, Node and keepalived versions, and the load at this moment (`uptime`). */
export function machineNote(): string {
  // keepalived prints its version on stderr.
  const keepalived = spawnSync('keepalived', ['--version'], { encoding: 'utf8' });
  const keepalivedVersion = `${keepalived.stdout ?? ''}${keepalived.stderr ?? ''}`.split('\n')[0];
  const uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  return [
    `date ${new Date().toISOString()}; ${cpus().length} x ${cpus()[0]?.model ?? '?'}; kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`,
    `node ${process.version}; ${keepalivedVersion}`,
    `load: ${uptime}`,
  ].join('\n');
}

/**
 * Wall-clock milliseconds (CLOCK_REALTIME, the clock of pcap timestamps). Date.now(): 1 ms resolution,
 * but no drift against the capture, unlike performance.timeOrigin + performance.now().
 */
export function wallNowMs(): number {
  return Date.now();
}

/**
 * The wall clock at a millisecond edge: spins (at most 1 ms) until Date.now() steps, so the value it
 * returns is the time to within the spin's step, microseconds, where a plain Date.now() is up to 1 ms
 * behind. For timing a signal sent right after it (SIGTERM -> the priority-0 advert on the capture).
 */
export function wallNowAtEdgeMs(): number {
  const start = Date.now();
  let now = start;
  while (now === start) now = Date.now();
  return now;
}

export const sleep = (msec: number) => new Promise<void>((resolve) => setTimeout(resolve, msec));

// ---------------------------------------------------------------- LAN, routers, cleanup

/** Things to stop at the end of a scenario, last registered first. */
export class Scope {
  private readonly jobs: (() => unknown)[] = [];
  defer(job: () => unknown): void {
    this.jobs.push(job);
  }
  async close(): Promise<void> {
    for (const job of this.jobs.reverse()) {
      try {
        await job();
      } catch (error) {
        console.error(`cleanup: ${(error as Error).message}`);
      }
    }
  }
}

/**
 * A LAN of `routers` router namespaces plus a client (test/netns/harness.ts, no capture of its own),
 * given to `fn`; everything it and `fn` started is stopped and every namespace deleted afterwards,
 * whether `fn` returned or threw.
 */
let lanCount = 0;

export async function withLan<T>(
  tag: string,
  routers: number,
  fn: (h: Harness, scope: Scope) => Promise<T>,
): Promise<T> {
  const scope = new Scope();
  let passing = true;
  const t = {
    teardown: (job: () => unknown) => scope.defer(job),
    passing: () => passing,
    // The harness prints every router's state timeline on failure; keep the head of it.
    comment: (...message: unknown[]) => console.error(message.map(String).join(' ').slice(0, 4000)),
  };
  try {
    const h = await Harness.create(t, `${tag}${lanCount++}`, routers, { capture: false });
    return await fn(h, scope);
  } catch (error) {
    passing = false;
    throw error;
  } finally {
    await scope.close();
  }
}
/** Prints a progress line on stderr (figures go to stdout). */
export function progress(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

export function startRouter(h: Harness, impl: Impl, node: string, specs: readonly RouterSpec[]): RouterProcess {
  return impl === 'ours' ? h.startOurs(node, specs) : h.startKeepalived(node, specs);
}

/** keepalived's VRRP child (the process that sends and receives adverts), once it has written its pid file. */
export async function keepalivedChild(p: KeepalivedProcess, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pid = p.vrrpChildPid();
    if (pid !== undefined) {
      rememberPid(pid); // killed by the exit hook too, should the benchmark die
      return pid;
    }
    if (Date.now() > until)
      throw new Error(`${p.label}: keepalived wrote no VRRP child pid file within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * kill -9 of a router, no goodbye: for keepalived the VRRP child is SIGKILLed (the parent stopped
 * first, so it cannot respawn one, then SIGKILLed too). Returns the wall-clock time of the kill.
 */
export async function killHard(h: Harness, p: RouterProcess): Promise<number> {
  if (p instanceof KeepalivedProcess) {
    const child = await keepalivedChild(p);
    process.kill(p.pid, 'SIGSTOP');
    const at = wallNowMs();
    process.kill(child, 'SIGKILL');
    await h.killHard(p);
    return at;
  }
  const at = wallNowMs();
  await h.killHard(p);
  return at;
}

/** Removes addresses a hard-killed router left on its eth0 (ignores those already gone). */
export function removeLeftovers(h: Harness, node: string, addresses: readonly string[]): void {
  for (const a of addresses) {
    try {
      h.lan.exec(h.node(node), 'ip', 'addr', 'del', `${a}/${a.includes(':') ? 128 : 32}`, 'dev', 'eth0');
    } catch {
      // not there
    }
  }
}

/** A process of our own (CPU burner, flooder) in a namespace of the LAN, stopped by the scope. */
export function startHelper(
  scope: Scope,
  label: string,
  namespace: string,
  command: string,
  args: readonly string[],
): NamespaceProcess {
  const p = new NamespaceProcess(label, namespace, command, args);
  scope.defer(() => p.stop(1000));
  return p;
}

// ---------------------------------------------------------------- /proc readings

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Packet counters of a link (`ip -s -json link`), in the namespace given. */
export function linkStats(
  namespace: string,
  link: string,
): { rxPackets: number; txPackets: number; rxDropped: number } {
  const out = execFileSync('ip', ['-n', namespace, '-s', '-json', 'link', 'show', link], { encoding: 'utf8' });
  const s = (
    JSON.parse(out) as { stats64: { rx: { packets: number; dropped: number }; tx: { packets: number } } }[]
  )[0]!.stats64;
  return { rxPackets: s.rx.packets, txPackets: s.tx.packets, rxDropped: s.rx.dropped };
}

/** Sum of the kernel's drop counters of every raw protocol-112 socket in a node (/proc/net/raw, "drops"). */
export function rawSocketDrops(h: Harness, node: string): number {
  const lines = h.lan.exec(h.node(node), 'cat', '/proc/net/raw').split('\n').slice(1);
  let drops = 0;
  for (const line of lines) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 13 || !cols[1]!.endsWith(':0070')) continue; // local "port" is the protocol, 0x70 = 112
    drops += Number(cols.at(-1));
  }
  return drops;
}

// ---------------------------------------------------------------- capture on the bridge

export interface Advert {
  /** Capture time (pcap, ns resolution), wall-clock ms. */
  readonly timeMs: number;
  readonly mac: string;
  readonly ttl: number;
  readonly version: number;
  readonly type: number;
  readonly vrid: number;
  readonly priority: number;
  readonly intervalCs: number;
}

export interface Garp {
  readonly timeMs: number;
  readonly mac: string;
  readonly address: string;
}

/**
 * tcpdump on the bridge with nanosecond timestamps and a BPF filter of the caller's choosing (so a
 * flood can be left out in the kernel). Read back with test/helpers/pcap.ts; gratuitous ARPs with tshark.
 */
export class BridgeTap {
  private readonly dir = mkdtempSync(join(tmpdir(), 'vrrp-bench-'));
  readonly file = join(this.dir, 'lan.pcap');
  private readonly tcpdump: NamespaceProcess;

  private constructor(h: Harness, filter: string) {
    this.tcpdump = new NamespaceProcess('tcpdump', h.lan.bridgeNamespace, 'tcpdump', [
      '-i',
      'br0',
      '-U',
      '-s',
      '0',
      '-B',
      '16384',
      '--time-stamp-precision=nano',
      '-w',
      this.file,
      filter,
    ]);
  }

  static async start(h: Harness, scope: Scope, filter = 'ip proto 112 or arp'): Promise<BridgeTap> {
    const tap = new BridgeTap(h, filter);
    scope.defer(() => tap.remove());
    scope.defer(() => tap.stop());
    await tap.tcpdump.waitForLine((l) => l.text.includes('listening on'), 10_000, 'tcpdump listening');
    return tap;
  }

  /** Stops tcpdump; returns how many packets it says the kernel dropped (0 when it says nothing). */
  async stop(): Promise<number> {
    if (this.tcpdump.running) await sleep(1500); // tcpdump hands over a ring block at the latest after 1 s
    await this.tcpdump.stop();
    const line = this.tcpdump.lines.find((l) => /packets dropped by kernel/.test(l.text));
    return line ? Number(/(\d+) packets dropped by kernel/.exec(line.text)![1]) : 0;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Every VRRP packet in the capture (after stop): IPv4, and IPv6 without extension headers. */
  adverts(): Advert[] {
    const read = readPcap(readFileSync(this.file));
    const out: Advert[] = [];
    for (const p of read.packets) {
      const ip = p.ip;
      const ipv4 = ip.length >= 20 && ip[0]! >> 4 === 4 && ip[9] === 112;
      const ipv6 = ip.length >= 40 && ip[0]! >> 4 === 6 && ip[6] === 112;
      if (!ipv4 && !ipv6) continue;
      const v = ip.subarray(ipv4 ? (ip[0]! & 0x0f) * 4 : 40);
      if (v.length < 8) continue;
      const version = v[0]! >> 4;
      out.push({
        timeMs: p.timeSeconds * 1000 + p.timeFractionNs / 1e6,
        mac: p.sourceMac ?? '',
        ttl: ipv4 ? ip[8]! : ip[7]!,
        version,
        type: v[0]! & 0x0f,
        vrid: v[1]!,
        priority: v[2]!,
        intervalCs: version === 3 ? ((v[4]! & 0x0f) << 8) | v[5]! : v[5]! * 100,
      });
    }
    return out;
  }

  /** Gratuitous ARPs (sender IP == target IP), as tshark reads them. */
  garps(): Garp[] {
    const out = execFileSync(
      'tshark',
      [
        '-r',
        this.file,
        '-Y',
        'arp && arp.src.proto_ipv4 == arp.dst.proto_ipv4',
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-e',
        'frame.time_epoch',
        '-e',
        'eth.src',
        '-e',
        'arp.src.proto_ipv4',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 },
    );
    return out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [t, mac, address] = l.split('|');
        return { timeMs: Number(t) * 1000, mac: mac!, address: address! };
      });
  }
}

/** Gaps between consecutive adverts (ms) of one sender and VRID, between `fromMs` and `toMs`. */
export function gapsOf(
  adverts: readonly Advert[],
  mac: string,
  vrid: number,
  fromMs = -Infinity,
  toMs = Infinity,
): number[] {
  const times = adverts
    .filter((a) => a.mac === mac && a.vrid === vrid && a.priority !== 0 && a.timeMs >= fromMs && a.timeMs <= toMs)
    .map((a) => a.timeMs);
  return times.slice(1).map((t, i) => t - times[i]!);
}

/** One VRRPv3 virtual router spec (IPv4 or IPv6, by the VIP). */
export function v3Spec(
  vrid: number,
  priority: number,
  intervalCs: number,
  vip: string,
  name = `VI_${vrid}`,
): RouterSpec {
  return { name, vrid, version: 3, priority, advertIntervalCs: intervalCs, virtualAddresses: [vip] };
}

// ---------------------------------------------------------------- routers logging to a file

/**
 * A router of either implementation whose log goes to a file rather than a pipe to this process.
 * Under a flood keepalived writes a line per invalid packet and our runner logs synchronously: a pipe
 * whose reader (this benchmark, on a busy machine) falls behind would stall the router being measured.
 * Same configuration as the harness's routers (keepalivedConf, the runner's JSON), same flags except
 * the runner's log level (info: no debug lines).
 */
export class FileRouter {
  readonly process: NamespaceProcess;
  readonly logFile: string;
  private readonly dir: string;

  /** `quiet`: keepalived without -l -D, so it logs nothing at all (no state changes to read either). */
  constructor(
    scope: Scope,
    h: Harness,
    readonly impl: Impl,
    nodeName: string,
    specs: readonly RouterSpec[],
    readonly quiet = false,
    /** SCHED_RR priority for the advert path (ours: scheduling.realtimePriority; keepalived: vrrp_rt_priority). */
    realtimePriority?: number,
  ) {
    const node = h.node(nodeName);
    this.dir = mkdtempSync(join(tmpdir(), `vrrp-bench-${impl}-`));
    this.logFile = join(this.dir, 'log');
    let command: string[];
    if (impl === 'ours') {
      const config = join(this.dir, 'config.json');
      const scheduling = realtimePriority === undefined ? {} : { scheduling: { realtimePriority } };
      const routers = specs.map((s) => ({ ...s, interface: node.interface }));
      writeFileSync(config, JSON.stringify({ routers, ...scheduling }));
      const nodeFlags = process.env.BENCH_OURS_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
      command = [process.execPath, ...nodeFlags, RUNNER, '--config', config, '--log-level', 'info'];
    } else {
      const conf = join(this.dir, 'keepalived.conf');
      const rt = realtimePriority === undefined ? '' : `  vrrp_rt_priority ${realtimePriority}\n`;
      writeFileSync(conf, keepalivedConf(node, specs).replace('global_defs {\n', `global_defs {\n${rt}`));
      command = [
        'keepalived',
        '-n',
        ...(quiet ? [] : ['-l', '-D']),
        '-f',
        conf,
        '-p',
        join(this.dir, 'keepalived.pid'),
        '-r',
        join(this.dir, 'vrrp.pid'),
        '--no-syslog',
      ];
    }
    // sh execs the router, so the PID is the router's own.
    this.process = new NamespaceProcess(`${nodeName} (${impl})`, node.namespace, 'sh', [
      '-c',
      'exec "$@" >"$0" 2>&1',
      this.logFile,
      ...command,
    ]);
    scope.defer(() => this.stop());
  }

  get pid(): number {
    return this.process.pid;
  }

  /** keepalived's VRRP child, once written; undefined for ours. */
  childPid(): number | undefined {
    if (this.impl === 'ours') return undefined;
    try {
      const pid = Number(readFileSync(join(this.dir, 'vrrp.pid'), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) {
        rememberPid(pid);
        return pid;
      }
    } catch {
      // not yet
    }
    return undefined;
  }

  /** The VRRP process first (ours; keepalived's child), then keepalived's parent. */
  async pids(): Promise<number[]> {
    if (this.impl === 'ours') return [this.pid];
    const until = Date.now() + 10_000;
    for (;;) {
      const child = this.childPid();
      if (child !== undefined) return [child, this.pid];
      if (Date.now() > until) throw new Error('keepalived wrote no VRRP child pid file');
      await sleep(20);
    }
  }

  /** Log lines matching a fixed string (grep -F), without reading a large log into memory. */
  grep(fixed: string): string[] {
    try {
      return execFileSync('grep', ['-F', fixed, this.logFile], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .split('\n')
        .filter((l) => l !== '');
    } catch {
      return []; // no match (status 1) or no file yet
    }
  }

  lineCount(): number {
    try {
      return Number(
        execFileSync('wc', ['-l', this.logFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
          .trim()
          .split(' ')[0],
      );
    } catch {
      return 0;
    }
  }

  /** State changes in log order: [router, state]. */
  states(): [string, State][] {
    if (this.impl === 'ours') {
      return this.grep('"event":"stateChange"').map((l) => {
        const e = JSON.parse(l) as { router: string; to: State };
        return [e.router, e.to];
      });
    }
    return this.grep(' STATE').flatMap((l) => {
      const m = /\((\S+)\) Entering (MASTER|BACKUP|FAULT) STATE/.exec(l);
      return m ? [[m[1]!, (m[2] === 'MASTER' ? 'Master' : m[2] === 'BACKUP' ? 'Backup' : 'Fault') as State]] : [];
    });
  }

  countInState(state: State): number {
    const latest = new Map(this.states());
    return [...latest.values()].filter((s) => s === state).length;
  }

  masterEntries(): number {
    return this.states().filter(([, s]) => s === 'Master').length;
  }

  /** Polls the log until `count` routers are in `state`; false on timeout. */
  async waitForCount(state: State, count: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.process.running)
        throw new Error(`${this.process.label} exited:\n${readFileSync(this.logFile, 'utf8').slice(-2000)}`);
      if (this.countInState(state) >= count) return true;
      await sleep(100);
    }
    return false;
  }

  async stop(): Promise<void> {
    const child = this.childPid();
    if (!this.process.running) {
      // It died before the benchmark ended: say how, with its last words, before the log goes.
      const how = await this.process.exited;
      console.error(`${this.process.label} exited early (${JSON.stringify(how)}):`);
      console.error(readFileSync(this.logFile, 'utf8').slice(-2000));
    }
    await this.process.stop(Number(process.env.BENCH_STOP_GRACE_MS ?? 3000));
    if (child !== undefined) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // exited with its parent
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
