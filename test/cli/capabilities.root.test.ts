// The runners without CAP_NET_RAW or CAP_NET_ADMIN (setpriv drops them from the inheritable and
// bounding sets, so the node it execs has neither): exit 1 with one line naming what is missing,
// before anything changes (no pid file, no VIP, no log line of a start). In a namespace of its own, on
// documentation addresses. Needs root.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { namespaceSkipReason, TestNamespace } from '../linux/netns-harness.js';

const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));
const VRRP_ENGINE = fileURLToPath(new URL('../../../bin/vrrp-engine', import.meta.url));
const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' }).status === 0;

const skip = namespaceSkipReason() ?? (hasSetpriv ? undefined : 'setpriv is not installed');

t.test('a runner without its capabilities stops before anything changes', { skip: skip ?? false }, async (t) => {
  const netns = new TestNamespace('cap');
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-caps-'));
  t.teardown(() => {
    netns.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  netns.addressPair();
  const json = join(dir, 'engine.json');
  writeFileSync(
    json,
    JSON.stringify({
      routers: [{ name: 'VI_1', interface: 'va', vrid: 51, priority: 255, virtualAddresses: ['192.0.2.100'] }],
    }),
  );
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(
    conf,
    'vrrp_instance VI_1 {\n  interface va\n  virtual_router_id 52\n  priority 255\n  virtual_ipaddress {\n    192.0.2.101/32\n  }\n}\n',
  );
  const run = (drop: string, command: readonly string[]) =>
    spawnSync(
      'ip',
      [
        'netns',
        'exec',
        netns.name,
        'setpriv',
        `--inh-caps=-${drop}`,
        `--bounding-set=-${drop}`,
        '--',
        process.execPath,
        ...command,
      ],
      {
        encoding: 'utf8',
        timeout: 30_000,
        // tap's NODE_OPTIONS loader must not follow the runner.
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
    );
  const pid = join(dir, 'vrrpd.pid');
  const runners: [string, readonly string[]][] = [
    ['vrrp-engine', [VRRP_ENGINE, '--config', json]],
    [
      'vrrpd',
      [VRRPD, '-n', '-f', conf, '-p', pid, '-r', join(dir, 'vrrp.pid'), '--socket', 'none', '--log-format', 'json'],
    ],
  ];
  for (const [name, command] of runners) {
    for (const [drop, capability] of [
      ['net_raw', 'CAP_NET_RAW'],
      ['net_admin', 'CAP_NET_ADMIN'],
    ] as const) {
      const result = run(drop, command);
      t.equal(result.status, 1, `${name} without ${capability}: exit 1\n${result.stderr}`);
      t.match(result.stderr, new RegExp(`^${name}: cannot start: missing ${capability} \\(`, 'm'));
      t.notMatch(
        result.stderr + result.stdout,
        /nft|"event":"(stateChange|vipsAdded|started)"/,
        'no clean-up, no router started',
      );
    }
  }
  t.notOk(existsSync(pid), 'vrrpd wrote no pid file');
  t.same(
    netns.addresses('va').filter((a) => a.local === '192.0.2.100' || a.local === '192.0.2.101'),
    [],
    'no VIP added',
  );
  // --check reads no capability: the same file is usable.
  const check = spawnSync(
    'ip',
    ['netns', 'exec', netns.name, process.execPath, VRRP_ENGINE, '--config', json, '--check'],
    { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
  );
  t.equal(check.status, 0, check.stderr);
});
