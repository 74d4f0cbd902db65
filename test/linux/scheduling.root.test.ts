// The runners' own scheduling (src/linux/scheduling.ts), read back from /proc as an operator would:
// bin/vrrpd with keepalived's vrrp_rt_priority / vrrp_cpu_affinity (default
// vrrp_rlimit_rttime: ours, 200 ms), bin/vrrp-engine with "scheduling" (nice; SCHED_RR with its own RLIMIT_RTTIME),
// and both without CAP_SYS_NICE (setpriv drops it from the bounding set): exit 2 with
// the capability named, before any router starts; max_auto_priority after a stall, with and without it. One namespace, a veth pair, documentation
// addresses. Needs root.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { namespaceSkipReason } from './netns-harness.js';
import { eventually } from './runner-process.js';
import { runnerLan, type StartedRunner } from './started-runner.js';

const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));
const VRRP_ENGINE = fileURLToPath(new URL('../../../bin/vrrp-engine', import.meta.url));
const IPFAILOVER = fileURLToPath(new URL('../../../bin/ipfailover', import.meta.url));
/** bin/ipfailover's variables for one VIP on va (192.0.2.1 is the node's address), no check, no firewall rule. */
const IPFAILOVER_ENV = [
  'env',
  'OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.50',
  'OPENSHIFT_HA_NETWORK_INTERFACE=va',
  'OPENSHIFT_HA_MONITOR_PORT=0',
  'OPENSHIFT_HA_RT_PRIORITY=30',
];
const SCHED_RR = 2;
const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' }).status === 0;

/** /proc/PID/stat fields by their proc(5) number (1-based); the name in parentheses may hold spaces. */
function statField(path: string, field: number): number {
  const text = readFileSync(path, 'utf8');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(rest[field - 3]);
}

function statusLine(pid: number, key: string): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return line?.slice(key.length + 1).trim() ?? '';
}

/** "Max realtime timeout" soft and hard, in µs. */
function realtimeTimeout(pid: number): string[] {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max realtime timeout'));
  return line?.replace('Max realtime timeout', '').trim().split(/\s+/).slice(0, 2) ?? [];
}

function keepalivedConf(globals: string): string {
  return `global_defs {\n${globals}}\nvrrp_instance VI_1 {\n  interface va\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.100/32\n  }\n}\n`;
}

function engineJson(scheduling: Record<string, unknown>): string {
  return JSON.stringify({
    routers: [
      {
        name: 'VI_1',
        interface: 'va',
        vrid: 51,
        version: 3,
        priority: 150,
        advertIntervalCs: 100,
        virtualAddresses: ['192.0.2.100'],
      },
    ],
    scheduling,
  });
}

t.test('runner scheduling read back from /proc', { skip: namespaceSkipReason() ?? false }, async (t) => {
  const { netns, dir, start } = runnerLan(t, 'sc');
  const vrrpdArgs = (conf: string, tag: string) => [
    VRRPD,
    '-n',
    '-f',
    conf,
    '-p',
    join(dir, `${tag}.pid`),
    '-r',
    join(dir, `${tag}-vrrp.pid`),
    '--socket',
    join(dir, `${tag}.sock`),
  ];
  const waitLogged = async (s: StartedRunner, what: RegExp) => {
    try {
      await eventually(
        String(what),
        () => what.test(s.output) || s.child.exitCode !== null || s.child.signalCode !== null,
      );
    } finally {
      if (!what.test(s.output)) t.comment(`exit ${s.child.exitCode} ${s.child.signalCode}; output:\n${s.output}`);
    }
  };

  await t.test('vrrpd: vrrp_rt_priority, vrrp_cpu_affinity, default vrrp_rlimit_rttime', async (t) => {
    const conf = join(dir, 'rt.conf');
    writeFileSync(conf, keepalivedConf('  vrrp_rt_priority 40\n  vrrp_cpu_affinity 0\n'));
    const s = start([], vrrpdArgs(conf, 'rt'));
    await waitLogged(s, /"event":"started"/);
    const pid = s.child.pid!;
    t.equal(statField(`/proc/${pid}/stat`, 41), SCHED_RR, 'policy (stat field 41) is SCHED_RR');
    t.equal(statField(`/proc/${pid}/stat`, 40), 40, 'rt_priority (stat field 40) is vrrp_rt_priority');
    t.equal(statusLine(pid, 'Cpus_allowed_list'), '0', 'main thread bound to CPU 0');
    t.same(realtimeTimeout(pid), ['100000', '200000'], 'RLIMIT_RTTIME: our default, soft half the hard as keepalived');
    // The main thread only: the other threads (libuv pool, V8 helpers) stay SCHED_OTHER.
    const others = readdirSync(`/proc/${pid}/task`).filter((tid) => tid !== String(pid));
    t.ok(others.length > 0, 'the process has other threads');
    t.same(
      others.filter((tid) => statField(`/proc/${pid}/task/${tid}/stat`, 41) !== 0),
      [],
      'no other thread is real-time',
    );
    // Adverts at SCHED_RR under the limit: still running (the kernel's SIGKILL would end it).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.equal(s.child.exitCode, null, 'still running under RLIMIT_RTTIME');
    t.equal(s.child.signalCode, null);
    s.child.kill('SIGTERM');
    t.equal(await s.exited, 0, 'SIGTERM: exit 0');
  });

  await t.test('vrrp-engine: nice, then SCHED_RR with its own RLIMIT_RTTIME', async (t) => {
    const niceConf = join(dir, 'nice.json');
    writeFileSync(niceConf, engineJson({ nice: -7 }));
    const nice = start([], [VRRP_ENGINE, '--config', niceConf]);
    await waitLogged(nice, /"event":"scheduling"/);
    t.equal(statField(`/proc/${nice.child.pid!}/stat`, 19), -7, 'nice (stat field 19)');
    t.equal(statField(`/proc/${nice.child.pid!}/stat`, 41), 0, 'still SCHED_OTHER');
    nice.child.kill('SIGTERM');
    t.equal(await nice.exited, 0);

    const rtConf = join(dir, 'rt.json');
    writeFileSync(rtConf, engineJson({ realtimePriority: 10, realtimeLimitUs: 50_000 }));
    const rt = start([], [VRRP_ENGINE, '--config', rtConf]);
    await waitLogged(rt, /"event":"started"/);
    t.equal(statField(`/proc/${rt.child.pid!}/stat`, 41), SCHED_RR);
    t.equal(statField(`/proc/${rt.child.pid!}/stat`, 40), 10);
    t.same(realtimeTimeout(rt.child.pid!), ['25000', '50000']);
    rt.child.kill('SIGTERM');
    t.equal(await rt.exited, 0);
  });

  await t.test('ipfailover: OPENSHIFT_HA_RT_PRIORITY', async (t) => {
    const s = start(IPFAILOVER_ENV, [IPFAILOVER]);
    await waitLogged(s, /"event":"started"/);
    t.equal(statField(`/proc/${s.child.pid!}/stat`, 41), SCHED_RR);
    t.equal(statField(`/proc/${s.child.pid!}/stat`, 40), 30);
    t.same(realtimeTimeout(s.child.pid!), ['100000', '200000']);
    s.child.kill('SIGTERM');
    t.equal(await s.exited, 0);
  });

  await t.test(
    'without the capability: exit 2 naming it, before any router starts',
    { skip: hasSetpriv ? false : 'setpriv is not installed' },
    async (t) => {
      const dropNice = ['setpriv', '--inh-caps=-sys_nice', '--bounding-set=-sys_nice', '--'];
      const conf = join(dir, 'nocap.conf');
      writeFileSync(conf, keepalivedConf('  vrrp_rt_priority 40\n'));
      const vrrpd = start(dropNice, vrrpdArgs(conf, 'nocap'));
      t.equal(await vrrpd.exited, 2, 'vrrpd: a configuration error (exit 2)');
      t.match(
        vrrpd.output,
        /vrrp_rt_priority: SCHED_RR priority 40 refused \(EPERM[^)]*\): the process needs CAP_SYS_NICE/,
      );
      t.notMatch(vrrpd.output, /"event":"stateChange"/, 'no router started');

      const json = join(dir, 'nocap.json');
      writeFileSync(json, engineJson({ nice: -5 }));
      const engine = start(dropNice, [VRRP_ENGINE, '--config', json]);
      t.equal(await engine.exited, 2, 'vrrp-engine: exit 2');
      t.match(
        engine.output,
        /configuration error: scheduling\.nice: nice -5 refused \(EACCES[^)]*\): the process needs CAP_SYS_NICE/,
      );

      const pod = start([...IPFAILOVER_ENV, ...dropNice], [IPFAILOVER]);
      t.equal(await pod.exited, 2, 'ipfailover: exit 2');
      t.match(
        pod.output,
        /OPENSHIFT_HA_RT_PRIORITY: SCHED_RR priority 30 refused \(EPERM[^)]*\): the process needs CAP_SYS_NICE/,
      );
      t.same(
        netns.addresses('va').filter((a) => a.local === '192.0.2.100' || a.local === '192.0.2.50'),
        [],
        'no VIP was added by any refused start',
      );
    },
  );

  await t.test(
    'max_auto_priority: a stalled vrrpd goes SCHED_RR 1 with RLIMIT_RTTIME; without CAP_SYS_NICE it is refused',
    async (t) => {
      const conf = join(dir, 'auto.conf');
      writeFileSync(conf, keepalivedConf('  max_auto_priority 4\n  min_auto_priority_delay 100000\n'));
      // Stopped past an advert of the Master: its timer fires at least 0.3 s late once it runs again.
      const stalled = async (s: StartedRunner) => {
        await waitLogged(s, /"event":"stateChange"[^\n]*"to":"Master"/);
        process.kill(s.child.pid!, 'SIGSTOP');
        await new Promise((resolve) => setTimeout(resolve, 1300));
        process.kill(s.child.pid!, 'SIGCONT');
        await waitLogged(s, /"notice":"auto-priority/);
        return s.child.pid!;
      };
      const s = start([], vrrpdArgs(conf, 'auto'));
      const pid = await stalled(s);
      t.equal(statField(`/proc/${pid}/stat`, 41), SCHED_RR, 'SCHED_RR after the stall');
      t.equal(statField(`/proc/${pid}/stat`, 40), 1, 'at the lowest priority, 1');
      t.same(realtimeTimeout(pid), ['100000', '200000'], 'RLIMIT_RTTIME armed at the raise');
      t.match(s.output, /a timer fired \d\.\d{6} s late .*main thread now SCHED_RR 1 \(max_auto_priority 4\)/);
      s.child.kill('SIGTERM');
      t.equal(await s.exited, 0);
      if (!hasSetpriv) return;
      const dropNice = ['setpriv', '--inh-caps=-sys_nice', '--bounding-set=-sys_nice', '--'];
      const nocap = start(dropNice, vrrpdArgs(conf, 'auto-nocap'));
      const nocapPid = await stalled(nocap);
      t.match(nocap.output, /SCHED_RR 1 refused \(EPERM[^)]*\): the process needs CAP_SYS_NICE/);
      t.equal(statField(`/proc/${nocapPid}/stat`, 41), 0, 'still SCHED_OTHER');
      t.equal(nocap.child.exitCode, null, 'and still running');
      nocap.child.kill('SIGTERM');
      t.equal(await nocap.exited, 0);
    },
  );
});

// A SCHED_RR main thread that runs past the RLIMIT_RTTIME soft limit without sleeping (a busy loop
// here; a full GC on a starved CPU in the steadiness benchmark) is put back to SCHED_OTHER by the
// addon's SIGXCPU handler instead of being killed at the hard limit, then gets SCHED_RR back.
const notRoot = process.getuid?.() !== 0 ? 'needs root (CAP_SYS_NICE)' : false;
t.test(
  'SIGXCPU demotes the SCHED_RR threads instead of a SIGKILL, then restores them',
  { skip: notRoot },
  async (t) => {
    const scheduling = new URL('../../src/linux/scheduling.js', import.meta.url).href;
    const program = `
    import { applyProcessScheduling, armRealtimeLimit } from ${JSON.stringify(scheduling)};
    import { readFileSync } from 'node:fs';
    const policy = () => readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[41 - 3];
    const say = (level) => (fields) => console.log(level, fields.notice ?? '');
    const logger = { trace() {}, debug() {}, info: say('info'), warn: say('warn'), error: say('error') };
    const applied = applyProcessScheduling({ realtimePriority: 10, realtimeLimitUs: 40000 });
    armRealtimeLimit(applied, logger, 300);
    console.log('policy before', policy());
    const end = Date.now() + 500;
    while (Date.now() < end) {}
    console.log('policy after the loop', policy());
    setTimeout(() => console.log('policy later', policy()), 800);
  `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    t.equal(child.signal, null, 'not killed by the hard limit (40 ms) during a 500 ms busy loop');
    t.equal(child.status, 0, child.stderr);
    t.match(child.stdout, /policy before 2\n/, 'SCHED_RR before');
    t.match(child.stdout, /warn realtime-limit\n/, 'SIGXCPU logged');
    t.match(child.stdout, /policy after the loop 0\n/, 'SCHED_OTHER once SIGXCPU came');
    t.match(child.stdout, /info realtime-restored\npolicy later 2\n/, 'SCHED_RR restored after the delay');
  },
);
