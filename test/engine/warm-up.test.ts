// The start-up warm-up really runs the Master path (so V8 has compiled it before the first takeover),
// and touches nothing outside its private engine.
import t from 'tap';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { warmUpProtocolPaths } from '../../src/engine/warm-up.js';

t.test('warm-up: every round is a takeover and a step-down, for each configuration shape', async (t) => {
  const v2 = buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
    auth: { type: 'pass', password: 'secret12' },
  });
  const v3 = buildRouterConfig({
    name: 'VI_2',
    interface: 'eth0',
    vrid: 52,
    version: 3,
    priority: 255,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.101'],
  });
  const v6 = buildRouterConfig({
    name: 'VI_3',
    interface: 'eth0',
    vrid: 53,
    primaryAddress: 'fe80::1',
    virtualAddresses: ['2001:db8::100'],
  });
  const unicast = buildRouterConfig({
    name: 'VI_4',
    interface: 'eth0',
    vrid: 54,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.102'],
    unicastPeers: ['192.0.2.2'],
  });
  const again = buildRouterConfig({
    name: 'VI_5',
    interface: 'eth1',
    vrid: 55,
    primaryAddress: '198.51.100.1',
    virtualAddresses: ['198.51.100.100'],
  });
  t.same(
    warmUpProtocolPaths([v2, v3, v6, unicast, again], 10),
    { takeovers: 40, stepDowns: 40 },
    'four shapes (v2, v3, v3 IPv6, unicast) x 10 rounds',
  );
  t.equal(v3.priority, 255, 'the configurations themselves are untouched (the owner is warmed up as 254 on a copy)');
});
