// planApply as a table: the running routers and VipSpecs, the new ones, and what apply must do with
// each router, decided without a namespace, a socket or a netlink call.
import t from 'tap';
import {
  planApply,
  withoutAddresses,
  withPrevious,
  type ApplyPlan,
  type PlannedRouter,
} from '../../src/daemon/apply-plan.js';
import { buildRouterConfig, type RouterConfigInput } from '../../src/model/router-config.js';
import type { VipSpec } from '../../src/model/runtime-input.js';
import type { VmacPlan } from '../../src/linux/vmac.js';

function router(name: string, overrides: Partial<RouterConfigInput> = {}, vmac?: VmacPlan): PlannedRouter {
  const config = buildRouterConfig({
    name,
    interface: 'veth0',
    vrid: Number(name.replace(/\D/g, '')) || 1,
    primaryAddress: '192.0.2.1',
    virtualAddresses: [`192.0.2.${100 + (Number(name.replace(/\D/g, '')) || 1)}`],
    ...overrides,
  });
  return vmac === undefined ? { config } : { config, vmac };
}

function byName(routers: readonly PlannedRouter[]): Map<string, PlannedRouter> {
  return new Map(routers.map((r) => [r.config.name, r]));
}

interface Case {
  readonly title: string;
  readonly current: readonly PlannedRouter[];
  readonly currentVips?: readonly VipSpec[];
  readonly next: readonly PlannedRouter[];
  readonly nextVips?: readonly VipSpec[];
  /** Names in the new input that failed to resolve (not in `next`). */
  readonly unresolved?: readonly string[];
  readonly expect: {
    readonly unchanged?: readonly string[];
    readonly reconfigure?: readonly string[];
    readonly replace?: readonly string[];
    readonly add?: readonly string[];
    readonly remove?: readonly string[];
    readonly start?: readonly string[];
    readonly respecified?: Record<string, readonly string[]>;
  };
}

const vmac = (name: string, parent = 'veth0'): VmacPlan => ({
  router: name,
  vrid: 1,
  family: 4,
  parent,
  name: 'vrrp.1',
  mac: '00:00:5e:00:01:01',
});

const cases: Case[] = [
  { title: 'same settings: unchanged', current: [router('r1')], next: [router('r1')], expect: { unchanged: ['r1'] } },
  {
    title: 'another priority: reconfigured in place',
    current: [router('r1')],
    next: [router('r1', { priority: 150 })],
    expect: { reconfigure: ['r1'] },
  },
  {
    title: 'another VIP: reconfigured, nothing respecified',
    current: [router('r1')],
    next: [router('r1', { virtualAddresses: ['192.0.2.200'] })],
    expect: { reconfigure: ['r1'] },
  },
  {
    title: 'another VRID: replaced',
    current: [router('r1')],
    next: [router('r1', { vrid: 9 })],
    expect: { replace: ['r1'], start: ['r1'] },
  },
  {
    title: 'another interface: replaced',
    current: [router('r1')],
    next: [router('r1', { interface: 'veth1' })],
    expect: { replace: ['r1'], start: ['r1'] },
  },
  {
    title: 'another version: replaced',
    current: [router('r1')],
    next: [router('r1', { version: 3 })],
    expect: { replace: ['r1'], start: ['r1'] },
  },
  {
    title: 'a VMAC taken on: replaced',
    current: [router('r1')],
    next: [router('r1', {}, vmac('r1'))],
    expect: { replace: ['r1'], start: ['r1'] },
  },
  {
    title: 'a new name: added',
    current: [router('r1')],
    next: [router('r1'), router('r2')],
    expect: { unchanged: ['r1'], add: ['r2'], start: ['r2'] },
  },
  {
    title: 'a name left out: removed',
    current: [router('r1'), router('r2')],
    next: [router('r2')],
    expect: { unchanged: ['r2'], remove: ['r1'] },
  },
  {
    title: 'replaced and added start in the order of the new input',
    current: [router('r2')],
    next: [router('r3'), router('r2', { vrid: 7 }), router('r1')],
    expect: { add: ['r3', 'r1'], replace: ['r2'], start: ['r3', 'r2', 'r1'] },
  },
  {
    title: 'failed to resolve: neither removed nor touched',
    current: [router('r1'), router('r2')],
    next: [router('r2')],
    unresolved: ['r1'],
    expect: { unchanged: ['r2'] },
  },
  {
    title: 'a kept VIP with another prefix length: reconfigured, that address respecified',
    current: [router('r1')],
    currentVips: [{ interface: 'veth0', address: '192.0.2.101', prefixLength: 32 }],
    next: [router('r1')],
    nextVips: [{ interface: 'veth0', address: '192.0.2.101', prefixLength: 24 }],
    expect: { reconfigure: ['r1'], respecified: { r1: ['192.0.2.101'] } },
  },
  {
    title: 'a kept VIP given a label: respecified',
    current: [router('r1')],
    next: [router('r1')],
    nextVips: [{ interface: 'veth0', address: '192.0.2.101', label: 'veth0:vip' }],
    expect: { reconfigure: ['r1'], respecified: { r1: ['192.0.2.101'] } },
  },
  {
    title: 'a kept VIP moved to another interface: respecified',
    current: [router('r1', { virtualAddresses: ['192.0.2.101', '192.0.2.102'] })],
    next: [
      router('r1', { virtualAddresses: ['192.0.2.101', '192.0.2.102'], addressInterfaces: { '192.0.2.102': 'veth1' } }),
    ],
    nextVips: [{ interface: 'veth1', address: '192.0.2.102' }],
    expect: { reconfigure: ['r1'], respecified: { r1: ['192.0.2.102'] } },
  },
  {
    title: 'the same VipSpec on an IPv6 router: unchanged',
    current: [router('r1', { family: 6, primaryAddress: 'fe80::1', virtualAddresses: ['2001:db8::1'] })],
    currentVips: [{ interface: 'veth0', address: '2001:db8::1', prefixLength: 64 }],
    next: [router('r1', { family: 6, primaryAddress: 'fe80::1', virtualAddresses: ['2001:db8::1'] })],
    nextVips: [{ interface: 'veth0', address: '2001:db8::1', prefixLength: 64 }],
    expect: { unchanged: ['r1'] },
  },
];

const names = (list: readonly PlannedRouter[]) => list.map((r) => r.config.name);

for (const c of cases) {
  t.test(`plan: ${c.title}`, async (t) => {
    const plan: ApplyPlan<PlannedRouter> = planApply(
      { routers: byName(c.current), vips: c.currentVips ?? [] },
      { routers: byName(c.next), names: [...names(c.next), ...(c.unresolved ?? [])], vips: c.nextVips ?? [] },
    );
    t.same(plan.unchanged, c.expect.unchanged ?? [], 'unchanged');
    t.same(names(plan.reconfigure), c.expect.reconfigure ?? [], 'reconfigure');
    t.same(names(plan.replace), c.expect.replace ?? [], 'replace');
    t.same(names(plan.add), c.expect.add ?? [], 'add');
    t.same(plan.remove, c.expect.remove ?? [], 'remove');
    t.same(names(plan.start), c.expect.start ?? [], 'start');
    t.same(Object.fromEntries(plan.respecified), c.expect.respecified ?? {}, 'respecified');
  });
}

t.test('plan: the VipSpecs in force afterwards keep those of a router that failed to resolve', async (t) => {
  const currentVips: VipSpec[] = [
    { interface: 'veth0', address: '192.0.2.101', prefixLength: 24 },
    { interface: 'veth0', address: '192.0.2.102', prefixLength: 25 },
  ];
  const nextVips: VipSpec[] = [{ interface: 'veth0', address: '192.0.2.102', prefixLength: 26 }];
  const current = byName([router('r1'), router('r2')]);
  const failedOne = planApply(
    { routers: current, vips: currentVips },
    { routers: byName([router('r2')]), names: ['r1', 'r2'], vips: nextVips },
  );
  t.same(failedOne.vips, [...nextVips, currentVips[0]], 'r1 keeps running, and so does its /24');
  const allResolved = planApply(
    { routers: current, vips: currentVips },
    { routers: byName([router('r2')]), names: ['r2'], vips: nextVips },
  );
  t.same(allResolved.vips, nextVips, 'r1 removed: its spec goes with it');
});

t.test('withPrevious adds the old spec of an address the new list leaves out, once', async (t) => {
  const next: VipSpec[] = [{ interface: 'veth0', address: '2001:db8::1', prefixLength: 64 }];
  const previous: VipSpec[] = [
    { interface: 'veth0', address: '2001:DB8:0::1', prefixLength: 48 },
    { interface: 'veth0', address: '2001:db8::2', prefixLength: 48 },
  ];
  t.same(withPrevious(next, previous), [next[0], previous[1]]);
});

t.test('withoutAddresses drops VIPs and excluded addresses alike', async (t) => {
  const config = buildRouterConfig({
    name: 'r1',
    interface: 'veth0',
    vrid: 1,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.101', '192.0.2.102'],
    excludedAddresses: ['198.51.100.1', '2001:db8::1'],
  });
  const trimmed = withoutAddresses(config, ['192.0.2.102', '2001:db8::1']);
  t.same(trimmed.virtualAddresses, ['192.0.2.101']);
  t.same(trimmed.excludedAddresses, ['198.51.100.1']);
  t.same(
    withoutAddresses(router('r2').config, ['192.0.2.1']).excludedAddresses,
    undefined,
    'none to begin with: still none',
  );
});

t.test('plan: turning promote_secondaries on or off replaces the router (its host is set up again)', async (t) => {
  const plain = router('r1');
  const promoting: PlannedRouter = { ...plain, input: { promoteSecondaries: true } };
  const plan = planApply(
    { routers: byName([plain]), vips: [] },
    { routers: byName([promoting]), names: ['r1'], vips: [] },
  );
  t.same(plan.unchanged, [], 'not unchanged');
  t.notOk(
    plan.reconfigure.some((r) => r.config.name === 'r1'),
    'not reconfigured in place',
  );
  const same = planApply(
    { routers: byName([promoting]), vips: [] },
    { routers: byName([{ ...plain, input: { promoteSecondaries: true } }]), names: ['r1'], vips: [] },
  );
  t.same(same.unchanged, ['r1'], 'the same setting: unchanged');
});
