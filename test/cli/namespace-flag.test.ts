// keepalived's -s NAME (withNamespaceFlag, src/cli/vrrpd-commands.ts): the file's naming as
// net_namespace NAME would make it, a reload_file named by default moved with it (review of the nsinst
// merge: it stayed on the host's shared /run), one the file names kept.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/cli/config-source.js';
import { withNamespaceFlag } from '../../src/cli/vrrpd-commands.js';

const instance =
  'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n  192.0.2.10\n }\n}\n';

t.test('-s moves a default reload_file into the namespace, keeps a named one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-nsflag-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const read = (globals: string) => {
    const file = join(dir, 'k.conf');
    writeFileSync(file, `global_defs {\n${globals}\n}\n${instance}`);
    return withNamespaceFlag(loadConfig(file, 'host', { allIncludeChecks: false }), { netNamespace: 'blue' });
  };
  const bare = read(' reload_file');
  t.match(bare.naming, { usePidDir: true, netNamespace: 'blue' }, 'the naming of net_namespace blue');
  t.equal(bare.reload?.reloadFile, '/run/keepalived/keepalived.reload', 'the default reload_file follows');
  t.equal(read(' reload_file /run/other.reload').reload?.reloadFile, '/run/other.reload', 'a named one stays');
  t.equal(read(' router_id r1').reload, undefined, 'no reload_file: none made');
});
