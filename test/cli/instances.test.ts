// Splitting a configuration into instances, the checks made before anything runs, and the reload plan.

import t from 'tap';
import { ConfigError } from '../../src/config/errors.js';
import { planReload, splitInstances } from '../../src/cli/instances.js';
import type { LinuxEngineInput } from '../../src/linux/runtime.js';

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
  t.same(instances.map((i) => i.name), ['VI_1', 'VI_2', 'VI_6']);
  t.same(instances.map((i) => i.vips.length), [0, 1, 0]);
  t.equal(instances[1]!.vips[0]!.address, '192.0.2.102');
});

t.test('the key ignores key order and follows every setting', async (t) => {
  const [a] = splitInstances(base);
  const reordered = splitInstances({ routers: [{ virtualAddresses: ['192.0.2.100'], priority: 150, vrid: 51, interface: 'eth0', name: 'VI_1' }] });
  t.equal(reordered[0]!.key, a!.key);
  const changed = splitInstances({ routers: [{ ...base.routers[0]!, priority: 151 }] });
  t.not(changed[0]!.key, a!.key);
  const vipChanged = splitInstances({ ...base, vips: [{ interface: 'eth0', address: '192.0.2.102', prefixLength: 25 }] });
  t.equal(vipChanged[0]!.key, splitInstances(base)[0]!.key, 'a VIP spec of VI_2 does not change VI_1');
  t.not(vipChanged[1]!.key, splitInstances(base)[1]!.key);
});

t.test('mistakes found before anything starts', async (t) => {
  const cases: [string, LinuxEngineInput][] = [
    ['routers[1].name', { routers: [base.routers[0]!, { ...base.routers[1]!, name: 'VI_1' }] }],
    ['routers[1].vrid', { routers: [base.routers[0]!, { ...base.routers[1]!, vrid: 51 }] }],
    ['routers[0].vrid', { routers: [{ ...base.routers[0]!, vrid: 300 }] }],
    ['routers[0].acceptMode', { routers: [{ ...base.routers[0]!, acceptMode: false }] }],
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
  t.doesNotThrow(() => splitInstances({ routers: [{ ...base.routers[0]!, useVmac: true }, { ...base.routers[1]!, vrid: 51 }] }),
    'a VMAC router and a plain one may share a VRID: different interfaces');
});

t.test('reload plan: unchanged, re-prioritized, changed, removed, added', async (t) => {
  const now = splitInstances(base);
  const running = new Map(now.map((input) => [input.name, { input }]));
  t.same(planReload(running, now), { unchanged: ['VI_1', 'VI_2', 'VI_6'], reprioritized: [], removed: [], changed: [], added: [] });
  const next = splitInstances({
    routers: [{ ...base.routers[0]!, priority: 120 }, { ...base.routers[2]!, advertIntervalCs: 50 }, { name: 'VI_3', interface: 'eth0', vrid: 53, virtualAddresses: ['192.0.2.103'] }],
  });
  t.same(planReload(running, next), { unchanged: [], reprioritized: ['VI_1'], removed: ['VI_2'], changed: ['VI_6'], added: ['VI_3'] });
  const defaulted = splitInstances({ routers: [{ ...base.routers[1]!, priority: 100 }], vips: base.vips! });
  t.same(planReload(running, defaulted).reprioritized, ['VI_2'], 'no priority to an explicit 100 is a (no-op) priority change');
  const owner = splitInstances({ routers: [{ ...base.routers[0]!, priority: 255 }] });
  t.same(planReload(running, owner).changed, ['VI_1'], 'becoming the address owner is a restart');
  const priorityAndMore = splitInstances({ routers: [{ ...base.routers[0]!, priority: 120, preempt: false }] });
  t.same(planReload(running, priorityAndMore).changed, ['VI_1'], 'priority and something else: a restart');
});
