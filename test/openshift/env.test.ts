// The OPENSHIFT_HA_* reader: every variable, every defect of the shipping wrapper the contract lists,
// and properties of the VIP ranges and the priority formula.

import t, { type Test } from 'tap';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { readOpenShiftEnv, scrubName, authPasswordOf, type Env, type EnvDeps } from '../../src/openshift/env.js';
import { describePlan, planSummary } from '../../src/openshift/describe.js';
import { EnvError } from '../../src/openshift/errors.js';
import { parseVirtualIps } from '../../src/openshift/vip-ranges.js';
import { instancePriorities, nodeSlot } from '../../src/openshift/priority.js';
import {
  defaultRouteFromProcIpv6Route,
  defaultRouteFromProcRoute,
  type NodeNetwork,
} from '../../src/openshift/node-network.js';

const node = (ipv4 = '192.0.2.3', name = 'eth0', extra: NodeNetwork['interfaces'] = []): NodeNetwork => ({
  interfaces: [
    { name: 'lo', addresses: [{ family: 4, address: '127.0.0.1', scope: 254, secondary: false }] },
    {
      name,
      addresses: [
        { family: 4, address: ipv4, scope: 0, secondary: false },
        { family: 4, address: '192.0.2.250', scope: 0, secondary: true },
        { family: 6, address: 'fe80::1', scope: 253, secondary: false },
      ],
    },
    ...extra,
  ],
  defaultRouteInterface: name,
});

const deps = (overrides: Partial<EnvDeps> = {}): EnvDeps => ({
  node: node(),
  random: () => 7,
  scriptProblem: () => undefined,
  ...overrides,
});

const BASE: Env = { OPENSHIFT_HA_CONFIG_NAME: 'ipf-ha-router', OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-102' };

function plan(env: Env, d: Partial<EnvDeps> = {}) {
  return readOpenShiftEnv({ ...BASE, ...env }, deps(d));
}

/** Asserts an EnvError naming `variable` whose message contains every fragment. */
function rejects(t: Test, env: Env, variable: string, fragments: string[], d: Partial<EnvDeps> = {}): void {
  try {
    plan(env, d);
    t.fail(`expected ${variable} to be rejected for ${JSON.stringify(env)}`);
  } catch (error) {
    t.type(error, EnvError);
    const e = error as EnvError;
    t.equal(e.variable, variable);
    for (const fragment of fragments) t.match(e.message, fragment);
  }
}

t.test('VIP ranges: IPv4 and IPv6, any case, single addresses, comma lists', async (t) => {
  t.same(
    parseVirtualIps('192.0.2.4-6,192.0.2.9').map((v) => v.address),
    ['192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.9'],
  );
  t.same(
    parseVirtualIps(' 192.0.2.1 , 192.0.2.2,').map((v) => v.address),
    ['192.0.2.1', '192.0.2.2'],
    'spaces around entries and a trailing comma',
  );
  t.same(
    parseVirtualIps('192.0.2.100-100').map((v) => v.address),
    ['192.0.2.100'],
  );
  t.same(
    parseVirtualIps('192.0.2.10-192.0.2.11').map((v) => v.address),
    ['192.0.2.10', '192.0.2.11'],
    'end as a whole address',
  );
  // The wrapper's IPv6 ranges only worked in upper case hex (bc's ibase=16).
  t.same(
    parseVirtualIps('2001:DB8::1F39-1F3B').map((v) => v.address),
    ['2001:db8::1f39', '2001:db8::1f3a', '2001:db8::1f3b'],
  );
  t.same(
    parseVirtualIps('2001:db8::1f39-1f3a').map((v) => v.address),
    ['2001:db8::1f39', '2001:db8::1f3a'],
    'lower case too',
  );
  t.same(
    parseVirtualIps('2001:db8::a-2001:db8::b').map((v) => v.family),
    [6, 6],
  );
});

t.test('VIP ranges: every bad entry is an error naming it (the wrapper dropped them silently)', async (t) => {
  const cases: [string, string][] = [
    ['192.0.2.1/24', 'prefix length'],
    ['192.0.2.1 192.0.2.2', 'separate entries with commas'],
    ['192.0.2.300', 'not an IP address'],
    ['192.0.2.9-3', 'ends (3) before it starts (9)'],
    ['192.0.2.9-256', 'above 255'],
    ['192.0.2.9-198.51.100.10', 'same /24'],
    ['2001:db8::1-2001:db9::2', 'last hextet'],
    ['192.0.2.1-2-3', 'one "-"'],
    ['-5', 'start and an end'],
    ['192.0.2.1,192.0.2.1', 'more than once'],
    ['host.example', 'not an IP address'],
    ['::ffff:192.0.2.1', 'IPv4-mapped'],
  ];
  for (const [value, fragment] of cases) {
    t.throws(
      () => parseVirtualIps(value),
      {
        name: 'EnvError',
        variable: 'OPENSHIFT_HA_VIRTUAL_IPS',
        message: new RegExp(fragment.replace(/[()]/g, '\\$&')),
      },
      value,
    );
  }
  t.throws(() => parseVirtualIps(undefined), /required/);
  t.throws(() => parseVirtualIps(' , '), /no address/);
});

t.test('VIP ranges: property: a range expands to exactly its addresses, in order', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (a, b, upper) => {
      const [start, end] = a <= b ? [a, b] : [b, a];
      const v4 = parseVirtualIps(`198.51.100.${start}-${end}`);
      const v6text = `2001:db8::${start.toString(16)}-${end.toString(16)}`;
      const v6 = parseVirtualIps(upper ? v6text.toUpperCase() : v6text);
      return (
        v4.length === end - start + 1 &&
        v4.every((v, i) => v.address === `198.51.100.${start + i}`) &&
        v6.length === end - start + 1 &&
        v6.every((v, i) => v.address === ipaddr.parse(`2001:db8::${(start + i).toString(16)}`).toString())
      );
    }),
  );
});

t.test("defaults and the wrapper's instance names, router ids and auth password", async (t) => {
  const p = plan({});
  t.equal(p.interface, 'eth0');
  t.equal(p.nodeAddress, '192.0.2.3', 'the primary IPv4, not the secondary');
  t.same(
    p.instances.map((i) => [i.name, i.vrid, i.virtualAddresses]),
    [
      ['ipf_ha_router_VIP_1', 1, ['192.0.2.101']],
      ['ipf_ha_router_VIP_2', 2, ['192.0.2.102']],
    ],
  );
  t.equal(p.authPassword, 'ipf-ha-r');
  t.same(p.preemption, { kind: 'preempt_delay', seconds: 300 });
  t.same(p.check, {
    kind: 'tcp',
    name: 'chk_ipf_ha_router',
    host: '192.0.2.3',
    port: 80,
    intervalMs: 2000,
    timeoutMs: 2000,
    rise: 1,
    fall: 1,
  });
  t.same(p.health.tracks, [
    { router: 'ipf_ha_router_VIP_1', check: 'chk_ipf_ha_router', weight: 0 },
    { router: 'ipf_ha_router_VIP_2', check: 'chk_ipf_ha_router', weight: 0 },
  ]);
  t.equal(p.health.notifyTimeoutMs, 10_000, "a hung notify script cannot outlast the pod's grace period");
  t.equal(p.iptablesChain, undefined, 'unset: no firewall rule');
  t.equal(p.status, undefined, 'no status listener unless asked for');
  const r = p.routers[0]!;
  t.same(
    [r.version, r.advertIntervalCs, r.auth, r.preemptDelayMode, r.unicastPeers],
    [2, 100, { type: 'pass', password: 'ipf-ha-router' }, 'openshift', []],
  );
  t.equal(plan({ OPENSHIFT_HA_CONFIG_NAME: undefined }).configName, 'OpenShift-IPFailover');
  t.equal(scrubName('config!@#-1_x/y'), 'config_1_xy');
  t.equal(authPasswordOf('abcdefghij'), 'abcdefgh');
});

t.test('VIP groups: unset one instance per VIP; G groups, the first N % G get one more', async (t) => {
  const env = { OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10-16', OPENSHIFT_HA_VIP_GROUPS: '3' };
  t.same(
    plan(env).instances.map((i) => i.virtualAddresses.length),
    [3, 2, 2],
  );
  t.same(plan(env).instances[0]!.virtualAddresses, ['192.0.2.10', '192.0.2.11', '192.0.2.12']);
  const more = plan({ OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10', OPENSHIFT_HA_VIP_GROUPS: '10' });
  t.equal(more.instances.length, 1, "more groups than VIPs: one per VIP (the product's own example does this)");
  t.match(more.warnings.join('\n'), /10 groups for 1 VIP/);
  rejects(t, { OPENSHIFT_HA_VIP_GROUPS: 'two' }, 'OPENSHIFT_HA_VIP_GROUPS', ['whole number']);
  rejects(
    t,
    { OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1,2001:db8::1', OPENSHIFT_HA_VIP_GROUPS: '1' },
    'OPENSHIFT_HA_VIP_GROUPS',
    ['mix IPv4 and IPv6'],
  );
});

t.test('router ids: offset + c, excluded ids skipped, never above 255', async (t) => {
  t.same(
    plan({ OPENSHIFT_HA_VRRP_ID_OFFSET: '10' }).instances.map((i) => i.vrid),
    [11, 12],
  );
  t.same(
    plan({
      OPENSHIFT_HA_VRRP_ID_OFFSET: '10',
      HA_EXCLUDED_VRRP_IDS: '11 13',
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1-3',
    }).instances.map((i) => i.vrid),
    [12, 14, 15],
  );
  t.same(
    plan({ OPENSHIFT_HA_VRRP_ID_OFFSET: '254', OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1' }).instances.map((i) => i.vrid),
    [255],
  );
  rejects(t, { OPENSHIFT_HA_VRRP_ID_OFFSET: '254' }, 'OPENSHIFT_HA_VRRP_ID_OFFSET', ['above 255']);
  rejects(t, { OPENSHIFT_HA_VRRP_ID_OFFSET: '256' }, 'OPENSHIFT_HA_VRRP_ID_OFFSET', ['0 to 255']);
  rejects(t, { OPENSHIFT_HA_VRRP_ID_OFFSET: '-1' }, 'OPENSHIFT_HA_VRRP_ID_OFFSET', ['whole number']);
  rejects(t, { HA_EXCLUDED_VRRP_IDS: '3,x' }, 'HA_EXCLUDED_VRRP_IDS', ['"x" is not a router id']);
});

t.test("priorities: the wrapper's formula, so keepalived pods elect the same master", async (t) => {
  // ipslot 3, two replicas: idx 2, so even instances are master candidates (255 - 3), odd ones backups.
  const p = plan({ OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-104' });
  t.same(
    p.instances.map((i) => [i.role, i.priority, i.initialState]),
    [
      ['backup', 3 + 7, 'Backup'],
      ['master', 252, 'Master'],
      ['backup', 10, 'Backup'],
      ['flip-flop', 4, 'Master'], // the next candidate after a master alternates, backups in between or not
    ],
  );
  // ipslot 4, 2 replicas: idx 1, every instance a candidate; after a master comes a flip-flop.
  const q = plan({ OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-104' }, { node: node('192.0.2.4') });
  t.same(
    q.instances.map((i) => [i.role, i.priority]),
    [
      ['master', 251],
      ['flip-flop', 5],
      ['master', 251],
      ['flip-flop', 5],
    ],
  );
  t.same(
    instancePriorities(3, 2, 3, () => 0).map((p) => p.priority),
    [3, 252, 3],
  );
  t.equal(plan({ OPENSHIFT_HA_REPLICA_COUNT: '3' }).replicaCount, 3);
  rejects(t, { OPENSHIFT_HA_REPLICA_COUNT: '0' }, 'OPENSHIFT_HA_REPLICA_COUNT', ['1 to 255']);
});

t.test('priority defects fixed: ipslot 0 is not an owner, priority 0 never, IPv6-only nodes differ', async (t) => {
  const zero = plan({}, { node: node('192.0.2.128'), random: () => 0 });
  t.equal(nodeSlot('192.0.2.128'), 0);
  t.same(
    zero.instances.map((i) => [i.role, i.priority]),
    [
      ['master', 254],
      ['flip-flop', 1],
    ],
    '255 - 0 is capped at 254; the wrapper gave 255',
  );
  t.same(
    instancePriorities(64, 1, 1, () => 0).map((p) => p.priority),
    [191],
  );
  t.same(
    instancePriorities(64, 200, 1, () => 0),
    [{ role: 'backup', priority: 1 }],
    'ipslot % 64 + 0 = 0 is raised to 1',
  );
  const v6only: NodeNetwork = {
    interfaces: [
      {
        name: 'eth0',
        addresses: [
          { family: 6, address: 'fe80::9', scope: 253, secondary: false },
          { family: 6, address: '2001:db8::1:2a', scope: 0, secondary: false },
        ],
      },
    ],
    defaultRouteInterface: 'eth0',
  };
  const p = plan({ OPENSHIFT_HA_VIRTUAL_IPS: '2001:db8::100-101' }, { node: v6only });
  t.equal(p.nodeAddress, '2001:db8::1:2a');
  t.equal(p.ipslot, 0x2a, 'the wrapper read no IPv4 octet and used 0 on every IPv6-only node');
  t.same(
    p.instances.map((i) => [i.version, i.family]),
    [
      [3, 6],
      [3, 6],
    ],
  );
  t.same(p.routers[0]!.auth, { type: 'none' }, 'VRRPv3 carries no authentication');
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 127 }),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 0, max: 31 }),
      (slot, replicas, count, r) =>
        instancePriorities(slot, replicas, count, () => r).every((p) => p.priority >= 1 && p.priority <= 254),
    ),
  );
});

t.test('interface auto-detection as the wrapper does', async (t) => {
  const eth1 = node('192.0.2.3', 'eth1');
  const p = plan({}, { node: eth1 });
  t.same([p.interface, p.interfaceSource], ['eth1', 'fallback'], 'eth0 missing: the fallback list');
  const viaRoute = plan({}, { node: node('192.0.2.3', 'ens7') });
  t.same([viaRoute.interface, viaRoute.interfaceSource], ['ens7', 'default-route']);
  t.match(viaRoute.warnings.join(), /OPENSHIFT_HA_NETWORK_INTERFACE unset and eth0 does not exist; using ens7/);
  // A name given on purpose is never swapped for another interface (issue 15).
  rejects(
    t,
    { OPENSHIFT_HA_NETWORK_INTERFACE: 'br-ex' },
    'OPENSHIFT_HA_NETWORK_INTERFACE',
    ['"br-ex" is not valid: no such interface on this node', 'ens7'],
    { node: node('192.0.2.3', 'ens7') },
  );
  t.equal(
    plan({ OPENSHIFT_HA_NETWORK_INTERFACE: 'ens7' }, { node: node('192.0.2.3', 'ens7') }).interfaceSource,
    'variable',
  );
  rejects(t, { OPENSHIFT_HA_NETWORK_INTERFACE: 'a/b' }, 'OPENSHIFT_HA_NETWORK_INTERFACE', ['interface name']);
  rejects(t, {}, 'OPENSHIFT_HA_NETWORK_INTERFACE', ['no default route', 'wlan9'], {
    node: { interfaces: [{ name: 'wlan9', addresses: [] }], defaultRouteInterface: undefined },
  });
  rejects(t, {}, 'OPENSHIFT_HA_NETWORK_INTERFACE', ['no IPv4 address'], {
    node: { interfaces: [{ name: 'eth0', addresses: [] }], defaultRouteInterface: undefined },
  });
  t.equal(
    defaultRouteFromProcRoute(
      'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nens7\t0000A8C0\t00000000\t1\t0\t0\t0\t00FFFFFF\nens8\t00000000\t0102A8C0\t3\t0\t0\t0\t00000000\n',
    ),
    'ens8',
  );
  t.equal(
    defaultRouteFromProcIpv6Route(
      `${'0'.repeat(32)} 00 ${'0'.repeat(32)} 00 ${'0'.repeat(32)} ffffffff 00000001 00000000 00200200 lo\n${'0'.repeat(32)} 00 ${'0'.repeat(32)} 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth2\n`,
    ),
    'eth2',
  );
});

t.test('MONITOR_PORT, CHECK_INTERVAL and CHECK_SCRIPT', async (t) => {
  t.equal(plan({ OPENSHIFT_HA_MONITOR_PORT: '0' }).check, undefined, 'port 0: no check');
  t.same(plan({ OPENSHIFT_HA_MONITOR_PORT: '0' }).health.tracks, []);
  const c = plan({ OPENSHIFT_HA_MONITOR_PORT: '30060', OPENSHIFT_HA_CHECK_INTERVAL: '5' }).check!;
  t.same(
    [
      c.kind,
      (c as { port: number }).port,
      (c as { intervalMs: number }).intervalMs,
      (c as { timeoutMs: number }).timeoutMs,
    ],
    ['tcp', 30060, 5000, 5000],
  );
  const s = plan({
    OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/mycheckscript.sh --quick',
    OPENSHIFT_HA_MONITOR_PORT: '30060',
  }).check!;
  t.same(
    s,
    {
      kind: 'script',
      name: 'chk_ipf_ha_router',
      command: ['/etc/keepalive/mycheckscript.sh', '--quick'],
      initFail: false,
      intervalMs: 2000,
      timeoutMs: 2000,
      rise: 1,
      fall: 1,
    },
    'the script replaces the port check',
  );
  rejects(t, { OPENSHIFT_HA_MONITOR_PORT: '80a' }, 'OPENSHIFT_HA_MONITOR_PORT', ['"80a" is not valid', '0 to 65535']);
  rejects(t, { OPENSHIFT_HA_MONITOR_PORT: '65536' }, 'OPENSHIFT_HA_MONITOR_PORT', ['0 to 65535']);
  rejects(t, { OPENSHIFT_HA_CHECK_INTERVAL: '0' }, 'OPENSHIFT_HA_CHECK_INTERVAL', ['1 to 3600']);
  rejects(t, { OPENSHIFT_HA_CHECK_SCRIPT: 'check.sh' }, 'OPENSHIFT_HA_CHECK_SCRIPT', ['full path']);
  rejects(t, { OPENSHIFT_HA_CHECK_SCRIPT: '/bin/check; rm -rf /' }, 'OPENSHIFT_HA_CHECK_SCRIPT', ['no shell']);
  rejects(
    t,
    { OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/x.sh' },
    'OPENSHIFT_HA_CHECK_SCRIPT',
    ['does not exist', '0755'],
    {
      scriptProblem: () => 'does not exist',
    },
  );
});

t.test('NOTIFY_SCRIPT: every instance, argv only (the health runner adds the four arguments)', async (t) => {
  const p = plan({ OPENSHIFT_HA_NOTIFY_SCRIPT: '/etc/keepalive/mynotify.sh' });
  t.same(p.health.notify, [
    { router: 'ipf_ha_router_VIP_1', notify: ['/etc/keepalive/mynotify.sh'] },
    { router: 'ipf_ha_router_VIP_2', notify: ['/etc/keepalive/mynotify.sh'] },
  ]);
  rejects(t, { OPENSHIFT_HA_NOTIFY_SCRIPT: 'notify.sh' }, 'OPENSHIFT_HA_NOTIFY_SCRIPT', ['full path']);
});

t.test('PREEMPTION: nopreempt or preempt_delay N, nothing else (the wrapper pasted it into the config)', async (t) => {
  const np = plan({ OPENSHIFT_HA_PREEMPTION: 'nopreempt', OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1-2' });
  t.same(np.preemption, { kind: 'nopreempt' });
  t.same(
    np.routers.map((r) => [r.preempt, r.preemptDelayMs, r.initialState]),
    [
      [false, 0, 'Backup'],
      [false, 0, 'Backup'],
    ],
    'nopreempt: no state MASTER, as the wrapper',
  );
  const d = plan({ OPENSHIFT_HA_PREEMPTION: ' preempt_delay  600 ' });
  t.same(
    d.routers.map((r) => [r.preempt, r.preemptDelayMs, r.preemptDelayMode]),
    [
      [true, 600000, 'openshift'],
      [true, 600000, 'openshift'],
    ],
  );
  // The documented behaviour keepalived loses: the master candidate (state MASTER) keeps its delay.
  t.same(d.routers[1]!.initialState, 'Master');
  for (const bad of [
    'preempt_delay',
    'preempt_delay 5s',
    'preempt_delay 1001',
    'nopreempt\n}\nvrrp_script x {',
    'preempt',
  ]) {
    rejects(t, { OPENSHIFT_HA_PREEMPTION: bad }, 'OPENSHIFT_HA_PREEMPTION', ['"nopreempt" or "preempt_delay N"']);
  }
});

t.test('UNICAST_PEERS: own address ignored; USE_UNICAST as the image reads it', async (t) => {
  const p = plan({ OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.3, 192.0.2.4,192.0.2.5' });
  t.same(
    p.routers.map((r) => r.unicastPeers),
    [
      ['192.0.2.4', '192.0.2.5'],
      ['192.0.2.4', '192.0.2.5'],
    ],
  );
  const warned = plan({ OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.4', OPENSHIFT_HA_USE_UNICAST: 'false' });
  t.same(warned.routers[0]!.unicastPeers, ['192.0.2.4']);
  t.match(warned.warnings.join(), /unicast is used/);
  rejects(t, { OPENSHIFT_HA_USE_UNICAST: 'true' }, 'OPENSHIFT_HA_UNICAST_PEERS', ['addresses of the nodes']);
  rejects(t, { OPENSHIFT_HA_USE_UNICAST: 'maybe' }, 'OPENSHIFT_HA_USE_UNICAST', ['true or false']);
  rejects(t, { OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.3' }, 'OPENSHIFT_HA_UNICAST_PEERS', ['own addresses']);
  rejects(t, { OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.4;192.0.2.5' }, 'OPENSHIFT_HA_UNICAST_PEERS', [
    'not an IP address',
  ]);
  rejects(
    t,
    { OPENSHIFT_HA_UNICAST_PEERS: '2001:db8::4', OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.9' },
    'OPENSHIFT_HA_UNICAST_PEERS',
    ['no IPv4 peer'],
  );
  const src = plan({ UNICAST_SOURCE_IPADDRESS: '192.0.2.250', OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.4' });
  t.equal(src.routers[0]!.primaryAddress, '192.0.2.250');
  t.equal(plan({ MULTICAST_SOURCE_IPADDRESS: '192.0.2.250' }).routers[0]!.primaryAddress, '192.0.2.250');
  rejects(t, { MULTICAST_SOURCE_IPADDRESS: 'eth0' }, 'MULTICAST_SOURCE_IPADDRESS', ['IP address']);
});

t.test('IPTABLES_CHAIN and the status listener', async (t) => {
  t.equal(plan({ OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT' }).iptablesChain, 'INPUT');
  t.equal(plan({ OPENSHIFT_HA_FIREWALL: 'nftables' }).firewallBackend, 'nftables');
  t.equal(plan({}).firewallBackend, undefined);
  rejects(t, { OPENSHIFT_HA_FIREWALL: 'ufw' }, 'OPENSHIFT_HA_FIREWALL', ['iptables, nftables or auto']);
  rejects(t, { OPENSHIFT_HA_IPTABLES_CHAIN: '-j DROP' }, 'OPENSHIFT_HA_IPTABLES_CHAIN', ['chain name']);
  t.same(plan({ OPENSHIFT_HA_STATUS_PORT: '63001' }).status, { port: 63001, address: '0.0.0.0' });
  rejects(t, { OPENSHIFT_HA_STATUS_PORT: 'http' }, 'OPENSHIFT_HA_STATUS_PORT', ['0 to 65535']);
  rejects(t, { OPENSHIFT_HA_STATUS_PORT: '1', OPENSHIFT_HA_STATUS_ADDRESS: 'any' }, 'OPENSHIFT_HA_STATUS_ADDRESS', [
    'IP address',
  ]);
});

t.test('property: any valid environment gives routers whose ids and priorities are in range', async () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
      fc.integer({ min: 0, max: 200 }),
      fc.integer({ min: 1, max: 254 }),
      fc.integer({ min: 1, max: 9 }),
      (count, groups, offset, lastOctet, replicas) => {
        const env: Env = {
          OPENSHIFT_HA_VIRTUAL_IPS: `203.0.113.1-${count}`,
          OPENSHIFT_HA_VRRP_ID_OFFSET: String(offset),
          OPENSHIFT_HA_REPLICA_COUNT: String(replicas),
          ...(groups === undefined ? {} : { OPENSHIFT_HA_VIP_GROUPS: String(groups) }),
        };
        let p;
        try {
          p = readOpenShiftEnv(env, deps({ node: node(`198.51.100.${lastOctet}`) }));
        } catch (error) {
          return error instanceof EnvError && offset + Math.min(count, groups ?? count) > 255;
        }
        const vips = p.instances.flatMap((i) => i.virtualAddresses);
        return (
          vips.length === count &&
          new Set(p.instances.map((i) => i.vrid)).size === p.instances.length &&
          p.instances.every((i, index) => i.vrid === offset + index + 1 && i.priority >= 1 && i.priority <= 254)
        );
      },
    ),
  );
});

t.test('hostile values: zone ids are refused wherever an address is read', async (t) => {
  // fe80::1%.. used to escape as ipaddr.js's plain Error; fe80::1%eth0 was taken as a VIP.
  for (const vips of ['fe80::1%..', 'fe80::1%eth0', 'fe80::1%eth0-5', '2001:db8::1-fe80::2%x']) {
    rejects(t, { OPENSHIFT_HA_VIRTUAL_IPS: vips }, 'OPENSHIFT_HA_VIRTUAL_IPS', ['zone index']);
  }
  rejects(t, { OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.4,fe80::2%eth0' }, 'OPENSHIFT_HA_UNICAST_PEERS', ['zone index']);
  rejects(t, { UNICAST_SOURCE_IPADDRESS: 'fe80::2%eth0' }, 'UNICAST_SOURCE_IPADDRESS', ['zone index']);
  rejects(
    t,
    { OPENSHIFT_HA_STATUS_PORT: '1', OPENSHIFT_HA_STATUS_ADDRESS: 'fe80::2%eth0' },
    'OPENSHIFT_HA_STATUS_ADDRESS',
    ['zone index'],
  );
  t.equal(
    plan({ OPENSHIFT_HA_VIRTUAL_IPS: 'fe80::1' }).instances[0]!.virtualAddresses[0],
    'fe80::1',
    'a link-local VIP without a zone is fine',
  );
});

t.test('hostile values: addresses no node can own are refused as VIPs, peers and sources', async (t) => {
  const cases: [string, string][] = [
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['224.0.0.18', 'multicast'],
    ['ff02::12', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['255.255.255.250-255', 'broadcast'], // a range may end on it
    ['::0-5', 'unspecified'],
  ];
  for (const [vips, fragment] of cases)
    rejects(t, { OPENSHIFT_HA_VIRTUAL_IPS: vips }, 'OPENSHIFT_HA_VIRTUAL_IPS', [fragment]);
  rejects(t, { OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.4,224.0.0.18' }, 'OPENSHIFT_HA_UNICAST_PEERS', ['multicast']);
  rejects(t, { MULTICAST_SOURCE_IPADDRESS: '0.0.0.0' }, 'MULTICAST_SOURCE_IPADDRESS', ['unspecified']);
  t.same(
    plan({ OPENSHIFT_HA_STATUS_PORT: '1', OPENSHIFT_HA_STATUS_ADDRESS: '::' }).status,
    { port: 1, address: '::' },
    'a wildcard is a fine listen address',
  );
  const peers = plan({ OPENSHIFT_HA_VIRTUAL_IPS: '2001:db8::9', OPENSHIFT_HA_UNICAST_PEERS: '2001:DB8:0:0::4' })
    .routers[0]!.unicastPeers;
  t.same(peers, ['2001:db8::4'], 'peers in canonical text, as netlink reports our own addresses');
});

t.test('hostile values: huge ranges are refused before they are expanded', async (t) => {
  const started = performance.now();
  rejects(t, { OPENSHIFT_HA_VIRTUAL_IPS: '2001:db8::0-ffff' }, 'OPENSHIFT_HA_VIRTUAL_IPS', [
    'more than 65025 VIPs by 2001:db8::0-ffff',
  ]);
  // 256 VIPs per entry: the 255th entry crosses 65,025, and nothing after it is read.
  const many = Array.from({ length: 300 }, (_, i) => `2001:db8:${i.toString(16)}::0-ff`).join(',');
  rejects(t, { OPENSHIFT_HA_VIRTUAL_IPS: many, OPENSHIFT_HA_VIP_GROUPS: '255' }, 'OPENSHIFT_HA_VIRTUAL_IPS', [
    'more than 65025 VIPs by 2001:db8:fe::0-ff',
    '(5427 characters)',
  ]);
  t.ok(performance.now() - started < 2000, 'refused in well under 2 s (the fuzzer measures each input)');
  rejects(t, { OPENSHIFT_HA_VIRTUAL_IPS: '198.51.100.0-255' }, 'OPENSHIFT_HA_VIRTUAL_IPS', [
    '256 router ids',
    'OPENSHIFT_HA_VIP_GROUPS',
  ]);
  const grouped = plan({ OPENSHIFT_HA_VIRTUAL_IPS: '198.51.100.0-255', OPENSHIFT_HA_VIP_GROUPS: '2' });
  t.same(
    grouped.instances.map((i) => i.virtualAddresses.length),
    [128, 128],
    'a whole /24 is fine in groups',
  );
  rejects(t, { OPENSHIFT_HA_VIRTUAL_IPS: '2001:db8::0-1ff', OPENSHIFT_HA_VIP_GROUPS: '1' }, 'OPENSHIFT_HA_VIP_GROUPS', [
    '512 in one instance',
    'at most 255',
    'at least 3 groups',
  ]);
});

t.test('hostile values: length and control characters, and the message stays short', async (t) => {
  const huge = `192.0.2.1,${'x'.repeat(1 << 20)}`;
  try {
    plan({ OPENSHIFT_HA_VIRTUAL_IPS: huge });
    t.fail('a 1 MB value was accepted');
  } catch (error) {
    t.type(error, EnvError);
    const e = error as EnvError;
    t.equal(e.variable, 'OPENSHIFT_HA_VIRTUAL_IPS');
    t.match(e.message, /\(1048586 characters\) is not valid: 1048586 characters; expected at most 65536/);
    t.ok(e.message.length < 400, `message of ${e.message.length} characters`);
  }
  rejects(t, { OPENSHIFT_HA_CHECK_SCRIPT: `/x${' a'.repeat(40_000)}` }, 'OPENSHIFT_HA_CHECK_SCRIPT', [
    'expected at most 65536',
  ]);
  rejects(t, { OPENSHIFT_HA_PREEMPTION: 'nopreempt\u001b[2J' }, 'OPENSHIFT_HA_PREEMPTION', [
    'control character U+001b at position 9',
    '"nopreempt\\u001b[2J"',
  ]);
  rejects(t, { OPENSHIFT_HA_CONFIG_NAME: 'ipf\nvrrp_script x {' }, 'OPENSHIFT_HA_CONFIG_NAME', ['one line']);
  rejects(t, { OPENSHIFT_HA_NETWORK_INTERFACE: 'ééééééééé' }, 'OPENSHIFT_HA_NETWORK_INTERFACE', ['1-15 bytes'], {
    node: node('192.0.2.3', 'ééééééééé'),
  });
  t.same(
    plan({ OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1,\n192.0.2.2\n' }).instances.length,
    2,
    'line breaks between entries are whitespace (a YAML block scalar)',
  );
});

t.test('hostile values: numbers are decimal digits, nothing else', async (t) => {
  for (const bad of ['0x50', '1e3', '80.0', '+80', '-0', '080', '٨٠', '99999999999999999999']) {
    rejects(t, { OPENSHIFT_HA_MONITOR_PORT: bad }, 'OPENSHIFT_HA_MONITOR_PORT', [
      'decimal digits without leading zeros',
    ]);
  }
  t.equal(
    plan({ OPENSHIFT_HA_MONITOR_PORT: ' 8080 ' }).check?.kind,
    'tcp',
    'blanks around a value are trimmed, as everywhere',
  );
  rejects(t, { OPENSHIFT_HA_VRRP_ID_OFFSET: '010' }, 'OPENSHIFT_HA_VRRP_ID_OFFSET', ['without leading zeros']);
  rejects(t, { OPENSHIFT_HA_PREEMPTION: 'preempt_delay 0300' }, 'OPENSHIFT_HA_PREEMPTION', ['preempt_delay N']);
  rejects(t, { HA_EXCLUDED_VRRP_IDS: '1 0x2' }, 'HA_EXCLUDED_VRRP_IDS', ['"0x2" is not a router id']);
  t.same(
    plan({ HA_EXCLUDED_VRRP_IDS: ',1,, 2 ' }).instances.map((i) => i.vrid),
    [3, 4],
    'empty words between separators are skipped',
  );
});

t.test('hostile values: an IPv6 source must be link-local, and messages quote long words cut short', async (t) => {
  const v6 = { OPENSHIFT_HA_VIRTUAL_IPS: '2001:db8::9' };
  rejects(
    t,
    { ...v6, OPENSHIFT_HA_MULTICAST_SOURCE_IPADDRESS: '2001:db8::3' },
    'OPENSHIFT_HA_MULTICAST_SOURCE_IPADDRESS',
    ['not link-local', 'RFC 9568'],
  );
  t.equal(plan({ ...v6, OPENSHIFT_HA_MULTICAST_SOURCE_IPADDRESS: 'fe80::9' }).routers[0]!.primaryAddress, 'fe80::9');
  try {
    plan({ HA_EXCLUDED_VRRP_IDS: `3 ${'x'.repeat(1000)}` });
    t.fail('accepted');
  } catch (error) {
    t.match((error as Error).message, /"x{80}"\.\.\. \(1000 characters\) is not a router id/);
    t.ok((error as Error).message.length < 400, `message of ${(error as Error).message.length} characters`);
  }
});

t.test('the most VIPs there can be (255 groups of 255) are read, each address right', async (t) => {
  const ranges = Array.from({ length: 255 }, (_, i) => `2001:db8:${i.toString(16)}::1-ff`).join(',');
  const p = plan({ OPENSHIFT_HA_VIRTUAL_IPS: ranges, OPENSHIFT_HA_VIP_GROUPS: '255' });
  t.same([p.instances.length, p.instances.every((i) => i.virtualAddresses.length === 255)], [255, true]);
  t.same(p.instances[254]!.virtualAddresses.slice(-2), ['2001:db8:fe::fe', '2001:db8:fe::ff']);
  // Zero runs in the first seven hextets, and a last hextet of 0: the text is RFC 5952 whatever the run.
  for (const lead of ['2001:db8:0:0:1:0:0', '1:0:0:1:0:0:0', '0:0:1:0:0:0:0', '0:1:0:0:0:0:0', '1:2:3:4:5:6:7']) {
    const parts = lead.split(':').map((h) => parseInt(h, 16));
    const got = parseVirtualIps(`${lead}:0-1ff`).map((v) => v.address);
    t.same(
      got,
      Array.from({ length: 0x200 }, (_, i) => new ipaddr.IPv6([...parts, i]).toString()),
      lead,
    );
  }
});

t.test('RT_PRIORITY (ours): off by default, 1-99 is SCHED_RR for the advert thread', async (t) => {
  t.equal(plan({}).scheduling, undefined, 'unset: off, as in the keepalived image');
  t.equal(plan({ OPENSHIFT_HA_RT_PRIORITY: '0' }).scheduling, undefined, '0: off');
  const on = plan({ OPENSHIFT_HA_RT_PRIORITY: '40' }).scheduling;
  t.equal(on?.realtimePriority, 40);
  t.equal(on?.names?.realtimePriority, 'OPENSHIFT_HA_RT_PRIORITY', 'a refusal at start names the variable');
  for (const value of ['100', '-1', '4O', '05', '1.5']) {
    rejects(t, { OPENSHIFT_HA_RT_PRIORITY: value }, 'OPENSHIFT_HA_RT_PRIORITY', ['from 0 to 99', 'CAP_SYS_NICE']);
  }
});

t.test('NO_SWAP (ours): off by default, true locks the advert path (vrrp_no_swap)', async (t) => {
  t.equal(plan({ OPENSHIFT_HA_NO_SWAP: 'false' }).scheduling, undefined, 'false: off');
  const alone = plan({ OPENSHIFT_HA_NO_SWAP: 'true' }).scheduling;
  t.equal(alone?.lockMemory, true);
  t.equal(alone?.realtimePriority, undefined, 'no real-time priority with it');
  t.equal(alone?.names?.lockMemory, 'OPENSHIFT_HA_NO_SWAP', 'a refusal at start names the variable');
  t.match(plan({ OPENSHIFT_HA_NO_SWAP: 'yes', OPENSHIFT_HA_RT_PRIORITY: '30' }).scheduling, {
    lockMemory: true,
    realtimePriority: 30,
  });
  rejects(t, { OPENSHIFT_HA_NO_SWAP: 'on' }, 'OPENSHIFT_HA_NO_SWAP', ['true or false', 'CAP_IPC_LOCK']);
  t.match(
    describePlan(plan({ OPENSHIFT_HA_NO_SWAP: '1' })),
    /scheduling: +as started, .*; advert path locked in memory \(OPENSHIFT_HA_NO_SWAP; needs CAP_IPC_LOCK\)\n/,
  );
  t.equal(planSummary(plan({ OPENSHIFT_HA_NO_SWAP: '1' })).lockMemory, true);
});

t.test('an unknown OPENSHIFT_HA_* variable: a warning naming the closest known one', async (t) => {
  const p = plan({
    OPENSHIFT_HA_VIRTUAL_IP: '192.0.2.9',
    OPENSHIFT_HA_MONITOR_PROT: '80',
    OPENSHIFT_HA_SOMETHING_ELSE: 'x',
    HA_OTHER: 'y',
  });
  t.same(
    p.warnings.filter((w) => w.includes('is not a variable')),
    [
      'OPENSHIFT_HA_MONITOR_PROT is not a variable ipfailover reads: ignored (did you mean OPENSHIFT_HA_MONITOR_PORT?)',
      'OPENSHIFT_HA_SOMETHING_ELSE is not a variable ipfailover reads: ignored',
      'OPENSHIFT_HA_VIRTUAL_IP is not a variable ipfailover reads: ignored (did you mean OPENSHIFT_HA_VIRTUAL_IPS?)',
    ],
  );
  t.same(
    plan({ OPENSHIFT_HA_LOG_LEVEL: 'debug', OPENSHIFT_HA_RT_PRIORITY: '0' }).warnings,
    [],
    'the known ones, LOG_LEVEL included, are not warned about',
  );
});

t.test('--dry-run shows the real-time priority setting', async (t) => {
  t.match(
    describePlan(plan({ OPENSHIFT_HA_RT_PRIORITY: '20' })),
    /\n {2}scheduling: +SCHED_RR priority 20 for the thread that sends the adverts \(OPENSHIFT_HA_RT_PRIORITY; needs CAP_SYS_NICE\)\n/,
  );
  t.match(describePlan(plan({})), /\n {2}scheduling: +as started, no real-time priority/);
  t.equal(planSummary(plan({ OPENSHIFT_HA_RT_PRIORITY: '20' })).realtimePriority, 20);
});
