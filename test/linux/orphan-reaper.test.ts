// The orphan reaper (src/linux/orphan-reaper.ts, native/src/orphan_reaper.cc) in this test process made
// a child subreaper, so it adopts the orphans of the shells it spawns, as a container's PID 1 does. It
// must reap every adopted orphan and never take a status from libuv: each spawned shell's own exit code
// still reaches child_process.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadNative } from '../../src/linux/native.js';
import { orphanReaperReason, startOrphanReaper } from '../../src/linux/orphan-reaper.js';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Zombies whose parent is this process, from /proc. */
function ourZombies(): number[] {
  const zombies: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let status;
    try {
      status = readFileSync(`/proc/${name}/status`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (/^State:\s+Z/m.test(status) && new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status))
      zombies.push(Number(name));
  }
  return zombies;
}

/** A shell that backgrounds a short sleep (the orphan) and exits with `code`; resolves with what child_process saw. */
function orphanMaker(code: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `sleep 0.05 & exit ${code}`], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve(exitCode));
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

t.test('off unless PID 1 or a subreaper', async (t) => {
  t.equal(
    orphanReaperReason(() => false),
    process.pid === 1 ? 'pid 1' : undefined,
  );
  t.equal(
    orphanReaperReason(() => true),
    process.pid === 1 ? 'pid 1' : 'child subreaper',
  );
  if (process.pid !== 1 && !loadNative().childSubreaper()) {
    t.equal(startOrphanReaper({ logger: quiet }), undefined, 'not armed in a plain process: init reaps its orphans');
  }
});

t.test('a subreaper reaps adopted orphans, and libuv keeps every exit status', async (t) => {
  const native = loadNative();
  t.equal(native.childSubreaper(true), true, 'this test process is now a child subreaper');
  t.teardown(() => void native.childSubreaper(false));

  // Without the reaper the adopted sleeps stay zombies: the count below is what the reaper must clear.
  const first = await Promise.all(Array.from({ length: 10 }, (_, i) => orphanMaker(i)));
  t.same(
    first,
    Array.from({ length: 10 }, (_, i) => i),
  );
  t.ok(
    await waitFor(() => ourZombies().length >= 10, 5000),
    `10 orphans left as zombies without a reaper (${ourZombies().length})`,
  );

  const reaper = startOrphanReaper({ logger: quiet });
  t.ok(reaper, 'armed: this process is a subreaper');
  t.teardown(() => reaper?.stop());
  t.ok(await waitFor(() => ourZombies().length === 0, 5000), 'the reaper cleared them');

  // 1,000 more, 25 at a time: orphans and libuv's own children exit side by side.
  const runs = 1000;
  const codes: (number | null)[] = [];
  for (let start = 0; start < runs; start += 25) {
    codes.push(...(await Promise.all(Array.from({ length: 25 }, (_, i) => orphanMaker((start + i) % 256)))));
  }
  t.same(
    codes,
    Array.from({ length: runs }, (_, i) => i % 256),
    'child_process saw every shell exit with its own code',
  );
  t.ok(
    await waitFor(() => ourZombies().length === 0, 5000),
    `no zombie left after ${runs} runs (${ourZombies().length})`,
  );
  // The last sleeps may still run when the shells have exited (no zombie yet): wait for their exits.
  t.ok(await waitFor(() => reaper!.reaped >= runs + 10, 5000), `reaped ${reaper!.reaped} orphans`);
});

t.test("the addon's spawnCommand children keep their exit statuses while the reaper runs", async (t) => {
  // Their exit is read through a pidfd (native/src/spawn.cc), not by libuv: the reaper must leave
  // them to that watch (IsSpawnedChild), or the check script's result would be lost.
  const native = loadNative();
  t.equal(native.childSubreaper(true), true);
  t.teardown(() => void native.childSubreaper(false));
  const reaping = setInterval(() => native.reapOrphans(), 1);
  t.teardown(() => clearInterval(reaping));
  const runs = 200;
  const codes = await Promise.all(
    Array.from(
      { length: runs },
      (_, i) =>
        new Promise<number | null>((resolve, reject) =>
          native.spawnCommand(
            { argv: ['/bin/sh', '-c', `sleep 0.0${i % 5} & exit ${i % 7}`] },
            (error) => error && reject(error),
            (code) => resolve(code),
          ),
        ),
    ),
  );
  t.same(
    codes.map((code, i) => code === i % 7).filter((right) => !right).length,
    0,
    `${runs} exit codes, each as the script exited`,
  );
  t.ok(await waitFor(() => ourZombies().length === 0, 5000), 'and no zombie left');
});
