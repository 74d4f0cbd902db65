// VRRP advertisement codec: bytes <-> VrrpAdvert, for v2 (RFC 3768 5.3) and v3 (RFC 5798 / RFC 9568 5.2).
//
//  v2:  | 2 | 1 | VRID | Priority | Count | Auth Type | Adver Int (s) | Checksum | IPv4 x Count | Auth Data (8) |
//  v3:  | 3 | 1 | VRID | Priority | Count | Rsvd(4) Max Adver Int (12 bits, cs) | Checksum | IPvX x Count |
//
// Decoding takes untrusted bytes: it checks every length before reading, returns a drop reason instead
// of throwing, and keeps unusual values (count 0, interval 0, unknown auth type) for the core to judge.
// Encoding takes our own configuration: bad arguments there are programming or configuration errors
// and throw a RangeError.

import { addressLength, formatIpv4, formatIpv6, parseAddress, type ParsedAddress } from './address.js';
import { foldSum, internetChecksum, pseudoHeaderSumFromAddressSum, sumWords } from './checksum.js';
import {
  AUTH_NONE,
  AUTH_SIMPLE_PASSWORD,
  VRRP_MULTICAST_V4,
  VRRP_TYPE_ADVERTISEMENT,
  type AdvertToEncode,
  type ChecksumForm,
  type DecodeDrop,
  type DecodeResult,
  type HeaderDecodeResult,
  type EncodeOptions,
  type IpFamily,
  type PacketMeta,
  type VrrpAdvert,
  type VrrpAdvertHeader,
  type VrrpVersion,
  type WireDropReason,
} from './types.js';

/** Version/type, VRID, priority, count, auth type + interval (or v3 reserved + interval), checksum. */
const HEADER_LENGTH = 8;
/** v2 carries 8 bytes of authentication data after the addresses, whatever the auth type. */
const V2_AUTH_DATA_LENGTH = 8;
const CHECKSUM_OFFSET = 6;
const MAX_ADDRESS_COUNT = 255;
const V3_MAX_INTERVAL_CS = 0x0fff;
const V2_MAX_INTERVAL_S = 255;

/** v3 adverts carry no auth data; one shared empty array (it cannot be written to). */
const NO_AUTH_DATA = new Uint8Array(0);

function drop(reason: WireDropReason, detail: string): DecodeDrop {
  return { ok: false, reason, detail };
}

function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}

// The last metadata address pair and its word sum. Adverts arrive from one master at a time, so this
// usually answers without even the cache lookup in parseAddress (whose strings would be hashed anew
// when the socket layer builds a fresh string per packet).
let lastPairFamily = 0;
let lastPairSource = '';
let lastPairDestination = '';
let lastPairWordSum = 0;

/** Only for a unicast IPv4 packet no other form accepted; allocates, as a bad packet may. */
function oldUnicastSumMatches(meta: PacketMeta, messageSum: number, vrrpLength: number): boolean {
  if (meta.destinationAddress === VRRP_MULTICAST_V4) return false;
  const source = parseAddress(meta.sourceAddress, 4);
  const group = parseAddress(VRRP_MULTICAST_V4, 4);
  if (source === undefined || group === undefined) return false;
  return foldSum(messageSum + pseudoHeaderSumFromAddressSum(source.wordSum + group.wordSum, vrrpLength)) === 0xffff;
}

/**
 * Sum of the v3 pseudo-header for this packet, or undefined when the metadata's addresses do not parse
 * as `family` (then only the IPv4 no-pseudo-header form can match).
 */
function pseudoHeaderSum(meta: PacketMeta, family: IpFamily, vrrpLength: number): number | undefined {
  const sourceText = meta.sourceAddress;
  const destinationText = meta.destinationAddress;
  if (family !== lastPairFamily || sourceText !== lastPairSource || destinationText !== lastPairDestination) {
    const source = parseAddress(sourceText, family);
    const destination = parseAddress(destinationText, family);
    if (source === undefined || destination === undefined) return undefined;
    lastPairFamily = family;
    lastPairSource = sourceText;
    lastPairDestination = destinationText;
    lastPairWordSum = source.wordSum + destination.wordSum;
  }
  return pseudoHeaderSumFromAddressSum(lastPairWordSum, vrrpLength);
}

// v2 auth data seen lately. Every advert from a peer carries the same 8 bytes (zeros, or its password),
// and allocating a fresh typed array per packet costs more than the rest of decoding, so adverts with
// equal auth data share one copy. It is never a view of the caller's buffer, and it is compared byte for
// byte before reuse; consumers must treat it as read-only (as VrrpAdvert's other fields).
const RECENT_AUTH_DATA_LIMIT = 4;
const recentAuthData: Uint8Array[] = [];

function sharedAuthData(bytes: Uint8Array, offset: number): Uint8Array {
  for (let index = 0; index < recentAuthData.length; index++) {
    const candidate = recentAuthData[index]!;
    let equal = true;
    for (let byte = 0; byte < V2_AUTH_DATA_LENGTH; byte++) {
      if (candidate[byte] !== bytes[offset + byte]) {
        equal = false;
        break;
      }
    }
    if (equal) return candidate;
  }
  const copy = bytes.slice(offset, offset + V2_AUTH_DATA_LENGTH);
  if (recentAuthData.length >= RECENT_AUTH_DATA_LIMIT) recentAuthData.pop();
  recentAuthData.unshift(copy);
  return copy;
}

function checksumDrop(
  bytes: Uint8Array,
  messageSum: number,
  version: VrrpVersion,
  family: IpFamily,
  pseudoSum: number | undefined,
): DecodeDrop {
  // Only on the drop path: say what we expected, which is what an engineer chasing a vendor
  // checksum disagreement wants to see.
  const received = (bytes[CHECKSUM_OFFSET]! << 8) | bytes[CHECKSUM_OFFSET + 1]!;
  const sumWithoutField = messageSum - received;
  const expectedWithout = ~foldSum(sumWithoutField) & 0xffff;
  if (version === 2) {
    return drop('bad-checksum', `received ${hex16(received)}, computed ${hex16(expectedWithout)}`);
  }
  const withPseudo =
    pseudoSum === undefined
      ? `not computable (source or destination address in metadata is not an IPv${family} address)`
      : hex16(~foldSum(sumWithoutField + pseudoSum) & 0xffff);
  const detail =
    family === 4
      ? `received ${hex16(received)}, computed ${withPseudo} with pseudo-header, ${hex16(expectedWithout)} without`
      : `received ${hex16(received)}, computed ${withPseudo} with pseudo-header`;
  return drop('bad-checksum', detail);
}

/**
 * A full decode: the header checks of decodeAdvertHeader, then the address list. The receive path
 * uses the two halves separately (InterfaceDemux), so a packet rejected on its header costs the same
 * whatever its address list holds.
 */
export function decodeAdvert(bytes: Uint8Array, meta: PacketMeta, acceptOldUnicast = false): DecodeResult {
  const header = decodeAdvertHeader(bytes, meta, acceptOldUnicast);
  if (!header.ok) return header;
  const fields = header.header;
  const advert: VrrpAdvert = {
    version: fields.version,
    vrid: fields.vrid,
    priority: fields.priority,
    advertIntervalCs: fields.advertIntervalCs,
    addresses: decodeAddresses(bytes, fields),
    authType: fields.authType,
    authData: fields.authData,
    checksum: fields.checksum,
  };
  return { ok: true, advert, checksumForm: header.checksumForm };
}

/**
 * The address list of a packet decodeAdvertHeader accepted, as canonical text. The only part of a
 * decode whose cost grows with the packet (up to 255 addresses), so it runs only for a packet that
 * passed every check that does not need the addresses.
 */
export function decodeAddresses(bytes: Uint8Array, header: VrrpAdvertHeader): string[] {
  const addresses: string[] = [];
  const end = HEADER_LENGTH + header.addressCount * (header.family === 4 ? 4 : 16);
  if (header.family === 4) {
    for (let offset = HEADER_LENGTH; offset < end; offset += 4) addresses.push(formatIpv4(bytes, offset));
  } else {
    for (let offset = HEADER_LENGTH; offset < end; offset += 16) addresses.push(formatIpv6(bytes, offset));
  }
  return addresses;
}

/**
 * Every codec check (length, version, type, count against length, checksum) and the fixed fields,
 * without formatting the address list: what the receive path needs to find the router and judge the
 * packet before it pays for the addresses (decodeAddresses). Same drop reasons, in the same order, as
 * decodeAdvert.
 */
export function decodeAdvertHeader(bytes: Uint8Array, meta: PacketMeta, acceptOldUnicast = false): HeaderDecodeResult {
  const length = bytes.length;
  if (length < HEADER_LENGTH) return drop('too-short', `${length} bytes, the fixed header needs ${HEADER_LENGTH}`);

  const version = bytes[0]! >>> 4;
  if (version !== 2 && version !== 3) return drop('bad-version', `version ${version}`);
  const family = meta.family;
  if (family !== 4 && family !== 6) return drop('version-family', `unknown address family ${String(family)}`);
  if (version === 2 && family === 6) return drop('version-family', 'VRRPv2 is defined for IPv4 only');
  const type = bytes[0]! & 0x0f;
  if (type !== VRRP_TYPE_ADVERTISEMENT) return drop('bad-type', `type ${type}`);

  const count = bytes[3]!;
  const addressBytes = family === 4 ? 4 : 16;
  const addressesEnd = HEADER_LENGTH + count * addressBytes;
  const expectedLength = version === 2 ? addressesEnd + V2_AUTH_DATA_LENGTH : addressesEnd;
  if (length < expectedLength) {
    return drop('truncated', `${length} bytes, ${count} address(es) need ${expectedLength}`);
  }
  // keepalived 2.2.7 drops a packet whose length is not exactly what the count requires (its
  // vrrp_check_packet compares for inequality; tried against Debian's 2.2.7 binary: a v3 advert with four
  // trailing bytes is logged "vrrp packet too long, length 36 and expect 32" and ignored). A longer
  // packet means the count and the payload disagree, so we drop it too rather than guess which is right.
  if (length > expectedLength) {
    return drop('too-long', `${length} bytes, ${count} address(es) need exactly ${expectedLength}`);
  }

  const messageSum = sumWords(bytes, 0, expectedLength);
  let checksumForm: ChecksumForm;
  if (version === 2) {
    if (foldSum(messageSum) !== 0xffff) return checksumDrop(bytes, messageSum, 2, family, undefined);
    checksumForm = 'v2';
  } else {
    // RFC 5798 (keepalived 2.2.7 and FRR by default) includes the pseudo-header for both families; RFC 9568
    // (keepalived `v3_checksum_as_v2`, FRR `no checksum-with-ipv4-pseudoheader`) omits it for IPv4.
    // Accept either, trying the pseudo-header first.
    const pseudoSum = pseudoHeaderSum(meta, family, expectedLength);
    if (pseudoSum !== undefined && foldSum(messageSum + pseudoSum) === 0xffff) {
      checksumForm = 'v3-pseudo-header';
    } else if (family === 4 && foldSum(messageSum) === 0xffff) {
      checksumForm = 'v3-no-pseudo-header';
    } else if (acceptOldUnicast && family === 4 && oldUnicastSumMatches(meta, messageSum, expectedLength)) {
      // keepalived 1.3.6 and older (and `old_unicast_checksum`): 224.0.0.18 in a unicast pseudo-header.
      // Only when asked (the receiving router is unicast and takes it): it would let a multicast
      // packet with a damaged destination through.
      checksumForm = 'v3-old-unicast';
    } else {
      return checksumDrop(bytes, messageSum, 3, family, pseudoSum);
    }
  }

  const header: VrrpAdvertHeader = {
    version,
    family,
    vrid: bytes[1]!,
    priority: bytes[2]!,
    addressCount: count,
    // The 4 reserved bits of v3 are ignored on receive (RFC 5798 / RFC 9568 5.2.6).
    advertIntervalCs: version === 2 ? bytes[5]! * 100 : ((bytes[4]! & 0x0f) << 8) | bytes[5]!,
    authType: version === 2 ? bytes[4]! : AUTH_NONE,
    // Never a view: the caller may reuse its receive buffer while the advert is still referenced.
    authData: version === 2 ? sharedAuthData(bytes, addressesEnd) : NO_AUTH_DATA,
    checksum: (bytes[CHECKSUM_OFFSET]! << 8) | bytes[CHECKSUM_OFFSET + 1]!,
  };
  return { ok: true, header, checksumForm };
}

export function encodedLength(version: VrrpVersion, family: IpFamily, addressCount: number): number {
  if (version !== 2 && version !== 3) throw new RangeError(`VRRP version must be 2 or 3, got ${String(version)}`);
  if (family !== 4 && family !== 6) throw new RangeError(`address family must be 4 or 6, got ${String(family)}`);
  if (version === 2 && family === 6) throw new RangeError('VRRPv2 is defined for IPv4 only');
  if (!Number.isInteger(addressCount) || addressCount < 0 || addressCount > MAX_ADDRESS_COUNT) {
    throw new RangeError(`address count must be an integer 0..${MAX_ADDRESS_COUNT}, got ${String(addressCount)}`);
  }
  return HEADER_LENGTH + addressCount * addressLength(family) + (version === 2 ? V2_AUTH_DATA_LENGTH : 0);
}

function requireByteRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer ${min}..${max}, got ${String(value)}`);
  }
}

/** The Adver Int field: v2 whole seconds (RFC 3768 5.3.7), v3 centiseconds (RFC 5798 / RFC 9568 5.2.7). */
function intervalField(version: VrrpVersion, advertIntervalCs: number): number {
  if (version === 2) {
    const seconds = advertIntervalCs / 100;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > V2_MAX_INTERVAL_S) {
      throw new RangeError(
        `VRRPv2 advert interval must be a whole number of seconds 1..${V2_MAX_INTERVAL_S} ` +
          `(100..${V2_MAX_INTERVAL_S * 100} cs), got ${String(advertIntervalCs)} cs`,
      );
    }
    return seconds;
  }
  requireByteRange('VRRPv3 advert interval (cs)', advertIntervalCs, 1, V3_MAX_INTERVAL_CS);
  return advertIntervalCs;
}

function requireAddress(text: string, family: IpFamily, role: string): ParsedAddress {
  const parsed = parseAddress(text, family);
  if (parsed === undefined) throw new RangeError(`${role} ${JSON.stringify(text)} is not an IPv${family} address`);
  return parsed;
}

function allZero(bytes: Uint8Array): boolean {
  for (let index = 0; index < bytes.length; index++) if (bytes[index] !== 0) return false;
  return true;
}

/** Writes into `out` if given (must be large enough; returns the subarray written), else allocates. */
export function encodeAdvert(advert: AdvertToEncode, options: EncodeOptions, out?: Uint8Array): Uint8Array {
  const { version, addresses } = advert;
  const family = options.family;
  if (!Array.isArray(addresses)) throw new RangeError('addresses must be an array');
  const length = encodedLength(version, family, addresses.length);
  requireByteRange('VRID', advert.vrid, 1, 255);
  requireByteRange('priority', advert.priority, 0, 255);
  const interval = intervalField(version, advert.advertIntervalCs);
  const authType = advert.authType ?? AUTH_NONE;
  const authData = advert.authData ?? NO_AUTH_DATA;
  if (version === 3 && (authType !== AUTH_NONE || authData.length > 0)) {
    throw new RangeError('VRRPv3 has no authentication: authType must be 0 and authData empty');
  }
  if (authType !== AUTH_NONE && authType !== AUTH_SIMPLE_PASSWORD) {
    throw new RangeError(`auth type must be 0 (none) or 1 (simple password), got ${String(authType)}`);
  }
  if (authType === AUTH_NONE && !allZero(authData)) {
    // RFC 3768 5.3.10: without authentication the field is zero. (The simple password, type 1, is RFC 2338's,
    // which keepalived still speaks.) A password with type 0 is a configuration mix-up.
    throw new RangeError('authData given with auth type 0 (none)');
  }

  let target: Uint8Array;
  if (out === undefined) {
    target = new Uint8Array(length);
  } else if (out.length < length) {
    throw new RangeError(`output buffer has ${out.length} bytes, the advert needs ${length}`);
  } else {
    target = out.subarray(0, length);
  }

  target[0] = (version << 4) | VRRP_TYPE_ADVERTISEMENT;
  target[1] = advert.vrid;
  target[2] = advert.priority;
  target[3] = addresses.length;
  if (version === 2) {
    target[4] = authType;
    target[5] = interval;
  } else {
    target[4] = interval >>> 8; // the 4 reserved bits above it are sent as zero
    target[5] = interval & 0xff;
  }
  target[CHECKSUM_OFFSET] = 0;
  target[CHECKSUM_OFFSET + 1] = 0;

  const addressBytes = addressLength(family);
  let offset = HEADER_LENGTH;
  for (const address of addresses) {
    target.set(requireAddress(address, family, 'virtual address').bytes, offset);
    offset += addressBytes;
  }
  if (version === 2) {
    target.fill(0, offset, offset + V2_AUTH_DATA_LENGTH);
    target.set(authData.subarray(0, V2_AUTH_DATA_LENGTH), offset);
  }

  let pseudoSum = 0;
  if (version === 3 && (family === 6 || options.v3Ipv4PseudoHeader !== false)) {
    const source = requireAddress(options.sourceAddress, family, 'source address');
    const destination = requireAddress(
      options.pseudoHeaderDestination ?? options.destinationAddress,
      family,
      'destination address',
    );
    pseudoSum = pseudoHeaderSumFromAddressSum(source.wordSum + destination.wordSum, length);
  }
  const checksum = internetChecksum(target, pseudoSum);
  target[CHECKSUM_OFFSET] = checksum >>> 8;
  target[CHECKSUM_OFFSET + 1] = checksum & 0xff;
  return target;
}

/** keepalived `auth_pass`: the first 8 bytes of the UTF-8 password, zero padded. */
export function passwordToAuthData(password: string): Uint8Array {
  const authData = new Uint8Array(V2_AUTH_DATA_LENGTH);
  authData.set(new TextEncoder().encode(password).subarray(0, V2_AUTH_DATA_LENGTH));
  return authData;
}
