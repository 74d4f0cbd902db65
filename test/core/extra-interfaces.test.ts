// keepalived garp_extra_if (vrrp.c vrrp_send_vmac_update, vrrp_state_master_tx): while Master, the
// first periodic advert after each interval also announces, once, the first address on each extra
// interface; checked at the adverts, so the interval is rounded up to the next advert.
import t from 'tap';
import { Scenario, sendAdvert, startup, timeout, v2Config } from './scenario.js';
import { extraInterfaceAddresses } from '../../src/core/keepalived-extensions.js';
import { buildRouterConfig } from '../../src/model/router-config.js';

const announce = {
  repeat: 1,
  secondBurstDelayMs: 0,
  refreshIntervalMs: 0,
  refreshRepeat: 1,
  lowerPriorityRepeat: 1,
  lowerPrioritySecondBurstDelayMs: 0,
};
const placed = {
  virtualAddresses: ['192.0.2.100', '198.51.100.1', '198.51.100.2', '203.0.113.1'],
  addressInterfaces: { '198.51.100.1': 'eth1', '198.51.100.2': 'eth1', '203.0.113.1': 'eth2' },
};

t.test('the first address on each extra interface, in address order; never the own interface', async (t) => {
  const config = v2Config({
    ...placed,
    announce: { ...announce, extraInterfaceIntervalMs: 3000, extraInterfaces: ['eth2', 'eth1', 'eth0'] },
  });
  t.same(extraInterfaceAddresses(config, ['192.0.2.100', '198.51.100.1', '198.51.100.2', '203.0.113.1']), [
    '198.51.100.1',
    '203.0.113.1',
  ]);
  t.same(extraInterfaceAddresses(v2Config(placed), ['198.51.100.1']), [], 'none configured');
});

t.test('while Master: at the first advert after 3 s, then every 3 s; none as Backup', async (t) => {
  const s = new Scenario(
    v2Config({
      ...placed,
      priority: 255,
      announce: { ...announce, extraInterfaceIntervalMs: 3000, extraInterfaces: ['eth1', 'eth2'] },
    }),
  );
  s.at(0, startup);
  const extra = { kind: 'announceVips', addresses: ['198.51.100.1', '203.0.113.1'], count: 1 };
  t.strictSame(s.at(1000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(2000, timeout), [sendAdvert(s.config, 255)]);
  // keepalived compares with "later than": the advert at exactly 3 s does not, the next one does.
  t.strictSame(s.at(3000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(4000, timeout), [sendAdvert(s.config, 255), extra], 'first advert after 3 s');
  t.strictSame(s.at(5000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(6000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(7000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(8000, timeout), [sendAdvert(s.config, 255), extra], 'again after 3 s more');
});

t.test('buildRouterConfig: both fields or neither; checked', async (t) => {
  const base = {
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    primaryAddress: '192.0.2.10',
    virtualAddresses: ['192.0.2.100'],
  };
  const on = buildRouterConfig({ ...base, announce: { extraInterfaceIntervalMs: 60_000, extraInterfaces: ['eth1'] } });
  t.equal(on.announce.extraInterfaceIntervalMs, 60_000);
  t.same(on.announce.extraInterfaces, ['eth1']);
  const off = buildRouterConfig({ ...base, announce: { extraInterfaceIntervalMs: 60_000 } });
  t.notOk('extraInterfaceIntervalMs' in off.announce, 'no interfaces: off, left out');
  t.throws(() => buildRouterConfig({ ...base, announce: { extraInterfaceIntervalMs: -1, extraInterfaces: ['eth1'] } }));
  t.throws(
    () =>
      buildRouterConfig({ ...base, announce: { extraInterfaceIntervalMs: 1000, extraInterfaces: 'eth1' as never } }),
    /extraInterfaces: must be a list of interface names/,
  );
});
