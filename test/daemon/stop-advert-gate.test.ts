// The runtime's rule for its apply queue: stop adverts armed only when asked for and while no queued
// work would make the stop wait.
import t from 'tap';
import { StopAdvertGate } from '../../src/daemon/stop-advert-gate.js';

t.test('open only when wanted and nothing is queued; shut from enqueue until the work settles', async (t) => {
  const told: boolean[] = [];
  const gate = new StopAdvertGate((on) => told.push(on));
  gate.want(true);
  t.strictSame(told, [true]);
  let finish!: () => void;
  const first = gate.hold(() => new Promise<void>((resolve) => (finish = resolve)));
  const failing = gate.hold(() => Promise.reject(new Error('apply failed')));
  t.strictSame(told, [true, false, false], 'shut as soon as work is queued');
  await t.rejects(failing, { message: 'apply failed' }, 'the work result is passed on');
  t.equal(told.at(-1), false, 'still shut: the first work is running');
  finish();
  await first;
  t.equal(told.at(-1), true, 'open again once all settled');
  gate.want(false);
  t.equal(told.at(-1), false, 'not wanted: shut');
  await gate.hold(async () => 'done');
  t.equal(told.at(-1), false, 'and stays shut after work when not wanted');
});
