// IP failover "pods" on a namespace LAN: bin/ipfailover configured only through OPENSHIFT_HA_*
// variables (as the Deployment sets them), keepalived 2.2.7 on the configuration the shipping wrapper
// would generate for the same variables (wrapper-conf.ts), and a plain TCP listener standing in for
// the application behind OPENSHIFT_HA_MONITOR_PORT. Every process is started by PID through
// test/netns/process.ts, so cleanup.ts kills what a teardown missed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LanNode } from '../netns/lan.js';
import { NamespaceProcess, type TimedLine } from '../netns/process.js';
import { wrapperKeepalivedConf } from './wrapper-conf.js';

export const IPFAILOVER = fileURLToPath(new URL('../../../bin/ipfailover', import.meta.url));

export type Env = Readonly<Record<string, string>>;

export interface StateLine {
  readonly atMs: number;
  readonly instance: string;
  readonly state: string;
}

/** Something that runs VRRP instances in a namespace and reports their states. */
export interface Pod {
  readonly node: LanNode;
  readonly process: NamespaceProcess;
  states(): StateLine[];
  waitForState(instance: string, state: string, timeoutMs: number, since?: number): Promise<TimedLine>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function envArgs(env: Env): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** bin/ipfailover's JSON log lines, read from whatever runs it (a process here, a container in containers.ts). */
export abstract class JsonLogPod implements Pod {
  constructor(
    readonly node: LanNode,
    readonly process: NamespaceProcess,
  ) {}

  abstract stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** The JSON log lines with `event` equal to `name`. */
  events(name: string): Record<string, unknown>[] {
    return this.process.lines
      .map((l) => parseJson(l.text))
      .filter((o): o is Record<string, unknown> => o?.event === name);
  }

  states(): StateLine[] {
    return this.process.lines.flatMap((line) => {
      const o = parseJson(line.text);
      return o?.event === 'stateChange' ? [{ atMs: line.atMs, instance: String(o.router), state: String(o.to) }] : [];
    });
  }

  waitForState(instance: string, state: string, timeoutMs: number, since = 0): Promise<TimedLine> {
    return this.process.waitForLine(
      (line) => {
        const o = parseJson(line.text);
        return o?.event === 'stateChange' && o.router === instance && o.to === state;
      },
      timeoutMs,
      `${instance} ${state}`,
      since,
    );
  }

  waitForEvent(name: string, timeoutMs: number): Promise<TimedLine> {
    return this.process.waitForLine((line) => parseJson(line.text)?.event === name, timeoutMs, `event ${name}`);
  }
}

/** bin/ipfailover with `env` (and nothing else of OPENSHIFT_HA_*) in the node's namespace. */
export class IpFailoverPod extends JsonLogPod {
  constructor(node: LanNode, env: Env, label = `ipfailover ${node.name}`) {
    super(node, new NamespaceProcess(label, node.namespace, 'env', [...envArgs(env), process.execPath, IPFAILOVER]));
  }

  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.process.stop(5000);
  }
}

const KEEPALIVED_STATE = /\((\S+)\) Entering (MASTER|BACKUP|FAULT) STATE/;
const STATE_NAMES: Record<string, string> = { MASTER: 'Master', BACKUP: 'Backup', FAULT: 'Fault' };

/** keepalived 2.2.7 in the foreground on the wrapper's configuration for `env` on this node. */
export class WrapperKeepalivedPod implements Pod {
  readonly process: NamespaceProcess;
  readonly confText: string;
  private readonly dir: string;

  constructor(
    readonly node: LanNode,
    env: Env,
    priorities?: (c: number) => number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'ipf-keepalived-'));
    this.confText = wrapperKeepalivedConf(env, { interface: node.interface, address: node.ipv4 }, priorities);
    const conf = join(this.dir, 'keepalived.conf');
    writeFileSync(conf, this.confText);
    this.process = new NamespaceProcess(`keepalived ${node.name}`, node.namespace, 'keepalived', [
      '-n',
      '-l',
      '-D',
      '-f',
      conf,
      '-p',
      join(this.dir, 'k.pid'),
      '-r',
      join(this.dir, 'v.pid'),
      '--no-syslog',
    ]);
  }

  states(): StateLine[] {
    return this.process.lines.flatMap((line) => {
      const m = KEEPALIVED_STATE.exec(line.text);
      return m ? [{ atMs: line.atMs, instance: m[1]!, state: STATE_NAMES[m[2]!]! }] : [];
    });
  }

  waitForState(instance: string, state: string, timeoutMs: number, since = 0): Promise<TimedLine> {
    return this.process.waitForLine(
      (line) => {
        const m = KEEPALIVED_STATE.exec(line.text);
        return m !== null && m[1] === instance && STATE_NAMES[m[2]!] === state;
      },
      timeoutMs,
      `${instance} ${state}`,
      since,
    );
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const info = await this.process.stop(5000);
    rmSync(this.dir, { recursive: true, force: true });
    return info;
  }
}

/** A TCP listener on the node's address: the application OPENSHIFT_HA_MONITOR_PORT checks. */
export class TcpListener {
  readonly process: NamespaceProcess;

  constructor(node: LanNode, port: number) {
    const program = `require('net').createServer((s) => s.end()).listen(${port}, '${node.ipv4}', () => console.log('listening'))`;
    this.process = new NamespaceProcess(`listener ${node.name}:${port}`, node.namespace, process.execPath, [
      '-e',
      program,
    ]);
  }

  ready(): Promise<unknown> {
    return this.process.waitForLine((l) => l.text === 'listening', 5000, 'listening');
  }

  stop(): Promise<unknown> {
    return this.process.stop(1000);
  }
}
