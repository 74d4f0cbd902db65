// Parent side of the netlink tests: a namespace with a veth pair, a child process inside it
// (netlink-child.js) driven by JSON lines, and `ip -json` as the independent witness.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const childScript = fileURLToPath(new URL('./netlink-child.js', import.meta.url));
const REPLY_TIMEOUT_MS = 8000;

const distRoot = new URL('../../src/', import.meta.url).href;

/**
 * The start of a child module for addressPair(): `receiver`, a raw VRRP socket on vb joined to the
 * group, recording each received advert's priority in `received`; `sender`, one on va; `advert(p)`,
 * a VRRPv3 advert of priority p from va for VRID `vrid`; `sleep(ms)`. `imports` adds import lines
 * (paths relative to dist/src/).
 */
export function vethSocketsModule(vrid: number, imports: readonly string[] = []): string {
  const extra = imports.map((line) => line.replace(/'\.\//, `'${distRoot}`)).join('\n');
  return `
import { VrrpRawSocket } from '${distRoot}linux/raw-socket.js';
import { encodeAdvert } from '${distRoot}wire/codec.js';
${extra}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const receiver = VrrpRawSocket.open({ family: 4, interface: 'vb' });
receiver.joinGroup();
const received = [];
receiver.onPackets((packets) => { for (const p of packets) received.push(p.payload[2]); });
const sender = VrrpRawSocket.open({ family: 4, interface: 'va' });
const advert = (priority) => ({
  interface: 'va', family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18',
  payload: encodeAdvert({ version: 3, vrid: ${vrid}, priority, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18' }),
});
`;
}

/** Why namespace tests cannot run here, or undefined if they can. */
export function namespaceSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (CI runs as root)';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'the ip command (iproute2) is not installed';
  }
  return undefined;
}

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface IpJsonAddress {
  readonly family: 'inet' | 'inet6';
  readonly local: string;
  readonly prefixlen: number;
  readonly label?: string;
  readonly nodad?: boolean;
  readonly tentative?: boolean;
  readonly deprecated?: boolean;
  readonly preferred_life_time?: number;
}

/** A namespace holding veth pair `a` <-> `b`, both up. */
export class TestNamespace {
  readonly name: string;
  readonly a = 'va';
  readonly b = 'vb';

  constructor(tag: string) {
    this.name = `vrrpnl${tag}${process.pid}`;
    ip('netns', 'add', this.name);
    ip('-n', this.name, 'link', 'add', this.a, 'type', 'veth', 'peer', 'name', this.b);
    ip('-n', this.name, 'link', 'set', this.a, 'up');
    ip('-n', this.name, 'link', 'set', this.b, 'up');
  }

  ip(...args: string[]): string {
    return ip('-n', this.name, ...args);
  }

  /** What `ip -json addr show dev X` says, flattened. */
  addresses(dev: string): IpJsonAddress[] {
    const parsed = JSON.parse(this.ip('-json', 'addr', 'show', 'dev', dev)) as { addr_info: IpJsonAddress[] }[];
    return parsed.flatMap((link) => link.addr_info);
  }

  find(dev: string, address: string): IpJsonAddress | undefined {
    return this.addresses(dev).find((a) => a.local === address);
  }

  /**
   * va 192.0.2.1/24, vb 192.0.2.2/24, and vb takes packets from va's address although both ends live
   * in this one namespace (accept_local, no reverse-path filter): raw VRRP sockets on the two ends
   * then talk to each other.
   */
  addressPair(): void {
    this.ip('addr', 'add', '192.0.2.1/24', 'dev', this.a);
    this.ip('addr', 'add', '192.0.2.2/24', 'dev', this.b);
    spawnSync('ip', [
      'netns',
      'exec',
      this.name,
      'sysctl',
      '-qw',
      `net.ipv4.conf.${this.b}.accept_local=1`,
      'net.ipv4.conf.all.rp_filter=0',
      `net.ipv4.conf.${this.b}.rp_filter=0`,
    ]);
  }

  /**
   * Runs an ES module's text with node inside the namespace: its exit status, stderr, and the last
   * line it printed, parsed as JSON (undefined if it is not).
   */
  runModule(source: string, timeoutMs = 20_000): { status: number | null; stderr: string; result: unknown } {
    const run = spawnSync('ip', ['netns', 'exec', this.name, process.execPath, '--input-type=module', '-e', source], {
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    let result: unknown;
    try {
      result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '');
    } catch {
      result = undefined;
    }
    return { status: run.status, stderr: run.stderr, result };
  }

  remove(): void {
    try {
      ip('netns', 'del', this.name);
    } catch {
      // Already gone.
    }
  }
}

export interface ChildEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export interface ChildError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly failures?: { address: string; code: string }[];
}

/** The child in the namespace: `call` resolves with the result or rejects with the child's error. */
export class NamespaceChild {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly replies = new Map<number, { resolve: (v: unknown) => void; reject: (e: ChildError) => void }>();
  readonly events: ChildEvent[] = [];
  private readonly eventWaiters: { pred: (e: ChildEvent) => boolean; resolve: (e: ChildEvent) => void }[] = [];
  stderr = '';

  constructor(namespace: string) {
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, childScript], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private onLine(line: string): void {
    const message = JSON.parse(line) as { id?: number; result?: unknown; error?: ChildError } & Partial<ChildEvent>;
    if (message.id !== undefined) {
      const reply = this.replies.get(message.id);
      this.replies.delete(message.id);
      if (message.error) reply?.reject(message.error);
      else reply?.resolve(message.result);
      return;
    }
    const event = message as ChildEvent;
    this.events.push(event);
    for (const waiter of [...this.eventWaiters]) {
      if (waiter.pred(event)) {
        this.eventWaiters.splice(this.eventWaiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  }

  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new Error(`no reply to ${op} in ${REPLY_TIMEOUT_MS} ms; child stderr: ${this.stderr}`));
      }, REPLY_TIMEOUT_MS);
      this.replies.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.stdin!.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  /** The first event (already seen or still to come) that matches. */
  waitForEvent(pred: (e: ChildEvent) => boolean, what: string): Promise<ChildEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} event in ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
      this.eventWaiters.push({
        pred,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }

  /** Closes stdin (the child exits on it); kills by PID if it has not gone within a second. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
  }
}
