// The invariant checkers fed deliberately broken histories: each must name the violation.
import t from 'tap';
import { addressRank, checkVipHolding, KeyWatch, type RouterView } from '../../src/sim/index.js';

const bounds = { graceMs: 4000, resolveMs: 2, livenessMs: 4000, healMs: 2000 };
const view = (
  id: string,
  state: RouterView['state'],
  priority: number,
  address: string,
  preempt = true,
): RouterView => ({
  id,
  state,
  effectivePriority: priority,
  addressRank: addressRank(address),
  preempt,
});

t.test('single master: two Masters tolerated inside the grace window, flagged after it', async (t) => {
  const watch = new KeyWatch('lan0 IPv4 VRID 51', bounds);
  const split = [[view('r1/VI_51', 'Master', 150, '192.0.2.1'), view('r2/VI_51', 'Master', 100, '192.0.2.2')]];
  watch.disturb(10_000);
  t.equal(watch.checkSingleMaster(12_000, split), undefined, 't=12 s: 2 s after a disturbance is within grace');
  t.equal(watch.checkSingleMaster(14_000, split), undefined, 't=14 s: the last instant of the 4 s grace');
  // The overlap began at 12 s, far past the 2 ms resolve bound: the first check after the grace fails.
  const violation = watch.checkSingleMaster(14_001, split);
  t.match(violation, { invariant: 'single-master', atMs: 14_001 });
  t.match(violation!.message, /2 Masters in one connected partition \(r1\/VI_51, r2\/VI_51\) since 12\.000s/);
});

t.test('single master: a short overlap with no disturbance (preempting advert in flight) is allowed', async (t) => {
  const watch = new KeyWatch('k', bounds);
  const both = [[view('a', 'Master', 200, '192.0.2.1'), view('b', 'Master', 100, '192.0.2.2')]];
  t.equal(watch.checkSingleMaster(50_000, both), undefined, 'the overlap begins');
  t.equal(watch.checkSingleMaster(50_001, both), undefined, '1 ms later: the advert is still in flight');
  t.equal(
    watch.checkSingleMaster(50_001.5, [[view('a', 'Master', 200, '192.0.2.1'), view('b', 'Backup', 100, '192.0.2.2')]]),
    undefined,
  );
  t.equal(watch.inConflict, false, 'resolved');
  t.equal(watch.checkSingleMaster(60_000, both), undefined, 'a new overlap starts its own clock');
  t.match(watch.checkSingleMaster(60_003, both), { invariant: 'single-master' });
});

t.test('single master: Masters in different partitions are fine', async (t) => {
  const watch = new KeyWatch('k', bounds);
  const groups = [
    [view('a', 'Master', 200, '192.0.2.1')],
    [view('b', 'Master', 100, '192.0.2.2'), view('c', 'Backup', 50, '192.0.2.3')],
  ];
  t.equal(watch.checkSingleMaster(100_000, groups), undefined);
  t.equal(watch.checkSingleMaster(200_000, groups), undefined);
});

t.test('VIP holding: held while not Master, or Master without its VIPs', async (t) => {
  t.equal(checkVipHolding(1000, 'r1/VI_51', 'Master', 2, 2), undefined);
  t.equal(checkVipHolding(1000, 'r1/VI_51', 'Backup', 2, 0), undefined);
  t.match(checkVipHolding(1000, 'r1/VI_51', 'Backup', 2, 1), {
    invariant: 'vip-holding',
    message: 'r1/VI_51 is Backup but its node still holds 1 of its VIPs',
  });
  t.match(checkVipHolding(1000, 'r1/VI_51', 'Fault', 1, 1), { invariant: 'vip-holding' });
  t.match(checkVipHolding(1000, 'r1/VI_51', 'Master', 2, 1), {
    message: 'r1/VI_51 is Master but its node holds 1 of its 2 VIPs',
  });
});

t.test('liveness: none, two, or the wrong Master are each violations', async (t) => {
  const watch = new KeyWatch('lan0 IPv4 VRID 51', bounds);
  const healed = 30_000;
  t.match(
    watch.checkLiveness(35_000, healed, [
      [view('a', 'Backup', 150, '192.0.2.1'), view('b', 'Backup', 100, '192.0.2.2')],
    ]),
    {
      invariant: 'liveness',
      message: /0 Masters 5\.000s after the liveness phase began/,
    },
  );
  t.match(
    watch.checkLiveness(35_000, healed, [
      [view('a', 'Master', 150, '192.0.2.1'), view('b', 'Master', 100, '192.0.2.2')],
    ]),
    {
      message: /2 Masters/,
    },
  );
  t.match(
    watch.checkLiveness(35_000, healed, [
      [view('a', 'Backup', 150, '192.0.2.1'), view('b', 'Master', 100, '192.0.2.2')],
    ]),
    {
      message: /Master is b but a has the highest priority/,
    },
  );
  t.equal(
    watch.checkLiveness(35_000, healed, [
      [view('a', 'Master', 150, '192.0.2.1'), view('b', 'Backup', 100, '192.0.2.2')],
    ]),
    undefined,
  );
});

t.test(
  'liveness: nopreempt accepts any single Master; equal priorities accept either; Fault/Down are not candidates',
  async (t) => {
    const watch = new KeyWatch('k', bounds);
    t.equal(
      watch.checkLiveness(1, 0, [
        [view('a', 'Backup', 150, '192.0.2.1', false), view('b', 'Master', 100, '192.0.2.2', false)],
      ]),
      undefined,
    );
    t.equal(
      watch.checkLiveness(1, 0, [[view('a', 'Master', 100, '192.0.2.1'), view('b', 'Backup', 100, '192.0.2.2')]]),
      undefined,
    );
    t.equal(
      watch.checkLiveness(1, 0, [[view('a', 'Fault', 200, '192.0.2.1'), view('b', 'Master', 100, '192.0.2.2')]]),
      undefined,
    );
    t.equal(
      watch.checkLiveness(1, 0, [[view('a', 'Fault', 200, '192.0.2.1')]]),
      undefined,
      'no usable router: nothing to elect',
    );
  },
);

t.test('address rank orders IPv4 and IPv6 as unsigned bytes', async (t) => {
  t.ok(addressRank('192.0.2.10') > addressRank('192.0.2.9'));
  t.ok(addressRank('fe80::10') > addressRank('fe80::f'));
});

t.test('heal: two Masters, or none among usable routers, one heal bound after the heal is a violation', async (t) => {
  const watch = new KeyWatch('lan0 IPv4 VRID 51', bounds);
  t.match(
    watch.checkHealed(22_000, 20_000, [[view('a', 'Master', 150, '192.0.2.1'), view('b', 'Master', 100, '192.0.2.2')]]),
    {
      invariant: 'heal',
      message: /2 Masters 2\.000s after the heal at 20\.000s \(bound 2000\.0 ms\)/,
    },
  );
  t.match(
    watch.checkHealed(22_000, 20_000, [[view('a', 'Backup', 150, '192.0.2.1'), view('b', 'Backup', 100, '192.0.2.2')]]),
    { message: /0 Masters/ },
  );
  t.equal(
    watch.checkHealed(22_000, 20_000, [[view('a', 'Master', 150, '192.0.2.1'), view('b', 'Backup', 100, '192.0.2.2')]]),
    undefined,
  );
  t.equal(
    watch.checkHealed(22_000, 20_000, [
      [view('a', 'Fault', 150, '192.0.2.1')],
      [view('b', 'Master', 100, '192.0.2.2')],
    ]),
    undefined,
    'a Fault router elects nothing',
  );
});
