// Link state from a notification socket that can lose messages (used by LinkWatcher, links.ts).
//
// How the kernel loses them: once a notification socket's receive buffer is full, it sets ENOBUFS
// (reported by the next read) and then drops every further notification silently until the reader
// has emptied the queue. A dump of the link table taken while the queue still holds messages can
// therefore miss a change that happens after it and is dropped. So after an overflow the follower
// first reads until the socket has been quiet for `quietMs` (the queue is empty, the kernel delivers
// again), and only then dumps.

import type { InterfaceInfo, RtNotification } from './netlink.js';

export type LinkEventsMessage =
  | { readonly type: 'snapshot'; readonly links: readonly InterfaceInfo[] }
  | { readonly type: 'notification'; readonly notification: RtNotification }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

export interface LinkEventsFollowerOptions {
  readonly readLinks: () => Promise<readonly InterfaceInfo[]>;
  readonly send: (message: LinkEventsMessage) => void;
  /** A dump after an overflow failed: the link state is not known until resync() succeeds. */
  readonly onDumpFailed: (error: unknown) => void;
  /** How long the socket must stay quiet after an overflow before the link table is read again. */
  readonly quietMs?: number;
}

const DEFAULT_QUIET_MS = 20;

/**
 * Turns a notification stream that can lose messages into snapshots plus ordered changes.
 * Notifications that arrive while a snapshot is being read are held and sent after it, so none is
 * lost between subscribing and dumping; an overflow during a dump discards that dump.
 */
export class LinkEventsFollower {
  private readonly options: LinkEventsFollowerOptions;
  private readonly pending: RtNotification[] = [];
  private live = false;
  private dumping = false;
  /** An overflow happened since the dump in flight began. */
  private stale = false;
  private quietTimer: NodeJS.Timeout | undefined;

  constructor(options: LinkEventsFollowerOptions) {
    this.options = options;
  }

  /** The first snapshot, read right after subscribing. Rejects if the dump fails. */
  start(): Promise<void> {
    return this.dump();
  }

  notification(notification: RtNotification): void {
    if (this.live) {
      this.options.send({ type: 'notification', notification });
      return;
    }
    this.pending.push(notification);
    // Still draining what queued up during an overflow: not quiet yet.
    this.quietTimer?.refresh();
  }

  /** A socket error: reported; on an overflow, the link state is read again once the socket is quiet. */
  error(error: Error & { code: string }): void {
    this.options.send({ type: 'error', code: error.code, message: error.message });
    // ENOBUFS: the kernel dropped notifications; EMSGSIZE: one was too large to read. Lost either way.
    if (error.code !== 'ENOBUFS' && error.code !== 'EMSGSIZE') return;
    this.resync();
  }

  /** Reads the link table again once the socket is quiet (after an overflow, or a failed dump). */
  resync(): void {
    this.live = false;
    this.stale = true;
    this.waitForQuiet();
  }

  /** Stops the pending re-read (the process is going away). */
  close(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
  }

  private waitForQuiet(): void {
    if (this.quietTimer) {
      this.quietTimer.refresh();
      return;
    }
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      // A dump in flight sees `stale` when it ends and waits again.
      if (!this.dumping) this.dump().catch(this.options.onDumpFailed);
    }, this.options.quietMs ?? DEFAULT_QUIET_MS);
  }

  private async dump(): Promise<void> {
    this.dumping = true;
    this.stale = false;
    // Whatever is already held happened before this dump, which includes it.
    this.pending.length = 0;
    let links: readonly InterfaceInfo[];
    try {
      links = await this.options.readLinks();
    } finally {
      this.dumping = false;
    }
    if (this.stale) {
      this.waitForQuiet();
      return;
    }
    this.options.send({ type: 'snapshot', links });
    for (const notification of this.pending.splice(0)) this.options.send({ type: 'notification', notification });
    this.live = true;
  }
}
