// disable_local_igmp (src/linux/local-igmp.ts) on a file standing in for the sysctl, as keepalived
// 2.2.7 treats it: '1' becomes '0' at start and '1' again at stop; '0' is left alone both times. The
// namespace test beside keepalived is test/interop/local-igmp.root.test.ts. Also the reader, the
// JSON input and the reload notice.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { restartNotices } from '../../src/cli/restart-notices.js';
import { parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { checkInput } from '../../src/daemon/check-input.js';
import { LocalIgmpReports } from '../../src/linux/local-igmp.js';

t.test('1 -> 0 -> 1; 0 left alone; a missing setting throws', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autoprio-igmp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'igmp_link_local_mcast_reports');
  writeFileSync(file, '1\n');
  const on = new LocalIgmpReports(file);
  t.equal(on.disable(), true);
  t.equal(readFileSync(file, 'utf8'), '0');
  t.equal(on.disable(), false, 'twice: nothing more');
  t.equal(on.restore(), true);
  t.equal(readFileSync(file, 'utf8'), '1');
  t.equal(on.restore(), false, 'restored once');
  writeFileSync(file, '0\n');
  const off = new LocalIgmpReports(file);
  t.equal(off.disable(), false, 'already 0');
  writeFileSync(file, '1\n'); // someone turned it on meanwhile: not ours to undo
  t.equal(off.restore(), false);
  t.equal(readFileSync(file, 'utf8'), '1\n');
  t.throws(() => new LocalIgmpReports(join(dir, 'missing')).disable(), { code: 'ENOENT' });
});

const conf = (globals: string) =>
  `global_defs {\n${globals}\n}\nvrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100\n}\n}\n`;

t.test('keepalived.conf and JSON', async (t) => {
  const loaded = parseKeepalivedConfig(conf('disable_local_igmp'), 'k.conf');
  t.equal(loaded.input.disableLocalIgmp, true);
  t.same(loaded.diagnostics, [], 'implemented: no warning');
  t.equal(parseKeepalivedConfig(conf(''), 'k.conf').input.disableLocalIgmp, undefined);
  const routers = [{ name: 'VI_1', interface: 'eth0', vrid: 51, priority: 100, virtualAddresses: ['192.0.2.100'] }];
  t.doesNotThrow(() => checkInput({ routers, disableLocalIgmp: true }));
  t.throws(() => checkInput({ routers, disableLocalIgmp: 'yes' as unknown as boolean }), {
    name: 'ConfigError',
    field: 'disableLocalIgmp',
  });
});

t.test('a reload that changes it says a restart is needed, as keepalived', async (t) => {
  const routers: never[] = [];
  t.match(restartNotices({ routers }, { routers, disableLocalIgmp: true }), [{ notice: 'local-igmp-needs-restart' }]);
  t.same(restartNotices({ routers, disableLocalIgmp: true }, { routers, disableLocalIgmp: true }), []);
});
