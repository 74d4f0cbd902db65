// Split brain in the simulator (issue 16): VRRP-only partitions, one-way loss, a second cluster on the
// same VRID; the heal invariant; and the detection modelled (conflicts found and missed).
import t from 'tap';
import { DEFAULT_SCENARIO_JSON, parseScenario, runSimulation } from '../../src/sim/index.js';
import { loadScenario } from './load.js';

const mastersAt = (result: ReturnType<typeof runSimulation>, node: string) =>
  result.transitions.filter((x) => x.node === node && x.to === 'Master').map((x) => x.atMs);

t.test(
  'VRRP-only partition: the other side takes over, its GARP reaches the Master (found), the heal leaves r1',
  async (t) => {
    const result = runSimulation(loadScenario('vrrp-only-partition'), { seed: 1 });
    t.ok(result.ok, result.violation?.message ?? '');
    const takeover = mastersAt(result, 'r2').find((atMs) => atMs > 10_000)!;
    t.ok(takeover > 10_000 && takeover < 20_000, 'r2 becomes Master while VRRP is cut');
    t.equal(result.vipConflicts.length, 1);
    t.match(result.vipConflicts[0], {
      vip: '192.0.2.100',
      holders: ['r1', 'r2'],
      fromMs: takeover,
      foundAtMs: takeover,
      foundBy: 'r1 heard r2',
    });
    t.ok(
      result.vipConflicts[0]!.toMs! > 20_000 && result.vipConflicts[0]!.toMs! < 21_000,
      'the episode ends within one interval of the heal',
    );
    t.same(result.healChecks, { checked: 1, skipped: 0 });
    t.match(result.timeline.join('\n'), /heal ok: lan0 IPv4 VRID 51: one Master, hosts point at it/);
  },
);

t.test('full partition: no claim crosses, so the split brain is found only at the heal', async (t) => {
  const result = runSimulation(loadScenario('partition'), { seed: 1 });
  t.ok(result.ok, result.violation?.message ?? '');
  t.equal(result.vipConflicts.length, 1);
  const conflict = result.vipConflicts[0]!;
  t.match(conflict, { vip: '192.0.2.100', holders: ['r1', 'r2'], foundBy: 'r2 heard r1' });
  t.ok(conflict.fromMs < 20_000 && conflict.foundAtMs! > 20_000, 'found after the heal, when r1 re-announces');
  t.ok(conflict.toMs! - conflict.foundAtMs! < 1, 'and r2 steps down at once');
});

t.test('one-way loss: r2 cannot hear r1, both stay Master until the heal; r1 hears the claim', async (t) => {
  const result = runSimulation(loadScenario('one-way'), { seed: 1 });
  t.ok(result.ok, result.violation?.message ?? '');
  const r1 = result.transitions.filter((x) => x.node === 'r1' && x.atMs > 10_000 && x.atMs < 20_000);
  t.same(r1, [], 'r1 stays Master through the cut (it hears r2 lower and keeps advertising)');
  const conflict = result.vipConflicts[0]!;
  t.match(conflict, { holders: ['r1', 'r2'], foundBy: 'r1 heard r2' });
  t.ok(conflict.toMs! - 20_000 < 1000, "r2 steps down on r1's first advert after the heal");
  t.same(result.healChecks, { checked: 1, skipped: 0 });
});

t.test('second cluster on the same VRID: one Master across both, the other VIP set reported unserved', async (t) => {
  const result = runSimulation(loadScenario('second-cluster'), { seed: 1 });
  t.ok(result.ok, result.violation?.message ?? '');
  t.same(
    result.finalRouters.filter((r) => r.state === 'Master').map((r) => r.id),
    ['r1/VI_51'],
  );
  t.match(
    result.transitions.find((x) => x.node === 'r3' && x.from === 'Master'),
    { reason: 'higher-priority-advert' },
  );
  t.match(result.unservedVips, [/Master r1\/VI_51 does not serve 192\.0\.2\.200/]);
  t.match(result.timeline.join('\n'), /r3\/VI_51 +notice address-list-mismatch/);
});

t.test('heal invariant: the default scenario split and healed is checked, no host view left behind', async (t) => {
  const json = JSON.parse(JSON.stringify(DEFAULT_SCENARIO_JSON));
  json.events = [
    { atS: 10, kind: 'partition', lan: 'lan0', groups: [['r1'], ['r2', 'r3']] },
    { atS: 20, kind: 'heal', lan: 'lan0' },
  ];
  const result = runSimulation(parseScenario(json), { seed: 1 });
  t.ok(result.ok, result.violation?.message ?? '');
  t.same(result.healChecks, { checked: 1, skipped: 0 });
  t.same(result.orphanedArp, []);
  t.same(result.unservedVips, []);
});

t.test('scenario reader: oneWay needs two distinct nodes on the LAN; vrrpOnly is a boolean', async (t) => {
  const json = JSON.parse(JSON.stringify(DEFAULT_SCENARIO_JSON));
  json.events = [{ atS: 1, kind: 'oneWay', lan: 'lan0', from: 'r1', to: 'r1' }];
  t.throws(() => parseScenario(json), /from and to are both r1/);
  json.events = [{ atS: 1, kind: 'oneWay', lan: 'lan0', from: 'r1', to: 'nobody' }];
  t.throws(() => parseScenario(json), /events\[0\]\.to: no node "nobody" on lan0/);
  json.events = [{ atS: 1, kind: 'partition', lan: 'lan0', groups: [['r1']], vrrpOnly: 'yes' }];
  t.throws(() => parseScenario(json), /events\[0\]\.vrrpOnly: must be true or false/);
});
