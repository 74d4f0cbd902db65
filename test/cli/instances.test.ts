// Splitting a configuration into instances, the checks made before anything runs, and joining them back
// into the one runtime's input; an instance's share of the runtime's counters.

import t from 'tap';
import { ConfigError } from '../../src/model/config-error.js';
import { engineInput, instanceCounters, splitInstances } from '../../src/cli/instances.js';
import { buildRouterConfig } from '../../src/model/router-config.js';
import type { LinuxEngineInput } from '../../src/daemon/runtime.js';

const base: LinuxEngineInput = {
  routers: [
    { name: 'VI_1', interface: 'eth0', vrid: 51, priority: 150, virtualAddresses: ['192.0.2.100'] },
    { name: 'VI_2', interface: 'eth0', vrid: 52, virtualAddresses: ['192.0.2.101', '192.0.2.102'] },
    { name: 'VI_6', interface: 'eth0', vrid: 51, version: 3, virtualAddresses: ['2001:db8::100'] },
  ],
  vips: [{ interface: 'eth0', address: '192.0.2.102', prefixLength: 24 }],
};

t.test('one instance per router, each with its own VipSpecs', async (t) => {
  const instances = splitInstances(base);
  t.same(
    instances.map((i) => i.name),
    ['VI_1', 'VI_2', 'VI_6'],
  );
  t.same(
    instances.map((i) => i.vips.length),
    [0, 1, 0],
  );
  t.equal(instances[1]!.vips[0]!.address, '192.0.2.102');
});

t.test(
  'a VipSpec on another interface (keepalived dev) or for an excluded address goes to the instance holding the address',
  async (t) => {
    const input: LinuxEngineInput = {
      routers: [{ ...base.routers[0]!, excludedAddresses: ['2001:db8::200'] }, { ...base.routers[1]! }],
      vips: [
        { interface: 'eth1', address: '192.0.2.101', prefixLength: 24, noTrack: true },
        { interface: 'eth0', address: '2001:db8::200', prefixLength: 64 },
      ],
    };
    const instances = splitInstances(input);
    t.same(
      instances.map((i) => i.vips.map((v) => `${v.interface} ${v.address}`)),
      [['eth0 2001:db8::200'], ['eth1 192.0.2.101']],
    );
    t.same(engineInput(instances).vips, [input.vips![1], input.vips![0]], 'and join back, in instance order');
    const shared: LinuxEngineInput = {
      routers: [{ ...base.routers[0]! }, { ...base.routers[1]!, virtualAddresses: ['192.0.2.100'] }],
      vips: [{ interface: 'eth1', address: '192.0.2.100' }],
    };
    t.throws(() => splitInstances(shared), {
      field: 'vips[0].address',
      message: /held by several instances, none on that interface/,
    });
  },
);

t.test('instances join back into one runtime input, in configuration order', async (t) => {
  const joined = engineInput(splitInstances(base));
  t.same(joined.routers, base.routers);
  t.same(joined.vips, base.vips);
  t.notOk('vips' in engineInput(splitInstances({ routers: [base.routers[0]!] })), 'no empty vips list');
});

t.test("an instance's counters: its router and the interface it runs on", async (t) => {
  const config = buildRouterConfig({ ...base.routers[1]!, primaryAddress: '192.0.2.1' });
  const counters = {
    routers: [
      { router: 'VI_1', interface: 'eth0', vrid: 51, advertsSent: 1, advertsReceived: 0, drops: {} },
      { router: 'VI_2', interface: 'eth0', vrid: 52, advertsSent: 2, advertsReceived: 3, drops: { ttl: 1 } },
    ],
    interfaces: [
      { interface: 'eth0', packetsReceived: 9, drops: { 'unknown-vrid': 4 } },
      { interface: 'eth1', packetsReceived: 1, drops: {} },
    ],
  };
  t.same(instanceCounters(counters, config), { routers: [counters.routers[1]], interfaces: [counters.interfaces[0]] });
});

t.test('mistakes found before anything starts', async (t) => {
  const cases: [string, LinuxEngineInput][] = [
    ['routers[1].name', { routers: [base.routers[0]!, { ...base.routers[1]!, name: 'VI_1' }] }],
    ['routers[1].vrid', { routers: [base.routers[0]!, { ...base.routers[1]!, vrid: 51 }] }],
    ['routers[0].vrid', { routers: [{ ...base.routers[0]!, vrid: 300 }] }],
    ['vips[0].address', { routers: [base.routers[0]!], vips: [{ interface: 'eth0', address: '192.0.2.9' }] }],
    ['routers', { routers: [] }],
  ];
  for (const [field, input] of cases) {
    let caught: unknown;
    try {
      splitInstances(input);
    } catch (error) {
      caught = error;
    }
    t.ok(caught instanceof ConfigError && caught.field === field, `${field}: ${String(caught)}`);
  }
  t.doesNotThrow(
    () =>
      splitInstances({
        routers: [
          { ...base.routers[0]!, useVmac: true },
          { ...base.routers[1]!, vrid: 51 },
        ],
      }),
    'a VMAC router and a plain one may share a VRID: different interfaces',
  );
});
