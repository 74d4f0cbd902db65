// umask (global_defs) and -u/--umask, bin/vrrpd beside keepalived 2.2.7 on the same file: the modes of
// every file each one makes (the SIGUSR1/SIGUSR2/JSON dumps, the pid files, the notify FIFO, a track
// file's init_file) and the umask its notify script runs with (and the mode of the file the script
// writes). keepalived's dumps go to its TMPDIR, set to its own directory (routers.ts dumpsInOwnDir),
// vrrpd's to its --dump-dir; the other files are named in the file, under a directory of each one's.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Harness, skipReason, waitUntil, type RouterSpec } from './harness.js';
import type { LanNode } from './lan.js';
import type { KeepalivedProcess, VrrpdProcess } from './routers.js';
import { keepalivedConf } from './routers.js';
import { STARTUP_MS } from './timing.js';

const SPECS: RouterSpec[] = [
  { name: 'VI_1', vrid: 51, version: 2, priority: 100, advertIntervalCs: 100, virtualAddresses: ['192.0.2.100'] },
];

/** keepalived.conf with the umask lines, a notify FIFO, a track file with init_file, a notify script in `work`. */
function conf(node: LanNode, globals: string, work: string): string {
  const base = keepalivedConf(node, SPECS);
  const script = join(work, 'note.sh');
  writeFileSync(script, `#!/bin/sh\numask > ${join(work, 'umask.out')}\n`);
  chmodSync(script, 0o755);
  const track = ['vrrp_track_file TF {', `  file ${join(work, 'track')}`, '  init_file 0', '}'].join('\n');
  const text = base
    .replace('global_defs {\n', `global_defs {\n${globals}  vrrp_notify_fifo ${join(work, 'fifo')}\n`)
    .replace(
      'vrrp_instance VI_1 {\n',
      `${track}\nvrrp_instance VI_1 {\n  notify ${script}\n  track_file {\n    TF\n  }\n`,
    );
  if (text === base || !text.includes(track)) throw new Error('keepalivedConf changed: cannot extend it');
  return text;
}

const mode = (path: string): string => `0${(statSync(path).mode & 0o777).toString(8)}`;
const signalNumber = (name: string): number =>
  Number(execFileSync('keepalived', [`--signum=${name}`], { encoding: 'utf8' }).trim());

const DUMPS = ['keepalived.data', 'keepalived.stats', 'keepalived.json'];

/** Asks for the three dumps (SIGUSR1, SIGUSR2, JSON) until they are all in `dir`. */
async function dumps(pid: number, dir: string): Promise<void> {
  const signals = [signalNumber('DATA'), signalNumber('STATS'), signalNumber('JSON')];
  await waitUntil(
    () => {
      const missing = DUMPS.flatMap((name, i) => (existsSync(join(dir, name)) ? [] : [signals[i]!]));
      if (missing.length === 0) return true;
      for (const signal of missing) process.kill(pid, signal);
      return undefined;
    },
    10_000,
    `the dumps in ${dir}`,
    500,
  );
}

/** The modes of the files one daemon made, and the umask its notify script saw. */
async function filesOf(daemon: KeepalivedProcess | VrrpdProcess, work: string): Promise<Record<string, string>> {
  const out = join(work, 'umask.out');
  await waitUntil(() => (existsSync(out) ? true : undefined), STARTUP_MS, `${daemon.kind}'s notify script`);
  await dumps(daemon.pid, daemon.dir);
  const found: Record<string, string> = {};
  for (const name of [...DUMPS, 'keepalived.pid', 'vrrp.pid']) found[name] = mode(join(daemon.dir, name));
  for (const name of ['fifo', 'track', 'umask.out']) found[name] = mode(join(work, name));
  found.scriptUmask = readFileSync(out, 'utf8').trim();
  return found;
}

/** What keepalived 2.2.7's source says the mask gives (file-modes.ts has the same table). */
function expected(mask: number): Record<string, string> {
  const octal = (m: number) => `0${m.toString(8)}`;
  const dump = octal(0o666 & ~mask);
  return {
    'keepalived.data': dump,
    'keepalived.stats': dump,
    'keepalived.json': dump,
    'keepalived.pid': '0644',
    'vrrp.pid': '0644',
    fifo: octal(0o644 & ~mask),
    track: dump,
    'umask.out': dump,
    scriptUmask: mask.toString(8).padStart(4, '0'),
  };
}

const CASES: { name: string; globals: string; args?: string[]; mask: number }[] = [
  { name: 'no umask: keepalived sets 0177', globals: '', mask: 0o177 },
  { name: 'umask 022', globals: '  umask 022\n', mask: 0o022 },
  { name: 'umask IWGRP|IROTH|IWOTH|IXOTH (027)', globals: '  umask IWGRP|IROTH|IWOTH|IXOTH\n', mask: 0o027 },
  { name: 'umask 0: dumps 0666, the FIFO 0644', globals: '  umask 0\n', mask: 0 },
  { name: '-u 0x3f beats umask 0 in the file', globals: '  umask 0\n', args: ['-u', '0x3f'], mask: 0o077 },
];

t.test(
  'the files made and the scripts run under the umask, as keepalived',
  { skip: skipReason(['keepalived']) ?? false },
  async (t) => {
    for (const c of CASES) {
      await t.test(c.name, async (t) => {
        const h = await Harness.create(t, 'umk', 2, { capture: false });
        const works = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'vrrp-umask-')));
        t.teardown(() => {
          for (const dir of works) rmSync(dir, { recursive: true, force: true });
        });
        const extraArgs = c.args ?? [];
        const ours = h.startVrrpd('r1', SPECS, { confText: conf(h.node('r1'), c.globals, works[0]!), extraArgs });
        const theirs = h.startKeepalived('r2', SPECS, {
          confText: conf(h.node('r2'), c.globals, works[1]!),
          extraArgs,
          dumpsInOwnDir: true,
        });
        await ours.waitForState('VI_1', 'Backup', STARTUP_MS);
        await theirs.waitForLine((l) => /\(VI_1\) Entering BACKUP STATE/.test(l.text), STARTUP_MS, 'keepalived Backup');
        const keepalived = await filesOf(theirs, works[1]!);
        const vrrpd = await filesOf(ours, works[0]!);
        t.same(keepalived, expected(c.mask), `keepalived: ${JSON.stringify(keepalived)}`);
        t.same(vrrpd, keepalived, `bin/vrrpd: ${JSON.stringify(vrrpd)}`);
        t.equal(
          mode(join(ours.dir, 'vrrpd.recording.json')),
          '0600',
          'the recording 0600 whatever the umask (it holds passwords)',
        );
      });
    }
  },
);
