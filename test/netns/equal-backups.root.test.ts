// Two Backups of equal priority and a Master that stops (SIGTERM, priority-0 advert), again and
// again. Both Backups hear the priority-0 advert at the same moment and reach Skew_Time together, so
// both take over and then settle on one Master (the higher address) as Masters do. What must never
// happen: each hears the other's takeover advert while still a Backup, resets its timer, and the VIP
// has no Master for a whole Master_Down_Interval. That happened once the Linux port sent takeover
// adverts from the timer's expiry and the engine then read its sockets before acting (see
// TimerExpiry in src/engine/ports.ts).

import t from 'tap';
import { Harness, holdersOf, skipReason, sleep, waitUntil, type RouterSpec } from './harness.js';
import { MARGIN_MS, masterDownMs, skewMs, STARTUP_MS } from './timing.js';

const VIP = '192.0.2.100';
const INTERVAL_CS = 100;
const ROUNDS = 6;
const spec = (priority: number): RouterSpec => ({
  name: 'VI_1',
  vrid: 61,
  version: 3,
  priority,
  advertIntervalCs: INTERVAL_CS,
  virtualAddresses: [VIP],
});

t.test(
  'equal-priority Backups after a SIGTERM: a Master within Skew_Time, every time',
  { skip: skipReason() ?? false },
  async (t) => {
    const h = await Harness.create(t, 'eqb', 3, { capture: false });
    const r2 = h.startOurs('r2', [spec(100)]);
    const r3 = h.startOurs('r3', [spec(100)]);
    await r2.waitForState('VI_1', 'Backup', STARTUP_MS);
    await r3.waitForState('VI_1', 'Backup', STARTUP_MS);
    // Skew_Time after the priority-0 advert, one advert interval for two Masters to meet, and a second
    // for a slow machine: still well short of Skew_Time + Master_Down_Interval, what the fault costs.
    const bound = skewMs(100, INTERVAL_CS, 3) + 2 * INTERVAL_CS * 10;
    const late: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r1 = h.startOurs('r1', [spec(200)]);
      await r1.waitForState('VI_1', 'Master', masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS + STARTUP_MS);
      await waitUntil(
        async () => ((await holdersOf(h.lan, VIP)).join() === 'r1' ? true : undefined),
        3000,
        'the VIP on r1 only',
      );
      await sleep(300);
      const marks = [r2.mark(), r3.mark()] as const;
      const stoppedAt = Date.now();
      await r1.stop(5000);
      const first = await Promise.race([
        r2.waitForState('VI_1', 'Master', 10_000, marks[0]),
        r3.waitForState('VI_1', 'Master', 10_000, marks[1]),
      ]);
      const tookMs = first.atMs - stoppedAt;
      if (tookMs > bound) late.push(`round ${round}: first Master after ${tookMs} ms`);
      // Two Masters of equal priority: the lower address steps down on hearing the higher one.
      const holders = await waitUntil(
        async () => {
          const now = await holdersOf(h.lan, VIP);
          return now.length === 1 ? now : undefined;
        },
        3000,
        'the VIP on one Backup-turned-Master',
      );
      t.ok(holders.length === 1, `round ${round}: ${holders[0]} Master ${tookMs} ms after the SIGTERM`);
    }
    t.strictSame(late, [], `every round had a Master within Skew_Time + one interval (${bound.toFixed(0)} ms)`);
  },
);
