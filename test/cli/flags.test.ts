// vrrpd's command line: keepalived's flags in their getopt forms, the ones we refuse, and our own.

import t from 'tap';
import {
  DEFAULT_CONFIG,
  DEFAULT_PID_FILE,
  DEFAULT_SOCKET,
  DEFAULT_VRRP_PID_FILE,
  parseCommand,
  type DaemonOptions,
} from '../../src/cli/flags.js';
import { daemonFiles } from '../../src/cli/daemon-files.js';

function run(argv: string[]): DaemonOptions {
  const command = parseCommand(argv);
  if (command.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(command)}`);
  return command.options;
}

t.test("defaults are keepalived's", async (t) => {
  const o = run([]);
  t.equal(o.configFile, DEFAULT_CONFIG);
  t.same([o.pidFile, o.vrrpPidFile, o.socket], [undefined, undefined, undefined], 'named by the configuration');
  t.same(
    daemonFiles(o, { usePidDir: false }),
    { pidFile: DEFAULT_PID_FILE, vrrpPidFile: DEFAULT_VRRP_PID_FILE, socket: DEFAULT_SOCKET },
    'without naming keywords',
  );
  t.same([DEFAULT_PID_FILE, DEFAULT_VRRP_PID_FILE], ['/run/keepalived.pid', '/run/vrrp.pid'], "keepalived 2.2.7's");
  t.equal(o.dumpDir, '/run/vrrpd', 'not /tmp as keepalived: a root-only directory');
  t.same([o.configTest, o.logConsole, o.logDetail, o.dontRelease, o.dumpConf], [false, false, false, false, false]);
  t.same(o.ignored, []);
});

t.test('the OpenShift / systemd forms', async (t) => {
  const o = run(['-n', '-l', '-D', '-f', '/etc/k.conf', '-p', '/run/a.pid', '-r', '/run/b.pid']);
  t.same(
    [o.configFile, o.pidFile, o.vrrpPidFile, o.logConsole, o.logDetail],
    ['/etc/k.conf', '/run/a.pid', '/run/b.pid', true, true],
  );
  const bundled = run(['-nlD', '-f/etc/x.conf', '--vrrp_pid=/v.pid', '--pid', '/p.pid', '--dont-release-vrrp']);
  t.same(
    [
      bundled.configFile,
      bundled.vrrpPidFile,
      bundled.pidFile,
      bundled.logConsole,
      bundled.logDetail,
      bundled.dontRelease,
    ],
    ['/etc/x.conf', '/v.pid', '/p.pid', true, true, true],
  );
  t.equal(run(['--use-file=/a.conf']).configFile, '/a.conf');
  t.equal(run(['-nf', '/b.conf']).configFile, '/b.conf', 'a value flag last in a bundle takes the next argument');
});

t.test('-t with and without its optional log file', async (t) => {
  t.same([run(['-t']).configTest, run(['-t']).configTestLog], [true, undefined]);
  t.same(run(['-t', '-f', 'x.conf']).configFile, 'x.conf', '-t does not swallow the next argument');
  t.equal(run(['--config-test=/tmp/r.log']).configTestLog, '/tmp/r.log');
  t.equal(run(['-t/tmp/r.log']).configTestLog, '/tmp/r.log');
});

t.test('accepted-and-ignored flags are reported once each', async (t) => {
  const o = run(['-P', '-C', '-S', '3', '-G', '-X', '-P', '--vrrp', '-i', 'node1', '-x']);
  t.equal(o.ignored.length, 6);
  t.ok(o.ignored.some((line) => line.startsWith('-P/--vrrp:')));
  t.equal(o.configId, 'node1', '-i is honoured: it picks the @node1 lines');
  t.equal(run(['--config-id=node-b']).configId, 'node-b');
  t.equal(run([]).configId, undefined, 'unset: the reader uses the host name, as keepalived');
  t.ok(o.ignored.some((line) => line.startsWith('-S/--log-facility:')));
  t.same(run(['-n']).ignored, [], '-n is what we do anyway, not ignored');
});

t.test("umask in keepalived's strtol forms", async (t) => {
  t.equal(run(['-u', '022']).umask, 0o22);
  t.equal(run(['--umask=0x12']).umask, 0x12);
  t.equal(run(['-u', '18']).umask, 18);
  t.equal(parseCommand(['-u', '9x']).kind, 'usage');
});

t.test('ours: socket, dump dir, log level and format', async (t) => {
  const o = run(['--socket', '/tmp/s.sock', '--dump-dir=/tmp/d', '--log-level', 'trace', '--log-format', 'json']);
  t.same([o.socket, o.dumpDir, o.logLevel, o.logFormat], ['/tmp/s.sock', '/tmp/d', 'trace', 'json']);
  t.equal(run(['--socket=none']).socket, false);
  t.equal(run([]).processTitle, 'keepalived (vrrp-engine)');
  t.equal(run(['--process-title', 'keepalived']).processTitle, 'keepalived');
  t.equal(parseCommand(['--log-level', 'loud']).kind, 'usage');
  t.equal(parseCommand(['--log-format', 'xml']).kind, 'usage');
});

t.test('commands other than running', async (t) => {
  t.same(parseCommand(['-h']), { kind: 'help' });
  t.same(parseCommand(['--version']), { kind: 'version' });
  t.same(parseCommand(['-v', '-n']), { kind: 'version' });
  t.same(parseCommand(['--signum=RELOAD']), { kind: 'signum', name: 'RELOAD' });
  t.same(parseCommand(['status']), { kind: 'status', json: false, socket: DEFAULT_SOCKET });
  t.same(parseCommand(['status', '--json', '--socket', '/x.sock']), { kind: 'status', json: true, socket: '/x.sock' });
  t.same(parseCommand(['status', '--socket=/y.sock']), { kind: 'status', json: false, socket: '/y.sock' });
  t.same(parseCommand(['record', '--socket=/y.sock']), { kind: 'record', json: false, socket: '/y.sock' });
  t.match(parseCommand(['record', '--xml']), { kind: 'usage' });
});

t.test("-s / --namespace: keepalived's override of net_namespace", async (t) => {
  t.equal(run(['-s', 'blue']).netNamespace, 'blue');
  t.equal(run(['--namespace=red']).netNamespace, 'red');
  t.equal(run([]).netNamespace, undefined);
});

t.test('usage errors', async (t) => {
  for (const argv of [
    ['--bogus'],
    ['-Q'],
    ['-f'],
    ['stray'],
    ['-n', '--pid'],
    ['-s', 'a/b'],
    ['--namespace=..'],
    ['-s', ''],
    ['-T'],
    ['--dont-fork=1'],
    ['-f', ''],
    ['status', '--xml'],
  ]) {
    t.equal(parseCommand(argv).kind, 'usage', argv.join(' '));
  }
});
