// A cluster in the middle of a migration: some nodes run keepalived 2.2.7 on the configuration the
// shipping wrapper generates for the same OPENSHIFT_HA_* variables (wrapper-conf.ts), the others run
// bin/ipfailover. They must elect the same masters, fail over to each other both ways, and a rolling
// replacement of every keepalived pod by ours must never leave a VIP unreachable for longer than one
// failover (Master_Down_Interval).

import t from 'tap';
import { skipReason, sleep, waitUntil } from '../netns/harness.js';
import { Lan } from '../netns/lan.js';
import { holdersOf, VipWatch } from '../netns/observe.js';
import { masterDownMs } from '../netns/timing.js';
import { IpFailoverPod, WrapperKeepalivedPod, type Env, type Pod } from './pods.js';

const base = (vips: string, replicas: number): Env => ({
  OPENSHIFT_HA_CONFIG_NAME: 'ipf-mix',
  OPENSHIFT_HA_VIRTUAL_IPS: vips,
  OPENSHIFT_HA_REPLICA_COUNT: String(replicas),
  OPENSHIFT_HA_MONITOR_PORT: '0',
  OPENSHIFT_HA_PREEMPTION: 'preempt_delay 2',
});

async function holdersNow(lan: Lan, vips: readonly string[]): Promise<Record<string, string>> {
  const entries = await Promise.all(vips.map(async (vip) => [vip, (await holdersOf(lan, vip)).join(',')] as const));
  return Object.fromEntries(entries);
}

function waitForHolders(
  lan: Lan,
  expected: Record<string, string>,
  timeoutMs: number,
  what: string,
): Promise<Record<string, string>> {
  return waitUntil(
    async () => {
      const now = await holdersNow(lan, Object.keys(expected));
      return Object.entries(expected).every(([vip, who]) => now[vip] === who) ? now : undefined;
    },
    timeoutMs,
    what,
  );
}

t.test(
  'keepalived (wrapper configuration) and ours on the same VRIDs',
  { skip: skipReason(['keepalived']) ?? false },
  async (t) => {
    await t.test('same masters, failover both ways', async (t) => {
      const lan = Lan.create('ipfm', 2);
      const pods: Pod[] = [];
      t.teardown(async () => {
        await Promise.all(pods.map((p) => p.stop()));
        lan.destroy();
      });
      const env = base('192.0.2.120-121', 2);
      // r1 (.1, idx 2): instance 1 backup (1 + R), instance 2 master candidate 254.
      // r2 (.2, idx 1): instance 1 master candidate 253, instance 2 flip-flop 3.
      const keepalived = new WrapperKeepalivedPod(lan.routers[0]!, env);
      let ours = new IpFailoverPod(lan.routers[1]!, env);
      pods.push(keepalived, ours);
      t.match(
        keepalived.confText,
        /vrrp_instance ipf_mix_VIP_2 \{\n {3}interface eth0\n {3}state MASTER\n {3}virtual_router_id 2\n {3}priority 254/,
      );
      await waitForHolders(
        lan,
        { '192.0.2.120': 'r2', '192.0.2.121': 'r1' },
        15_000,
        'each side master of its instance',
      );
      await sleep(2000);
      t.same(
        await holdersNow(lan, ['192.0.2.120', '192.0.2.121']),
        { '192.0.2.120': 'r2', '192.0.2.121': 'r1' },
        'stable: one master per VIP',
      );
      t.notOk(
        ours.states().some((s) => s.instance === 'ipf_mix_VIP_2' && s.state === 'Master'),
        "ours never claimed keepalived's instance",
      );

      // ours -> keepalived: SIGTERM, priority 0 on the wire, keepalived takes over within a skew time.
      const stoppedAt = Date.now();
      t.same(await ours.stop(), { code: 0, signal: null });
      await waitForHolders(lan, { '192.0.2.120': 'r1' }, 3000, 'keepalived takes .120');
      t.ok(Date.now() - stoppedAt < 3000, `keepalived took over in ${Date.now() - stoppedAt} ms`);

      // ours returns as master candidate: waits preempt_delay 2, then takes .120 back.
      ours = new IpFailoverPod(lan.routers[1]!, env);
      pods.push(ours);
      await ours.waitForState('ipf_mix_VIP_1', 'Backup', 10_000);
      await sleep(1000);
      t.same(await holdersOf(lan, '192.0.2.120'), ['r1'], "still keepalived's during the delay");
      await waitForHolders(lan, { '192.0.2.120': 'r2', '192.0.2.121': 'r1' }, 8000, 'ours preempts after its delay');

      // keepalived -> ours.
      await keepalived.stop();
      await waitForHolders(
        lan,
        { '192.0.2.120': 'r2', '192.0.2.121': 'r2' },
        4000,
        'ours takes .121 from the stopped keepalived',
      );
      t.pass('failover both ways');
    });

    await t.test('rolling replacement of three keepalived pods: no VIP down longer than one failover', async (t) => {
      const lan = Lan.create('ipfr', 3);
      const pods: Pod[] = [];
      const vips = ['192.0.2.130', '192.0.2.131'];
      const watch = new VipWatch(lan, vips, 100);
      t.teardown(async () => {
        await watch.stop();
        await Promise.all(pods.map((p) => p.stop()));
        lan.destroy();
      });
      const env = base('192.0.2.130-131', 3);
      // r1 idx 2 (instance 2 master, 254), r2 idx 3 (backups), r3 idx 1 (instance 1 master 252, flip-flop 4).
      const expected = { '192.0.2.130': 'r3', '192.0.2.131': 'r1' };
      const current: Pod[] = lan.routers.map((node) => new WrapperKeepalivedPod(node, env));
      pods.push(...current);
      await waitForHolders(lan, expected, 15_000, 'keepalived cluster elected');
      const settledAt = Date.now();
      for (const [index, node] of lan.routers.entries()) {
        await current[index]!.stop();
        const ours = new IpFailoverPod(node, env);
        pods.push(ours);
        current[index] = ours;
        await ours.waitForEvent('started', 10_000);
        // Its own masters come back after preempt_delay 2 s; give the cluster time to settle.
        await waitForHolders(lan, expected, 10_000, `settled after replacing ${node.name}`);
        await sleep(1000);
      }
      t.same(await holdersNow(lan, vips), expected, 'all ours now: the same masters as all keepalived');
      await watch.stop();
      const samples = watch.samples.filter((s) => s.atMs >= settledAt);
      const failoverMs = Math.round(masterDownMs(1, 100, 2)); // the slowest: a Backup of priority 1
      for (const vip of vips) {
        let downSince: number | undefined;
        let longest = 0;
        let longestFrom = 0;
        for (const sample of samples) {
          const held = (sample.holders.get(vip) ?? []).length > 0;
          if (!held && downSince === undefined) downSince = sample.atMs;
          if (held && downSince !== undefined) {
            if (sample.atMs - downSince > longest) [longest, longestFrom] = [sample.atMs - downSince, downSince];
            downSince = undefined;
          }
        }
        t.equal(downSince, undefined, `${vip} held at the end`);
        t.ok(
          longest <= failoverMs + 500,
          `${vip}: longest time without a holder ${longest} ms (one failover: ${failoverMs} ms)`,
        );
        if (longest > failoverMs + 500) {
          // Who was what around the gap, from every pod's log (times relative to the gap's start).
          const timeline = pods
            .flatMap((pod) => pod.states().map((line) => ({ ...line, who: pod.process.label })))
            .filter((line) => Math.abs(line.atMs - longestFrom) < 8000)
            .sort((a, b) => a.atMs - b.atMs)
            .map((line) => `${line.atMs - longestFrom} ms ${line.who} ${line.instance} ${line.state}`);
          t.comment(`around the gap of ${vip}:\n${timeline.join('\n')}`);
        }
        const doubled = samples.filter((s) => (s.holders.get(vip) ?? []).length > 1);
        t.ok(doubled.length <= 3, `${vip} on two nodes in ${doubled.length} samples (a handover's overlap)`);
      }
    });
  },
);
