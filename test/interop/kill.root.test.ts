// kill -9 both ways with keepalived 2.2.7 (VRRPv3, IPv4, 0.5 s): no priority-0 advert, so the survivor
// waits out its Master_Down_Interval; the killed side leaves its VIP behind, and removes it when it
// starts again (keepalived: "removing VIPs"; ours: leftover cleanup at start).
//   1. ours (250) Master, keepalived (200) Backup
//   2. kill -9 ours       -> keepalived Master; the leftover VIP on r2
//   3. ours back at 100   -> leftover removed, ours stays Backup
//   4. kill -9 keepalived -> ours Master; keepalived's leftover on r1
//   5. keepalived back    -> leftover removed, keepalived preempts

import t from 'tap';
import {
  Harness,
  holdersOf,
  judgeAdverts,
  neighbourOf,
  skipReason,
  waitUntil,
  type RouterSpec,
} from '../netns/harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';

const VIP = '192.0.2.81';
const INTERVAL_CS = 50;
const spec = (priority: number): RouterSpec => ({
  name: 'VI_kill',
  vrid: 81,
  version: 3,
  priority,
  advertIntervalCs: INTERVAL_CS,
  virtualAddresses: [VIP],
});
const down = (priority: number) => masterDownMs(priority, INTERVAL_CS, 3);

t.test('kill -9 both ways with keepalived 2.2.7', { skip: skipReason(['keepalived']) ?? false }, async (t) => {
  const h = await Harness.create(t, 'ikl', 2);
  h.watchVips([VIP]);
  const r1 = h.node('r1');
  const r2 = h.node('r2');
  const holders = () => holdersOf(h.lan, VIP).then((hs) => hs.sort());
  const neighbourIs = (mac: string) =>
    waitUntil(
      () => (neighbourOf(h.lan, VIP)?.lladdr === mac ? true : undefined),
      4000,
      `client's entry -> ${mac}`,
    ).catch(() => false);

  let ours = h.startOurs('r2', [spec(250)]);
  await ours.waitForState('VI_kill', 'Master', down(250) + MARGIN_MS + STARTUP_MS);
  let keepalived = h.startKeepalived('r1', [spec(200)]);
  await keepalived.waitForState('VI_kill', 'Backup', STARTUP_MS);
  await h.lan.execAsync(h.lan.client, 'ping', '-c', '1', '-W', '1', VIP);
  t.equal(neighbourOf(h.lan, VIP)?.lladdr, r2.mac, 'client reaches the VIP at r2');

  await t.test('kill -9 ours: keepalived takes over after its Master_Down_Interval', async (t) => {
    const since = keepalived.mark();
    const killedAt = Date.now();
    await h.killHard(ours);
    const master = await keepalived.waitForState('VI_kill', 'Master', down(200) + MARGIN_MS, since);
    // Without a priority-0 advert nothing can be quicker than three advert intervals.
    t.ok(
      master.atMs - killedAt >= 3 * INTERVAL_CS * 10 - 600,
      `keepalived Master ${master.atMs - killedAt} ms after the kill`,
    );
    t.same(
      await waitUntil(async () => ((await holders()).length === 2 ? holders() : undefined), 4000, 'both holding'),
      ['r1', 'r2'],
      'ip addr: keepalived added the VIP; the killed runner left its copy behind',
    );
    t.ok(await neighbourIs(r1.mac), "keepalived's GARP moved the client's entry to r1");
  });

  await t.test('ours restarts at a lower priority: leftover removed, stays Backup', async (t) => {
    ours = h.startOurs('r2', [spec(100)]);
    await ours.waitForState('VI_kill', 'Backup', STARTUP_MS);
    t.same(
      await waitUntil(
        async () => ((await holders()).join() === 'r1' ? holders() : undefined),
        4000,
        'the leftover gone',
      ),
      ['r1'],
      'ip addr: the leftover VIP on r2 is gone, r1 holds it',
    );
    await new Promise((r) => setTimeout(r, down(100)));
    t.equal(ours.stateOf('VI_kill'), 'Backup', 'ours stays Backup under keepalived');
  });

  await t.test('kill -9 keepalived: ours takes over after its Master_Down_Interval', async (t) => {
    const since = ours.mark();
    const killedAt = Date.now();
    await h.killHard(keepalived);
    const master = await ours.waitForState('VI_kill', 'Master', down(100) + MARGIN_MS, since);
    t.equal(master.reason, 'master-down-timer');
    t.ok(
      master.atMs - killedAt >= 3 * INTERVAL_CS * 10 - 600,
      `ours Master ${master.atMs - killedAt} ms after the kill`,
    );
    t.same(
      await waitUntil(async () => ((await holders()).length === 2 ? holders() : undefined), 4000, 'both holding'),
      ['r1', 'r2'],
      "ip addr: ours added the VIP; keepalived's copy stays behind",
    );
    t.ok(await neighbourIs(r2.mac), "our GARP moved the client's entry to r2");
  });

  await t.test('keepalived restarts: removes its leftover and preempts', async (t) => {
    const since = ours.mark();
    keepalived = h.startKeepalived('r1', [spec(200)]);
    await keepalived.waitForLine((l) => /removing VIPs/.test(l.text), STARTUP_MS, 'keepalived removing VIPs');
    await keepalived.waitForState('VI_kill', 'Master', down(200) + MARGIN_MS + STARTUP_MS);
    const backup = await ours.waitForState('VI_kill', 'Backup', 5000, since);
    t.equal(backup.reason, 'higher-priority-advert');
    t.same(
      await waitUntil(async () => ((await holders()).join() === 'r1' ? holders() : undefined), 4000, 'r1 only'),
      ['r1'],
      'ip addr: r1 only',
    );
    t.ok(await neighbourIs(r1.mac), "client's entry back at r1");
  });

  await h.stopWatching();
  t.same(
    h.vipViolations(() => 'VI_kill'),
    [],
    `VIP only ever on a Master, killed nodes excused until restarted (${h.vipSamples} samples)`,
  );
  const frames = (await h.stopCapture()).vrrp();
  const verdict = judgeAdverts(frames, {
    macs: [r2.mac],
    version: 3,
    vrid: 81,
    priorities: [100, 250],
    intervalCs: INTERVAL_CS,
    addresses: [VIP],
  });
  t.ok(verdict.count > 2, `${verdict.count} adverts of ours`);
  t.same(verdict.problems, [], 'tshark: every advert of ours valid');
  t.notOk(
    frames.some((f) => f.vrid === 81 && f.priority === 0),
    'no priority-0 advert from either side: both were killed, not stopped',
  );
});
