// IP header parsing for received VRRP packets: an IPv4 packet as an IPv4 raw socket delivers it (header
// included), or an IPv6 packet as a packet socket or a capture file holds it. Untrusted bytes: every
// function here returns a result and never throws.

// Address text comes from the codec's formatters, so a source address in PacketMeta is the very string
// the decoder would print for the same bytes.
import { formatIpv4, formatIpv6 } from './address.js';
import type { PacketMeta } from './types.js';

/** Why an IP packet could not be parsed. Counted by the caller; none throws. */
export type IpDropReason =
  | 'too-short' // fewer bytes than the fixed header
  | 'bad-ip-version' // version nibble is not what the parser expects (or neither 4 nor 6)
  | 'bad-ihl' // IPv4 header length below 20 bytes or beyond the packet
  | 'bad-total-length' // IPv4 total length shorter than its own header
  | 'truncated' // fewer bytes than the length field announces
  | 'bad-ipv4-header-checksum'
  | 'ipv4-fragment' // VRRP is never fragmented; a fragment cannot be checked on its own
  | 'ipv6-jumbogram' // payload length 0: a hop-by-hop jumbo payload, never VRRP
  | 'ipv6-extension-header'; // only the fixed header is parsed; VRRP senders set Next Header 112 (RFC 9568 5.1.2.4)

export type IpParseResult =
  | {
      readonly ok: true;
      readonly meta: PacketMeta;
      /** IPv4 Protocol or IPv6 Next Header (112 for VRRP; the caller decides what to accept). */
      readonly protocol: number;
      /** The bytes after the IP header(s), up to the announced length (link-layer padding excluded). */
      readonly payload: Uint8Array;
    }
  | { readonly ok: false; readonly reason: IpDropReason; readonly detail?: string };

const IPV4_MIN_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;

/** IPv6 Next Header values that announce an extension header rather than an upper layer (RFC 8200 4, IANA). */
const IPV6_EXTENSION_HEADERS: ReadonlyMap<number, string> = new Map([
  [0, 'hop-by-hop options'],
  [43, 'routing'],
  [44, 'fragment'],
  [50, 'ESP'],
  [51, 'AH'],
  [60, 'destination options'],
  [135, 'mobility'],
  [139, 'HIP'],
  [140, 'shim6'],
  [253, 'experimental'],
  [254, 'experimental'],
]);

function readUint16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

/** The Internet checksum of an IPv4 header sums to 0xffff when the header is intact (RFC 1071). */
function ipv4HeaderChecksumOk(bytes: Uint8Array, headerBytes: number): boolean {
  let sum = 0;
  for (let i = 0; i < headerBytes; i += 2) sum += readUint16(bytes, i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/** Parses an IPv4 packet whose first byte is the IP header. Bytes after Total Length (padding) are ignored. */
export function parseIpv4Packet(bytes: Uint8Array): IpParseResult {
  if (bytes.length < IPV4_MIN_HEADER_BYTES) {
    return { ok: false, reason: 'too-short', detail: `${bytes.length} bytes, IPv4 header needs 20` };
  }
  const version = bytes[0]! >> 4;
  if (version !== 4) return { ok: false, reason: 'bad-ip-version', detail: `version ${version}, expected 4` };
  const headerBytes = (bytes[0]! & 0x0f) * 4;
  if (headerBytes < IPV4_MIN_HEADER_BYTES) {
    return { ok: false, reason: 'bad-ihl', detail: `IHL ${headerBytes / 4} words` };
  }
  if (headerBytes > bytes.length) {
    return { ok: false, reason: 'bad-ihl', detail: `IHL says ${headerBytes} bytes, packet has ${bytes.length}` };
  }
  const totalLength = readUint16(bytes, 2);
  if (totalLength < headerBytes) {
    return { ok: false, reason: 'bad-total-length', detail: `total length ${totalLength} < header ${headerBytes}` };
  }
  if (totalLength > bytes.length) {
    return { ok: false, reason: 'truncated', detail: `total length ${totalLength}, have ${bytes.length} bytes` };
  }
  if (!ipv4HeaderChecksumOk(bytes, headerBytes)) {
    return { ok: false, reason: 'bad-ipv4-header-checksum' };
  }
  const flagsAndOffset = readUint16(bytes, 6);
  const moreFragments = (flagsAndOffset & 0x2000) !== 0;
  const fragmentOffset = flagsAndOffset & 0x1fff;
  if (moreFragments || fragmentOffset !== 0) {
    return { ok: false, reason: 'ipv4-fragment', detail: `MF ${moreFragments ? 1 : 0}, offset ${fragmentOffset * 8}` };
  }
  return {
    ok: true,
    meta: {
      family: 4,
      sourceAddress: formatIpv4(bytes, 12),
      destinationAddress: formatIpv4(bytes, 16),
      ttl: bytes[8]!,
    },
    protocol: bytes[9]!,
    payload: bytes.subarray(headerBytes, totalLength),
  };
}

/**
 * Parses an IPv6 packet. Only the fixed header is understood: a packet whose Next Header is an extension
 * header is refused with a reason (VRRP senders put the VRRP message right after the fixed header).
 */
export function parseIpv6Packet(bytes: Uint8Array): IpParseResult {
  if (bytes.length < IPV6_HEADER_BYTES) {
    return { ok: false, reason: 'too-short', detail: `${bytes.length} bytes, IPv6 header needs 40` };
  }
  const version = bytes[0]! >> 4;
  if (version !== 6) return { ok: false, reason: 'bad-ip-version', detail: `version ${version}, expected 6` };
  const payloadLength = readUint16(bytes, 4);
  const nextHeader = bytes[6]!;
  if (payloadLength === 0 && nextHeader === 0) {
    return { ok: false, reason: 'ipv6-jumbogram' };
  }
  if (IPV6_HEADER_BYTES + payloadLength > bytes.length) {
    return {
      ok: false,
      reason: 'truncated',
      detail: `payload length ${payloadLength}, have ${bytes.length - IPV6_HEADER_BYTES} bytes`,
    };
  }
  const extension = IPV6_EXTENSION_HEADERS.get(nextHeader);
  if (extension !== undefined) {
    return { ok: false, reason: 'ipv6-extension-header', detail: `next header ${nextHeader} (${extension})` };
  }
  return {
    ok: true,
    meta: {
      family: 6,
      sourceAddress: formatIpv6(bytes, 8),
      destinationAddress: formatIpv6(bytes, 24),
      ttl: bytes[7]!,
    },
    protocol: nextHeader,
    payload: bytes.subarray(IPV6_HEADER_BYTES, IPV6_HEADER_BYTES + payloadLength),
  };
}

/** Parses an IPv4 or IPv6 packet, chosen by the version nibble. */
export function parseIpPacket(bytes: Uint8Array): IpParseResult {
  if (bytes.length === 0) return { ok: false, reason: 'too-short', detail: 'empty packet' };
  const version = bytes[0]! >> 4;
  switch (version) {
    case 4:
      return parseIpv4Packet(bytes);
    case 6:
      return parseIpv6Packet(bytes);
    default:
      return { ok: false, reason: 'bad-ip-version', detail: `version ${version}` };
  }
}
