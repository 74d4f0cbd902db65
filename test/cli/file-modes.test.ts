// The umask as keepalived 2.2.7 applies it (src/cli/file-modes.ts): the modes of the files it makes
// (lib/utils.c fopen_safe, lib/notify.c mkfifo, core/pidfile.c, core/main.c create_reload_file and -t)
// and the process umask, with -u/--umask overriding the file's. Beside keepalived on the same file:
// test/netns/umask.root.test.ts.
import t from 'tap';
import { configTestLogMode, FileModes, KEEPALIVED_DEFAULT_UMASK, modesUnder } from '../../src/cli/file-modes.js';
import { EMPTY_HEALTH_PLAN, type HealthPlan } from '../../src/model/health-plan.js';
import { recordingLogger } from '../health/helpers.js';

t.test('the modes each mask gives', async (t) => {
  t.same(modesUnder(KEEPALIVED_DEFAULT_UMASK), { dump: 0o600, fifo: 0o600, pidFile: 0o644, reloadFile: 0o644 });
  t.same(modesUnder(0o022), { dump: 0o644, fifo: 0o644, pidFile: 0o644, reloadFile: 0o644 });
  t.same(modesUnder(0), { dump: 0o666, fifo: 0o644, pidFile: 0o644, reloadFile: 0o644 });
  t.same(modesUnder(0o027), { dump: 0o640, fifo: 0o640, pidFile: 0o644, reloadFile: 0o644 });
  t.same(modesUnder(0o377), { dump: 0o400, fifo: 0o400, pidFile: 0o644, reloadFile: 0o444 });
  t.same(modesUnder(0o777), { dump: 0, fifo: 0, pidFile: 0o644, reloadFile: 0o044 });
  t.equal(configTestLogMode(undefined), 0o600, "-t's report before any umask: 0644 less 0177");
  t.equal(configTestLogMode(0o022), 0o644);
  t.equal(configTestLogMode(0o077), 0o600);
});

t.test('the process umask: 0177, then the file, unless -u', async (t) => {
  const before = process.umask();
  t.teardown(() => {
    process.umask(before);
  });
  const logger = recordingLogger();
  const plain = new FileModes(undefined);
  t.equal(process.umask(), 0o177, 'set at start, whatever was inherited');
  plain.useFile(undefined, logger);
  t.equal(plain.mask, 0o177, 'a file without umask keeps it');
  plain.useFile(0o022, logger);
  t.equal(process.umask(), 0o022, "the file's umask is the process's");
  plain.useFile(undefined, logger);
  t.equal(plain.mask, 0o022, 'a reload without umask keeps the one in force, as keepalived');
  t.equal(logger.records.length, 0);

  const fromCommandLine = new FileModes(0o027);
  t.equal(process.umask(), 0o027);
  fromCommandLine.useFile(0o000, logger);
  t.equal(process.umask(), 0o027, '-u wins over the file');
  t.match(logger.records.at(-1)?.message, /umask 00 in the file ignored: --umask 027 was given/);
  t.same(fromCommandLine.reloadModes, { reloadFile: 0o644, checkLog: 0o640 });
});

t.test("the notify FIFOs' mode, with the mask the configuration read will bring", async (t) => {
  const before = process.umask();
  t.teardown(() => {
    process.umask(before);
  });
  const plan: HealthPlan = { ...EMPTY_HEALTH_PLAN, notifyFifos: [{ path: '/run/a.fifo' }] };
  const modes = new FileModes(undefined);
  t.equal(modes.forFifos(plan, undefined).notifyFifos?.[0]?.mode, 0o600);
  t.equal(modes.forFifos(plan, 0o022).notifyFifos?.[0]?.mode, 0o644);
  t.equal(new FileModes(0o077).forFifos(plan, 0o022).notifyFifos?.[0]?.mode, 0o600, '-u wins');
  const none = EMPTY_HEALTH_PLAN;
  t.equal(modes.forFifos(none, 0o022), none, 'no FIFOs: the plan as it was');
});
