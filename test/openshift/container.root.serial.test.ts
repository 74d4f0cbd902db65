// The image `npm run image` builds, run as real containers: each joined to a LAN node's network
// namespace (as a hostNetwork pod shares its node's), `--cap-drop all --cap-add NET_ADMIN,NET_RAW
// --read-only`, configured only by OPENSHIFT_HA_* variables, bin/ipfailover as PID 1. Judged by the
// frames on the bridge (tcpdump, tshark), the kernel's address lists and nft ruleset, and /proc; the
// program's log only tells when a state was entered. Serial: it asserts handover times.
// Figures from these runs: bench/RESULTS.md, "OpenShift image".

import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Capture, type VrrpFrame } from '../netns/capture.js';
import { sleep, waitUntil } from '../netns/harness.js';
import { Lan, type LanNode } from '../netns/lan.js';
import { addressesOn, holdersOf } from '../netns/observe.js';
import { ContainerPod, IMAGE, containerSkipReason, processesInPidNamespaceOf } from './containers.js';
import { WrapperKeepalivedPod, type Env } from './pods.js';

const execFileAsync = promisify(execFile);
const VIP = '192.0.2.100';
const INSTANCE = 'ipf_ctr_VIP_1';
/** Container start can take seconds on a loaded machine (podman, runc, node's start). */
const START_MS = 60_000;
// One instance; r2 (ipslot 2, two replicas: idx 1) is its master candidate at 253, r1 a backup at
// 1 + R (R 0..31). Advert interval 1 s: Skew_Time of r1 is (256 - p) / 256, under 1 s, and its
// Master_Down_Interval 3 s + Skew_Time.
const ENV: Env = {
  OPENSHIFT_HA_CONFIG_NAME: 'ipf-ctr',
  OPENSHIFT_HA_VIRTUAL_IPS: VIP,
  OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0',
  OPENSHIFT_HA_MONITOR_PORT: '0',
  OPENSHIFT_HA_REPLICA_COUNT: '2',
  OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
  OPENSHIFT_HA_STATUS_PORT: '63001',
};
const SKEW_MAX_MS = 1000;
const MASTER_DOWN_MIN_MS = 3000;
const MASTER_DOWN_MAX_MS = 4000;
/** What the kernel, tcpdump and a loaded machine may add to a protocol time. */
const SLACK_MS = 700;

const skip = containerSkipReason() ?? false;

function frameFrom(
  frames: readonly VrrpFrame[],
  node: LanNode,
  afterMs: number,
  pred: (f: VrrpFrame) => boolean = () => true,
): VrrpFrame | undefined {
  return frames.find((f) => f.ethSource === node.mac && f.timeMs >= afterMs && pred(f));
}

/** The firewall rule our program adds, as `nft list ruleset` in the node's namespace shows it (iptables-nft too). */
function hasVrrpRule(lan: Lan, node: LanNode): boolean {
  return /224\.0\.0\.18/.test(lan.exec(node, 'nft', 'list', 'ruleset'));
}

/** GET /healthz and /readyz from the node's namespace, as the kubelet's probes do from the node. */
async function probe(lan: Lan, node: LanNode): Promise<Record<string, { status: number; body: string }>> {
  const script = `(async () => { const out = {}; for (const p of ['/healthz', '/readyz']) {
    const r = await fetch('http://127.0.0.1:63001' + p); out[p] = { status: r.status, body: (await r.text()).trim() }; }
    console.log(JSON.stringify(out)); })()`;
  const stdout = await lan.execAsync(node, 'env', '-u', 'NODE_OPTIONS', process.execPath, '-e', script);
  return JSON.parse(stdout) as Record<string, { status: number; body: string }>;
}

/** Sets up a LAN of `routers` nodes with a capture on its bridge; everything is removed at the end. */
async function lanWithCapture(
  t: Test,
  tag: string,
  routers: number,
  pods: { remove?: () => Promise<void>; stop: () => Promise<unknown> }[],
) {
  const lan = Lan.create(tag, routers);
  let capture: Capture | undefined;
  t.teardown(async () => {
    await Promise.all(pods.map((p) => (p.remove ? p.remove() : p.stop())));
    await capture?.stop();
    capture?.remove();
    lan.destroy();
  });
  capture = await Capture.start(lan.bridgeNamespace);
  return { lan, capture };
}

t.test('the runtime image: node and the program, no compiler, no npm, under 250 MB', { skip }, async (t) => {
  const { stdout } = await execFileAsync('podman', [
    'run',
    '--rm',
    '--runtime',
    'runc',
    '--network',
    'none',
    '--read-only',
    '--entrypoint',
    '/bin/sh',
    IMAGE,
    '-c',
    'for tool in node pgrep iptables nft g++ gcc make python3 npm; do command -v $tool >/dev/null && echo $tool; done; ls /opt/vrrp-engine/native/build/Release',
  ]);
  t.same(
    stdout.trim().split('\n'),
    ['node', 'pgrep', 'iptables', 'nft', 'vrrp_native.node'],
    'node, pgrep, iptables, nft and the addon; no g++, gcc, make, python3, npm',
  );
  const size = Number(
    (await execFileAsync('podman', ['image', 'inspect', '--format', '{{.Size}}', IMAGE])).stdout.trim(),
  );
  t.ok(size < 250e6, `${(size / 1e6).toFixed(1)} MB`);
});

t.test(
  'two containers: one Master, podman stop hands over in Skew_Time, podman kill in Master_Down_Interval',
  { skip },
  async (t) => {
    const pods: ContainerPod[] = [];
    const { lan, capture } = await lanWithCapture(t, 'ctra', 2, pods);
    const [r1, r2] = lan.routers as [LanNode, LanNode];
    pods.push(new ContainerPod(r1, ENV, { tag: 'a1' }), new ContainerPod(r2, ENV, { tag: 'a2' }));
    const [c1, c2] = pods as [ContainerPod, ContainerPod];

    await t.test("the formula's master candidate (r2) is Master, r1 Backup, the VIP on r2 only", async (t) => {
      await c2.waitForState(INSTANCE, 'Master', START_MS);
      await c1.waitForState(INSTANCE, 'Backup', START_MS);
      t.same(
        await waitUntil(
          async () => ((await holdersOf(lan, VIP)).join() === 'r2' ? ['r2'] : undefined),
          5000,
          'the VIP on r2',
        ),
        ['r2'],
      );
      const first = frameFrom(capture.vrrp(), r2, c2.startedAtMs);
      t.ok(first, 'r2 sends adverts');
      t.comment(`container start (podman run) to r2's first advert: ${Math.round(first!.timeMs - c2.startedAtMs)} ms`);
    });

    await t.test('liveness `pgrep keepalived` finds PID 1; /healthz and /readyz answer', async (t) => {
      for (const pod of pods) {
        const found = await pod.exec('pgrep', 'keepalived');
        t.same(found, { code: 0, stdout: '1\n' }, `${pod.node.name}: pgrep keepalived lists PID 1`);
        const answers = await probe(lan, pod.node);
        t.same(answers['/healthz'], { status: 200, body: 'ok' }, `${pod.node.name}: /healthz`);
        t.equal(answers['/readyz']?.status, 200, `${pod.node.name}: /readyz (settled: ${answers['/readyz']?.body})`);
      }
    });

    await t.test("the firewall rule is in each node's ruleset; no zombie in either container", async (t) => {
      for (const node of lan.routers) t.ok(hasVrrpRule(lan, node), `${node.name}: rule accepting 224.0.0.18`);
      for (const pod of pods)
        t.same(
          processesInPidNamespaceOf(pod.hostPid()).filter((p) => p.state === 'Z'),
          [],
          `${pod.node.name}: no zombie`,
        );
    });

    await t.test(
      'podman stop -t 10 of the Master: priority 0, r1 Master after Skew_Time, VIP and rule gone before exit',
      async (t) => {
        const stopAtMs = Date.now();
        const exit = await c2.stop(10);
        const stoppedInMs = Date.now() - stopAtMs;
        t.same(exit, { code: 0, signal: null }, 'exit 0 on SIGTERM');
        t.ok(stoppedInMs < 5000, `stopped in ${stoppedInMs} ms, well inside the grace period`);
        // The namespace outlives the container: what is left there now was left by the exit.
        t.notOk((await addressesOn(lan, r2)).includes(VIP), 'no VIP left on r2');
        t.notOk(hasVrrpRule(lan, r2), 'no firewall rule left on r2');
        await c1.waitForState(INSTANCE, 'Master', 10_000);
        await waitUntil(
          async () => ((await holdersOf(lan, VIP)).join() === 'r1' ? true : undefined),
          5000,
          'the VIP on r1',
        );
        const frames = capture.vrrp();
        const parting = frameFrom(frames, r2, stopAtMs, (f) => f.priority === 0);
        t.ok(parting, 'r2 sent a priority-0 advert');
        const takeover = frameFrom(frames, r1, parting?.timeMs ?? stopAtMs);
        t.ok(takeover, 'r1 advertises');
        const handoverMs = takeover!.timeMs - parting!.timeMs;
        t.ok(
          handoverMs <= SKEW_MAX_MS + SLACK_MS,
          `r1's first advert ${Math.round(handoverMs)} ms after the priority-0 one: Skew_Time, not Master_Down_Interval (${MASTER_DOWN_MIN_MS}+ ms)`,
        );
        t.comment(
          `podman stop to r1's first advert: ${Math.round(takeover!.timeMs - stopAtMs)} ms (priority 0 to it: ${Math.round(handoverMs)} ms)`,
        );
      },
    );

    await t.test('podman kill of the Master: the other takes over after Master_Down_Interval', async (t) => {
      // r2 again, new container: it starts behind Master r1 (preempt_delay 300 keeps r1), or takes over
      // as master candidate; either way it has settled before the kill.
      const c2b = new ContainerPod(r2, ENV, { tag: 'a2b' });
      pods.push(c2b);
      await c2b.waitForEvent('started', START_MS);
      await sleep(4000);
      const masterIsR2 = c2b.states().at(-1)?.state === 'Master';
      const [victim, survivor] = masterIsR2 ? [c2b, c1] : [c1, c2b];
      t.comment(`the restarted r2 is ${c2b.states().at(-1)?.state}; killing ${victim.node.name}`);
      const survivorLines = survivor.process.lines.length;
      const killAtMs = Date.now();
      await victim.kill();
      await survivor.waitForState(INSTANCE, 'Master', 10_000, survivorLines);
      const frames = capture.vrrp();
      t.notOk(
        frameFrom(frames, victim.node, killAtMs, (f) => f.priority === 0),
        'no priority-0 advert from a killed container',
      );
      const takeover = frameFrom(frames, survivor.node, killAtMs, (f) => f.priority > 0 && f.priority < 255);
      // Its last advert, whenever `podman kill` reached it: a killed container sends nothing after it.
      const lastFromVictim = frames
        .filter((f) => f.ethSource === victim.node.mac && f.timeMs < (takeover?.timeMs ?? Infinity))
        .at(-1);
      t.ok(lastFromVictim && takeover, 'adverts before the kill and after it');
      const silenceMs = takeover!.timeMs - lastFromVictim!.timeMs;
      t.ok(
        silenceMs >= MASTER_DOWN_MIN_MS - SLACK_MS && silenceMs <= MASTER_DOWN_MAX_MS + SLACK_MS,
        `${survivor.node.name}'s first advert ${Math.round(silenceMs)} ms after the victim's last: Master_Down_Interval`,
      );
      t.ok((await holdersOf(lan, VIP)).includes(survivor.node.name), `the VIP is on ${survivor.node.name}`);
      t.comment(`podman kill to ${survivor.node.name}'s first advert: ${Math.round(takeover!.timeMs - killAtMs)} ms`);
    });
  },
);

t.test(
  'check script in the container: 1,000 orphans reaped by PID 1, a hung script killed at its timeout',
  { skip },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ipf-check-'));
    const pods: ContainerPod[] = [];
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const { lan } = await lanWithCapture(t, 'ctrs', 1, pods);
    // A careless check script: 70 background sleeps it never waits for, every run (their parent exits,
    // so each is re-parented to PID 1); it hangs while the file `hang` exists.
    writeFileSync(
      join(dir, 'check.sh'),
      [
        '#!/bin/sh',
        '[ -e /etc/keepalive/hang ] && exec sleep 1000',
        'i=0',
        'while [ $i -lt 70 ]; do sleep 0.3 & i=$((i+1)); done',
        'exit 0',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const env: Env = {
      ...ENV,
      OPENSHIFT_HA_CONFIG_NAME: 'ipf-ctr',
      OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/check.sh',
      OPENSHIFT_HA_CHECK_INTERVAL: '1',
      OPENSHIFT_HA_LOG_LEVEL: 'debug',
    };
    const pod = new ContainerPod(lan.routers[0]!, env, { tag: 's1', volumes: { [dir]: '/etc/keepalive' } });
    pods.push(pod);
    await pod.waitForState(INSTANCE, 'Master', START_MS);
    let hangSince = 0;

    await t.test('every orphan is reaped: no zombie after 1,000', async (t) => {
      const reaped = () => pod.events('orphanReaped').length;
      await waitUntil(() => (reaped() >= 1000 ? true : undefined), 60_000, '1,000 orphans reaped');
      t.ok(
        pod.events('orphanReaper').some((e) => e.action === 'started' && e.reason === 'pid 1'),
        'the reaper runs because the program is PID 1',
      );
      // No new orphans from here: the next run hangs.
      hangSince = pod.process.lines.length;
      writeFileSync(join(dir, 'hang'), '');
      await sleep(2500);
      const zombies = processesInPidNamespaceOf(pod.hostPid()).filter((p) => p.state === 'Z');
      t.same(zombies, [], `no zombie after ${reaped()} orphans`);
    });

    await t.test('the hung script is killed at its timeout: Fault, and no `sleep 1000` left', async (t) => {
      await pod.waitForState(INSTANCE, 'Fault', 10_000, hangSince);
      const checks = pod.events('healthCheck').filter((e) => e.up === false);
      t.ok(checks.length > 0, `the check went down (${String(checks.at(-1)?.result)})`);
      await sleep(2500); // the timeout (1 s) and the kill's grace
      const left = processesInPidNamespaceOf(pod.hostPid()).filter((p) => p.cmdline === 'sleep 1000');
      t.ok(left.length <= 1, `at most the current run's sleep is alive (${left.length})`);
      rmSync(join(dir, 'hang'));
      const since = pod.process.lines.length;
      await pod.waitForState(INSTANCE, 'Master', 10_000, since);
      await sleep(2000);
      t.same(
        processesInPidNamespaceOf(pod.hostPid()).filter((p) => p.cmdline === 'sleep 1000'),
        [],
        'no hung script left once the check passes again',
      );
    });
  },
);

t.test(
  'one container beside keepalived on the same VRID (a rolling migration)',
  { skip: containerSkipReason(['keepalived']) ?? false },
  async (t) => {
    const pods: (ContainerPod | WrapperKeepalivedPod)[] = [];
    const { lan, capture } = await lanWithCapture(t, 'ctrm', 2, pods);
    const [r1, r2] = lan.routers as [LanNode, LanNode];
    const keepalived = new WrapperKeepalivedPod(r2, ENV);
    const container = new ContainerPod(r1, ENV, { tag: 'm1' });
    pods.push(keepalived, container);

    await t.test('keepalived (r2, 253) is Master, the container Backup, one VIP holder', async (t) => {
      await keepalived.waitForState(INSTANCE, 'Master', 20_000);
      await container.waitForState(INSTANCE, 'Backup', START_MS);
      await sleep(3000);
      t.same(await holdersOf(lan, VIP), ['r2']);
      t.notOk(
        container.states().some((s) => s.state === 'Master'),
        'the container never became Master beside a live keepalived Master',
      );
    });

    await t.test('keepalived stops: the container takes over after its priority-0 advert', async (t) => {
      const since = container.process.lines.length;
      const stopAtMs = Date.now();
      await keepalived.stop();
      await container.waitForState(INSTANCE, 'Master', 10_000, since);
      await waitUntil(
        async () => ((await holdersOf(lan, VIP)).join() === 'r1' ? true : undefined),
        5000,
        'the VIP on r1',
      );
      const takeover = frameFrom(capture.vrrp(), r1, stopAtMs);
      t.ok(takeover, 'the container advertises');
      t.comment(`keepalived SIGTERM to the container's first advert: ${Math.round(takeover!.timeMs - stopAtMs)} ms`);
    });
  },
);
