// preciseTime(): the timerfd-backed TimePort of the Linux runtime. No root needed.
//
// Correctness is asserted (never early, every deadline fired exactly once, replacement and cancel
// honoured, liveness of the process); lateness figures are printed as comments beside systemTime()'s,
// never asserted (they depend on the machine's load).

import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import t from 'tap';
import type { TimePort } from '../../src/engine/ports.js';
import { systemTime } from '../../src/engine/system-time.js';
import { loadNative } from '../../src/linux/native.js';
import { preciseTime } from '../../src/linux/precise-time.js';

const COUNT = 200;

/** A small deterministic PRNG (mulberry32), so every run asks for the same delays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface RunResult {
  readonly lateness: number[];
  readonly early: number;
  readonly firedTwice: number;
  readonly strayFires: number;
  readonly missed: number;
}

/**
 * COUNT deadlines one after another, each 0.1 to 20 ms ahead of the moment it is set. Every fifth is
 * first set to a decoy deadline and replaced at once; every seventh is preceded by a timer set and
 * cancelled. A decoy or cancelled timer that fires is a stray fire.
 */
function run(port: TimePort, seed: number): Promise<RunResult> {
  const next = random(seed);
  const lateness: number[] = [];
  let early = 0;
  let firedTwice = 0;
  let strayFires = 0;
  return new Promise((resolve) => {
    let index = 0;
    const step = (): void => {
      if (index === COUNT) {
        // Give stray fires a chance to show before reporting.
        port.setTimer(port.nowMs() + 30, () =>
          resolve({ lateness, early, firedTwice, strayFires, missed: COUNT - lateness.length }),
        );
        return;
      }
      const i = index++;
      if (i % 7 === 0) {
        port.setTimer(port.nowMs() + 0.5, () => strayFires++);
        port.setTimer(undefined, () => strayFires++);
      }
      if (i % 5 === 0) port.setTimer(port.nowMs() + 0.05, () => strayFires++);
      const atMs = port.nowMs() + 0.1 + next() * 19.9;
      let fired = false;
      port.setTimer(atMs, () => {
        const now = performance.now();
        if (fired) {
          firedTwice++;
          return;
        }
        fired = true;
        if (now < atMs) early++;
        lateness.push(now - atMs);
        step();
      });
    };
    step();
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function describe(lateness: readonly number[]): string {
  const sorted = [...lateness].sort((a, b) => a - b);
  const f = (ms: number) => `${ms.toFixed(3)} ms`;
  return `p50 ${f(percentile(sorted, 50))}, p99 ${f(percentile(sorted, 99))}, max ${f(sorted[sorted.length - 1]!)}`;
}

t.test('preciseTime: every deadline once, never early; replaced and cancelled timers never fire', async (t) => {
  const precise = await run(preciseTime(), 1);
  t.equal(precise.missed, 0, `all ${COUNT} deadlines fired`);
  t.equal(precise.early, 0, 'none fired before its deadline');
  t.equal(precise.firedTwice, 0, 'none fired twice');
  t.equal(precise.strayFires, 0, 'replaced and cancelled timers did not fire');

  const system = await run(systemTime(), 1);
  t.equal(system.missed, 0, 'systemTime: all fired too (the comparison below is fair)');
  t.comment(`lateness (fired - atMs), ${COUNT} timers at 0.1-20 ms, figures not asserted:`);
  t.comment(`  preciseTime (timerfd): ${describe(precise.lateness)}`);
  t.comment(`  systemTime (setTimeout): ${describe(system.lateness)}`);
});

t.test('a deadline already past fires on the next loop turn, not synchronously', async (t) => {
  const port = preciseTime();
  let fired = false;
  const done = new Promise<void>((resolve) =>
    port.setTimer(port.nowMs() - 5, () => {
      fired = true;
      resolve();
    }),
  );
  t.notOk(fired, 'not called from inside setTimer');
  await done;
  t.ok(fired, 'fired');
});

t.test('a callback may set the next deadline, and cancelling from a callback sticks', async (t) => {
  const port = preciseTime();
  const calls: string[] = [];
  await new Promise<void>((resolve) => {
    port.setTimer(port.nowMs() + 1, () => {
      calls.push('first');
      port.setTimer(port.nowMs() + 1, () => {
        calls.push('second');
        port.setTimer(port.nowMs() + 1, () => calls.push('cancelled'));
        port.setTimer(undefined, () => calls.push('cancelled'));
        setTimeout(resolve, 20);
      });
    });
  });
  t.same(calls, ['first', 'second'], 'chained, then cancelled');
});

t.test('native PreciseTimer: argument checks, close, liveness of the process', async (t) => {
  const { PreciseTimer } = loadNative();
  t.throws(
    () => new PreciseTimer(undefined as unknown as () => void),
    { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' },
    'callback required',
  );
  const timer = new PreciseTimer(() => {});
  t.ok(timer.fd >= 0, 'has a timerfd');
  t.throws(() => timer.arm(-1), { code: 'ERR_INVALID_ARG_VALUE' }, 'negative delay');
  t.throws(() => timer.arm(Number.NaN), { code: 'ERR_INVALID_ARG_VALUE' }, 'NaN delay');
  timer.arm(1e9);
  t.ok(timer.armed, 'armed');
  timer.disarm();
  t.notOk(timer.armed, 'disarmed');
  timer.close();
  t.equal(timer.fd, -1, 'fd -1 once closed');
  t.throws(() => timer.arm(1), { code: 'EBADF', syscall: 'arm' }, 'arm after close is EBADF');
  t.doesNotThrow(() => timer.disarm(), 'disarm after close is a no-op');
  t.doesNotThrow(() => timer.close(), 'close is idempotent');

  // Liveness, in child processes: armed keeps the process alive until it fires; disarmed or unref'd
  // does not; an armed timer left at exit does not hang teardown.
  const nativeUrl = new URL('../../src/linux/native.js', import.meta.url).href;
  const child = (body: string): { output: string; ms: number } => {
    const script = `import { loadNative } from ${JSON.stringify(nativeUrl)};\nconst { PreciseTimer } = loadNative();\n${body}`;
    const started = performance.now();
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    return { output, ms: performance.now() - started };
  };
  t.equal(
    child(`new PreciseTimer(() => console.log('fired')).arm(300e6);`).output.trim(),
    'fired',
    'an armed timer (no other handle) keeps the process alive until it fires',
  );
  // Re-armed from its own callback the timer keeps polling (no epoll_ctl between deadlines); once a
  // callback does not re-arm it, polling stops and the process may exit.
  const chained = child(
    `let n = 0; const x = new PreciseTimer(() => { console.log('fired ' + ++n); if (n < 3) x.arm(20e6); }); x.arm(20e6);`,
  );
  t.equal(chained.output.trim(), 'fired 1\nfired 2\nfired 3', 'a timer re-armed from its callback fires each time');
  t.ok(
    chained.ms < 2500,
    `and lets the process exit once the last callback did not re-arm it (${chained.ms.toFixed(0)} ms)`,
  );
  const disarmed = child(`const x = new PreciseTimer(() => console.log('fired')); x.arm(3e9); x.disarm();`);
  t.equal(disarmed.output.trim(), '', 'a disarmed timer does not fire');
  t.ok(disarmed.ms < 2500, `a disarmed timer does not keep the process alive (${disarmed.ms.toFixed(0)} ms)`);
  const unrefd = child(`const x = new PreciseTimer(() => console.log('fired')); x.arm(3e9); x.unref();`);
  t.equal(unrefd.output.trim(), '', "an unref'd armed timer does not keep the process alive");
  t.ok(unrefd.ms < 2500, `exited without waiting (${unrefd.ms.toFixed(0)} ms)`);
  const exiting = child(`const x = new PreciseTimer(() => {}); x.arm(3e9); console.log('bye'); process.exit(0);`);
  t.equal(exiting.output.trim(), 'bye', 'process.exit with an armed timer is clean');
});
