import t from 'tap';
import { buildRouterConfig, DEFAULT_ANNOUNCE } from '../../src/config/router-config.js';
import { ConfigError } from '../../src/config/errors.js';

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
