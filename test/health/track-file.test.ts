// A track file in a directory a local user can write to (keepalived's examples put it in /tmp): what
// they could put at its path must not stall the daemon at start or later, exhaust its memory, or make
// init_file write through a link. Each case runs startHealth beside a real Engine.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { startHealth, type HealthPlan } from '../../src/health/index.js';
import { engineWith, eventually, recordingLogger, scratchDir } from './helpers.js';

const plan = (partial: Partial<HealthPlan>): HealthPlan => ({
  checks: [],
  tracks: [],
  notify: [],
  syncGroups: [],
  ...partial,
});

function trackFile(path: string, extra: Partial<{ initValue: number; initOverwrite: boolean }> = {}) {
  const { engine } = engineWith([{ priority: 100 }]);
  const health = startHealth(
    plan({
      checks: [{ kind: 'file', name: 'f', path, intervalMs: 50, ...extra }],
      tracks: [{ router: 'VI_1', check: 'f', weight: 10 }],
    }),
    { engine, logger: recordingLogger() },
  );
  engine.start();
  return { engine, health, priority: () => engine.snapshot()[0]!.effectivePriority };
}

t.test('a FIFO at the path neither stalls the start nor the reads; a real file later is read', async (t) => {
  const dir = await scratchDir(t);
  const path = join(dir, 'prio');
  execFileSync('mkfifo', [path]);
  // Before, the start's synchronous read waited for a writer on the FIFO forever.
  const { health, priority } = trackFile(path);
  t.teardown(() => health.stop());
  await eventually('the FIFO has been looked at', () => health.status()[0]!.runs >= 2);
  t.match(health.status()[0], { value: 0, lastResult: `${path} is not a regular file: 0` });
  t.equal(priority(), 100, 'reads as 0');
  const next = join(dir, 'prio.new');
  writeFileSync(next, '4\n');
  await rename(next, path);
  await eventually('the file that replaced it is read', () => priority() === 140);
});

t.test('a link to /dev/zero is not read to the end', async (t) => {
  const dir = await scratchDir(t);
  const path = join(dir, 'prio');
  symlinkSync('/dev/zero', path);
  const { health, priority } = trackFile(path);
  t.teardown(() => health.stop());
  await eventually('read twice', () => health.status()[0]!.runs >= 2);
  t.match(health.status()[0], { value: 0, lastResult: `${path} is not a regular file: 0` });
  t.equal(priority(), 100);
});

t.test('a file longer than a number is read by its head only', async (t) => {
  const dir = await scratchDir(t);
  const path = join(dir, 'prio');
  writeFileSync(path, `3\n${'x'.repeat(1 << 20)}`);
  const { health, priority } = trackFile(path);
  t.teardown(() => health.stop());
  t.equal(priority(), 130, 'the number at its head, at start');
  await eventually('and on every read', () => health.status()[0]!.runs >= 2 && priority() === 130);
});

t.test('init_file never writes through a link planted at the path', async (t) => {
  const dir = await scratchDir(t);
  const missing = join(dir, 'would-be-created');
  const dangling = join(dir, 'prio');
  symlinkSync(missing, dangling);
  const first = trackFile(dangling, { initValue: 7 });
  t.teardown(() => first.health.stop());
  await eventually('read after the init attempt', () => first.health.status()[0]!.runs >= 1);
  t.notOk(existsSync(missing), 'no file is created at the link target');
  t.ok(lstatSync(dangling).isSymbolicLink(), 'the link is left');

  const victim = join(dir, 'victim');
  writeFileSync(victim, 'root:secret\n');
  const linked = join(dir, 'prio2');
  symlinkSync(victim, linked);
  const second = trackFile(linked, { initValue: 7, initOverwrite: true });
  t.teardown(() => second.health.stop());
  await eventually('read after the init attempt', () => second.health.status()[0]!.runs >= 1);
  t.equal(readFileSync(victim, 'utf8'), 'root:secret\n', 'init_file overwrite leaves the target unchanged');

  const plain = join(dir, 'prio3');
  const third = trackFile(plain, { initValue: 2 });
  t.teardown(() => third.health.stop());
  await eventually(
    'a missing plain file is created with the initial value',
    () => existsSync(plain) && readFileSync(plain, 'utf8') === '2\n',
  );
  t.equal(third.priority(), 120);
});
