// Interop with keepalived 2.2.7, VRRPv3 (0.5 s adverts): IPv4 multicast (checksum with the IPv4
// pseudo-header, both sides' default), IPv6 multicast and IPv4 unicast, as three instances in one
// keepalived and one runner. The story is in story.ts.

import t from 'tap';
import { skipReason } from '../netns/harness.js';
import { interopStory } from './story.js';

t.test('keepalived 2.2.7 and vrrp-engine, VRRPv3', { skip: skipReason(['keepalived']) ?? false }, async (t) => {
  await interopStory(t, 'iv3', [
    {
      vip: '192.0.2.61',
      spec: (_node, _peer, priority) => ({
        name: 'VI_v3',
        vrid: 61,
        version: 3,
        priority,
        advertIntervalCs: 50,
        virtualAddresses: ['192.0.2.61'],
      }),
      expect: { version: 3, intervalCs: 50 },
    },
    {
      vip: '2001:db8::62',
      spec: (_node, _peer, priority) => ({
        name: 'VI_v6',
        vrid: 62,
        version: 3,
        priority,
        advertIntervalCs: 50,
        virtualAddresses: ['2001:db8::62'],
      }),
      expect: { version: 3, intervalCs: 50 },
    },
    {
      vip: '192.0.2.63',
      spec: (_node, peer, priority) => ({
        name: 'VI_uni3',
        vrid: 63,
        version: 3,
        priority,
        advertIntervalCs: 50,
        virtualAddresses: ['192.0.2.63'],
        unicastPeers: [peer.ipv4],
      }),
      expect: { version: 3, intervalCs: 50 },
    },
  ]);
});
