// Two IP failover pods with OPENSHIFT_HA_UNICAST_PEERS (the same list on both, so each names itself),
// the notify script with its four arguments, the status listener, and PREEMPTION as documented:
// `preempt_delay N` makes a returning higher-priority node wait N s (even though it starts as the
// master candidate, where keepalived drops the delay), `nopreempt` never takes over.

import t from 'tap';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture } from '../netns/capture.js';
import { skipReason, sleep, waitUntil } from '../netns/harness.js';
import { Lan } from '../netns/lan.js';
import { holdersOf } from '../netns/observe.js';
import { IpFailoverPod, type Env } from './pods.js';

const VIP = '192.0.2.110';
const INSTANCE = 'ipf_uni_VIP_1';

t.test(
  'unicast pods: notify, status listener, preempt_delay, nopreempt',
  { skip: skipReason() ?? false },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ipf-unicast-'));
    const notify = join(dir, 'notify.sh');
    // The node's name comes as a fixed first argument; keepalived's four follow it.
    writeFileSync(notify, `#!/bin/sh\necho "$*" >> ${dir}/notify-"$1".log\n`);
    chmodSync(notify, 0o755);
    const notifyLog = (node: string) => {
      try {
        return readFileSync(join(dir, `notify-${node}.log`), 'utf8');
      } catch {
        return '';
      }
    };
    const lan = Lan.create('ipfu', 2);
    const capture = await Capture.start(lan.bridgeNamespace);
    const pods: IpFailoverPod[] = [];
    t.teardown(async () => {
      await Promise.all(pods.map((p) => p.stop()));
      await capture.stop();
      capture.remove();
      lan.destroy();
      rmSync(dir, { recursive: true, force: true });
    });
    const env = (node: string, preemption: string): Env => ({
      OPENSHIFT_HA_CONFIG_NAME: 'ipf-uni',
      OPENSHIFT_HA_VIRTUAL_IPS: VIP,
      OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.1,192.0.2.2',
      OPENSHIFT_HA_REPLICA_COUNT: '2',
      OPENSHIFT_HA_MONITOR_PORT: '0',
      OPENSHIFT_HA_PREEMPTION: preemption,
      OPENSHIFT_HA_NOTIFY_SCRIPT: `${notify} ${node}`,
      OPENSHIFT_HA_STATUS_PORT: '63001',
    });
    const start = (index: number, preemption: string) => {
      const pod = new IpFailoverPod(lan.routers[index]!, env(lan.routers[index]!.name, preemption));
      pods.push(pod);
      return pod;
    };
    const holder = async () => {
      const who = await holdersOf(lan, VIP);
      return who.length === 1 ? who[0] : undefined;
    };
    const curl = (index: number, path: string) =>
      lan.execAsync(lan.routers[index]!, 'curl', '-s', '-w', '\n%{http_code}', `http://127.0.0.1:63001${path}`);

    // r1 (.1, ipslot 1, idx 2): instance 1 is a backup; r2 (.2, idx 1): master candidate, priority 253.
    const r1 = start(0, 'preempt_delay 4');
    let r2 = start(1, 'preempt_delay 4');
    await Promise.all([r1.waitForEvent('started', 10_000), r2.waitForEvent('started', 10_000)]);

    await t.test('r2 is elected; adverts go to the peer only, never to 224.0.0.18', async (t) => {
      t.equal(await waitUntil(async () => ((await holder()) === 'r2' ? 'r2' : undefined), 10_000, 'VIP on r2'), 'r2');
      await r1.waitForState(INSTANCE, 'Backup', 1000);
      await sleep(1500);
      const frames = capture.vrrp();
      t.ok(frames.length > 0, 'adverts seen');
      t.same(
        [...new Set(frames.map((f) => `${f.source}>${f.destination}`))].sort().filter((p) => p.startsWith('192.0.2.2')),
        ['192.0.2.2>192.0.2.1'],
      );
      t.ok(
        frames.every((f) => f.destination !== '224.0.0.18'),
        'no multicast',
      );
      t.ok(
        frames
          .filter((f) => f.source === '192.0.2.2')
          .every((f) => f.version === 2 && f.priority === 253 && f.authString === 'ipf-uni' && f.vrid === 1),
      );
    });

    await t.test('notify: INSTANCE name state priority', async (t) => {
      await waitUntil(() => (notifyLog('r2').includes('MASTER') ? true : undefined), 5000, 'r2 MASTER notify');
      t.match(notifyLog('r2'), `r2 INSTANCE ${INSTANCE} MASTER 253`);
    });

    // keepalived runs `notify ... BACKUP` when an instance enters BACKUP at startup. startLinuxEngine
    // starts the engine before it returns, so startHealth subscribes after that first transition.
    await t.test('notify: BACKUP at startup, as keepalived', async (t) => {
      t.match(notifyLog('r1'), new RegExp(`r1 INSTANCE ${INSTANCE} BACKUP \\d+`));
    });

    await t.test('status listener: /healthz, /readyz, /metrics', async (t) => {
      t.equal(await curl(1, '/healthz'), 'ok\n\n200');
      t.match(await curl(1, '/readyz'), /^ready\n.*Master.*\n\n200$/s);
      const metrics = await curl(1, '/metrics');
      t.match(metrics, `vrrp_instance_state{instance="${INSTANCE}",vrid="1",state="Master"} 1`);
      t.match(metrics, `vrrp_instance_priority{instance="${INSTANCE}",kind="effective"} 253`);
      t.match(metrics, new RegExp(`vrrp_adverts_sent_total\\{instance="${INSTANCE}"\\} [1-9]`));
      t.match(metrics, `vrrp_transitions_total{instance="${INSTANCE}",from="Backup",to="Master"} 1`);
      t.match(await curl(0, '/metrics'), new RegExp(`vrrp_adverts_received_total\\{instance="${INSTANCE}"\\} [1-9]`));
      t.match(await curl(1, '/nope'), /404$/);
    });

    await t.test('SIGTERM on r2: r1 takes over at once, STOP notify runs', async (t) => {
      const signalledAt = Date.now();
      t.same(await r2.stop(), { code: 0, signal: null });
      t.ok(Date.now() - signalledAt < 5000, `exited ${Date.now() - signalledAt} ms after SIGTERM (grace period 30 s)`);
      t.match(notifyLog('r2'), `r2 INSTANCE ${INSTANCE} STOP`);
      await waitUntil(async () => ((await holder()) === 'r1' ? true : undefined), 3000, 'VIP on r1');
      t.pass('r1 holds the VIP');
    });

    await t.test('preempt_delay 4: r2 returns as master candidate and still waits 4 s', async (t) => {
      r2 = start(1, 'preempt_delay 4');
      await r2.waitForState(INSTANCE, 'Backup', 10_000);
      const backupAt = Date.now();
      await sleep(2500);
      t.equal(await holder(), 'r1', 'after 2.5 s the lower-priority r1 still has the VIP');
      await r2.waitForState(INSTANCE, 'Master', 8000);
      const waited = Date.now() - backupAt;
      t.ok(
        waited >= 3500 && waited < 8000,
        `took over after ${waited} ms (the delay runs from the first advert heard)`,
      );
      t.ok(r2.events('stateChange').some((e) => e.to === 'Master' && e.reason === 'preempt-delay-expired'));
      await waitUntil(async () => ((await holder()) === 'r2' ? true : undefined), 3000, 'VIP back on r2');
      await waitUntil(() => (notifyLog('r1').includes('BACKUP') ? true : undefined), 3000, 'r1 BACKUP notify');
      t.match(
        notifyLog('r1'),
        new RegExp(`r1 INSTANCE ${INSTANCE} MASTER \\d+\nr1 INSTANCE ${INSTANCE} BACKUP \\d+`),
        'r1: MASTER, then BACKUP when r2 preempts',
      );
    });

    await t.test('nopreempt: a returning r2 never takes the VIP from r1', async (t) => {
      await Promise.all(pods.map((p) => p.stop()));
      pods.length = 0;
      const first = start(0, 'nopreempt');
      await first.waitForState(INSTANCE, 'Master', 10_000);
      const second = start(1, 'nopreempt');
      await second.waitForState(INSTANCE, 'Backup', 10_000);
      await sleep(6000);
      t.equal(await holder(), 'r1');
      t.notOk(
        second.states().some((s) => s.state === 'Master'),
        'r2 (priority 253) stayed Backup under r1',
      );
    });
  },
);
