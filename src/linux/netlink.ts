// A typed layer over the `netlink` package (rtnetlink only): links, addresses, and notifications.
// Everything above this file sees plain objects with text addresses and errno-coded errors; nothing
// here throws synchronously once a socket is open, every failure is a rejected promise or an event.
//
// Why not the package's own helpers (newAddress, getLinks, ...) everywhere: they turn a kernel error
// into `Error('Request rejected: EEXIST')` with no code, and their parsed notifications drop the message
// type, so RTM_NEWADDR and RTM_DELADDR look alike. We build messages with the package's formatters and
// read the netlink header ourselves.

import { getSystemErrorName } from 'node:util';
import netlinkPackage from 'netlink';
import type { NetlinkMessage, NetlinkSocket, RtNetlinkSocket, rt as RtTypes, ifla as IflaTypes } from 'netlink';
import { formatIpv4, formatIpv6, parseAddress } from '../wire/address.js';
import type { IpFamily } from '../wire/types.js';
import { asCodedError, errorCode, hasCode } from '../errors.js';

const { createRtNetlink, parseError, rt, AttrStream } = netlinkPackage;

// Netlink message types and flags (linux/rtnetlink.h, linux/netlink.h).
const NLMSG_ERROR = 2;
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
const NLM_F_DUMP = 0x300;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;

/** IFA_CACHEINFO's "forever". */
const INFINITY_LIFETIME = 0xffffffff;
const AF_INET = 2;
const AF_INET6 = 10;
/** linux/if.h IFNAMSIZ - 1. */
export const MAX_INTERFACE_NAME_LENGTH = 15;

/** A kernel (or socket) failure with Node's conventions: `code` 'EEXIST', negative `errno`. */
export class NetlinkError extends Error {
  readonly code: string;
  readonly errno: number;
  /** The request that failed, e.g. 'RTM_NEWADDR'. */
  readonly syscall: string;

  constructor(syscall: string, errno: number, detail?: string) {
    const negative = errno > 0 ? -errno : errno;
    let code: string;
    try {
      code = getSystemErrorName(negative);
    } catch {
      code = `E${-negative}`;
    }
    super(`${syscall} failed: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'NetlinkError';
    this.code = code;
    this.errno = negative;
    this.syscall = syscall;
  }
}


export type AddressFlagName =
  | 'secondary'
  | 'nodad'
  | 'optimistic'
  | 'dadfailed'
  | 'homeaddress'
  | 'deprecated'
  | 'tentative'
  | 'permanent'
  | 'managetempaddr'
  | 'noprefixroute'
  | 'mcautojoin'
  | 'stablePrivacy';

/** One address on an interface, as the kernel reports it. */
export interface InterfaceAddress {
  readonly ifindex: number;
  readonly family: IpFamily;
  /** Canonical text, without prefix length. */
  readonly address: string;
  readonly prefixLength: number;
  /** IPv4 only (IFA_LABEL); IPv6 addresses have none. */
  readonly label: string | undefined;
  /** RT_SCOPE_*: 0 global, 253 link, 254 host. */
  readonly scope: number;
  readonly flags: readonly AddressFlagName[];
}

/** RFC 2863 operational state (IF_OPER_*), as in `ip link`. */
export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';
const OPER_STATES: readonly OperState[] = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

export interface InterfaceInfo {
  readonly ifindex: number;
  readonly name: string;
  /** Colon-separated lower-case hex, or undefined for links without a hardware address. */
  readonly mac: string | undefined;
  readonly mtu: number | undefined;
  readonly operState: OperState;
  /** IFF_UP: administratively up. */
  readonly adminUp: boolean;
  /** IFF_LOWER_UP: carrier. */
  readonly lowerUp: boolean;
  /** IFF_RUNNING: the kernel's operational "usable" bit (operstate UP or UNKNOWN). */
  readonly running: boolean;
}

/** What add/delete need to name one address. */
export interface AddressSpec {
  readonly ifindex: number;
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLength: number;
  /** IPv4 only; ignored for IPv6 (the kernel has no IPv6 labels). */
  readonly label?: string | undefined;
  /** IFA_F_NODAD: usable at once, no duplicate address detection (IPv6). */
  readonly noDad?: boolean;
  /**
   * IPv6: preferred lifetime 0 (valid forever), i.e. "deprecated": the address answers but is never
   * picked as a source address (RFC 6724 rule 3).
   */
  readonly deprecated?: boolean;
}

export type LinkNotification =
  | { readonly kind: 'link'; readonly info: InterfaceInfo }
  | { readonly kind: 'linkRemoved'; readonly info: InterfaceInfo };

export type AddressNotification =
  | { readonly kind: 'addressAdded'; readonly address: InterfaceAddress }
  | { readonly kind: 'addressRemoved'; readonly address: InterfaceAddress };

export type RtNotification = LinkNotification | AddressNotification;

function familyNumber(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

function addressBytes(text: string, family: IpFamily): Buffer {
  const parsed = parseAddress(text, family);
  if (!parsed) throw new NetlinkError('address', 22, `not an IPv${family} address: ${text}`);
  return Buffer.from(parsed.bytes);
}

function flagNames(flags: RtTypes.AddressFlags | undefined): AddressFlagName[] {
  if (!flags) return [];
  return (Object.keys(flags) as (keyof RtTypes.AddressFlags)[]).filter(
    (name): name is AddressFlagName => name !== '__unknown' && flags[name] === true,
  );
}

function formatMac(bytes: Buffer | undefined): string | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** Converts a parsed RTM_*ADDR message; undefined for families other than IPv4/IPv6. */
export function toInterfaceAddress(message: RtTypes.AddressMessage): InterfaceAddress | undefined {
  const { data, attrs } = message;
  const family: IpFamily | undefined = data.family === AF_INET ? 4 : data.family === AF_INET6 ? 6 : undefined;
  if (family === undefined || data.index === undefined) return undefined;
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
  const bytes = attrs.local ?? attrs.address;
  if (!bytes || bytes.length !== (family === 4 ? 4 : 16)) return undefined;
  return {
    ifindex: data.index,
    family,
    address: family === 4 ? formatIpv4(bytes, 0) : formatIpv6(bytes, 0),
    prefixLength: data.prefixlen ?? 0,
    label: attrs.label,
    scope: data.scope ?? 0,
    // IFA_FLAGS (32 bits) supersedes the 8-bit header field when present.
    flags: flagNames(attrs.flags ?? data.flags),
  };
}

/** Converts a parsed RTM_*LINK message. */
export function toInterfaceInfo(message: RtTypes.LinkMessage): InterfaceInfo | undefined {
  const { data, attrs } = message as { data: RtTypes.Link; attrs: IflaTypes.LinkAttrs };
  if (data.index === undefined || attrs.ifname === undefined) return undefined;
  const flags = data.flags ?? {};
  const oper = typeof attrs.operstate === 'number' ? OPER_STATES[attrs.operstate] : undefined;
  return {
    ifindex: data.index,
    name: attrs.ifname,
    mac: formatMac(attrs.address),
    mtu: attrs.mtu,
    operState: oper ?? 'unknown',
    adminUp: flags.up === true,
    lowerUp: flags.lowerUp === true,
    running: flags.running === true,
  };
}

function isErrorMessage(message: NetlinkMessage): boolean {
  return message.type === NLMSG_ERROR;
}

/** Throws NetlinkError for an NLMSG_ERROR carrying a non-zero errno. */
function checkReply(syscall: string, messages: readonly NetlinkMessage[]): void {
  for (const message of messages) {
    if (!isErrorMessage(message)) continue;
    const { errno } = parseError(message.data, message.flags);
    if (errno !== 0) throw new NetlinkError(syscall, errno);
  }
}

/** A counting semaphore: at most `limit` holders; the others wait in arrival order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.free = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * Replies in flight are bounded so they always fit the socket's receive buffer (rmem_default is often
 * 208 KiB): a reply the kernel cannot queue marks the socket overrun, and the `netlink` package then
 * aborts the process (see link-events-process.ts). One dump chunk is ~32 KiB, an ack ~1 KiB of
 * buffer, so one dump plus a few dozen small requests stay far below it.
 */
const MAX_REQUESTS_IN_FLIGHT = 32;
const MAX_DUMPS_IN_FLIGHT = 1;
const REQUEST_TIMEOUT_MS = 5000;

/** Commands: one rtnetlink socket for requests. Open it in the network namespace it should act on. */
export class RtNetlinkClient {
  private socket: RtNetlinkSocket | undefined;
  private readonly requestSlots = new Slots(MAX_REQUESTS_IN_FLIGHT);
  private readonly dumpSlots = new Slots(MAX_DUMPS_IN_FLIGHT);

  private raw(): NetlinkSocket {
    if (!this.socket) {
      try {
        this.socket = createRtNetlink();
      } catch (error) {
        throw asCodedError(error, 'ENETLINK');
      }
    }
    return this.socket.socket;
  }

  private request(syscall: string, type: number, payload: Uint8Array[], flags: number): Promise<NetlinkMessage[]> {
    const send = () => this.requestSlots.run(() => this.requestNow(syscall, type, payload, flags));
    return (flags & NLM_F_DUMP) === NLM_F_DUMP ? this.dumpSlots.run(send) : send();
  }

  private async requestNow(
    syscall: string,
    type: number,
    payload: Uint8Array[],
    flags: number,
  ): Promise<NetlinkMessage[]> {
    let messages: NetlinkMessage[];
    try {
      [messages] = await this.raw().request(type, payload, { flags, checkError: false, timeout: REQUEST_TIMEOUT_MS });
    } catch (error) {
      throw asCodedError(error, error instanceof Error && /Timeout/.test(error.message) ? 'ETIMEDOUT' : 'ENETLINK');
    }
    checkReply(syscall, messages);
    return messages.filter((message) => !isErrorMessage(message));
  }

  private static addressPayload(spec: AddressSpec): Uint8Array[] {
    const bytes = addressBytes(spec.address, spec.family);
    const noDad = spec.noDad === true;
    const stream = new AttrStream();
    rt.formatAddressMessage(
      {
        kind: 'address',
        data: {
          family: familyNumber(spec.family),
          prefixlen: spec.prefixLength,
          index: spec.ifindex,
          flags: noDad ? { nodad: true } : {},
          scope: 0,
        },
        attrs: {
          local: bytes,
          address: bytes,
          ...(spec.family === 4 && spec.label !== undefined ? { label: spec.label } : {}),
          ...(noDad ? { flags: { nodad: true } } : {}),
          ...(spec.family === 6 && spec.deprecated === true
            ? { cacheInfo: { ifaPrefered: 0, ifaValid: INFINITY_LIFETIME, cstamp: 0, tstamp: 0 } }
            : {}),
        },
      },
      stream,
    );
    return stream.bufs;
  }

  /** Adds an address; an identical one already present is reported as 'exists', not an error. */
  async addAddress(spec: AddressSpec): Promise<'added' | 'exists'> {
    try {
      await this.request('RTM_NEWADDR', RTM_NEWADDR, RtNetlinkClient.addressPayload(spec), NLM_F_CREATE | NLM_F_EXCL);
      return 'added';
    } catch (error) {
      if (hasCode(error, 'EEXIST')) return 'exists';
      throw error;
    }
  }

  /** Deletes an address (matched on address and prefix length); one already gone is 'absent'. */
  async deleteAddress(spec: AddressSpec): Promise<'removed' | 'absent'> {
    // No label in the request: the kernel would refuse a delete whose label differs from the one set.
    const unlabelled: AddressSpec = { ...spec, label: undefined, noDad: false, deprecated: false };
    try {
      await this.request('RTM_DELADDR', RTM_DELADDR, RtNetlinkClient.addressPayload(unlabelled), 0);
      return 'removed';
    } catch (error) {
      // EADDRNOTAVAIL: no such address. ENXIO: the interface has no IPv6 state left (IPv6 disabled on
      // it), ENODEV: the interface itself is gone; either way the address is not there.
      const code = errorCode(error);
      if (code === 'EADDRNOTAVAIL' || code === 'ENXIO' || code === 'ENODEV') return 'absent';
      throw error;
    }
  }

  /** Every IPv4 and IPv6 address, or those of one interface. */
  async listAddresses(ifindex?: number): Promise<InterfaceAddress[]> {
    const stream = new AttrStream();
    rt.formatAddressMessage({ kind: 'address', data: {}, attrs: {} }, stream);
    const messages = await this.request('RTM_GETADDR', RTM_GETADDR, stream.bufs, NLM_F_DUMP);
    const result: InterfaceAddress[] = [];
    for (const message of messages) {
      if (message.type !== RTM_NEWADDR) continue;
      const address = toInterfaceAddress(rt.parseAddressMessage(message.data));
      // A dump ignores the index filter unless strict checking is on, so filter here.
      if (address && (ifindex === undefined || address.ifindex === ifindex)) result.push(address);
    }
    return result;
  }

  async listLinks(): Promise<InterfaceInfo[]> {
    const stream = new AttrStream();
    rt.formatLinkMessage({ kind: 'link', data: {}, attrs: {} }, stream);
    const messages = await this.request('RTM_GETLINK', RTM_GETLINK, stream.bufs, NLM_F_DUMP);
    const result: InterfaceInfo[] = [];
    for (const message of messages) {
      if (message.type !== RTM_NEWLINK) continue;
      const info = toInterfaceInfo(rt.parseLinkMessage(message.data));
      if (info) result.push(info);
    }
    return result;
  }

  /** One interface by name; rejects with code ENODEV when there is none. */
  async getLink(name: string): Promise<InterfaceInfo> {
    if (name.length === 0 || name.length > MAX_INTERFACE_NAME_LENGTH) {
      throw new NetlinkError('RTM_GETLINK', 19, `bad interface name ${JSON.stringify(name)}`);
    }
    const stream = new AttrStream();
    rt.formatLinkMessage({ kind: 'link', data: {}, attrs: { ifname: name } }, stream);
    const messages = await this.request('RTM_GETLINK', RTM_GETLINK, stream.bufs, 0);
    for (const message of messages) {
      if (message.type !== RTM_NEWLINK) continue;
      const info = toInterfaceInfo(rt.parseLinkMessage(message.data));
      if (info) return info;
    }
    throw new NetlinkError('RTM_GETLINK', 19, name);
  }

  close(): void {
    this.socket?.socket.close();
    this.socket = undefined;
  }
}

export type RtGroup = 'LINK' | 'IPV4_IFADDR' | 'IPV6_IFADDR';

/**
 * SO_RCVBUF for notifications: large enough that an address storm (hundreds of VIPs, an interface
 * flushing its IPv6 addresses) does not overflow it (ENOBUFS, notifications lost). The kernel caps it
 * at net.core.rmem_max.
 */
export const DEFAULT_NOTIFICATION_BUFFER_BYTES = 1 << 20;

/**
 * Notifications: a second socket joined to rtnetlink multicast groups. `onNotification` gets each
 * link/address change; `onError` gets socket errors (ENOBUFS means notifications were lost).
 */
export class RtNetlinkSubscription {
  private readonly socket: RtNetlinkSocket;

  private constructor(socket: RtNetlinkSocket) {
    this.socket = socket;
  }

  /** Rejects (never throws) if the socket cannot be opened or a group cannot be joined. */
  static async open(
    groups: readonly RtGroup[],
    onNotification: (notification: RtNotification) => void,
    onError: (error: Error & { code: string }) => void,
    recvBufferSize: number = DEFAULT_NOTIFICATION_BUFFER_BYTES,
  ): Promise<RtNetlinkSubscription> {
    let socket: RtNetlinkSocket;
    try {
      socket = createRtNetlink({ ref: true, recvBufferSize, sendBufferSize: 0 });
      for (const group of groups) socket.addMembership(group);
    } catch (error) {
      throw asCodedError(error, 'ENETLINK');
    }
    socket.socket.on('error', (error) => onError(asCodedError(error, 'ENETLINK')));
    socket.socket.on('message', (messages) => {
      for (const message of messages) {
        const notification = RtNetlinkSubscription.decode(message);
        if (notification) onNotification(notification);
      }
    });
    return new RtNetlinkSubscription(socket);
  }

  /** Never throws: a message the package cannot parse is skipped. */
  private static decode(message: NetlinkMessage): RtNotification | undefined {
    try {
      switch (message.type) {
        case RTM_NEWADDR:
        case RTM_DELADDR: {
          const address = toInterfaceAddress(rt.parseAddressMessage(message.data));
          if (!address) return undefined;
          return { kind: message.type === RTM_NEWADDR ? 'addressAdded' : 'addressRemoved', address };
        }
        case RTM_NEWLINK:
        case RTM_DELLINK: {
          const info = toInterfaceInfo(rt.parseLinkMessage(message.data));
          if (!info) return undefined;
          return { kind: message.type === RTM_NEWLINK ? 'link' : 'linkRemoved', info };
        }
        default:
          return undefined;
      }
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.socket.socket.close();
  }
}
