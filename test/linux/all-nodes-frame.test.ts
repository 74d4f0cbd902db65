// The addon's sendAllNodesFrame takes only what a Router Advertisement is (an IPv6 frame to the
// all-nodes MAC), so it never becomes a general raw-frame sender; each refusal comes before any
// socket is opened (no root needed).
import t from 'tap';
import { loadNative } from '../../src/linux/native.js';
import { parseAddress } from '../../src/wire/address.js';
import { encodeRouterAdvertFrame } from '../../src/wire/router-advert.js';

const ra = encodeRouterAdvertFrame({
  sourceMac: Uint8Array.from([2, 0, 0x5e, 1, 0, 1]),
  sourceAddress: parseAddress('fe80::57', 6)!.bytes,
  curHopLimit: 64,
  routerLifetimeS: 48,
  reachableTimeMs: 0,
  retransTimerMs: 0,
  prefixes: [],
});

t.test('sendAllNodesFrame refuses anything but an IPv6 frame to 33:33:00:00:00:01', async (t) => {
  const native = loadNative();
  const notIpv6 = Uint8Array.from(ra);
  notIpv6[12] = 0x08;
  notIpv6[13] = 0x00;
  const unicast = Uint8Array.from(ra);
  unicast.set([2, 0, 0x5e, 1, 0, 2], 0);
  const cases: [unknown, RegExp][] = [
    [Array.from(ra), /frame must be a Uint8Array/],
    [ra.subarray(0, 40), /Ethernet header and an IPv6 packet/],
    [new Uint8Array(1515), /Ethernet header and an IPv6 packet/],
    [notIpv6, /EtherType 0x86dd/],
    [unicast, /all-nodes MAC/],
  ];
  for (const [frame, message] of cases) {
    t.throws(
      () => native.sendAllNodesFrame({ interface: 'lo', frame: frame as Uint8Array }),
      { message },
      String(message),
    );
  }
});
