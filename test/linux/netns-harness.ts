// Parent side of the netlink tests: a namespace with a veth pair, a child process inside it
// (netlink-child.js) driven by JSON lines, and `ip -json` as the independent witness.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const childScript = fileURLToPath(new URL('./netlink-child.js', import.meta.url));
const REPLY_TIMEOUT_MS = 8000;

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
