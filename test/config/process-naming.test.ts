// net_namespace, instance and use_pid_dir (top-level keywords) and data_use_instance (global_defs)
// as the reader maps them (src/config/keepalived/process-naming.ts), with keepalived 2.2.7's rules
// (core/global_parser.c: the first name counts, a missing one is an error, both imply use_pid_dir),
// the names bin/vrrpd derives from them (src/cli/daemon-files.ts, keepalived's core/main.c,
// pidfile.c and global_data.c), and the default reload_file they move. What the daemon does with them
// beside keepalived: test/netns/net-namespace.root.test.ts and test/netns/pid-names.root.test.ts.
import t from 'tap';
import { daemonFiles, dataFileName } from '../../src/cli/daemon-files.js';
import { parseKeepalivedConfig, type KeepalivedConfigError } from '../../src/config/keepalived/index.js';

const VRRP =
  'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.100\n  }\n}\n';
const read = (text: string) => parseKeepalivedConfig(`${text}\n${VRRP}`, 'k.conf');
const refused = (text: string): KeepalivedConfigError => {
  try {
    read(text);
  } catch (error) {
    return error as KeepalivedConfigError;
  }
  throw new Error(`accepted: ${text}`);
};
const NONE = { usePidDir: false } as const;
const GIVEN_NONE = { pidFile: undefined, vrrpPidFile: undefined, socket: undefined };

t.test('without the keywords: nothing named, no pid directory', async (t) => {
  const loaded = read('global_defs {\n  router_id r1\n}');
  t.same(loaded.globals.naming, { usePidDir: false });
  t.equal(loaded.globals.dataUseInstance, false);
  t.same(loaded.diagnostics, []);
});

t.test('net_namespace and instance: the first name counts, each implies use_pid_dir', async (t) => {
  const loaded = read('net_namespace blue\ninstance I1\nnet_namespace red\ninstance I2');
  t.same(loaded.globals.naming, { netNamespace: 'blue', instance: 'I1', usePidDir: true });
  t.match(loaded.diagnostics, [
    { severity: 'warning', line: 3, message: /net_namespace red: net_namespace was already given \(blue\)/ },
    { severity: 'warning', line: 4, message: /instance I2: instance was already given \(I1\)/ },
  ]);
  t.same(read('net_namespace blue').globals.naming, { netNamespace: 'blue', usePidDir: true });
  t.same(read('instance I1').globals.naming, { instance: 'I1', usePidDir: true });
  t.same(read('use_pid_dir').globals.naming, { usePidDir: true });
  const extra = read('use_pid_dir yes\ninstance I1 more');
  t.same(extra.globals.naming, { instance: 'I1', usePidDir: true }, 'keepalived ignores the extra words');
  t.equal(extra.diagnostics.filter((d) => d.severity === 'warning').length, 2, 'each one warned');
});

t.test('refused: a missing name (keepalived -t exits 5), a name that is not one path component', async (t) => {
  t.match(refused('net_namespace').diagnostics, [{ severity: 'error', message: /net_namespace needs a name/ }]);
  t.match(refused('instance').diagnostics, [{ severity: 'error', message: /instance needs a name/ }]);
  for (const name of ['a/b', '..', '.'])
    t.match(refused(`net_namespace ${name}`).diagnostics, [{ severity: 'error', message: /cannot hold "\/"/ }], name);
  t.match(refused('instance ../x').diagnostics, [{ severity: 'error', message: /cannot hold "\/"/ }]);
  t.match(refused('net_namespace blue {\n}').diagnostics, [{ severity: 'error', message: /takes no \{ \} block/ }]);
});

t.test('inside global_defs they are unknown, as in keepalived ("Unknown keyword")', async (t) => {
  const error = refused('global_defs {\n  net_namespace blue\n}');
  t.equal(error.diagnostics[0]?.severity, 'error');
  t.equal(error.diagnostics[0]?.line, 2);
});

t.test('data_use_instance: a flag of global_defs', async (t) => {
  t.equal(read('global_defs {\n  data_use_instance\n}').globals.dataUseInstance, true);
  t.equal(read('global_defs {\n  data_use_instance false\n}').globals.dataUseInstance, false);
  t.match(refused('global_defs {\n  data_use_instance maybe\n}').diagnostics, [
    { severity: 'error', message: /data_use_instance takes on\/off/ },
  ]);
});

t.test('reload_file without a name moves with the naming keywords, wherever they are', async (t) => {
  const reloadFile = (text: string) => read(text).globals.reload?.reloadFile;
  t.equal(reloadFile('global_defs {\n  reload_file\n}'), '/run/keepalived.reload');
  t.equal(reloadFile('global_defs {\n  reload_file\n}\nuse_pid_dir'), '/run/keepalived/keepalived.reload');
  t.equal(reloadFile('net_namespace blue\nglobal_defs {\n  reload_file\n}'), '/run/keepalived/keepalived.reload');
  t.equal(reloadFile('global_defs {\n  reload_file\n}\ninstance I1'), '/run/keepalived/keepalived_I1.reload');
  t.equal(reloadFile('instance I1\nglobal_defs {\n  reload_file /run/k.reload\n}'), '/run/k.reload', 'a name stays');
  t.equal(
    reloadFile('instance I1\nglobal_defs {\n  reload_file /run/k.reload\n  reload_file\n}'),
    '/run/keepalived/keepalived_I1.reload',
    'the last one counts',
  );
});

t.test("pid files and the status socket: keepalived's names, the command line first", async (t) => {
  t.same(daemonFiles(GIVEN_NONE, NONE), {
    pidFile: '/run/keepalived.pid',
    vrrpPidFile: '/run/vrrp.pid',
    socket: '/run/vrrpd.sock',
  });
  t.same(daemonFiles(GIVEN_NONE, { usePidDir: true }), {
    pidFile: '/run/keepalived/keepalived.pid',
    vrrpPidFile: '/run/keepalived/vrrp.pid',
    socket: '/run/keepalived/vrrpd.sock',
  });
  t.same(daemonFiles(GIVEN_NONE, { instance: 'I1', usePidDir: true }), {
    pidFile: '/run/keepalived/keepalived_I1.pid',
    vrrpPidFile: '/run/keepalived/vrrp_I1.pid',
    socket: '/run/keepalived/vrrpd_I1.sock',
  });
  t.same(
    daemonFiles({ pidFile: '/a.pid', vrrpPidFile: undefined, socket: false }, { instance: 'I1', usePidDir: true }),
    {
      pidFile: '/a.pid',
      vrrpPidFile: '/run/keepalived/vrrp_I1.pid',
      socket: undefined,
    },
  );
});

t.test('data_use_instance: keepalived.NAMESPACE_INSTANCE.data, only with a name to use', async (t) => {
  const naming = (netNamespace?: string, instance?: string, dataUseInstance = true) => ({
    ...(netNamespace !== undefined ? { netNamespace } : {}),
    ...(instance !== undefined ? { instance } : {}),
    usePidDir: netNamespace !== undefined || instance !== undefined,
    dataUseInstance,
  });
  t.equal(dataFileName('keepalived.data', naming('blue', 'I1')), 'keepalived.blue_I1.data');
  t.equal(dataFileName('keepalived.data', naming('blue')), 'keepalived.blue.data');
  t.equal(dataFileName('keepalived.data', naming(undefined, 'I1')), 'keepalived.I1.data');
  t.equal(dataFileName('keepalived.data', naming()), 'keepalived.data', 'no name: unchanged');
  t.equal(dataFileName('keepalived.data', naming('blue', 'I1', false)), 'keepalived.data', 'off: unchanged');
});
