// Link down -> Fault, with bin/vrrp-engine and again with bin/vrrpd on keepalived.conf.
// r1 (priority 200) is Master, r2 (100) Backup (VRRPv3, IPv4, 0.5 s). Taking r1's
// eth0 down puts r1 in Fault and removes its VIP; r2 hears nothing and takes over after its
// Master_Down_Interval; the client's pings go on once the GARP has moved its neighbour entry.
// Bringing the link back: r1 leaves Fault as Backup, then preempts.

import t, { type Test } from 'tap';
import {
  electOneVip,
  holdersOf,
  judgeAdverts,
  neighbourOf,
  onlyHolder,
  testEachVariant,
  waitUntil,
  type RouterKind,
  type RouterProcess,
} from './harness.js';
import { MARGIN_MS, masterDownMs } from './timing.js';

const VIP = '192.0.2.100';
const INTERVAL_CS = 50;

testEachVariant(t, 'link down puts the Master in Fault; the Backup takes over', 'flt', 2, linkDown);

async function linkDown(t: Test, kinds: readonly RouterKind[], tag: string): Promise<void> {
  const scenario = { router: 'VI_1', vrid: 51, vip: VIP, intervalCs: INTERVAL_CS, priorities: { r1: 200, r2: 100 } };
  const { h, routers, ping } = await electOneVip(t, kinds, tag, scenario);
  const { r1, r2 } = routers as { r1: RouterProcess; r2: RouterProcess };

  await t.test('eth0 down on r1', async (t) => {
    const since1 = r1.mark();
    const since2 = r2.mark();
    const downAt = Date.now();
    h.lan.setLink(h.node('r1'), false);
    const fault = await r1.waitForState('VI_1', 'Fault', 5000, since1);
    t.equal(fault.reason, 'link-down');
    // IPv4 addresses stay on a downed interface, so their absence is the runner's doing.
    await waitUntil(
      async () => ((await holdersOf(h.lan, VIP)).includes('r1') ? undefined : true),
      3000,
      'r1 to remove the VIP',
    );
    t.pass('ip addr: r1 removed the VIP');
    const master = await r2.waitForState('VI_1', 'Master', masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS, since2);
    t.ok(
      master.atMs - downAt <= masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS,
      `r2 Master ${master.atMs - downAt} ms after the link went down`,
    );
    await waitUntil(
      () => (neighbourOf(h.lan, VIP)?.lladdr === h.node('r2').mac ? true : undefined),
      3000,
      "client's neighbour entry -> r2",
    );
    t.pass("client's neighbour entry for the VIP is r2's MAC");
    await ping.waitForReplies(ping.replies + 5, 5000);
    const totals = await ping.stop();
    const allowed = Math.ceil((masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS) / 200);
    t.ok(
      totals.lost <= allowed,
      `pings lost across the failover: ${totals.lost} of ${totals.transmitted} (allowed ${allowed})`,
    );
  });

  await t.test('eth0 up again: r1 leaves Fault as Backup, then preempts', async (t) => {
    const since1 = r1.mark();
    h.lan.setLink(h.node('r1'), true);
    const backup = await r1.waitForState('VI_1', 'Backup', 5000, since1);
    t.equal(backup.reason, 'link-up');
    const master = await r1.waitForState('VI_1', 'Master', masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS, since1);
    t.ok(
      master.atMs - backup.atMs >= masterDownMs(200, INTERVAL_CS, 3) * 0.9,
      'after a full Master_Down_Interval as Backup',
    );
    await r2.waitForState('VI_1', 'Backup', 5000);
    t.same(await onlyHolder(h.lan, VIP, 'r1'), ['r1'], 'ip addr: the VIP on r1 only');
  });

  await h.stopWatching();
  t.same(
    h.vipViolations(() => 'VI_1'),
    [],
    `VIP only ever on a Master (${h.vipSamples} samples)`,
  );
  const frames = (await h.stopCapture()).vrrp();
  const verdict = judgeAdverts(frames, {
    macs: h.macsOf(kinds),
    version: 3,
    vrid: 51,
    priorities: [100, 200],
    intervalCs: INTERVAL_CS,
    addresses: [VIP],
  });
  t.ok(verdict.count > 5, `${verdict.count} adverts of ours`);
  t.same(verdict.problems, [], 'tshark: every advert valid');
}
