// When a Master's Router Advertisements go out (RFC 4861 6.2.4 timing), on a virtual clock.
import t from 'tap';
import {
  MAX_INITIAL_RTR_ADVERT_INTERVAL_MS,
  MIN_DELAY_BETWEEN_RAS_MS,
  RouterAdvertSchedule,
} from '../../src/core/router-advert-schedule.js';

/** Runs the schedule from `startMs` to `endMs`, firing at each due time; returns the send times. */
function sendTimes(schedule: RouterAdvertSchedule, endMs: number, draw: () => number): number[] {
  const times: number[] = [];
  for (let due = schedule.nextDueMs(); due !== undefined && due <= endMs; due = schedule.nextDueMs()) {
    t.equal(schedule.fire(due - 1, draw()), false, 'nothing is sent before the due time');
    if (schedule.fire(due, draw())) times.push(due);
  }
  return times;
}

t.test('router advert schedule: one at once, the first three intervals capped at 16 s, then min..max', async (t) => {
  const schedule = new RouterAdvertSchedule({ minIntervalMs: 200_000, maxIntervalMs: 600_000 });
  t.equal(schedule.nextDueMs(), undefined, 'nothing is due before becoming Master');
  schedule.start(1000);
  t.equal(schedule.nextDueMs(), 1000, 'the first RA is due at once');
  const times = sendTimes(schedule, 2_000_000, () => 0.5);
  t.same(
    times.slice(0, 4),
    [1000, 17_000, 33_000, 49_000],
    'initial intervals capped at MAX_INITIAL_RTR_ADVERT_INTERVAL',
  );
  t.equal(times[4]! - times[3]!, 400_000, 'then the drawn interval: min + 0.5 x (max - min)');
});

t.test('router advert schedule: the draw spans the configured interval', async (t) => {
  const low = new RouterAdvertSchedule({ minIntervalMs: 5000, maxIntervalMs: 16_000 });
  low.start(0);
  t.same(
    sendTimes(low, 30_000, () => 0),
    [0, 5000, 10_000, 15_000, 20_000, 25_000, 30_000],
    'draw 0: the minimum',
  );
  const high = new RouterAdvertSchedule({ minIntervalMs: 5000, maxIntervalMs: 20_000 });
  high.start(0);
  const times = sendTimes(high, 100_000, () => 0.999_999);
  t.same(times.slice(0, 4), [0, MAX_INITIAL_RTR_ADVERT_INTERVAL_MS, 32_000, 48_000]);
  t.ok(Math.abs(times[4]! - times[3]! - 20_000) < 1, 'after the burst, close to the maximum');
});

t.test('router advert schedule: stop says whether a final RA has anything to withdraw', async (t) => {
  const schedule = new RouterAdvertSchedule({ minIntervalMs: 5000, maxIntervalMs: 16_000 });
  t.equal(schedule.stop(), false, 'never started');
  schedule.start(0);
  t.equal(schedule.stop(), false, 'started but nothing sent yet');
  schedule.start(10);
  t.ok(schedule.fire(10, 0.5));
  t.equal(schedule.stop(), true, 'an RA went out');
  t.equal(schedule.nextDueMs(), undefined, 'nothing due after stop');
  t.equal(schedule.fire(1_000_000, 0.5), false, 'a late timer sends nothing');
});

t.test('router advert schedule: a router back in Master within 3 s waits MIN_DELAY_BETWEEN_RAS', async (t) => {
  const schedule = new RouterAdvertSchedule({ minIntervalMs: 5000, maxIntervalMs: 16_000 });
  schedule.start(0);
  t.ok(schedule.fire(0, 0));
  schedule.stop();
  schedule.start(1000);
  t.equal(schedule.nextDueMs(), MIN_DELAY_BETWEEN_RAS_MS, 'due 3 s after the last one, not at once');
  t.equal(schedule.sentSinceStartCount, 0, 'a new initial burst');
  schedule.start(2000);
  t.equal(schedule.nextDueMs(), MIN_DELAY_BETWEEN_RAS_MS, 'starting again while running keeps the timing');
  schedule.stop();
  schedule.start(60_000);
  t.equal(schedule.nextDueMs(), 60_000, 'long after: at once');
});
