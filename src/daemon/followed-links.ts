// The link state the routers and their checks follow, as keepalived 2.2.7 has it: the watcher's
// rtnetlink news, held back per interface by interface_up_down_delays (LinkDebounce), or, for a
// polled interface (linkbeat_interfaces, linkbeat_use_polling), what LinkPoller reads once a second,
// its rtnetlink link changes ignored. Everything that acts on a link going up or down listens here:
// the engine (an instance's own interface), the address-interface tracks and the track_interface
// checks (keepalived delays and polls every interface an instance tracks the same way).

import { EventEmitter } from 'node:events';
import type { PolledLinks } from '../model/link-polling.js';
import type { LinuxEngineInput } from '../model/runtime-input.js';
import { LinkDebounce, realTimer, type StartTimer } from './link-debounce.js';
import { LinkPoller, type LinkPollerOptions } from './link-poller.js';

export interface FollowedLinkChange {
  readonly interface: string;
  readonly up: boolean;
}

export interface FollowedLinksEvents {
  /** The link's state as the routers see it changed (after its delay, or found by a poll). */
  link: [FollowedLinkChange];
  /** The interface was deleted (a `link` down comes first if it was up). */
  linkRemoved: [FollowedLinkChange];
}

export type LinkSettings = Pick<LinuxEngineInput, 'linkDelays' | 'polledLinks'>;

export interface PolledLinkReader {
  /** The link's state now; a throw counts as down. */
  read(iface: string): boolean;
  /** A reload's polled links and their types. */
  configure?(polled: PolledLinks): void;
}

export interface FollowedLinksOptions {
  /** The watcher's state of a link (undefined: no such interface). */
  readonly current: (iface: string) => boolean | undefined;
  /** Reads a polled link (src/linux/linkbeat.ts); a throw counts as down. */
  readonly reader: PolledLinkReader;
  /** false once polling should stop for good. */
  readonly active: () => boolean;
  readonly settings?: LinkSettings | undefined;
  readonly startTimer?: StartTimer;
  readonly setTimer?: LinkPollerOptions['setTimer'];
  /** A change found by a poll, before it is emitted (the runtime logs it and reopens the socket). */
  readonly onPolled?: (iface: string, up: boolean) => void;
}

export class FollowedLinks extends EventEmitter<FollowedLinksEvents> {
  private readonly debounce: LinkDebounce;
  private readonly poller: LinkPoller;
  private readonly current: (iface: string) => boolean | undefined;
  private readonly reader: PolledLinkReader;

  constructor(options: FollowedLinksOptions) {
    super();
    this.current = options.current;
    this.reader = options.reader;
    const emitLink = (iface: string, up: boolean) => this.emit('link', { interface: iface, up });
    this.debounce = new LinkDebounce(options.settings?.linkDelays ?? {}, emitLink, options.startTimer ?? realTimer);
    this.poller = new LinkPoller({
      interfaces: Object.keys(options.settings?.polledLinks ?? {}),
      readLink: async (iface) => this.reader.read(iface),
      // At start a polled link is read the polling way, as keepalived's init_interface_linkbeat does.
      initial: (iface) => (options.current(iface) === undefined ? undefined : this.readNow(iface)),
      deliver: (iface, up) => {
        options.onPolled?.(iface, up);
        emitLink(iface, up);
      },
      active: options.active,
      ...(options.setTimer ? { setTimer: options.setTimer } : {}),
    });
  }

  private readNow(iface: string): boolean {
    try {
      return this.reader.read(iface);
    } catch {
      return false;
    }
  }

  /** rtnetlink reports a change: ignored for a polled link, otherwise emitted after the link's delay. */
  change(iface: string, up: boolean): void {
    if (!this.poller.polls(iface)) this.debounce.change(iface, up);
  }

  /** The interface was deleted: down at once, whatever was pending, polled or not. */
  removed(iface: string): void {
    if (this.poller.polls(iface)) {
      if (this.poller.markDown(iface)) this.emit('link', { interface: iface, up: false });
    } else {
      this.debounce.removed(iface);
    }
    this.emit('linkRemoved', { interface: iface, up: false });
  }

  /** The link's state as the routers see it (undefined: no such interface, or not known). */
  isUp(iface: string): boolean | undefined {
    const followed = this.poller.polls(iface) ? this.poller.state(iface) : this.debounce.applied(iface);
    return followed ?? this.current(iface);
  }

  isPolled(iface: string): boolean {
    return this.poller.polls(iface);
  }

  /** Whether a change of this link waits out a delay now. */
  isPending(iface: string): boolean {
    return this.debounce.isPending(iface);
  }

  /**
   * A reload's settings. A link no longer polled follows rtnetlink again (its state now emitted if
   * the last poll said otherwise); a newly polled one starts from the state the routers have.
   */
  update(settings: LinkSettings | undefined): void {
    const polled = new Set(Object.keys(settings?.polledLinks ?? {}));
    for (const iface of this.poller.interfaces) {
      if (polled.has(iface)) continue;
      const was = this.poller.state(iface);
      this.poller.remove(iface);
      const now = this.current(iface);
      if (now !== undefined && now !== was) this.emit('link', { interface: iface, up: now });
    }
    for (const iface of polled) {
      if (this.poller.polls(iface)) continue;
      const known = this.isUp(iface);
      this.debounce.forget(iface);
      this.poller.add(iface, known);
    }
    this.debounce.setDelays(settings?.linkDelays ?? {});
    this.reader.configure?.(settings?.polledLinks ?? {});
  }

  close(): void {
    this.debounce.close();
    this.poller.close();
  }
}
