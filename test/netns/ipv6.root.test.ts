// VRRPv3 over IPv6 (0.5 s), with bin/vrrp-engine and again with bin/vrrpd on keepalived.conf:
// r1 (200) Master, r2 (100) Backup, VIP 2001:db8::100. Adverts come from
// the link-local address to ff02::12 with hop limit 255. On SIGTERM of r1, r2 takes over and its
// unsolicited NA (Override set, Solicited clear) moves the client's `ip -6 neigh` entry.

import t, { type Test } from 'tap';
import {
  electOneVip,
  judgeAdverts,
  neighbourOf,
  testEachVariant,
  waitUntil,
  type RouterKind,
  type RouterProcess,
} from './harness.js';
import { MARGIN_MS, masterDownMs } from './timing.js';

const VIP = '2001:db8::100';
const INTERVAL_CS = 50;

testEachVariant(t, 'IPv6: election, SIGTERM failover, unsolicited NA', 'v6', 2, ipv6);

async function ipv6(t: Test, kinds: readonly RouterKind[], tag: string): Promise<void> {
  const scenario = { router: 'VI_6', vrid: 56, vip: VIP, intervalCs: INTERVAL_CS, priorities: { r1: 200, r2: 100 } };
  const { h, routers, ping } = await electOneVip(t, kinds, tag, scenario);
  const { r1, r2 } = routers as { r1: RouterProcess; r2: RouterProcess };

  const since = r2.mark();
  t.same(await r1.stop(5000), { code: 0, signal: null }, `r1 (${r1.kind}) exits 0 on SIGTERM`);
  await r2.waitForState('VI_6', 'Master', masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS, since);
  await waitUntil(
    () => (neighbourOf(h.lan, VIP)?.lladdr === h.node('r2').mac ? true : undefined),
    3000,
    "client's IPv6 neighbour entry -> r2",
  );
  t.pass("client's `ip -6 neigh` entry for the VIP is r2's MAC");
  await ping.waitForReplies(ping.replies + 5, 5000);
  const totals = await ping.stop();
  const allowed = Math.ceil((masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS) / 200);
  t.ok(
    totals.lost <= allowed,
    `ping6 lost ${totals.lost} of ${totals.transmitted} across the failover (allowed ${allowed})`,
  );

  await h.stopWatching();
  t.same(
    h.vipViolations(() => 'VI_6'),
    [],
    `VIP only ever on a Master (${h.vipSamples} samples)`,
  );
  const capture = await h.stopCapture();
  const frames = capture.vrrp();
  const verdict = judgeAdverts(frames, {
    macs: h.macsOf(kinds),
    version: 3,
    vrid: 56,
    priorities: [100, 200],
    intervalCs: INTERVAL_CS,
    addresses: [VIP],
  });
  t.ok(verdict.count > 2, `${verdict.count} adverts of ours`);
  t.same(verdict.problems, [], 'tshark: every advert valid VRRPv3, checksum good, hop limit 255');
  const wrongHeader = frames
    .filter((f) => f.vrid === 56)
    .filter(
      (f) => f.destination !== 'ff02::12' || f.source !== h.lan.routers.find((n) => n.mac === f.ethSource)?.linkLocal,
    );
  t.same(
    wrongHeader.map((f) => `${f.source} -> ${f.destination}`),
    [],
    "adverts go from the sender's link-local address to ff02::12",
  );
  const nas = capture.unsolicitedNas().filter((na) => na.target === VIP && na.ethSource === h.node('r2').mac);
  t.ok(nas.length > 0, `${nas.length} unsolicited NAs for the VIP from r2`);
  t.ok(
    nas.every((na) => na.flags.override && !na.flags.solicited && na.linkLayerAddress === h.node('r2').mac),
    'each with Override set, Solicited clear, r2 as target link-layer address',
  );
}
