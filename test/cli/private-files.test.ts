// private-files.ts against what a local user could leave in a directory root writes to: a symbolic
// link at the final name or at keepalived's predictable temporary name, a file of their own, a
// directory, a hard link, a FIFO; directories owned by them, open to them, or reached through their
// link. The "other user" is uid 65534 (nobody), so the cases that chown need root.

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { writeDump } from '../../src/cli/dumps.js';
import {
  checkDirectory,
  ensurePrivateDirectory,
  readOwnFile,
  removeOwnFile,
  UnsafePathError,
  writePrivateFile,
} from '../../src/cli/private-files.js';

const OTHER_UID = 65534;
const VICTIM_TEXT = 'root:secret\n';
const notRoot = process.getuid?.() !== 0 ? 'needs root to own files as another uid' : undefined;

/** A fresh root-owned 0700 directory, removed after the test, with a victim file in it. */
function workspace(t: Test): { dir: string; victim: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-private-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const victim = join(dir, 'victim');
  writeFileSync(victim, VICTIM_TEXT, { mode: 0o644 });
  return { dir, victim };
}

const mode = (path: string) => lstatSync(path).mode & 0o7777;
const leftovers = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

t.test('writes mode 0600 whatever the umask, replaces its own file, leaves no temporary file', async (t) => {
  const { dir } = workspace(t);
  const path = join(dir, 'keepalived.data');
  const umask = process.umask(0);
  try {
    writePrivateFile(path, 'first\n');
  } finally {
    process.umask(umask);
  }
  t.equal(readFileSync(path, 'utf8'), 'first\n');
  t.equal(mode(path), 0o600, 'mode 0600 with umask 0');
  writePrivateFile(path, 'second\n');
  t.equal(readFileSync(path, 'utf8'), 'second\n', 'a file of ours is replaced');
  writePrivateFile(path, 'third\n', 0o644);
  t.equal(mode(path), 0o644, 'another mode when asked (pid files)');
  t.same(leftovers(dir), [], 'no temporary file left');
});

t.test('a symbolic link planted at the final name: refused, the victim unchanged', async (t) => {
  const { dir, victim } = workspace(t);
  const path = join(dir, 'keepalived.data');
  symlinkSync(victim, path);
  t.throws(
    () => writePrivateFile(path, 'overwritten\n'),
    new UnsafePathError(
      path,
      'is a symbolic link; refusing to replace it (it may have been planted to redirect our write)',
    ),
  );
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the victim is unchanged');
  t.ok(lstatSync(path).isSymbolicLink(), 'the link is left as it was');
  t.same(leftovers(dir), [], 'no temporary file left');
});

t.test("a symbolic link at keepalived's predictable temporary name is never opened", async (t) => {
  const { dir, victim } = workspace(t);
  const path = join(dir, 'keepalived.data');
  // The name our old writer used (and keepalived's kind of name): a user could guess it.
  const predictable = `${path}.${process.pid}.tmp`;
  symlinkSync(victim, predictable);
  writePrivateFile(path, 'dump\n');
  t.equal(readFileSync(path, 'utf8'), 'dump\n', 'the dump is written');
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the victim is unchanged');
  t.ok(lstatSync(predictable).isSymbolicLink(), 'the planted link is untouched');
});

t.test('a file owned by another user at the final name: refused, unchanged', { skip: notRoot ?? false }, async (t) => {
  const { dir } = workspace(t);
  const path = join(dir, 'keepalived.pid');
  writeFileSync(path, 'theirs\n');
  chownSync(path, OTHER_UID, OTHER_UID);
  t.throws(() => writePrivateFile(path, `${process.pid}\n`), {
    code: 'EUNSAFE',
    message: `${path}: is owned by uid ${OTHER_UID}, not by us; refusing to replace it`,
  });
  t.equal(readFileSync(path, 'utf8'), 'theirs\n');
  t.throws(
    () => readOwnFile(path),
    { code: 'EUNSAFE', message: /is owned by uid 65534, not by us/ },
    'nor is it read as a pid file of ours',
  );
});

t.test('a directory or a hard link at the final name: refused', async (t) => {
  const { dir, victim } = workspace(t);
  const asDirectory = join(dir, 'keepalived.stats');
  mkdirSync(asDirectory);
  t.throws(() => writePrivateFile(asDirectory, 'x'), {
    code: 'EUNSAFE',
    message: /keepalived\.stats: exists and is not a regular file/,
  });
  const hardLink = join(dir, 'keepalived.json');
  linkSync(victim, hardLink);
  t.throws(() => writePrivateFile(hardLink, 'x'), { code: 'EUNSAFE', message: /keepalived\.json: has 2 hard links/ });
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the victim is unchanged');
  t.same(leftovers(dir), []);
});

t.test('readOwnFile: a link or a FIFO at a pid path is refused at once', async (t) => {
  const { dir, victim } = workspace(t);
  t.equal(readOwnFile(join(dir, 'missing.pid')), undefined, 'nothing there: undefined');
  const link = join(dir, 'link.pid');
  symlinkSync(victim, link);
  t.throws(() => readOwnFile(link), { code: 'EUNSAFE', message: `${link}: is a symbolic link; refusing to follow it` });
  const fifo = join(dir, 'fifo.pid');
  execFileSync('mkfifo', [fifo]);
  // Without O_NONBLOCK this open would wait for a writer forever.
  t.throws(() => readOwnFile(fifo), { code: 'EUNSAFE', message: `${fifo}: is not a regular file` });
});

t.test('removeOwnFile: only a regular file of ours that still holds our pid', async (t) => {
  const { dir, victim } = workspace(t);
  const ours = join(dir, 'ours.pid');
  writePrivateFile(ours, `${process.pid}\n`);
  t.equal(removeOwnFile(ours, `${process.pid}\n`), true);
  t.notOk(existsSync(ours), 'removed');

  const rewritten = join(dir, 'rewritten.pid');
  writePrivateFile(rewritten, '1\n');
  t.equal(removeOwnFile(rewritten, `${process.pid}\n`), false, 'another daemon wrote its pid since');
  t.equal(readFileSync(rewritten, 'utf8'), '1\n');

  writeFileSync(victim, `${process.pid}\n`);
  const link = join(dir, 'link.pid');
  symlinkSync(victim, link);
  t.equal(removeOwnFile(link, `${process.pid}\n`), false, 'a link is not followed, even to a file holding our pid');
  t.ok(lstatSync(link).isSymbolicLink() && existsSync(victim), 'link and target both left');
});

t.test('removeOwnFile leaves a file of another user holding our pid', { skip: notRoot ?? false }, async (t) => {
  const { dir } = workspace(t);
  const theirs = join(dir, 'theirs.pid');
  writeFileSync(theirs, `${process.pid}\n`);
  chownSync(theirs, OTHER_UID, OTHER_UID);
  t.equal(removeOwnFile(theirs, `${process.pid}\n`), false);
  t.ok(existsSync(theirs));
});

t.test(
  "directories: sticky /tmp-like is fine; another user's, open and not sticky, or reached through their link is refused",
  { skip: notRoot ?? false },
  async (t) => {
    const { dir, victim } = workspace(t);
    const sticky = join(dir, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    checkDirectory(sticky);
    // A world-writable sticky directory (a --dump-dir of /tmp): the write is still safe.
    const planted = join(sticky, 'keepalived.data');
    symlinkSync(victim, planted);
    lchownSync(planted, OTHER_UID, OTHER_UID);
    t.throws(() => writeDump(sticky, 'keepalived.data', { pid: 1 }), {
      code: 'EUNSAFE',
      message: /keepalived\.data: is a symbolic link/,
    });
    t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the victim is unchanged');
    t.equal(writeDump(sticky, 'keepalived.stats', { pid: 1 }), join(sticky, 'keepalived.stats'));
    t.equal(mode(join(sticky, 'keepalived.stats')), 0o600, 'a dump in a shared directory is 0600');

    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    t.throws(() => writePrivateFile(join(open, 'keepalived.data'), 'x'), {
      code: 'EUNSAFE',
      message: `${open}: is writable by group or others (mode 0777) and not sticky: they could rename or delete what we write there`,
    });

    const theirs = join(dir, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, OTHER_UID, OTHER_UID);
    t.throws(() => writePrivateFile(join(theirs, 'keepalived.pid'), 'x'), {
      code: 'EUNSAFE',
      message: `${theirs}: is owned by uid ${OTHER_UID}, neither root nor us: its owner could swap what we write there`,
    });
    t.same(readdirSync(theirs), [], 'nothing written there');

    const good = join(dir, 'good');
    mkdirSync(good, { mode: 0o755 });
    const theirLink = join(sticky, 'dumps');
    symlinkSync(good, theirLink);
    lchownSync(theirLink, OTHER_UID, OTHER_UID);
    t.throws(() => checkDirectory(theirLink), {
      code: 'EUNSAFE',
      message: `${theirLink}: is a symbolic link owned by uid ${OTHER_UID}; refusing to follow it`,
    });
    const rootLink = join(dir, 'var-run');
    symlinkSync(good, rootLink);
    checkDirectory(rootLink);
    t.pass('a link root owns (as /var/run -> /run) is followed');
    writePrivateFile(join(rootLink, 'keepalived.pid'), '7\n');
    t.equal(readFileSync(join(good, 'keepalived.pid'), 'utf8'), '7\n');
  },
);

t.test(
  'ensurePrivateDirectory: creates 0700; refuses a link, a file, an open or foreign directory',
  { skip: notRoot ?? false },
  async (t) => {
    const { dir, victim } = workspace(t);
    const fresh = join(dir, 'vrrpd');
    const umask = process.umask(0);
    try {
      ensurePrivateDirectory(fresh);
    } finally {
      process.umask(umask);
    }
    t.equal(mode(fresh), 0o700, 'created 0700');
    ensurePrivateDirectory(fresh);
    t.pass('an existing private directory is accepted');
    t.equal(writeDump(fresh, 'keepalived.json', { pid: 1 }), join(fresh, 'keepalived.json'));

    const target = join(dir, 'elsewhere');
    mkdirSync(target, { mode: 0o700 });
    const link = join(dir, 'linked');
    symlinkSync(target, link);
    t.throws(() => ensurePrivateDirectory(link), {
      code: 'EUNSAFE',
      message: `${link}: is a symbolic link; the private directory must be a real directory`,
    });
    t.throws(() => ensurePrivateDirectory(victim), { code: 'EUNSAFE', message: `${victim}: is not a directory` });
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    t.throws(() => ensurePrivateDirectory(open), {
      code: 'EUNSAFE',
      message: `${open}: is open to group or others (mode 0755); it must be 0700`,
    });
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, OTHER_UID, OTHER_UID);
    t.throws(() => ensurePrivateDirectory(theirs), {
      code: 'EUNSAFE',
      message: `${theirs}: is owned by uid ${OTHER_UID}, not by us (uid 0)`,
    });
    t.equal(statSync(theirs).uid, OTHER_UID, 'left as it was');
  },
);
