// bin/vrrpd (r1) and keepalived 2.2.7 (r2) on one keepalived.conf of VMAC instances: the VMAC names
// vmac_prefix gives, and where adverts leave from with vmac_xmit_base, without it, and with unicast
// peers (keepalived turns vmac_xmit_base on for those). tshark on the bridge judges every advert.
//   VI_base  (VRID 61, use_vmac + vmac_xmit_base, multicast)   r1 200 > r2 100
//   VI_vmac  (VRID 62, use_vmac, multicast)                      r1 200 > r2 100
//   VI_uni   (VRID 63, use_vmac + unicast peers, no xmit_base)   r2 200 > r1 100
//   VI_base2 (VRID 64, use_vmac + vmac_xmit_base, multicast)   r2 200 > r1 100
//   VI_addr  (VRID 65, no use_vmac; use_vmac_addr, a VIP with use_vmac, an IPv6 excluded address;
//             vmac_addr_prefix va)                              r1 200 > r2 100
//   VI_base6 (VRID 66, IPv6 VRRPv3, use_vmac + vmac_xmit_base)  r1 200 > r2 100
// Each side is Master of some and must hear the other's adverts for the rest (a Backup that heard
// nothing would take over after its Master_Down_Interval). Then keepalived stops and vrrpd takes all
// of them, so both programs' adverts of every instance are on the wire.

import { execFileSync } from 'node:child_process';
import t from 'tap';
import { Harness, judgeAdverts, skipReason, waitUntil, type RouterProcess } from './harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from './timing.js';

const PREFIX = 'averyverylongprefix';
/** keepalived cuts the prefix so that `<prefix>.<vrid>` fits in 15 bytes. */
const VMAC = (vrid: number) => `averyverylon.${vrid}`;
const VIRTUAL_MAC = (vrid: number) => `00:00:5e:00:01:${vrid.toString(16)}`;
const VIRTUAL_MAC6 = (vrid: number) => `00:00:5e:00:02:${vrid.toString(16)}`;
const EXCLUDED_V6 = '2001:db8::65';
const ADDRESS = { r1: '192.0.2.1', r2: '192.0.2.2' } as const;
type Node = keyof typeof ADDRESS;
const NODES = Object.keys(ADDRESS) as Node[];

interface Instance {
  readonly name: string;
  readonly vrid: number;
  readonly priority: Record<Node, number>;
  readonly lines: readonly string[];
  /** The virtual_ipaddress lines; default one IPv4 VIP, 192.0.2.<vrid>/24. */
  readonly vips?: readonly string[];
}
const INSTANCES: readonly Instance[] = [
  { name: 'VI_base', vrid: 61, priority: { r1: 200, r2: 100 }, lines: ['use_vmac', 'vmac_xmit_base'] },
  { name: 'VI_vmac', vrid: 62, priority: { r1: 200, r2: 100 }, lines: ['use_vmac'] },
  {
    name: 'VI_uni',
    vrid: 63,
    priority: { r1: 100, r2: 200 },
    lines: [
      'use_vmac',
      ...NODES.map((n) => `@${n} unicast_src_ip ${ADDRESS[n]}`),
      'unicast_peer {',
      ...NODES.map((n) => `@^${n} ${ADDRESS[n]}`),
      '}',
    ],
  },
  { name: 'VI_base2', vrid: 64, priority: { r1: 100, r2: 200 }, lines: ['use_vmac', 'vmac_xmit_base'] },
  {
    name: 'VI_addr',
    vrid: 65,
    priority: { r1: 200, r2: 100 },
    lines: ['use_vmac_addr', 'virtual_ipaddress_excluded {', `  ${EXCLUDED_V6}/64`, '}'],
  },
  {
    name: 'VI_base6',
    vrid: 66,
    priority: { r1: 200, r2: 100 },
    lines: ['use_vmac', 'vmac_xmit_base'],
    vips: ['fe80::66', '2001:db8::66/64'],
  },
];
/** The IPv4 instances (VI_base6 is VRRPv3 over IPv6). */
const V4 = INSTANCES.filter((i) => i.vips === undefined);
/** VI_addr's VIP line says use_vmac; its IPv6 excluded address is put on a VMAC by use_vmac_addr. */
const VIP_OPTIONS: Readonly<Record<string, string>> = { VI_addr: ' use_vmac' };
const vipOf = (vrid: number) => `192.0.2.${vrid}`;

const CONF = [
  'global_defs {',
  ...NODES.map((n) => `  @${n} router_id ${n}`),
  `  vmac_prefix ${PREFIX}`,
  '  vmac_addr_prefix va',
  '}',
  ...INSTANCES.flatMap((i) => [
    `vrrp_instance ${i.name} {`,
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${i.vrid}`,
    ...NODES.map((n) => `  @${n} priority ${i.priority[n]}`),
    '  advert_int 1',
    ...i.lines.map((l) => `  ${l}`),
    '  virtual_ipaddress {',
    ...(i.vips ?? [`${vipOf(i.vrid)}/24${VIP_OPTIONS[i.name] ?? ''}`]).map((v) => `    ${v}`),
    '  }',
    '}',
  ]),
  '',
].join('\n');

interface Link {
  readonly ifname: string;
  readonly address: string;
  readonly link?: string;
  readonly linkinfo?: { readonly info_kind?: string };
  readonly addr_info?: readonly { readonly family: string; readonly local: string; readonly scope: string }[];
}

/** The macvlans in a namespace: name -> "MAC on parent [addresses]". */
function macvlans(namespace: string): Record<string, string> {
  const links = JSON.parse(
    execFileSync('ip', ['-n', namespace, '-j', '-d', 'addr', 'show'], { encoding: 'utf8' }),
  ) as Link[];
  return Object.fromEntries(
    links
      .filter((l) => l.linkinfo?.info_kind === 'macvlan')
      .map((l) => {
        // Global addresses: keepalived also copies the parent's link-local onto an IPv6 VMAC made for addresses.
        const global = (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => a.local);
        return [l.ifname, `${l.address} on ${l.link ?? '?'} [${global.join(' ')}]`];
      }),
  );
}

const skip = skipReason(['keepalived', 'unshare']) ?? false;

t.test('VMAC instances: bin/vrrpd and keepalived 2.2.7 on one file', { skip }, async (t) => {
  const h = await Harness.create(t, 'vmk', 2);
  const options = (n: Node) => ({ confText: CONF, hostname: n });
  const masterOf = (i: Instance): Node => (i.priority.r1 > i.priority.r2 ? 'r1' : 'r2');
  // keepalived first, alone until it is Master of all four, so that every instance has both programs' adverts.
  const keepalived = h.startKeepalived('r2', [], options('r2'));
  for (const i of INSTANCES) await keepalived.waitForState(i.name, 'Master', masterDownMs(100, 100, 2) + STARTUP_MS);
  const procs: Record<Node, RouterProcess> = { r1: h.startVrrpd('r1', [], options('r1')), r2: keepalived };

  await t.test('vrrpd starts: preempts where its priority is 200, stays Backup where keepalived’s is', async (t) => {
    for (const i of INSTANCES) {
      const master = masterOf(i);
      const backup = master === 'r1' ? 'r2' : 'r1';
      await procs[master].waitForState(i.name, 'Master', masterDownMs(200, 100, 2) + STARTUP_MS);
      await procs[backup].waitForState(i.name, 'Backup', STARTUP_MS);
    }
    // Three Master_Down_Intervals of the Backups later nobody has changed its mind: each hears the other.
    await new Promise((r) => setTimeout(r, 3 * masterDownMs(100, 100, 2)));
    for (const node of NODES) {
      t.same(
        INSTANCES.map((i) => `${i.name}:${procs[node].stateOf(i.name)}`),
        INSTANCES.map((i) => `${i.name}:${masterOf(i) === node ? 'Master' : 'Backup'}`),
        `${node} (${procs[node].kind}): Master where its priority is 200, Backup where the other's is`,
      );
    }
  });

  await t.test('VMACs: the same names and MACs from both, the VIP on the Master’s', async (t) => {
    for (const node of NODES) {
      const held = (i: Instance, address: string) => (masterOf(i) === node ? address : '');
      const addr = INSTANCES.find((i) => i.name === 'VI_addr')!;
      const expected = Object.fromEntries([
        ...V4.filter((i) => i !== addr).map((i) => [
          VMAC(i.vrid),
          `${VIRTUAL_MAC(i.vrid)} on eth0 [${held(i, vipOf(i.vrid))}]`,
        ]),
        // With vmac_xmit_base an IPv6 VMAC has no link-local address of its own: only the VIPs.
        [VMAC(66), `${VIRTUAL_MAC6(66)} on eth0 [${held(INSTANCES.at(-1)!, '2001:db8::66')}]`],
        // VI_addr has no VMAC of its own: one per family for its addresses, named from vmac_addr_prefix.
        ['va.65', `${VIRTUAL_MAC(65)} on eth0 [${held(addr, vipOf(65))}]`],
        ['va6.65', `${VIRTUAL_MAC6(65)} on eth0 [${held(addr, EXCLUDED_V6)}]`],
      ]);
      const seen = await waitUntil(
        async () => {
          const now = macvlans(h.node(node).namespace);
          return JSON.stringify(now) === JSON.stringify(expected) ? now : undefined;
        },
        4000,
        `${node}'s VMACs`,
      ).catch(() => macvlans(h.node(node).namespace));
      t.same(
        seen,
        expected,
        `${node} (${procs[node].kind}): ${PREFIX} cut to averyverylon, va for VI_addr's; the Master's addresses on them`,
      );
    }
  });

  await t.test('SIGTERM keepalived: vrrpd takes the rest', async (t) => {
    const since = procs.r1.mark();
    await procs.r2.stop(5000);
    for (const i of INSTANCES.filter((i) => masterOf(i) === 'r2')) {
      await procs.r1.waitForState(i.name, 'Master', masterDownMs(100, 100, 2) + MARGIN_MS, since);
    }
    t.same(
      INSTANCES.map((i) => procs.r1.stateOf(i.name)),
      INSTANCES.map(() => 'Master'),
      'vrrpd Master of all',
    );
    // A few adverts of each for tshark.
    await new Promise((r) => setTimeout(r, 3000));
    t.same(await procs.r1.stop(5000), { code: 0, signal: null }, 'vrrpd exits 0');
    t.same(macvlans(h.node('r1').namespace), {}, 'vrrpd removed its VMACs');
  });

  const capture = await h.stopCapture();
  const frames = capture.vrrp();
  const arps = capture.gratuitousArps();
  const nas = capture.unsolicitedNas();
  const mac = { r1: h.node('r1').mac, r2: h.node('r2').mac } as const;
  const sendersOf = (vrid: number) =>
    [
      ...new Set(frames.filter((f) => f.vrid === vrid).map((f) => `${f.ethSource} ${f.source} -> ${f.destination}`)),
    ].sort();
  const base = (node: Node, destination = '224.0.0.18') => `${mac[node]} ${ADDRESS[node]} -> ${destination}`;
  t.same(
    sendersOf(61),
    [base('r1'), base('r2')].sort(),
    'VI_base (vmac_xmit_base): keepalived’s and vrrpd’s adverts, each from its base MAC and address',
  );
  t.same(
    sendersOf(64),
    [base('r1'), base('r2')].sort(),
    'VI_base2 (vmac_xmit_base): the same with keepalived Master first',
  );
  t.same(
    sendersOf(63),
    [base('r1', ADDRESS.r2), base('r2', ADDRESS.r1)].sort(),
    'VI_uni (unicast, use_vmac): from the base interface to the peer, keepalived and vrrpd alike',
  );
  t.same(
    sendersOf(65),
    [base('r1'), base('r2')].sort(),
    'VI_addr (no use_vmac): adverts from the base interface, keepalived and vrrpd alike',
  );
  t.same(
    sendersOf(62),
    [`${VIRTUAL_MAC(62)} ${ADDRESS.r1} -> 224.0.0.18`, `${VIRTUAL_MAC(62)} ${ADDRESS.r2} -> 224.0.0.18`],
    'VI_vmac (no vmac_xmit_base): adverts from the virtual MAC, keepalived and vrrpd alike',
  );
  for (const i of V4) {
    const judged = judgeAdverts(
      frames.filter((f) => f.source === ADDRESS.r1),
      {
        macs: [mac.r1, VIRTUAL_MAC(i.vrid)],
        version: 2,
        vrid: i.vrid,
        priorities: [i.priority.r1],
        intervalCs: 100,
        addresses: [vipOf(i.vrid)],
      },
    );
    t.ok(judged.count > 2, `${i.name}: ${judged.count} vrrpd adverts`);
    t.same(judged.problems, [], `${i.name}: tshark finds every vrrpd advert valid VRRPv2`);
  }
  // The VIPs live on the VMAC whatever vmac_xmit_base says: their gratuitous ARPs carry the virtual MAC.
  for (const i of V4) {
    const announced = [
      ...new Set(arps.filter((a) => a.senderIp === vipOf(i.vrid)).map((a) => `${a.ethSource} ${a.senderMac}`)),
    ];
    t.same(
      announced,
      [`${VIRTUAL_MAC(i.vrid)} ${VIRTUAL_MAC(i.vrid)}`],
      `${i.name}: every ARP for ${vipOf(i.vrid)} (both programs) from and naming the virtual MAC`,
    );
  }
  const announcedV6 = [
    ...new Set(nas.filter((n) => n.target === EXCLUDED_V6).map((n) => `${n.ethSource} ${n.linkLayerAddress}`)),
  ];
  t.same(
    announcedV6,
    [`${VIRTUAL_MAC6(65)} ${VIRTUAL_MAC6(65)}`],
    `VI_addr: every unsolicited NA for ${EXCLUDED_V6} (both programs) from and naming the IPv6 virtual MAC`,
  );
  // VI_base6: VRRPv3 over IPv6 with vmac_xmit_base, from each base interface's link-local and MAC.
  const v6Base = (node: Node) => `${mac[node]} ${h.node(node).linkLocal} -> ff02::12`;
  t.same(
    sendersOf(66),
    [v6Base('r1'), v6Base('r2')].sort(),
    'VI_base6 (IPv6, vmac_xmit_base): adverts from the base link-local address and MAC, keepalived and vrrpd alike',
  );
  const judged6 = judgeAdverts(
    frames.filter((f) => f.ethSource === mac.r1),
    {
      macs: [mac.r1],
      version: 3,
      vrid: 66,
      priorities: [200],
      intervalCs: 100,
      addresses: ['fe80::66', '2001:db8::66'],
    },
  );
  t.ok(judged6.count > 2, `VI_base6: ${judged6.count} vrrpd adverts`);
  t.same(judged6.problems, [], 'VI_base6: tshark finds every vrrpd advert valid VRRPv3');
  t.same(
    [...new Set(nas.filter((n) => n.target === '2001:db8::66').map((n) => `${n.ethSource} ${n.linkLayerAddress}`))],
    [`${VIRTUAL_MAC6(66)} ${VIRTUAL_MAC6(66)}`],
    'VI_base6: every unsolicited NA for 2001:db8::66 (both programs) from and naming the IPv6 virtual MAC',
  );
});
