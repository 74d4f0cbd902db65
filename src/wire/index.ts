// The wire layer: VRRP bytes <-> typed adverts. Pure: no I/O, no clock.
export * from './types.js';
export {
  decodeAddresses,
  decodeAdvert,
  decodeAdvertHeader,
  encodeAdvert,
  encodedLength,
  passwordToAuthData,
} from './codec.js';
export {
  checksumVerifies,
  foldSum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  sumWords,
} from './checksum.js';
export { formatIpv4, formatIpv6, parseAddress } from './address.js';
export type { ParsedAddress } from './address.js';
// The IP header parser (raw sockets and captures hand us whole IP packets).
export { parseIpPacket, parseIpv4Packet, parseIpv6Packet } from './ip.js';
export type { IpDropReason, IpParseResult } from './ip.js';
