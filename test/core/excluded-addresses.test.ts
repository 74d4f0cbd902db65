// keepalived's virtual_ipaddress_excluded in the core: addresses a Master adds, removes and announces
// with its VIPs, of either family, that no advert lists and no received address list is checked
// against. And addressInterfaces (keepalived `dev`): only compared on reconfigure, so an address that
// moves to another interface is removed and added again. v2 at 1 s, priority 150: Master at 3414.0625 ms.
import t from 'tap';
import type { VirtualRouterConfig } from '../../src/core/types.js';
import {
  Scenario,
  advertFor,
  advertInput,
  ofKind,
  sendAdvert,
  shutdown,
  startup,
  stateChange,
  timeout,
  v2Config,
} from './scenario.js';

const MASTER_AT = 3414.0625;
const VIPS = ['192.0.2.100', '192.0.2.101'];
const EXCLUDED = ['2001:db8::200', '198.51.100.7'];

function masterScenario(config: VirtualRouterConfig): Scenario {
  const s = new Scenario(config);
  s.at(0, startup);
  s.at(MASTER_AT, timeout);
  if (s.state !== 'Master') throw new Error('not Master');
  return s;
}

t.test(
  'taking over: the advert lists only the VIPs; the VIPs and then the excluded addresses are added and announced',
  async (t) => {
    const config = v2Config({ priority: 150, virtualAddresses: VIPS, excludedAddresses: EXCLUDED });
    const s = new Scenario(config);
    s.at(0, startup);
    t.strictSame(s.at(MASTER_AT, timeout), [
      sendAdvert(config, 150),
      { kind: 'addVips', addresses: [...VIPS, ...EXCLUDED], acceptMode: config.acceptMode },
      { kind: 'announceVips', addresses: [...VIPS, ...EXCLUDED], count: 5 },
      stateChange('Backup', 'Master', 'master-down-timer', 150),
    ]);
    const advert = s.at(MASTER_AT + 1000, timeout);
    t.strictSame(advert, [sendAdvert(config, 150)], 'each advert lists the VIPs only');
    t.strictSame(
      ofKind(s.at(MASTER_AT + 5000, timeout), 'announceVips'),
      [{ kind: 'announceVips', addresses: [...VIPS, ...EXCLUDED], count: 5 }],
      'the second burst too',
    );
  },
);

t.test('leaving Master (shutdown, a higher priority) removes the excluded addresses with the VIPs', async (t) => {
  const config = v2Config({ priority: 150, virtualAddresses: VIPS, excludedAddresses: EXCLUDED });
  const s = masterScenario(config);
  t.strictSame(
    ofKind(s.at(4000, advertInput(advertFor(config, { priority: 200, from: '192.0.2.30' }))), 'removeVips'),
    [{ kind: 'removeVips', addresses: [...VIPS, ...EXCLUDED] }],
  );
  const again = masterScenario(config);
  const actions = again.at(4000, shutdown);
  t.strictSame(
    actions.map((a) => a.kind),
    ['sendAdvert', 'removeVips', 'stateChange'],
  );
  t.strictSame(ofKind(actions, 'removeVips'), [{ kind: 'removeVips', addresses: [...VIPS, ...EXCLUDED] }]);
});

t.test(
  'a received advert is checked against the VIPs only: its list never has to hold the excluded addresses',
  async (t) => {
    const config = v2Config({
      priority: 100,
      strictAddressList: true,
      virtualAddresses: VIPS,
      excludedAddresses: ['192.0.2.200'],
    });
    const s = new Scenario(config);
    s.at(0, startup);
    t.strictSame(
      s.at(1000, advertInput(advertFor(config, { priority: 200 }))),
      [],
      'the VIPs alone: accepted, nothing to report',
    );
    const withExcluded = s.at(
      2000,
      advertInput(advertFor(config, { priority: 200, addresses: [...VIPS, '192.0.2.200'] })),
    );
    t.match(
      withExcluded,
      [{ kind: 'dropped', reason: 'address-list-mismatch' }],
      'an advert that lists them is another list (strict: dropped)',
    );
  },
);

t.test('reconfigure: excluded addresses that come and go, and an address moving to another interface', async (t) => {
  const config = v2Config({
    priority: 150,
    virtualAddresses: VIPS,
    excludedAddresses: ['198.51.100.7', '198.51.100.8'],
  });
  const s = masterScenario(config);
  const next: VirtualRouterConfig = { ...config, excludedAddresses: ['198.51.100.8', '2001:db8::9'] };
  t.strictSame(s.router.reconfigure(next, 4000), [
    { kind: 'removeVips', addresses: ['198.51.100.7'] },
    { kind: 'addVips', addresses: ['2001:db8::9'], acceptMode: config.acceptMode },
    { kind: 'announceVips', addresses: ['2001:db8::9'], count: 5 },
  ]);
  t.strictSame(s.at(MASTER_AT + 1000, timeout), [sendAdvert(next, 150)], 'the adverts are unchanged');

  const moved: VirtualRouterConfig = { ...next, addressInterfaces: { '192.0.2.101': 'eth1' } };
  t.strictSame(
    s.router.reconfigure(moved, 4500),
    [
      { kind: 'removeVips', addresses: ['192.0.2.101'] },
      { kind: 'addVips', addresses: ['192.0.2.101'], acceptMode: config.acceptMode },
      { kind: 'announceVips', addresses: ['192.0.2.101'], count: 5 },
    ],
    'removed (the engine takes it off the old interface) and added on the new one',
  );
  t.strictSame(s.router.reconfigure({ ...moved }, 4600), [], 'the same placement again changes nothing');

  const none: VirtualRouterConfig = { ...moved, excludedAddresses: [] };
  t.strictSame(s.router.reconfigure(none, 4700), [{ kind: 'removeVips', addresses: ['198.51.100.8', '2001:db8::9'] }]);
});

t.test('a Backup only remembers new excluded addresses and adds them when it takes over', async (t) => {
  const config = v2Config({ priority: 150 });
  const s = new Scenario(config);
  s.at(0, startup);
  const next: VirtualRouterConfig = { ...config, excludedAddresses: ['2001:db8::9'] };
  t.strictSame(s.router.reconfigure(next, 1000), []);
  t.strictSame(ofKind(s.at(MASTER_AT, timeout), 'addVips'), [
    { kind: 'addVips', addresses: [...config.virtualAddresses, '2001:db8::9'], acceptMode: config.acceptMode },
  ]);
});
