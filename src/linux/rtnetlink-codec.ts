// rtnetlink messages as bytes: the netlink header, attributes, and the link and address messages this
// project sends and reads (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h).
// Pure functions over Buffers, host byte order (little-endian on every Linux this runs on, as the
// kernel's own). The socket is the addon's RtnlSocket; netlink.ts puts the two together.
//
// Decoding never throws: a message or attribute whose length does not fit is where parsing stops.

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
/** In a dump's messages: the table changed while it was read, so the dump may be inconsistent. */
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

/** Multicast groups (RTNLGRP_*), as NETLINK_ADD_MEMBERSHIP takes them. */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV6_IFADDR = 9;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_MACVLAN_MODE = 1;
/** IFLA_INFO_DATA of an ipvlan (linux/if_link.h): u16 mode (IPVLAN_MODE_L2 = 0) and u16 flags. */
export const IFLA_IPVLAN_MODE = 1;
export const IFLA_IPVLAN_FLAGS = 2;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;

export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;

export const IFA_F_NODAD = 0x02;
/** IFA_CACHEINFO's "forever". */
export const INFINITY_LIFETIME = 0xffffffff;

const HEADER_BYTES = 16;
const IFINFOMSG_BYTES = 16;
const IFADDRMSG_BYTES = 8;
const NLA_HEADER_BYTES = 4;
/** nla_type's flag bits (NLA_F_NESTED, NLA_F_NET_BYTEORDER) are not part of the type. */
const NLA_TYPE_MASK = 0x3fff;

const align4 = (length: number) => (length + 3) & ~3;

/** One netlink message: its header fields and the bytes after the header. */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly payload: Buffer;
}

/** Every whole message in `data` (one or more datagrams back to back). */
export function parseMessages(data: Buffer): NetlinkMessage[] {
  const messages: NetlinkMessage[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(offset);
    if (length < HEADER_BYTES || offset + length > data.length) break;
    messages.push({
      type: data.readUInt16LE(offset + 4),
      flags: data.readUInt16LE(offset + 6),
      seq: data.readUInt32LE(offset + 8),
      pid: data.readUInt32LE(offset + 12),
      payload: data.subarray(offset + HEADER_BYTES, offset + length),
    });
    offset += align4(length);
  }
  return messages;
}

/** A request: header (port id 0: the kernel fills in ours) and `body`. */
export function encodeMessage(type: number, flags: number, seq: number, body: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(HEADER_BYTES + body.length, 0);
  header.writeUInt16LE(type, 4);
  header.writeUInt16LE(flags, 6);
  header.writeUInt32LE(seq >>> 0, 8);
  return Buffer.concat([header, body]);
}

/** NLMSG_ERROR's or NLMSG_DONE's error: 0 for an ack, else a negative errno. */
export function messageError(message: NetlinkMessage): number {
  return message.payload.length >= 4 ? message.payload.readInt32LE(0) : 0;
}

/** One attribute, padded to 4 bytes. */
export function attribute(type: number, value: Buffer): Buffer {
  const bytes = Buffer.alloc(align4(NLA_HEADER_BYTES + value.length));
  bytes.writeUInt16LE(NLA_HEADER_BYTES + value.length, 0);
  bytes.writeUInt16LE(type, 2);
  value.copy(bytes, NLA_HEADER_BYTES);
  return bytes;
}

export function u32Attribute(type: number, value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0);
  return attribute(type, bytes);
}

/** A NUL-terminated string attribute (IFLA_IFNAME, IFA_LABEL, IFLA_INFO_KIND). */
export function stringAttribute(type: number, value: string): Buffer {
  return attribute(type, Buffer.from(`${value}\0`, 'utf8'));
}

export function u16Attribute(type: number, value: number): Buffer {
  const data = Buffer.alloc(2);
  data.writeUInt16LE(value, 0);
  return attribute(type, data);
}

/** Attributes by type (the first of each type), from `offset` to the end of `bytes`. */
export function parseAttributes(bytes: Buffer, offset = 0): Map<number, Buffer> {
  const attrs = new Map<number, Buffer>();
  while (offset + NLA_HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt16LE(offset);
    if (length < NLA_HEADER_BYTES || offset + length > bytes.length) break;
    const type = bytes.readUInt16LE(offset + 2) & NLA_TYPE_MASK;
    if (!attrs.has(type)) attrs.set(type, bytes.subarray(offset + NLA_HEADER_BYTES, offset + length));
    offset += align4(length);
  }
  return attrs;
}

export function attributeString(value: Buffer | undefined): string | undefined {
  if (value === undefined) return undefined;
  const end = value.indexOf(0);
  return value.toString('utf8', 0, end === -1 ? value.length : end);
}

export function attributeU32(value: Buffer | undefined): number | undefined {
  return value !== undefined && value.length >= 4 ? value.readUInt32LE(0) : undefined;
}

/** struct ifinfomsg and its attributes. */
export interface LinkMessage {
  readonly family: number;
  readonly index: number;
  /** IFF_* */
  readonly flags: number;
  readonly attrs: ReadonlyMap<number, Buffer>;
}

export function encodeLinkBody(
  fields: { readonly index?: number; readonly flags?: number; readonly change?: number },
  attrs: readonly Buffer[] = [],
): Buffer {
  const header = Buffer.alloc(IFINFOMSG_BYTES);
  header.writeUInt8(AF_UNSPEC, 0);
  header.writeInt32LE(fields.index ?? 0, 4);
  header.writeUInt32LE((fields.flags ?? 0) >>> 0, 8);
  header.writeUInt32LE((fields.change ?? 0) >>> 0, 12);
  return Buffer.concat([header, ...attrs]);
}

export function decodeLinkBody(payload: Buffer): LinkMessage | undefined {
  if (payload.length < IFINFOMSG_BYTES) return undefined;
  return {
    family: payload.readUInt8(0),
    index: payload.readInt32LE(4),
    flags: payload.readUInt32LE(8),
    attrs: parseAttributes(payload, IFINFOMSG_BYTES),
  };
}

/** struct ifaddrmsg and its attributes. */
export interface AddressMessage {
  readonly family: number;
  readonly prefixLength: number;
  /** The 8-bit IFA_F_* field; IFA_FLAGS (32 bits) supersedes it when present. */
  readonly flags: number;
  readonly scope: number;
  readonly index: number;
  readonly attrs: ReadonlyMap<number, Buffer>;
}

export function encodeAddressBody(
  fields: {
    readonly family: number;
    readonly prefixLength?: number;
    readonly flags?: number;
    readonly scope?: number;
    readonly index?: number;
  },
  attrs: readonly Buffer[] = [],
): Buffer {
  const header = Buffer.alloc(IFADDRMSG_BYTES);
  header.writeUInt8(fields.family, 0);
  header.writeUInt8(fields.prefixLength ?? 0, 1);
  header.writeUInt8((fields.flags ?? 0) & 0xff, 2);
  header.writeUInt8(fields.scope ?? 0, 3);
  header.writeUInt32LE((fields.index ?? 0) >>> 0, 4);
  return Buffer.concat([header, ...attrs]);
}

export function decodeAddressBody(payload: Buffer): AddressMessage | undefined {
  if (payload.length < IFADDRMSG_BYTES) return undefined;
  return {
    family: payload.readUInt8(0),
    prefixLength: payload.readUInt8(1),
    flags: payload.readUInt8(2),
    scope: payload.readUInt8(3),
    index: payload.readUInt32LE(4),
    attrs: parseAttributes(payload, IFADDRMSG_BYTES),
  };
}

/** IFA_CACHEINFO: preferred and valid lifetimes in seconds (INFINITY_LIFETIME: forever). */
export function cacheInfoAttribute(preferred: number, valid: number): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32LE(preferred >>> 0, 0);
  bytes.writeUInt32LE(valid >>> 0, 4);
  return attribute(IFA_CACHEINFO, bytes);
}
