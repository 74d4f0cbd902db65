// The Router Advertisement frame a Master sends (RFC 4861 4.2), byte by byte, and its ICMPv6 checksum
// checked against a pseudo-header written out in full.
import t from 'tap';
import { parseAddress } from '../../src/wire/address.js';
import { encodeRouterAdvertFrame, type RouterAdvertFields } from '../../src/wire/router-advert.js';

const VMAC = Uint8Array.from([0x00, 0x00, 0x5e, 0x00, 0x02, 0x33]);
const SOURCE = parseAddress('fe80::33', 6)!.bytes;

/** RFC 1071 over an explicit IPv6 pseudo-header (RFC 8200 8.1) and the message as sent: 0 when right. */
function pseudoHeaderResidue(frame: Uint8Array): number {
  const ip = frame.subarray(14, 54);
  const message = frame.subarray(54);
  const pseudo = new Uint8Array(40 + message.length + (message.length % 2));
  pseudo.set(ip.subarray(8, 24), 0);
  pseudo.set(ip.subarray(24, 40), 16);
  new DataView(pseudo.buffer).setUint32(32, message.length);
  pseudo[39] = 58;
  pseudo.set(message, 40);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += (pseudo[i]! << 8) | pseudo[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const BASE: RouterAdvertFields = {
  sourceMac: VMAC,
  sourceAddress: SOURCE,
  curHopLimit: 64,
  routerLifetimeS: 48,
  reachableTimeMs: 0,
  retransTimerMs: 0,
  prefixes: [],
};

t.test('router advert frame: Ethernet, IPv6 and RA header with the source link-layer option', async (t) => {
  const frame = encodeRouterAdvertFrame(BASE);
  t.equal(frame.length, 14 + 40 + 16 + 8);
  t.equal(hex(frame.subarray(0, 14)), '333300000001' + '00005e000233' + '86dd', 'to the all-nodes MAC from the VMAC');
  const ip = frame.subarray(14, 54);
  t.equal(hex(ip.subarray(0, 8)), '60000000' + '0018' + '3a' + 'ff', 'version 6, payload 24, ICMPv6, hop limit 255');
  t.equal(hex(ip.subarray(8, 24)), 'fe800000000000000000000000000033', 'from the virtual link-local');
  t.equal(hex(ip.subarray(24, 40)), 'ff020000000000000000000000000001', 'to ff02::1');
  const ra = frame.subarray(54);
  t.equal(ra[0], 134, 'type Router Advertisement');
  t.equal(ra[1], 0, 'code 0');
  t.equal(
    hex(ra.subarray(4, 16)),
    '40' + '00' + '0030' + '00000000' + '00000000',
    'hop limit 64, no flags, lifetime 48 s',
  );
  t.equal(hex(ra.subarray(16, 24)), '0101' + '00005e000233', 'source link-layer address option: the VMAC');
  t.equal(pseudoHeaderResidue(frame), 0, 'the checksum verifies over the pseudo-header');
  t.not(ra[2]! | ra[3]!, 0, 'a checksum is there');
});

t.test('router advert frame: MTU and prefix information options; lifetime 0 for the final RA', async (t) => {
  const frame = encodeRouterAdvertFrame({
    ...BASE,
    routerLifetimeS: 0,
    mtu: 1500,
    prefixes: [
      {
        prefix: parseAddress('2001:db8:1::', 6)!.bytes,
        length: 64,
        onLink: true,
        autonomous: false,
        validLifetimeS: 0xffffffff,
        preferredLifetimeS: 3600,
      },
    ],
  });
  t.equal(frame.length, 14 + 40 + 16 + 8 + 8 + 32);
  const ra = frame.subarray(54);
  t.equal(hex(ra.subarray(6, 8)), '0000', 'router lifetime 0');
  t.equal(hex(ra.subarray(24, 32)), '0501' + '0000' + '000005dc', 'MTU option 1500');
  t.equal(
    hex(ra.subarray(32, 64)),
    '0304' + '40' + '80' + 'ffffffff' + '00000e10' + '00000000' + '20010db8000100000000000000000000',
    'prefix option: /64, L set, A clear, lifetimes, the prefix',
  );
  t.equal(new DataView(frame.buffer).getUint16(14 + 4), 64, 'payload length counts every option');
  t.equal(pseudoHeaderResidue(frame), 0, 'the checksum verifies over the pseudo-header');
});
