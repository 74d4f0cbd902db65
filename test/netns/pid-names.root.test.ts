// use_pid_dir, instance and data_use_instance, bin/vrrpd beside keepalived 2.2.7 on the same file:
// the files each makes in /run (each gets an empty /run of its own, so the default names meet
// nobody's), read from outside through /proc/PID/root, and the data dump's name. A -p on the command
// line wins over the file, for both. net_namespace: test/netns/net-namespace.root.test.ts.

import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Harness, skipReason, waitUntil, type RouterSpec } from './harness.js';
import type { LanNode } from './lan.js';
import { keepalivedConf, type KeepalivedProcess, type VrrpdProcess } from './routers.js';
import { STARTUP_MS } from './timing.js';

const SPECS: RouterSpec[] = [
  { name: 'VI_1', vrid: 71, version: 2, priority: 100, advertIntervalCs: 100, virtualAddresses: ['192.0.2.100'] },
];
/** Unique: keepalived writes its data dump to the machine's /tmp. */
const INSTANCE = `nsinst${process.pid}`;

/** Every file under `dir`, as paths relative to it, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path, `${prefix}${name}/`) : [`${prefix}${name}`];
    })
    .sort();
}

interface Case {
  readonly name: string;
  /** Top-level lines before the file. */
  readonly head: string;
  /** Extra command-line flags (both daemons). */
  readonly flags?: readonly string[];
  /** What keepalived 2.2.7 makes in /run (read by the test: the expectation is checked against it too). */
  readonly keepalived: readonly string[];
}

const CASES: readonly Case[] = [
  { name: 'no naming keyword', head: '', keepalived: ['keepalived.pid', 'vrrp.pid'] },
  { name: 'use_pid_dir', head: 'use_pid_dir\n', keepalived: ['keepalived/keepalived.pid', 'keepalived/vrrp.pid'] },
  {
    name: 'instance',
    head: `instance ${INSTANCE}\n`,
    keepalived: [`keepalived/keepalived_${INSTANCE}.pid`, `keepalived/vrrp_${INSTANCE}.pid`],
  },
  {
    name: 'instance, and -p on the command line',
    head: `instance ${INSTANCE}\n`,
    flags: ['-p', '/run/main.pid'],
    keepalived: [`keepalived/vrrp_${INSTANCE}.pid`, 'main.pid'],
  },
];

/** The file for a case: its head, then data_use_instance in global_defs. */
function conf(node: LanNode, head: string): string {
  const text = `${head}${keepalivedConf(node, SPECS).replace('global_defs {\n', 'global_defs {\n  data_use_instance\n')}`;
  if (!text.includes('data_use_instance')) throw new Error('keepalivedConf changed: cannot extend it');
  return text;
}

/** Starts both on the case's file, each with its own /run, and waits until both run. */
async function startBoth(h: Harness, c: Case): Promise<{ ours: VrrpdProcess; theirs: KeepalivedProcess }> {
  const options = (node: LanNode) => ({
    confText: conf(node, c.head),
    defaultFiles: true,
    privateRun: true,
    ...(c.flags ? { extraArgs: c.flags } : {}),
  });
  const ours = h.startVrrpd('r1', SPECS, options(h.node('r1')));
  const theirs = h.startKeepalived('r2', SPECS, options(h.node('r2')));
  // Its signal handlers are in place once it says it runs.
  await ours.waitForLine((l) => /running \d+ instance/.test(l.text), STARTUP_MS, 'bin/vrrpd running');
  await theirs.waitForLine((l) => /\(VI_1\) Entering BACKUP STATE/.test(l.text), STARTUP_MS, 'keepalived Backup');
  return { ours, theirs };
}

t.test(
  'pid files in /run as keepalived names them: bin/vrrpd beside keepalived 2.2.7',
  { skip: skipReason(['keepalived', 'unshare']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'pid', 2, { capture: false });
    t.teardown(() => {
      rmSync(`/tmp/keepalived.${INSTANCE}.data`, { force: true });
      rmSync(`/tmp/keepalived_parent.${INSTANCE}.data`, { force: true });
    });
    for (const c of CASES) {
      await t.test(c.name, async (t) => {
        const { ours, theirs } = await startBoth(h, c);
        const theirFiles = filesUnder(`/proc/${theirs.pid}/root/run`);
        t.same(theirFiles, c.keepalived, `keepalived 2.2.7 made ${theirFiles.join(', ')}`);
        const ourFiles = filesUnder(`/proc/${ours.pid}/root/run`);
        const socket = ourFiles.filter((f) => f.endsWith('.sock'));
        t.same(
          ourFiles.filter((f) => !f.endsWith('.sock')),
          theirFiles,
          `bin/vrrpd made the same (and its socket ${socket.join(', ')})`,
        );
        t.equal(socket.length, 1, 'one status socket, beside the pid files');
        if (c.head.startsWith('instance')) {
          const theirData = `/tmp/keepalived.${INSTANCE}.data`;
          rmSync(theirData, { force: true });
          ours.signal('SIGUSR1');
          theirs.signal('SIGUSR1');
          const ourData = join(ours.dir, `keepalived.${INSTANCE}.data`);
          await waitUntil(async () => (existsSync(theirData) && existsSync(ourData)) || undefined, 3000, 'both dumps');
          t.pass(`keepalived.${INSTANCE}.data from both (keepalived in /tmp, bin/vrrpd in its dump directory)`);
        }
        t.same(await ours.stop(), { code: 0, signal: null }, 'bin/vrrpd stops cleanly');
        await theirs.stop();
      });
    }
  },
);
