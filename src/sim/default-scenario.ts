// The scenario `vrrp-sim` runs with no arguments: three keepalived-style routers on one LAN, the Master
// killed at 10 s (the 100 takes over after its Master_Down_Interval) and brought back at 20 s (it
// preempts once its own down timer expires, since the 100's adverts are lower than its 150).

export const DEFAULT_SCENARIO_JSON = {
  name: 'three-routers-master-killed',
  description:
    'r1 (150), r2 (100), r3 (50) share VRID 51 on lan0 (VRRPv2, 1 s adverts); r1 crashes at 10 s and returns at 20 s',
  durationS: 30,
  lans: [{ name: 'lan0', latencyMs: 0.5, jitterMs: 0.2 }],
  nodes: [
    {
      name: 'r1',
      interfaces: [{ name: 'eth0', lan: 'lan0', ipv4: '192.0.2.1' }],
      routers: [{ interface: 'eth0', vrid: 51, priority: 150, vips: ['192.0.2.100'] }],
    },
    {
      name: 'r2',
      interfaces: [{ name: 'eth0', lan: 'lan0', ipv4: '192.0.2.2' }],
      routers: [{ interface: 'eth0', vrid: 51, priority: 100, vips: ['192.0.2.100'] }],
    },
    {
      name: 'r3',
      interfaces: [{ name: 'eth0', lan: 'lan0', ipv4: '192.0.2.3' }],
      routers: [{ interface: 'eth0', vrid: 51, priority: 50, vips: ['192.0.2.100'] }],
    },
  ],
  events: [
    { atS: 10, kind: 'crash', node: 'r1' },
    { atS: 20, kind: 'restart', node: 'r1' },
  ],
} as const;
