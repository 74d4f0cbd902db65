// A deletion notification matched to what the follower holds: the RTM_DELROUTE / RTM_DELRULE body
// the kernel sends back is the one we sent (routeRequestBody / ruleRequestBody), so the pure decoder
// is checked on those bytes; other tables, metrics, protocols and preferences do not match.
import t from 'tap';
import { decodeDeletion, deletionMatches } from '../../src/daemon/route-watch.js';
import { RTM_DELROUTE, RTM_DELRULE, routeRequestBody, ruleRequestBody } from '../../src/linux/routes.js';
import type { RouteSpec, RuleSpec } from '../../src/model/routes.js';

const index = () => 2;
const asRoute = (spec: RouteSpec) => ({ kind: 'route' as const, spec });
const asRule = (spec: RuleSpec) => ({ kind: 'rule' as const, spec });

t.test('routes: decoded and matched on family, destination, table, protocol and metric', async (t) => {
  const route: RouteSpec = { to: '198.51.100.0/24', via: '192.0.2.254', dev: 'eth0', table: 1000, metric: 7 };
  const deleted = decodeDeletion(RTM_DELROUTE, routeRequestBody({ ...route, scope: 0 }, true, index));
  t.match(deleted, { kind: 'route', family: 4, to: '198.51.100.0/24', table: 1000, protocol: 18, priority: 7 });
  t.ok(deletionMatches(deleted!, asRoute(route)), 'the same route');
  t.notOk(deletionMatches(deleted!, asRoute({ ...route, table: 100 })), 'another table');
  t.notOk(deletionMatches(deleted!, asRoute({ ...route, metric: 8 })), 'another metric');
  t.notOk(deletionMatches(deleted!, asRoute({ ...route, protocol: 12 })), 'another protocol');
  t.notOk(deletionMatches(deleted!, asRoute({ ...route, to: '198.51.100.0/25' })), 'another prefix');
  const v6 = decodeDeletion(RTM_DELROUTE, routeRequestBody({ to: '2001:db8:0:1::/64', dev: 'eth0' }, true, index));
  t.ok(deletionMatches(v6!, asRoute({ to: '2001:db8:0:1:0::/64', dev: 'eth0' })), 'IPv6, however written');
  const whole = decodeDeletion(RTM_DELROUTE, routeRequestBody({ to: 'default', via: '192.0.2.1' }, true, index));
  t.ok(deletionMatches(whole!, asRoute({ to: '0.0.0.0/0', via: '192.0.2.1' })), 'default is 0.0.0.0/0');
});

t.test('rules: matched on family, preference and table', async (t) => {
  const rule: RuleSpec = { from: '192.0.2.51', table: 100, priority: 100 };
  const deleted = decodeDeletion(RTM_DELRULE, ruleRequestBody(rule));
  t.ok(deletionMatches(deleted!, asRule(rule)));
  t.notOk(deletionMatches(deleted!, asRule({ ...rule, priority: 101 })));
  t.notOk(deletionMatches(deleted!, asRule({ ...rule, table: 101 })));
  t.notOk(deletionMatches(deleted!, asRoute({ to: '192.0.2.51' })), 'a rule is no route');
});

t.test('anything else is no deletion, and short input never throws', async (t) => {
  t.equal(decodeDeletion(24, Buffer.alloc(12)), undefined, 'RTM_NEWROUTE');
  t.equal(decodeDeletion(RTM_DELROUTE, Buffer.alloc(3)), undefined, 'too short');
  const bad = Buffer.alloc(16);
  bad.writeUInt8(2, 0);
  bad.writeUInt8(24, 1);
  t.equal(decodeDeletion(RTM_DELROUTE, bad), undefined, 'a prefix length without RTA_DST');
});
