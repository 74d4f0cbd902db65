// Pieces of the health namespace tests: a LAN from test/netns (used as is), bin/vrrp-engine with a
// "health" section (or bin/vrrpd on a keepalived.conf) in a router's namespace, and a teardown that
// stops every process by PID and deletes the namespaces whether the test passed or not.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture } from '../netns/capture.js';
import { skipReason } from '../netns/harness.js';
import { Lan, type LanNode } from '../netns/lan.js';
import { NamespaceProcess, type TimedLine } from '../netns/process.js';
import { RUNNER, VRRPD, type RouterSpec } from '../netns/routers.js';
import type { HealthPlan } from '../../src/model/health-plan.js';

export { skipReason };

export interface StateLine {
  /** When this test read the line. */
  readonly atMs: number;
  /** The wall-clock time the router wrote in the line (JSON lines only), e.g. to set it beside a capture. */
  readonly logTimeMs?: number | undefined;
  readonly router: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** bin/vrrp-engine (JSON lines on stdout) or bin/vrrpd (-l -D: readable lines) in a namespace. */
export class HealthRouter extends NamespaceProcess {
  readonly states: StateLine[] = [];

  constructor(label: string, namespace: string, command: string, args: readonly string[], dir: string) {
    super(label, namespace, command, args);
    void this.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  }

  protected override onLine(line: TimedLine): void {
    const state = parseState(line);
    if (state) this.states.push(state);
    super.onLine(line);
  }

  async waitForState(router: string, to: string, timeoutMs: number, since = 0): Promise<StateLine> {
    const line = await this.waitForLine(
      (l) => parseState(l)?.router === router && parseState(l)?.to === to,
      timeoutMs,
      `${router} -> ${to}`,
      since,
    );
    return parseState(line)!;
  }

  waitForText(pattern: RegExp, timeoutMs: number, since = 0): Promise<TimedLine> {
    return this.waitForLine((l) => pattern.test(l.text), timeoutMs, String(pattern), since);
  }

  stateOf(router = 'VI_1'): string | undefined {
    return this.states.filter((s) => s.router === router).at(-1)?.to;
  }

  mark(): number {
    return this.lines.length;
  }
}

function parseState(line: TimedLine): StateLine | undefined {
  if (line.text.startsWith('{')) {
    try {
      const e = JSON.parse(line.text) as Record<string, unknown>;
      if (e.event !== 'stateChange') return undefined;
      const logTimeMs = typeof e.time === 'string' ? Date.parse(e.time) : undefined;
      return {
        atMs: line.atMs,
        logTimeMs,
        router: String(e.router),
        from: String(e.from),
        to: String(e.to),
        reason: String(e.reason),
      };
    } catch {
      return undefined;
    }
  }
  // vrrpd -l: "VI_1: Backup -> Master (master-down-timer)"
  const m = /(\S+): (\w+) -> (\w+) \(([\w-]+)\)/.exec(line.text);
  return m ? { atMs: line.atMs, router: m[1]!, from: m[2]!, to: m[3]!, reason: m[4]! } : undefined;
}

/** The runner's router fields these tests set: the netns suite's RouterSpec, narrowed. */
export type RouterJson = Pick<
  RouterSpec,
  'name' | 'vrid' | 'priority' | 'virtualAddresses' | 'version' | 'advertIntervalCs'
>;

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A LAN of `routers` routers and a client; everything started through it is stopped at teardown. */
export class HealthLan {
  readonly processes: NamespaceProcess[] = [];
  capture: Capture | undefined;

  private constructor(readonly lan: Lan) {}

  static async create(t: Teardown, tag: string, routers: number, capture = false): Promise<HealthLan> {
    const h = new HealthLan(Lan.create(tag, routers));
    t.teardown(() => h.destroy());
    if (capture) h.capture = await Capture.start(h.lan.bridgeNamespace);
    return h;
  }

  node(name: string): LanNode {
    return this.lan.node(name);
  }

  /** bin/vrrp-engine on `node` with these routers and health plan. */
  startEngine(node: string, routers: readonly RouterJson[], health?: HealthPlan): HealthRouter {
    const where = this.node(node);
    const dir = mkdtempSync(join(tmpdir(), 'vrrp-health-netns-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        routers: routers.map((r) => ({ ...r, interface: where.interface })),
        ...(health ? { health } : {}),
      }),
    );
    return this.track(
      new HealthRouter(
        node,
        where.namespace,
        process.execPath,
        [RUNNER, '--config', config, '--log-level', 'info'],
        dir,
      ),
    );
  }

  /** bin/vrrpd on a keepalived.conf as written. */
  startVrrpd(node: string, confText: string): HealthRouter {
    const where = this.node(node);
    const dir = mkdtempSync(join(tmpdir(), 'vrrp-health-vrrpd-'));
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, confText);
    const args = [
      VRRPD,
      '-n',
      '-l',
      '-D',
      '-f',
      conf,
      '-p',
      join(dir, 'k.pid'),
      '-r',
      join(dir, 'v.pid'),
      '--socket',
      'none',
      '--dump-dir',
      dir,
    ];
    return this.track(new HealthRouter(node, where.namespace, process.execPath, args, dir));
  }

  /** Any other long-running command in a node's namespace (a TCP listener, ...). */
  startCommand(node: string, label: string, command: string, args: readonly string[]): NamespaceProcess {
    return this.track(new NamespaceProcess(label, this.node(node).namespace, command, args));
  }

  private track<P extends NamespaceProcess>(p: P): P {
    this.processes.push(p);
    return p;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop(2000)));
    if (this.capture) {
      await this.capture.stop();
      this.capture.remove();
    }
    this.lan.destroy();
  }
}

/** A TCP listener (node) on 127.0.0.1:port in a node's namespace; prints "listening" once bound. */
export function tcpListenerArgs(port: number): string[] {
  return [
    '-e',
    `require('net').createServer((s) => s.destroy()).listen(${port}, '127.0.0.1', () => console.log('listening'))`,
  ];
}
