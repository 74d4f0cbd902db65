// IPv6 VIPs on IPv6-only nodes: VRRPv3 from the link-local address to ff02::12, priorities from the
// last byte of each node's IPv6 address (the wrapper gave every IPv6-only node ipslot 0, so all of them
// claimed 255), and a kill -9 whose leftover VIP the next start removes.

import t from 'tap';
import { Capture } from '../netns/capture.js';
import { skipReason, waitUntil } from '../netns/harness.js';
import { Lan } from '../netns/lan.js';
import { addressesOn, holdersOf } from '../netns/observe.js';
import { IpFailoverPod, type Env } from './pods.js';

const VIP = '2001:db8::150';
const INSTANCE = 'ipf_v6_VIP_1';

t.test('IPv6-only nodes', { skip: skipReason() ?? false }, async (t) => {
  const lan = Lan.create('ipf6', 2);
  const capture = await Capture.start(lan.bridgeNamespace);
  const pods: IpFailoverPod[] = [];
  t.teardown(async () => {
    await Promise.all(pods.map((p) => p.stop()));
    await capture.stop();
    capture.remove();
    lan.destroy();
  });
  for (const node of lan.routers) lan.exec(node, 'ip', 'addr', 'del', `${node.ipv4}/24`, 'dev', 'eth0');
  const env: Env = {
    OPENSHIFT_HA_CONFIG_NAME: 'ipf-v6',
    OPENSHIFT_HA_VIRTUAL_IPS: VIP,
    OPENSHIFT_HA_REPLICA_COUNT: '2',
    OPENSHIFT_HA_MONITOR_PORT: '0',
  };
  // 2001:db8::1 -> ipslot 1 (idx 2: backup), 2001:db8::2 -> ipslot 2 (idx 1: master candidate 253).
  const start = (index: number) => {
    const pod = new IpFailoverPod(lan.routers[index]!, env);
    pods.push(pod);
    return pod;
  };
  const r1 = start(0);
  let r2 = start(1);

  await t.test('the formula elects r2; VRRPv3 from link-local to ff02::12', async (t) => {
    await waitUntil(async () => ((await holdersOf(lan, VIP)).join() === 'r2' ? true : undefined), 15_000, 'VIP on r2');
    const config = r2.events('configuration')[0]!;
    t.same([config.nodeAddress, config.ipslot], ['2001:db8::2', 2]);
    t.same(
      (config.instances as { priority: number; version: number }[]).map((i) => [i.priority, i.version]),
      [[253, 3]],
    );
    t.equal((r1.events('configuration')[0]!.instances as { role: string }[])[0]!.role, 'backup');
    await r1.waitForState(INSTANCE, 'Backup', 1000);
    const frames = capture.vrrp().filter((f) => f.source === lan.routers[1]!.linkLocal);
    t.ok(frames.length > 0, "adverts from r2's link-local address");
    t.ok(frames.every((f) => f.destination === 'ff02::12' && f.version === 3 && f.priority === 253 && f.hops === 255));
  });

  await t.test('kill -9 of r2: r1 takes over; the next r2 removes the VIP left behind', async (t) => {
    await r2.process.kill();
    t.ok((await addressesOn(lan, lan.routers[1]!)).includes(VIP), 'the killed pod left its VIP');
    await waitUntil(async () => ((await holdersOf(lan, VIP)).includes('r1') ? true : undefined), 8000, 'r1 takes over');
    r2 = start(1);
    await r2.waitForEvent('started', 10_000);
    await waitUntil(
      async () => ((await holdersOf(lan, VIP)).join() === 'r1' ? true : undefined),
      3000,
      'leftover removed from r2',
    );
    t.pass('removed at start; r1 keeps it (preempt_delay 300)');
  });
});
