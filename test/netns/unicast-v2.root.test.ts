// Two independent virtual routers in each of three routers, on one LAN (all bin/vrrp-engine; then
// bin/vrrpd on keepalived.conf as r1 and r2 beside keepalived 2.2.7 as r3):
//   VI_v2  (VRID 51): VRRPv2, multicast, 1 s adverts (v2 intervals are whole seconds), PASS auth.
//   VI_uni (VRID 52): VRRPv3, unicast to the two other routers' addresses, 0.5 s.
// Election (r1 200 > r2 150 > r3 100), then SIGTERM of r1: r2 takes both over. tshark: v2 adverts
// carry the password and the 1 s interval; unicast adverts go to each peer, never to 224.0.0.18.

import t, { type Test } from 'tap';
import {
  Harness,
  holdersOf,
  judgeAdverts,
  neighbourOf,
  testEachVariant,
  waitUntil,
  type RouterKind,
  type RouterSpec,
} from './harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from './timing.js';

const VIP = { v2: '192.0.2.51', uni: '192.0.2.52' } as const;
const PASSWORD = 'secret12';
const PRIORITY: Record<string, number> = { r1: 200, r2: 150, r3: 100 };
const ADDRESS: Record<string, string> = { r1: '192.0.2.1', r2: '192.0.2.2', r3: '192.0.2.3' };

function routers(node: string): RouterSpec[] {
  const priority = PRIORITY[node]!;
  const peers = Object.keys(ADDRESS)
    .filter((n) => n !== node)
    .map((n) => ADDRESS[n]!);
  return [
    {
      name: 'VI_v2',
      vrid: 51,
      version: 2,
      priority,
      advertIntervalCs: 100,
      virtualAddresses: [VIP.v2],
      auth: { type: 'pass', password: PASSWORD },
    },
    {
      name: 'VI_uni',
      vrid: 52,
      version: 3,
      priority,
      advertIntervalCs: 50,
      virtualAddresses: [VIP.uni],
      unicastPeers: peers,
    },
  ];
}

testEachVariant(t, 'VRRPv2 with PASS auth, and VRRPv3 unicast', 'uni', 3, v2AndUnicast);

async function v2AndUnicast(t: Test, kinds: readonly RouterKind[], tag: string): Promise<void> {
  const h = await Harness.create(t, tag, 3);
  h.watchVips([VIP.v2, VIP.uni]);
  const procs = Object.fromEntries(['r1', 'r2', 'r3'].map((n) => [n, h.startAs(kinds, n, routers(n))]));
  const r1 = procs.r1!;
  const r2 = procs.r2!;

  await t.test('election: r1 Master of both', async (t) => {
    await r1.waitForState('VI_v2', 'Master', masterDownMs(200, 100, 2) + MARGIN_MS + STARTUP_MS);
    await r1.waitForState('VI_uni', 'Master', 5000);
    for (const n of ['r2', 'r3']) {
      await procs[n]!.waitForState('VI_v2', 'Backup', STARTUP_MS);
      await procs[n]!.waitForState('VI_uni', 'Backup', STARTUP_MS);
    }
    for (const vip of [VIP.v2, VIP.uni]) {
      t.same(
        await waitUntil(
          async () => {
            const hs = await holdersOf(h.lan, vip);
            return hs.length === 1 ? hs : undefined;
          },
          3000,
          `one holder of ${vip}`,
        ),
        ['r1'],
        `ip addr: ${vip} on r1`,
      );
    }
  });

  const pings = [h.ping(VIP.v2), h.ping(VIP.uni)];
  await Promise.all(pings.map((p) => p.waitForReplies(2, 5000)));

  await t.test('SIGTERM of r1: r2 takes both over', async (t) => {
    const since = r2.mark();
    t.same(await r1.stop(5000), { code: 0, signal: null }, `r1 (${r1.kind}) exits 0`);
    await r2.waitForState('VI_v2', 'Master', masterDownMs(150, 100, 2) + MARGIN_MS, since);
    await r2.waitForState('VI_uni', 'Master', masterDownMs(150, 50, 3) + MARGIN_MS, since);
    for (const vip of [VIP.v2, VIP.uni]) {
      await waitUntil(
        () => (neighbourOf(h.lan, vip)?.lladdr === h.node('r2').mac ? true : undefined),
        3000,
        `client's entry for ${vip} -> r2`,
      );
      t.pass(`client's neighbour entry for ${vip} is r2's MAC`);
    }
    t.equal(procs.r3!.stateOf('VI_v2'), 'Backup');
    t.equal(procs.r3!.stateOf('VI_uni'), 'Backup');
    await Promise.all(pings.map((p) => p.waitForReplies(p.replies + 3, 5000)));
    for (const p of pings) {
      const totals = await p.stop();
      // The priority-0 advert makes this a skew-time failover; allow a whole down interval anyway.
      const allowed = Math.ceil((masterDownMs(150, 100, 2) + MARGIN_MS) / 200);
      t.ok(
        totals.lost <= allowed,
        `ping ${p.address}: lost ${totals.lost} of ${totals.transmitted} (allowed ${allowed})`,
      );
    }
  });

  await h.stopWatching();
  t.same(
    h.vipViolations((vip) => (vip === VIP.v2 ? 'VI_v2' : 'VI_uni')),
    [],
    `VIPs only ever on a Master (${h.vipSamples} samples)`,
  );

  const frames = (await h.stopCapture()).vrrp();
  const macs = h.macsOf(kinds);
  const v2 = judgeAdverts(frames, {
    macs,
    version: 2,
    vrid: 51,
    priorities: Object.values(PRIORITY),
    intervalCs: 100,
    addresses: [VIP.v2],
    authString: PASSWORD,
  });
  t.ok(v2.count > 2, `${v2.count} VRRPv2 adverts of ours`);
  t.same(v2.problems, [], 'tshark: VRRPv2, checksum good, TTL 255, 1 s interval, the password');
  t.ok(
    frames.filter((f) => f.vrid === 51).every((f) => f.authType === 1),
    'auth type 1 (simple text) on every v2 advert',
  );
  const uni = judgeAdverts(frames, {
    macs,
    version: 3,
    vrid: 52,
    priorities: Object.values(PRIORITY),
    intervalCs: 50,
    addresses: [VIP.uni],
  });
  t.ok(uni.count > 2, `${uni.count} unicast adverts of ours`);
  t.same(uni.problems, [], 'tshark: unicast VRRPv3, checksum good (pseudo-header with the peer address), TTL 255');
  const unicastFrames = frames.filter((f) => f.vrid === 52);
  t.same(
    unicastFrames.filter((f) => f.destination === '224.0.0.18').map((f) => f.frame),
    [],
    'no unicast-mode advert went to 224.0.0.18',
  );
  const r1Destinations = new Set(
    unicastFrames.filter((f) => f.source === ADDRESS.r1 && f.priority === 200).map((f) => f.destination),
  );
  t.same([...r1Destinations].sort(), [ADDRESS.r2, ADDRESS.r3], "r1's adverts went to each peer");
}
