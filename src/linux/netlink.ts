// A typed layer over rtnetlink (the addon's RtnlSocket, rtnetlink-codec.ts for the bytes): links,
// addresses, and notifications. Everything above this file sees plain objects with text addresses and
// errno-coded errors; nothing here throws synchronously once a socket is open, every failure is a
// rejected promise or an event.

import { formatIpv4, formatIpv6, parseAddress } from '../wire/address.js';
import type { IpFamily } from '../wire/types.js';
import { asCodedError, errorCode, hasCode } from '../errors.js';
import { loadNative, type NativeRtnlSocket } from './native.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  attributeString,
  attributeU32,
  cacheInfoAttribute,
  decodeAddressBody,
  decodeLinkBody,
  encodeAddressBody,
  encodeLinkBody,
  encodeMessage,
  IFA_ADDRESS,
  IFA_F_NODAD,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  IFF_LOWER_UP,
  IFF_RUNNING,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_OPERSTATE,
  INFINITY_LIFETIME,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  parseMessages,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_LINK,
  stringAttribute,
  attribute,
  u32Attribute,
  type AddressMessage,
  type LinkMessage,
  type NetlinkMessage,
} from './rtnetlink-codec.js';
import { NetlinkError, RtnlRequester } from './rtnetlink-requests.js';

export { NetlinkError } from './rtnetlink-requests.js';
export { RTM_DELADDR, RTM_DELLINK, RTM_GETADDR, RTM_GETLINK, RTM_NEWADDR, RTM_NEWLINK } from './rtnetlink-codec.js';

/** linux/if.h IFNAMSIZ - 1. */
export const MAX_INTERFACE_NAME_LENGTH = 15;

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
const OPER_STATES: readonly OperState[] = [
  'unknown',
  'notpresent',
  'down',
  'lowerlayerdown',
  'testing',
  'dormant',
  'up',
];

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

/** IFA_F_* bit i is ADDRESS_FLAG_BITS[i] (linux/if_addr.h), in the kernel's order. */
const ADDRESS_FLAG_BITS: readonly AddressFlagName[] = [
  'secondary',
  'nodad',
  'optimistic',
  'dadfailed',
  'homeaddress',
  'deprecated',
  'tentative',
  'permanent',
  'managetempaddr',
  'noprefixroute',
  'mcautojoin',
  'stablePrivacy',
];

function flagNames(flags: number): AddressFlagName[] {
  return ADDRESS_FLAG_BITS.filter((_, bit) => (flags & (1 << bit)) !== 0);
}

function formatMac(bytes: Buffer | undefined): string | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** Converts a decoded RTM_*ADDR message; undefined for families other than IPv4/IPv6. */
export function toInterfaceAddress(message: AddressMessage): InterfaceAddress | undefined {
  const { attrs } = message;
  const family: IpFamily | undefined = message.family === AF_INET ? 4 : message.family === AF_INET6 ? 6 : undefined;
  if (family === undefined) return undefined;
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
  const bytes = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
  if (!bytes || bytes.length !== (family === 4 ? 4 : 16)) return undefined;
  return {
    ifindex: message.index,
    family,
    address: family === 4 ? formatIpv4(bytes, 0) : formatIpv6(bytes, 0),
    prefixLength: message.prefixLength,
    label: attributeString(attrs.get(IFA_LABEL)),
    scope: message.scope,
    // IFA_FLAGS (32 bits) supersedes the 8-bit header field when present.
    flags: flagNames(attributeU32(attrs.get(IFA_FLAGS)) ?? message.flags),
  };
}

/** Converts a decoded RTM_*LINK message; undefined without a name. */
export function toInterfaceInfo(message: LinkMessage): InterfaceInfo | undefined {
  const { attrs } = message;
  const name = attributeString(attrs.get(IFLA_IFNAME));
  if (name === undefined) return undefined;
  const operstate = attrs.get(IFLA_OPERSTATE);
  const oper = operstate !== undefined && operstate.length >= 1 ? OPER_STATES[operstate.readUInt8(0)] : undefined;
  return {
    ifindex: message.index,
    name,
    mac: formatMac(attrs.get(IFLA_ADDRESS)),
    mtu: attributeU32(attrs.get(IFLA_MTU)),
    operState: oper ?? 'unknown',
    adminUp: (message.flags & IFF_UP) !== 0,
    lowerUp: (message.flags & IFF_LOWER_UP) !== 0,
    running: (message.flags & IFF_RUNNING) !== 0,
  };
}

/** The RTM_NEWADDR / RTM_DELADDR body for `spec`. */
export function addressRequestBody(spec: AddressSpec): Buffer {
  const bytes = addressBytes(spec.address, spec.family);
  const noDad = spec.noDad === true;
  const attrs = [attribute(IFA_LOCAL, bytes), attribute(IFA_ADDRESS, bytes)];
  if (spec.family === 4 && spec.label !== undefined) attrs.push(stringAttribute(IFA_LABEL, spec.label));
  if (noDad) attrs.push(u32Attribute(IFA_FLAGS, IFA_F_NODAD));
  if (spec.family === 6 && spec.deprecated === true) attrs.push(cacheInfoAttribute(0, INFINITY_LIFETIME));
  return encodeAddressBody(
    {
      family: familyNumber(spec.family),
      prefixLength: spec.prefixLength,
      flags: noDad ? IFA_F_NODAD : 0,
      scope: 0,
      index: spec.ifindex,
    },
    attrs,
  );
}

/** A delete names the address and prefix only: the kernel refuses one whose label differs from the one set. */
function deletionSpec(spec: AddressSpec): AddressSpec {
  return { ...spec, label: undefined, noDad: false, deprecated: false };
}

/** addAddress's request as one whole message, for a sender of its own (the takeover kit); seq 0. */
export function addAddressMessage(spec: AddressSpec): Buffer {
  return encodeMessage(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 0, addressRequestBody(spec));
}

/** deleteAddress's request as one whole message; seq 0. */
export function deleteAddressMessage(spec: AddressSpec): Buffer {
  return encodeMessage(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, 0, addressRequestBody(deletionSpec(spec)));
}

function linksIn(messages: readonly NetlinkMessage[]): InterfaceInfo[] {
  const result: InterfaceInfo[] = [];
  for (const message of messages) {
    if (message.type !== RTM_NEWLINK) continue;
    const decoded = decodeLinkBody(message.payload);
    const info = decoded && toInterfaceInfo(decoded);
    if (info) result.push(info);
  }
  return result;
}

/** Commands: one rtnetlink socket for requests. Open it in the network namespace it should act on. */
export class RtNetlinkClient {
  private readonly requests = new RtnlRequester();

  /** Adds an address; an identical one already present is reported as 'exists', not an error. */
  async addAddress(spec: AddressSpec): Promise<'added' | 'exists'> {
    try {
      await this.requests.request('RTM_NEWADDR', RTM_NEWADDR, addressRequestBody(spec), NLM_F_CREATE | NLM_F_EXCL);
      return 'added';
    } catch (error) {
      if (hasCode(error, 'EEXIST')) return 'exists';
      throw error;
    }
  }

  /** Deletes an address (matched on address and prefix length); one already gone is 'absent'. */
  async deleteAddress(spec: AddressSpec): Promise<'removed' | 'absent'> {
    try {
      await this.requests.request('RTM_DELADDR', RTM_DELADDR, addressRequestBody(deletionSpec(spec)), 0);
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
    const messages = await this.requests.request(
      'RTM_GETADDR',
      RTM_GETADDR,
      encodeAddressBody({ family: AF_UNSPEC }),
      NLM_F_DUMP,
    );
    const result: InterfaceAddress[] = [];
    for (const message of messages) {
      if (message.type !== RTM_NEWADDR) continue;
      const decoded = decodeAddressBody(message.payload);
      const address = decoded && toInterfaceAddress(decoded);
      // A dump ignores the index filter unless strict checking is on, so filter here.
      if (address && (ifindex === undefined || address.ifindex === ifindex)) result.push(address);
    }
    return result;
  }

  async listLinks(): Promise<InterfaceInfo[]> {
    return linksIn(await this.requests.request('RTM_GETLINK', RTM_GETLINK, encodeLinkBody({}), NLM_F_DUMP));
  }

  /** One interface by name; rejects with code ENODEV when there is none. */
  async getLink(name: string): Promise<InterfaceInfo> {
    if (name.length === 0 || name.length > MAX_INTERFACE_NAME_LENGTH) {
      throw new NetlinkError('RTM_GETLINK', 19, `bad interface name ${JSON.stringify(name)}`);
    }
    const body = encodeLinkBody({}, [stringAttribute(IFLA_IFNAME, name)]);
    const [info] = linksIn(await this.requests.request('RTM_GETLINK', RTM_GETLINK, body, 0));
    if (info) return info;
    throw new NetlinkError('RTM_GETLINK', 19, name);
  }

  close(): void {
    this.requests.close();
  }
}

export type RtGroup = 'LINK' | 'IPV4_IFADDR' | 'IPV6_IFADDR';

const GROUP_NUMBERS: Readonly<Record<RtGroup, number>> = {
  LINK: RTNLGRP_LINK,
  IPV4_IFADDR: RTNLGRP_IPV4_IFADDR,
  IPV6_IFADDR: RTNLGRP_IPV6_IFADDR,
};

/**
 * SO_RCVBUF for notifications: large enough that an address storm (hundreds of VIPs, an interface
 * flushing its IPv6 addresses) does not overflow it (ENOBUFS, notifications lost). The addon sets it
 * with SO_RCVBUFFORCE when allowed (CAP_NET_ADMIN), else the kernel caps it at net.core.rmem_max.
 * Only what is queued uses memory.
 */
export const DEFAULT_NOTIFICATION_BUFFER_BYTES = 1 << 20;

/** Decodes one notification; undefined for anything else (never throws). */
export function decodeNotification(message: NetlinkMessage): RtNotification | undefined {
  switch (message.type) {
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      const decoded = decodeAddressBody(message.payload);
      const address = decoded && toInterfaceAddress(decoded);
      if (!address) return undefined;
      return { kind: message.type === RTM_NEWADDR ? 'addressAdded' : 'addressRemoved', address };
    }
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      const decoded = decodeLinkBody(message.payload);
      const info = decoded && toInterfaceInfo(decoded);
      if (!info) return undefined;
      return { kind: message.type === RTM_NEWLINK ? 'link' : 'linkRemoved', info };
    }
    default:
      return undefined;
  }
}

/**
 * Notifications: a socket joined to rtnetlink multicast groups, read by the addon on the main thread
 * (libuv polls it). `onNotification` gets each link/address change; `onError` gets socket errors
 * (ENOBUFS: the receive buffer overflowed and notifications were lost; the socket stays open).
 */
export class RtNetlinkSubscription {
  private readonly socket: NativeRtnlSocket;

  private constructor(socket: NativeRtnlSocket) {
    this.socket = socket;
  }

  /** Rejects (never throws) if the socket cannot be opened or a group cannot be joined. */
  static async open(
    groups: readonly RtGroup[],
    onNotification: (notification: RtNotification) => void,
    onError: (error: Error & { code: string }) => void,
    recvBufferSize: number = DEFAULT_NOTIFICATION_BUFFER_BYTES,
    force = true,
  ): Promise<RtNetlinkSubscription> {
    let socket: NativeRtnlSocket;
    try {
      socket = new (loadNative().RtnlSocket)(
        {
          groups: groups.map((group) => GROUP_NUMBERS[group]),
          receiveBufferBytes: recvBufferSize,
          receiveBufferForce: force,
        },
        (error, data) => {
          if (error) onError(asCodedError(error, 'ENETLINK'));
          if (!data) return;
          for (const message of parseMessages(data)) {
            const notification = decodeNotification(message);
            if (notification) onNotification(notification);
          }
        },
      );
    } catch (error) {
      throw asCodedError(error, 'ENETLINK');
    }
    return new RtNetlinkSubscription(socket);
  }

  /** Overflows (ENOBUFS) and datagrams read so far. */
  counters(): { readonly overflows: number; readonly received: number } {
    const { overflows, received, truncated } = this.socket.counters();
    return { overflows: overflows + truncated, received };
  }

  close(): void {
    this.socket.close();
  }
}
