// The OpenShift image beside keepalived: container start to first advert, `podman stop` to the other
// node's first advert, memory and CPU of the running pod at 1 s adverts. Two nodes on a namespace LAN
// with the same OPENSHIFT_HA_* variables; r2 is the formula's master candidate (priority 253), r1 a
// backup. "ours": the image (`npm run image`) as containers, test/openshift/containers.ts.
// "keepalived": keepalived 2.2.7 on the configuration the wrapper writes (test/openshift/pods.ts),
// run as a process, not in its image (which cannot be pulled here): its start excludes a container's.
// Times are from the bridge capture (tshark). Memory: VmRSS and Pss (smaps_rollup) summed over the pod's processes (ours: every
// process in the container's pid namespace; keepalived: parent and VRRP child). CPU: utime + stime of
// those processes over --window seconds while r2 is Master.
// Run as root: node dist/bench/lan/openshift-image.js [--reps 3] [--window 30] [--impl keepalived,ours]

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Capture, type VrrpFrame } from '../../test/netns/capture.js';
import { Lan, type LanNode } from '../../test/netns/lan.js';
import {
  ContainerPod,
  IMAGE,
  containerSkipReason,
  processesInPidNamespaceOf,
} from '../../test/openshift/containers.js';
import { WrapperKeepalivedPod, type Env, type Pod } from '../../test/openshift/pods.js';
import { cpuSeconds, machineNote, ms, parseFlags, printTable, rssMiB, sleep, summarize } from './common.js';

const flags = parseFlags(
  'the OpenShift image beside keepalived (needs root, podman, the image, keepalived, tcpdump, tshark)',
  {
    reps: { default: '3', help: 'starts and stops per implementation' },
    window: { default: '30', help: 'seconds of steady Master for CPU' },
  },
);
const reason = containerSkipReason(['keepalived']);
if (reason !== undefined) {
  console.error(`cannot run: ${reason}`);
  process.exit(2);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
console.log(machineNote());
const size = Number(
  execFileSync('podman', ['image', 'inspect', '--format', '{{.Size}}', IMAGE], { encoding: 'utf8' }).trim(),
);
console.log(`image ${IMAGE}: ${(size / 1e6).toFixed(1)} MB`);

const INSTANCE = 'ipf_bench_VIP_1';
const ENV: Env = {
  OPENSHIFT_HA_CONFIG_NAME: 'ipf-bench',
  OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.100',
  OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0',
  OPENSHIFT_HA_MONITOR_PORT: '0',
  OPENSHIFT_HA_REPLICA_COUNT: '2',
  OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
};

interface Rep {
  readonly startToFirstAdvertMs: number;
  readonly stopToOtherFirstMs: number;
  readonly rssMiB: number;
  /** Proportional set size: shared pages (node's own code, libnode) counted once over the pod's processes. */
  readonly pssMiB: number;
  readonly processes: number;
  readonly cpuPercent: number;
}

function pssMiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((p) => {
      try {
        return new RegExp(`^PPid:\\s+${pid}$`, 'm').test(readFileSync(`/proc/${p}/status`, 'utf8'));
      } catch {
        return false;
      }
    });
}

function podPids(impl: string, pod: Pod): number[] {
  if (pod instanceof ContainerPod) return processesInPidNamespaceOf(pod.hostPid()).map((p) => p.pid);
  if (impl === 'keepalived') return [pod.process.pid, ...childrenOf(pod.process.pid)];
  return [pod.process.pid];
}

const firstFrom = (frames: readonly VrrpFrame[], node: LanNode, afterMs: number) =>
  frames.find((f) => f.ethSource === node.mac && f.timeMs >= afterMs && f.priority > 0);

async function oneRep(impl: string, rep: number): Promise<Rep> {
  const lan = Lan.create(`oi${rep}`, 2);
  const pods: Pod[] = [];
  let capture: Capture | undefined;
  try {
    capture = await Capture.start(lan.bridgeNamespace);
    const [r1, r2] = lan.routers as [LanNode, LanNode];
    const start = (node: LanNode, tag: string): Pod =>
      impl === 'ours' ? new ContainerPod(node, ENV, { tag }) : new WrapperKeepalivedPod(node, ENV);
    // r2 alone: Backup, then Master after Master_Down_Interval (3 s + Skew_Time), its first advert.
    const startAtMs = Date.now();
    const master = start(r2, `b${rep}r2`);
    pods.push(master);
    await master.waitForState(INSTANCE, 'Master', 60_000);
    await sleep(2000);
    const firstAdvert = firstFrom(capture.vrrp(), r2, startAtMs);
    const pids = podPids(impl, master);
    const cpuBefore = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const windowStart = performance.now();
    await sleep(Number(flags.window) * 1000);
    const cpuAfter = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const cpuPercent = ((cpuAfter - cpuBefore) / ((performance.now() - windowStart) / 1000)) * 100;
    const rss = pids.reduce((sum, pid) => sum + rssMiB(pid), 0);
    const pss = pids.reduce((sum, pid) => sum + pssMiB(pid), 0);
    // r1 (priority 1-32) as Backup; then stop the Master r2.
    const backup = start(r1, `b${rep}r1`);
    pods.push(backup);
    await backup.waitForState(INSTANCE, 'Backup', 60_000);
    await sleep(2000);
    const stopAtMs = Date.now();
    await master.stop();
    await backup.waitForState(INSTANCE, 'Master', 15_000);
    const takeover = firstFrom(capture.vrrp(), r1, stopAtMs);
    return {
      startToFirstAdvertMs: firstAdvert ? firstAdvert.timeMs - startAtMs : NaN,
      stopToOtherFirstMs: takeover ? takeover.timeMs - stopAtMs : NaN,
      rssMiB: rss,
      pssMiB: pss,
      processes: pids.length,
      cpuPercent,
    };
  } finally {
    await Promise.all(pods.map((p) => (p instanceof ContainerPod ? p.remove() : p.stop())));
    await capture?.stop();
    capture?.remove();
    lan.destroy();
  }
}

const rows: string[][] = [];
for (const impl of flags.impls) {
  const reps: Rep[] = [];
  for (let rep = 0; rep < Number(flags.reps); rep++) {
    reps.push(await oneRep(impl, rep));
    console.log(`  ${impl} rep ${rep + 1}: ${JSON.stringify(reps.at(-1))}`);
  }
  const s = (pick: (r: Rep) => number) => summarize(reps.map(pick));
  const start = s((r) => r.startToFirstAdvertMs);
  const stop = s((r) => r.stopToOtherFirstMs);
  rows.push([
    impl === 'ours' ? 'ours (container)' : 'keepalived (process)',
    String(reps.length),
    ms(start.median, 0),
    ms(start.max, 0),
    ms(stop.median, 0),
    ms(stop.max, 0),
    String(reps[0]?.processes ?? 0),
    `${s((r) => r.rssMiB).median.toFixed(1)} MiB`,
    `${s((r) => r.pssMiB).median.toFixed(1)} MiB`,
    `${s((r) => r.cpuPercent).median.toFixed(2)} %`,
  ]);
}
printTable('OpenShift pod: start, stop, memory, CPU at 1 s adverts', rows, [
  'impl',
  'reps',
  'start->first advert med',
  'max',
  'stop->other first advert med',
  'max',
  'processes',
  'RSS (sum)',
  'PSS (sum)',
  'CPU (1 s adverts)',
]);
console.log(`\nload at the end: ${machineNote().split('\n').at(-1)}`);
