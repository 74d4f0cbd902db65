// vrrp_sync_group in the simulator: the scenario key, the sync-group invariant, and random faulty
// seeds run with groups on every node (the daemon's SyncGroupCoordinator, wired as the daemon wires it).
import t from 'tap';
import { parseScenario, runSimulation } from '../../src/sim/index.js';
import { checkSyncGroup } from '../../src/sim/sync-group-watch.js';
import { loadScenario } from './load.js';

const SEEDS = 150;
const GROUP = { name: 'G', routers: ['VI_51', 'VI_52'] };

function twoNodeScenario(syncGroups: unknown, events: unknown[] = []): unknown {
  const node = (name: string, n: number, priority: number) => ({
    name,
    interfaces: [
      { name: 'eth0', lan: 'lan0', ipv4: `192.0.2.${n}` },
      { name: 'eth1', lan: 'lan1', ipv4: `198.51.100.${n}` },
    ],
    routers: [
      { interface: 'eth0', vrid: 51, priority, vips: ['192.0.2.100'] },
      { interface: 'eth1', vrid: 52, priority, vips: ['198.51.100.100'] },
    ],
    syncGroups,
  });
  return {
    name: 'sync-two-nodes',
    durationS: 20,
    lans: [{ name: 'lan0' }, { name: 'lan1' }],
    nodes: [node('r1', 1, 150), node('r2', 2, 100)],
    events,
  };
}

t.test('scenario: syncGroups are read per node and checked', async (t) => {
  const scenario = parseScenario(twoNodeScenario([GROUP]));
  t.strictSame(scenario.nodes[0]!.syncGroups, [GROUP]);
  t.throws(() => parseScenario(twoNodeScenario([{ ...GROUP, typo: 1 }])), /syncGroups\[0\]\.typo/);
  t.throws(() => parseScenario(twoNodeScenario([{ name: 'G', routers: ['VI_51', 'VI_9'] }])), /no router "VI_9"/);
  t.throws(() => parseScenario(twoNodeScenario([{ name: 'G', routers: ['VI_51'] }])), /two routers or more/);
  t.throws(
    () => parseScenario(twoNodeScenario([GROUP, { name: 'H', routers: ['VI_52', 'VI_51'] }])),
    /sync group member "VI_52" appears twice/,
  );
});

t.test('invariant: a faulted or cut-off member alone, or a split Master/Backup, is a violation', async (t) => {
  const view = (id: string, state: 'Master' | 'Backup' | 'Fault' | 'Initialize', linkUp = true, owner = false) => ({
    id,
    state,
    linkUp,
    owner,
  });
  const rows: [string, ReturnType<typeof view>[], boolean][] = [
    ['all Master', [view('a', 'Master'), view('b', 'Master')], true],
    ['all Backup', [view('a', 'Backup'), view('b', 'Backup')], true],
    ['all Fault', [view('a', 'Fault', false), view('b', 'Fault')], true],
    ['one in Fault', [view('a', 'Fault', false), view('b', 'Backup')], false],
    ['link down, not in Fault', [view('a', 'Backup', false), view('b', 'Backup')], false],
    ['Master and Backup', [view('a', 'Master'), view('b', 'Backup')], false],
    ['an owner Master alone', [view('a', 'Master', true, true), view('b', 'Backup')], true],
    ['starting', [view('a', 'Initialize'), view('b', 'Backup')], true],
  ];
  for (const [title, members, ok] of rows) {
    const violation = checkSyncGroup(1000, 'r1', GROUP, members);
    t.equal(violation === undefined, ok, title);
    if (violation !== undefined) t.equal(violation.invariant, 'sync-group');
  }
});

t.test('a link down on one member takes its group to Fault; the other node takes both VRIDs', async (t) => {
  const scenario = parseScenario(
    twoNodeScenario(
      [GROUP],
      [
        { atS: 8, kind: 'linkDown', node: 'r1', interface: 'eth1' },
        { atS: 14, kind: 'linkUp', node: 'r1', interface: 'eth1' },
      ],
    ),
  );
  const result = runSimulation(scenario, { seed: 1, picture: false });
  t.ok(result.ok, result.violation?.message ?? 'no violation');
  const at = (atMs: number, id: string) =>
    result.transitions.filter((x) => x.atMs <= atMs && `${x.node}/${x.router}` === id).at(-1)?.to;
  t.equal(at(7000, 'r1/VI_51'), 'Master', 'r1 holds both before the fault');
  t.equal(at(7000, 'r1/VI_52'), 'Master');
  t.equal(at(13_000, 'r1/VI_51'), 'Fault', 'VI_51 (link still up) follows its group to Fault');
  t.equal(at(13_000, 'r2/VI_51'), 'Master', 'r2 took over VRID 51 too');
  t.equal(at(13_000, 'r2/VI_52'), 'Master');
  t.strictSame(
    result.finalRouters.map((r) => `${r.id} ${r.state}`),
    ['r1/VI_51 Master', 'r1/VI_52 Master', 'r2/VI_51 Backup', 'r2/VI_52 Backup'],
    'after the link returns, r1 takes both back together',
  );
});

t.test(`random-sync-groups: ${SEEDS} seeds`, async (t) => {
  const scenario = loadScenario('random-sync-groups');
  const failures: string[] = [];
  let syncTakeovers = 0;
  let groupFaults = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = runSimulation(scenario, {
      seed,
      timeline: false,
      picture: false,
      scenarioPath: 'test/scenarios/random-sync-groups.json',
    });
    for (const transition of result.transitions) {
      if (transition.reason !== 'sync-group') continue;
      if (transition.to === 'Master') syncTakeovers++;
      if (transition.to === 'Fault') groupFaults++;
    }
    if (!result.ok) {
      const v = result.violation!;
      failures.push(`${v.invariant} at ${v.atMs} ms: ${v.message}; reproduce with: ${result.reproduce}`);
    }
  }
  t.strictSame(failures, [], `${SEEDS} seeds, no invariant violated (sync-group included)`);
  t.ok(syncTakeovers / SEEDS > 1, `groups took over together (${(syncTakeovers / SEEDS).toFixed(1)} per run)`);
  t.ok(groupFaults / SEEDS > 0.2, `and faulted together (${(groupFaults / SEEDS).toFixed(2)} per run)`);
});
