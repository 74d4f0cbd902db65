// The status socket: one command in, one JSON document out; a stale socket of ours (left by a killed
// run) is replaced, a live one refused, anything else at the path (a file, a link, another user's
// socket) refused and left alone; the socket is born 0600; the table `vrrpd status` prints.

import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import t from 'tap';
import { formatStatusTable, query, StatusServer, type StatusReply } from '../../src/cli/status-socket.js';

const reply: StatusReply = {
  pid: 42,
  version: '0.1.0',
  configFile: '/etc/keepalived/keepalived.conf',
  startedAt: '2026-01-01T00:00:00.000Z',
  lastReload: null,
  instances: [
    {
      instance: 'VI_1',
      interface: 'eth0',
      vrid: 51,
      family: 4,
      version: 2,
      state: 'Master',
      priority: 150,
      effectivePriority: 150,
      master: '192.0.2.1',
      virtualAddresses: ['192.0.2.100', '192.0.2.101'],
      startedAt: '2026-01-01T00:00:00.000Z',
      lastTransition: { at: '2026-01-01T00:00:03.612Z', from: 'Backup', to: 'Master', reason: 'master-down-timer' },
      checks: [
        { name: 'chk_haproxy', kind: 'script', up: true, weight: -20, lastResult: 'exit 0' },
        { name: 'eth1', kind: 'interface', up: false, weight: 0, lastResult: 'down' },
        { name: 'load', kind: 'file', up: true, weight: 2, value: 5, lastResult: 'read 5' },
        { name: 'chk_peer', kind: 'script', up: false, weight: 10, reverse: true, lastResult: 'exit 1' },
      ],
      excludedAddresses: ['198.51.100.7', '2001:db8::7'],
    },
    {
      instance: 'VI_LONGER_NAME',
      interface: 'eth0',
      vrid: 52,
      family: 4,
      version: 2,
      state: 'Backup',
      priority: 100,
      effectivePriority: 90,
      master: null,
      virtualAddresses: [],
      startedAt: '2026-01-01T00:00:00.000Z',
      lastTransition: null,
      checks: [],
    },
  ],
};

t.test('table', async (t) => {
  const lines = formatStatusTable(reply).split('\n');
  t.match(lines[0], /^vrrpd pid 42, \/etc\/keepalived\/keepalived.conf/);
  t.equal(
    lines[1],
    'INSTANCE        STATE   PRIO  EFFECTIVE  MASTER     VIPS                     LAST TRANSITION (WHY)',
  );
  t.equal(
    lines[2],
    'VI_1            MASTER  150   150        192.0.2.1  192.0.2.100,192.0.2.101  2026-01-01T00:00:03Z Backup->Master (master-down-timer)',
  );
  t.equal(
    lines[3],
    '  checks: chk_haproxy up, weight -20; eth1 down, weight 0 (fault while down); load up, value 5, weight +2; chk_peer down, weight +10 reverse',
  );
  t.equal(lines[4], '  excluded: 198.51.100.7,2001:db8::7');
  t.equal(
    lines[5],
    'VI_LONGER_NAME  BACKUP  100   90         -          -                        -',
    'no checks, no excluded: no extra line',
  );
  t.equal(lines[6], '');
});

t.test('table of a daemon whose reply has no checks field (an older vrrpd)', async (t) => {
  const { checks: _checks, excludedAddresses: _excluded, ...older } = reply.instances[0]!;
  const lines = formatStatusTable({ ...reply, instances: [older as (typeof reply.instances)[0]] }).split('\n');
  t.equal(lines.length, 4, 'title, head, one row and the final newline');
  t.match(lines[2], /^VI_1 /);
});

/** A socket file nobody listens on, as a SIGKILLed daemon leaves it (libuv unlinks it only on a clean close). */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

t.test('server and client', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-sock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 's.sock');
  await staleSocket(path); // left by a killed run: replaced
  t.ok(lstatSync(path).isSocket(), 'a stale socket is there before');
  const asked: string[] = [];
  // umask 0: the mode below is the one bind(2) gave the socket, since nothing chmods it afterwards.
  const umask = process.umask(0);
  let server: StatusServer;
  let maskAfterBind: number;
  try {
    server = await StatusServer.listen(path, (command) => {
      asked.push(command);
      return command === 'status' ? reply : { command };
    });
    // Setting the umask returns the one in force (reading it with umask() alone is deprecated).
    maskAfterBind = process.umask(0);
  } finally {
    process.umask(umask);
  }
  t.teardown(() => server.close());
  t.equal(statSync(path).mode & 0o777, 0o600, 'only its owner may ask, from the moment it exists');
  t.equal(maskAfterBind, 0, "the process's umask is put back after the bind");
  t.same(await query(path, 'status'), reply);
  t.same(await query(path, 'stats'), { command: 'stats' });
  t.same(await query(path, 'json'), { command: 'json' });
  t.same(asked, ['status', 'stats', 'json']);
  const unknown = await new Promise<string>((resolve) => {
    const socket = connect(path, () => socket.write('reboot\n'));
    let text = '';
    socket.on('data', (chunk) => (text += String(chunk)));
    socket.on('end', () => resolve(text));
  });
  t.match(JSON.parse(unknown), { error: /unknown command "reboot"/ });
  await t.rejects(
    StatusServer.listen(path, () => ({})),
    { code: 'EADDRINUSE' },
    'a second daemon on the same socket is refused',
  );
  server.close();
  t.notOk(existsSync(path), 'close removes the socket file');
  await t.rejects(query(path, 'status'), { code: 'ENOENT' });
});

t.test('what is not a socket of ours is refused and left in place', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-sock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const handler = () => ({});

  const file = join(dir, 'file.sock');
  writeFileSync(file, 'precious\n');
  await t.rejects(StatusServer.listen(file, handler), {
    code: 'EUNSAFE',
    message: `${file}: exists and is not a socket; refusing to delete it (choose another --socket or remove it)`,
  });
  t.equal(readFileSync(file, 'utf8'), 'precious\n', 'a regular file is not deleted');

  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  const link = join(dir, 'link.sock');
  symlinkSync(victim, link);
  await t.rejects(StatusServer.listen(link, handler), {
    code: 'EUNSAFE',
    message: `${link}: is a symbolic link, not a socket; refusing to delete it`,
  });
  t.ok(
    lstatSync(link).isSymbolicLink() && readFileSync(victim, 'utf8') === 'precious\n',
    'the link and its target are left alone',
  );
});

t.test(
  "another user's socket, or a directory another user could swap, is refused",
  { skip: process.getuid?.() !== 0 ? 'needs root to own files as another uid' : false },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-sock-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const handler = () => ({});

    const theirs = join(dir, 'theirs.sock');
    await staleSocket(theirs);
    lchownSync(theirs, 65534, 65534);
    await t.rejects(StatusServer.listen(theirs, handler), {
      code: 'EUNSAFE',
      message: `${theirs}: is a socket owned by uid 65534, not by us; refusing to delete it`,
    });
    t.ok(lstatSync(theirs).isSocket(), 'their socket is left');

    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await t.rejects(StatusServer.listen(join(open, 's.sock'), handler), {
      code: 'EUNSAFE',
      message: /open: is writable by group or others \(mode 0777\) and not sticky/,
    });
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    chownSync(foreign, 65534, 65534);
    await t.rejects(StatusServer.listen(join(foreign, 's.sock'), handler), {
      code: 'EUNSAFE',
      message: /foreign: is owned by uid 65534/,
    });
    t.notOk(existsSync(join(open, 's.sock')) || existsSync(join(foreign, 's.sock')), 'no socket created there');
  },
);
