// reload_time_file, reload_repeat, reload_file and reload_check_config: bin/vrrpd (r1) and keepalived
// 2.2.7 (r2) read the very same keepalived.conf (each keeps its own `@host` lines) and include the
// same instances file, each Master of its own VRID. The instances file is rewritten with a higher
// priority and the reload time file given a time a few seconds ahead: on the wire, neither sends the
// new priority before that second and both send it soon after; each created its reload file during
// the reload's read and removed it after; each wrote its check log; with reload_repeat and a time
// alone the time file is kept. Then a broken instances file and SIGHUP: both check it, refuse it and
// keep advertising the running priority, and each check log names the error.

import t from 'tap';
import { watch, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Harness, skipReason, type RouterProcess } from '../netns/harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';
import { formatReloadTime } from '../../src/cli/reload-time.js';

const NODES = ['r1', 'r2'] as const;
type Node = (typeof NODES)[number];
const VRID: Record<Node, number> = { r1: 61, r2: 62 };
const SOURCE: Record<Node, string> = { r1: '192.0.2.1', r2: '192.0.2.2' };

function instances(priority: number, extra = ''): string {
  return [
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    ...NODES.map((n) => `  @${n} virtual_router_id ${VRID[n]}`),
    `  priority ${priority}`,
    '  advert_int 1',
    ...(extra ? [`  ${extra}`] : []),
    '  virtual_ipaddress {',
    ...NODES.map((n) => `    @${n} 192.0.2.${VRID[n]}/32`),
    '  }',
    '}',
    '',
  ].join('\n');
}

function sharedConf(dir: string): string {
  return [
    'global_defs {',
    ...NODES.map((n) => `  @${n} router_id ${n}`),
    `  reload_time_file ${join(dir, 'reload_time')}`,
    '  reload_repeat',
    ...NODES.map((n) => `  @${n} reload_file ${join(dir, `${n}.reload`)}`),
    ...NODES.map((n) => `  @${n} reload_check_config ${join(dir, `${n}.check.log`)}`),
    '}',
    `include ${join(dir, 'instances.conf')}`,
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const skip = skipReason(['keepalived', 'unshare']) ?? false;

t.test('a reload at the time in reload_time_file: bin/vrrpd and keepalived 2.2.7 on one file', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'instances.conf'), instances(100));
  const h = await Harness.create(t, 'irs', 2);
  const conf = sharedConf(dir);
  const procs: Record<Node, RouterProcess> = {
    r1: h.startVrrpd('r1', [], { confText: conf, hostname: 'r1' }),
    r2: h.startKeepalived('r2', [], { confText: conf, hostname: 'r2' }),
  };
  const bound = masterDownMs(100, 100, 2) + MARGIN_MS + STARTUP_MS;
  for (const n of NODES) await procs[n].waitForState('VI_1', 'Master', bound);

  // Every appearance and removal of a reload file, as inotify reports them.
  const seen: { name: string; atMs: number; exists: boolean }[] = [];
  const watcher = watch(dir, (_event, name) => {
    if (name?.endsWith('.reload')) seen.push({ name, atMs: Date.now(), exists: existsSync(join(dir, name)) });
  });
  t.teardown(() => watcher.close());

  const atMs = Math.ceil((Date.now() + 4000) / 1000) * 1000;
  writeFileSync(join(dir, 'instances.conf'), instances(150));
  // A time alone (local), as an operator writes it; with reload_repeat the file stays.
  const time = formatReloadTime(atMs).slice(11);
  writeFileSync(join(dir, 'reload_time'), `${time}\n`);
  await sleep(atMs - Date.now() + 4000);

  const scheduled = {
    r1: procs.r1.lines.some((l) => l.text.includes(`reload scheduled for ${formatReloadTime(atMs)}`)),
    r2: procs.r2.lines.some((l) => l.text.includes(`Scheduling reload for ${formatReloadTime(atMs)}`)),
  };
  t.same(scheduled, { r1: true, r2: true }, `both logged the reload scheduled for ${formatReloadTime(atMs)}`);
  t.equal(readFileSync(join(dir, 'reload_time'), 'utf8'), `${time}\n`, 'reload_repeat and a time alone: file kept');

  const reloadFiles = Object.fromEntries(
    NODES.map((n) => {
      const events = seen.filter((e) => e.name === `${n}.reload`);
      return [n, { created: events.some((e) => e.atMs >= atMs - 100), left: existsSync(join(dir, `${n}.reload`)) }];
    }),
  );
  t.same(
    reloadFiles,
    { r1: { created: true, left: false }, r2: { created: true, left: false } },
    'each created its reload file at the reload and removed it after the read',
  );
  t.match(readFileSync(join(dir, 'r1.check.log'), 'utf8'), /configuration is usable/, "vrrpd's check log");
  t.ok(existsSync(join(dir, 'r2.check.log')), "keepalived's check log exists");

  // Phase 2: a file with an error, and SIGHUP: refused by both after the check.
  writeFileSync(join(dir, 'instances.conf'), instances(200, 'no_such_keyword 1'));
  const brokenAtMs = Date.now();
  for (const n of NODES) procs[n].signal('SIGHUP');
  await sleep(4000);
  t.match(readFileSync(join(dir, 'r1.check.log'), 'utf8'), /no_such_keyword/, "vrrpd's check log names the error");
  t.match(readFileSync(join(dir, 'r2.check.log'), 'utf8'), /no_such_keyword/, "keepalived's check log names it");
  t.ok(
    procs.r2.lines.some((l) => l.atMs >= brokenAtMs && /New config failed validation/.test(l.text)),
    'keepalived refused the reload',
  );
  t.ok(
    procs.r1.lines.some((l) => l.atMs >= brokenAtMs && /reload refused.*see .*r1\.check\.log/.test(l.text)),
    'vrrpd refused the reload and named its check log',
  );

  const frames = (await h.stopCapture()).vrrp();
  for (const n of NODES) {
    const adverts = frames.filter((f) => f.source === SOURCE[n] && f.vrid === VRID[n]);
    const early = adverts.filter((f) => f.priority === 150 && f.timeMs < atMs - 50);
    const first150 = adverts.find((f) => f.priority === 150);
    t.same(early, [], `${n}: no advert with the new priority before ${formatReloadTime(atMs)}`);
    t.ok(
      first150 !== undefined && first150.timeMs < atMs + 3000,
      `${n}: priority 150 on the wire ${first150 ? (first150.timeMs - atMs).toFixed(0) : '(never)'} ms after the time`,
    );
    t.same(
      adverts.filter((f) => f.priority === 200).length,
      0,
      `${n}: the refused file's priority 200 never on the wire`,
    );
    t.ok(
      adverts.some((f) => f.priority === 150 && f.timeMs > brokenAtMs + 2000),
      `${n}: still advertising 150 after the refused reload`,
    );
  }
});
