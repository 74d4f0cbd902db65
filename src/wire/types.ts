// Typed view of VRRP packets. Everything here is plain data so that traces can be printed and diffed.

export type VrrpVersion = 2 | 3;
/** IP version of the packet's network layer. */
export type IpFamily = 4 | 6;

/** VRRP message type 1 is the only one defined (RFC 3768 5.3.2, RFC 9568 5.2.2). */
export const VRRP_TYPE_ADVERTISEMENT = 1;
export const VRRP_IP_PROTOCOL = 112;
export const VRRP_MULTICAST_V4 = '224.0.0.18';
export const VRRP_MULTICAST_V6 = 'ff02::12';
export const VRRP_TTL = 255;

/** v2 authentication types (RFC 3768 5.3.6; type 2, IP AH, is rejected at configuration time). */
export const AUTH_NONE = 0;
export const AUTH_SIMPLE_PASSWORD = 1;
export const AUTH_IP_AH = 2;

/** A decoded advertisement. Field values are kept as received, even unusual ones. */
export interface VrrpAdvert {
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly priority: number;
  /**
   * Advertisement interval in centiseconds, whatever the version: v2 carries whole seconds
   * (stored here multiplied by 100), v3 carries the 12-bit Max Adver Int in centiseconds.
   */
  readonly advertIntervalCs: number;
  /** Addresses in canonical text form (ipaddr.js `toString()`: dotted quad or RFC 5952 IPv6). */
  readonly addresses: readonly string[];
  /** v2 auth type; always 0 for v3. */
  readonly authType: number;
  /** v2 authentication data (8 bytes); empty for v3. */
  readonly authData: Uint8Array;
  /** The checksum as received. */
  readonly checksum: number;
}

/** What the network layer told us about the packet (from recvmsg ancillary data or the IP header). */
export interface PacketMeta {
  readonly family: IpFamily;
  readonly sourceAddress: string;
  /** The actual destination: the multicast group or our unicast address. Needed for the v3 pseudo-header. */
  readonly destinationAddress: string;
  /** IPv4 TTL or IPv6 Hop Limit. */
  readonly ttl: number;
}

/** Which checksum form a received packet carried (v3 IPv4 has two forms in the field). */
export type ChecksumForm =
  | 'v2'
  | 'v3-pseudo-header'
  | 'v3-no-pseudo-header'
  /** v3 IPv4 unicast with 224.0.0.18 in the pseudo-header: keepalived 1.3.6 and older, `old_unicast_checksum`. */
  | 'v3-old-unicast';

/** Why a packet was rejected by the codec. Each is counted by the caller; none throws. */
export type WireDropReason =
  | 'too-short' // fewer bytes than the fixed header
  | 'bad-version' // version nibble neither 2 nor 3
  | 'version-family' // v2 over IPv6 (v2 is IPv4 only)
  | 'bad-type' // type nibble not ADVERTISEMENT
  | 'truncated' // fewer bytes than the address count (and v2 auth data) require
  | 'too-long' // more bytes than the count requires: keepalived 2.2.7 drops these too
  | 'bad-checksum'; // neither accepted checksum form matches

export interface DecodeDrop {
  readonly ok: false;
  readonly reason: WireDropReason;
  readonly detail?: string;
}

export type DecodeResult =
  | { readonly ok: true; readonly advert: VrrpAdvert; readonly checksumForm: ChecksumForm }
  | DecodeDrop;

/**
 * A packet the codec accepted, without its address list (decodeAdvertHeader): every fixed field, and
 * how many addresses follow. The list itself is decoded only for a packet that can matter.
 */
export interface VrrpAdvertHeader extends Omit<VrrpAdvert, 'addresses'> {
  readonly family: IpFamily;
  readonly addressCount: number;
}

export type HeaderDecodeResult =
  | { readonly ok: true; readonly header: VrrpAdvertHeader; readonly checksumForm: ChecksumForm }
  | DecodeDrop;

/** What we put on the wire. */
export interface AdvertToEncode {
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly priority: number;
  readonly advertIntervalCs: number;
  readonly addresses: readonly string[];
  /** v2 only: 0 none or 1 simple password. */
  readonly authType?: number;
  /** v2 only: password bytes, zero padded / truncated to 8; absent or undefined is none. */
  readonly authData?: Uint8Array | undefined;
}

export interface EncodeOptions {
  readonly family: IpFamily;
  /** Needed for the v3 pseudo-header. */
  readonly sourceAddress: string;
  readonly destinationAddress: string;
  /**
   * v3 over IPv4 only: include the IPv4 pseudo-header in the checksum (RFC 5798, keepalived's default)
   * or not (RFC 9568, keepalived `v3_checksum_as_v2`, FRR without `checksum-with-ipv4-pseudoheader`).
   * IPv6 always uses the pseudo-header.
   */
  readonly v3Ipv4PseudoHeader?: boolean;
  /**
   * v3 over IPv4 with the pseudo-header: the address it carries instead of destinationAddress
   * (keepalived `old_unicast_checksum`: 224.0.0.18 for adverts to a unicast peer).
   */
  readonly pseudoHeaderDestination?: string;
}
