// virtual_routes, virtual_rules, static_ipaddress, static_routes and static_rules: bin/vrrpd (r1) and
// keepalived 2.2.7 (r2) on the very same keepalived.conf (per-host lines with @r1 / @r2). What the
// kernel holds is read with `ip -j route show table all` and `ip -j rule show` on each node:
//   - the virtual routes and rules are on the Master only, and move with it;
//   - the static ones are on both nodes whatever their state, and gone from a stopped vrrpd's node;
//   - the entries vrrpd adds are the same, field for field, as the ones keepalived adds;
//   - a tracked virtual route deleted under the Master: it steps down and takes over again, the
//     route back; a static route deleted: put back (on both daemons).
// Story: r1 (200) Master; deletions; SIGTERM r1: keepalived takes over; vrrpd again: it preempts.

import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, skipReason, waitUntil, type RouterProcess, type VrrpdProcess } from '../netns/harness.js';
import type { LanNode } from '../netns/lan.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';

const VIP = '192.0.2.61';
const VIRTUAL_ROUTES = ['198.51.100.0/24', '198.51.101.0/24', '198.51.102.0/24'];
const STATIC_ROUTES = ['203.0.113.0/25', '203.0.113.192/26'];
const VIRTUAL_RULES = [100, 101];
const STATIC_RULES = [200];
const STATIC_ADDRESS = { r1: '203.0.113.1', r2: '203.0.113.2' } as const;

const CONF = [
  'global_defs {',
  '  @r1 router_id r1',
  '  @r2 router_id r2',
  '}',
  'static_ipaddress {',
  `  @r1 ${STATIC_ADDRESS.r1}/32 dev eth0`,
  `  @r2 ${STATIC_ADDRESS.r2}/32 dev eth0`,
  '}',
  'track_group G1 {',
  '  group {',
  '    VI_1',
  '  }',
  '}',
  'static_routes {',
  '  203.0.113.0/25 via 192.0.2.253 dev eth0',
  '  203.0.113.192/26 dev dummy0 track_group G1',
  '}',
  'static_rules {',
  '  to 203.0.113.128/25 table 200 preference 200',
  '}',
  'vrrp_instance VI_1 {',
  '  state BACKUP',
  '  interface eth0',
  '  version 3',
  '  virtual_router_id 61',
  '  @r1 priority 200',
  '  @r2 priority 150',
  '  advert_int 0.5',
  '  virtual_ipaddress {',
  `    ${VIP}/24`,
  '  }',
  '  virtual_routes {',
  '    198.51.100.0/24 via 192.0.2.254 dev eth0 table 100',
  `    src ${VIP} to 198.51.101.0/24 via 192.0.2.254 dev eth0 metric 7`,
  '    blackhole 198.51.102.0/24 no_track',
  '  }',
  '  virtual_rules {',
  `    from ${VIP} table 100 preference 100`,
  '    to 198.51.103.0/24 table 100 preference 101 no_track',
  '  }',
  '}',
  '',
].join('\n');

type Entry = Record<string, unknown>;

/** Our routes on `node` (those of the file), sorted, as `ip -j route show table all` prints them. */
function routesOn(h: Harness, node: LanNode): Entry[] {
  const all = JSON.parse(h.lan.exec(node, 'ip', '-j', 'route', 'show', 'table', 'all')) as Entry[];
  return all
    .filter((r) => [...VIRTUAL_ROUTES, ...STATIC_ROUTES].includes(String(r.dst)))
    .sort((a, b) => String(a.dst).localeCompare(String(b.dst)));
}

function rulesOn(h: Harness, node: LanNode): Entry[] {
  const all = JSON.parse(h.lan.exec(node, 'ip', '-j', 'rule', 'show')) as Entry[];
  return all
    .filter((r) => [...VIRTUAL_RULES, ...STATIC_RULES].includes(Number(r.priority)))
    .sort((a, b) => Number(a.priority) - Number(b.priority));
}

function hasAddress(h: Harness, node: LanNode, address: string): boolean {
  return h.lan.exec(node, 'ip', '-j', 'addr', 'show', 'dev', 'eth0').includes(`"${address}"`);
}

/** What a node holds, in short: route destinations and rule preferences. */
function holding(h: Harness, name: 'r1' | 'r2'): { routes: string[]; rules: number[] } {
  const node = h.node(name);
  return {
    routes: routesOn(h, node).map((r) => String(r.dst)),
    rules: rulesOn(h, node).map((r) => Number(r.priority)),
  };
}

const MASTER_HOLDS = {
  routes: [...VIRTUAL_ROUTES, ...STATIC_ROUTES].sort(),
  rules: [...VIRTUAL_RULES, ...STATIC_RULES].sort(),
};
const BACKUP_HOLDS = { routes: [...STATIC_ROUTES], rules: [...STATIC_RULES] };
const NOTHING = { routes: [], rules: [] };

async function holds(h: Harness, name: 'r1' | 'r2', wanted: { routes: string[]; rules: number[] }, what: string) {
  return waitUntil(
    () => (JSON.stringify(holding(h, name)) === JSON.stringify(wanted) ? true : undefined),
    4000,
    what,
  ).then(
    () => holding(h, name),
    () => holding(h, name),
  );
}

const skip = skipReason(['keepalived', 'unshare']) ?? false;

t.test('virtual and static routes and rules: bin/vrrpd and keepalived 2.2.7 on one file', { skip }, async (t) => {
  const h = await Harness.create(t, 'irt', 2, { capture: false });
  // The link the track group follows, on both nodes (a veth: this kernel has no dummy driver).
  for (const name of ['r1', 'r2']) {
    h.lan.exec(h.node(name), 'ip', 'link', 'add', 'dummy0', 'type', 'veth', 'peer', 'name', 'dummy1');
    h.lan.exec(h.node(name), 'ip', 'link', 'set', 'dummy1', 'up');
    h.lan.exec(h.node(name), 'ip', 'link', 'set', 'dummy0', 'up');
  }
  const options = (n: 'r1' | 'r2') => ({ confText: CONF, hostname: n });
  const down = (priority: number) => masterDownMs(priority, 50, 3) + MARGIN_MS;
  let r1: RouterProcess = h.startVrrpd('r1', [], options('r1'));
  const r2 = h.startKeepalived('r2', [], options('r2'));
  let vrrpdRoutes: Entry[] = [];
  let vrrpdRules: Entry[] = [];

  await t.test('r1 (vrrpd) Master: the virtual routes and rules on r1 only, the static ones on both', async (t) => {
    await r1.waitForState('VI_1', 'Master', down(200) + STARTUP_MS);
    await r2.waitForState('VI_1', 'Backup', STARTUP_MS);
    t.same(await holds(h, 'r1', MASTER_HOLDS, 'r1 to hold all'), MASTER_HOLDS, 'r1: virtual and static');
    t.same(await holds(h, 'r2', BACKUP_HOLDS, 'r2 static only'), BACKUP_HOLDS, 'r2 (keepalived Backup): static only');
    t.ok(hasAddress(h, h.node('r1'), STATIC_ADDRESS.r1), 'r1: its static address');
    t.ok(hasAddress(h, h.node('r2'), STATIC_ADDRESS.r2), 'r2: its static address');
    vrrpdRoutes = routesOn(h, h.node('r1'));
    vrrpdRules = rulesOn(h, h.node('r1'));
    t.same(
      vrrpdRoutes.find((r) => r.dst === '198.51.101.0/24'),
      {
        dst: '198.51.101.0/24',
        gateway: '192.0.2.254',
        dev: 'eth0',
        protocol: 'keepalived',
        prefsrc: VIP,
        metric: 7,
        flags: [],
      },
      'the route with src VIP was added after the VIP',
    );
    // The static ones vrrpd added are keepalived's, field for field.
    t.same(
      vrrpdRoutes.filter((r) => STATIC_ROUTES.includes(String(r.dst))),
      routesOn(h, h.node('r2')),
      'static routes: the same entries as keepalived',
    );
    t.same(
      vrrpdRules.filter((r) => STATIC_RULES.includes(Number(r.priority))),
      rulesOn(h, h.node('r2')),
      'static rules: the same entries as keepalived',
    );
  });

  await t.test('a tracked virtual route deleted on the Master: it takes over again, the route back', async (t) => {
    const since = r1.mark();
    h.lan.exec(h.node('r1'), 'ip', 'route', 'del', '198.51.100.0/24', 'table', '100');
    await r1.waitForState('VI_1', 'Backup', 3000, since);
    await r1.waitForState('VI_1', 'Master', down(200), since);
    t.same(await holds(h, 'r1', MASTER_HOLDS, 'route back on r1'), MASTER_HOLDS, 'r1: everything back');
    t.same(holding(h, 'r2'), BACKUP_HOLDS, 'r2 still static only');
  });

  await t.test('a static route deleted: put back, by vrrpd and by keepalived', async (t) => {
    for (const name of ['r1', 'r2'] as const) {
      h.lan.exec(h.node(name), 'ip', 'route', 'del', STATIC_ROUTES[0]!);
      const wanted = name === 'r1' ? MASTER_HOLDS : BACKUP_HOLDS;
      t.same(await holds(h, name, wanted, `${name}: static route back`), wanted, `${name}: the static route is back`);
    }
  });

  await t.test("track_group: the static route's link down puts the instance in Fault, on both daemons", async (t) => {
    const since = { r1: r1.mark(), r2: r2.mark() };
    h.lan.exec(h.node('r1'), 'ip', 'link', 'set', 'dummy0', 'down');
    await r1.waitForState('VI_1', 'Fault', 3000, since.r1);
    await r2.waitForState('VI_1', 'Master', down(150), since.r2);
    h.lan.exec(h.node('r1'), 'ip', 'link', 'set', 'dummy0', 'up');
    await r1.waitForState('VI_1', 'Master', down(200) + 3000, since.r1);
    t.same(
      await holds(h, 'r1', MASTER_HOLDS, 'r1 all back'),
      MASTER_HOLDS,
      'r1 (vrrpd): Master again, its static route through dummy0 back',
    );
    t.same(await holds(h, 'r2', BACKUP_HOLDS, 'r2 static only'), BACKUP_HOLDS, 'r2: Backup again');
    const r2since = r2.mark();
    h.lan.exec(h.node('r2'), 'ip', 'link', 'set', 'dummy0', 'down');
    await r2.waitForState('VI_1', 'Fault', 3000, r2since);
    h.lan.exec(h.node('r2'), 'ip', 'link', 'set', 'dummy0', 'up');
    await r2.waitForState('VI_1', 'Backup', 3000, r2since);
    t.same(
      await holds(h, 'r2', BACKUP_HOLDS, 'r2 static back'),
      BACKUP_HOLDS,
      'r2 (keepalived): the same, its route back',
    );
  });

  await t.test('SIGTERM r1: keepalived takes over with the same routes and rules; r1 left clean', async (t) => {
    const since = r2.mark();
    t.same(await r1.stop(5000), { code: 0, signal: null }, 'vrrpd exits 0');
    await r2.waitForState('VI_1', 'Master', down(150), since);
    t.same(await holds(h, 'r2', MASTER_HOLDS, 'r2 to hold all'), MASTER_HOLDS, 'r2 (keepalived Master): all');
    t.same(holding(h, 'r1'), NOTHING, 'r1: no virtual and no static route or rule after its stop');
    t.notOk(hasAddress(h, h.node('r1'), STATIC_ADDRESS.r1), 'r1: its static address removed at stop');
    const keepalivedRoutes = routesOn(h, h.node('r2'));
    const keepalivedRules = rulesOn(h, h.node('r2'));
    t.same(vrrpdRoutes, keepalivedRoutes, 'vrrpd added the very routes keepalived adds (ip -j route)');
    t.same(vrrpdRules, keepalivedRules, 'vrrpd added the very rules keepalived adds (ip -j rule)');
  });

  let vrrpd: VrrpdProcess | undefined;
  await t.test('vrrpd started again: it preempts, and the routes and rules move back', async (t) => {
    vrrpd = h.startVrrpd('r1', [], options('r1'));
    r1 = vrrpd;
    await r1.waitForState('VI_1', 'Master', down(200) + STARTUP_MS);
    t.same(await holds(h, 'r1', MASTER_HOLDS, 'r1 to hold all'), MASTER_HOLDS, 'r1: all again');
    t.same(
      await holds(h, 'r2', BACKUP_HOLDS, 'r2 static only'),
      BACKUP_HOLDS,
      'r2: keepalived removed its virtual ones',
    );
  });

  await t.test('SIGHUP with a changed route and rule: the Master swaps them, the state kept', async (t) => {
    const before = r1.states.length;
    const changed = CONF.replace('blackhole 198.51.102.0/24', 'blackhole 198.51.104.0/24').replace(
      'preference 101 no_track',
      'preference 102 no_track',
    );
    writeFileSync(join(vrrpd!.dir, 'keepalived.conf'), changed);
    r1.signal('SIGHUP');
    const wanted = {
      routes: ['198.51.100.0/24', '198.51.101.0/24', '198.51.104.0/24', ...STATIC_ROUTES].sort(),
      rules: [100, 102, ...STATIC_RULES].sort(),
    };
    const now = () => {
      const node = h.node('r1');
      const routes = JSON.parse(h.lan.exec(node, 'ip', '-j', 'route', 'show', 'table', 'all')) as Entry[];
      const rules = JSON.parse(h.lan.exec(node, 'ip', '-j', 'rule', 'show')) as Entry[];
      return {
        routes: routes
          .map((r) => String(r.dst))
          .filter((d) => d.startsWith('198.51.') || STATIC_ROUTES.includes(d))
          .sort(),
        rules: rules
          .map((r) => Number(r.priority))
          .filter((p) => p >= 100 && p <= 200)
          .sort(),
      };
    };
    await waitUntil(() => (JSON.stringify(now()) === JSON.stringify(wanted) ? true : undefined), 5000, 'reload').catch(
      () => undefined,
    );
    t.same(now(), wanted, 'r1: 198.51.102.0/24 and preference 101 gone, 198.51.104.0/24 and 102 in');
    t.equal(r1.stateOf('VI_1'), 'Master', 'still Master');
    t.equal(r1.states.length, before, 'no state change through the reload');
  });
});
