// Memory: RSS and PSS of the whole process tree of bin/vrrpd and of keepalived 2.2.7, both reading
// the very same keepalived.conf, with 1 and with 255 VRRPv3 IPv4 instances, in one run.
//
// One router namespace on the test LAN; the process is Master of every instance (no peer), which is
// where a run holds the most (VIPs added, adverts prepared). Once every instance is Master and a
// settling time has passed, the tree (the started process and every descendant, found through
// /proc/*/stat) is sampled once a second over the window: Rss and Pss from /proc/PID/smaps_rollup,
// summed over the tree; the largest sum is reported, with the tree's CPU over the window. PSS splits shared pages (libc, the node binary)
// between the processes mapping them, so it is the fairer figure for a tree of several processes.
// Both log to a file at info level (vrrpd -l; keepalived -l without -D).
// bin/vrrpd is run as an operator runs it (its #! line's V8 flags); --node-flags runs node FLAGS
// bin/vrrpd instead, to compare flags.
// Run as root: node dist/bench/lan/memory.js [--instances 1,255] [--settle 5] [--window 5] [--node-flags none]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NamespaceProcess } from '../../test/netns/process.js';
import { keepalivedConf, VRRPD } from '../../test/netns/routers.js';
import {
  cpuSeconds,
  machineNote,
  numberList,
  parseFlags,
  printTable,
  progress,
  requireLab,
  sleep,
  v3Spec,
  withLan,
  type Impl,
} from './common.js';

const flags = parseFlags(
  'RSS and PSS of the whole process tree, bin/vrrpd beside keepalived (needs root, keepalived)',
  {
    instances: { default: '1,255', help: 'VRRP instances per run, comma-separated' },
    settle: { default: '5', help: 'seconds after every instance is Master before sampling' },
    window: { default: '5', help: 'seconds of sampling (one sample a second; the largest is reported)' },
    'advert-cs': { default: '100', help: 'advert interval in centiseconds' },
    check: { default: 'off', help: 'on: one vrrp_script (/bin/true every second) tracked by every instance' },
    'node-flags': {
      default: 'shebang',
      help: 'ours: "shebang" runs bin/vrrpd itself (its #! flags); else node FLAGS bin/vrrpd ("none": no flags)',
    },
  },
);
requireLab();
console.log(machineNote());

/** VIP of instance i: 198.51.100.1-200, then 203.0.113.1-55. */
const vipFor = (vrid: number) => (vrid <= 200 ? `198.51.100.${vrid}` : `203.0.113.${vrid - 200}`);

/** The started process and every descendant (children of children too), from /proc/*\/stat. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended while we looked
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** A vrrp_script run every second, tracked by every instance: the process that runs scripts shows. */
function withCheck(conf: string): string {
  const script = 'vrrp_script chk_true {\n  script "/bin/true"\n  interval 1\n}\n';
  return script + conf.replace(/(vrrp_instance \S+ \{\n)/g, '$1  track_script {\n    chk_true\n  }\n');
}

interface TreeMemory {
  readonly processes: number;
  readonly rssKiB: number;
  readonly pssKiB: number;
  /** The started process alone. */
  readonly mainRssKiB: number;
}

function rollupKiB(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: field('Rss'), pss: field('Pss') };
}

function treeMemory(root: number): TreeMemory {
  let rssKiB = 0;
  let pssKiB = 0;
  let mainRssKiB = 0;
  let processes = 0;
  for (const pid of processTree(root)) {
    let reading;
    try {
      reading = rollupKiB(pid);
    } catch {
      continue;
    }
    processes++;
    rssKiB += reading.rss;
    pssKiB += reading.pss;
    if (pid === root) mainRssKiB = reading.rss;
  }
  return { processes, rssKiB, pssKiB, mainRssKiB };
}

interface Reading extends TreeMemory {
  readonly impl: Impl;
  readonly instances: number;
  /** utime + stime of the tree over the sampling window, % of one core. */
  readonly cpuPct: number;
}

function treeCpuSeconds(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) {
    try {
      total += cpuSeconds(pid);
    } catch {
      // ended while we looked
    }
  }
  return total;
}

function masters(impl: Impl, logFile: string): number {
  let lines: string[];
  try {
    const pattern = impl === 'ours' ? '-> Master (' : 'Entering MASTER STATE';
    lines = execFileSync('grep', ['-F', '-e', pattern, logFile], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n');
  } catch {
    return 0;
  }
  return new Set(lines.map((l) => /(VI_\d+)/.exec(l)?.[1]).filter((n) => n !== undefined)).size;
}

async function measure(impl: Impl, instances: number): Promise<Reading> {
  return withLan('mem', 1, async (h, scope) => {
    const node = h.node('r1');
    const specs = Array.from({ length: instances }, (_, i) =>
      v3Spec(i + 1, 200, Number(flags['advert-cs']), vipFor(i + 1)),
    );
    const dir = mkdtempSync(join(tmpdir(), `vrrp-memory-${impl}-`));
    scope.defer(() => rmSync(dir, { recursive: true, force: true }));
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, flags.check === 'on' ? withCheck(keepalivedConf(node, specs)) : keepalivedConf(node, specs));
    const pidFiles = ['-p', join(dir, 'main.pid'), '-r', join(dir, 'vrrp.pid')];
    const nodeFlags = flags['node-flags'];
    const vrrpd =
      nodeFlags === 'shebang'
        ? [VRRPD]
        : [process.execPath, ...(nodeFlags === 'none' ? [] : nodeFlags.split(' ').filter(Boolean)), VRRPD];
    const command =
      impl === 'ours'
        ? [...vrrpd, '-n', '-l', '-f', conf, ...pidFiles, '--socket', 'none', '--dump-dir', dir]
        : ['keepalived', '-n', '-l', '-f', conf, ...pidFiles, '--no-syslog'];
    const logFile = join(dir, 'log');
    progress(`${impl}: ${instances} instance(s)`);
    // sh execs the router, so the PID is the router's own.
    const router = new NamespaceProcess(`r1 (${impl})`, node.namespace, 'sh', [
      '-c',
      'exec "$@" >"$0" 2>&1',
      logFile,
      ...command,
    ]);
    scope.defer(async () => {
      // keepalived's children end with it; a descendant left behind is ours to stop, by PID.
      const tree = processTree(router.pid);
      await router.stop(3000);
      for (const pid of tree.slice(1)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
    const until = Date.now() + 120_000;
    while (masters(impl, logFile) < instances) {
      if (!router.running) throw new Error(`${impl} exited:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
      if (Date.now() > until) throw new Error(`${impl}: not Master of all ${instances} within 120 s`);
      await sleep(100);
    }
    await sleep(Number(flags.settle) * 1000);
    let largest: TreeMemory | undefined;
    const cpu0 = treeCpuSeconds(router.pid);
    const t0 = Date.now();
    for (let i = 0; i < Number(flags.window); i++) {
      const sample = treeMemory(router.pid);
      if (!largest || sample.rssKiB > largest.rssKiB) largest = sample;
      await sleep(1000);
    }
    const cpuPct = (100 * (treeCpuSeconds(router.pid) - cpu0)) / ((Date.now() - t0) / 1000);
    return { impl, instances, cpuPct, ...largest! };
  });
}

const readings: Reading[] = [];
for (const instances of numberList(flags.instances)) {
  for (const impl of flags.impls) readings.push(await measure(impl, instances));
}
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
printTable(
  `Whole process tree, Master of every instance (VRRPv3 IPv4, ${Number(flags['advert-cs']) * 10} ms adverts${flags.check === 'on' ? ', one vrrp_script tracked by each' : ''}), largest of ${flags.window} samples`,
  readings.map((r) => [
    String(r.instances),
    r.impl === 'ours' ? 'bin/vrrpd' : 'keepalived',
    String(r.processes),
    mib(r.rssKiB),
    mib(r.pssKiB),
    mib(r.mainRssKiB),
    `${r.cpuPct.toFixed(1)} %`,
  ]),
  ['instances', 'impl', 'processes', 'RSS (tree)', 'PSS (tree)', 'RSS (main process)', 'CPU (tree, window)'],
);
