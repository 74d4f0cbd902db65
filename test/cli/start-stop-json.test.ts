// bin/vrrp-engine's JSON health.startupScript / shutdownScript and the notify extras through the
// programs' own check (`vrrp-engine --check`, `vrrpd -t` on a .json file): accepted as documented, a
// mistake refused naming its field. Runs as any user (the file names no interface of the host).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { scratchDir } from '../health/helpers.js';

const VRRPD = fileURLToPath(new URL('../../src/cli/vrrpd.js', import.meta.url));
const VRRP_ENGINE = fileURLToPath(new URL('../../src/cli/vrrp-engine.js', import.meta.url));
const router = { name: 'VI_1', interface: 'vrrpchk0', vrid: 51, priority: 150, virtualAddresses: ['192.0.2.100'] };

const run = (args: string[]) => spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });

t.test('the JSON start/stop scripts and notify extras pass --check; a mistake names its field', async (t) => {
  const dir = await scratchDir(t);
  const good = join(dir, 'good.json');
  writeFileSync(
    good,
    JSON.stringify({
      routers: [router],
      health: {
        notify: [{ router: 'VI_1', masterRxLowerPri: ['/bin/true'], notifyDeleted: true, priorityChanges: true }],
        startupScript: { command: ['/bin/true'], timeoutMs: 5000 },
        shutdownScript: { command: ['/bin/true'] },
      },
    }),
  );
  const check = run([VRRP_ENGINE, '--config', good, '--check']);
  t.equal(check.status, 0, check.stderr);
  t.equal(run([VRRPD, '-t', '-f', good]).status, 0, 'vrrpd -t');

  const bad = join(dir, 'bad.json');
  writeFileSync(
    bad,
    JSON.stringify({ routers: [router], health: { startupScript: { command: ['/bin/true'], timeoutMs: 2_000_000 } } }),
  );
  const refused = run([VRRP_ENGINE, '--config', bad, '--check']);
  t.equal(refused.status, 2);
  t.match(refused.stderr, /health\.startupScript\.timeoutMs: must be a whole number from 1000 to 1000000/);
});
