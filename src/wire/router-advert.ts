// An IPv6 Router Advertisement (RFC 4861 4.2) as a whole Ethernet frame, for a Master that advertises
// the virtual router (RFC 9568 6.4.3): from the virtual link-local address to all-nodes ff02::1, hop
// limit 255 (receivers drop ND messages with any other), with a Source Link-Layer Address option and,
// when configured, an MTU option and Prefix Information options. Pure: the caller sends the bytes.

import { sumWords } from './checksum.js';
import { parseAddress } from './address.js';

export const ICMPV6_ROUTER_ADVERTISEMENT = 134;
const ETHERNET_HEADER = 14;
const IPV6_HEADER = 40;
const RA_HEADER = 16;
const ICMPV6_NEXT_HEADER = 58;
const ALL_NODES_MAC = [0x33, 0x33, 0x00, 0x00, 0x00, 0x01] as const;
const ALL_NODES = parseAddress('ff02::1', 6)!.bytes;
const OPTION_SOURCE_LINK_LAYER = 1;
const OPTION_PREFIX_INFORMATION = 3;
const OPTION_MTU = 5;
/** Lifetimes of this value mean "forever" (RFC 4861 4.6.2). */
export const INFINITE_LIFETIME_S = 0xffffffff;

/** A Prefix Information option (RFC 4861 4.6.2). */
export interface PrefixInformation {
  /** The prefix's 16 bytes (bits past `length` are sent as given; the caller zeroes them). */
  readonly prefix: Uint8Array;
  readonly length: number;
  /** L flag: the prefix is on-link. */
  readonly onLink: boolean;
  /** A flag: hosts may form addresses in it (SLAAC). */
  readonly autonomous: boolean;
  readonly validLifetimeS: number;
  readonly preferredLifetimeS: number;
}

export interface RouterAdvertFields {
  /** The sender's MAC: the Ethernet source and the Source Link-Layer Address option. */
  readonly sourceMac: Uint8Array;
  /** The virtual link-local address's 16 bytes. */
  readonly sourceAddress: Uint8Array;
  /** Cur Hop Limit for hosts (0: unspecified). */
  readonly curHopLimit: number;
  /** 0: not a default router (the final RA of a Master that stops). */
  readonly routerLifetimeS: number;
  readonly reachableTimeMs: number;
  readonly retransTimerMs: number;
  /** Link MTU to advertise; left out, no MTU option. */
  readonly mtu?: number;
  readonly prefixes: readonly PrefixInformation[];
}

/** Bytes of the ICMPv6 message: header, source link-layer option, MTU option, prefix options. */
export function routerAdvertLength(fields: RouterAdvertFields): number {
  return RA_HEADER + 8 + (fields.mtu === undefined ? 0 : 8) + 32 * fields.prefixes.length;
}

/** The ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 8.1, next header 58) and `message`. */
export function icmpv6Checksum(source: Uint8Array, destination: Uint8Array, message: Uint8Array): number {
  let sum = sumWords(source) + sumWords(destination) + message.length + ICMPV6_NEXT_HEADER + sumWords(message);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

function writeHeaders(frame: Uint8Array, view: DataView, fields: RouterAdvertFields, payloadLength: number): void {
  frame.set(ALL_NODES_MAC, 0);
  frame.set(fields.sourceMac, 6);
  view.setUint16(12, 0x86dd);
  const ip = ETHERNET_HEADER;
  frame[ip] = 0x60; // version 6, traffic class and flow label 0
  view.setUint16(ip + 4, payloadLength);
  frame[ip + 6] = ICMPV6_NEXT_HEADER;
  frame[ip + 7] = 255;
  frame.set(fields.sourceAddress, ip + 8);
  frame.set(ALL_NODES, ip + 24);
}

function writePrefix(frame: Uint8Array, view: DataView, at: number, prefix: PrefixInformation): void {
  frame[at] = OPTION_PREFIX_INFORMATION;
  frame[at + 1] = 4;
  frame[at + 2] = prefix.length;
  frame[at + 3] = (prefix.onLink ? 0x80 : 0) | (prefix.autonomous ? 0x40 : 0);
  view.setUint32(at + 4, prefix.validLifetimeS);
  view.setUint32(at + 8, prefix.preferredLifetimeS);
  frame.set(prefix.prefix.subarray(0, 16), at + 16);
}

/** The whole frame: Ethernet to 33:33:00:00:00:01, IPv6 to ff02::1 with hop limit 255, then the RA. */
export function encodeRouterAdvertFrame(fields: RouterAdvertFields): Uint8Array {
  const length = routerAdvertLength(fields);
  const frame = new Uint8Array(ETHERNET_HEADER + IPV6_HEADER + length);
  const view = new DataView(frame.buffer);
  writeHeaders(frame, view, fields, length);
  const ra = ETHERNET_HEADER + IPV6_HEADER;
  frame[ra] = ICMPV6_ROUTER_ADVERTISEMENT;
  frame[ra + 4] = fields.curHopLimit;
  // Flags (M, O, preference) all 0: addresses and other settings are not from DHCPv6; medium preference.
  view.setUint16(ra + 6, fields.routerLifetimeS);
  view.setUint32(ra + 8, fields.reachableTimeMs);
  view.setUint32(ra + 12, fields.retransTimerMs);
  let at = ra + RA_HEADER;
  frame[at] = OPTION_SOURCE_LINK_LAYER;
  frame[at + 1] = 1;
  frame.set(fields.sourceMac.subarray(0, 6), at + 2);
  at += 8;
  if (fields.mtu !== undefined) {
    frame[at] = OPTION_MTU;
    frame[at + 1] = 1;
    view.setUint32(at + 4, fields.mtu);
    at += 8;
  }
  for (const prefix of fields.prefixes) {
    writePrefix(frame, view, at, prefix);
    at += 32;
  }
  const message = frame.subarray(ra);
  view.setUint16(ra + 2, icmpv6Checksum(fields.sourceAddress, ALL_NODES, message));
  return frame;
}
