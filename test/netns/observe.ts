// Independent witnesses: the kernel's address lists (`ip -json addr`), the client's neighbour table
// (`ip -json neigh`) and ping. None of them reads a word our runner logs.

import type { Lan, LanNode } from './lan.js';
import { NamespaceProcess } from './process.js';

interface IpJsonLink {
  readonly ifname: string;
  readonly addr_info: readonly { readonly family: string; readonly local: string; readonly prefixlen: number }[];
}

/** Addresses on a node's eth0 right now (`ip -json addr show dev eth0`). */
export async function addressesOn(lan: Lan, node: LanNode): Promise<string[]> {
  let out: string;
  try {
    out = await lan.execAsync(node, 'ip', '-json', 'addr', 'show', 'dev', 'eth0');
  } catch {
    return []; // Namespace already gone during teardown.
  }
  const links = JSON.parse(out) as IpJsonLink[];
  return links.flatMap((l) => l.addr_info.map((a) => a.local));
}

/** Router nodes whose eth0 holds `address`. */
export async function holdersOf(lan: Lan, address: string): Promise<string[]> {
  const found = await Promise.all(
    lan.routers.map(async (n) => ((await addressesOn(lan, n)).includes(address) ? [n.name] : [])),
  );
  return found.flat();
}

export interface NeighbourEntry {
  readonly dst: string;
  readonly lladdr?: string;
  readonly state?: readonly string[];
}

/** The client's neighbour entry for `address`, if any. */
export function neighbourOf(lan: Lan, address: string): NeighbourEntry | undefined {
  const family = address.includes(':') ? '-6' : '-4';
  const entries = JSON.parse(
    lan.exec(lan.client, 'ip', family, '-json', 'neigh', 'show', address, 'dev', 'eth0'),
  ) as NeighbourEntry[];
  return entries[0];
}

export interface VipSample {
  readonly atMs: number;
  /** VIP -> router nodes holding it. */
  readonly holders: ReadonlyMap<string, readonly string[]>;
}

/** Samples `ip -json addr` on every router node, over and over, until stopped. */
export class VipWatch {
  readonly samples: VipSample[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly lan: Lan,
    private readonly vips: readonly string[],
    private readonly periodMs = 150,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const atMs = Date.now();
      const perNode = await Promise.all(
        this.lan.routers.map(async (n) => [n.name, await addressesOn(this.lan, n)] as const),
      );
      if (!this.running) break;
      const holders = new Map<string, string[]>();
      for (const vip of this.vips)
        holders.set(
          vip,
          perNode.filter(([, addrs]) => addrs.includes(vip)).map(([name]) => name),
        );
      this.samples.push({ atMs, holders });
      await new Promise((r) => setTimeout(r, this.periodMs));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** `ping -i 0.2` from the client until stopped; counts what came back. */
export class Ping {
  private readonly process: NamespaceProcess;

  constructor(
    lan: Lan,
    readonly address: string,
  ) {
    const args = ['-i', '0.2', '-W', '1', '-n', address];
    this.process = new NamespaceProcess(
      `ping ${address}`,
      lan.client.namespace,
      'ping',
      address.includes(':') ? ['-6', ...args] : args,
    );
  }

  get pid(): number {
    return this.process.pid;
  }

  /** Replies received so far. */
  get replies(): number {
    return this.process.lines.filter((l) => /bytes from/.test(l.text)).length;
  }

  waitForReplies(count: number, timeoutMs: number): Promise<unknown> {
    let seen = 0;
    return this.process.waitForLine(
      (l) => /bytes from/.test(l.text) && ++seen >= count,
      timeoutMs,
      `${count} ping replies`,
    );
  }

  /** SIGINT makes ping print its totals; returns them. */
  async stop(): Promise<{ transmitted: number; received: number; lost: number }> {
    this.process.signal('SIGINT');
    const timer = setTimeout(() => this.process.signal('SIGKILL'), 3000);
    await this.process.exited;
    clearTimeout(timer);
    const summary = this.process.lines
      .map((l) => /(\d+) packets transmitted, (\d+) received/.exec(l.text))
      .find((m) => m);
    if (!summary) throw new Error(`ping printed no totals:\n${this.process.tail(5)}`);
    const transmitted = Number(summary[1]);
    const received = Number(summary[2]);
    return { transmitted, received, lost: transmitted - received };
  }

  async kill(): Promise<void> {
    await this.process.kill();
  }
}

/** Polls `probe` until it returns a value that is not undefined; rejects after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
