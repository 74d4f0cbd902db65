// The namespace test harness: a LAN (lan.ts), router processes on it (routers.ts: ours or keepalived),
// a capture on the bridge judged by tshark (capture.ts), and witnesses that read the kernel rather than
// our logs (observe.ts). Everything a Harness starts or builds is removed by destroy(), which create()
// registers as a test teardown, so it runs even when the test fails.

import { execFileSync } from 'node:child_process';
import type { Test } from 'tap';
import { Capture } from './capture.js';
import { Lan, type LanNode } from './lan.js';
import { holdersOf, neighbourOf, Ping, VipWatch, waitUntil } from './observe.js';
import {
  KeepalivedProcess,
  OursProcess,
  VrrpdProcess,
  type ConfOptions,
  type RouterKind,
  type RouterProcess,
  type RouterSpec,
} from './routers.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from './timing.js';

export { judgeAdverts, type AdvertExpectation, type VrrpFrame } from './capture.js';
export { holdersOf, neighbourOf, sleep, waitUntil } from './observe.js';
export type { ConfOptions, RouterKind, RouterProcess, RouterSpec } from './routers.js';
export { OursProcess, KeepalivedProcess, VrrpdProcess } from './routers.js';

/**
 * The LANs every namespace scenario runs on: all nodes our runner, then the keepalived drop-in in the
 * runner's place (bin/vrrpd on keepalived.conf), with keepalived 2.2.7 as the third router where a
 * scenario has one, so one run also shows the three on one VRID.
 */
export const LAN_VARIANTS: readonly { readonly name: string; readonly kinds: readonly RouterKind[] }[] = [
  { name: 'bin/vrrp-engine', kinds: ['ours', 'ours', 'ours'] },
  { name: 'bin/vrrpd', kinds: ['vrrpd', 'vrrpd', 'keepalived'] },
];

/** Why a variant cannot run here (its first `routers` nodes), or undefined when it can. */
export function variantSkipReason(kinds: readonly RouterKind[], routers: number): string | undefined {
  return skipReason(kinds.slice(0, routers).includes('keepalived') ? ['keepalived'] : []);
}

/**
 * Runs a scenario once per LAN variant, as subtests of `t`: `body` gets the kind of each router node
 * (kinds[0] for r1) and a namespace tag of its own (`tag` plus the variant's first letter).
 */
export function testEachVariant(
  t: Test,
  title: string,
  tag: string,
  routers: number,
  body: (t: Test, kinds: readonly RouterKind[], tag: string) => Promise<void>,
): void {
  for (const variant of LAN_VARIANTS) {
    const kinds = variant.kinds.slice(0, routers);
    void t.test(
      `${title} [${variant.name}: ${kinds.join(', ')}]`,
      { skip: variantSkipReason(kinds, routers) ?? false },
      (t) => body(t, kinds, `${tag}${variant.kinds[0]![0]!}`),
    );
  }
}

/** After leaving Master (or dying), a node may keep a VIP this long before it counts as a violation. */
export const VIP_GRACE_MS = 1000;

/** Why these tests cannot run here, or undefined when they can. */
export function skipReason(needs: readonly string[] = []): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces and raw sockets (CI runs as root)';
  for (const tool of ['ip', 'tcpdump', 'tshark', 'ping', ...needs]) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

interface Teardown {
  teardown(fn: () => unknown): void;
  passing(): boolean;
  comment(...message: unknown[]): void;
}

interface Excuse {
  readonly node: string;
  readonly fromMs: number;
  /** Set once a new process on the node has reported its first state (it then removes leftovers). */
  untilMs: number | undefined;
}

export class Harness {
  readonly processes: RouterProcess[] = [];
  private readonly pings: Ping[] = [];
  private readonly excuses: Excuse[] = [];
  private watch: VipWatch | undefined;
  capture: Capture | undefined;

  private constructor(readonly lan: Lan) {}

  /** Builds a LAN of `routers` router namespaces plus a client; starts the bridge capture. */
  static async create(
    t: Teardown,
    tag: string,
    routers: number,
    options: { capture?: boolean } = {},
  ): Promise<Harness> {
    const harness = new Harness(Lan.create(tag, routers));
    t.teardown(async () => {
      // On failure, every router's own account of its states helps read what the assertions saw.
      if (!t.passing()) t.comment(`state timeline:\n${harness.timeline()}`);
      await harness.destroy();
    });
    if (options.capture !== false) harness.capture = await Capture.start(harness.lan.bridgeNamespace);
    return harness;
  }

  node(name: string): LanNode {
    return this.lan.node(name);
  }

  startOurs(
    nodeName: string,
    specs: readonly RouterSpec[],
    extra: { readonly vips?: readonly unknown[]; readonly splitBrain?: unknown } = {},
  ): OursProcess {
    const p = new OursProcess(this.node(nodeName), specs, extra);
    this.track(p);
    return p;
  }

  startKeepalived(nodeName: string, specs: readonly RouterSpec[], options?: ConfOptions): KeepalivedProcess {
    const p = new KeepalivedProcess(this.node(nodeName), specs, options);
    this.track(p);
    return p;
  }

  /** bin/vrrpd on the keepalived.conf keepalived would get for `specs` (or on `options.confText`). */
  startVrrpd(nodeName: string, specs: readonly RouterSpec[], options?: ConfOptions): VrrpdProcess {
    const p = new VrrpdProcess(this.node(nodeName), specs, options);
    this.track(p);
    return p;
  }

  /** A router of any kind. */
  start(kind: RouterKind, nodeName: string, specs: readonly RouterSpec[]): RouterProcess {
    if (kind === 'ours') return this.startOurs(nodeName, specs);
    return kind === 'vrrpd' ? this.startVrrpd(nodeName, specs) : this.startKeepalived(nodeName, specs);
  }

  /** The router on `nodeName` of the kind `kinds` gives that node (kinds[0] for r1). */
  startAs(kinds: readonly RouterKind[], nodeName: string, specs: readonly RouterSpec[]): RouterProcess {
    const kind = kinds[this.lan.routers.findIndex((n) => n.name === nodeName)];
    if (kind === undefined) throw new Error(`no router kind given for ${nodeName}`);
    return this.start(kind, nodeName, specs);
  }

  /** MACs of the nodes running `kinds` (by position: r1, r2, ...): whose adverts tshark judges. */
  macsOf(kinds: readonly RouterKind[], judged: readonly RouterKind[] = ['ours', 'vrrpd']): string[] {
    return this.lan.routers.filter((_, i) => kinds[i] !== undefined && judged.includes(kinds[i]!)).map((n) => n.mac);
  }

  private track(p: RouterProcess): void {
    this.processes.push(p);
    // A node killed with SIGKILL keeps its VIPs until its next process starts and removes them.
    for (const excuse of this.excuses) {
      if (excuse.node === p.node.name && excuse.untilMs === undefined) {
        void p
          .waitForLine(() => p.states.length > 0, 60_000, 'first state')
          .then(
            () => (excuse.untilMs = Date.now()),
            () => undefined,
          );
      }
    }
  }

  /** SIGKILL: no priority-0 advert, VIPs left behind (excused until the node's next process starts). */
  async killHard(p: RouterProcess): Promise<void> {
    this.excuses.push({ node: p.node.name, fromMs: Date.now(), untilMs: undefined });
    await p.kill();
  }

  /** Samples who holds each VIP until destroy() or stopWatching(). */
  watchVips(vips: readonly string[]): void {
    this.watch = new VipWatch(this.lan, vips);
  }

  async stopWatching(): Promise<void> {
    await this.watch?.stop();
  }

  /**
   * Every sample in which a node held a VIP while none of its processes had been Master of the
   * router owning that VIP within VIP_GRACE_MS (a hard-killed node is excused until restarted).
   */
  vipViolations(vipOwner: (vip: string) => string): string[] {
    const problems: string[] = [];
    for (const sample of this.watch?.samples ?? []) {
      for (const [vip, holders] of sample.holders) {
        for (const holder of holders) {
          if (this.excused(holder, sample.atMs)) continue;
          if (!this.wasMaster(holder, vipOwner(vip), sample.atMs)) {
            problems.push(
              `${new Date(sample.atMs).toISOString()}: ${holder} held ${vip} but was not Master (holders: ${holders.join(', ')})`,
            );
          }
        }
      }
    }
    return problems;
  }

  /** Number of samples taken so far. */
  get vipSamples(): number {
    return this.watch?.samples.length ?? 0;
  }

  private excused(node: string, atMs: number): boolean {
    return this.excuses.some(
      (e) => e.node === node && atMs >= e.fromMs && (e.untilMs === undefined || atMs <= e.untilMs + VIP_GRACE_MS),
    );
  }

  /** Every state change every process reported, in time order (printed when a test fails). */
  timeline(): string {
    const rows = this.processes.flatMap((p) => [
      ...p.states.map((s) => ({
        atMs: s.atMs,
        text: `${p.node.name} (${p.kind}, pid ${p.pid}) ${s.router} -> ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
      })),
      ...(p.exitedAtMs !== undefined
        ? [{ atMs: p.exitedAtMs, text: `${p.node.name} (${p.kind}, pid ${p.pid}) exited (${p.exitDescription})` }]
        : []),
    ]);
    return rows
      .sort((a, b) => a.atMs - b.atMs)
      .map((r) => `${new Date(r.atMs).toISOString()} ${r.text}`)
      .join('\n');
  }

  /**
   * Whether `router` on `node` was Master at some moment in [atMs - grace, atMs + grace]: the sample
   * and the log lines are read by different processes, and the runner logs its stateChange only once
   * the VIPs are added, so a VIP can show up a moment before the word Master does.
   */
  private wasMaster(node: string, router: string, atMs: number): boolean {
    for (const p of this.processes.filter((q) => q.node.name === node)) {
      const records = p.states.filter((s) => s.router === router);
      let master = false;
      let masterUntil = -Infinity;
      for (const r of records) {
        if (r.atMs > atMs + VIP_GRACE_MS) break;
        if (r.atMs > atMs) {
          if (r.state === 'Master') return true;
          continue;
        }
        if (master && r.state !== 'Master') masterUntil = r.atMs;
        master = r.state === 'Master';
      }
      // A process that exited stopped being Master when it exited.
      if (master && p.exitedAtMs !== undefined && p.exitedAtMs <= atMs) {
        master = false;
        masterUntil = p.exitedAtMs;
      }
      if (master) return true;
      if (atMs - masterUntil <= VIP_GRACE_MS) return true;
    }
    return false;
  }

  /** Continuous ping from the client; stopped at teardown if the test does not stop it. */
  ping(address: string): Ping {
    const p = new Ping(this.lan, address);
    this.pings.push(p);
    return p;
  }

  /** Stops the capture (call before reading it). */
  async stopCapture(): Promise<Capture> {
    if (!this.capture) throw new Error('this harness was created without a capture');
    await this.capture.stop();
    return this.capture;
  }

  /** Stops everything this harness started (by PID) and deletes the namespaces. Safe to call twice. */
  async destroy(): Promise<void> {
    await this.watch?.stop();
    await Promise.all(this.pings.map((p) => p.kill()));
    await Promise.all(this.processes.map((p) => p.stop(2000)));
    if (this.capture) {
      await this.capture.stop();
      this.capture.remove();
    }
    this.lan.destroy();
  }
}

/** The LAN most scenarios open with: one VRRPv3 router with one VIP on every node, r1 the highest. */
export interface OneVipScenario {
  readonly router: string;
  readonly vrid: number;
  readonly vip: string;
  readonly intervalCs: number;
  /** Priority by node name (r1, r2, ...); r1's is the highest, so r1 is elected. */
  readonly priorities: Readonly<Record<string, number>>;
}

/** A OneVipScenario once elected: r1 Master holding the VIP, the client pinging it. */
export interface Elected {
  readonly h: Harness;
  /** The router process on each node, by node name; replace an entry when a test restarts its node. */
  readonly routers: Record<string, RouterProcess>;
  /** Started on the client once r1 is Master; answered by r1. */
  readonly ping: Ping;
  /** Starts (or restarts) the node's router with its priority. */
  start(node: string): RouterProcess;
  /** A Backup of this priority becomes Master within this: Master_Down_Interval plus MARGIN_MS. */
  bound(priority: number): number;
}

/** The RouterSpec of a OneVipScenario's router at one priority. */
export function oneVipSpec(scenario: OneVipScenario, priority: number): RouterSpec {
  const { router: name, vrid, intervalCs, vip } = scenario;
  return { name, vrid, version: 3, priority, advertIntervalCs: intervalCs, virtualAddresses: [vip] };
}

/**
 * Builds the LAN (removed at teardown), watches the VIP, starts every node's router, and checks the
 * election in a subtest: r1 Master, the others Backup, the VIP on r1 only (ip addr). Then pings the VIP
 * from the client until it answers and checks that the client's neighbour entry is r1's MAC.
 */
export async function electOneVip(
  t: Test,
  kinds: readonly RouterKind[],
  tag: string,
  scenario: OneVipScenario,
): Promise<Elected> {
  const { router, vip, intervalCs, priorities } = scenario;
  const nodes = Object.keys(priorities);
  const h = await Harness.create(t, tag, nodes.length);
  h.watchVips([vip]);
  const start = (node: string): RouterProcess => h.startAs(kinds, node, [oneVipSpec(scenario, priorities[node]!)]);
  const bound = (priority: number): number => masterDownMs(priority, intervalCs, 3) + MARGIN_MS;
  const routers = Object.fromEntries(nodes.map((node) => [node, start(node)]));
  const [first, ...others] = nodes as [string, ...string[]];
  await t.test('election: the highest priority is Master, the others Backup, the VIP on r1 only', async (t) => {
    await routers[first]!.waitForState(router, 'Master', bound(priorities[first]!) + STARTUP_MS);
    for (const node of others) await routers[node]!.waitForState(router, 'Backup', STARTUP_MS);
    t.same(await onlyHolder(h.lan, vip, first), [first], `ip addr: only ${first} holds the VIP`);
    for (const node of others) t.equal(routers[node]!.stateOf(router), 'Backup', `${node} is Backup`);
  });
  const ping = h.ping(vip);
  await ping.waitForReplies(3, 5000);
  t.equal(neighbourOf(h.lan, vip)?.lladdr, h.node(first).mac, `client's neighbour entry for the VIP is ${first}'s MAC`);
  return { h, routers, ping, start, bound };
}

/** Waits (3 s) until `node` alone holds `vip`, and returns the holders. */
export function onlyHolder(lan: Lan, vip: string, node: string): Promise<string[]> {
  return waitUntil(
    async () => {
      const holders = await holdersOf(lan, vip);
      return holders.length === 1 && holders[0] === node ? holders : undefined;
    },
    3000,
    `the VIP on ${node} only`,
  );
}
