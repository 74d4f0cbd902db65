// The addon's SignalWatcher through src/linux/rt-signals.ts: real-time signals (which process.on()
// refuses) reach the callback, the watcher never keeps a process alive, close() gives the signal its
// default action back, and every mistake is a Node-style error. Each case that sends a signal does so
// in a child process of its own, so a default action (ending the process) can only end that child.

import { execFileSync, spawnSync } from 'node:child_process';
import t from 'tap';
import { keepalivedRealtimeSignals, realtimeSignalRange, watchSignal } from '../../src/linux/rt-signals.js';

const moduleUrl = new URL('../../src/linux/rt-signals.js', import.meta.url).href;

/** Runs `body` as an ES module in a fresh node with rt-signals' exports in scope. */
function child(body: string): { status: number | null; waitSignal: number | null; stdout: string; stderr: string } {
  const script = `import { watchSignal, realtimeSignalRange } from ${JSON.stringify(moduleUrl)};\n${body}`;
  // Through sh, whose $? is 128 + the number for a child a signal ended (Node does not name real-time ones).
  const wrapper = '"$0" "$@"; code=$?; echo "exit=$code" >&2; exit $((code > 128 ? 0 : code))';
  const run = spawnSync('sh', ['-c', wrapper, process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const code = Number(/exit=(\d+)\n?$/.exec(run.stderr)?.[1] ?? Number.NaN);
  return {
    status: code > 128 ? null : code,
    waitSignal: code > 128 ? code - 128 : null,
    stdout: run.stdout,
    stderr: run.stderr,
  };
}

function hasKeepalived(): boolean {
  try {
    execFileSync('keepalived', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

t.test("the real-time range is the C library's, and keepalived's two signals are its numbers", async (t) => {
  const { min, max } = realtimeSignalRange();
  t.equal(min, Number(execFileSync('bash', ['-c', 'kill -l SIGRTMIN'], { encoding: 'utf8' }).trim()));
  t.equal(max, Number(execFileSync('bash', ['-c', 'kill -l SIGRTMAX'], { encoding: 'utf8' }).trim()));
  const ours = keepalivedRealtimeSignals();
  t.equal(ours.JSON, min + 2);
  t.equal(ours.STATS_CLEAR, max - 1);
  if (!hasKeepalived()) {
    t.comment('keepalived is not installed: its --signum not compared');
    return;
  }
  for (const name of ['JSON', 'STATS_CLEAR'] as const) {
    const printed = Number(execFileSync('keepalived', [`--signum=${name}`], { encoding: 'utf8' }).trim());
    t.equal(ours[name], printed, `${name} as keepalived --signum prints it`);
  }
});

t.test('a real-time signal reaches every watcher of it, on the JS thread, until each is closed', async (t) => {
  const result = child(`
    const { min } = realtimeSignalRange();
    const seen = [];
    const first = watchSignal(min + 2, (n) => seen.push(['first', n]));
    const second = watchSignal(min + 2, (n) => seen.push(['second', n]));
    const other = watchSignal(min + 5, (n) => seen.push(['other', n]));
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    process.kill(process.pid, min + 2);
    await settle();
    second.close();
    second.close();
    process.kill(process.pid, min + 2);
    process.kill(process.pid, min + 5);
    await settle();
    console.log(JSON.stringify({ seen, active: [first.active, second.active, other.active], signal: first.signal }));
  `);
  t.equal(result.status, 0, result.stderr);
  const { min } = realtimeSignalRange();
  const report = JSON.parse(result.stdout) as { seen: [string, number][]; active: boolean[]; signal: number };
  t.same(
    report.seen.slice(0, 2).sort(),
    [
      ['first', min + 2],
      ['second', min + 2],
    ],
    'both watchers called with the number',
  );
  t.same(
    report.seen.slice(2).sort(),
    [
      ['first', min + 2],
      ['other', min + 5],
    ],
    'the closed one no more; another signal only its own',
  );
  t.same(report.active, [true, false, true]);
  t.equal(report.signal, min + 2);
});

t.test('an open watcher does not keep the process alive', async (t) => {
  const started = Date.now();
  const result = child(`watchSignal(realtimeSignalRange().min + 2, () => {}); console.log('done');`);
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout.trim(), 'done');
  t.ok(Date.now() - started < 5000, 'exited on its own');
});

t.test('after close the signal has its default action again (a real-time signal ends the process)', async (t) => {
  const result = child(`
    const signal = realtimeSignalRange().min + 2;
    const watcher = watchSignal(signal, () => console.log('caught'));
    process.kill(process.pid, signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    watcher.close();
    process.kill(process.pid, signal);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    console.log('survived');
  `);
  t.equal(result.stdout.trim(), 'caught', 'caught while watched, then ended before "survived"');
  // Node names no real-time signal (result.signal stays null); the wait status has the number.
  t.equal(result.status, null);
  t.equal(result.waitSignal, realtimeSignalRange().min + 2, 'ended by that signal');
});

t.test("a Worker's watcher is closed when the Worker ends (the environment's teardown)", async (t) => {
  const result = child(`
    const { Worker } = await import('node:worker_threads');
    const signal = realtimeSignalRange().min + 4;
    const inWorker = [
      "const { parentPort, workerData } = require('node:worker_threads');",
      'import(workerData.url).then(({ watchSignal }) => {',
      '  watchSignal(workerData.signal, (n) => parentPort.postMessage(n));',
      "  parentPort.postMessage('ready');",
      '  setInterval(() => {}, 1000);',
      '});',
    ].join('\\n');
    // execArgv: []: not this process's --input-type=module, the worker's code is CommonJS.
    const worker = new Worker(inWorker, { eval: true, execArgv: [], workerData: { url: ${JSON.stringify(moduleUrl)}, signal } });
    for await (const [message] of (await import('node:events')).on(worker, 'message')) {
      if (message === 'ready') process.kill(process.pid, signal);
      else {
        console.log('worker got', message);
        break;
      }
    }
    await worker.terminate();
    process.kill(process.pid, signal);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    console.log('survived');
  `);
  const signal = realtimeSignalRange().min + 4;
  t.equal(
    result.stdout.trim(),
    `worker got ${signal}`,
    `the Worker heard it, then the process was ended by it ${result.stderr}`,
  );
  t.equal(result.waitSignal, signal, 'no watcher was left after the Worker ended');
});

t.test("a listener that throws is an uncaught exception, as for Node's own callbacks", async (t) => {
  const result = child(`
    const signal = realtimeSignalRange().min + 3;
    watchSignal(signal, () => { throw new Error('listener failed'); });
    process.kill(process.pid, signal);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  `);
  t.equal(result.status, 1);
  t.match(result.stderr, /listener failed/);
});

t.test('mistakes are Node-style errors, never a crash', async (t) => {
  t.throws(
    () => watchSignal(9, () => {}),
    { code: 'EINVAL', syscall: 'uv_signal_start', errno: -22 },
    'SIGKILL cannot be caught',
  );
  t.throws(() => watchSignal(19, () => {}), { code: 'EINVAL', syscall: 'uv_signal_start' }, 'nor SIGSTOP');
  for (const bad of [0, -1, 65, 1.5, Number.NaN]) {
    t.throws(() => watchSignal(bad, () => {}), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, `signal ${bad}`);
  }
  t.throws(() => watchSignal('SIGHUP' as unknown as number, () => {}), {
    name: 'TypeError',
    code: 'ERR_INVALID_ARG_VALUE',
  });
  t.throws(() => watchSignal(realtimeSignalRange().min, undefined as unknown as () => void), {
    name: 'TypeError',
    code: 'ERR_INVALID_ARG_VALUE',
  });
});
