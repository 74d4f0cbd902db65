// Hand-built VRRP packets, written out from the RFC layouts (RFC 3768 5.3, RFC 9568 5.2) with their
// checksums worked out by hand in the comments and re-checked by a reference checksum written here,
// independently of src/wire/checksum.ts.
import t from 'tap';
import ipaddr from 'ipaddr.js';
import {
  checksumVerifies,
  decodeAdvert,
  encodeAdvert,
  encodedLength,
  formatIpv6,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  passwordToAuthData,
  type AdvertToEncode,
  type DecodeResult,
  type EncodeOptions,
  type PacketMeta,
} from '../../src/wire/index.js';

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}
function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Reference RFC 1071 checksum: folds after every addition, reads words through a DataView. */
function referenceChecksum(chunks: Uint8Array[]): number {
  let sum = 0;
  for (const chunk of chunks) {
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let i = 0; i < chunk.byteLength; i += 2) {
      sum += i + 1 < chunk.byteLength ? view.getUint16(i) : view.getUint8(i) << 8;
      sum = (sum & 0xffff) + (sum >>> 16);
    }
  }
  return ~sum & 0xffff;
}
function ipv4PseudoHeader(source: string, destination: string, length: number): Uint8Array {
  return Uint8Array.of(
    ...ipaddr.parse(source).toByteArray(),
    ...ipaddr.parse(destination).toByteArray(),
    0,
    112,
    length >> 8,
    length & 0xff,
  );
}
function ipv6PseudoHeader(source: string, destination: string, length: number): Uint8Array {
  return Uint8Array.of(
    ...ipaddr.parse(source).toByteArray(),
    ...ipaddr.parse(destination).toByteArray(),
    0,
    0,
    length >> 8,
    length & 0xff,
    0,
    0,
    0,
    112,
  );
}
/** A copy of `packet` with its checksum field zeroed, ready to be summed. */
function zeroedChecksum(packet: Uint8Array): Uint8Array {
  const copy = packet.slice();
  copy[6] = 0;
  copy[7] = 0;
  return copy;
}
function withChecksum(packet: Uint8Array, checksum: number): Uint8Array {
  const copy = packet.slice();
  copy[6] = checksum >> 8;
  copy[7] = checksum & 0xff;
  return copy;
}

const multicastV4: PacketMeta = { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18', ttl: 255 };
const multicastV6: PacketMeta = { family: 6, sourceAddress: 'fe80::2', destinationAddress: 'ff02::12', ttl: 255 };

/** The drop reason, or 'accepted', so one assertion states the expected outcome. */
function outcome(result: DecodeResult): string {
  return result.ok ? 'accepted' : result.reason;
}

// ---------------------------------------------------------------------------------------------------
// VRRPv2, VRID 51, priority 100, one address 192.0.2.10, simple password "secret", interval 1 s.
//   21 33 64 01 | 01 01 [7b 73] | c0 00 02 0a | 73 65 63 72 65 74 00 00
// Checksum by hand: 2133 + 6401 + 0101 + c000 + 020a + 7365 + 6372 + 6574 + 0000 = 0x2848a,
// folded 0x848a + 0x2 = 0x848c, complemented 0x7b73.
const v2Packet = hex('21336401 01017b73 c000020a 7365637265740000');
const v2Advert: AdvertToEncode = {
  version: 2,
  vrid: 51,
  priority: 100,
  advertIntervalCs: 100,
  addresses: ['192.0.2.10'],
  authType: 1,
  authData: passwordToAuthData('secret'),
};
const v2Options: EncodeOptions = { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18' };

t.test('v2: the hand-built checksum agrees with the reference checksum', async (t) => {
  t.equal(referenceChecksum([zeroedChecksum(v2Packet)]), 0x7b73);
});

t.test('v2: decodes field by field', async (t) => {
  const result = decodeAdvert(v2Packet, multicastV4);
  t.ok(result.ok);
  if (!result.ok) return;
  t.equal(result.checksumForm, 'v2');
  t.same(result.advert, {
    version: 2,
    vrid: 51,
    priority: 100,
    advertIntervalCs: 100,
    addresses: ['192.0.2.10'],
    authType: 1,
    authData: hex('7365637265740000'),
    checksum: 0x7b73,
  });
});

t.test('v2: the decoded auth data is a copy, not a view of the receive buffer', async (t) => {
  const buffer = v2Packet.slice();
  const result = decodeAdvert(buffer, multicastV4);
  if (!result.ok) return t.fail('decode failed');
  buffer.fill(0);
  t.equal(toHex(result.advert.authData), '7365637265740000');
});

t.test('v2: encodes to the exact bytes, also into a dirty buffer', async (t) => {
  t.equal(toHex(encodeAdvert(v2Advert, v2Options)), toHex(v2Packet));
  const dirty = Buffer.alloc(encodedLength(2, 4, 1), 0xa5);
  const written = encodeAdvert(v2Advert, v2Options, dirty);
  t.equal(toHex(written), toHex(v2Packet));
  t.equal(written.buffer, dirty.buffer, 'wrote into the given buffer');

  const larger = Buffer.alloc(32, 0xa5);
  const part = encodeAdvert(v2Advert, v2Options, larger);
  t.equal(part.length, 20, 'returns just the advert');
  t.equal(toHex(larger.subarray(0, 20)), toHex(v2Packet));
  t.equal(toHex(larger.subarray(20)), 'a5'.repeat(12), 'leaves the rest of the buffer alone');
});

t.test('v2: auth type 0 sends eight zero bytes of auth data', async (t) => {
  const packet = encodeAdvert({ ...v2Advert, authType: 0, authData: undefined }, v2Options, Buffer.alloc(20, 0xa5));
  t.equal(toHex(packet.subarray(12)), '0000000000000000');
  t.equal(packet[4], 0);
  t.equal(referenceChecksum([packet]), 0, 'checksum verifies');
});

t.test('passwordToAuthData: first 8 UTF-8 bytes, zero padded', async (t) => {
  t.equal(toHex(passwordToAuthData('secret')), '7365637265740000');
  t.equal(toHex(passwordToAuthData('')), '0000000000000000');
  t.equal(toHex(passwordToAuthData('abcdefghijk')), '6162636465666768');
  // "pä" is 70 c3 a4; "ä" cut after its first byte at the 8-byte limit, as keepalived copies bytes.
  t.equal(toHex(passwordToAuthData('pässwörd')), '70c3a4737377c3b6');
});

// ---------------------------------------------------------------------------------------------------
// VRRPv3 over IPv4, VRID 1, priority 100, interval 100 cs, one address 192.0.2.100,
// from 192.0.2.1 to 224.0.0.18.
//   31 01 64 01 | 00 64 [cksum] | c0 00 02 64
// Message words: 3101 + 6401 + 0064 + c000 + 0264 = 0x157ca.
// Without pseudo-header (RFC 9568): fold 0x57ca + 1 = 0x57cb, complement 0xa834.
// With pseudo-header (RFC 5798): c000 + 0201 + e000 + 0012 + 0070 + 000c = 0x1a28f;
//   0x157ca + 0x1a28f = 0x2fa59, fold 0xfa59 + 2 = 0xfa5b, complement 0x05a4.
const v3v4WithPseudo = hex('31016401 006405a4 c0000264');
const v3v4WithoutPseudo = hex('31016401 0064a834 c0000264');
const v3v4Advert: AdvertToEncode = {
  version: 3,
  vrid: 1,
  priority: 100,
  advertIntervalCs: 100,
  addresses: ['192.0.2.100'],
};
const v3v4Options: EncodeOptions = { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18' };

t.test('v3 IPv4: hand-built checksums agree with the reference checksum', async (t) => {
  t.equal(referenceChecksum([zeroedChecksum(v3v4WithoutPseudo)]), 0xa834);
  t.equal(referenceChecksum([ipv4PseudoHeader('192.0.2.1', '224.0.0.18', 12), zeroedChecksum(v3v4WithPseudo)]), 0x05a4);
});

t.test('v3 IPv4: accepts both checksum forms and says which', async (t) => {
  const withPseudo = decodeAdvert(v3v4WithPseudo, multicastV4);
  const withoutPseudo = decodeAdvert(v3v4WithoutPseudo, multicastV4);
  t.ok(withPseudo.ok && withoutPseudo.ok);
  if (!withPseudo.ok || !withoutPseudo.ok) return;
  t.equal(withPseudo.checksumForm, 'v3-pseudo-header');
  t.equal(withoutPseudo.checksumForm, 'v3-no-pseudo-header');
  const expected = {
    version: 3,
    vrid: 1,
    priority: 100,
    advertIntervalCs: 100,
    addresses: ['192.0.2.100'],
    authType: 0,
    authData: new Uint8Array(0),
  };
  t.same(withPseudo.advert, { ...expected, checksum: 0x05a4 });
  t.same(withoutPseudo.advert, { ...expected, checksum: 0xa834 });
});

t.test('v3 IPv4: encodes either form on request, pseudo-header by default (keepalived 2.2.7)', async (t) => {
  t.equal(toHex(encodeAdvert(v3v4Advert, v3v4Options, Buffer.alloc(12, 0xa5))), toHex(v3v4WithPseudo));
  t.equal(
    toHex(encodeAdvert(v3v4Advert, { ...v3v4Options, v3Ipv4PseudoHeader: true }, Buffer.alloc(12, 0xa5))),
    toHex(v3v4WithPseudo),
  );
  t.equal(
    toHex(encodeAdvert(v3v4Advert, { ...v3v4Options, v3Ipv4PseudoHeader: false }, Buffer.alloc(12, 0xa5))),
    toHex(v3v4WithoutPseudo),
  );
});

t.test('v3 IPv4 unicast: the pseudo-header uses the actual destination', async (t) => {
  const options: EncodeOptions = { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '192.0.2.2' };
  const packet = encodeAdvert(v3v4Advert, options);
  const expectedChecksum = referenceChecksum([ipv4PseudoHeader('192.0.2.1', '192.0.2.2', 12), zeroedChecksum(packet)]);
  t.equal((packet[6]! << 8) | packet[7]!, expectedChecksum);
  const unicastMeta: PacketMeta = { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '192.0.2.2', ttl: 255 };
  const accepted = decodeAdvert(packet, unicastMeta);
  t.ok(accepted.ok && accepted.checksumForm === 'v3-pseudo-header');
  t.equal(outcome(decodeAdvert(packet, multicastV4)), 'bad-checksum', 'same bytes checked against the multicast group');
});

t.test('v3: reserved bits are sent as zero and ignored on receive', async (t) => {
  const reservedSet = v3v4WithoutPseudo.slice();
  reservedSet[4] = 0xf0 | reservedSet[4]!;
  const checksum = referenceChecksum([zeroedChecksum(reservedSet)]);
  const result = decodeAdvert(withChecksum(reservedSet, checksum), multicastV4);
  t.ok(result.ok);
  if (result.ok) t.equal(result.advert.advertIntervalCs, 100, 'interval read from the low 12 bits only');

  const maxInterval = encodeAdvert({ ...v3v4Advert, advertIntervalCs: 4095 }, v3v4Options);
  t.equal(maxInterval[4], 0x0f, 'top nibble of byte 4 is zero at the largest interval');
  t.equal(maxInterval[5], 0xff);
});

// ---------------------------------------------------------------------------------------------------
// VRRPv3 over IPv6, VRID 1, priority 255, interval 100 cs, addresses fe80::1 and 2001:db8::10,
// from fe80::2 to ff02::12.
//   31 01 ff 02 | 00 64 [a5 1c] | fe80 0000 ... 0001 | 2001 0db8 0000 ... 0010
// Message words: 3101 + ff02 + 0064 + fe80 + 0001 + 2001 + 0db8 + 0010 = 0x25cb1.
// Pseudo-header: fe80 + 0002 + ff02 + 0012 + length 0028 + next header 0070 = 0x1fe2e.
// 0x25cb1 + 0x1fe2e = 0x45adf, fold 0x5adf + 4 = 0x5ae3, complement 0xa51c.
const v3v6Packet = hex('3101ff02 0064a51c' + 'fe800000000000000000000000000001' + '20010db8000000000000000000000010');
const v3v6Advert: AdvertToEncode = {
  version: 3,
  vrid: 1,
  priority: 255,
  advertIntervalCs: 100,
  addresses: ['fe80::1', '2001:db8::10'],
};

t.test('v3 IPv6: decodes, encodes exactly, checksum includes the pseudo-header', async (t) => {
  t.equal(referenceChecksum([ipv6PseudoHeader('fe80::2', 'ff02::12', 40), zeroedChecksum(v3v6Packet)]), 0xa51c);
  const result = decodeAdvert(v3v6Packet, multicastV6);
  t.ok(result.ok);
  if (result.ok) {
    t.equal(result.checksumForm, 'v3-pseudo-header');
    t.same(result.advert.addresses, ['fe80::1', '2001:db8::10']);
    t.equal(result.advert.priority, 255);
  }
  const options: EncodeOptions = { family: 6, sourceAddress: 'fe80::2', destinationAddress: 'ff02::12' };
  t.equal(toHex(encodeAdvert(v3v6Advert, options, Buffer.alloc(40, 0xa5))), toHex(v3v6Packet));
  // v3Ipv4PseudoHeader concerns IPv4 only: IPv6 always uses the pseudo-header.
  t.equal(toHex(encodeAdvert(v3v6Advert, { ...options, v3Ipv4PseudoHeader: false })), toHex(v3v6Packet));
  // recvmsg reports link-local sources with a zone; it does not enter the checksum.
  t.ok(decodeAdvert(v3v6Packet, { ...multicastV6, sourceAddress: 'fe80::2%veth0' }).ok, 'zone index ignored');
});

t.test('v3 IPv6: the no-pseudo-header form is not accepted', async (t) => {
  const noPseudo = withChecksum(v3v6Packet, referenceChecksum([zeroedChecksum(v3v6Packet)]));
  t.equal(outcome(decodeAdvert(noPseudo, multicastV6)), 'bad-checksum', 'IPv6 without pseudo-header');
});

t.test('v3: metadata addresses that do not parse give bad-checksum, never a throw', async (t) => {
  t.equal(
    outcome(decodeAdvert(v3v6Packet, { ...multicastV6, sourceAddress: 'not an address' })),
    'bad-checksum',
    'IPv6',
  );
  const ipv4Destination = { ...multicastV6, destinationAddress: '224.0.0.18' };
  t.equal(outcome(decodeAdvert(v3v6Packet, ipv4Destination)), 'bad-checksum', 'IPv4 text for IPv6');
  // Without usable metadata the IPv4 RFC 9568 form still verifies on its own.
  const result = decodeAdvert(v3v4WithoutPseudo, { ...multicastV4, sourceAddress: '' });
  t.ok(result.ok && result.checksumForm === 'v3-no-pseudo-header');
  t.equal(
    outcome(decodeAdvert(v3v4WithPseudo, { ...multicastV4, sourceAddress: '' })),
    'bad-checksum',
    'IPv4 needing metadata',
  );
});

// ---------------------------------------------------------------------------------------------------
t.test('every drop reason', async (t) => {
  for (let length = 0; length < 8; length++) {
    t.equal(outcome(decodeAdvert(v2Packet.subarray(0, length), multicastV4)), 'too-short', `${length} bytes`);
  }
  for (const versionType of [0x01, 0x11, 0x41, 0xf1]) {
    const packet = v2Packet.slice();
    packet[0] = versionType;
    t.equal(outcome(decodeAdvert(packet, multicastV4)), 'bad-version', `first byte ${versionType.toString(16)}`);
  }
  t.equal(outcome(decodeAdvert(v2Packet, { ...multicastV6 })), 'version-family', 'v2 over IPv6');
  for (const versionType of [0x20, 0x22, 0x2f, 0x30, 0x32]) {
    const packet = v2Packet.slice();
    packet[0] = versionType;
    t.equal(outcome(decodeAdvert(packet, multicastV4)), 'bad-type', `first byte ${versionType.toString(16)}`);
  }
  t.equal(outcome(decodeAdvert(v2Packet.subarray(0, 19), multicastV4)), 'truncated', 'v2 missing an auth data byte');
  t.equal(outcome(decodeAdvert(v2Packet.subarray(0, 12), multicastV4)), 'truncated', 'v2 without auth data');
  t.equal(outcome(decodeAdvert(v3v4WithPseudo.subarray(0, 11), multicastV4)), 'truncated', 'v3 address cut short');
  const countTwo = v3v4WithPseudo.slice();
  countTwo[3] = 2;
  t.equal(outcome(decodeAdvert(countTwo, multicastV4)), 'truncated', 'v3 count 2, one address');
  // The same 12 bytes hold a whole IPv4 address but only a quarter of an IPv6 one.
  t.equal(outcome(decodeAdvert(v3v4WithPseudo, multicastV6)), 'truncated', 'IPv4-sized v3 on IPv6');

  const trailing = Uint8Array.of(...v2Packet, 0, 0, 0, 0);
  t.equal(outcome(decodeAdvert(trailing, multicastV4)), 'too-long', 'v2 with 4 trailing bytes');
  t.equal(
    outcome(decodeAdvert(Uint8Array.of(...v3v4WithPseudo, 0), multicastV4)),
    'too-long',
    'v3 with a trailing byte',
  );

  const badChecksum = withChecksum(v2Packet, 0x7b74);
  const result = decodeAdvert(badChecksum, multicastV4);
  t.equal(outcome(result), 'bad-checksum', 'v2 checksum off by one');
  if (!result.ok) t.match(result.detail, /received 0x7b74, computed 0x7b73/);
  t.equal(outcome(decodeAdvert(withChecksum(v3v4WithPseudo, 0x05a5), multicastV4)), 'bad-checksum', 'v3 IPv4');
  t.equal(outcome(decodeAdvert(withChecksum(v3v6Packet, 0xa51d), multicastV6)), 'bad-checksum', 'v3 IPv6');
});

t.test('count 0, interval 0, priority 0 and unknown auth types are not codec errors', async (t) => {
  // v2, VRID 7, priority 0, count 0, auth type 5, interval 0: 2107 + 0000 + 0500 = 0x2607, checksum 0xd9f8.
  const packet = hex('21070000 0500d9f8 0000000000000000');
  t.equal(referenceChecksum([zeroedChecksum(packet)]), 0xd9f8);
  const result = decodeAdvert(packet, multicastV4);
  t.ok(result.ok);
  if (result.ok) {
    t.same(result.advert.addresses, []);
    t.equal(result.advert.advertIntervalCs, 0);
    t.equal(result.advert.priority, 0);
    t.equal(result.advert.authType, 5);
  }
  const v3 = withChecksum(hex('31070000 00000000'), referenceChecksum([hex('31070000 00000000')]));
  const v3Result = decodeAdvert(v3, multicastV4);
  t.ok(v3Result.ok && v3Result.advert.addresses.length === 0 && v3Result.advert.advertIntervalCs === 0);
});

t.test('a Buffer view into a larger buffer decodes from its own offset', async (t) => {
  const backing = Buffer.alloc(64, 0xee);
  backing.set(v2Packet, 13);
  const result = decodeAdvert(backing.subarray(13, 13 + v2Packet.length), multicastV4);
  t.ok(result.ok && result.advert.addresses[0] === '192.0.2.10');
});

t.test('IPv6 text matches ipaddr.js toString() (RFC 5952)', async (t) => {
  const cases = [
    '::',
    '::1',
    '1::',
    'fe80::1',
    'ff02::12',
    '2001:db8::1',
    '2001:db8:0:0:1:0:0:1',
    '2001:0:0:1:0:0:0:1',
    '1:0:1:0:1:0:1:0',
    '1:0:0:2:0:0:3:4',
    '0:0:1:0:0:0:0:0',
    '1:2:3:4:5:6:7:0',
    '0:1:2:3:4:5:6:7',
    '1:0:2:3:4:5:6:7',
    '::ffff:192.0.2.1',
    '2001:DB8:ABCD:12:0:0:0:0',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  ];
  for (const text of cases) {
    const bytes = Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
    t.equal(formatIpv6(bytes, 0), ipaddr.IPv6.parse(text).toString(), text);
  }
  t.equal(formatIpv6(hex('20010db8000000010000000000000001'), 0), '2001:db8:0:1::1', 'longest run wins');
  t.equal(formatIpv6(hex('20010db8000000000001000000000001'), 0), '2001:db8::1:0:0:1', 'leftmost of equal runs');
  t.equal(formatIpv6(hex('20010db8000100000001000100010001'), 0), '2001:db8:1:0:1:1:1:1', 'a lone zero group stays');
});

// ---------------------------------------------------------------------------------------------------
t.test('encode refuses bad arguments with a RangeError', async (t) => {
  const bad: Array<[string, AdvertToEncode, EncodeOptions]> = [
    ['VRID 0', { ...v2Advert, vrid: 0 }, v2Options],
    ['VRID 256', { ...v2Advert, vrid: 256 }, v2Options],
    ['VRID 1.5', { ...v2Advert, vrid: 1.5 }, v2Options],
    ['priority -1', { ...v2Advert, priority: -1 }, v2Options],
    ['priority 256', { ...v2Advert, priority: 256 }, v2Options],
    ['v2 interval 150 cs', { ...v2Advert, advertIntervalCs: 150 }, v2Options],
    ['v2 interval 0', { ...v2Advert, advertIntervalCs: 0 }, v2Options],
    ['v2 interval 256 s', { ...v2Advert, advertIntervalCs: 25600 }, v2Options],
    ['v3 interval 0', { ...v3v4Advert, advertIntervalCs: 0 }, v3v4Options],
    ['v3 interval 4096', { ...v3v4Advert, advertIntervalCs: 4096 }, v3v4Options],
    ['v3 interval 10.5', { ...v3v4Advert, advertIntervalCs: 10.5 }, v3v4Options],
    ['IPv6 address in an IPv4 advert', { ...v3v4Advert, addresses: ['2001:db8::1'] }, v3v4Options],
    ['IPv4 address in an IPv6 advert', { ...v3v6Advert, addresses: ['192.0.2.1'] }, { ...v3v4Options, family: 6 }],
    ['not an address', { ...v2Advert, addresses: ['192.0.2'] }, v2Options],
    ['leading zero', { ...v2Advert, addresses: ['192.0.2.010'] }, v2Options],
    ['256 addresses', { ...v3v4Advert, addresses: new Array<string>(256).fill('192.0.2.1') }, v3v4Options],
    ['v2 over IPv6', { ...v2Advert, addresses: ['2001:db8::1'] }, { ...v2Options, family: 6 }],
    ['auth type 2 (AH)', { ...v2Advert, authType: 2 }, v2Options],
    ['password with auth type 0', { ...v2Advert, authType: 0 }, v2Options],
    ['auth on v3', { ...v3v4Advert, authType: 1, authData: passwordToAuthData('x') }, v3v4Options],
    ['bad source for the pseudo-header', v3v4Advert, { ...v3v4Options, sourceAddress: 'fe80::1' }],
    [
      'bad destination for the pseudo-header',
      v3v6Advert,
      { family: 6, sourceAddress: 'fe80::1', destinationAddress: '' },
    ],
  ];
  for (const [name, advert, options] of bad) {
    t.throws(() => encodeAdvert(advert, options), RangeError, name);
  }
  t.throws(() => encodeAdvert(v2Advert, v2Options, new Uint8Array(19)), RangeError, 'output buffer too small');
  t.throws(() => encodedLength(2, 6, 1), RangeError, 'encodedLength v2 IPv6');
  t.throws(() => encodedLength(3, 4, 256), RangeError, 'encodedLength 256 addresses');
  // The no-pseudo-header form needs no source or destination, so they are not looked at.
  const noPseudoHeader: EncodeOptions = {
    family: 4,
    sourceAddress: '',
    destinationAddress: '',
    v3Ipv4PseudoHeader: false,
  };
  t.doesNotThrow(() => encodeAdvert(v3v4Advert, noPseudoHeader));
});

t.test('encodedLength follows the layouts', async (t) => {
  t.equal(encodedLength(2, 4, 1), 20);
  t.equal(encodedLength(2, 4, 0), 16);
  t.equal(encodedLength(3, 4, 1), 12);
  t.equal(encodedLength(3, 6, 2), 40);
  t.equal(encodedLength(3, 6, 255), 8 + 255 * 16);
});

t.test('checksum helpers reproduce the hand-worked checksums', async (t) => {
  const bytesOf = (text: string) => Uint8Array.from(ipaddr.parse(text).toByteArray());
  t.equal(internetChecksum(zeroedChecksum(v2Packet)), 0x7b73, 'v2: message only');
  t.ok(checksumVerifies(v2Packet), 'v2 packet verifies as received');
  t.notOk(checksumVerifies(withChecksum(v2Packet, 0x7b72)), 'and not with another checksum');
  const v4Pseudo = ipv4PseudoHeaderSum(bytesOf('192.0.2.1'), bytesOf('224.0.0.18'), 12);
  t.equal(internetChecksum(zeroedChecksum(v3v4WithPseudo), v4Pseudo), 0x05a4, 'v3 IPv4 with pseudo-header');
  t.equal(internetChecksum(zeroedChecksum(v3v4WithoutPseudo)), 0xa834, 'v3 IPv4 without');
  t.ok(checksumVerifies(v3v4WithPseudo, v4Pseudo));
  const v6Pseudo = ipv6PseudoHeaderSum(bytesOf('fe80::2'), bytesOf('ff02::12'), 40);
  t.equal(internetChecksum(zeroedChecksum(v3v6Packet), v6Pseudo), 0xa51c, 'v3 IPv6');
  t.ok(checksumVerifies(v3v6Packet, v6Pseudo));
  // An odd length is padded with a zero byte (RFC 1071): 0x0102 + 0x0300 = 0x0402.
  t.equal(internetChecksum(Uint8Array.of(1, 2, 3)), ~0x0402 & 0xffff);
});
