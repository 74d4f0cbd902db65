// Interop with keepalived 2.2.7, VRRPv2 (1 s adverts): plain multicast, PASS authentication and
// unicast, as three instances in one keepalived and one runner. The story is in story.ts.

import t from 'tap';
import { skipReason } from '../netns/harness.js';
import { interopStory } from './story.js';

t.test('keepalived 2.2.7 and vrrp-engine, VRRPv2', { skip: skipReason(['keepalived']) ?? false }, async (t) => {
  await interopStory(t, 'iv2', [
    {
      vip: '192.0.2.51',
      spec: (_node, _peer, priority) => ({
        name: 'VI_v2',
        vrid: 51,
        version: 2,
        priority,
        advertIntervalCs: 100,
        virtualAddresses: ['192.0.2.51'],
      }),
      expect: { version: 2, intervalCs: 100 },
    },
    {
      vip: '192.0.2.52',
      spec: (_node, _peer, priority) => ({
        name: 'VI_pass',
        vrid: 52,
        version: 2,
        priority,
        advertIntervalCs: 100,
        virtualAddresses: ['192.0.2.52'],
        auth: { type: 'pass', password: 'secret12' },
      }),
      expect: { version: 2, intervalCs: 100, authString: 'secret12' },
    },
    {
      vip: '192.0.2.53',
      spec: (_node, peer, priority) => ({
        name: 'VI_uni2',
        vrid: 53,
        version: 2,
        priority,
        advertIntervalCs: 100,
        virtualAddresses: ['192.0.2.53'],
        unicastPeers: [peer.ipv4],
      }),
      expect: { version: 2, intervalCs: 100 },
    },
  ]);
});
