// The reload keywords of global_defs as the reader maps them (src/config/keepalived/reload-globals.ts),
// with keepalived 2.2.7's defaults and edge cases (core/global_parser.c), and how they reach bin/vrrpd
// (config-source.ts's LoadedConfig.reload). What vrrpd does with them: test/cli/reload-schedule.test.ts
// and test/interop/reload-schedule.root.test.ts.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/cli/config-source.js';
import {
  DEFAULT_RELOAD_FILE,
  type KeepalivedConfigError,
  NO_CHECK_LOG,
  parseKeepalivedConfig,
} from '../../src/config/keepalived/index.js';

const VRRP =
  'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.100\n  }\n}\n';
const read = (globals: string) => parseKeepalivedConfig(`global_defs {\n${globals}\n}\n${VRRP}`, 'k.conf');

t.test('without the keywords: no reload settings', async (t) => {
  t.equal(read('  router_id r1').globals.reload, undefined);
});

t.test('reload_check_config: a log file, or /dev/null without one', async (t) => {
  t.same(read('  reload_check_config').globals.reload, { checkLog: NO_CHECK_LOG });
  t.same(read('  reload_check_config /var/log/keepalived-check.log').globals.reload, {
    checkLog: '/var/log/keepalived-check.log',
  });
  const extra = read('  reload_check_config /var/log/a.log more words');
  t.same(extra.globals.reload, { checkLog: '/var/log/a.log' }, 'keepalived takes the first word');
  t.match(extra.diagnostics, [{ severity: 'warning', message: /only the first word is the file name/ }]);
});

t.test('reload_file: a file, or keepalived.reload in /run without one', async (t) => {
  t.same(read('  reload_file').globals.reload, { reloadFile: DEFAULT_RELOAD_FILE });
  t.equal(DEFAULT_RELOAD_FILE, '/run/keepalived.reload');
  t.same(read('  reload_file /run/k.reload').globals.reload, { reloadFile: '/run/k.reload' });
  const relative = read('  reload_file k.reload');
  t.same(relative.globals.reload, { reloadFile: 'k.reload' }, 'accepted, as keepalived accepts it');
  t.match(relative.diagnostics, [{ severity: 'warning', message: /not an absolute path/ }]);
});

t.test('reload_time_file takes exactly one file; reload_repeat is a flag', async (t) => {
  t.same(read('  reload_time_file /run/reload_time\n  reload_repeat').globals.reload, {
    timeFile: '/run/reload_time',
    repeat: true,
  });
  for (const line of ['  reload_time_file', '  reload_time_file /run/a /run/b']) {
    const error = t.throws(() => read(line)) as KeepalivedConfigError;
    t.match(error.diagnostics, [{ severity: 'error', line: 2, message: /reload_time_file takes one file name/ }], line);
  }
  const repeat = read('  reload_repeat yes');
  t.same(repeat.globals.reload, { repeat: true }, 'keepalived ignores a word after it');
  t.match(repeat.diagnostics, [{ severity: 'warning', message: /reload_repeat takes no value/ }]);
});

t.test('all four together, and include_check read without a warning', async (t) => {
  const loaded = read(
    [
      '  include_check read',
      '  reload_check_config /run/check.log',
      '  reload_file',
      '  reload_time_file /run/reload_time',
      '  reload_repeat',
    ].join('\n'),
  );
  t.same(loaded.diagnostics, [], 'no warning: every one is implemented');
  t.same(loaded.globals.reload, {
    checkLog: '/run/check.log',
    reloadFile: DEFAULT_RELOAD_FILE,
    timeFile: '/run/reload_time',
    repeat: true,
  });
});

t.test("bin/vrrpd's loadConfig carries them", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ka-reload-kw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'keepalived.conf');
  writeFileSync(path, `global_defs {\n  reload_file ${join(dir, 'r')}\n  reload_check_config\n}\n${VRRP}`);
  t.same(loadConfig(path).reload, { reloadFile: join(dir, 'r'), checkLog: NO_CHECK_LOG });
});
