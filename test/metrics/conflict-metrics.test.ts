// The split-brain series of /metrics (conflictMetricsText): one gauge line per open conflict with the
// other node's MAC and address as labels, and the totals.
import t from 'tap';
import { conflictMetricsText } from '../../src/metrics/conflict-metrics.js';

t.test('conflict metrics: a gauge line per open conflict naming the other node, then the totals', async (t) => {
  const text = conflictMetricsText({
    conflicts: () => ({
      active: [
        {
          address: '192.0.2.100',
          router: 'VI_1',
          role: 'master',
          macs: ['02:00:5e:01:00:02'],
          sender: undefined,
          advertSource: '192.0.2.2',
        },
        {
          address: '2001:db8::100',
          router: 'VI_6',
          role: 'backup',
          macs: ['02:00:00:00:00:0b', '02:00:00:00:00:0c'],
          sender: 'fe80::b',
        },
      ],
      started: 3,
      claims: 17,
      probes: 4,
      collisionsSeen: 2,
    }),
  });
  const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  t.same(samples, [
    'vrrp_vip_conflict{instance="VI_1",address="192.0.2.100",role="master",other_mac="02:00:5e:01:00:02",other_address="192.0.2.2"} 1',
    'vrrp_vip_conflict{instance="VI_6",address="2001:db8::100",role="backup",other_mac="02:00:00:00:00:0b,02:00:00:00:00:0c",other_address="fe80::b"} 1',
    'vrrp_vip_conflicts_total 3',
    'vrrp_vip_claims_total 17',
    'vrrp_vrid_collisions_total 2',
    'vrrp_vip_probes_total 4',
  ]);
  t.match(text, /# TYPE vrrp_vip_conflict gauge/);
  t.match(text, /# TYPE vrrp_vip_conflicts_total counter/);
});
