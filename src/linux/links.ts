// Interface state for the Linux adapters: one-shot queries (what is this interface, which source
// address does VRRP use on it) and a watcher that turns rtnetlink notifications into link up/down and
// address added/removed events. The notification socket lives in a helper process
// (link-events-process.ts explains why); the watcher restarts it if it dies and re-reads link state.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EventEmitter } from 'eventemitter3';
import type { LinkEventsMessage } from './link-events-process.js';
import type { InterfaceAddress, InterfaceInfo, RtNetlinkClient, RtNotification } from './netlink.js';
import { codedError, errorCode } from '../errors.js';

/**
 * Usable for VRRP: administratively up and running (IFF_UP and IFF_RUNNING, the kernel's summary of
 * carrier and operstate). keepalived tests the same two flags.
 */
export function isLinkUsable(info: InterfaceInfo): boolean {
  return info.adminUp && info.running;
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
   * Notifications may have been lost (an overflow, ENOBUFS: the helper re-read link state, or it
   * ended and a new one did) and every change found has been emitted. Address events may be
   * missing: listeners should re-check their VIPs.
   */
  resynced: [];
  /** Reported, not fatal: the watcher keeps going (restarting its helper when needed). */
  error: [Error & { code: string }];
}

export interface LinkWatcherOptions {
  /** SO_RCVBUF of the notification socket; default DEFAULT_NOTIFICATION_BUFFER_BYTES (netlink.ts). */
  readonly recvBufferSize?: number;
}

const HELPER_SCRIPT = fileURLToPath(new URL('./link-events-process.js', import.meta.url));
/** Restarts closer together than this are delayed, so a helper that cannot run does not spin. */
const MIN_RESTART_INTERVAL_MS = 1000;
const STDERR_KEPT_CHARS = 2000;

/** Watches every interface of the current network namespace. */
export class LinkWatcher extends EventEmitter<LinkWatcherEvents> {
  private readonly options: LinkWatcherOptions;
  private helper: ChildProcess | undefined;
  private helperStderr = '';
  private lastStartMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly links = new Map<number, LinkStateEvent>();
  private started = false;
  private closed = false;
  private onFirstSnapshot: ((error?: Error & { code: string }) => void) | undefined;

  private constructor(options: LinkWatcherOptions) {
    super();
    this.options = options;
  }

  /** Starts the helper and resolves once it has subscribed and read every link's state. */
  static start(options: LinkWatcherOptions = {}): Promise<LinkWatcher> {
    const watcher = new LinkWatcher(options);
    return new Promise((resolve, reject) => {
      watcher.onFirstSnapshot = (error) => {
        watcher.onFirstSnapshot = undefined;
        if (!error) {
          resolve(watcher);
          return;
        }
        watcher.close();
        reject(error);
      };
      watcher.spawnHelper();
    });
  }

  /** Current usability of a named interface, or undefined if the watcher has not seen it. */
  isUp(name: string): boolean | undefined {
    for (const state of this.links.values()) if (state.interface === name) return state.up;
    return undefined;
  }

  interfaceName(ifindex: number): string | undefined {
    return this.links.get(ifindex)?.interface;
  }

  /** The helper process holding the notification socket (for logs and diagnostics). */
  get helperPid(): number | undefined {
    return this.helper?.pid;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.restartTimer);
    const helper = this.helper;
    this.helper = undefined;
    if (helper && helper.exitCode === null && helper.signalCode === null) {
      // Disconnecting makes the helper exit on its own; the signal covers a helper that is stuck.
      if (helper.connected) helper.disconnect();
      helper.kill('SIGTERM');
    }
    this.removeAllListeners();
  }

  private spawnHelper(): void {
    this.lastStartMs = Date.now();
    this.helperStderr = '';
    const args = this.options.recvBufferSize === undefined ? [] : [String(this.options.recvBufferSize)];
    let helper: ChildProcess;
    try {
      helper = fork(HELPER_SCRIPT, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    } catch (error) {
      this.helperFailed(codedError(errorCode(error) ?? 'ECHILD', String(error)));
      return;
    }
    this.helper = helper;
    helper.stderr?.on('data', (chunk: Buffer) => {
      this.helperStderr = (this.helperStderr + chunk.toString()).slice(-STDERR_KEPT_CHARS);
    });
    helper.on('message', (message: LinkEventsMessage) => this.onHelperMessage(message));
    helper.on('error', (error: Error) => this.emitError(codedError(errorCode(error) ?? 'ECHILD', error.message)));
    helper.on('exit', (code, signal) => this.onHelperExit(helper, code, signal));
  }

  private onHelperMessage(message: LinkEventsMessage): void {
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
      case 'fatal':
        this.helperFailed(codedError(message.code, message.message));
        return;
      default:
        this.unexpected(message);
    }
  }

  private onHelperExit(helper: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed || helper !== this.helper) return;
    this.helper = undefined;
    const detail = this.helperStderr.trim().split('\n').slice(-2).join(' | ');
    // SIGABRT is the package's abort on a notification overflow (see link-events-process.ts).
    const error = codedError(
      signal === 'SIGABRT' ? 'ENOBUFS' : 'ECHILD',
      `link watcher helper ${helper.pid} ended (${signal ?? `exit ${code}`})${detail ? `: ${detail}` : ''}`,
    );
    if (!this.started) {
      this.onFirstSnapshot?.(error);
      return;
    }
    this.emitError(error);
    const waitMs = Math.max(0, this.lastStartMs + MIN_RESTART_INTERVAL_MS - Date.now());
    this.restartTimer = setTimeout(() => this.spawnHelper(), waitMs);
  }

  /** A helper that could not subscribe: fails start(), later only reported (its exit restarts it). */
  private helperFailed(error: Error & { code: string }): void {
    if (!this.started) this.onFirstSnapshot?.(error);
    else this.emitError(error);
  }

  private applySnapshot(infos: readonly InterfaceInfo[]): void {
    if (!this.started) {
      for (const info of infos) this.links.set(info.ifindex, stateOf(info));
      this.started = true;
      this.onFirstSnapshot?.();
      return;
    }
    // A restarted helper: whatever changed while nobody listened is emitted now.
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
    this.emitError(codedError('EPROTO', `unexpected message from the link watcher helper: ${JSON.stringify(value)}`));
  }

  private emitError(error: Error & { code: string }): void {
    if (!this.closed) this.emit('error', error);
  }
}

function stateOf(info: InterfaceInfo): LinkStateEvent {
  return { interface: info.name, ifindex: info.ifindex, up: isLinkUsable(info), info };
}
