// vrrp_track_process fork_delay (keepalived 2.2.7, core/track_process.c check_process_fork): when a
// tracked process forks, the child has its parent's name until it execs, and is counted. A verdict
// change that such a fork makes (quorum reached, or quorum_max passed) waits fork_delay; if the count
// goes back within it, nothing changes. A process that appears by exec (not a child of a counted one)
// counts at once. First on scripted process tables, then with real processes from /proc.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ProcessCheck, type ProcessEntry } from '../../src/health/checks/process.js';
import type { ProcessCheckSpec } from '../../src/model/health-plan.js';

const entry = (pid: number, ppid: number, comm = 'app'): ProcessEntry => ({ pid, ppid, comm, argv: [] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a check over a list of process tables, one per scan, `intervalMs` apart; returns its verdicts. */
async function verdicts(spec: Partial<ProcessCheckSpec>, tables: ProcessEntry[][], intervalMs = 20) {
  let scan = 0;
  const check = new ProcessCheck(
    { kind: 'process', name: 'p', process: 'app', intervalMs, ...spec },
    async () => tables[Math.min(scan++, tables.length - 1)]!,
  );
  const seen: boolean[] = [];
  check.start((verdict) => seen.push(verdict.up));
  while (scan < tables.length) await sleep(5);
  await sleep(intervalMs);
  check.stop();
  return seen;
}

const parent = entry(100, 1);
const child = entry(101, 100);
const stranger = entry(200, 1);

t.test('quorum_max 1: a fork that execs within fork_delay makes no change', async (t) => {
  const tables = [[parent], [parent, child], [parent, child], [parent]];
  t.same(await verdicts({ quorumMax: 1 }, tables), [false, true], 'without fork_delay: down, then up');
  t.same(await verdicts({ quorumMax: 1, forkDelayMs: 1000 }, tables), [], 'with it: no change');
  t.same(
    await verdicts({ quorumMax: 1, forkDelayMs: 1000 }, [[parent], [parent, stranger], [parent]]),
    [false, true],
    'a second process that is no fork of a counted one counts at once',
  );
  t.same(
    await verdicts({ quorumMax: 1, forkDelayMs: 30 }, [[parent], ...Array(8).fill([parent, child]), [parent]]),
    [false, true],
    'a fork that lasts past fork_delay changes the verdict, and its end changes it back',
  );
});

t.test('quorum 2: reached by a fork, it waits fork_delay; a child gone within it changes nothing', async (t) => {
  const quorum2 = { quorum: 2, forkDelayMs: 60 };
  t.same(await verdicts(quorum2, [[parent], [parent, child], [parent]]), [false], 'the fork ended in time');
  const lasting = await verdicts(quorum2, [[parent], ...Array(10).fill([parent, child])]);
  t.same(lasting, [false, true], 'the fork lasted: up after fork_delay');
});

t.test('real processes: a shell whose subshell lives 1.5 s', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autoprio-fork-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // comm is the script's name; the subshell is a fork of it that never execs for 1.5 s.
  const name = `apfork${process.pid}`.slice(0, 15);
  const script = join(dir, name);
  writeFileSync(script, '#!/bin/sh\nsleep 0.6\n( sleep 1.5; true )\nsleep 1\n');
  chmodSync(script, 0o755);
  const run = async (forkDelayMs: number | undefined) => {
    const shell = spawn(script, { stdio: 'ignore' });
    const check = new ProcessCheck({
      kind: 'process',
      name: 'fork',
      process: name,
      quorumMax: 1,
      intervalMs: 100,
      ...(forkDelayMs !== undefined ? { forkDelayMs } : {}),
    });
    const seen: boolean[] = [];
    check.start((verdict) => seen.push(verdict.up));
    await new Promise((resolve) => shell.once('exit', resolve));
    check.stop();
    return seen;
  };
  t.same(await run(undefined), [false, true], 'no fork_delay: two processes for 1.5 s, down then up');
  t.same(await run(3000), [], 'fork_delay 3: the subshell ended within it, no change');
  t.same(await run(500), [false, true], 'fork_delay 0.5: down 0.5 s into the fork, up when it ends');
});
