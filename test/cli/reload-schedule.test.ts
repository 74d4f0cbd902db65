// reload_time_file and reload_repeat as bin/vrrpd runs them (src/cli/reload-schedule.ts), on real files
// and the real clock: the time file read safely, a reload at its time, moved when the file changes,
// cancelled when it goes, the file removed or kept as keepalived 2.2.7 does. And the reload file and
// check log of reload_file / reload_check_config (src/cli/reload-files.ts).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTimeFileLine, ReloadSchedule } from '../../src/cli/reload-schedule.js';
import { formatReloadTime } from '../../src/cli/reload-time.js';
import { ReloadFiles, DEFAULT_RELOAD_FILE_MODES } from '../../src/cli/reload-files.js';
import { recordingLogger, scratchDir } from '../health/helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The whole second at least `ms` from now, and its local HH:MM:SS (a time without a date). */
function secondsAhead(ms: number): { atMs: number; time: string } {
  const atMs = Math.ceil((Date.now() + ms) / 1000) * 1000;
  return { atMs, time: formatReloadTime(atMs).slice(11) };
}

t.test('readTimeFileLine: the first line, at most 20 characters; links, FIFOs and others refused', async (t) => {
  const dir = await scratchDir(t);
  const file = join(dir, 'reload_time');
  t.equal(readTimeFileLine(file), undefined, 'no file: no time');
  writeFileSync(file, '');
  t.equal(readTimeFileLine(file), undefined, 'an empty file: no time');
  writeFileSync(file, '13:00:00\nanything after\n');
  t.equal(readTimeFileLine(file), '13:00:00');
  writeFileSync(file, '2026-03-10 13:00:00Z and more');
  t.equal(readTimeFileLine(file), '2026-03-10 13:00:00Z', "fgets's 20 characters, as keepalived reads");
  const link = join(dir, 'link');
  symlinkSync(file, link);
  t.throws(() => readTimeFileLine(link), /symbolic link/);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  t.throws(() => readTimeFileLine(fifo), /not a regular file/, 'a FIFO does not block the daemon: refused');
  if (process.getuid?.() === 0) {
    const theirs = join(dir, 'theirs');
    writeFileSync(theirs, '13:00:00\n');
    chownSync(theirs, 65534, 65534);
    t.throws(() => readTimeFileLine(theirs), /owned by uid 65534/, "another user's file is not read by root");
  }
});

/** A schedule on `file` whose reloads are counted with their times. */
function watching(file: string, repeat: boolean) {
  const logger = recordingLogger();
  const reloads: number[] = [];
  const schedule = new ReloadSchedule({ timeFile: file, repeat, logger, reload: () => reloads.push(Date.now()) });
  return { logger, reloads, schedule };
}

t.test('a time alone: the reload at that second, then the file is removed', async (t) => {
  const dir = await scratchDir(t);
  const file = join(dir, 'reload_time');
  const due = secondsAhead(1500);
  writeFileSync(file, `${due.time}\n`);
  const { reloads, schedule, logger } = watching(file, false);
  t.teardown(() => schedule.stop());
  schedule.start();
  t.equal(schedule.scheduledAtMs, due.atMs, `scheduled for ${due.time}`);
  await sleep(due.atMs - Date.now() + 1500);
  t.equal(reloads.length, 1, 'one reload');
  t.ok(reloads[0]! >= due.atMs, `not before its time (${reloads[0]! - due.atMs} ms after)`);
  t.ok(reloads[0]! < due.atMs + 1000, 'within a second of it');
  t.notOk(existsSync(file), 'the file is removed (keepalived: a time alone would mean tomorrow otherwise)');
  t.ok(logger.records.some((r) => r.message?.startsWith('reload scheduled for')));
});

t.test('reload_repeat with a time alone: the file is kept (tomorrow, same time)', async (t) => {
  const dir = await scratchDir(t);
  const file = join(dir, 'reload_time');
  const due = secondsAhead(1500);
  writeFileSync(file, `${due.time}\n`);
  const { reloads, schedule } = watching(file, true);
  t.teardown(() => schedule.stop());
  schedule.start();
  await sleep(due.atMs - Date.now() + 1200);
  t.equal(reloads.length, 1, 'one reload');
  t.equal(readFileSync(file, 'utf8'), `${due.time}\n`, 'the file is kept');
  // What the daemon does after the reload: a new schedule from the same file, now for tomorrow.
  const next = watching(file, true);
  t.teardown(() => next.schedule.stop());
  next.schedule.start();
  t.equal(next.schedule.scheduledAtMs! - due.atMs, 86_400_000, 'the next one is 24 hours later (no DST change here)');
});

t.test('reload_repeat with a date: the file is removed all the same', async (t) => {
  const dir = await scratchDir(t);
  const file = join(dir, 'reload_time');
  const due = secondsAhead(1500);
  writeFileSync(file, `${formatReloadTime(due.atMs)}\n`);
  const { reloads, schedule } = watching(file, true);
  t.teardown(() => schedule.stop());
  schedule.start();
  await sleep(due.atMs - Date.now() + 1200);
  t.equal(reloads.length, 1, 'one reload');
  t.notOk(existsSync(file), 'removed: a date in the past would be refused anyway');
});

t.test('the file written later, moved, then removed: scheduled, moved, cancelled', async (t) => {
  const dir = await scratchDir(t);
  const file = join(dir, 'reload_time');
  const { reloads, schedule, logger } = watching(file, false);
  t.teardown(() => schedule.stop());
  schedule.start();
  t.equal(schedule.scheduledAtMs, undefined, 'no file yet: nothing scheduled');
  const far = secondsAhead(60_000);
  writeFileSync(file, `${formatReloadTime(far.atMs)}\n`);
  await sleep(400);
  t.equal(schedule.scheduledAtMs, far.atMs, 'created: scheduled');
  const near = secondsAhead(1500);
  writeFileSync(file, `${near.time}\n`);
  await sleep(400);
  t.equal(schedule.scheduledAtMs, near.atMs, 'rewritten: moved');
  t.ok(logger.records.some((r) => r.message?.startsWith('reload time moved from')));
  await sleep(near.atMs - Date.now() + 1200);
  t.equal(reloads.length, 1, 'the reload at the new time');

  const again = watching(file, false);
  t.teardown(() => again.schedule.stop());
  const later = secondsAhead(1500);
  writeFileSync(file, `${later.time}\n`);
  again.schedule.start();
  t.equal(again.schedule.scheduledAtMs, later.atMs);
  unlinkSync(file);
  await sleep(later.atMs - Date.now() + 1200);
  t.equal(again.reloads.length, 0, 'removed before its time: no reload');
  t.equal(again.schedule.scheduledAtMs, undefined);
  t.ok(again.logger.records.some((r) => /cancelled/.test(r.message ?? '')));
});

t.test('a wrong time or a missing directory: logged, nothing scheduled, nothing thrown', async (t) => {
  const dir = await scratchDir(t);
  const file = join(dir, 'reload_time');
  writeFileSync(file, '25:00:00\n');
  const wrong = watching(file, false);
  t.teardown(() => wrong.schedule.stop());
  wrong.schedule.start();
  t.equal(wrong.schedule.scheduledAtMs, undefined);
  t.match(wrong.logger.records.at(-1)?.message, /"25:00:00" is not a valid time; ignored/);
  const nowhere = watching(join(dir, 'no-such-dir', 'reload_time'), false);
  nowhere.schedule.start();
  t.equal(nowhere.logger.records[0]?.level, 'warn');
  t.match(nowhere.logger.records[0]?.message, /cannot watch .*no-such-dir/);
});

t.test('reload_file and reload_check_config: files written safely, removed after the read', async (t) => {
  const dir = await scratchDir(t);
  const reloadFile = join(dir, 'keepalived.reload');
  const checkLog = join(dir, 'check.log');
  const logger = recordingLogger();
  const files = new ReloadFiles(logger);
  files.use({ reloadFile, checkLog });
  files.reading();
  const stats = lstatSync(reloadFile);
  t.ok(stats.isFile() && stats.size === 0, 'the reload file exists, empty, while the read runs');
  t.equal(stats.mode & 0o777, DEFAULT_RELOAD_FILE_MODES.reloadFile, 'mode 0644 under the default umask');
  files.read('/etc/k.conf', [{ severity: 'error', file: '/etc/k.conf', line: 3, message: 'unknown keyword "x"' }]);
  t.notOk(existsSync(reloadFile), 'removed once the read is over');
  t.equal(
    readFileSync(checkLog, 'utf8'),
    '/etc/k.conf:3: error: unknown keyword "x"\n/etc/k.conf: configuration has errors\n',
  );
  t.equal(lstatSync(checkLog).mode & 0o777, 0o600, 'the check log is private');
  files.read('/etc/k.conf', []);
  t.equal(readFileSync(checkLog, 'utf8'), '/etc/k.conf: configuration is usable\n', 'replaced at every reload');

  // A link planted at the reload file's name is not written through, and is left in place.
  const target = join(dir, 'target');
  writeFileSync(target, 'precious');
  symlinkSync(target, reloadFile);
  files.reading();
  t.equal(readFileSync(target, 'utf8'), 'precious', 'nothing written through the link');
  t.ok(lstatSync(reloadFile).isSymbolicLink(), 'the link is not replaced');
  t.match(logger.records.at(-1)?.message, /cannot create the reload file .*symbolic link/);
  files.read('/etc/k.conf', []);
  t.ok(lstatSync(reloadFile).isSymbolicLink(), 'nor removed (only an empty file of ours is)');

  // reload_check_config without a file: /dev/null, nothing written.
  files.use({ checkLog: '/dev/null' });
  files.reading();
  files.read('/etc/k.conf', []);
  t.equal(files.checkLog, undefined);
});
