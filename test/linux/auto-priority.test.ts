// The wiring of max_auto_priority (src/linux/auto-priority.ts): the engine's precise timer
// (src/linux/precise-time.ts, a real timerfd) reports how late it fires, and a stalled event loop
// turns into raises. The setter here records what would be set, so the test needs no CAP_SYS_NICE;
// test/interop/auto-priority.root.test.ts reads the real policy back from the kernel.
import t from 'tap';
import { startAutoPriority } from '../../src/linux/auto-priority.js';
import { observeTimerLateness, preciseTime } from '../../src/linux/precise-time.js';

function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a busy event loop, as a long synchronous job makes it
  }
}

/** Arms the timer `inMs` ahead, stalls the loop `stallMs`, and resolves when the expiry is delivered. */
function lateExpiry(inMs: number, stallMs: number): Promise<void> {
  const time = preciseTime();
  return new Promise((resolve) => {
    time.setTimer(time.nowMs() + inMs, () => resolve());
    stall(stallMs);
  });
}

/** A logger that keeps each line's message. */
function recordingLogger(lines: string[]): Parameters<typeof startAutoPriority>[1] {
  const keep = (_fields: object, message: string) => lines.push(message);
  return { info: keep, warn: keep } as unknown as Parameters<typeof startAutoPriority>[1];
}

t.test('the timer reports its lateness', async (t) => {
  const seen: number[] = [];
  observeTimerLateness((ms) => seen.push(ms));
  t.teardown(() => observeTimerLateness(undefined));
  await lateExpiry(5, 120);
  t.equal(seen.length, 1, 'one expiry, one report');
  t.ok(seen[0]! >= 110, `late by the stall less the delay (${seen[0]!.toFixed(1)} ms)`);
});

t.test('stalls beyond min_auto_priority_delay raise step by step, up to the ceiling', async (t) => {
  const set: number[] = [];
  const lines: string[] = [];
  const logger = recordingLogger(lines);
  const stop = startAutoPriority({ maxAutoPriority: 2, autoPriorityDelayUs: 50_000 }, logger, (p) => set.push(p));
  t.teardown(stop);
  await lateExpiry(1, 0);
  t.same(set, [], 'on time: nothing');
  for (let i = 0; i < 3; i++) await lateExpiry(5, 100);
  t.same(set, [1, 2], 'SCHED_RR 1, then 2, then no further (max_auto_priority 2)');
  t.match(lines[0], /a timer fired 0\.\d{6} s late \(min_auto_priority_delay 50000 µs\): main thread now SCHED_RR 1/);
});

t.test('a refusal is logged with the capability, and the next raise is still tried', async (t) => {
  const lines: string[] = [];
  const logger = recordingLogger(lines);
  const tried: number[] = [];
  const stop = startAutoPriority({ maxAutoPriority: 5, autoPriorityDelayUs: 50_000 }, logger, (p) => {
    tried.push(p);
    throw Object.assign(new Error('sched_setscheduler: Operation not permitted'), { code: 'EPERM' });
  });
  t.teardown(stop);
  await lateExpiry(5, 100);
  await lateExpiry(5, 100);
  t.same(tried, [1, 2], 'as keepalived, the count moves on');
  t.match(
    lines[0],
    /SCHED_RR 1 refused \(sched_setscheduler: Operation not permitted\): the process needs CAP_SYS_NICE/,
  );
});

t.test('a later start without max_auto_priority stops an earlier one', async (t) => {
  const set: number[] = [];
  startAutoPriority({ maxAutoPriority: 5, autoPriorityDelayUs: 50_000 }, undefined, (p) => set.push(p));
  startAutoPriority({ realtimePriority: 5 }, undefined, (p) => set.push(p));
  await lateExpiry(5, 100);
  t.same(set, [], 'no raise');
});
