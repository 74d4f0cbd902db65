import t from 'tap';
import { buildRouterConfig, DEFAULT_ANNOUNCE } from '../../src/model/router-config.js';
import { ConfigError } from '../../src/model/config-error.js';

const minimal = {
  name: 'VI_1',
  interface: 'eth0',
  vrid: 51,
  primaryAddress: '192.0.2.10',
  virtualAddresses: ['192.0.2.100'],
};

t.test('keepalived defaults fill an IPv4 router', async (t) => {
  const config = buildRouterConfig(minimal);
  t.same(config, {
    ...minimal,
    version: 2,
    family: 4,
    priority: 100,
    advertIntervalCs: 100,
    initialState: 'Backup',
    preempt: true,
    preemptDelayMs: 0,
    preemptDelayMode: 'keepalived',
    acceptMode: true,
    auth: { type: 'none' },
    v3Ipv4PseudoHeader: true,
    unicastPeers: [],
    checkUnicastTtl: true,
    strictAddressList: false,
    higherPrioritySendAdvert: true,
    announce: DEFAULT_ANNOUNCE,
  });
});

t.test('IPv6 routers default to VRRPv3 and addresses come out canonical', async (t) => {
  const config = buildRouterConfig({
    ...minimal,
    primaryAddress: 'FE80:0:0:0:0:0:0:1',
    virtualAddresses: ['2001:DB8:0:0:0:0:0:100'],
  });
  t.equal(config.version, 3);
  t.equal(config.family, 6);
  t.equal(config.primaryAddress, 'fe80::1');
  t.same(config.virtualAddresses, ['2001:db8::100']);
});

t.test('each mistake names its field', async (t) => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ vrid: 0 }, 'router.vrid', /1 to 255/],
    [{ vrid: 256 }, 'router.vrid', /1 to 255/],
    [{ priority: 0 }, 'router.priority', /1 to 255/],
    [{ primaryAddress: '192.0.2.300' }, 'router.primaryAddress', /not an IP address/],
    [{ virtualAddresses: [] }, 'router.virtualAddresses', /at least one/],
    [{ virtualAddresses: ['2001:db8::1'] }, 'router.virtualAddresses[0]', /IPv6, the router is IPv4/],
    [{ virtualAddresses: ['192.0.2.1', '192.0.2.1'] }, 'router.virtualAddresses[1]', /twice/],
    [{ advertIntervalCs: 150 }, 'router.advertIntervalCs', /multiple of 100/],
    [{ version: 3, advertIntervalCs: 4096 }, 'router.advertIntervalCs', /1 to 4095/],
    [{ version: 3, auth: { type: 'pass', password: 'x' } }, 'router.auth', /no authentication/],
    [{ auth: { type: 'ah' } }, 'router.auth', /unsupported authentication "ah"/],
    [{ unicastPeers: ['192.0.2.10'] }, 'router.unicastPeers', /our own primaryAddress/],
    [{ preemptDelayMs: -1 }, 'router.preemptDelayMs', /0 to 1000000/],
    [{ name: '' }, 'router.name', /non-empty/],
    [{ primaryAddress: '2001:db8::1', virtualAddresses: ['2001:db8::100'] }, 'router.primaryAddress', /not link-local/],
  ];
  for (const [override, field, message] of cases) {
    const error = catchError(() => buildRouterConfig({ ...minimal, ...override } as never));
    t.ok(error instanceof ConfigError, `${JSON.stringify(override)} is a ConfigError`);
    t.equal((error as ConfigError).field, field, `${JSON.stringify(override)} names ${field}`);
    t.match((error as ConfigError).message, message);
  }
  t.throws(
    () => buildRouterConfig({ ...minimal, primaryAddress: 'fe80::1', version: 2, virtualAddresses: ['2001:db8::1'] }),
    /VRRPv2 is IPv4 only/,
  );
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

t.test('excludedAddresses: either family, canonical, none twice, none also a VIP; left out when empty', async (t) => {
  const config = buildRouterConfig({ ...minimal, excludedAddresses: ['2001:DB8::0:200', '198.51.100.7'] });
  t.same(config.excludedAddresses, ['2001:db8::200', '198.51.100.7']);
  t.notOk(
    'excludedAddresses' in buildRouterConfig(minimal),
    'none: the field is left out, so such configurations compare as before',
  );
  t.notOk('excludedAddresses' in buildRouterConfig({ ...minimal, excludedAddresses: [] }));
  const mistakes: [unknown, RegExp][] = [
    [['192.0.2.100'], /excludedAddresses\[0\].*192\.0\.2\.100 is also a virtual address/],
    [['198.51.100.7', '198.51.100.7'], /excludedAddresses\[1\].*listed twice/],
    [['nope'], /excludedAddresses\[0\].*not an IP address/],
    ['198.51.100.7', /excludedAddresses.*must be a list/],
  ];
  for (const [excludedAddresses, message] of mistakes) {
    const error = catchError(() => buildRouterConfig({ ...minimal, excludedAddresses: excludedAddresses as string[] }));
    t.type(error, ConfigError);
    t.match((error as Error).message, message);
  }
});

t.test(
  "addressInterfaces: only for the router's own addresses; its own interface is dropped from the map",
  async (t) => {
    const config = buildRouterConfig({
      ...minimal,
      virtualAddresses: ['192.0.2.100', '192.0.2.101'],
      excludedAddresses: ['2001:db8::200'],
      addressInterfaces: { '192.0.2.101': 'eth1', '2001:DB8::200': 'eth2', '192.0.2.100': 'eth0' },
    });
    t.same(config.addressInterfaces, { '192.0.2.101': 'eth1', '2001:db8::200': 'eth2' });
    t.notOk('addressInterfaces' in buildRouterConfig({ ...minimal, addressInterfaces: { '192.0.2.100': 'eth0' } }));
    t.match(
      catchError(() => buildRouterConfig({ ...minimal, addressInterfaces: { '192.0.2.9': 'eth1' } })),
      { message: /addressInterfaces\.192\.0\.2\.9.*not one of the router's/ },
    );
    t.match(
      catchError(() => buildRouterConfig({ ...minimal, addressInterfaces: { '192.0.2.100': '' } })),
      { message: /non-empty string/ },
    );
  },
);
