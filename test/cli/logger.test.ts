// The runners' logger against a stdout nobody reads: the process's timers stay on time, lines that do
// not fit the bounded buffer are dropped and counted, and the count is logged once the reader catches
// up; at exit the buffer is flushed, within a bound even when the reader never reads.

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { EXIT_FLUSH_MS } from '../../src/cli/logger.js';

const CHILD = fileURLToPath(new URL('./log-flood-child.js', import.meta.url));
/**
 * A functional bound on the flooding child's timer lateness. A write that waited for this reader
 * would wait forever (the test does not read until the child reports), and one that slept and
 * retried on EAGAIN (sonic-boom's sync mode) would never get through either; so the bound only has
 * to tell "never waits" from "waits", and leaves room for a machine whose two cores are shared with
 * other namespace tests (timers 300-500 ms late were seen at load 12-15 with stdout read normally).
 */
const MAX_TIMER_LATENESS_MS = 2000;
/** The flood takes about 2 s on a quiet machine; a child that has not reported long after is stuck in a write. */
const REPORT_TIMEOUT_MS = 60_000;
/** Only the flood lines carry this. */
const PADDING = 'x'.repeat(200);

function start(args: string[]): ChildProcess {
  return fork(CHILD, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Reads the child's stdout from now on, line by line. */
function readLines(child: ChildProcess): {
  lines: string[];
  until: (test: (line: string) => boolean, timeoutMs: number) => Promise<boolean>;
} {
  const lines: string[] = [];
  let rest = '';
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
    for (const wake of waiters.splice(0)) wake();
  });
  const until = async (test: (line: string) => boolean, timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (!lines.some(test)) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return true;
  };
  return { lines, until };
}

for (const format of ['json', 'pretty'] as const) {
  t.test(`${format}: a stdout nobody reads stalls no timer; lost lines are counted and reported`, async (t) => {
    const child = start(['flood', format]);
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    // stdout is never read until the flood is over: the pipe and then the buffer fill up.
    const report = await new Promise<{ logged: number; maxLateMs: number } | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), REPORT_TIMEOUT_MS);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve(message as { logged: number; maxLateMs: number });
      });
    });
    if (report === undefined) {
      t.fail(
        `the child did not finish its flood within ${REPORT_TIMEOUT_MS} ms: its writes are waiting for the reader`,
      );
      return;
    }
    t.ok(
      report.maxLateMs < MAX_TIMER_LATENESS_MS,
      `the timer was at most ${report.maxLateMs.toFixed(1)} ms late while logging ${report.logged} lines`,
    );

    const { lines, until } = readLines(child);
    const isReport = (line: string) => line.includes('log line(s) dropped');
    t.ok(await until(isReport, 10_000), 'once the reader catches up, a line says how many were dropped');
    child.disconnect();
    t.equal(await exited(child), 0, 'the child exits normally');

    const flood = lines.filter((line) => line.includes(PADDING));
    const reports = lines.filter(isReport);
    const dropped = reports
      .map((line) => Number(/"?dropped"?[=:](\d+)/.exec(line)?.[1] ?? Number.NaN))
      .reduce((sum, n) => sum + n, 0);
    t.ok(dropped > 0, `${dropped} lines were dropped`);
    t.equal(flood.length + dropped, report.logged, 'every line logged was either written or counted as dropped');
    const last = lines.find((line) => line.includes('done')) ?? '';
    t.match(
      last,
      new RegExp(`logLinesDropped"?[=:]${dropped}\\b`),
      'a line written after the loss carries the running count',
    );
  });
}

t.test('at a normal exit the buffered lines are written, the last one included', async (t) => {
  const child = start(['exit']);
  const { lines, until } = readLines(child);
  t.equal(await exited(child), 0);
  t.ok(await until((line) => line.includes('the last line before exit'), 5000), 'the last line arrived');
  t.equal(lines.filter((line) => line.includes('"event":"flood"')).length, 2000, 'with every line before it');
});

t.test('a reader that never reads cannot hang the exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logger-exit-'));
  const stampFile = join(dir, 'exit-called-at');
  const child = start(['exit', stampFile]);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited(child);
  const exitedAtMs = Date.now();
  clearTimeout(timeout);
  t.equal(code, 0, 'the child exited by itself');
  // From the child's exit call, not from its start: the start-up (tap's loaders) is not the flush.
  const tookMs = exitedAtMs - Number(readFileSync(stampFile, 'utf8'));
  t.ok(
    tookMs < EXIT_FLUSH_MS + 4000,
    `within the exit flush bound (${tookMs} ms from the exit call, the flush gives up after ${EXIT_FLUSH_MS} ms)`,
  );
});
