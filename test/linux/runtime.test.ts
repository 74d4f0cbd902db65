// bin/vrrp-engine on a real (virtual) LAN: two network namespaces on a bridge (in a third), one runner
// in each, `ip -json addr` as the witness of where the VIP is. VRRPv3 at 100 ms adverts keeps it fast.
//
//   A: va 192.0.2.1/24, priority 150        B: vb 192.0.2.2/24, priority 100 (logs at trace level)
//   A also runs VI_6, an IPv6 router alone on VRID 52 (primary address = the link-local one it finds).
//
// Scenarios, in order: a configuration error exits 2 and touches nothing; a VIP left by a kill -9'ed
// runner is removed at the next start; election (VIP on A only); SIGUSR2 status; a burst of
// malformed adverts is dropped and logged once per reason; an external `ip addr del` of the VIP on
// the Master is repaired; B's source address removed -> Fault until it is back; link down on A ->
// Fault, VIPs gone (the kernel's own removal of the IPv6 VIP is not mistaken for an external one),
// B takes over; link up -> A preempts back; SIGTERM of the Master -> its priority-0 advert makes B
// take over after Skew_Time, well inside Master_Down_Interval; SIGTERM -> exit 0, VIP removed.
// Needs root.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ConfigError } from '../../src/model/config-error.js';
import { startLinuxEngine, type LinuxEngineInput } from '../../src/daemon/runtime.js';
import { ip, namespaceSkipReason } from './netns-harness.js';
import { eventually, Runner, runnerScope, sleep } from './runner-process.js';

const garbageSender = fileURLToPath(new URL('./runtime-garbage-sender.js', import.meta.url));
const VIP = '192.0.2.100';
const VIP6 = '2001:db8::100';
const ADVERT_INTERVAL_CS = 10;

const skip = namespaceSkipReason();
const ns = { a: `vrrprt${process.pid}a`, b: `vrrprt${process.pid}b`, lan: `vrrprt${process.pid}l` };
const dev = { a: 'va', b: 'vb' };

function hasVip(namespace: string, iface: string, vip = VIP): boolean {
  const links = JSON.parse(ip('-n', namespace, '-json', 'addr', 'show', 'dev', iface)) as {
    addr_info: { local: string }[];
  }[];
  return links.some((link) => link.addr_info.some((a) => a.local === vip));
}

function routerConfig(
  iface: string,
  priority: number,
  extra: Record<string, unknown> = {},
  more: unknown[] = [],
): string {
  return JSON.stringify({
    routers: [
      {
        name: 'VI_1',
        interface: iface,
        vrid: 51,
        version: 3,
        priority,
        advertIntervalCs: ADVERT_INTERVAL_CS,
        virtualAddresses: [VIP],
        ...extra,
      },
      ...more,
    ],
  });
}

t.test('bin/vrrp-engine in two namespaces', { skip: skip ?? false }, async (t) => {
  const { runners, dir } = runnerScope(t, Object.values(ns), 'vrrp-runtime-');
  const start = (namespace: string, config: string, logLevel?: string): Runner => {
    const r = new Runner(namespace, config, logLevel);
    runners.push(r);
    return r;
  };

  // A bridge in a third namespace is the LAN: with a bare veth pair, taking A's end down would take
  // B's carrier down too.
  for (const name of Object.values(ns)) ip('netns', 'add', name);
  ip('-n', ns.lan, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', ns.lan, 'link', 'set', 'br0', 'up');
  for (const side of ['a', 'b'] as const) {
    const port = `p${side}`;
    ip('link', 'add', dev[side], 'netns', ns[side], 'type', 'veth', 'peer', 'name', port, 'netns', ns.lan);
    ip('-n', ns.lan, 'link', 'set', port, 'master', 'br0');
    ip('-n', ns.lan, 'link', 'set', port, 'up');
    ip('-n', ns[side], 'addr', 'add', side === 'a' ? '192.0.2.1/24' : '192.0.2.2/24', 'dev', dev[side]);
    ip('-n', ns[side], 'link', 'set', dev[side], 'up');
  }

  const configA = join(dir, 'a.json');
  const configB = join(dir, 'b.json');
  // A also runs an IPv6 router (alone on its VRID, so Master): its primary address is read from the
  // interface (the link-local one), and the kernel drops its VIP when the link goes admin-down.
  const v6 = {
    name: 'VI_6',
    interface: dev.a,
    vrid: 52,
    version: 3,
    advertIntervalCs: ADVERT_INTERVAL_CS,
    virtualAddresses: [VIP6],
  };
  writeFileSync(configA, routerConfig(dev.a, 150, {}, [v6]));
  writeFileSync(configB, routerConfig(dev.b, 100));

  await t.test('a configuration error exits 2, names the field, and touches nothing', async (t) => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, routerConfig(dev.a, 150, { vrid: 0 }));
    // A VIP already on the interface would be removed as a leftover by a run that got that far.
    ip('-n', ns.a, 'addr', 'add', `${VIP}/32`, 'dev', dev.a);
    const r = start(ns.a, bad);
    const { code } = await r.exited;
    t.equal(code, 2, 'exit status 2');
    t.match(r.stderr, /routers\[0\]\.vrid/, 'stderr names the field');
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line on stderr');
    t.equal(r.lines.length, 0, 'nothing logged on stdout: the engine never started');
    t.ok(hasVip(ns.a, dev.a), 'the address on the interface was left alone');
    ip('-n', ns.a, 'addr', 'del', `${VIP}/32`, 'dev', dev.a);
  });

  await t.test('a VIP left by a kill -9 is removed at the next start', async (t) => {
    const alone = start(ns.b, configB);
    await alone.waitForState('Master');
    await eventually('VIP on B', () => hasVip(ns.b, dev.b));
    alone.kill('SIGKILL');
    await alone.exited;
    t.ok(hasVip(ns.b, dev.b), 'kill -9 left the VIP behind');
  });

  const a = start(ns.a, configA);
  const b = start(ns.b, configB, 'trace');

  await t.test('election: the higher priority is Master, the VIP is only there', async (t) => {
    const leftover = await b.waitFor('leftover VIPs removed', (l) => l.event === 'leftoverVipsRemoved');
    t.same(leftover.addresses, [VIP], 'B removed the leftover VIP at start');
    await a.waitForState('Master');
    await b.waitFor('B started', (l) => l.event === 'started');
    await eventually('VIP on A only', () => hasVip(ns.a, dev.a) && !hasVip(ns.b, dev.b));
    // B may have won a moment before A's first advert (they start independently); it must end Backup.
    // The first Backup line is B's start, so wait until B has heard A and its latest state is Backup.
    await b.waitFor('B hears A', (l) => l.event === 'advertReceived' && l.router === 'VI_1');
    const lastState = (): unknown => b.lines.filter((l) => l.event === 'stateChange' && l.router === 'VI_1').at(-1)?.to;
    await eventually('B ends Backup', () => lastState() === 'Backup');
    const settled = b.lines.length;
    await sleep(500); // several advert intervals
    t.notOk(
      b.find((l) => l.event === 'stateChange', settled),
      'B stays Backup',
    );
    t.notOk(hasVip(ns.b, dev.b), 'no VIP on B');
    t.ok(
      a.find((l) => l.event === 'vipsAnnounced' && l.router === 'VI_1' && l.count === 5),
      'A announced the VIP (5 GARPs)',
    );
    const started = await a.waitFor('A started', (l) => l.event === 'started');
    const v6Settings = (started.routers as { name: string; primaryAddress: string }[]).find((r) => r.name === 'VI_6');
    t.match(v6Settings?.primaryAddress, /^fe80:/, 'the IPv6 router sends from the link-local address it found');
    await a.waitForState('Master', 0, 'VI_6');
    await eventually('IPv6 VIP on A', () => hasVip(ns.a, dev.a, VIP6));
    b.kill('SIGUSR2');
    const status = await b.waitFor('status line', (l) => l.event === 'status');
    const routers = status.routers as { name: string; state: string; masterAddress?: string }[];
    t.match(
      routers,
      [{ name: 'VI_1', state: 'Backup', masterAddress: '192.0.2.1' }],
      'SIGUSR2: B reports Backup under A',
    );
  });

  await t.test('garbage on the wire: counted, logged once per reason per second, no effect', async (t) => {
    const fromB = b.lines.length;
    const copies = 200;
    const out = execFileSync(
      'ip',
      ['netns', 'exec', ns.a, process.execPath, garbageSender, dev.a, '192.0.2.1', String(copies)],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
    );
    t.same(JSON.parse(out), { sent: 2 * copies }, 'the burst went out');
    for (const reason of ['too-short', 'bad-checksum']) {
      await b.waitFor(`dropped ${reason}`, (l) => l.event === 'dropped' && l.reason === reason, fromB);
    }
    await sleep(300);
    const drops = b.lines.slice(fromB).filter((l) => l.event === 'dropped');
    // Two reasons, one burst well inside a second: one line each (a burst split across a second
    // boundary could add one more per reason).
    t.ok(drops.length >= 2 && drops.length <= 4, `${drops.length} dropped lines for ${2 * copies} bad packets`);
    t.notOk(
      b.find((l) => l.event === 'stateChange', fromB),
      'B stays Backup',
    );
    t.equal(b.child.exitCode, null, 'B is still running');
  });

  await t.test('an external ip addr del on the Master is repaired', async (t) => {
    // keepalived 2.2.7: step down with a priority-0 advert, Backup with the down timer at Skew_Time,
    // then Master again (A has the shorter skew of the two), the VIP re-added and announced.
    const fromA = a.lines.length;
    const fromB = b.lines.length;
    ip('-n', ns.a, 'addr', 'del', `${VIP}/32`, 'dev', dev.a);
    const notice = await a.waitFor('notice', (l) => l.notice === 'vips-removed-externally', fromA);
    t.same(notice.addresses, [VIP], 'the notice names the VIP');
    const stepDown = await a.waitFor('step down', (l) => l.event === 'stateChange' && l.to === 'Backup', fromA);
    t.equal(stepDown.reason, 'vips-removed');
    const back = await a.waitFor('Master again', (l) => l.event === 'stateChange' && l.to === 'Master', fromA);
    t.equal(back.reason, 'master-down-timer', 'A takes over again after its Skew_Time');
    await eventually('VIP back on A', () => hasVip(ns.a, dev.a));
    await a.waitFor(
      're-announced',
      (l) => l.event === 'vipsAnnounced' && (l.addresses as string[]).includes(VIP),
      a.lines.indexOf(back),
    );
    t.notOk(
      b.find((l) => l.event === 'stateChange', fromB),
      'B (longer skew) heard A back before its own timer ran out',
    );
    t.notOk(hasVip(ns.b, dev.b), 'no VIP on B');
  });

  await t.test('the source address read from the interface goes away: Fault until it is back', async (t) => {
    const fromB = b.lines.length;
    ip('-n', ns.b, 'addr', 'del', '192.0.2.2/24', 'dev', dev.b);
    const lost = await b.waitFor('source-address-lost', (l) => l.notice === 'source-address-lost', fromB);
    t.equal(lost.address, '192.0.2.2', 'names the address');
    const fault = await b.waitForState('Fault', fromB);
    t.equal(fault.reason, 'track-failed', 'B is in Fault');
    ip('-n', ns.b, 'addr', 'add', '192.0.2.2/24', 'dev', dev.b);
    const backup = await b.waitForState('Backup', fromB);
    t.equal(backup.reason, 'track-recovered', 'back to Backup once the address returns');
    t.notOk(hasVip(ns.b, dev.b), 'no VIP on B throughout');
  });

  await t.test('link down on the Master: Fault, VIP removed, backup takes over; link up: preempts back', async (t) => {
    const fromA = a.lines.length;
    const fromB = b.lines.length;
    ip('-n', ns.a, 'link', 'set', dev.a, 'down');
    const fault = await a.waitForState('Fault', fromA);
    t.equal(fault.reason, 'link-down', 'Fault because of the link');
    await a.waitForState('Fault', fromA, 'VI_6');
    await eventually('VIPs gone from A', () => !hasVip(ns.a, dev.a) && !hasVip(ns.a, dev.a, VIP6));
    await b.waitForState('Master', fromB);
    await eventually('VIP on B', () => hasVip(ns.b, dev.b));

    ip('-n', ns.a, 'link', 'set', dev.a, 'up');
    const backup = await a.waitForState('Backup', fromA);
    t.equal(backup.reason, 'link-up', 'leaves Fault for Backup');
    await a.waitForState('Master', a.lines.indexOf(backup));
    await b.waitForState('Backup', fromB);
    await eventually('VIP back on A only', () => hasVip(ns.a, dev.a) && !hasVip(ns.b, dev.b));
    await a.waitForState('Master', a.lines.indexOf(backup), 'VI_6');
    await eventually('IPv6 VIP back on A', () => hasVip(ns.a, dev.a, VIP6));
    t.notOk(
      a.find((l) => l.notice === 'vips-removed-externally', fromA),
      'the kernel dropping the IPv6 VIP on admin-down was taken for link down, not for an external removal',
    );
  });

  await t.test('SIGTERM of the Master: priority-0 advert, backup takes over after Skew_Time', async (t) => {
    const fromB = b.lines.length;
    a.kill('SIGTERM');
    const { code } = await a.exited;
    t.equal(code, 0, 'graceful stop exits 0');
    t.ok(
      a.find((l) => l.event === 'stopped'),
      'A logged stopped',
    );
    t.notOk(hasVip(ns.a, dev.a), 'A removed its VIP');
    const zero = await b.waitFor('priority-0 advert', (l) => l.event === 'advertReceived' && l.priority === 0, fromB);
    const master = await b.waitForState('Master', fromB);
    const takeoverMs = Date.parse(master.time!) - Date.parse(zero.time!);
    // B: Skew_Time = (256 - 100) * 10 / 256 cs = 61 ms; Master_Down_Interval = 3 * 100 + 61 = 361 ms.
    const masterDownMs = 3 * ADVERT_INTERVAL_CS * 10 + ((256 - 100) * ADVERT_INTERVAL_CS * 10) / 256;
    t.ok(takeoverMs < masterDownMs, `took over ${takeoverMs} ms after the priority-0 advert (< ${masterDownMs} ms)`);
    await eventually('VIP on B', () => hasVip(ns.b, dev.b));
  });

  await t.test('SIGTERM of the last router: exit 0, VIP removed', async (t) => {
    b.kill('SIGTERM');
    const { code } = await b.exited;
    t.equal(code, 0, 'exit status 0');
    t.ok(
      b.find((l) => l.event === 'stopped'),
      'B logged stopped',
    );
    t.notOk(hasVip(ns.b, dev.b), 'B removed its VIP');
    t.notOk(
      b.find((l) => l.event === 'error'),
      'no errors logged',
    );
  });
});

// Configuration mistakes are found before anything is touched; these need neither root nor a namespace
// (reading `lo` over netlink is unprivileged) and each fails before the runtime would change anything.
t.test('startLinuxEngine rejects configuration mistakes with the field named', async (t) => {
  const router = {
    name: 'VI_1',
    interface: 'lo',
    vrid: 51,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
  };
  const cases: [string, unknown, string, RegExp][] = [
    ['unknown top-level field', { routers: [router], routerz: [] }, 'routerz', /unknown field/],
    ['no routers', { routers: [] }, 'routers', /non-empty list/],
    ['misspelt router field', { routers: [{ ...router, priorty: 200 }] }, 'routers[0].priorty', /unknown field/],
    [
      'duplicate name',
      { routers: [router, { ...router, vrid: 52 }] },
      'routers[1].name',
      /also the name of routers\[0\]/,
    ],
    [
      'same VRID twice on one interface',
      { routers: [router, { ...router, name: 'VI_2' }] },
      'routers[1].vrid',
      /already used by routers\[0\]/,
    ],
    ['bad VRID', { routers: [{ ...router, vrid: 256 }] }, 'routers[0].vrid', /1 to 255/],
    [
      'no primaryAddress and no such interface',
      { routers: [{ ...router, primaryAddress: undefined, interface: `nosuch${process.pid}`.slice(0, 15) }] },
      'routers[0].primaryAddress',
      /does not exist/,
    ],
    [
      'a vips entry no router uses',
      { routers: [router], vips: [{ interface: 'lo', address: '192.0.2.200', prefixLength: 24 }] },
      'vips[0].address',
      /not a virtual or excluded address/,
    ],
    [
      'a bad VIP label',
      { routers: [router], vips: [{ interface: 'lo', address: '192.0.2.100', label: 'eth0:x' }] },
      'vips[0].label',
      /must be "lo"/,
    ],
    [
      'an address put on two other interfaces',
      {
        routers: [router],
        vips: [
          { interface: 'eth1', address: '192.0.2.100' },
          { interface: 'eth2', address: '192.0.2.100' },
        ],
      },
      'vips[1].interface',
      /put on both eth1 and eth2/,
    ],
    [
      'an address elsewhere that two routers hold',
      {
        routers: [router, { ...router, name: 'VI_2', vrid: 52 }],
        vips: [{ interface: 'eth1', address: '192.0.2.100' }],
      },
      'vips[0].interface',
      /routers VI_1, VI_2 all hold it/,
    ],
    [
      'an excluded address that is also a VIP',
      { routers: [{ ...router, excludedAddresses: ['192.0.2.100'] }] },
      'routers[0].excludedAddresses[0]',
      /also a virtual address/,
    ],
    [
      'a noTrack that is not a boolean',
      { routers: [router], vips: [{ interface: 'eth1', address: '192.0.2.100', noTrack: 'yes' }] },
      'vips[0].noTrack',
      /true or false/,
    ],
  ];
  for (const [what, input, field, message] of cases) {
    const error = await startLinuxEngine(input as LinuxEngineInput).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(error instanceof ConfigError, `${what}: ConfigError`);
    t.equal((error as ConfigError).field, field, `${what}: names ${field}`);
    t.match((error as ConfigError).message, message, `${what}: says why`);
  }
});
