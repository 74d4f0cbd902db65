// vrrp_no_swap (native/src/memory_lock.h), read back from /proc as an operator would: bin/vrrpd with
// the keyword as Master, bin/vrrp-engine with "lockMemory", the locked mappings in smaps (VmFlags "lo"
// and "lf": locked, on fault, as keepalived's MCL_ONFAULT) and V8's heap left unlocked; a GC-heavy
// program that survives the lock (mlockall makes V8 abort); without CAP_IPC_LOCK and with a zero
// RLIMIT_MEMLOCK, exit 2 naming the keyword and the capability before any VIP is added. One
// namespace, a veth pair, documentation addresses. Needs root.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { namespaceSkipReason } from './netns-harness.js';
import { runnerLan } from './started-runner.js';

const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));
const VRRP_ENGINE = fileURLToPath(new URL('../../../bin/vrrp-engine', import.meta.url));
const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' }).status === 0;

interface SmapsEntry {
  readonly path: string;
  readonly lockedKb: number;
  readonly flags: readonly string[];
  readonly sizeKb: number;
}

/** /proc/PID/smaps as entries: the mapping's path ('' for anonymous), Locked:, Size: and VmFlags. */
function smaps(pid: number): SmapsEntry[] {
  const entries: SmapsEntry[] = [];
  let current: { path: string; lockedKb: number; flags: string[]; sizeKb: number } | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      current = { path: header[1]!.trim(), lockedKb: 0, flags: [], sizeKb: 0 };
      entries.push(current);
    } else if (current && line.startsWith('Locked:')) current.lockedKb = Number.parseInt(line.slice(7), 10);
    else if (current && line.startsWith('Size:')) current.sizeKb = Number.parseInt(line.slice(5), 10);
    else if (current && line.startsWith('VmFlags:')) current.flags = line.slice(8).trim().split(/\s+/);
  }
  return entries;
}

function vmLockedKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmLck:'));
  return Number.parseInt(line?.slice(6) ?? '0', 10);
}

const lockedOnFault = (entry: SmapsEntry) => entry.flags.includes('lo') && entry.flags.includes('lf');

/** What an operator checks: the addon, libc, [heap] and [stack] locked on fault; a large anonymous V8 area not. */
function checkLocked(t: Test, pid: number): void {
  const entries = smaps(pid);
  t.ok(vmLockedKb(pid) > 0, `VmLck ${vmLockedKb(pid)} kB`);
  const addon = entries.filter((e) => e.path.endsWith('/vrrp_native.node'));
  t.ok(addon.length > 0 && addon.every(lockedOnFault), 'the addon (every mapping of it) is locked on fault');
  t.ok(
    addon.some((e) => e.lockedKb > 0),
    'and its touched pages are resident and locked',
  );
  const libc = entries.filter((e) => /\/libc\.so/.test(e.path) && e.flags.includes('rd'));
  t.ok(libc.length > 0 && libc.every(lockedOnFault), 'libc (what the sender thread calls) is locked');
  for (const special of ['[heap]', '[stack]']) {
    const entry = entries.find((e) => e.path === special);
    t.ok(entry && lockedOnFault(entry) && entry.lockedKb > 0, `${special} locked (${entry?.lockedKb} kB)`);
  }
  const anonymousLocked = entries.filter((e) => e.path === '' && lockedOnFault(e));
  t.ok(anonymousLocked.length >= 1, "an anonymous mapping is locked: the advert sender thread's stack");
  t.ok(
    entries.some((e) => e.path === '' && e.sizeKb >= 1024 && !e.flags.includes('lo')),
    "V8's heap (large anonymous mappings) stays unlocked",
  );
}

const KEEPALIVED_CONF = `global_defs {
  vrrp_no_swap
}
vrrp_instance VI_1 {
  interface va
  virtual_router_id 52
  priority 150
  version 3
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.101/32
  }
}
`;

t.test('vrrp_no_swap read back from /proc', { skip: namespaceSkipReason() ?? false }, async (t) => {
  const { netns, dir, start } = runnerLan(t, 'ml');
  const conf = join(dir, 'noswap.conf');
  writeFileSync(conf, KEEPALIVED_CONF);
  const vrrpd = (tag: string) => [
    VRRPD,
    '-n',
    '-f',
    conf,
    '-p',
    join(dir, `${tag}.pid`),
    '-r',
    join(dir, `${tag}-v.pid`),
    '--socket',
    join(dir, `${tag}.sock`),
  ];

  await t.test('vrrpd: vrrp_no_swap as Master, 10 adverts/s', async (t) => {
    const s = start([], vrrpd('on'));
    await s.logged(/"to":"Master"/);
    t.match(s.output, /advert path locked in memory \(\d+ MiB of mappings, on fault\)/, 'the start log says so');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    checkLocked(t, s.child.pid!);
    t.equal(s.child.exitCode, null, 'still running');
    s.child.kill('SIGTERM');
    t.equal(await s.exited, 0, 'SIGTERM: exit 0');
  });

  await t.test('vrrp-engine: "scheduling": {"lockMemory": true}', async (t) => {
    const json = join(dir, 'noswap.json');
    const router = { name: 'VI_1', interface: 'va', vrid: 53, version: 3, priority: 150, advertIntervalCs: 10 };
    writeFileSync(
      json,
      JSON.stringify({ routers: [{ ...router, virtualAddresses: ['192.0.2.102'] }], scheduling: { lockMemory: true } }),
    );
    const s = start([], [VRRP_ENGINE, '--config', json]);
    await s.logged(/"to":"Master"/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    checkLocked(t, s.child.pid!);
    s.child.kill('SIGTERM');
    t.equal(await s.exited, 0);
  });

  await t.test(
    'without CAP_IPC_LOCK and with RLIMIT_MEMLOCK 0: exit 2 naming both, no VIP added',
    { skip: hasSetpriv ? false : 'setpriv is not installed' },
    async (t) => {
      const prefix = [
        'prlimit',
        '--memlock=0:0',
        '--',
        'setpriv',
        '--inh-caps=-ipc_lock',
        '--bounding-set=-ipc_lock',
        '--',
      ];
      const s = start(prefix, vrrpd('off'));
      t.equal(await s.exited, 2, 'a configuration error (exit 2)');
      t.match(
        s.output,
        /vrrp_no_swap: locking the advert path in memory refused \(EPERM[^)]*\): the process needs CAP_IPC_LOCK/,
      );
      t.notMatch(s.output, /"event":"stateChange"/, 'no router started');
      t.same(
        netns.addresses('va').filter((a) => a.local === '192.0.2.101'),
        [],
        'no VIP',
      );
    },
  );
});

// keepalived's own call, mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT), makes V8 abort once its GC
// hands pages back (madvise EINVAL on locked memory). The partial lock must survive the same load.
const notRoot = process.getuid?.() !== 0 ? 'needs root (CAP_IPC_LOCK)' : false;
t.test('a GC-heavy program survives lockMemory, and its memory stays locked', { skip: notRoot }, async (t) => {
  const scheduling = new URL('../../src/linux/scheduling.js', import.meta.url).href;
  const program = `
    import { applyProcessScheduling } from ${JSON.stringify(scheduling)};
    import { readFileSync } from 'node:fs';
    const locked = () => readFileSync('/proc/self/status', 'utf8').match(/VmLck:\\s+(\\d+)/)[1];
    const applied = applyProcessScheduling({ lockMemory: true });
    console.log('locked bytes', applied.lockedBytes, 'VmLck', locked());
    let keep = [];
    const end = Date.now() + 4000;
    let rounds = 0;
    while (Date.now() < end) {
      for (let i = 0; i < 20000; i++) keep.push({ a: new Array(40).fill(i), s: 'x'.repeat(i % 200) });
      if (keep.length > 300000) keep = [];
      Buffer.alloc(1 << 22)[0] = 1;
      rounds++;
    }
    console.log('rounds', rounds, 'VmLck', locked());
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  t.equal(child.signal, null, `not killed (V8 aborts with SIGTRAP under mlockall): ${child.stderr}`);
  t.equal(child.status, 0, child.stderr);
  const [, bytes, before] = /locked bytes (\d+) VmLck (\d+)/.exec(child.stdout) ?? [];
  t.ok(Number(bytes) > 0 && Number(before) > 0, `locked at start: ${child.stdout.split('\n')[0]}`);
  const [, rounds, after] = /rounds (\d+) VmLck (\d+)/.exec(child.stdout) ?? [];
  t.ok(Number(rounds) >= 3, `${rounds} rounds of garbage`);
  // The malloc heap may shrink meanwhile (glibc trims brk) and take its part of the lock with it; the
  // file mappings' locks, nearly all of VmLck, stay.
  t.ok(Number(after) >= 0.9 * Number(before), `VmLck still ${after} kB after the GC load (${before} at start)`);
});
