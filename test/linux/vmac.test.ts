// useVmac (keepalived's use_vmac) with bin/vrrp-engine on a real (virtual) LAN: namespaces A, B and a
// client C on a bridge (multicast snooping off) in a fourth; a runner with useVmac in A (priority 150)
// and B (100), VRRPv3 at 100 ms. Witnesses: `ip -json` (links, addresses, neighbours), /proc/sys, ping
// from C, and a tcpdump capture on the bridge read with tshark. Run once for IPv4, once for IPv6.
//
// Scenarios, in order: a VMAC (and its VIP) left by a kill -9'ed runner is removed at the next start;
// the Master has vrrp.51 with the virtual MAC, up, with the VIP, and the parent has no VIP; the
// Backup has vrrp.51 up without the VIP (keepalived keeps it up in every state: in private mode that
// is where the Master's adverts arrive); the sysctls keepalived sets; C's neighbour entry for the VIP
// is the virtual MAC; SIGTERM of the Master: B takes over, C's entry keeps the same MAC and pings go
// on, A's VMAC is gone; the capture shows adverts from both routers with eth.src = the virtual MAC.
// IPv4: A's parent gets its arp_ignore / arp_filter back; a name held by another interface is EEXIST;
// the GARPs carry the virtual MAC. IPv6 (as keepalived 2.2.7 does it): MAC 00:00:5e:00:02:33,
// addr_gen_mode none, the parent's link-local copied onto the VMAC (nodad, deprecated) and used as the
// adverts' source; the unsolicited NAs leave from the virtual MAC and name it as target link-layer
// address. Needs root.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startLinuxEngine } from '../../src/daemon/runtime.js';
import { defaultVmacName, planVmac, virtualMac } from '../../src/linux/vmac.js';
import { namespaceSkipReason } from './netns-harness.js';
import { eventually, Runner, runnerScope } from './runner-process.js';

const VMAC = 'vrrp.51';
const VIRTUAL_MAC = { 4: '00:00:5e:00:01:33', 6: '00:00:5e:00:02:33' } as const;
const VIP = { 4: '192.0.2.100', 6: '2001:db8::100' } as const;

const skip = namespaceSkipReason();
const dev = { a: 'va', b: 'vb', c: 'vc' };
/** Fixed parent MACs, so the parents' link-local addresses are known. */
const parentMac = { a: '02:00:5e:01:00:0a', b: '02:00:5e:01:00:0b', c: '02:00:5e:01:00:0c' };
const linkLocal = { a: 'fe80::5eff:fe01:a', b: 'fe80::5eff:fe01:b' };
const address = {
  4: { a: '192.0.2.1/24', b: '192.0.2.2/24', c: '192.0.2.10/24' },
  6: { a: '2001:db8::1/64', b: '2001:db8::2/64', c: '2001:db8::10/64' },
} as const;

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const ip = (...args: string[]): string => run('ip', args);

interface IpAddress {
  family: string;
  local: string;
  prefixlen: number;
  scope?: string;
  nodad?: boolean;
  deprecated?: boolean;
}

interface IpLink {
  ifname: string;
  address: string;
  flags: string[];
  operstate: string;
  inet6_addr_gen_mode?: string;
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
  addr_info?: IpAddress[];
}

function link(namespace: string, name: string): IpLink | undefined {
  try {
    return (JSON.parse(ip('-n', namespace, '-json', '-details', 'addr', 'show', 'dev', name)) as IpLink[])[0];
  } catch {
    return undefined;
  }
}

function hasAddress(namespace: string, name: string, local: string): boolean {
  return link(namespace, name)?.addr_info?.some((a) => a.local === local) === true;
}

function sysctl(namespace: string, path: string): string {
  return run('ip', ['netns', 'exec', namespace, 'cat', `/proc/sys/net/${path}`]).trim();
}

function neighbourMac(namespace: string, target: string): string | undefined {
  const entries = JSON.parse(ip('-n', namespace, '-json', 'neigh', 'show', target)) as { lladdr?: string }[];
  return entries[0]?.lladdr;
}

function ping(namespace: string, target: string): boolean {
  try {
    run('ip', ['netns', 'exec', namespace, 'ping', '-n', '-q', '-c', '1', '-W', '1', target]);
    return true;
  } catch {
    return false;
  }
}

/** tshark's fields for the packets of `pcap` that match `filter`, one array per packet. */
function capturedFields(pcap: string, filter: string, fields: string[]): string[][] {
  const text = run('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]).trim();
  return text === '' ? [] : text.split('\n').map((line) => line.split('\t'));
}

function config(family: 4 | 6, iface: string, priority: number, useVmac: boolean | string = true): string {
  return JSON.stringify({
    routers: [
      {
        name: 'VI_1',
        interface: iface,
        vrid: 51,
        version: 3,
        priority,
        advertIntervalCs: 10,
        virtualAddresses: [VIP[family]],
        useVmac,
      },
    ],
  });
}

/** Namespaces A, B, C on a bridge, a capture on it, runners started in them; all removed at teardown. */
interface Lan {
  readonly ns: { a: string; b: string; c: string; lan: string };
  readonly configA: string;
  readonly configB: string;
  readonly pcap: string;
  start(namespace: string, configPath: string): Runner;
  /** Stops the capture so that the pcap file is complete. */
  stopCapture(): Promise<void>;
}

async function buildLan(t: Test, family: 4 | 6): Promise<Lan> {
  const tag = `vrrpvm${family}${process.pid}`;
  const ns = { a: `${tag}a`, b: `${tag}b`, c: `${tag}c`, lan: `${tag}l` };
  const { runners, dir } = runnerScope(t, Object.values(ns), 'vrrp-vmac-');
  let tcpdump: ChildProcess | undefined;
  t.teardown(() => tcpdump?.kill('SIGKILL'));

  for (const name of Object.values(ns)) ip('netns', 'add', name);
  ip('-n', ns.lan, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
  ip('-n', ns.lan, 'link', 'set', 'br0', 'up');
  for (const side of ['a', 'b', 'c'] as const) {
    const port = `p${side}`;
    ip(
      'link',
      'add',
      dev[side],
      'netns',
      ns[side],
      'address',
      parentMac[side],
      'type',
      'veth',
      'peer',
      'name',
      port,
      'netns',
      ns.lan,
    );
    ip('-n', ns.lan, 'link', 'set', port, 'master', 'br0');
    ip('-n', ns.lan, 'link', 'set', port, 'up');
    // No DAD: the link-local address (the IPv6 routers' advert source) works as soon as the link is up.
    run('ip', ['netns', 'exec', ns[side], 'sysctl', '-qw', `net.ipv6.conf.${dev[side]}.accept_dad=0`]);
    ip('-n', ns[side], 'addr', 'add', address[family][side], 'dev', dev[side], ...(family === 6 ? ['nodad'] : []));
    ip('-n', ns[side], 'link', 'set', dev[side], 'up');
  }
  const configA = join(dir, 'a.json');
  const configB = join(dir, 'b.json');
  writeFileSync(configA, config(family, dev.a, 150));
  writeFileSync(configB, config(family, dev.b, 100));

  const pcap = join(dir, 'br0.pcap');
  // -Z root: tcpdump would otherwise drop to its own user and fail to write into our private dir.
  tcpdump = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns.lan,
      'tcpdump',
      '-i',
      'br0',
      '-n',
      '-U',
      '--immediate-mode',
      '-s',
      '256',
      '-Z',
      'root',
      '-w',
      pcap,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const capturing = tcpdump;
  await new Promise<void>((resolve, reject) => {
    let text = '';
    capturing.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('listening on')) resolve();
    });
    capturing.on('exit', () => reject(new Error(`tcpdump exited: ${text}`)));
  });
  return {
    ns,
    configA,
    configB,
    pcap,
    start(namespace, configPath) {
      const r = new Runner(namespace, configPath);
      runners.push(r);
      return r;
    },
    async stopCapture() {
      process.kill(capturing.pid!, 'SIGTERM');
      await new Promise((resolve) => capturing.once('exit', resolve));
      tcpdump = undefined;
    },
  };
}

/** B runs alone, becomes Master and is killed with SIGKILL: its VMAC (with the VIP) stays behind. */
async function leaveVmacBehind(t: Test, lan: Lan, family: 4 | 6): Promise<void> {
  const alone = lan.start(lan.ns.b, lan.configB);
  await alone.waitForState('Master');
  await eventually('VIP on B’s VMAC', () => hasAddress(lan.ns.b, VMAC, VIP[family]));
  alone.kill('SIGKILL');
  await alone.exited;
  t.equal(link(lan.ns.b, VMAC)?.address, VIRTUAL_MAC[family], 'kill -9 left the VMAC behind');
}

/** A (150) and B (100) start; B replaces the VMAC its killed run left; A is Master, the VIP on its VMAC only. */
async function electOnVmacs(t: Test, lan: Lan, family: 4 | 6): Promise<{ a: Runner; b: Runner }> {
  const a = lan.start(lan.ns.a, lan.configA);
  const b = lan.start(lan.ns.b, lan.configB);
  const leftover = await b.waitFor('leftover VMAC removed', (l) => l.event === 'leftoverVmacRemoved');
  t.equal(leftover.interface, VMAC, 'B removed the VMAC its killed run left');
  await a.waitForState('Master');
  await b.waitFor('B started', (l) => l.event === 'started');
  await eventually(
    'VIP on A’s VMAC only',
    () => hasAddress(lan.ns.a, VMAC, VIP[family]) && !hasAddress(lan.ns.b, VMAC, VIP[family]),
  );
  await b.waitForState('Backup');

  const vmacA = link(lan.ns.a, VMAC)!;
  t.equal(vmacA.address, VIRTUAL_MAC[family], `A: MAC 00:00:5e:00:0${family === 4 ? 1 : 2}:<vrid>`);
  t.equal(vmacA.linkinfo?.info_kind, 'macvlan', 'A: a macvlan');
  t.equal(vmacA.linkinfo?.info_data?.mode, 'private', 'A: private mode, as keepalived');
  t.ok(vmacA.flags.includes('UP') && vmacA.operstate === 'UP', 'A: up');
  t.notOk(hasAddress(lan.ns.a, dev.a, VIP[family]), 'A: the VIP is not on the parent');
  const vmacB = link(lan.ns.b, VMAC)!;
  t.equal(vmacB.address, VIRTUAL_MAC[family], 'B (Backup): the VMAC exists with the virtual MAC');
  t.ok(vmacB.flags.includes('UP'), 'B (Backup): up, as keepalived keeps it');
  t.notOk(hasAddress(lan.ns.b, VMAC, VIP[family]), 'B (Backup): no VIP on it');
  return { a, b };
}

/** C reaches the VIP on A at the virtual MAC; A is stopped; C reaches it on B at the same MAC. */
async function failOverUnderClient(t: Test, lan: Lan, family: 4 | 6, a: Runner, b: Runner): Promise<void> {
  const vip = VIP[family];
  await eventually('C pings the VIP on A', () => ping(lan.ns.c, vip));
  t.equal(neighbourMac(lan.ns.c, vip), VIRTUAL_MAC[family], 'C’s neighbour entry for the VIP is the virtual MAC');

  a.kill('SIGTERM');
  t.equal((await a.exited).code, 0, 'A exits 0 on SIGTERM');
  await b.waitForState('Master');
  await eventually('VIP on B’s VMAC', () => hasAddress(lan.ns.b, VMAC, vip));
  await eventually('C pings the VIP on B', () => ping(lan.ns.c, vip));
  t.equal(neighbourMac(lan.ns.c, vip), VIRTUAL_MAC[family], 'C’s entry still has the same MAC');
  t.ok(ping(lan.ns.c, vip), 'and pings go on');
  t.equal(link(lan.ns.a, VMAC), undefined, 'SIGTERM removed A’s VMAC');
}

/** B stops and its VMAC goes; the adverts captured: rows of [eth.src, ip(v6).src, vrrp.prio]. */
async function stopAndReadAdverts(t: Test, lan: Lan, family: 4 | 6, b: Runner): Promise<string[][]> {
  b.kill('SIGTERM');
  t.equal((await b.exited).code, 0, 'B exits 0 on SIGTERM');
  t.equal(link(lan.ns.b, VMAC), undefined, 'B’s VMAC is gone');
  await lan.stopCapture();
  const rows = capturedFields(lan.pcap, 'vrrp', ['eth.src', family === 4 ? 'ip.src' : 'ipv6.src', 'vrrp.prio']);
  t.ok(
    rows.some((r) => r[2] === '0'),
    'the priority-0 adverts sent at stop were captured',
  );
  t.same(
    [...new Set(rows.map((r) => r[0]))],
    [VIRTUAL_MAC[family]],
    'every advert (priority 0 ones included) has eth.src = the virtual MAC',
  );
  return rows;
}

t.test('virtual MACs and names, as RFC 5798 7.3 and keepalived', async (t) => {
  t.equal(virtualMac(51, 4), VIRTUAL_MAC[4], 'IPv4: 00:00:5e:00:01:<vrid in hex>');
  t.equal(virtualMac(51, 6), VIRTUAL_MAC[6], 'IPv6: 00:00:5e:00:02:<vrid in hex>');
  t.equal(virtualMac(255, 6), '00:00:5e:00:02:ff', 'IPv6: 00:00:5e:00:02:ff for VRID 255');
  t.equal(virtualMac(1, 4), '00:00:5e:00:01:01', 'two hex digits');
  t.equal(defaultVmacName(51), VMAC, 'name vrrp.<vrid>');
  const plan = planVmac(true, { name: 'VI_6', interface: 'eth0', vrid: 7, family: 6 }, 'routers[0]');
  t.same(
    plan,
    { router: 'VI_6', vrid: 7, family: 6, parent: 'eth0', name: 'vrrp.7', mac: '00:00:5e:00:02:07' },
    'an IPv6 router: vrrp.<vrid> too (keepalived 2.2.7 names it so), MAC 00:00:5e:00:02:<vrid>',
  );
});

t.test('useVmac mistakes are configuration errors naming the field (no root needed)', async (t) => {
  const router = {
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    priority: 100,
    primaryAddress: '192.0.2.1',
    virtualAddresses: [VIP[4]],
  };
  const cases: [string, unknown, RegExp][] = [
    [
      'a name longer than 15 characters',
      { useVmac: 'vrrp-is-too-long' },
      /routers\[0\]\.useVmac: .*not a valid interface name/,
    ],
    ['a name with a slash', { useVmac: 'vrrp/51' }, /routers\[0\]\.useVmac/],
    ['the parent’s own name', { useVmac: 'eth0' }, /routers\[0\]\.useVmac: .*parent/],
    ['a number', { useVmac: 1 }, /routers\[0\]\.useVmac: must be true, false or an interface name/],
  ];
  for (const [what, extra, message] of cases) {
    await t.rejects(
      startLinuxEngine({ routers: [{ ...router, ...(extra as object) }] }),
      { name: 'ConfigError', message },
      what,
    );
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

t.test('useVmac: bin/vrrp-engine on a virtual MAC (IPv4)', { skip: skip ?? false }, async (t) => {
  const lan = await buildLan(t, 4);
  const { ns } = lan;
  await t.test('a VMAC left by a kill -9 is removed at the next start', (t) => leaveVmacBehind(t, lan, 4));

  let routers: { a: Runner; b: Runner } | undefined;
  await t.test('the Master has the VMAC with the VIP; the Backup has it up and empty', async (t) => {
    routers = await electOnVmacs(t, lan, 4);
    const vmacA = link(ns.a, VMAC)!;
    t.notOk(
      vmacA.addr_info?.some((x) => x.family === 'inet6'),
      'A: no IPv6 address on an IPv4 VMAC',
    );
    t.same(link(ns.b, VMAC)!.addr_info ?? [], [], 'B (Backup): no address at all on it');
    t.same(
      ['arp_ignore', 'accept_local', 'rp_filter', 'promote_secondaries'].map((k) =>
        sysctl(ns.a, `ipv4/conf/${VMAC}/${k}`),
      ),
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
  if (!routers) return;
  const { a, b } = routers;

  await t.test('the client reaches the VIP at the virtual MAC, before and after failover', async (t) => {
    await failOverUnderClient(t, lan, 4, a, b);
    t.same(
      ['arp_ignore', 'arp_filter', 'arp_announce'].map((k) => sysctl(ns.a, `ipv4/conf/${dev.a}/${k}`)),
      ['0', '0', '0'],
      'A’s parent has its ARP settings back',
    );
  });

  await t.test('a VMAC name held by another interface is refused with EEXIST', async (t) => {
    ip(
      '-n',
      ns.a,
      'link',
      'add',
      VMAC,
      'link',
      dev.a,
      'address',
      '02:00:00:00:00:01',
      'type',
      'macvlan',
      'mode',
      'private',
    );
    const refused = lan.start(ns.a, lan.configA);
    const { code } = await refused.exited;
    t.not(code, 0, 'the runner does not start');
    t.match(refused.stderr, /EEXIST/, 'stderr says EEXIST');
    t.match(refused.stderr, /02:00:00:00:00:01/, 'and names the MAC it found');
    t.equal(link(ns.a, VMAC)?.address, '02:00:00:00:00:01', 'the other interface is left alone');
    ip('-n', ns.a, 'link', 'del', VMAC);
  });

  await t.test('SIGTERM removes the Backup-turned-Master’s VMAC; adverts carried the virtual MAC', async (t) => {
    const rows = await stopAndReadAdverts(t, lan, 4, b);
    const senders = new Set(rows.filter((r) => r[2] !== '0').map((r) => r[1]));
    t.same([...senders].sort(), ['192.0.2.1', '192.0.2.2'], 'adverts from both routers were captured');
    const garps = capturedFields(lan.pcap, `arp.src.proto_ipv4 == ${VIP[4]}`, ['eth.src', 'arp.src.hw_mac']);
    t.ok(garps.length > 0, 'gratuitous ARPs for the VIP were captured');
    t.same(
      [...new Set(garps.map((g) => g.join(' ')))],
      [`${VIRTUAL_MAC[4]} ${VIRTUAL_MAC[4]}`],
      'they carry the virtual MAC, as source and sender',
    );
  });
});

t.test('useVmac: bin/vrrp-engine on a virtual MAC (IPv6)', { skip: skip ?? false }, async (t) => {
  const lan = await buildLan(t, 6);
  const { ns } = lan;
  await t.test('a VMAC left by a kill -9 is removed at the next start', (t) => leaveVmacBehind(t, lan, 6));

  let routers: { a: Runner; b: Runner } | undefined;
  await t.test(
    'the Master has the VMAC with the VIP and its parent’s link-local; the Backup has it up with only the link-local',
    async (t) => {
      routers = await electOnVmacs(t, lan, 6);
      const vmacA = link(ns.a, VMAC)!;
      const details = (JSON.parse(ip('-n', ns.a, '-json', '-details', 'link', 'show', 'dev', VMAC)) as IpLink[])[0];
      t.equal(details?.inet6_addr_gen_mode, 'none', 'A: addrgenmode none (no link-local made from the shared MAC)');
      const linkLocalsA = (vmacA.addr_info ?? []).filter((x) => x.scope === 'link');
      t.same(
        linkLocalsA.map((x) => [x.local, x.prefixlen, x.nodad === true, x.deprecated === true]),
        [[linkLocal.a, 64, true, true]],
        'A: one link-local, the parent’s own, /64, nodad and deprecated (as keepalived 2.2.7)',
      );
      t.ok(hasAddress(ns.a, dev.a, linkLocal.a), 'A: the parent keeps its link-local');
      t.same(
        (link(ns.b, VMAC)!.addr_info ?? []).map((x) => x.local),
        [linkLocal.b],
        'B (Backup): only its parent’s link-local on the VMAC',
      );
      t.same(
        ['disable_ipv6', 'addr_gen_mode'].map((k) => sysctl(ns.a, `ipv6/conf/${VMAC}/${k}`)),
        ['0', '1'],
        'VMAC: disable_ipv6=0 addr_gen_mode=1',
      );
      t.same(
        ['arp_ignore', 'arp_filter', 'arp_announce'].map((k) => sysctl(ns.a, `ipv4/conf/${dev.a}/${k}`)),
        ['0', '0', '0'],
        'parent: its IPv4 ARP settings untouched for an IPv6 VMAC (as keepalived)',
      );
      const started = routers.a.find((l) => l.event === 'started') as
        | { routers?: { primaryAddress?: string }[] }
        | undefined;
      t.equal(started?.routers?.[0]?.primaryAddress, linkLocal.a, 'A sends from its parent’s link-local');
    },
  );
  if (!routers) return;
  const { a, b } = routers;

  await t.test('the client reaches the VIP at the virtual MAC, before and after failover', (t) =>
    failOverUnderClient(t, lan, 6, a, b),
  );

  await t.test(
    'adverts and unsolicited NAs left from the virtual MAC; adverts from each parent’s link-local',
    async (t) => {
      const rows = await stopAndReadAdverts(t, lan, 6, b);
      const senders = new Set(rows.map((r) => r[1]));
      t.same(
        [...senders].sort(),
        [linkLocal.a, linkLocal.b],
        'adverts (priority 0 ones included) came from the parents’ link-locals only',
      );
      // Unsolicited only: a solicited NA answering a unicast NS carries no target link-layer option.
      const unsolicited = `icmpv6.type == 136 && icmpv6.nd.na.flag.s == 0 && icmpv6.nd.na.target_address == ${VIP[6]}`;
      const nas = capturedFields(lan.pcap, unsolicited, ['eth.src', 'icmpv6.opt.linkaddr']);
      t.ok(
        nas.length >= 10,
        `unsolicited NAs for the VIP were captured from both Masters, 5 at once each (${nas.length})`,
      );
      t.same(
        [...new Set(nas.map((n) => n.join(' ')))],
        [`${VIRTUAL_MAC[6]} ${VIRTUAL_MAC[6]}`],
        'every one has eth.src and target link-layer address = the virtual MAC',
      );
      const answers = capturedFields(lan.pcap, `icmpv6.type == 136 && icmpv6.nd.na.target_address == ${VIP[6]}`, [
        'eth.src',
        'icmpv6.nd.na.flag.s',
        'icmpv6.opt.linkaddr',
      ]);
      t.ok(
        answers.some((n) => n[1] === '1'),
        'the client’s neighbour solicitations for the VIP were answered (solicited NAs)',
      );
      t.same(
        [...new Set(answers.map((n) => n[0]))],
        [VIRTUAL_MAC[6]],
        'every NA for the VIP, solicited ones included, left from the virtual MAC',
      );
      t.ok(
        answers.every((n) => n[2] === '' || n[2] === VIRTUAL_MAC[6]),
        'and none names another link-layer address (a parent’s MAC never answers for the VIP)',
      );
    },
  );
});
