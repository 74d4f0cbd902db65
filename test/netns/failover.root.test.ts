// Three routers and a client on one LAN (VRRPv3, IPv4, 0.5 s adverts), run twice: all three our runner,
// then r1 and r2 bin/vrrpd on keepalived.conf with keepalived 2.2.7 as r3. One story:
// election -> kill -9 of the master -> the killed node restarts (its leftover VIP is removed, then it
// preempts back) -> SIGTERM of the master (priority-0 advert, fast takeover).
// Evidence: `ip -json addr` on every router sampled throughout (the VIP only on a Master), the
// client's neighbour table (the GARP moved it), ping from the client, and the bridge capture read by
// tshark (every advert valid, checksum good, TTL 255; the priority-0 advert; takeover times).

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
} from './harness.js';
import { MARGIN_MS, masterDownMs, skewMs, STARTUP_MS } from './timing.js';

const VIP = '192.0.2.100';
const INTERVAL_CS = 50;
const PRIORITY = { r1: 200, r2: 150, r3: 100 } as const;

testEachVariant(t, 'election and failover among three routers', 'fo', 3, failover);

async function failover(t: Test, kinds: readonly RouterKind[], tag: string): Promise<void> {
  const scenario = { router: 'VI_1', vrid: 51, vip: VIP, intervalCs: INTERVAL_CS, priorities: PRIORITY };
  const { h, routers, ping, start, bound } = await electOneVip(t, kinds, tag, scenario);
  const lan = h.lan;
  const mac = (name: string) => h.node(name).mac;

  await t.test('kill -9 of the master: r2 takes over within Master_Down_Interval', async (t) => {
    const since = routers.r2!.mark();
    const killedAt = Date.now();
    await h.killHard(routers.r1!);
    const r2Master = await routers.r2!.waitForState('VI_1', 'Master', bound(PRIORITY.r2), since);
    const took = r2Master.atMs - killedAt;
    t.ok(
      took <= bound(PRIORITY.r2),
      `r2 Master ${took} ms after the kill (Master_Down_Interval ${masterDownMs(PRIORITY.r2, INTERVAL_CS, 3).toFixed(0)} ms)`,
    );
    t.equal(r2Master.reason, 'master-down-timer');
    await waitUntil(async () => ((await holdersOf(lan, VIP)).includes('r2') ? true : undefined), 3000, 'the VIP on r2');
    // The killed runner could not clean up: its VIP is still there (keepalived behaves the same).
    t.ok((await holdersOf(lan, VIP)).includes('r1'), 'the killed node still holds its leftover VIP');
    const entry = await waitUntil(
      () => (neighbourOf(lan, VIP)?.lladdr === mac('r2') ? neighbourOf(lan, VIP) : undefined),
      3000,
      "client's neighbour entry -> r2",
    );
    t.equal(entry.lladdr, mac('r2'), "GARP: client's neighbour entry for the VIP is now r2's MAC");
    t.equal(routers.r3!.stateOf('VI_1'), 'Backup', 'r3 stayed Backup');
  });

  await t.test('restart of the killed node: leftover VIP removed, then it preempts back', async (t) => {
    const since2 = routers.r2!.mark();
    const restartedAt = Date.now();
    routers.r1 = start('r1');
    // Independent evidence of the cleanup: a moment after the restart where r1 does not hold the VIP.
    await waitUntil(
      async () => ((await holdersOf(lan, VIP)).includes('r1') ? undefined : true),
      STARTUP_MS,
      'r1 to drop its leftover VIP',
    );
    t.pass('ip addr: the restarted runner removed the leftover VIP before taking over again');
    const r1Master = await routers.r1.waitForState('VI_1', 'Master', bound(PRIORITY.r1) + STARTUP_MS);
    t.ok(
      r1Master.atMs - restartedAt >= masterDownMs(PRIORITY.r1, INTERVAL_CS, 3) * 0.9,
      'r1 waited about a Master_Down_Interval as Backup first',
    );
    const r2Backup = await routers.r2!.waitForState('VI_1', 'Backup', 5000, since2);
    t.equal(r2Backup.reason, 'higher-priority-advert', 'r2 stepped down on hearing r1');
    t.same(await onlyHolder(lan, VIP, 'r1'), ['r1']);
    const entry = await waitUntil(
      () => (neighbourOf(lan, VIP)?.lladdr === mac('r1') ? true : undefined),
      3000,
      "client's neighbour entry -> r1",
    );
    t.ok(entry, "client's neighbour entry for the VIP is r1's MAC again");
  });

  await t.test('SIGTERM of the master: priority-0 advert, r2 takes over after its skew time', async (t) => {
    const before = await ping.stop();
    const failoverPing = h.ping(VIP);
    await failoverPing.waitForReplies(3, 5000);
    const since = routers.r2!.mark();
    const exit = await routers.r1!.stop(5000);
    t.same(exit, { code: 0, signal: null }, `${routers.r1!.kind} exits 0 on SIGTERM`);
    const r2Master = await routers.r2!.waitForState('VI_1', 'Master', bound(PRIORITY.r2), since);
    t.equal(r2Master.reason, 'master-down-timer');
    t.same(
      await holdersOf(lan, VIP).then((hs) => hs.filter((n) => n === 'r1')),
      [],
      'r1 removed its VIP on the way out',
    );
    await waitUntil(
      () => (neighbourOf(lan, VIP)?.lladdr === mac('r2') ? true : undefined),
      3000,
      "client's neighbour entry -> r2",
    );
    await failoverPing.waitForReplies(failoverPing.replies + 5, 5000);
    const totals = await failoverPing.stop();
    // One failover's worth: the skew time, rounded up to ping's 0.2 s interval, plus slack.
    const allowed = Math.ceil((skewMs(PRIORITY.r2, INTERVAL_CS, 3) + MARGIN_MS) / 200);
    t.ok(
      totals.lost <= allowed,
      `pings lost across the SIGTERM failover: ${totals.lost} of ${totals.transmitted} (allowed ${allowed})`,
    );
    t.ok(before.received > 0, `pings before: ${before.received} of ${before.transmitted} answered`);
  });

  await h.stopWatching();
  t.same(
    h.vipViolations(() => 'VI_1'),
    [],
    `VIP only ever on a Master (${h.vipSamples} samples of ip -json addr on 3 nodes)`,
  );

  const capture = await h.stopCapture();
  const frames = capture.vrrp();
  const verdict = judgeAdverts(frames, {
    macs: h.macsOf(kinds),
    version: 3,
    vrid: 51,
    priorities: Object.values(PRIORITY),
    intervalCs: INTERVAL_CS,
    addresses: [VIP],
  });
  t.ok(verdict.count > 10, `${verdict.count} adverts of ours on the wire`);
  t.same(verdict.problems, [], 'tshark: every advert valid VRRPv3, checksum good, TTL 255, configured fields');

  const r1Frames = frames.filter((f) => f.ethSource === mac('r1'));
  const shutdownAdvert = r1Frames.at(-1);
  t.equal(shutdownAdvert?.priority, 0, "r1's last advert is the priority-0 one");
  const r2After = frames.find(
    (f) => f.ethSource === mac('r2') && shutdownAdvert !== undefined && f.timeMs > shutdownAdvert.timeMs,
  );
  t.ok(r2After, 'r2 advertised after the priority-0 advert');
  if (shutdownAdvert && r2After) {
    const took = r2After.timeMs - shutdownAdvert.timeMs;
    t.ok(
      took < masterDownMs(PRIORITY.r2, INTERVAL_CS, 3),
      `wire: r2's first advert ${took.toFixed(0)} ms after the priority-0 advert, sooner than Master_Down_Interval (skew ${skewMs(PRIORITY.r2, INTERVAL_CS, 3).toFixed(0)} ms)`,
    );
  }
  const garps = capture.gratuitousArps().filter((a) => a.senderIp === VIP);
  t.ok(
    garps.some((a) => a.senderMac === mac('r2')),
    'gratuitous ARP for the VIP from r2',
  );
  t.ok(
    garps.every((a) => a.senderMac === a.ethSource),
    'each gratuitous ARP names its own sender MAC',
  );
}
