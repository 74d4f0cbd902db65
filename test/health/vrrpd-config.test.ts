// bin/vrrpd's configuration carries the health plan: from keepalived.conf, or the JSON's "health".
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigLoadError, loadConfig } from '../../src/cli/config-source.js';
import { scratchDir } from './helpers.js';

t.test('keepalived.conf: scripts, tracking and notify become the health plan', async (t) => {
  const dir = await scratchDir(t);
  const file = join(dir, 'keepalived.conf');
  await writeFile(
    file,
    `vrrp_script chk {\nscript "/usr/bin/test -e /run/ok"\ninterval 1\nweight -20\n}\n` +
      `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 5\npriority 100\nvirtual_ipaddress {\n192.0.2.5\n}\ntrack_script {\nchk\n}\nnotify_master /bin/true\n}\n`,
  );
  const loaded = loadConfig(file);
  t.match(loaded.health, {
    checks: [{ kind: 'script', name: 'chk', command: ['/usr/bin/test', '-e', '/run/ok'], intervalMs: 1000 }],
    tracks: [{ router: 'VI_1', check: 'chk', weight: -20 }],
    notify: [{ router: 'VI_1', master: ['/bin/true'] }],
  });
  t.notOk('health' in loaded.input, 'the runtime never sees it');
});

t.test('JSON: the "health" section is checked with the instances', async (t) => {
  const dir = await scratchDir(t);
  const file = join(dir, 'vrrp.json');
  const routers = [{ name: 'VI_1', interface: 'eth0', vrid: 5, virtualAddresses: ['192.0.2.5'] }];
  await writeFile(
    file,
    JSON.stringify({
      routers,
      health: {
        checks: [{ kind: 'tcp', name: 'web', host: '127.0.0.1', port: 80, intervalMs: 1000 }],
        tracks: [{ router: 'VI_1', check: 'web', weight: 10 }],
      },
    }),
  );
  const loaded = loadConfig(file);
  t.match(loaded.health, {
    checks: [{ kind: 'tcp', name: 'web', timeoutMs: 1000, rise: 1, fall: 1 }],
    tracks: [{ router: 'VI_1', check: 'web', weight: 10 }],
  });
  t.notOk('health' in loaded.input);
  await writeFile(
    file,
    JSON.stringify({ routers, health: { tracks: [{ router: 'VI_2', check: 'web', weight: 10 }] } }),
  );
  t.throws(() => loadConfig(file), ConfigLoadError);
  try {
    loadConfig(file);
  } catch (error) {
    t.match((error as ConfigLoadError).message, /health.tracks\[0\].router: no router named "VI_2"/);
  }
});

t.test('bin/vrrp-engine: a mistake in "health" is one line on stderr and exit 2, before anything runs', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const dir = await scratchDir(t);
  const file = join(dir, 'vrrp.json');
  const routers = [{ name: 'VI_1', interface: 'eth0', vrid: 5, virtualAddresses: ['192.0.2.5'] }];
  await writeFile(
    file,
    JSON.stringify({
      routers,
      health: { checks: [{ kind: 'tcp', name: 'web', host: '127.0.0.1', port: 0, intervalMs: 1000 }] },
    }),
  );
  const runner = fileURLToPath(new URL('../../../bin/vrrp-engine', import.meta.url));
  const result = spawnSync(process.execPath, [runner, '--config', file], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  t.equal(result.status, 2);
  t.equal(
    result.stderr,
    'vrrp-engine: configuration error: health.checks[0].port: must be a whole number from 1 to 65535, got 0\n',
  );
  t.equal(result.stdout, '');
});
