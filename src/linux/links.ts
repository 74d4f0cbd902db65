// Interface state for the Linux adapters: one-shot queries (what is this interface, which source
// address does VRRP use on it) and a watcher that turns rtnetlink notifications into link up/down and
// address added/removed events. The notification socket is the addon's (read on the main thread when
// libuv finds it readable); after an overflow the watcher re-reads link state (LinkEventsFollower).

import { readdirSync, readFileSync } from 'node:fs';
import { EventEmitter } from 'eventemitter3';
import { LinkEventsFollower, type LinkEventsMessage } from './link-events-follower.js';
import {
  RtNetlinkClient,
  RtNetlinkSubscription,
  type InterfaceAddress,
  type InterfaceInfo,
  type RtNotification,
} from './netlink.js';
import { codedError } from '../errors.js';

/**
 * Usable for VRRP: administratively up and running (IFF_UP and IFF_RUNNING, the kernel's summary of
 * carrier and operstate). keepalived tests the same two flags.
 */
export function isLinkUsable(info: InterfaceInfo): boolean {
  return info.adminUp && info.running;
}

/**
 * A VMAC's parent (keepalived's base interface: a stacked interface with a VRRP virtual MAC, read from
 * sysfs's `lower_<name>` link); any other interface is its own base, a VLAN included, as in keepalived.
 */
export function baseInterface(iface: string): string {
  if (iface.includes('/') || iface === '.' || iface === '..') return iface;
  try {
    const mac = readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim().toLowerCase();
    if (!/^00:00:5e:00:0[12]:/.test(mac)) return iface;
    const lower = readdirSync(`/sys/class/net/${iface}`).filter((entry) => entry.startsWith('lower_'));
    return lower.length === 1 ? lower[0]!.slice('lower_'.length) : iface;
  } catch {
    return iface;
  }
}

/** Interface details by name; rejects with code ENODEV when there is no such interface. */
export function getInterfaceInfo(client: RtNetlinkClient, name: string): Promise<InterfaceInfo> {
  return client.getLink(name);
}

/** Every IPv4/IPv6 address on the named interface. */
export async function getInterfaceAddresses(client: RtNetlinkClient, name: string): Promise<InterfaceAddress[]> {
  const info = await client.getLink(name);
  return client.listAddresses(info.ifindex);
}

/**
 * The interface's primary IPv4 address: the first one the kernel lists that is not secondary, leaving
 * out `exclude` (the VIPs, so that a /32 VIP on an otherwise bare interface is not taken as source).
 */
export function selectPrimaryIpv4(
  addresses: readonly InterfaceAddress[],
  exclude: ReadonlySet<string> = new Set(),
): InterfaceAddress | undefined {
  const candidates = addresses.filter((a) => a.family === 4 && !exclude.has(a.address));
  return candidates.find((a) => !a.flags.includes('secondary')) ?? candidates[0];
}

function isLinkLocalIpv6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

/**
 * The interface's IPv6 link-local address (VRRPv3's source for IPv6), preferring one that has finished
 * duplicate address detection: a tentative address cannot be sent from yet. Failed ones never count.
 */
export function selectIpv6LinkLocal(addresses: readonly InterfaceAddress[]): InterfaceAddress | undefined {
  const candidates = addresses.filter(
    (a) => a.family === 6 && isLinkLocalIpv6(a.address) && !a.flags.includes('dadfailed'),
  );
  return candidates.find((a) => !a.flags.includes('tentative')) ?? candidates[0];
}

export interface SourceAddresses {
  readonly ipv4: string | undefined;
  readonly ipv6LinkLocal: string | undefined;
  /** True when the link-local address is still tentative (DAD running): sending would fail. */
  readonly ipv6Tentative: boolean;
}

/** The addresses VRRP sends from on `name`. */
export async function getSourceAddresses(
  client: RtNetlinkClient,
  name: string,
  excludeVips: ReadonlySet<string> = new Set(),
): Promise<SourceAddresses> {
  const addresses = await getInterfaceAddresses(client, name);
  const linkLocal = selectIpv6LinkLocal(addresses);
  return {
    ipv4: selectPrimaryIpv4(addresses, excludeVips)?.address,
    ipv6LinkLocal: linkLocal?.address,
    ipv6Tentative: linkLocal?.flags.includes('tentative') ?? false,
  };
}

export interface LinkStateEvent {
  readonly interface: string;
  readonly ifindex: number;
  /** `isLinkUsable`: IFF_UP and IFF_RUNNING. */
  readonly up: boolean;
  readonly info: InterfaceInfo;
}

export interface AddressEvent {
  /** The interface name, when the watcher knows the index. */
  readonly interface: string | undefined;
  readonly address: InterfaceAddress;
}

export interface LinkWatcherEvents {
  /** Only when an interface's usability changes (the kernel repeats RTM_NEWLINK for much else). */
  link: [LinkStateEvent];
  /** RTM_DELLINK: the interface is gone. */
  linkRemoved: [LinkStateEvent];
  addressAdded: [AddressEvent];
  addressRemoved: [AddressEvent];
  /**
   * Notifications were lost (an overflow, ENOBUFS), link state has been read again and every change
   * found has been emitted. Address events may be missing: listeners should re-check their VIPs.
   */
  resynced: [];
  /** Reported, not fatal: the watcher keeps going (an overflow is followed by `resynced`). */
  error: [Error & { code: string }];
}

export interface LinkWatcherOptions {
  /** SO_RCVBUF of the notification socket; default DEFAULT_NOTIFICATION_BUFFER_BYTES (netlink.ts). */
  readonly recvBufferSize?: number;
  /** SO_RCVBUFFORCE first (default), or SO_RCVBUF only (keepalived without *_rcv_bufs_force). */
  readonly recvBufferForce?: boolean;
}

/** A dump that failed after an overflow is tried again this much later. */
const RETRY_DUMP_MS = 1000;

/** Watches every interface of the current network namespace. */
export class LinkWatcher extends EventEmitter<LinkWatcherEvents> {
  private readonly client = new RtNetlinkClient();
  private readonly follower: LinkEventsFollower;
  private subscription: RtNetlinkSubscription | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly links = new Map<number, LinkStateEvent>();
  private started = false;
  private closed = false;
  private resyncCount = 0;

  private constructor() {
    super();
    this.follower = new LinkEventsFollower({
      readLinks: () => this.client.listLinks(),
      send: (message) => this.onMessage(message),
      onDumpFailed: (error) => this.dumpFailed(error),
    });
  }

  /** Subscribes, then reads every link's state; resolves once both are done. */
  static async start(options: LinkWatcherOptions = {}): Promise<LinkWatcher> {
    const watcher = new LinkWatcher();
    try {
      watcher.subscription = await RtNetlinkSubscription.open(
        ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR'],
        (notification) => watcher.follower.notification(notification),
        (error) => watcher.follower.error(error),
        options.recvBufferSize,
        options.recvBufferForce,
      );
      // Subscribed first, then dumped: a change between the two is held by the follower, not lost.
      await watcher.follower.start();
    } catch (error) {
      watcher.close();
      throw error;
    }
    return watcher;
  }

  /** Current usability of a named interface, or undefined if the watcher has not seen it. */
  isUp(name: string): boolean | undefined {
    for (const state of this.links.values()) if (state.interface === name) return state.up;
    return undefined;
  }

  interfaceName(ifindex: number): string | undefined {
    return this.links.get(ifindex)?.interface;
  }

  /** Notification losses (ENOBUFS) seen, and the link table re-reads that followed. */
  counters(): { readonly overflows: number; readonly resyncs: number } {
    return { overflows: this.subscription?.counters().overflows ?? 0, resyncs: this.resyncCount };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.follower.close();
    this.subscription?.close();
    this.client.close();
    this.removeAllListeners();
  }

  private onMessage(message: LinkEventsMessage): void {
    if (this.closed) return;
    switch (message.type) {
      case 'snapshot':
        this.applySnapshot(message.links);
        return;
      case 'notification':
        this.apply(message.notification);
        return;
      case 'error':
        this.emitError(codedError(message.code, message.message));
        return;
      default:
        this.unexpected(message);
    }
  }

  /** A re-read after an overflow failed: reported, and tried again (notifications are held meanwhile). */
  private dumpFailed(error: unknown): void {
    if (this.closed) return;
    const coded =
      error instanceof Error && 'code' in error
        ? (error as Error & { code: string })
        : codedError('ENETLINK', String(error));
    this.emitError(coded);
    this.retryTimer = setTimeout(() => this.follower.resync(), RETRY_DUMP_MS);
  }

  private applySnapshot(infos: readonly InterfaceInfo[]): void {
    if (!this.started) {
      for (const info of infos) this.links.set(info.ifindex, stateOf(info));
      this.started = true;
      return;
    }
    // After an overflow: whatever changed while notifications were lost is emitted now.
    this.resyncCount++;
    const present = new Set(infos.map((info) => info.ifindex));
    for (const [ifindex, state] of [...this.links]) {
      if (!present.has(ifindex)) {
        this.links.delete(ifindex);
        this.emit('linkRemoved', { ...state, up: false });
      }
    }
    for (const info of infos) this.updateLink(info);
    this.emit('resynced');
  }

  private apply(notification: RtNotification): void {
    switch (notification.kind) {
      case 'link':
        this.updateLink(notification.info);
        return;
      case 'linkRemoved': {
        const state = stateOf(notification.info);
        this.links.delete(state.ifindex);
        this.emit('linkRemoved', { ...state, up: false });
        return;
      }
      case 'addressAdded':
      case 'addressRemoved':
        this.emit(notification.kind, {
          interface: this.interfaceName(notification.address.ifindex),
          address: notification.address,
        });
        return;
      default:
        this.unexpected(notification);
    }
  }

  private updateLink(info: InterfaceInfo): void {
    const next = stateOf(info);
    const previous = this.links.get(info.ifindex);
    this.links.set(info.ifindex, next);
    if (!previous || previous.up !== next.up || previous.interface !== next.interface) this.emit('link', next);
  }

  /** Exhaustiveness at compile time; at run time a stray message is reported, never thrown. */
  private unexpected(value: never): void {
    this.emitError(codedError('EPROTO', `unexpected link watcher message: ${JSON.stringify(value)}`));
  }

  private emitError(error: Error & { code: string }): void {
    if (!this.closed) this.emit('error', error);
  }
}

function stateOf(info: InterfaceInfo): LinkStateEvent {
  return { interface: info.name, ifindex: info.ifindex, up: isLinkUsable(info), info };
}
