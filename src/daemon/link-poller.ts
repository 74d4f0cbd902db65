// keepalived's linkbeat (vrrp_if.c if_linkbeat_refresh_thread): the link state of each polled
// interface is read once a second (by ioctl: src/linux/linkbeat.ts), and a change moves its routers
// at once (no up/down delay, as in keepalived); a link that cannot be read is down. The runtime
// ignores rtnetlink link changes of these interfaces (followed-links.ts).

import { LINK_POLL_INTERVAL_MS } from '../model/link-polling.js';

export interface LinkPollerOptions {
  readonly interfaces: readonly string[];
  /** The link's usability now; rejects if it cannot be read. */
  readonly readLink: (iface: string) => Promise<boolean>;
  /** What the routers were told at start (undefined: not known). */
  readonly initial: (iface: string) => boolean | undefined;
  readonly deliver: (iface: string, up: boolean) => void;
  /** false once the runtime stops polling for good. */
  readonly active: () => boolean;
  readonly intervalMs?: number;
  readonly setTimer?: (fire: () => void, ms: number) => { unref?(): unknown };
}

export class LinkPoller {
  private readonly last = new Map<string, boolean | undefined>();
  private closed = false;
  private scheduled = false;

  constructor(private readonly options: LinkPollerOptions) {
    for (const iface of options.interfaces) this.add(iface, options.initial(iface));
  }

  /** Whether `iface` is polled (its rtnetlink link changes are then ignored). */
  polls(iface: string): boolean {
    return this.last.has(iface);
  }

  /** The polled interfaces. */
  get interfaces(): string[] {
    return [...this.last.keys()];
  }

  /** What the routers were last told of a polled link (undefined: not polled, or not known yet). */
  state(iface: string): boolean | undefined {
    return this.last.get(iface);
  }

  /** Polls `iface` from the next round on; `known` is what the routers were told of it so far. */
  add(iface: string, known: boolean | undefined): void {
    if (this.last.has(iface)) return;
    this.last.set(iface, known);
    if (!this.scheduled && !this.closed) this.schedule();
  }

  /** Stops polling `iface` (a reload left it out). */
  remove(iface: string): void {
    this.last.delete(iface);
  }

  /** The link was deleted: down now. Returns whether that is news (it was up or not known). */
  markDown(iface: string): boolean {
    if (!this.last.has(iface) || this.last.get(iface) === false) return false;
    this.last.set(iface, false);
    return true;
  }

  close(): void {
    this.closed = true;
  }

  /** One round: every polled interface read, changes delivered. Exposed for tests. */
  async poll(): Promise<void> {
    await Promise.all(
      [...this.last.keys()].map(async (iface) => {
        const up = await this.options.readLink(iface).catch(() => false);
        if (this.closed || !this.options.active() || !this.last.has(iface)) return;
        if (this.last.get(iface) === up) return;
        this.last.set(iface, up);
        this.options.deliver(iface, up);
      }),
    );
  }

  private schedule(): void {
    const setTimer = this.options.setTimer ?? ((fire, ms) => setTimeout(fire, ms));
    this.scheduled = true;
    const timer = setTimer(() => {
      if (this.closed || !this.options.active() || this.last.size === 0) {
        this.scheduled = false;
        return;
      }
      void this.poll().finally(() => {
        if (!this.closed && this.options.active()) this.schedule();
        else this.scheduled = false;
      });
    }, this.options.intervalMs ?? LINK_POLL_INTERVAL_MS);
    timer.unref?.();
  }
}
