// From captured frames to the packets a VRRP LAN is made of: adverts (decoded by the real codec,
// src/wire), adverts the codec refused (with its reason), and address claims (ARP, unsolicited or any
// IPv6 Neighbor Advertisement) that tell which MAC hosts send a VIP's traffic to. Link layers: Ethernet
// (802.1Q tags skipped), Linux cooked SLL and SLL2, raw IP. Untrusted bytes: every read is bounds-checked.

import { decodeAdvert } from '../wire/codec.js';
import { formatIpv4, formatIpv6 } from '../wire/address.js';
import { parseIpPacket } from '../wire/ip.js';
import type { ChecksumForm, IpFamily, VrrpAdvert, WireDropReason } from '../wire/types.js';
import { VRRP_IP_PROTOCOL } from '../wire/types.js';
import type { CaptureFrame } from './capture-file.js';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ICMPV6 = 58;
const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
const ND_OPTION_TARGET_LINK_ADDRESS = 2;

/** A frame's time in ms since the capture's first frame. */
export type RelativeMs = number;

export interface ObservedAdvert {
  readonly kind: 'advert';
  readonly frame: number;
  readonly atMs: RelativeMs;
  readonly sourceMac: string | undefined;
  readonly family: IpFamily;
  readonly source: string;
  readonly destination: string;
  readonly ttl: number;
  readonly advert: VrrpAdvert;
  readonly checksumForm: ChecksumForm;
}

/** An IP protocol 112 packet the codec refused: a peer whose adverts nobody accepts. */
export interface RefusedAdvert {
  readonly kind: 'refused';
  readonly frame: number;
  readonly atMs: RelativeMs;
  readonly sourceMac: string | undefined;
  readonly family: IpFamily;
  readonly source: string;
  /** The VRID byte, when the packet is long enough to carry one. */
  readonly vrid: number | undefined;
  readonly reason: WireDropReason;
  readonly detail: string;
}

/** A MAC announced for an address: ARP (gratuitous, reply or request) or an IPv6 Neighbor Advertisement. */
export interface AddressClaim {
  readonly kind: 'claim';
  readonly frame: number;
  readonly atMs: RelativeMs;
  readonly address: string;
  readonly mac: string;
  readonly how: 'gratuitous ARP' | 'ARP reply' | 'ARP request' | 'unsolicited NA' | 'solicited NA';
}

export type LanPacket = ObservedAdvert | RefusedAdvert | AddressClaim;

export interface FrameTally {
  /** Frames of a link type this reader does not know. */
  unknownLinkType: number;
  /** Frames carrying something other than VRRP, ARP or a Neighbor Advertisement. */
  other: number;
  /** IP packets the IP header parser refused. */
  badIp: number;
  /** The same frame seen again within a few ms (a capture on `any` sees each frame on every port). */
  duplicates: number;
}

interface LinkPayload {
  readonly etherType: number;
  readonly payload: Uint8Array;
  readonly sourceMac: string | undefined;
  /** SLL2 only: the interface the frame was seen on (a capture on `any` sees a frame on every port). */
  readonly interfaceIndex?: number;
}

function macText(bytes: Uint8Array, offset: number): string {
  let text = '';
  for (let i = 0; i < 6; i++) text += (i > 0 ? ':' : '') + bytes[offset + i]!.toString(16).padStart(2, '0');
  return text;
}

function uint16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

/** The network-layer packet in a frame, or undefined when the frame is too short or of an unknown link type. */
export function linkPayload(linkType: number, frame: Uint8Array): LinkPayload | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      let offset = 12;
      if (frame.length < offset + 2) return undefined;
      let etherType = uint16(frame, offset);
      while ((etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ) && frame.length >= offset + 6) {
        offset += 4;
        etherType = uint16(frame, offset);
      }
      return { etherType, payload: frame.subarray(offset + 2), sourceMac: macText(frame, 6) };
    }
    case LINKTYPE_LINUX_SLL: {
      // packet type, ARPHRD type, address length, 8 address bytes, protocol.
      if (frame.length < 16) return undefined;
      const addressLength = uint16(frame, 4);
      return {
        etherType: uint16(frame, 14),
        payload: frame.subarray(16),
        sourceMac: addressLength === 6 ? macText(frame, 6) : undefined,
      };
    }
    case LINKTYPE_LINUX_SLL2: {
      // protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes.
      if (frame.length < 20) return undefined;
      const addressLength = frame[11]!;
      const interfaceIndex = ((frame[4]! << 24) | (frame[5]! << 16) | (frame[6]! << 8) | frame[7]!) >>> 0;
      return {
        etherType: uint16(frame, 0),
        payload: frame.subarray(20),
        sourceMac: addressLength === 6 ? macText(frame, 12) : undefined,
        interfaceIndex,
      };
    }
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6: {
      if (frame.length === 0) return undefined;
      const version = frame[0]! >> 4;
      if (version !== 4 && version !== 6) return undefined;
      return { etherType: version === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, payload: frame, sourceMac: undefined };
    }
    default:
      return undefined;
  }
}

/** Milliseconds from `origin` to `frame`, exact to the nanosecond. */
export function relativeMs(frame: CaptureFrame, origin: CaptureFrame): RelativeMs {
  // Rounded to the microsecond, so text and JSON print the same figures on every run.
  return (
    Math.round(((frame.seconds - origin.seconds) * 1000 + (frame.nanoseconds - origin.nanoseconds) / 1e6) * 1000) / 1000
  );
}

/**
 * A capture on Linux's `any` device sees a frame once on every port it crosses (the sender's veth, the
 * bridge, each receiver's veth), microseconds apart and not always in time order. SLL2 says on which
 * interface: the same bytes within this window on another interface are the same frame. SLL (v1) does
 * not, so there the same bytes within the window count as one frame, except ARP, whose announcement
 * bursts repeat identical frames on purpose.
 */
const DUPLICATE_WINDOW_MS = 2;

/** The VRRP LAN's packets in time order, and a tally of the frames that are not. */
export function lanPackets(frames: readonly CaptureFrame[]): { packets: LanPacket[]; tally: FrameTally } {
  const packets: LanPacket[] = [];
  const tally: FrameTally = { unknownLinkType: 0, other: 0, badIp: 0, duplicates: 0 };
  const origin = frames[0];
  if (origin === undefined) return { packets, tally };
  const lastSeen = new Map<string, { atMs: RelativeMs; interfaceIndex: number | undefined }>();
  for (const frame of frames) {
    const link = linkPayload(frame.linkType, frame.data);
    if (link === undefined) {
      tally.unknownLinkType += 1;
      continue;
    }
    const atMs = relativeMs(frame, origin);
    if (isCopy(frame.linkType, link, atMs, lastSeen)) {
      tally.duplicates += 1;
      continue;
    }
    const packet = classify(link, frame.number, atMs, tally);
    if (packet !== undefined) packets.push(packet);
  }
  // Files merged from several interfaces need not be in time order; the analysis needs it (stable sort).
  packets.sort((a, b) => a.atMs - b.atMs);
  return { packets, tally };
}

function isCopy(
  linkType: number,
  link: LinkPayload,
  atMs: RelativeMs,
  lastSeen: Map<string, { atMs: RelativeMs; interfaceIndex: number | undefined }>,
): boolean {
  const cooked =
    linkType === LINKTYPE_LINUX_SLL2 || (linkType === LINKTYPE_LINUX_SLL && link.etherType !== ETHERTYPE_ARP);
  if (!cooked) return false;
  const key = `${link.etherType}:${Buffer.from(link.payload.buffer, link.payload.byteOffset, link.payload.byteLength).toString('latin1')}`;
  const seen = lastSeen.get(key);
  const sameFrame =
    seen !== undefined &&
    Math.abs(atMs - seen.atMs) < DUPLICATE_WINDOW_MS &&
    (linkType === LINKTYPE_LINUX_SLL || seen.interfaceIndex !== link.interfaceIndex);
  if (!sameFrame) lastSeen.set(key, { atMs, interfaceIndex: link.interfaceIndex });
  return sameFrame;
}

function classify(link: LinkPayload, frame: number, atMs: RelativeMs, tally: FrameTally): LanPacket | undefined {
  if (link.etherType === ETHERTYPE_ARP) return arpClaim(link.payload, frame, atMs) ?? countOther(tally);
  if (link.etherType !== ETHERTYPE_IPV4 && link.etherType !== ETHERTYPE_IPV6) return countOther(tally);
  const ip = parseIpPacket(link.payload);
  if (!ip.ok) {
    tally.badIp += 1;
    return undefined;
  }
  if (ip.protocol === VRRP_IP_PROTOCOL) {
    const decoded = decodeAdvert(ip.payload, ip.meta);
    const common = { frame, atMs, sourceMac: link.sourceMac, family: ip.meta.family, source: ip.meta.sourceAddress };
    if (!decoded.ok) {
      return {
        kind: 'refused',
        ...common,
        vrid: ip.payload.length >= 2 ? ip.payload[1]! : undefined,
        reason: decoded.reason,
        detail: decoded.detail ?? '',
      };
    }
    return {
      kind: 'advert',
      ...common,
      destination: ip.meta.destinationAddress,
      ttl: ip.meta.ttl,
      advert: decoded.advert,
      checksumForm: decoded.checksumForm,
    };
  }
  if (ip.protocol === ICMPV6)
    return neighborAdvertisement(ip.payload, link.sourceMac, frame, atMs) ?? countOther(tally);
  return countOther(tally);
}

function countOther(tally: FrameTally): undefined {
  tally.other += 1;
  return undefined;
}

/** An ARP packet for IPv4 over Ethernet claims its sender address for its sender MAC. */
function arpClaim(arp: Uint8Array, frame: number, atMs: RelativeMs): AddressClaim | undefined {
  if (arp.length < 28 || uint16(arp, 0) !== 1 || uint16(arp, 2) !== ETHERTYPE_IPV4 || arp[4] !== 6 || arp[5] !== 4)
    return undefined;
  const operation = uint16(arp, 6);
  const senderIp = formatIpv4(arp, 14);
  const targetIp = formatIpv4(arp, 24);
  if (senderIp === '0.0.0.0') return undefined; // an ARP probe claims nothing
  const how = senderIp === targetIp ? 'gratuitous ARP' : operation === 2 ? 'ARP reply' : 'ARP request';
  return { kind: 'claim', frame, atMs, address: senderIp, mac: macText(arp, 8), how };
}

/** A Neighbor Advertisement claims its target for the MAC in its option (or the frame's source). */
function neighborAdvertisement(
  icmp: Uint8Array,
  sourceMac: string | undefined,
  frame: number,
  atMs: RelativeMs,
): AddressClaim | undefined {
  if (icmp.length < 24 || icmp[0] !== ICMPV6_NEIGHBOR_ADVERTISEMENT) return undefined;
  const solicited = (icmp[4]! & 0x40) !== 0;
  let mac = sourceMac;
  let offset = 24;
  while (offset + 8 <= icmp.length) {
    const units = icmp[offset + 1]!;
    if (units === 0) break; // a zero-length option is malformed and would loop
    if (icmp[offset] === ND_OPTION_TARGET_LINK_ADDRESS && units === 1) mac = macText(icmp, offset + 2);
    offset += units * 8;
  }
  if (mac === undefined) return undefined;
  return {
    kind: 'claim',
    frame,
    atMs,
    address: formatIpv6(icmp, 8),
    mac,
    how: solicited ? 'solicited NA' : 'unsolicited NA',
  };
}
