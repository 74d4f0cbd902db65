// bin/vrrpd on a real (virtual) LAN: two routers in network namespaces on a bridge, each running
// `vrrpd -n -f keepalived.conf` with its pid files, status socket and dump directory in a temp dir.
// r1 (priority 150) uses -l (readable lines), r2 (priority 100) logs JSON. VRRPv3 at 100 ms.
//
// In order: pgrep keepalived finds them; election; `vrrpd status` table and --json (with VI_1's tracked
// interface and excluded address); SIGUSR1 / SIGUSR2 dumps; keepalived's real-time signals (JSON writes
// keepalived.json, STATS_CLEAR writes keepalived.stats and clears the counters); SIGHUP with the same file (nothing changes), with a changed file (VI_2's priority and VI_4's VIP
// changed in place: both stay Master with no transition, VI_4's new VIP appears and its old one goes
// without r2 ever taking over; VI_3 added; VI_1's VIP never leaves), with a change that cannot start
// (VI_3 keeps running as it was), with a broken file (refused, all keeps running);
// SIGTERM: exit 0 within 2 s, VIP removed, pid files and socket gone, r2 takes over; `-V` then SIGTERM
// leaves the VIP in place. Also `-t` beside keepalived 2.2.7's `-t` on the same files (needs no root),
// and the files a local user could plant before a start (a link at the pid file or the -t report, a
// file of theirs at the pid file, a regular file at the socket path): refused, left unchanged.
// Needs root for the LAN (and to own a file as uid 65534).

import { execFile, execFileSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  lstatSync,
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
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { query } from '../../src/cli/status-socket.js';
import { keepalivedRealtimeSignals } from '../../src/linux/rt-signals.js';
import { Lan, type LanNode } from '../netns/lan.js';
import { holdersOf, sleep, waitUntil } from '../netns/observe.js';
import { NamespaceProcess } from '../netns/process.js';

const execFileAsync = promisify(execFile);
const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));
const VIP1 = '192.0.2.100';
const VIP2 = '192.0.2.101';
const VIP3 = '192.0.2.102';
const VIP4 = '192.0.2.103';
const VIP4_NEW = '192.0.2.104';
const EXCLUDED = '198.51.100.50';

/** The stats dump, as far as the tests read it. */
interface StatsDump {
  readonly instances: readonly {
    readonly instance: string;
    readonly becameMaster: number;
    readonly counters: { readonly routers: readonly { readonly advertsSent: number }[] };
  }[];
}

interface InstanceSpec {
  readonly name: string;
  readonly vrid: number;
  readonly priority: number;
  readonly vips: readonly string[];
  /** track_interface on the instance's own interface with this weight. */
  readonly trackWeight?: number;
  readonly excluded?: readonly string[];
}

function conf(node: LanNode, instances: readonly InstanceSpec[]): string {
  const lines = ['global_defs {', `  router_id ${node.name}`, '}'];
  for (const i of instances) {
    lines.push(`vrrp_instance ${i.name} {`, '  state BACKUP', `  interface ${node.interface}`, '  version 3');
    lines.push(
      `  virtual_router_id ${i.vrid}`,
      `  priority ${i.priority}`,
      '  advert_int 0.1',
      '  virtual_ipaddress {',
    );
    for (const vip of i.vips) lines.push(`    ${vip}/32`);
    lines.push('  }');
    if (i.trackWeight !== undefined)
      lines.push('  track_interface {', `    ${node.interface} weight ${i.trackWeight}`, '  }');
    if (i.excluded !== undefined)
      lines.push('  virtual_ipaddress_excluded {', ...i.excluded.map((a) => `    ${a}/32`), '  }');
    lines.push('}');
  }
  return `${lines.join('\n')}\n`;
}

function noRootReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces and raw sockets';
  return undefined;
}

function hasKeepalived(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v keepalived'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs `vrrpd ARGS` outside any namespace; exit code and output. */
async function vrrpd(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's loader breaks the extensionless shim (see test/netns/process.ts)
  try {
    const { stdout, stderr } = await execFileAsync(VRRPD, [...args], { env, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('-t beside keepalived -t on the same files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-t-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good =
    'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100/32\n  }\n}\n';
  const files: Record<string, { text: string; code: number; where?: RegExp }> = {
    good: { text: good, code: 0 },
    unknownKeyword: {
      text: good.replace('  priority 100\n', '  priority 100\n  bogus_keyword 3\n'),
      code: 5,
      where: /unknown\.conf:5: error: .*bogus_keyword/,
    },
    badVrid: { text: good.replace('51', '300'), code: 5, where: /badVrid\.conf:3: error: .*300/ },
    unclosed: { text: good.slice(0, -2), code: 5, where: /unclosed\.conf:1: error/ },
  };
  for (const [name, file] of Object.entries(files)) {
    const path = join(dir, `${name === 'unknownKeyword' ? 'unknown' : name}.conf`);
    writeFileSync(path, file.text);
    const ours = await vrrpd(['-t', '-f', path]);
    t.equal(ours.code, file.code, `${name}: vrrpd -t exits ${file.code}`);
    if (file.where) t.match(ours.stderr, file.where, `${name}: the problem with its file:line`);
    // keepalived -t checks the interface exists: eth0 is there on this host, not necessarily elsewhere.
    if (hasKeepalived() && existsSync('/sys/class/net/eth0')) {
      const theirs = await execFileAsync('keepalived', ['-t', '-n', '-l', '-f', path]).then(
        () => 0,
        (e: { code: number }) => e.code,
      );
      t.equal(ours.code, theirs, `${name}: same exit code as keepalived -t (${theirs})`);
    }
  }
  const report = join(dir, 'report.txt');
  const logged = await vrrpd([`--config-test=${report}`, '-f', join(dir, 'badVrid.conf')]);
  t.equal(logged.code, 5);
  t.match(readFileSync(report, 'utf8'), /badVrid\.conf:3: error/, '-t=FILE writes the report there');
  const missing = await vrrpd(['-t', '-f', join(dir, 'missing.conf')]);
  t.equal(missing.code, 5, 'a missing file fails the test (keepalived 2.2.7 exits 0: documented)');
});

t.test('command line without a daemon', async (t) => {
  const help = await vrrpd(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /--use-file/);
  t.match((await vrrpd(['-v'])).stdout, /^vrrpd \(vrrp-engine\) \d+\.\d+\.\d+/);
  t.same(await vrrpd(['--signum=RELOAD']), { code: 0, stdout: '1\n', stderr: '' });
  t.same(await vrrpd(['--signum=DATA']), { code: 0, stdout: '10\n', stderr: '' });
  const realtime = keepalivedRealtimeSignals();
  t.same(await vrrpd(['--signum=JSON']), { code: 0, stdout: `${realtime.JSON}\n`, stderr: '' });
  t.same(await vrrpd(['--signum=STATS_CLEAR']), { code: 0, stdout: `${realtime.STATS_CLEAR}\n`, stderr: '' });
  if (hasKeepalived()) {
    for (const name of ['JSON', 'STATS_CLEAR', 'STATS', 'STOP']) {
      const theirs = execFileSync('keepalived', [`--signum=${name}`], { encoding: 'utf8' });
      t.equal((await vrrpd([`--signum=${name}`])).stdout, theirs, `--signum=${name} as keepalived prints it`);
    }
  }
  const unknown = await vrrpd(['--signum=TDUMP']);
  t.equal(unknown.code, 1, 'an unknown name exits 1, as keepalived');
  t.match(unknown.stderr, /no signal for TDUMP: known are .*JSON, STATS_CLEAR/);
  const bad = await vrrpd(['--bogus']);
  t.equal(bad.code, 1, 'bad usage exits 1, as keepalived');
  t.match(bad.stderr, /unknown option --bogus/);
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const badConf = join(dir, 'bad.conf');
  writeFileSync(
    badConf,
    'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n  virtual_ipaddress {\n    192.0.2.100/32\n  }\n}\n',
  );
  const pid = join(dir, 'k.pid');
  const refused = await vrrpd([
    '-n',
    '-f',
    badConf,
    '-p',
    pid,
    '-r',
    join(dir, 'v.pid'),
    '--socket',
    join(dir, 's.sock'),
  ]);
  t.equal(refused.code, 2, 'a configuration error at start exits 2, as keepalived 2.2.7 does for this file');
  t.match(refused.stderr, /bad\.conf:3: error: .*300/);
  t.notOk(
    existsSync(pid) || existsSync(join(dir, 's.sock')),
    'refused before writing a pid file or opening the socket',
  );
  const status = await vrrpd(['status', '--socket', join(tmpdir(), `vrrpd-none-${process.pid}.sock`)]);
  t.equal(status.code, 1);
  t.match(status.stderr, /cannot reach the daemon/);
});

t.test('files a local user planted before the start: refused, left as they were', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-planted-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // An interface that does not exist: nothing here may reach a network even if a start went further.
  const confPath = join(dir, 'keepalived.conf');
  writeFileSync(
    confPath,
    'vrrp_instance VI_1 {\n  interface vrrpdnone0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100/32\n  }\n}\n',
  );
  const victim = join(dir, 'victim');
  const VICTIM_TEXT = 'root:secret\n';
  writeFileSync(victim, VICTIM_TEXT);
  const paths = { pid: join(dir, 'k.pid'), vrrpPid: join(dir, 'v.pid'), socket: join(dir, 's.sock') };
  const start = () =>
    vrrpd(['-n', '-f', confPath, '-p', paths.pid, '-r', paths.vrrpPid, '--socket', paths.socket, '--dump-dir', dir]);

  symlinkSync(victim, paths.pid);
  const linked = await start();
  t.equal(linked.code, 1, 'a link at the pid file: cannot start');
  t.match(linked.stderr, `vrrpd: cannot start: ${paths.pid}: is a symbolic link; refusing to follow it`);
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the victim is unchanged');
  t.ok(lstatSync(paths.pid).isSymbolicLink(), 'the link is left');
  rmSync(paths.pid);

  if (process.getuid?.() === 0) {
    writeFileSync(paths.pid, '1\n');
    chownSync(paths.pid, 65534, 65534);
    const foreign = await start();
    t.equal(foreign.code, 1, "another user's file at the pid path: cannot start");
    t.match(foreign.stderr, `${paths.pid}: is owned by uid 65534, not by us`);
    t.equal(readFileSync(paths.pid, 'utf8'), '1\n', 'their file is unchanged');
    rmSync(paths.pid);
  }

  writeFileSync(paths.socket, 'precious\n');
  const notSocket = await start();
  t.equal(notSocket.code, 1, 'a regular file at the socket path: cannot start');
  t.match(notSocket.stderr, `${paths.socket}: exists and is not a socket; refusing to delete it`);
  t.equal(readFileSync(paths.socket, 'utf8'), 'precious\n', 'the file is not deleted');
  t.notOk(existsSync(paths.pid) || existsSync(paths.vrrpPid), 'the pid files it had written are removed');

  const report = join(dir, 'report.txt');
  symlinkSync(victim, report);
  const test = await vrrpd([`--config-test=${report}`, '-f', confPath]);
  t.equal(test.code, 0, '-t still reports the configuration usable');
  t.match(test.stderr, `vrrpd: cannot write the report to ${report}: ${report}: is a symbolic link`);
  t.match(test.stderr, /keepalived\.conf: configuration is usable/, 'the report goes to stderr instead');
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the victim is unchanged');
  t.same(
    readdirSync(dir).filter((name) => name.endsWith('.tmp')),
    [],
    'no temporary file left',
  );
});

class Daemon extends NamespaceProcess {
  readonly dir: string;
  readonly socket: string;
  readonly confPath: string;

  constructor(
    label: string,
    readonly node: LanNode,
    dir: string,
    extra: readonly string[],
  ) {
    const confPath = join(dir, 'keepalived.conf');
    const socket = join(dir, 'vrrpd.sock');
    super(label, node.namespace, VRRPD, [
      '-n',
      '-f',
      confPath,
      '-p',
      join(dir, 'keepalived.pid'),
      '-r',
      join(dir, 'vrrp.pid'),
      '--socket',
      socket,
      '--dump-dir',
      dir,
      ...extra,
    ]);
    this.dir = dir;
    this.socket = socket;
    this.confPath = confPath;
  }

  async status(): Promise<{
    instances: {
      instance: string;
      state: string;
      lastTransition: { at: string } | null;
      master: string | null;
      checks: { lastResult: string }[];
      excludedAddresses?: string[];
    }[];
    lastReload: { result: string } | null;
  }> {
    const out = await vrrpd(['status', '--json', '--socket', this.socket]);
    if (out.code !== 0) throw new Error(`status: ${out.stderr}`);
    return JSON.parse(out.stdout);
  }

  async stateOf(instance: string): Promise<string | undefined> {
    try {
      return (await this.status()).instances.find((i) => i.instance === instance)?.state;
    } catch {
      return undefined; // not listening yet
    }
  }

  text(): string {
    return this.lines.map((l) => l.text).join('\n');
  }
}

t.test('daemon on a namespace LAN', { skip: noRootReason() ?? false }, async (t) => {
  const lan = Lan.create('vd', 2);
  const dirs: string[] = [];
  const daemons: Daemon[] = [];
  t.teardown(async () => {
    for (const d of daemons) {
      if (!d.running) continue;
      try {
        process.kill(d.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await d.exited;
    }
    lan.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    if (!t.passing()) for (const d of daemons) t.comment(`--- ${d.label}\n${d.text()}`);
  });
  const [r1, r2] = lan.routers as [LanNode, LanNode];
  const start = (
    label: string,
    node: LanNode,
    instances: readonly InstanceSpec[],
    extra: readonly string[],
  ): Daemon => {
    const dir = mkdtempSync(join(tmpdir(), `vrrpd-${label}-`));
    dirs.push(dir);
    writeFileSync(join(dir, 'keepalived.conf'), conf(node, instances));
    const daemon = new Daemon(label, node, dir, extra);
    daemons.push(daemon);
    return daemon;
  };
  const base: InstanceSpec[] = [
    { name: 'VI_1', vrid: 51, priority: 150, vips: [VIP1], trackWeight: -20, excluded: [EXCLUDED] },
    { name: 'VI_2', vrid: 52, priority: 150, vips: [VIP2] },
    { name: 'VI_4', vrid: 54, priority: 150, vips: [VIP4] },
  ];
  const a = start('r1', r1, base, ['-l']);
  const b = start(
    'r2',
    r2,
    base.map((i) => ({ ...i, priority: 100 })),
    [],
  );

  await waitUntil(
    async () => ((await a.stateOf('VI_1')) === 'Master' && (await b.stateOf('VI_1')) === 'Backup' ? true : undefined),
    20_000,
    'r1 Master, r2 Backup',
  );
  await waitUntil(async () => ((await a.stateOf('VI_2')) === 'Master' ? true : undefined), 5000, 'r1 Master of VI_2');
  t.same(await holdersOf(lan, VIP1), ['r1'], 'the VIP is on the Master only');

  await t.test('process title and pid files', async (t) => {
    const pgrep = execFileSync('pgrep', ['keepalived'], { encoding: 'utf8' }).split('\n').map(Number);
    t.ok(pgrep.includes(a.pid) && pgrep.includes(b.pid), '`pgrep keepalived` finds both daemons');
    t.match(readFileSync(`/proc/${a.pid}/cmdline`, 'utf8'), /^keepalived \(vrrp-engine\)/);
    t.equal(readFileSync(join(a.dir, 'keepalived.pid'), 'utf8'), `${a.pid}\n`);
    t.equal(readFileSync(join(a.dir, 'vrrp.pid'), 'utf8'), `${a.pid}\n`);
    for (const file of ['keepalived.pid', 'vrrp.pid'])
      t.equal(statSync(join(a.dir, file)).mode & 0o777, 0o644, `${file} is 0644, as keepalived's`);
    t.equal(statSync(a.socket).mode & 0o777, 0o600, 'the status socket is 0600');
  });

  await t.test('status: table and JSON', async (t) => {
    const table = await vrrpd(['status', '--socket', a.socket]);
    t.equal(table.code, 0);
    const lines = table.stdout.trimEnd().split('\n');
    t.match(lines[1], /^INSTANCE\s+STATE\s+PRIO\s+EFFECTIVE\s+MASTER\s+VIPS\s+LAST TRANSITION \(WHY\)$/);
    t.match(
      lines[2],
      /^VI_1\s+MASTER\s+150\s+150\s+192\.0\.2\.1\s+192\.0\.2\.100\s+\S+Z Backup->Master \(master-down-timer\)$/,
    );
    t.equal(lines[3], `  checks: interface:${r1.interface} up, weight -20`, "VI_1's tracked interface under its row");
    t.equal(lines[4], `  excluded: ${EXCLUDED}`);
    t.match(lines[5], /^VI_2\s+MASTER\s/, 'VI_2 tracks nothing: no extra line');
    const json = await b.status();
    const vi1 = json.instances.find((i) => i.instance === 'VI_1')!;
    t.match(vi1, { state: 'Backup', master: r1.ipv4 }, "the Backup names the Master's address");
    t.same(vi1.checks, [
      {
        name: `interface:${r2.interface}`,
        kind: 'interface',
        up: true,
        weight: -20,
        lastResult: vi1.checks[0]?.lastResult,
      },
    ]);
    t.same(vi1.excludedAddresses, [EXCLUDED]);
    t.notOk('excludedAddresses' in json.instances.find((i) => i.instance === 'VI_2')!, 'left out when there are none');
    t.same(json.instances.find((i) => i.instance === 'VI_2')!.checks, []);
  });

  await t.test('readable logs with -l, JSON without', async (t) => {
    t.ok(
      a.lines.some((l) => /^\S+Z INFO {2}VI_1: Backup -> Master \(master-down-timer\)$/.test(l.text)),
      'r1: a readable state change line',
    );
    const changes = b.lines
      .filter((l) => l.text.startsWith('{'))
      .map((l) => JSON.parse(l.text) as Record<string, unknown>)
      .filter((r) => r.event === 'stateChange');
    t.match(
      changes.find((c) => c.router === 'VI_1'),
      { level: 'info', from: 'Initialize', to: 'Backup', reason: 'startup', name: 'vrrpd' },
      'r2: JSON lines with the reason',
    );
  });

  await t.test('SIGUSR1 / SIGUSR2 write the dumps', async (t) => {
    process.kill(a.pid, 'SIGUSR1');
    process.kill(a.pid, 'SIGUSR2');
    const data = await waitUntil(
      () =>
        existsSync(join(a.dir, 'keepalived.data'))
          ? JSON.parse(readFileSync(join(a.dir, 'keepalived.data'), 'utf8'))
          : undefined,
      3000,
      'keepalived.data',
    );
    const stats = await waitUntil(
      () =>
        existsSync(join(a.dir, 'keepalived.stats'))
          ? JSON.parse(readFileSync(join(a.dir, 'keepalived.stats'), 'utf8'))
          : undefined,
      3000,
      'keepalived.stats',
    );
    t.match(data, {
      pid: a.pid,
      instances: [
        { instance: 'VI_1', state: 'Master', config: { vrid: 51, priority: 150 } },
        { instance: 'VI_2' },
        { instance: 'VI_4' },
      ],
    });
    t.match(stats, {
      pid: a.pid,
      instances: [{ instance: 'VI_1', becameMaster: 1 }, { instance: 'VI_2' }, { instance: 'VI_4' }],
    });
    t.ok(stats.instances[0].counters.routers[0].advertsSent > 0, 'advert counters');
    t.ok(a.running, 'SIGUSR1 did not start the inspector or kill the daemon');
    t.match(
      data.instances[0],
      { checks: [{ name: `interface:${r1.interface}`, up: true, weight: -20 }], excludedAddresses: [EXCLUDED] },
      'the data dump lists the checks too',
    );
    for (const file of ['keepalived.data', 'keepalived.stats'])
      t.equal(statSync(join(a.dir, file)).mode & 0o777, 0o600, `${file} is 0600`);
  });

  await t.test(
    'a link planted at a dump name: the write is refused and logged, the victim unchanged, the daemon runs on',
    async (t) => {
      const dataFile = join(a.dir, 'keepalived.data');
      const victim = join(a.dir, 'victim');
      writeFileSync(victim, 'root:secret\n');
      rmSync(dataFile);
      symlinkSync(victim, dataFile);
      process.kill(a.pid, 'SIGUSR1');
      const line = await a.waitForLine(
        (l) => l.text.includes('cannot write keepalived.data'),
        3000,
        'the refused dump',
      );
      t.match(line.text, `${dataFile}: is a symbolic link; refusing to replace it`);
      t.equal(readFileSync(victim, 'utf8'), 'root:secret\n', 'the victim is unchanged');
      t.ok(lstatSync(dataFile).isSymbolicLink(), 'the link is left');
      t.ok(a.running, 'the daemon runs on');
      t.equal(await a.stateOf('VI_1'), 'Master', 'and still answers');
      rmSync(dataFile);
      rmSync(victim);
    },
  );

  await t.test(
    "keepalived's real-time signals: JSON writes keepalived.json, STATS_CLEAR the stats and then clears them",
    async (t) => {
      const realtime = keepalivedRealtimeSignals();
      const jsonFile = join(a.dir, 'keepalived.json');
      process.kill(a.pid, realtime.JSON);
      const json = await waitUntil(
        () => (existsSync(jsonFile) ? JSON.parse(readFileSync(jsonFile, 'utf8')) : undefined),
        3000,
        'keepalived.json',
      );
      const overSocket = (await query(a.socket, 'json')) as Record<string, unknown>;
      t.same(
        Object.keys(json).sort(),
        Object.keys(overSocket).sort(),
        "the same document as the status socket's json command",
      );
      t.match(json, {
        pid: a.pid,
        instances: [
          { instance: 'VI_1', state: 'Master', config: { vrid: 51 }, snapshot: { state: 'Master' } },
          { instance: 'VI_2' },
          { instance: 'VI_4' },
        ],
      });

      const stats = async () => (await query(a.socket, 'stats')) as StatsDump;
      const statsFile = join(a.dir, 'keepalived.stats');
      rmSync(statsFile);
      const sentBefore = (await stats()).instances[0]!.counters.routers[0]!.advertsSent;
      process.kill(a.pid, realtime.STATS_CLEAR);
      const written = await waitUntil(
        () => (existsSync(statsFile) ? (JSON.parse(readFileSync(statsFile, 'utf8')) as StatsDump) : undefined),
        3000,
        'keepalived.stats',
      );
      t.match(
        written.instances[0],
        { instance: 'VI_1', becameMaster: 1 },
        'written before clearing, as keepalived does',
      );
      t.ok(written.instances[0]!.counters.routers[0]!.advertsSent >= sentBefore, 'with the counts so far');
      const after = await stats();
      t.match(
        after.instances[0],
        { instance: 'VI_1', becameMaster: 0, releasedMaster: 0, transitions: 0 },
        'transition counts cleared',
      );
      // Adverts go on every 100 ms, so a few may be counted again already.
      t.ok(
        after.instances[0]!.counters.routers[0]!.advertsSent < 10,
        `advertsSent restarted from 0 (now ${after.instances[0]!.counters.routers[0]!.advertsSent})`,
      );
      t.ok(a.lines.some((l) => /statistics cleared/.test(l.text)));
      t.ok(a.running, 'neither signal ended the daemon');
      t.equal(await a.stateOf('VI_1'), 'Master', 'and nothing changed state');
    },
  );

  const transitionOf = async (name: string) =>
    (await a.status()).instances.find((i) => i.instance === name)!.lastTransition!.at;
  const vi1Transition = await transitionOf('VI_1');
  const vi2Transition = await transitionOf('VI_2');

  await t.test('SIGHUP with the same file changes nothing', async (t) => {
    process.kill(a.pid, 'SIGHUP');
    const status = await waitUntil(
      async () => {
        const s = await a.status();
        return s.lastReload ? s : undefined;
      },
      5000,
      'the reload',
    );
    t.equal(status.lastReload!.result, '3 unchanged, 0 reconfigured in place, 0 replaced, 0 added, 0 removed');
    t.equal(status.instances.find((i) => i.instance === 'VI_1')!.lastTransition!.at, vi1Transition);
  });

  const changedConf = conf(r1, [
    base[0]!,
    { ...base[1]!, priority: 140 },
    { ...base[2]!, vips: [VIP4_NEW] },
    { name: 'VI_3', vrid: 53, priority: 150, vips: [VIP3] },
  ]);

  await t.test(
    'SIGHUP with a changed file: changes applied in place, Masters stay Masters, the new VIP appears',
    async (t) => {
      const vi4Transition = await transitionOf('VI_4');
      const r2LinesBefore = b.lines.length;
      // Sample the VIPs all along: an unchanged Master must never let VIP1 go, and r2 must never take
      // VI_4 over (nor hold either of its VIPs) while r1 changes VI_4's VIP list.
      let sampling = true;
      const holders: string[][] = [];
      const vi4Holders: string[][] = [];
      const sampler = (async () => {
        while (sampling) {
          holders.push(await holdersOf(lan, VIP1));
          vi4Holders.push([...(await holdersOf(lan, VIP4)), ...(await holdersOf(lan, VIP4_NEW))]);
          await sleep(50);
        }
      })();
      writeFileSync(a.confPath, changedConf);
      process.kill(a.pid, 'SIGHUP');
      const status = await waitUntil(
        async () => {
          const s = await a.status();
          return s.lastReload?.result.includes('1 added') ? s : undefined;
        },
        10_000,
        'the second reload',
      );
      t.equal(status.lastReload!.result, '1 unchanged, 2 reconfigured in place, 0 replaced, 1 added, 0 removed');
      t.same(
        status.instances.map((i) => i.instance),
        ['VI_1', 'VI_2', 'VI_4', 'VI_3'],
        'in configuration order',
      );
      await waitUntil(async () => ((await a.stateOf('VI_3')) === 'Master' ? true : undefined), 5000, 'VI_3 Master');
      await waitUntil(
        async () => ((await holdersOf(lan, VIP4_NEW)).includes('r1') ? true : undefined),
        5000,
        "VI_4's new VIP on r1",
      );
      await sleep(500); // a few more samples: r2 must not take VI_4 over after the change either
      sampling = false;
      await sampler;
      const after = await a.status();
      t.equal(await transitionOf('VI_1'), vi1Transition, 'VI_1 had no transition');
      t.equal(await transitionOf('VI_2'), vi2Transition, 'VI_2 had no transition either');
      t.equal(await transitionOf('VI_4'), vi4Transition, 'VI_4 had no transition: its VIP changed in place');
      t.match(
        after.instances.find((i) => i.instance === 'VI_2'),
        { state: 'Master', priority: 140, effectivePriority: 140 },
        'VI_2 runs at its new priority',
      );
      t.match(
        after.instances.find((i) => i.instance === 'VI_4'),
        { state: 'Master', virtualAddresses: [VIP4_NEW] },
      );
      t.same(await holdersOf(lan, VIP4), [], "VI_4's old VIP is gone everywhere");
      t.same(await holdersOf(lan, VIP4_NEW), ['r1'], "VI_4's new VIP is on r1");
      t.ok(
        vi4Holders.every((h) => h.every((node) => node === 'r1')),
        `r2 never held a VIP of VI_4 in ${vi4Holders.length} samples`,
      );
      t.notOk(
        b.lines
          .slice(r2LinesBefore)
          .some((l) => l.text.includes('"router":"VI_4"') && l.text.includes('"event":"stateChange"')),
        'r2 had no VI_4 transition',
      );
      t.ok(
        a.lines.some((l) => /VI_4: 5 gratuitous ARP/.test(l.text)),
        'r1 announced the new VIP',
      );
      t.ok(
        holders.length > 5 && holders.every((h) => h.length === 1 && h[0] === 'r1'),
        `VI_1's VIP stayed on r1 in all ${holders.length} samples`,
      );
      t.same(await holdersOf(lan, VIP3), ['r1']);
    },
  );

  await t.test(
    'SIGHUP with a change that cannot start: the instance keeps running with its old settings',
    async (t) => {
      const vi3Transition = await transitionOf('VI_3');
      // Valid on paper; only starting it finds that eth9 does not exist to take a source address from.
      writeFileSync(
        a.confPath,
        changedConf.replace(/(vrrp_instance VI_3 \{\n {2}state BACKUP\n {2}interface) eth0/, '$1 eth9'),
      );
      process.kill(a.pid, 'SIGHUP');
      const status = await waitUntil(
        async () => {
          const s = await a.status();
          return s.lastReload?.result.includes('failed') ? s : undefined;
        },
        10_000,
        'the third reload',
      );
      t.equal(
        status.lastReload!.result,
        '3 unchanged, 0 reconfigured in place, 0 replaced, 0 added, 0 removed, 1 failed',
      );
      t.ok(
        a.lines.some((l) =>
          /VI_3: cannot start with the new configuration: .*eth9.*; it keeps running with its previous one/.test(
            l.text,
          ),
        ),
      );
      t.match(
        status.instances.find((i) => i.instance === 'VI_3'),
        { state: 'Master' },
        'VI_3 still Master on eth0',
      );
      t.equal(await transitionOf('VI_3'), vi3Transition, 'it never stopped');
    },
  );

  await t.test('SIGHUP with a broken file is refused; everything keeps running', async (t) => {
    writeFileSync(a.confPath, `${conf(r1, base)}vrrp_instance VI_9 {\n  virtual_router_id 999\n`);
    process.kill(a.pid, 'SIGHUP');
    const status = await waitUntil(
      async () => {
        const s = await a.status();
        return s.lastReload?.result.startsWith('refused') ? s : undefined;
      },
      5000,
      'the refusal',
    );
    t.same(
      status.instances.map((i) => `${i.instance}:${i.state}`),
      ['VI_1:Master', 'VI_2:Master', 'VI_4:Master', 'VI_3:Master'],
    );
    t.ok(
      a.lines.some((l) => /keepalived\.conf:\d+: error: /.test(l.text)),
      'the error is logged with file:line',
    );
    t.ok(a.lines.some((l) => /reload refused/.test(l.text)));
  });

  await t.test("one instance's socket does not log its sibling instances' adverts as unknown VRIDs", async (t) => {
    // r1 runs every VRID r2 does, so any unknown-vrid line would be about its own instances.
    t.notOk(
      a.lines.some((l) => l.text.includes('unknown-vrid')),
      'no unknown-vrid line on r1',
    );
    t.ok(
      b.lines.some((l) => l.text.includes('"reason":"unknown-vrid"') && l.text.includes('VRID 53')),
      "r2 does log r1's VI_3, which it does not run",
    );
  });

  await t.test('SIGTERM: exit 0 within 2 s, VIPs removed, files gone, the Backup takes over', async (t) => {
    // As if another daemon had since written its pid there: that file is not ours to remove.
    writeFileSync(join(a.dir, 'vrrp.pid'), `${process.pid}\n`);
    const sentAt = Date.now();
    process.kill(a.pid, 'SIGTERM');
    const exit = await a.exited;
    t.same(exit, { code: 0, signal: null });
    t.ok(a.exitedAtMs! - sentAt < 2000, `exited after ${a.exitedAtMs! - sentAt} ms`);
    // r2 may already hold VI_1's VIP: the priority-0 advert left at the signal, and its Skew_Time is short.
    t.notOk((await holdersOf(lan, VIP1)).includes('r1'), 'r1 removed its VIP of VI_1');
    t.same(await holdersOf(lan, VIP3), [], 'and of VI_3, which r2 does not run');
    t.notOk(existsSync(join(a.dir, 'keepalived.pid')) || existsSync(a.socket), 'its pid file and socket removed');
    t.equal(
      readFileSync(join(a.dir, 'vrrp.pid'), 'utf8'),
      `${process.pid}\n`,
      'a pid file holding another pid is left',
    );
    rmSync(join(a.dir, 'vrrp.pid'));
    await waitUntil(
      async () => ((await b.stateOf('VI_1')) === 'Master' ? true : undefined),
      3000,
      'r2 takes over VI_1',
    );
    t.same(await holdersOf(lan, VIP1), ['r2']);
  });

  await t.test('-V: SIGTERM leaves the VIP in place', async (t) => {
    writeFileSync(a.confPath, conf(r1, [{ name: 'VI_1', vrid: 51, priority: 150, vips: [VIP1] }]));
    const again = new Daemon('r1-V', r1, a.dir, ['-V', '--process-title', 'keepalived']);
    daemons.push(again);
    await waitUntil(
      async () => ((await again.stateOf('VI_1')) === 'Master' ? true : undefined),
      10_000,
      'r1 preempts back',
    );
    t.ok(
      execFileSync('pidof', ['keepalived'], { encoding: 'utf8' }).trim().split(' ').map(Number).includes(again.pid),
      'pidof keepalived finds it with --process-title keepalived',
    );
    const signalAtMs = Date.now();
    process.kill(again.pid, 'SIGTERM');
    t.same(await again.exited, { code: 0, signal: null });
    t.ok(again.lines.some((l) => /VIPs left in place \(-V\)/.test(l.text)));
    t.ok((await holdersOf(lan, VIP1)).includes('r1'), 'r1 still holds the VIP after its exit');
    t.notOk(
      again.lines.some((l) => /removing VIPs|Master -> Initialize/.test(l.text)),
      'no shutdown transition, nothing removed',
    );
    // No priority-0 advert either (not even from the signal): r2 waits out its Master_Down_Interval
    // (361 ms after r1's last advert, so at least 261 ms after the signal), not its 61 ms Skew_Time.
    const taken = await waitUntil(
      async () => {
        const vi1 = (await b.status()).instances.find((i) => i.instance === 'VI_1');
        return vi1?.state === 'Master' ? vi1 : undefined;
      },
      5000,
      'r2 takes over VI_1 after r1 left with -V',
    );
    const afterMs = Date.parse(taken.lastTransition!.at) - signalAtMs;
    t.ok(
      afterMs >= 200,
      `r2 took over ${afterMs} ms after the signal: a full Master_Down_Interval, no priority-0 advert`,
    );
  });

  await t.test(
    'signals while still starting: HUP / USR1 / USR2 / JSON / STATS_CLEAR do not kill it; TERM stops it once started, exit 0',
    async (t) => {
      const early = new Daemon('r1-early', r1, a.dir, []);
      daemons.push(early);
      await early.waitForLine((l) => l.text.includes('"event":"starting"'), 10_000, 'the starting line');
      const realtime = keepalivedRealtimeSignals();
      for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2', realtime.JSON, realtime.STATS_CLEAR, 'SIGTERM'] as const)
        process.kill(early.pid, signal);
      t.same(await early.exited, { code: 0, signal: null });
      t.ok(
        early.lines.some((l) => l.text.includes('"event":"exiting"')),
        'it went through the graceful stop',
      );
      t.notOk(
        (await holdersOf(lan, VIP1)).includes('r1'),
        'the VIP -V left is gone (removed at start as a leftover, or at the stop)',
      );
      t.notOk(existsSync(join(a.dir, 'keepalived.pid')) || existsSync(a.socket), 'pid file and socket removed');
    },
  );
});
