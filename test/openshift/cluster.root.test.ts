// Three IP failover pods configured only through OPENSHIFT_HA_* variables, as the product's example:
// VIP ranges in 192.0.2.0/24 split into groups, a router id offset, multicast, a real application
// listener on the monitor port that is then stopped so its VIPs move. Judged by the kernel's address
// lists, not by our logs (except to know when a pod has started).

import t from 'tap';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { skipReason, sleep, waitUntil } from '../netns/harness.js';
import { Lan, run } from '../netns/lan.js';
import { addressesOn, holdersOf } from '../netns/observe.js';
import { IpFailoverPod, TcpListener, type Env } from './pods.js';

const VIPS = ['192.0.2.100', '192.0.2.101', '192.0.2.102', '192.0.2.103', '192.0.2.104', '192.0.2.105'];
const ENV: Env = {
  OPENSHIFT_HA_CONFIG_NAME: 'ipf-demo',
  OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.100-102,192.0.2.103-105',
  OPENSHIFT_HA_VIP_GROUPS: '3',
  OPENSHIFT_HA_VRRP_ID_OFFSET: '20',
  OPENSHIFT_HA_REPLICA_COUNT: '3',
  OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0',
  OPENSHIFT_HA_MONITOR_PORT: '8080',
  OPENSHIFT_HA_CHECK_INTERVAL: '1',
  OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
};

t.test(
  'three pods from OPENSHIFT_HA_* only: groups, offset, spread by the formula, monitor port',
  { skip: skipReason() ?? false },
  async (t) => {
    const lan = Lan.create('ipfc', 3);
    const listeners = lan.routers.map((node) => new TcpListener(node, 8080));
    const pods: IpFailoverPod[] = [];
    t.teardown(async () => {
      await Promise.all([...pods.map((p) => p.stop()), ...listeners.map((l) => l.stop())]);
      lan.destroy();
    });
    await Promise.all(listeners.map((l) => l.ready()));
    // r1 .1, r2 .2, r3 .3, three replicas: idx = ipslot % 3 + 1 = 2, 3, 1. Instance 1 (VIPs .100-.101):
    // r3 is a master candidate (252); instance 2 (.102-.103): r1 (254, r3's is a flip-flop 4);
    // instance 3 (.104-.105): r2 (253) over r3 (252).
    const expected: Record<string, string> = {
      '192.0.2.100': 'r3',
      '192.0.2.101': 'r3',
      '192.0.2.102': 'r1',
      '192.0.2.103': 'r1',
      '192.0.2.104': 'r2',
      '192.0.2.105': 'r2',
    };
    // The pods start one after another, under load seconds apart, and with preempt_delay 300 a
    // higher-priority pod that comes up late rightly waits 300 s behind a lower one already Master. So the
    // bridge ports stay down (no carrier: every router waits in Fault) until all pods run, then come up
    // together, as when a switch comes back: the formula alone decides the masters.
    const setBridgePorts = (up: boolean) => {
      for (const node of lan.routers)
        run('ip', ['-n', lan.bridgeNamespace, 'link', 'set', node.bridgePort, up ? 'up' : 'down']);
    };
    setBridgePorts(false);
    for (const node of lan.routers) pods.push(new IpFailoverPod(node, ENV));
    await Promise.all(pods.map((p) => p.waitForEvent('started', 10_000)));
    setBridgePorts(true);

    await t.test('each VIP on the node the formula makes master, on that node only', async (t) => {
      const holders = await waitUntil(
        async () => {
          const all = await Promise.all(VIPS.map(async (vip) => [vip, (await holdersOf(lan, vip)).join(',')] as const));
          return all.every(([vip, who]) => who === expected[vip]) ? Object.fromEntries(all) : undefined;
        },
        15_000,
        'the VIPs on the expected masters',
      );
      t.same(holders, expected);
      const config = pods[0]!.events('configuration')[0]!;
      t.same(
        (config.instances as { vrid: number }[]).map((i) => i.vrid),
        [21, 22, 23],
        'router ids offset + c',
      );
    });

    await t.test('the liveness probe `pgrep keepalived` finds every pod', async (t) => {
      const found = execFileSync('pgrep', ['keepalived'], { encoding: 'utf8' }).split('\n').map(Number);
      for (const pod of pods) {
        t.ok(found.includes(pod.process.pid), `pgrep keepalived lists ${pod.node.name}'s PID ${pod.process.pid}`);
        t.equal(readFileSync(`/proc/${pod.process.pid}/comm`, 'utf8').trim(), 'keepalived ipfa');
      }
    });

    await t.test("the firewall rule is in each node's INPUT chain while it runs", async (t) => {
      for (const node of lan.routers)
        t.match(lan.exec(node, 'iptables', '-S', 'INPUT'), /-A INPUT -d 224\.0\.0\.18\/32 -j ACCEPT/);
    });

    await t.test(
      'the application on r1 stops: its VIPs move (Fault), and stay moved after it returns (preempt_delay 300)',
      async (t) => {
        const since = pods[0]!.process.lines.length;
        await listeners[0]!.stop();
        await pods[0]!.waitForState('ipf_demo_VIP_2', 'Fault', 5000, since);
        const moved = await waitUntil(
          async () => {
            const who = await Promise.all(['192.0.2.102', '192.0.2.103'].map((vip) => holdersOf(lan, vip)));
            return who.every((w) => w.length === 1 && w[0] !== 'r1') ? who.map((w) => w[0]) : undefined;
          },
          6000,
          "r1's VIPs on another node",
        );
        t.equal(moved[0], moved[1], 'the group moves together');
        listeners[0] = new TcpListener(lan.routers[0]!, 8080);
        await listeners[0].ready();
        await pods[0]!.waitForState('ipf_demo_VIP_2', 'Backup', 5000, since);
        await sleep(4000);
        t.same(
          await holdersOf(lan, '192.0.2.102'),
          [moved[0]],
          'r1 is back with the highest priority but waits its preempt_delay',
        );
      },
    );

    await t.test('SIGTERM: exit 0, VIPs and firewall rule gone, the others take over', async (t) => {
      const pod = pods[1]!;
      const exit = await pod.stop();
      t.same(exit, { code: 0, signal: null });
      t.same(
        (await addressesOn(lan, lan.routers[1]!)).filter((a) => VIPS.includes(a)),
        [],
        'no VIP left on r2',
      );
      t.notMatch(lan.exec(lan.routers[1]!, 'iptables', '-S', 'INPUT'), /224\.0\.0\.18/);
      const taker = await waitUntil(
        async () => {
          const who = await holdersOf(lan, '192.0.2.104');
          return who.length === 1 ? who[0] : undefined;
        },
        5000,
        '.104 taken over',
      );
      t.not(taker, 'r2');
      t.ok(
        pod.events('stateChange').some((e) => e.router === 'ipf_demo_VIP_3' && e.to === 'Initialize'),
        'the instance stopped',
      );
    });
  },
);
