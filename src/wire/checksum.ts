// The Internet checksum (RFC 1071) as VRRP uses it: v2 over the VRRP message alone (RFC 3768 5.3.8),
// v3 over an IPv4 or IPv6 pseudo-header followed by the message (RFC 5798 5.2.8; RFC 9568 5.2.8 drops the
// IPv4 pseudo-header). Sums are kept unfolded as plain numbers and folded once at the end: a VRRP message
// is at most 8 + 255 * 16 bytes, far below where an unfolded sum could lose precision.

import { VRRP_IP_PROTOCOL } from './types.js';

/**
 * Sum of the big-endian 16-bit words of `bytes[start, end)`, unfolded. An odd trailing byte counts as
 * the high byte of a word padded with zero (RFC 1071).
 */
export function sumWords(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  let index = start;
  // Two words per step: VRRP messages are always a multiple of 4 bytes long, and this runs per packet.
  for (; index + 3 < end; index += 4) {
    sum += ((bytes[index]! << 8) | bytes[index + 1]!) + ((bytes[index + 2]! << 8) | bytes[index + 3]!);
  }
  if (index + 1 < end) {
    sum += (bytes[index]! << 8) | bytes[index + 1]!;
    index += 2;
  }
  if (index < end) sum += bytes[index]! << 8;
  return sum;
}

/** Folds carries back into the low 16 bits (end-around carry). */
export function foldSum(sum: number): number {
  let folded = sum;
  while (folded > 0xffff) folded = (folded & 0xffff) + Math.floor(folded / 0x10000);
  return folded;
}

/**
 * The value to put in the checksum field: the one's complement of the one's complement sum of
 * `message` (whose checksum field the caller has zeroed), plus `pseudoHeaderSum`.
 */
export function internetChecksum(message: Uint8Array, pseudoHeaderSum = 0): number {
  return ~foldSum(sumWords(message) + pseudoHeaderSum) & 0xffff;
}

/**
 * True if `message`, checksum field included as received, sums with `pseudoHeaderSum` to all ones,
 * which is how a correct Internet checksum verifies.
 */
export function checksumVerifies(message: Uint8Array, pseudoHeaderSum = 0): boolean {
  return foldSum(sumWords(message) + pseudoHeaderSum) === 0xffff;
}

/**
 * Unfolded sum of the IPv4 pseudo-header (RFC 5798 5.2.8, after RFC 768): source, destination,
 * a zero byte, protocol 112, and the 16-bit VRRP message length.
 */
export function ipv4PseudoHeaderSum(source: Uint8Array, destination: Uint8Array, vrrpLength: number): number {
  return sumWords(source, 0, 4) + sumWords(destination, 0, 4) + VRRP_IP_PROTOCOL + (vrrpLength & 0xffff);
}

/**
 * Unfolded sum of the IPv6 pseudo-header (RFC 8200 8.1): source, destination, the 32-bit upper-layer
 * length, three zero bytes and next header 112.
 */
export function ipv6PseudoHeaderSum(source: Uint8Array, destination: Uint8Array, vrrpLength: number): number {
  return (
    sumWords(source, 0, 16) +
    sumWords(destination, 0, 16) +
    Math.floor(vrrpLength / 0x10000) +
    (vrrpLength & 0xffff) +
    VRRP_IP_PROTOCOL
  );
}

/**
 * The pseudo-header sum from the summed words of source and destination, for either family. A VRRP
 * message is shorter than 2^16 bytes, so the IPv4 16-bit length and the IPv6 32-bit length (high word
 * zero) both add just `vrrpLength`; the zero bytes add nothing.
 */
export function pseudoHeaderSumFromAddressSum(addressWordSum: number, vrrpLength: number): number {
  return addressWordSum + VRRP_IP_PROTOCOL + (vrrpLength & 0xffff);
}
