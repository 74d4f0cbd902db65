// Misconfigured pairs, keepalived 2.2.7 (r1, priority 200) and ours (r2, priority 100), VRRPv2.
// Each side must drop the other's adverts (RFC 3768 7.1: authentication data and, in v2, the advert
// interval must match) and so, never hearing a valid advert, each becomes Master. What really happens
// is asserted from both logs and `ip -json addr`:
//   VI_badpass (VRID 91): PASS "secret12" vs "wrong123"
//   VI_badint  (VRID 92): advert_int 1 s vs 2 s

import t from 'tap';
import { Harness, holdersOf, judgeAdverts, skipReason, waitUntil, type RouterSpec } from '../netns/harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';

const badpass = (priority: number, password: string): RouterSpec => ({
  name: 'VI_badpass',
  vrid: 91,
  version: 2,
  priority,
  advertIntervalCs: 100,
  virtualAddresses: ['192.0.2.91'],
  auth: { type: 'pass', password },
});
const badint = (priority: number, intervalCs: number): RouterSpec => ({
  name: 'VI_badint',
  vrid: 92,
  version: 2,
  priority,
  advertIntervalCs: intervalCs,
  virtualAddresses: ['192.0.2.92'],
});

t.test(
  'keepalived 2.2.7 and ours with mismatched v2 settings',
  { skip: skipReason(['keepalived']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'imm', 2);
    const keepalived = h.startKeepalived('r1', [badpass(200, 'secret12'), badint(200, 100)]);
    await keepalived.waitForState('VI_badpass', 'Master', masterDownMs(200, 100, 2) + MARGIN_MS + STARTUP_MS);
    await keepalived.waitForState('VI_badint', 'Master', 5000);
    const since = keepalived.mark();
    const ours = h.startOurs('r2', [badpass(100, 'wrong123'), badint(100, 200)]);
    await ours.waitForState('VI_badpass', 'Master', masterDownMs(100, 100, 2) + MARGIN_MS + STARTUP_MS);
    await ours.waitForState('VI_badint', 'Master', masterDownMs(100, 200, 2) + MARGIN_MS);
    // A few more adverts each way, so both sides have had the chance to complain and change their mind.
    await new Promise((r) => setTimeout(r, 2500));

    for (const [name, reason, vip, keepalivedWords] of [
      ['VI_badpass', 'auth-data-mismatch', '192.0.2.91', /pass|auth/i],
      ['VI_badint', 'interval-mismatch', '192.0.2.92', /interval/i],
    ] as const) {
      await t.test(name, async (t) => {
        const drop = ours.events.find((e) => e.event === 'dropped' && e.router === name);
        t.equal(drop?.reason, reason, `ours drops keepalived's adverts: ${String(drop?.reason)}`);
        const complaint = keepalived.lines
          .slice(since)
          .find((l) => l.text.includes(`(${name})`) && keepalivedWords.test(l.text));
        t.ok(complaint, `keepalived drops ours: ${complaint?.text ?? '(no such line)'}`);
        t.equal(keepalived.stateOf(name), 'Master', 'keepalived Master');
        t.equal(ours.stateOf(name), 'Master', 'ours Master');
        const holders = await waitUntil(
          async () => {
            const hs = await holdersOf(h.lan, vip);
            return hs.length === 2 ? hs.sort() : undefined;
          },
          3000,
          'both holding the VIP',
        );
        t.same(
          holders,
          ['r1', 'r2'],
          'ip addr: both hold the VIP, as with any two routers that cannot hear each other',
        );
      });
    }

    const frames = (await h.stopCapture()).vrrp();
    const macs = [h.node('r2').mac];
    const pass = judgeAdverts(frames, {
      macs,
      version: 2,
      vrid: 91,
      priorities: [100],
      intervalCs: 100,
      addresses: ['192.0.2.91'],
      authString: 'wrong123',
    });
    t.same(pass.problems, [], `tshark: our ${pass.count} VI_badpass adverts valid, carrying our own password`);
    const interval = judgeAdverts(frames, {
      macs,
      version: 2,
      vrid: 92,
      priorities: [100],
      intervalCs: 200,
      addresses: ['192.0.2.92'],
    });
    t.same(interval.problems, [], `tshark: our ${interval.count} VI_badint adverts valid, with our 2 s interval`);
  },
);
