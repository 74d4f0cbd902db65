// The keepalived.conf reader's routes, rules and static addresses: what each line becomes in the
// runtime's input (src/model/routes.ts), keepalived 2.2.7's defaults filled as it fills them, track
// groups turned into weight-0 interface tracking, default_interface for static addresses without dev,
// and the refusals with their line. (Which lines keepalived -t accepts: routes-verdict.root.test.ts.)
import t from 'tap';
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';

const INSTANCE = (extra: string, name = 'VI_1', vrid = 51) =>
  `vrrp_instance ${name} {\ninterface eth0\nvirtual_router_id ${vrid}\nvirtual_ipaddress {\n192.0.2.${vrid}/24\n}\n${extra}}\n`;

function errorsOf(text: string): string[] {
  try {
    parseKeepalivedConfig(text, 'k.conf');
    return [];
  } catch (error) {
    if (!(error instanceof KeepalivedConfigError)) throw error;
    return error.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`);
  }
}

t.test('virtual_routes and virtual_rules: each line a spec naming its instance', async (t) => {
  const { input } = parseKeepalivedConfig(
    INSTANCE(
      [
        'virtual_routes {',
        '  src 192.0.2.51 to 198.51.100.0/24 via 192.0.2.254 dev eth0 table 100 metric 7',
        '  blackhole 198.51.101.0/24 no_track',
        '  198.51.102.0/24 dev eth0 scope link protocol keepalived mtu lock 1400 append',
        '  2001:db8:1::/64 via 2001:db8::fe dev eth0',
        '}',
        'virtual_rules {',
        '  from 192.0.2.51 table 100 preference 100',
        '  not to 198.51.100.0/24 lookup main priority 200 no_track',
        '  fwmark 0x10/0xff goto 500 preference 300',
        '  iif eth0 uidrange 10-20 ipproto udp sport 1-2 prohibit order 400',
        '}',
        '',
      ].join('\n'),
    ),
    'k.conf',
  );
  t.same(input.routes, [
    {
      router: 'VI_1',
      to: '198.51.100.0/24',
      src: '192.0.2.51',
      via: '192.0.2.254',
      dev: 'eth0',
      table: 100,
      metric: 7,
    },
    { router: 'VI_1', to: '198.51.101.0/24', type: 'blackhole', noTrack: true },
    {
      router: 'VI_1',
      to: '198.51.102.0/24',
      dev: 'eth0',
      scope: 253,
      protocol: 18,
      mode: 'append',
      metrics: { mtu: 1400 },
      lockedMetrics: ['mtu'],
    },
    { router: 'VI_1', family: 6, to: '2001:db8:1::/64', via: '2001:db8::fe', dev: 'eth0' },
  ]);
  t.same(input.rules, [
    { router: 'VI_1', priority: 100, from: '192.0.2.51', table: 100 },
    { router: 'VI_1', priority: 200, not: true, to: '198.51.100.0/24', table: 254, noTrack: true, protocol: 0 },
    { router: 'VI_1', priority: 300, fwmark: 16, fwmask: 255, goto: 500, action: 'goto' },
    {
      router: 'VI_1',
      priority: 400,
      iif: 'eth0',
      uidRange: [10, 20],
      ipProto: 17,
      sport: [1, 2],
      action: 'prohibit',
    },
  ]);
  t.equal(input.staticAddresses, undefined, 'no static addresses');
});

t.test('static entries, track_group and default_interface', async (t) => {
  const text = [
    'global_defs {\ndefault_interface eth2\n}',
    'track_group G1 {\ngroup {\nVI_1\nVI_9\n}\n}',
    'static_ipaddress {',
    '  203.0.113.7/24 track_group G1',
    '  203.0.113.8 dev eth0 label eth0:st',
    '  2001:db8:7::7/64 dev eth1 preferred_lft forever',
    '}',
    'static_routes {\n  203.0.113.128/25 via 192.0.2.1 dev eth3 track_group G1\n}',
    'static_rules {\n  from 203.0.113.0/24 table 100 preference 100 iif eth4 track_group G1\n}',
    INSTANCE(''),
  ].join('\n');
  const loaded = parseKeepalivedConfig(text, 'k.conf');
  t.same(loaded.input.staticAddresses, [
    { interface: 'eth2', address: '203.0.113.7', prefixLength: 24 },
    { interface: 'eth0', address: '203.0.113.8', label: 'eth0:st' },
    { interface: 'eth1', address: '2001:db8:7::7', prefixLength: 64, preferredLifetime: 'forever' },
  ]);
  t.same(loaded.input.routes, [{ to: '203.0.113.128/25', via: '192.0.2.1', dev: 'eth3' }], 'static: no router');
  t.same(loaded.input.rules, [{ priority: 100, from: '203.0.113.0/24', table: 100, iif: 'eth4' }]);
  t.same(
    loaded.pending.instances.get('VI_1')?.trackInterfaces,
    [
      { name: 'eth2', weight: 0 },
      { name: 'eth3', weight: 0 },
      { name: 'eth4', weight: 0 },
    ],
    "VI_1 tracks the links of G1's entries with weight 0",
  );
  t.match(
    loaded.diagnostics.map((d) => d.message),
    [/vrrp_instance VI_9 of track_group G1 does not exist/],
    'an unknown member is warned of, as keepalived logs it',
  );
  t.same(
    parseKeepalivedConfig(`static_ipaddress {\n203.0.113.9/32\n}\n${INSTANCE('')}`, 'k.conf').input.staticAddresses,
    [{ interface: 'eth0', address: '203.0.113.9', prefixLength: 32 }],
    "without dev or default_interface: keepalived's eth0",
  );
});

t.test("an instance tracks its tracked virtual routes' dev and rules' iif / oif, weight 0", async (t) => {
  const loaded = parseKeepalivedConfig(
    INSTANCE(
      [
        'virtual_routes {',
        '  198.51.100.0/24 via 192.0.2.254 dev eth0',
        '  198.51.101.0/24 dev eth1',
        '  198.51.102.0/24 dev eth2 no_track',
        '}',
        'virtual_rules {',
        '  iif eth3 oif eth1 table 100 preference 100',
        '  iif eth4 table 100 preference 101 no_track',
        '}',
        '',
      ].join('\n'),
    ),
    'k.conf',
  );
  t.same(loaded.pending.instances.get('VI_1')?.trackInterfaces, [
    { name: 'eth1', weight: 0 },
    { name: 'eth3', weight: 0 },
  ]);
});

t.test('refused as keepalived -t refuses them, at their line', async (t) => {
  const route = (line: string) => errorsOf(INSTANCE(`virtual_routes {\n${line}\n}\n`));
  const rule = (line: string) => errorsOf(INSTANCE(`virtual_rules {\n${line}\n}\n`));
  t.match(route('198.51.100.0/24 via 192.0.2.254'), ['8: a tracked route needs "dev"'.replace(/"/g, '"')]);
  t.match(route('198.51.100.0/24 gw 192.0.2.254 dev eth0'), [/^8: "gw" is deprecated/]);
  t.match(route('198.51.100.0/24 via 192.0.2.254 or 192.0.2.253 dev eth0'), [/^8: "or" is deprecated/]);
  t.match(route('198.51.100.0/24 dev eth0 protocol bird'), [/^8: a tracked route's protocol must be keepalived/]);
  t.match(route('inet6 2001:db8::/64 dev eth0'), [/^8: virtual_routes: a route needs a destination/]);
  t.match(route('198.51.100.0/24 dev eth0 encap mpls 100'), [
    /^8: lightweight tunnel encapsulation \(encap\) is not supported by vrrp-engine/,
  ]);
  t.match(route('198.51.100.0/24 dev eth0 rtt 10'), [/^8: the rtt metric is not supported by vrrp-engine/]);
  t.match(route('198.51.100.0/24 via 2001:db8::1 dev eth0'), [/^8: IPv4 and IPv6 cannot be mixed in one route/]);
  t.match(route('198.51.100.0/24 dev eth0 track_group G1'), [/^8: unknown virtual_routes keyword "track_group"/]);
  t.match(rule('from 192.0.2.51 table 100'), [/^8: a rule needs a preference/]);
  t.match(rule('from 192.0.2.51 preference 100'), [/^8: a rule needs an action/]);
  t.match(rule('from 192.0.2.51 goto 50 preference 100'), [/^8: goto 50 must be above the rule's preference 100/]);
  t.match(rule('from 192.0.2.51 table 100 blackhole preference 100'), [/^8: a rule takes one of/]);
  t.match(rule('from 192.0.2.51 table 100 preference 100 sport 80'), [/^8: sport "80" must be FIRST-LAST/]);
  t.match(rule('from 192.0.2.51 unicast preference 100'), [/^8: "unicast" is not a rule action/]);
  t.match(
    errorsOf(
      `static_routes {\n203.0.113.0/24 via 192.0.2.1 dev eth0 track_group G1\n}\ntrack_group G1 {\ngroup {\nVI_1\n}\n}\n${INSTANCE('')}`,
    ),
    [/^2: track_group G1 is not defined/],
    'a track_group is known only after its definition, as keepalived reads the file',
  );
});
