// Health checks moving a VIP between real routers on a namespace LAN:
// - bin/vrrp-engine, a TCP check of a listener on r1 (weight -150): the listener stops, r1's priority
//   falls below r2's and r2 takes the VIP; it starts again and r1 takes it back;
// - bin/vrrp-engine, track_interface of a second interface on r1 (weight 0): taken down, r1 goes to
//   Fault and r2 takes over; back up, r1 is Backup with a full down timer, then preempts;
// - bin/vrrpd on keepalived.conf: a vrrp_script (weight 0) and notify_master / notify: the script
//   starts failing, r1 goes to Fault; the notify commands wrote keepalived's arguments.

import t from 'tap';
import { readFileSync, rmSync, writeFileSync, mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdersOf, waitUntil } from '../netns/observe.js';
import { run } from '../netns/lan.js';
import { masterDownMs, MARGIN_MS } from '../netns/timing.js';
import { HealthLan, skipReason, tcpListenerArgs, type RouterJson } from './netns-helpers.js';

const reason = skipReason();
const INTERVAL_CS = 20;
const router = (priority: number, vip: string, vrid: number): RouterJson => ({
  name: 'VI_1',
  vrid,
  version: 3,
  advertIntervalCs: INTERVAL_CS,
  priority,
  virtualAddresses: [vip],
});
const takeover = masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS + 2000;

void t.test(
  'tcp check: the listener stops, the VIP moves; it starts again, the VIP comes back',
  { skip: reason ?? false },
  async (t) => {
    const h = await HealthLan.create(t, 'htc', 2);
    const vip = '192.0.2.71';
    let listener = h.startCommand('r1', 'listener', process.execPath, tcpListenerArgs(8080));
    await listener.waitForLine((l) => l.text === 'listening', 20_000, 'listener');
    const check = {
      kind: 'tcp' as const,
      name: 'web',
      host: '127.0.0.1',
      port: 8080,
      intervalMs: 200,
      timeoutMs: 150,
      rise: 2,
      fall: 2,
    };
    const r1 = h.startEngine('r1', [router(200, vip, 71)], {
      checks: [check],
      tracks: [{ router: 'VI_1', check: 'web', weight: -150 }],
      notify: [],
      syncGroups: [],
    });
    const r2 = h.startEngine('r2', [router(100, vip, 71)]);
    await r1.waitForState('VI_1', 'Master', 30_000);
    await waitUntil(() => (r2.stateOf() === 'Backup' ? true : undefined), 30_000, 'r2 Backup');
    t.same(await holdersOf(h.lan, vip), ['r1']);

    const since1 = r1.mark();
    const since2 = r2.mark();
    await listener.stop();
    await r1.waitForText(/"event":"healthCheck".*"up":false/, 5000, since1);
    await r2.waitForState('VI_1', 'Master', takeover, since2);
    await r1.waitForState('VI_1', 'Backup', 5000, since1);
    t.same(
      await waitUntil(
        async () => {
          const holders = await holdersOf(h.lan, vip);
          return holders.length === 1 && holders[0] === 'r2' ? holders : undefined;
        },
        5000,
        'VIP on r2',
      ),
      ['r2'],
      'listener stopped: the VIP is on r2',
    );

    listener = h.startCommand('r1', 'listener2', process.execPath, tcpListenerArgs(8080));
    await listener.waitForLine((l) => l.text === 'listening', 20_000, 'listener again');
    await r1.waitForState('VI_1', 'Master', takeover, since1);
    await r2.waitForState('VI_1', 'Backup', 5000, since2);
    t.same(
      await waitUntil(
        async () => {
          const holders = await holdersOf(h.lan, vip);
          return holders.length === 1 && holders[0] === 'r1' ? holders : undefined;
        },
        5000,
        'VIP back on r1',
      ),
      ['r1'],
      'listener back: r1 preempted and holds the VIP',
    );
  },
);

void t.test(
  'icmp check: the pinged host goes away, the VIP moves; it comes back, the VIP comes back',
  { skip: reason ?? false },
  async (t) => {
    const h = await HealthLan.create(t, 'hic', 2);
    const vip = '192.0.2.74';
    const client = h.node('client');
    const check = {
      kind: 'icmp' as const,
      name: 'gateway',
      host: client.ipv4,
      intervalMs: 200,
      timeoutMs: 150,
      rise: 2,
      fall: 2,
    };
    const r1 = h.startEngine('r1', [router(200, vip, 74)], {
      checks: [check],
      tracks: [{ router: 'VI_1', check: 'gateway', weight: -150 }],
      notify: [],
      syncGroups: [],
    });
    const r2 = h.startEngine('r2', [router(100, vip, 74)]);
    await r1.waitForState('VI_1', 'Master', 30_000);
    await waitUntil(() => (r2.stateOf() === 'Backup' ? true : undefined), 30_000, 'r2 Backup');
    const since1 = r1.mark();
    const since2 = r2.mark();
    run('ip', ['-n', client.namespace, 'link', 'set', 'eth0', 'down']);
    await r2.waitForState('VI_1', 'Master', takeover, since2);
    await r1.waitForState('VI_1', 'Backup', 5000, since1);
    t.match(JSON.parse((await r1.waitForText(/"event":"healthCheck".*"up":false/, 1000, since1)).text), {
      check: 'gateway',
      result: /no echo reply within 150 ms/,
    });
    run('ip', ['-n', client.namespace, 'link', 'set', 'eth0', 'up']);
    await r1.waitForState('VI_1', 'Master', takeover, since1);
    t.same(
      await waitUntil(
        async () => ((await holdersOf(h.lan, vip)).join() === 'r1' ? ['r1'] : undefined),
        5000,
        'VIP back on r1',
      ),
      ['r1'],
    );
  },
);

void t.test(
  'track_interface: a second interface down puts r1 in Fault; up again, Backup then Master',
  { skip: reason ?? false },
  async (t) => {
    const h = await HealthLan.create(t, 'hif', 2);
    const vip = '192.0.2.72';
    const ns = h.node('r1').namespace;
    run('ip', ['-n', ns, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1']);
    run('ip', ['-n', ns, 'link', 'set', 'up0', 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'up1', 'up']);
    const r1 = h.startEngine('r1', [router(200, vip, 72)], {
      checks: [{ kind: 'interface', name: 'uplink', interface: 'up0' }],
      tracks: [{ router: 'VI_1', check: 'uplink', weight: 0 }],
      notify: [],
      syncGroups: [],
    });
    const r2 = h.startEngine('r2', [router(100, vip, 72)]);
    await r1.waitForState('VI_1', 'Master', 30_000);
    await waitUntil(() => (r2.stateOf() === 'Backup' ? true : undefined), 30_000, 'r2 Backup');
    const since1 = r1.mark();
    const since2 = r2.mark();
    run('ip', ['-n', ns, 'link', 'set', 'up0', 'down']);
    const fault = await r1.waitForState('VI_1', 'Fault', 5000, since1);
    t.equal(fault.reason, 'track-failed');
    await r2.waitForState('VI_1', 'Master', takeover, since2);
    t.same(
      await waitUntil(
        async () => ((await holdersOf(h.lan, vip)).join() === 'r2' ? ['r2'] : undefined),
        5000,
        'VIP on r2',
      ),
      ['r2'],
    );
    run('ip', ['-n', ns, 'link', 'set', 'up0', 'up']);
    const backup = await r1.waitForState('VI_1', 'Backup', 5000, since1);
    t.equal(backup.reason, 'track-recovered');
    const master = await r1.waitForState('VI_1', 'Master', takeover, since1);
    t.ok(
      master.atMs - backup.atMs >= masterDownMs(200, INTERVAL_CS, 3) * 0.9,
      `Master ${master.atMs - backup.atMs} ms after leaving Fault: a full down timer first`,
    );
  },
);

void t.test('bin/vrrpd: vrrp_script weight 0 and notify from keepalived.conf', { skip: reason ?? false }, async (t) => {
  const h = await HealthLan.create(t, 'hvd', 2);
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-health-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const flag = join(dir, 'healthy');
  const log = join(dir, 'notify.log');
  writeFileSync(flag, '');
  const vip = '192.0.2.73';
  const conf = (priority: number, withScript: boolean) =>
    `global_defs {\n  enable_script_security\n  script_user root\n}\n` +
    (withScript
      ? `vrrp_script chk {\n  script "/usr/bin/test -e ${flag}"\n  interval 1\n  fall 1\n  rise 1\n}\n`
      : '') +
    `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 73\n  version 3\n  advert_int 0.2\n  priority ${priority}\n  virtual_ipaddress {\n    ${vip}\n  }\n` +
    (withScript
      ? `  track_script {\n    chk\n  }\n  notify_master "/bin/sh -c 'echo master >> ${log}'"\n  notify "/bin/sh -c 'echo $* >> ${log}' notify"\n`
      : '') +
    `}\n`;
  const r1 = h.startVrrpd('r1', conf(200, true));
  const r2 = h.startVrrpd('r2', conf(100, false));
  await r1.waitForState('VI_1', 'Master', 30_000);
  await waitUntil(() => (r2.stateOf() === 'Backup' ? true : undefined), 30_000, 'r2 Backup');
  const since2 = r2.mark();
  rmSync(flag);
  const fault = await r1.waitForState('VI_1', 'Fault', 5000);
  t.equal(fault.reason, 'track-failed');
  await r2.waitForState('VI_1', 'Master', takeover, since2);
  await waitUntil(() => (readFileSync(log, 'utf8').includes('FAULT') ? true : undefined), 5000, 'notify FAULT');
  t.strictSame(readFileSync(log, 'utf8').split('\n').filter(Boolean), [
    'INSTANCE VI_1 BACKUP 200',
    'master',
    'INSTANCE VI_1 MASTER 200',
    'INSTANCE VI_1 FAULT 200',
  ]);
});
