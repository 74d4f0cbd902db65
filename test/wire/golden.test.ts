// Golden packets: adverts captured from real keepalived 2.2.7 (test/golden/capture.sh, see its README),
// decoded field by field against the configuration that produced them, then encoded again into a dirty
// buffer and compared with keepalived's bytes. Reads only the committed pcaps: no root, no keepalived.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAdvert, encodeAdvert, passwordToAuthData } from '../../src/wire/codec.js';
import { parseIpPacket } from '../../src/wire/ip.js';
import {
  AUTH_NONE,
  AUTH_SIMPLE_PASSWORD,
  VRRP_IP_PROTOCOL,
  VRRP_MULTICAST_V4,
  VRRP_MULTICAST_V6,
  VRRP_TTL,
  type ChecksumForm,
  type IpFamily,
  type VrrpVersion,
} from '../../src/wire/types.js';
import { LINKTYPE_ETHERNET, readPcap } from '../helpers/pcap.js';

// Compiled to dist/test/wire/; the captures stay in the source tree.
const goldenDir = join(fileURLToPath(import.meta.url), '../../../../test/golden');

/** The LAN capture.sh builds: keepalived runs in r1; r2 only answers ARP for unicast. */
const R1_IPV4 = '192.0.2.1';
const R1_LINK_LOCAL = 'fe80::5eff:fe00:c001'; // EUI-64 of r1's fixed MAC 02:00:5e:00:c0:01
const R1_MAC = '02:00:5e:00:c0:01';
const R2_IPV4 = '192.0.2.2';
const R2_MAC = '02:00:5e:00:c0:02';

interface GoldenCase {
  /** File stem in test/golden. */
  readonly name: string;
  readonly why: string;
  readonly version: VrrpVersion;
  readonly family: IpFamily;
  readonly vrid: number;
  readonly priority: number;
  /** keepalived.conf `advert_int` as written there (seconds, may be fractional for v3). */
  readonly advertInt: string;
  readonly advertIntervalCs: number;
  readonly addresses: readonly string[];
  /** keepalived.conf `auth_pass`, for v2 PASS authentication. */
  readonly password?: string;
  /** The 8 bytes keepalived is expected to put on the wire for that password. */
  readonly authDataText?: string;
  readonly destination: string;
  readonly destinationMac: string;
  readonly checksumForm: ChecksumForm;
}

const cases: readonly GoldenCase[] = [
  {
    name: 'v2-ipv4',
    why: 'VRRPv2 multicast, two VIPs, no authentication',
    version: 2,
    family: 4,
    vrid: 51,
    priority: 150,
    advertInt: '1',
    advertIntervalCs: 100,
    addresses: ['192.0.2.100', '192.0.2.101'],
    destination: VRRP_MULTICAST_V4,
    destinationMac: '01:00:5e:00:00:12',
    checksumForm: 'v2',
  },
  {
    name: 'v2-pass',
    why: 'VRRPv2 simple password of exactly 8 bytes',
    version: 2,
    family: 4,
    vrid: 51,
    priority: 150,
    advertInt: '1',
    advertIntervalCs: 100,
    addresses: ['192.0.2.100', '192.0.2.101'],
    password: 'secret12',
    authDataText: 'secret12',
    destination: VRRP_MULTICAST_V4,
    destinationMac: '01:00:5e:00:00:12',
    checksumForm: 'v2',
  },
  {
    name: 'v2-pass-long',
    why: 'an 11-byte auth_pass: keepalived warns and sends the first 8 bytes',
    version: 2,
    family: 4,
    vrid: 51,
    priority: 150,
    advertInt: '1',
    advertIntervalCs: 100,
    addresses: ['192.0.2.100', '192.0.2.101'],
    password: 'secret12345',
    authDataText: 'secret12',
    destination: VRRP_MULTICAST_V4,
    destinationMac: '01:00:5e:00:00:12',
    checksumForm: 'v2',
  },
  {
    name: 'v2-pass-short',
    why: 'a 3-byte auth_pass: zero padded to 8 bytes',
    version: 2,
    family: 4,
    vrid: 51,
    priority: 150,
    advertInt: '1',
    advertIntervalCs: 100,
    addresses: ['192.0.2.100', '192.0.2.101'],
    password: 'abc',
    authDataText: 'abc\0\0\0\0\0',
    destination: VRRP_MULTICAST_V4,
    destinationMac: '01:00:5e:00:00:12',
    checksumForm: 'v2',
  },
  {
    name: 'v3-ipv4',
    why: 'VRRPv3 over IPv4: keepalived 2.2.7 includes the pseudo-header (RFC 5798 reading)',
    version: 3,
    family: 4,
    vrid: 52,
    priority: 150,
    advertInt: '1',
    advertIntervalCs: 100,
    addresses: ['192.0.2.110', '192.0.2.111'],
    destination: VRRP_MULTICAST_V4,
    destinationMac: '01:00:5e:00:00:12',
    checksumForm: 'v3-pseudo-header',
  },
  {
    name: 'v3-ipv4-fast',
    why: 'VRRPv3 advert_int 0.1: 10 centiseconds on the wire',
    version: 3,
    family: 4,
    vrid: 52,
    priority: 200,
    advertInt: '0.1',
    advertIntervalCs: 10,
    addresses: ['192.0.2.110'],
    destination: VRRP_MULTICAST_V4,
    destinationMac: '01:00:5e:00:00:12',
    checksumForm: 'v3-pseudo-header',
  },
  {
    name: 'v3-ipv6',
    why: 'VRRPv3 over IPv6 from the link-local source; keepalived sends the configured VIPs only',
    version: 3,
    family: 6,
    vrid: 53,
    priority: 150,
    advertInt: '1',
    advertIntervalCs: 100,
    addresses: ['2001:db8::100', '2001:db8::101'],
    destination: VRRP_MULTICAST_V6,
    destinationMac: '33:33:00:00:00:12',
    checksumForm: 'v3-pseudo-header',
  },
  {
    name: 'v3-ipv6-linklocal',
    why: 'VRRPv3 over IPv6 with a link-local VIP configured first: sent first, in configuration order',
    version: 3,
    family: 6,
    vrid: 53,
    priority: 150,
    advertInt: '1',
    advertIntervalCs: 100,
    addresses: ['fe80::53', '2001:db8::100'],
    destination: VRRP_MULTICAST_V6,
    destinationMac: '33:33:00:00:00:12',
    checksumForm: 'v3-pseudo-header',
  },
  {
    name: 'unicast',
    why: 'VRRPv2 unicast_peer: sent to the peer, TTL still 255',
    version: 2,
    family: 4,
    vrid: 51,
    priority: 150,
    advertInt: '1',
    advertIntervalCs: 100,
    addresses: ['192.0.2.100', '192.0.2.101'],
    destination: R2_IPV4,
    destinationMac: R2_MAC,
    checksumForm: 'v2',
  },
  {
    name: 'unicast-v3',
    why: 'VRRPv3 unicast_peer: the pseudo-header carries the peer, the actual destination',
    version: 3,
    family: 4,
    vrid: 52,
    priority: 150,
    advertInt: '1',
    advertIntervalCs: 100,
    addresses: ['192.0.2.110', '192.0.2.111'],
    destination: R2_IPV4,
    destinationMac: R2_MAC,
    checksumForm: 'v3-pseudo-header',
  },
];

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The test's expectations must describe the committed configuration, not an imagined one. */
function checkAgainstConf(t: Test, golden: GoldenCase): void {
  const conf = readFileSync(join(goldenDir, `${golden.name}.conf`), 'utf8');
  const setting = (key: string): string | undefined => conf.match(new RegExp(`^\\s*${key}\\s+(\\S+)`, 'm'))?.[1];
  t.equal(setting('vrrp_version'), String(golden.version), 'conf: vrrp_version');
  t.equal(setting('virtual_router_id'), String(golden.vrid), 'conf: virtual_router_id');
  t.equal(setting('priority'), String(golden.priority), 'conf: priority');
  t.equal(setting('advert_int'), golden.advertInt, 'conf: advert_int');
  t.equal(setting('auth_pass'), golden.password, 'conf: auth_pass');
  const vipBlock = conf.match(/virtual_ipaddress\s*\{([^}]*)\}/)?.[1] ?? '';
  const configuredVips = vipBlock
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((cidr) => cidr.split('/')[0]);
  t.same(configuredVips, golden.addresses, 'conf: virtual_ipaddress, in order');
  if (golden.destination === R2_IPV4) {
    t.equal(setting('unicast_src_ip'), R1_IPV4, 'conf: unicast_src_ip');
    t.match(conf, new RegExp(`unicast_peer\\s*\\{\\s*${golden.destination.replaceAll('.', '\\.')}\\s*\\}`));
  }
}

for (const golden of cases) {
  t.test(`${golden.name}: ${golden.why}`, async (t) => {
    checkAgainstConf(t, golden);

    const capture = readPcap(readFileSync(join(goldenDir, `${golden.name}.pcap`)));
    t.equal(capture.error, undefined, 'pcap read to the end');
    t.equal(capture.linkType, LINKTYPE_ETHERNET);
    t.equal(capture.skippedFrames, 0, 'the capture filter kept VRRP only');
    t.ok(capture.packets.length >= 4, `${capture.packets.length} adverts captured`);

    const source = golden.family === 4 ? R1_IPV4 : R1_LINK_LOCAL;
    const expectedAuthData =
      golden.authDataText === undefined
        ? golden.version === 2
          ? new Uint8Array(8)
          : new Uint8Array(0)
        : new TextEncoder().encode(golden.authDataText);

    capture.packets.forEach((frame, index) => {
      const last = index === capture.packets.length - 1;
      const label = `frame ${frame.frameNumber}`;
      t.equal(frame.sourceMac, R1_MAC, `${label}: sent from r1's own MAC (no use_vmac)`);
      t.equal(frame.destinationMac, golden.destinationMac, `${label}: Ethernet destination`);

      const ip = parseIpPacket(frame.ip);
      if (!ip.ok) return t.fail(`${label}: IP header refused: ${ip.reason} ${ip.detail ?? ''}`);
      t.equal(ip.protocol, VRRP_IP_PROTOCOL, `${label}: protocol 112`);
      t.equal(ip.meta.ttl, VRRP_TTL, `${label}: TTL / hop limit 255`);
      t.same(
        { family: ip.meta.family, source: ip.meta.sourceAddress, destination: ip.meta.destinationAddress },
        { family: golden.family, source, destination: golden.destination },
        `${label}: addresses`,
      );
      if (golden.family === 4) {
        // keepalived marks its adverts Internet Control precedence (TOS 0xc0) and sets no DF.
        t.equal(frame.ip[1], 0xc0, `${label}: TOS 0xc0`);
        t.equal(frame.ip[6]! & 0x40, 0, `${label}: DF clear`);
      } else {
        const trafficClass = ((frame.ip[0]! & 0x0f) << 4) | (frame.ip[1]! >> 4);
        t.equal(trafficClass, 0xc0, `${label}: traffic class 0xc0`);
      }

      const decoded = decodeAdvert(ip.payload, ip.meta);
      if (!decoded.ok) return t.fail(`${label}: decode refused: ${decoded.reason} ${decoded.detail ?? ''}`);
      const { advert } = decoded;
      // keepalived's last advert is the one it sends on SIGTERM: priority 0, everything else unchanged.
      const expectedPriority = last ? 0 : golden.priority;
      t.same(
        {
          version: advert.version,
          vrid: advert.vrid,
          priority: advert.priority,
          advertIntervalCs: advert.advertIntervalCs,
          addresses: advert.addresses,
          authType: advert.authType,
          authData: hex(advert.authData),
          checksum: advert.checksum,
          checksumForm: decoded.checksumForm,
        },
        {
          version: golden.version,
          vrid: golden.vrid,
          priority: expectedPriority,
          advertIntervalCs: golden.advertIntervalCs,
          addresses: golden.addresses,
          authType: golden.password === undefined ? AUTH_NONE : AUTH_SIMPLE_PASSWORD,
          authData: hex(expectedAuthData),
          checksum: (ip.payload[6]! << 8) | ip.payload[7]!,
          checksumForm: golden.checksumForm,
        },
        `${label}: decoded fields${last ? ' (the priority-0 advert sent on SIGTERM)' : ''}`,
      );
      if (golden.version === 3) t.equal(ip.payload[4]! >> 4, 0, `${label}: v3 reserved bits sent as zero`);

      const options = {
        family: golden.family,
        sourceAddress: ip.meta.sourceAddress,
        destinationAddress: ip.meta.destinationAddress,
        v3Ipv4PseudoHeader: golden.checksumForm !== 'v3-no-pseudo-header',
      };
      const slack = 8;
      const dirty = Buffer.alloc(ip.payload.length + slack, 0xa5);
      const reencoded = encodeAdvert(advert, options, dirty);
      t.equal(hex(reencoded), hex(ip.payload), `${label}: decoded advert re-encodes to keepalived's bytes`);
      t.equal(hex(dirty.subarray(ip.payload.length)), 'a5'.repeat(slack), `${label}: nothing written past the advert`);

      // Straight from configuration, as the engine will send it.
      const fromConfig = encodeAdvert(
        {
          version: golden.version,
          vrid: golden.vrid,
          priority: expectedPriority,
          advertIntervalCs: golden.advertIntervalCs,
          addresses: golden.addresses,
          ...(golden.password === undefined
            ? {}
            : { authType: AUTH_SIMPLE_PASSWORD, authData: passwordToAuthData(golden.password) }),
        },
        options,
        Buffer.alloc(ip.payload.length, 0xa5),
      );
      t.equal(hex(fromConfig), hex(ip.payload), `${label}: the configuration encodes to keepalived's bytes`);
    });

    t.equal(
      capture.packets.filter((frame) => {
        const ip = parseIpPacket(frame.ip);
        return ip.ok && ip.payload[2] === 0;
      }).length,
      1,
      'exactly one priority-0 advert, sent on SIGTERM',
    );
  });
}

t.test('keepalived 2.2.7 IPv6 address list does not start with a link-local address', async (t) => {
  // RFC 9568 5.2.9 says the first IPv6 address MUST be the virtual router's link-local address. keepalived
  // sends the configured VIPs in configuration order, so a receiver that insists on RFC 9568 here would
  // drop every keepalived IPv6 advert. This pins the observed behaviour for whoever writes receive checks.
  const capture = readPcap(readFileSync(join(goldenDir, 'v3-ipv6.pcap')));
  const first = capture.packets[0];
  if (first === undefined) return t.fail('no packets');
  const ip = parseIpPacket(first.ip);
  if (!ip.ok) return t.fail(ip.reason);
  const decoded = decodeAdvert(ip.payload, ip.meta);
  if (!decoded.ok) return t.fail(decoded.reason);
  t.equal(decoded.advert.addresses[0], '2001:db8::100');
  t.notOk(decoded.advert.addresses[0]!.startsWith('fe80:'), 'first address is a global VIP');
});

t.test('a v3 IPv4 capture fails the checksum when the pseudo-header is left out', async (t) => {
  // Shows which form keepalived 2.2.7 sends (it has no v3_checksum_as_v2): re-encoding without the
  // pseudo-header gives other bytes, and the decoder labels the received form.
  const capture = readPcap(readFileSync(join(goldenDir, 'v3-ipv4.pcap')));
  const first = capture.packets[0];
  if (first === undefined) return t.fail('no packets');
  const ip = parseIpPacket(first.ip);
  if (!ip.ok) return t.fail(ip.reason);
  const decoded = decodeAdvert(ip.payload, ip.meta);
  if (!decoded.ok) return t.fail(decoded.reason);
  t.equal(decoded.checksumForm, 'v3-pseudo-header');
  const withoutPseudo = encodeAdvert(decoded.advert, {
    family: 4,
    sourceAddress: ip.meta.sourceAddress,
    destinationAddress: ip.meta.destinationAddress,
    v3Ipv4PseudoHeader: false,
  });
  t.not(hex(withoutPseudo), hex(ip.payload), 'RFC 9568 form differs from what keepalived sent');
  t.same(hex(withoutPseudo.subarray(0, 6)), hex(ip.payload.subarray(0, 6)), 'only the checksum differs (header)');
  t.same(hex(withoutPseudo.subarray(8)), hex(ip.payload.subarray(8)), 'only the checksum differs (addresses)');
});

t.test('v3 unicast: the checksum only verifies against the actual destination', async (t) => {
  // keepalived 2.2.7 puts the peer into the pseudo-header. A receiver that fed the multicast group (or
  // anything but the address the packet was sent to) into PacketMeta would drop every unicast v3 advert.
  const capture = readPcap(readFileSync(join(goldenDir, 'unicast-v3.pcap')));
  const first = capture.packets[0];
  if (first === undefined) return t.fail('no packets');
  const ip = parseIpPacket(first.ip);
  if (!ip.ok) return t.fail(ip.reason);
  t.equal(ip.meta.destinationAddress, R2_IPV4);
  t.ok(decodeAdvert(ip.payload, ip.meta).ok, 'accepted with the peer as destination');
  const asIfMulticast = decodeAdvert(ip.payload, { ...ip.meta, destinationAddress: VRRP_MULTICAST_V4 });
  t.equal(asIfMulticast.ok ? 'ok' : asIfMulticast.reason, 'bad-checksum', 'refused with 224.0.0.18 as destination');
});

t.test('every single-bit flip of a captured advert, or of its addresses, is refused', async (t) => {
  // The checksum covers every byte of the message (and, for v3, the pseudo-header), so no corruption of
  // a real keepalived packet may decode as some other valid advert.
  let flips = 0;
  for (const golden of cases) {
    const frame = readPcap(readFileSync(join(goldenDir, `${golden.name}.pcap`))).packets[0];
    const ip = frame === undefined ? undefined : parseIpPacket(frame.ip);
    if (ip === undefined || !ip.ok) return t.fail(`${golden.name}: no parsable advert`);
    const accepted: string[] = [];
    for (let bit = 0; bit < ip.payload.length * 8; bit++) {
      const corrupt = Uint8Array.from(ip.payload);
      corrupt[bit >> 3]! ^= 0x80 >> (bit & 7);
      flips += 1;
      if (decodeAdvert(corrupt, ip.meta).ok) accepted.push(`payload bit ${bit}`);
    }
    if (golden.version === 3) {
      // Flip bits of the source and destination as the IP layer reports them: the pseudo-header must notice.
      const ipHeaderBytes = golden.family === 4 ? 20 : 40;
      const addressStart = golden.family === 4 ? 12 : 8;
      for (let bit = addressStart * 8; bit < ipHeaderBytes * 8; bit++) {
        const corruptIp = Uint8Array.from(frame!.ip);
        corruptIp[bit >> 3]! ^= 0x80 >> (bit & 7);
        if (golden.family === 4) {
          // Keep the IPv4 header checksum valid so the flip reaches the VRRP checksum.
          corruptIp[10] = 0;
          corruptIp[11] = 0;
          let sum = 0;
          for (let i = 0; i < 20; i += 2) sum += (corruptIp[i]! << 8) | corruptIp[i + 1]!;
          while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
          corruptIp[10] = (~sum >> 8) & 0xff;
          corruptIp[11] = ~sum & 0xff;
        }
        const reparsed = parseIpPacket(corruptIp);
        if (!reparsed.ok) return t.fail(`${golden.name}: corrupt address broke the IP parse: ${reparsed.reason}`);
        flips += 1;
        if (decodeAdvert(reparsed.payload, reparsed.meta).ok) accepted.push(`IP header bit ${bit}`);
      }
    }
    t.same(accepted, [], `${golden.name}: no flipped bit accepted`);
  }
  t.ok(flips >= cases.length * 20 * 8, `${flips} flips tried (every advert is at least 20 bytes)`);
});
