// RouteClient against the kernel: routes and rules added and deleted over rtnetlink in a namespace of
// their own, and read back with `ip -j route` / `ip -j rule` as the independent witness. Each option
// the keepalived.conf reader maps is shown to land in the kernel's entry; a second add is 'exists', a
// second delete 'absent'.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RouteSpec, RuleSpec } from '../../src/model/routes.js';
import { TestNamespace, namespaceSkipReason } from './netns-harness.js';

const CHILD = fileURLToPath(new URL('./routes-child.js', import.meta.url));
const skip = namespaceSkipReason() ?? false;

type Operation = { op: 'addRoute' | 'deleteRoute'; spec: RouteSpec } | { op: 'addRule' | 'deleteRule'; spec: RuleSpec };

function inNamespace(namespace: TestNamespace, operations: readonly Operation[]): string[] {
  const { NODE_OPTIONS: _loader, ...env } = process.env;
  const child = spawnSync(
    'ip',
    ['netns', 'exec', namespace.name, process.execPath, CHILD, JSON.stringify(operations)],
    { encoding: 'utf8', env, timeout: 20_000 },
  );
  if (child.status !== 0) throw new Error(`routes-child failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as string[];
}

type Entry = Record<string, unknown>;

const ROUTES: readonly RouteSpec[] = [
  { to: '198.51.100.0/24', via: '192.0.2.254', dev: 'va', table: 100, metric: 7, src: '192.0.2.1' },
  { to: '198.51.101.0/24', type: 'blackhole', table: 1000 },
  { to: '198.51.102.0/24', dev: 'va', scope: 253, metrics: { mtu: 1400, hoplimit: 20 }, lockedMetrics: ['mtu'] },
  { to: '198.51.103.0/24', via: '192.0.2.254', dev: 'va', protocol: 12, noTrack: true, mode: 'append' },
  { to: 'default', via: '192.0.2.254', dev: 'va', table: 101 },
  { to: '2001:db8:1::/64', via: '2001:db8::fe', dev: 'va', metric: 100 },
];
const RULES: readonly RuleSpec[] = [
  { from: '192.0.2.1', table: 100, priority: 100 },
  { to: '198.51.100.0/24', table: 1000, priority: 101, not: true },
  { fwmark: 16, fwmask: 255, action: 'goto', goto: 500, priority: 102 },
  { iif: 'va', oif: 'vb', action: 'blackhole', priority: 103 },
  { uidRange: [1000, 2000], ipProto: 6, dport: [80, 90], table: 100, priority: 104 },
  { family: 6, from: '2001:db8::/64', table: 100, priority: 105, protocol: 0 },
];

t.test('RouteClient: routes and rules through rtnetlink, as ip sees them', { skip }, async (t) => {
  const namespace = new TestNamespace('rc');
  t.teardown(() => namespace.remove());
  namespace.ip('addr', 'add', '192.0.2.1/24', 'dev', 'va');
  namespace.ip('addr', 'add', '2001:db8::1/64', 'dev', 'va', 'nodad');

  const added = inNamespace(namespace, [
    ...ROUTES.map((spec): Operation => ({ op: 'addRoute', spec })),
    ...RULES.map((spec): Operation => ({ op: 'addRule', spec })),
  ]);
  t.same(
    added,
    [...ROUTES, ...RULES].map(() => 'added'),
    'every route and rule added',
  );
  const again = inNamespace(namespace, [
    { op: 'addRoute', spec: ROUTES[0]! },
    { op: 'addRule', spec: RULES[0]! },
  ]);
  t.same(again, ['exists', 'exists'], 'a second add: exists');

  const routes = JSON.parse(namespace.ip('-j', 'route', 'show', 'table', 'all')) as Entry[];
  const route = (dst: string, table?: string) =>
    routes.find((r) => r.dst === dst && (table === undefined || r.table === table));
  t.match(route('198.51.100.0/24', '100'), {
    gateway: '192.0.2.254',
    dev: 'va',
    protocol: 'keepalived',
    prefsrc: '192.0.2.1',
    metric: 7,
  });
  t.match(
    route('198.51.101.0/24', '1000'),
    { type: 'blackhole', protocol: 'keepalived' },
    'table above 255: RTA_TABLE',
  );
  t.match(route('198.51.102.0/24'), { dev: 'va', scope: 'link', metrics: [{ mtu: 1400, hoplimit: 20 }] });
  t.match(namespace.ip('route', 'show', '198.51.102.0/24'), /mtu lock 1400/, 'the mtu locked (RTAX_LOCK)');
  t.match(route('198.51.103.0/24'), { protocol: 'bird' }, 'protocol as given');
  t.match(route('default', '101'), { gateway: '192.0.2.254' }, 'default route');
  t.match(route('2001:db8:1::/64'), { gateway: '2001:db8::fe', metric: 100, protocol: 'keepalived' }, 'IPv6');

  const rules = JSON.parse(namespace.ip('-j', 'rule', 'show')) as Entry[];
  const rules6 = JSON.parse(namespace.ip('-6', '-j', 'rule', 'show')) as Entry[];
  const rule = (priority: number) => [...rules, ...rules6].find((r) => r.priority === priority);
  t.match(rule(100), { src: '192.0.2.1', table: '100', protocol: 'keepalived' });
  t.match(rule(101), { not: null, dst: '198.51.100.0', dstlen: 24, table: '1000' });
  t.match(rule(102), { fwmark: '0x10', fwmask: '0xff', goto: 500 });
  t.match(rule(103), { iif: 'va', oif: 'vb', action: 'blackhole' });
  t.match(rule(104), { uid_start: 1000, uid_end: 2000, ipproto: 'tcp', dport_start: 80, dport_end: 90 });
  t.match(rule(105), { src: '2001:db8::', srclen: 64, table: '100' });
  t.notOk('protocol' in (rule(105) ?? {}) && rule(105)?.protocol === 'keepalived', 'protocol 0: not keepalived');

  const deleted = inNamespace(namespace, [
    ...RULES.map((spec): Operation => ({ op: 'deleteRule', spec })),
    ...ROUTES.map((spec): Operation => ({ op: 'deleteRoute', spec })),
  ]);
  t.same(
    deleted,
    [...RULES, ...ROUTES].map(() => 'removed'),
    'every one deleted',
  );
  const twice = inNamespace(namespace, [
    { op: 'deleteRoute', spec: ROUTES[0]! },
    { op: 'deleteRule', spec: RULES[0]! },
  ]);
  t.same(twice, ['absent', 'absent'], 'a second delete: absent');
  const left = (JSON.parse(namespace.ip('-j', 'route', 'show', 'table', 'all')) as Entry[]).filter(
    (r) => r.protocol === 'keepalived' || r.protocol === 'bird',
  );
  t.same(left, [], 'no route of ours left');
  t.same(
    (JSON.parse(namespace.ip('-j', 'rule', 'show')) as Entry[]).filter(
      (r) => Number(r.priority) >= 100 && Number(r.priority) < 200,
    ),
    [],
    'no rule of ours left',
  );
});
