// useVmac (keepalived's use_vmac) with bin/vrrp-engine on a real (virtual) LAN: namespaces A, B and a
// client C on a bridge in a fourth; a runner with useVmac in A (priority 150) and B (100), VRRPv3 at
// 100 ms. Witnesses: `ip -json` (links, addresses, neighbours), /proc/sys, ping from C, and a
// tcpdump capture on the bridge read with tshark.
//
// Scenarios, in order: a VMAC (and its VIP) left by a kill -9'ed runner is removed at the next start;
// the Master has vrrp.51 with 00:00:5e:00:01:33, up, with the VIP, and the parent has no VIP; the
// Backup has vrrp.51 up without the VIP (keepalived keeps it up in every state: in private mode that
// is where the Master's adverts arrive); the sysctls keepalived sets; C's neighbour entry for the VIP
// is the virtual MAC; SIGTERM of the Master: B takes over, C's entry keeps the same MAC and pings go
// on, A's VMAC is gone and its parent's arp_ignore / arp_filter are restored; the capture shows adverts
// from both routers with eth.src = the virtual MAC; a name held by another interface is EEXIST;
// SIGTERM of B removes its VMAC. Needs root.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startLinuxEngine } from '../../src/linux/runtime.js';
import { defaultVmacName, virtualMac } from '../../src/linux/vmac.js';
import { namespaceSkipReason } from './netns-harness.js';
import { eventually, Runner } from './runner-process.js';

const VIP = '192.0.2.100';
const VMAC = 'vrrp.51';
const VIRTUAL_MAC = '00:00:5e:00:01:33';

const skip = namespaceSkipReason();
const ns = { a: `vrrpvm${process.pid}a`, b: `vrrpvm${process.pid}b`, c: `vrrpvm${process.pid}c`, lan: `vrrpvm${process.pid}l` };
const dev = { a: 'va', b: 'vb', c: 'vc' };
const address = { a: '192.0.2.1', b: '192.0.2.2', c: '192.0.2.10' };

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const ip = (...args: string[]): string => run('ip', args);

interface IpLink {
  ifname: string;
  address: string;
  flags: string[];
  operstate: string;
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
  addr_info?: { family: string; local: string }[];
}

function link(namespace: string, name: string): IpLink | undefined {
  try {
    return (JSON.parse(ip('-n', namespace, '-json', '-details', 'addr', 'show', 'dev', name)) as IpLink[])[0];
  } catch {
    return undefined;
  }
}

function hasVip(namespace: string, name: string): boolean {
  return link(namespace, name)?.addr_info?.some((a) => a.local === VIP) === true;
}

function sysctl(namespace: string, path: string): string {
  return run('ip', ['netns', 'exec', namespace, 'cat', `/proc/sys/net/${path}`]).trim();
}

function neighbourMac(namespace: string): string | undefined {
  const entries = JSON.parse(ip('-n', namespace, '-json', 'neigh', 'show', VIP)) as { lladdr?: string }[];
  return entries[0]?.lladdr;
}

function ping(namespace: string): boolean {
  try {
    run('ip', ['netns', 'exec', namespace, 'ping', '-n', '-q', '-c', '1', '-W', '1', VIP]);
    return true;
  } catch {
    return false;
  }
}



function config(iface: string, priority: number, useVmac: boolean | string = true): string {
  return JSON.stringify({
    routers: [{ name: 'VI_1', interface: iface, vrid: 51, version: 3, priority, advertIntervalCs: 10, virtualAddresses: [VIP], useVmac }],
  });
}

t.test('virtual MACs and names, as RFC 5798 7.3 and keepalived', async (t) => {
  t.equal(virtualMac(51, 4), VIRTUAL_MAC, 'IPv4: 00:00:5e:00:01:<vrid in hex>');
  t.equal(virtualMac(255, 6), '00:00:5e:00:02:ff', 'IPv6: 00:00:5e:00:02:<vrid>');
  t.equal(virtualMac(1, 4), '00:00:5e:00:01:01', 'two hex digits');
  t.equal(defaultVmacName(51, 4), VMAC, 'IPv4 name vrrp.<vrid>');
  t.equal(defaultVmacName(7, 6), 'vrrp6.7', 'IPv6 name vrrp6.<vrid>');
});

t.test('useVmac mistakes are configuration errors naming the field (no root needed)', async (t) => {
  const router = { name: 'VI_1', interface: 'eth0', vrid: 51, priority: 100, primaryAddress: '192.0.2.1', virtualAddresses: [VIP] };
  const cases: [string, unknown, RegExp][] = [
    ['a name longer than 15 characters', { useVmac: 'vrrp-is-too-long' }, /routers\[0\]\.useVmac: .*not a valid interface name/],
    ['a name with a slash', { useVmac: 'vrrp/51' }, /routers\[0\]\.useVmac/],
    ['the parent’s own name', { useVmac: 'eth0' }, /routers\[0\]\.useVmac: .*parent/],
    ['a number', { useVmac: 1 }, /routers\[0\]\.useVmac: must be true, false or an interface name/],
    [
      'an IPv6 router',
      { primaryAddress: 'fe80::1', virtualAddresses: ['2001:db8::100'], version: 3, useVmac: true },
      /routers\[0\]\.useVmac: .*IPv4 routers only/,
    ],
  ];
  for (const [what, extra, message] of cases) {
    await t.rejects(startLinuxEngine({ routers: [{ ...router, ...(extra as object) }] }), { name: 'ConfigError', message }, what);
  }
  await t.rejects(
    startLinuxEngine({
      routers: [
        { ...router, useVmac: 'vmac0' },
        { ...router, name: 'VI_2', vrid: 52, useVmac: 'vmac0' },
      ],
    }),
    { name: 'ConfigError', message: /routers\[1\]\.useVmac: VMAC vmac0 is also used by routers\[0\]/ },
    'two routers on one VMAC name',
  );
});

t.test('useVmac: bin/vrrp-engine on a virtual MAC', { skip }, async (t) => {
  const runners: Runner[] = [];
  let tcpdump: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-vmac-'));
  t.teardown(() => {
    for (const r of runners) r.kill('SIGKILL');
    tcpdump?.kill('SIGKILL');
    for (const name of Object.values(ns)) {
      try {
        ip('netns', 'del', name);
      } catch {
        // never created, or already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (namespace: string, configPath: string): Runner => {
    const r = new Runner(namespace, configPath);
    runners.push(r);
    return r;
  };

  for (const name of Object.values(ns)) ip('netns', 'add', name);
  ip('-n', ns.lan, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', ns.lan, 'link', 'set', 'br0', 'up');
  for (const side of ['a', 'b', 'c'] as const) {
    const port = `p${side}`;
    ip('link', 'add', dev[side], 'netns', ns[side], 'type', 'veth', 'peer', 'name', port, 'netns', ns.lan);
    ip('-n', ns.lan, 'link', 'set', port, 'master', 'br0');
    ip('-n', ns.lan, 'link', 'set', port, 'up');
    ip('-n', ns[side], 'addr', 'add', `${address[side]}/24`, 'dev', dev[side]);
    ip('-n', ns[side], 'link', 'set', dev[side], 'up');
  }
  const configA = join(dir, 'a.json');
  const configB = join(dir, 'b.json');
  writeFileSync(configA, config(dev.a, 150));
  writeFileSync(configB, config(dev.b, 100));

  const pcap = join(dir, 'br0.pcap');
  // -Z root: tcpdump would otherwise drop to its own user and fail to write into our private dir.
  tcpdump = spawn('ip', ['netns', 'exec', ns.lan, 'tcpdump', '-i', 'br0', '-n', '-U', '--immediate-mode', '-s', '256', '-Z', 'root', '-w', pcap], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const capturing = tcpdump;
  await new Promise<void>((resolve, reject) => {
    let text = '';
    capturing.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('listening on')) resolve();
    });
    capturing.on('exit', () => reject(new Error(`tcpdump exited: ${text}`)));
  });

  await t.test('a VMAC left by a kill -9 is removed at the next start', async (t) => {
    const alone = start(ns.b, configB);
    await alone.waitForState('Master');
    await eventually('VIP on B’s VMAC', () => hasVip(ns.b, VMAC));
    alone.kill('SIGKILL');
    await alone.exited;
    t.equal(link(ns.b, VMAC)?.address, VIRTUAL_MAC, 'kill -9 left the VMAC behind');
  });

  const a = start(ns.a, configA);
  const b = start(ns.b, configB);

  await t.test('the Master has the VMAC with the VIP; the Backup has it up and empty', async (t) => {
    const leftover = await b.waitFor('leftover VMAC removed', (l) => l.event === 'leftoverVmacRemoved');
    t.equal(leftover.interface, VMAC, 'B removed the VMAC its killed run left');
    await a.waitForState('Master');
    await b.waitFor('B started', (l) => l.event === 'started');
    await eventually('VIP on A’s VMAC only', () => hasVip(ns.a, VMAC) && !hasVip(ns.b, VMAC));
    await b.waitForState('Backup');

    const vmacA = link(ns.a, VMAC)!;
    t.equal(vmacA.address, VIRTUAL_MAC, 'A: MAC 00:00:5e:00:01:<vrid>');
    t.equal(vmacA.linkinfo?.info_kind, 'macvlan', 'A: a macvlan');
    t.equal(vmacA.linkinfo?.info_data?.mode, 'private', 'A: private mode, as keepalived');
    t.ok(vmacA.flags.includes('UP') && vmacA.operstate === 'UP', 'A: up');
    t.notOk(hasVip(ns.a, dev.a), 'A: the VIP is not on the parent');
    t.notOk(vmacA.addr_info?.some((x) => x.family === 'inet6'), 'A: no IPv6 address on an IPv4 VMAC');

    const vmacB = link(ns.b, VMAC)!;
    t.equal(vmacB.address, VIRTUAL_MAC, 'B (Backup): the VMAC exists with the virtual MAC');
    t.ok(vmacB.flags.includes('UP'), 'B (Backup): up, as keepalived keeps it');
    t.same(vmacB.addr_info ?? [], [], 'B (Backup): no address on it');

    t.same(
      ['arp_ignore', 'accept_local', 'rp_filter', 'promote_secondaries'].map((k) => sysctl(ns.a, `ipv4/conf/${VMAC}/${k}`)),
      ['1', '1', '0', '1'],
      'VMAC: arp_ignore=1 accept_local=1 rp_filter=0 promote_secondaries=1',
    );
    t.equal(sysctl(ns.a, `ipv6/conf/${VMAC}/disable_ipv6`), '1', 'VMAC: IPv6 disabled');
    t.same(
      ['arp_ignore', 'arp_filter', 'arp_announce'].map((k) => sysctl(ns.a, `ipv4/conf/${dev.a}/${k}`)),
      ['1', '1', '2'],
      'parent: arp_ignore=1 arp_filter=1 (keepalived), arp_announce=2 (ours)',
    );
  });

  await t.test('the client reaches the VIP at the virtual MAC, before and after failover', async (t) => {
    t.ok(ping(ns.c), 'C pings the VIP on A');
    t.equal(neighbourMac(ns.c), VIRTUAL_MAC, 'C’s neighbour entry for the VIP is the virtual MAC');

    a.kill('SIGTERM');
    t.equal((await a.exited).code, 0, 'A exits 0 on SIGTERM');
    await b.waitForState('Master');
    await eventually('VIP on B’s VMAC', () => hasVip(ns.b, VMAC));
    t.ok(ping(ns.c), 'C pings the VIP on B');
    t.equal(neighbourMac(ns.c), VIRTUAL_MAC, 'C’s entry still has the same MAC');
    t.ok(ping(ns.c), 'and pings go on');

    t.equal(link(ns.a, VMAC), undefined, 'SIGTERM removed A’s VMAC');
    t.same(
      ['arp_ignore', 'arp_filter', 'arp_announce'].map((k) => sysctl(ns.a, `ipv4/conf/${dev.a}/${k}`)),
      ['0', '0', '0'],
      'A’s parent has its ARP settings back',
    );
  });

  await t.test('a VMAC name held by another interface is refused with EEXIST', async (t) => {
    ip('-n', ns.a, 'link', 'add', VMAC, 'link', dev.a, 'address', '02:00:00:00:00:01', 'type', 'macvlan', 'mode', 'private');
    const refused = start(ns.a, configA);
    const { code } = await refused.exited;
    t.not(code, 0, 'the runner does not start');
    t.match(refused.stderr, /EEXIST/, 'stderr says EEXIST');
    t.match(refused.stderr, /02:00:00:00:00:01/, 'and names the MAC it found');
    t.equal(link(ns.a, VMAC)?.address, '02:00:00:00:00:01', 'the other interface is left alone');
    ip('-n', ns.a, 'link', 'del', VMAC);
  });

  await t.test('SIGTERM removes the Backup-turned-Master’s VMAC; adverts carried the virtual MAC', async (t) => {
    b.kill('SIGTERM');
    t.equal((await b.exited).code, 0, 'B exits 0 on SIGTERM');
    t.equal(link(ns.b, VMAC), undefined, 'B’s VMAC is gone');

    process.kill(capturing.pid!, 'SIGTERM');
    await new Promise((resolve) => capturing.once('exit', resolve));
    tcpdump = undefined;
    const rows = run('tshark', ['-r', pcap, '-Y', 'vrrp', '-T', 'fields', '-e', 'eth.src', '-e', 'ip.src', '-e', 'vrrp.prio'])
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    const senders = new Set(rows.filter((r) => r[2] !== '0').map((r) => r[1]));
    t.same([...senders].sort(), [address.a, address.b], 'adverts from both routers were captured');
    t.ok(rows.some((r) => r[2] === '0'), 'and the priority-0 adverts sent at stop');
    t.same(
      [...new Set(rows.map((r) => r[0]))],
      [VIRTUAL_MAC],
      'every advert (priority 0 ones included) has eth.src = the virtual MAC',
    );
    const garps = run('tshark', ['-r', pcap, '-Y', `arp.src.proto_ipv4 == ${VIP}`, '-T', 'fields', '-e', 'eth.src', '-e', 'arp.src.hw_mac'])
      .trim()
      .split('\n');
    t.ok(garps.length > 0, 'gratuitous ARPs for the VIP were captured');
    t.same([...new Set(garps)], [`${VIRTUAL_MAC}\t${VIRTUAL_MAC}`], 'they carry the virtual MAC, as source and sender');
  });
});
