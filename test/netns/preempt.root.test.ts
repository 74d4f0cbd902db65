// nopreempt and preempt_delay, side by side on one LAN (two VRIDs in each runner, VRRPv3, 0.5 s), with
// bin/vrrp-engine and again with bin/vrrpd on keepalived.conf (nopreempt, preempt_delay 3):
// r2 (priority 100) is Master of both when r1 (priority 200) arrives.
//   VI_nopre  (VRID 61, r1 preempt:false)       -> r1 stays Backup; the VIP stays on r2.
//   VI_delay  (VRID 62, r1 preemptDelayMs 3000) -> r1 takes over only after the delay.
// Then r2 stops (SIGTERM) and r1 takes VI_nopre: nopreempt does not stop a Backup from taking over.

import t, { type Test } from 'tap';
import {
  Harness,
  holdersOf,
  judgeAdverts,
  sleep,
  testEachVariant,
  waitUntil,
  type RouterKind,
  type RouterSpec,
} from './harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from './timing.js';

const INTERVAL_CS = 50;
const DELAY_MS = 3000;
const VIP = { nopre: '192.0.2.61', delay: '192.0.2.62' } as const;
const routers = (priority: number, r1: boolean): RouterSpec[] => [
  {
    name: 'VI_nopre',
    vrid: 61,
    version: 3,
    priority,
    advertIntervalCs: INTERVAL_CS,
    virtualAddresses: [VIP.nopre],
    ...(r1 ? { preempt: false } : {}),
  },
  {
    name: 'VI_delay',
    vrid: 62,
    version: 3,
    priority,
    advertIntervalCs: INTERVAL_CS,
    virtualAddresses: [VIP.delay],
    ...(r1 ? { preemptDelayMs: DELAY_MS } : {}),
  },
];

testEachVariant(t, 'nopreempt and preempt_delay', 'pre', 2, preemption);

async function preemption(t: Test, kinds: readonly RouterKind[], tag: string): Promise<void> {
  const h = await Harness.create(t, tag, 2);
  h.watchVips([VIP.nopre, VIP.delay]);
  const r2 = h.startAs(kinds, 'r2', routers(100, false));
  await r2.waitForState('VI_nopre', 'Master', masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS + STARTUP_MS);
  await r2.waitForState('VI_delay', 'Master', 5000);

  const r1 = h.startAs(kinds, 'r1', routers(200, true));
  const backup = await r1.waitForState('VI_delay', 'Backup', STARTUP_MS);
  await r1.waitForState('VI_nopre', 'Backup', 5000);

  await t.test('preempt_delay: r1 stays Backup during the delay, then takes over', async (t) => {
    await sleep(Math.max(0, backup.atMs + DELAY_MS - 1000 - Date.now()));
    t.same(await holdersOf(h.lan, VIP.delay), ['r2'], 'ip addr, a second before the delay ends: the VIP still on r2');
    t.equal(r1.stateOf('VI_delay'), 'Backup');
    const master = await r1.waitForState(
      'VI_delay',
      'Master',
      DELAY_MS + masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS,
    );
    const waited = master.atMs - backup.atMs;
    t.ok(
      waited >= DELAY_MS - 100,
      `r1 became Master ${waited} ms after entering Backup (preempt_delay ${DELAY_MS} ms)`,
    );
    t.ok(waited <= DELAY_MS + masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS, 'and not much later');
    t.equal(master.reason, 'preempt-delay-expired');
    await r2.waitForState('VI_delay', 'Backup', 5000);
    t.same(
      await waitUntil(
        async () => {
          const hs = await holdersOf(h.lan, VIP.delay);
          return hs.length === 1 ? hs : undefined;
        },
        3000,
        'one holder of the VI_delay VIP',
      ),
      ['r1'],
      'ip addr: the VIP moved to r1',
    );
  });

  await t.test('nopreempt: the higher-priority r1 stays Backup', async (t) => {
    // By now r1 has heard r2 for longer than three Master_Down_Intervals.
    await sleep(Math.max(0, backup.atMs + 3 * masterDownMs(200, INTERVAL_CS, 3) - Date.now()));
    t.equal(r1.stateOf('VI_nopre'), 'Backup', 'r1 (priority 200, preempt:false) is still Backup');
    t.equal(r1.states.filter((s) => s.router === 'VI_nopre' && s.state === 'Master').length, 0, 'and never was Master');
    t.equal(r2.stateOf('VI_nopre'), 'Master', 'r2 (priority 100) is still Master');
    t.same(await holdersOf(h.lan, VIP.nopre), ['r2'], 'ip addr: the VIP stays on r2');
  });

  await t.test('nopreempt still takes over when the Master leaves', async (t) => {
    const since = r1.mark();
    t.same(await r2.stop(5000), { code: 0, signal: null }, `r2 (${r2.kind}) exits 0 on SIGTERM`);
    const master = await r1.waitForState('VI_nopre', 'Master', masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS, since);
    t.equal(master.reason, 'master-down-timer');
    t.same(
      await waitUntil(
        async () => {
          const hs = await holdersOf(h.lan, VIP.nopre);
          return hs.length === 1 ? hs : undefined;
        },
        3000,
        'one holder of the VI_nopre VIP',
      ),
      ['r1'],
    );
  });

  await h.stopWatching();
  const owner = (vip: string) => (vip === VIP.nopre ? 'VI_nopre' : 'VI_delay');
  t.same(h.vipViolations(owner), [], `VIPs only ever on a Master (${h.vipSamples} samples)`);

  const frames = (await h.stopCapture()).vrrp();
  const macs = h.macsOf(kinds);
  for (const [vrid, vip] of [
    [61, VIP.nopre],
    [62, VIP.delay],
  ] as const) {
    const verdict = judgeAdverts(frames, {
      macs,
      version: 3,
      vrid,
      priorities: [100, 200],
      intervalCs: INTERVAL_CS,
      addresses: [vip],
    });
    t.ok(verdict.count > 3, `VRID ${vrid}: ${verdict.count} adverts of ours`);
    t.same(verdict.problems, [], `VRID ${vrid}: tshark finds every advert valid (checksum, TTL 255, fields)`);
  }
}
