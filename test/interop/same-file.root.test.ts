// bin/vrrpd and keepalived 2.2.7 reading the very same keepalived.conf, as a fleet deploys one file to
// every host: what differs per host is written on `@host` lines, which each process keeps or drops by
// its config id (keepalived's default: the host name; each router runs in a UTS namespace named after
// its node). r1 and r3 run bin/vrrpd, r2 keepalived.
//   VI_same (VRID 91, VRRPv3 multicast, 0.5 s):           r1 200 > r2 150 > r3 100
//   VI_peer (VRID 92, VRRPv2 unicast + PASS, 1 s; each host's source on an @ line, the peers on @^
//            lines, as keepalived's man page shows):    r2 200 > r3 150 > r1 100
// Story: election (vrrpd Master of one, keepalived of the other); SIGTERM r1 (vrrpd): keepalived takes
// VI_same; SIGTERM r2 (keepalived): vrrpd on r3 takes both. tshark judges every vrrpd advert, and
// keepalived logs no complaint about them.
// Then OpenShift's form: one peer list naming every node, the host's own address included, and no
// unicast_src_ip (keepalived runs it).

import t from 'tap';
import { Harness, holdersOf, judgeAdverts, skipReason, waitUntil, type RouterProcess } from '../netns/harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';
import { KEEPALIVED_COMPLAINT } from './story.js';

const VIP = { same: '192.0.2.91', peer: '192.0.2.92' } as const;
const ADDRESS = { r1: '192.0.2.1', r2: '192.0.2.2', r3: '192.0.2.3' } as const;
const SAME_PRIORITY = { r1: 200, r2: 150, r3: 100 } as const;
const PEER_PRIORITY = { r1: 100, r2: 200, r3: 150 } as const;
const PASSWORD = 'onefile';
type Node = keyof typeof ADDRESS;
const NODES = Object.keys(ADDRESS) as Node[];

/** One file for every host: each host's own lines start with @<host>, lines for the others with @^<host>. */
const SHARED_CONF = [
  'global_defs {',
  ...NODES.map((n) => `  @${n} router_id ${n}`),
  '}',
  'vrrp_instance VI_same {',
  '  state BACKUP',
  '  interface eth0',
  '  version 3',
  '  virtual_router_id 91',
  ...NODES.map((n) => `  @${n} priority ${SAME_PRIORITY[n]}`),
  '  advert_int 0.5',
  '  virtual_ipaddress {',
  `    ${VIP.same}/32`,
  '  }',
  '}',
  'vrrp_instance VI_peer {',
  '  state BACKUP',
  '  interface eth0',
  '  version 2',
  '  virtual_router_id 92',
  ...NODES.map((n) => `  @${n} priority ${PEER_PRIORITY[n]}`),
  '  advert_int 1',
  '  authentication {',
  '    auth_type PASS',
  `    auth_pass ${PASSWORD}`,
  '  }',
  ...NODES.map((n) => `  @${n} unicast_src_ip ${ADDRESS[n]}`),
  '  unicast_peer {',
  ...NODES.map((n) => `    @^${n} ${ADDRESS[n]}`),
  '  }',
  '  virtual_ipaddress {',
  `    ${VIP.peer}/32`,
  '  }',
  '}',
  '',
].join('\n');

const skip = skipReason(['keepalived', 'unshare']) ?? false;

t.test('bin/vrrpd and keepalived 2.2.7 on one keepalived.conf with @host lines', { skip }, async (t) => {
  const h = await Harness.create(t, 'isf', 3);
  h.watchVips([VIP.same, VIP.peer]);
  const options = (n: Node) => ({ confText: SHARED_CONF, hostname: n });
  const procs: Record<Node, RouterProcess> = {
    r1: h.startVrrpd('r1', [], options('r1')),
    r2: h.startKeepalived('r2', [], options('r2')),
    r3: h.startVrrpd('r3', [], options('r3')),
  };
  const down = (priority: number, instance: 'VI_same' | 'VI_peer') =>
    (instance === 'VI_same' ? masterDownMs(priority, 50, 3) : masterDownMs(priority, 100, 2)) + MARGIN_MS;
  const oneHolder = (vip: string, node: Node) =>
    waitUntil(
      async () => {
        const hs = await holdersOf(h.lan, vip);
        return hs.length === 1 && hs[0] === node ? hs : undefined;
      },
      4000,
      `${vip} on ${node} only`,
    ).catch(() => holdersOf(h.lan, vip));

  await t.test('election: each process kept its own @ lines', async (t) => {
    await procs.r1.waitForState('VI_same', 'Master', down(200, 'VI_same') + STARTUP_MS);
    await procs.r2.waitForState('VI_peer', 'Master', down(200, 'VI_peer') + STARTUP_MS);
    for (const [node, instance] of [
      ['r2', 'VI_same'],
      ['r3', 'VI_same'],
      ['r1', 'VI_peer'],
      ['r3', 'VI_peer'],
    ] as const) {
      await procs[node].waitForState(instance, 'Backup', STARTUP_MS);
    }
    // Three of the slowest Master_Down_Intervals later nobody has changed its mind.
    await new Promise((r) => setTimeout(r, masterDownMs(100, 100, 2)));
    t.same(
      NODES.map((n) => `${n}:${procs[n].stateOf('VI_same')}`),
      ['r1:Master', 'r2:Backup', 'r3:Backup'],
      'VI_same: vrrpd on r1 Master (priority 200 from its @r1 line)',
    );
    t.same(
      NODES.map((n) => `${n}:${procs[n].stateOf('VI_peer')}`),
      ['r1:Backup', 'r2:Master', 'r3:Backup'],
      'VI_peer: keepalived on r2 Master, both vrrpd Backup',
    );
    t.same(await oneHolder(VIP.same, 'r1'), ['r1'], `ip addr: ${VIP.same} on r1 only`);
    t.same(await oneHolder(VIP.peer, 'r2'), ['r2'], `ip addr: ${VIP.peer} on r2 only`);
  });

  await t.test('SIGTERM vrrpd on r1: keepalived takes VI_same', async (t) => {
    const since = procs.r2.mark();
    t.same(await procs.r1.stop(5000), { code: 0, signal: null }, 'vrrpd exits 0');
    await procs.r2.waitForState('VI_same', 'Master', down(150, 'VI_same'), since);
    t.same(await oneHolder(VIP.same, 'r2'), ['r2'], `ip addr: ${VIP.same} on r2 only`);
    t.equal(procs.r3.stateOf('VI_same'), 'Backup', 'vrrpd on r3 stays Backup');
  });

  await t.test('SIGTERM keepalived on r2: vrrpd on r3 takes both', async (t) => {
    const since = procs.r3.mark();
    await procs.r2.stop(5000);
    const same = await procs.r3.waitForState('VI_same', 'Master', down(100, 'VI_same'), since);
    const peer = await procs.r3.waitForState('VI_peer', 'Master', down(150, 'VI_peer'), since);
    t.equal(same.reason, 'master-down-timer', "VI_same: r3 Master on keepalived's priority-0 advert or its silence");
    t.equal(peer.reason, 'master-down-timer', 'VI_peer: r3 Master');
    t.same(await oneHolder(VIP.same, 'r3'), ['r3'], `ip addr: ${VIP.same} on r3 only`);
    t.same(await oneHolder(VIP.peer, 'r3'), ['r3'], `ip addr: ${VIP.peer} on r3 only`);
    // A few of r3's VI_peer adverts for tshark to judge.
    await new Promise((r) => setTimeout(r, 3000));
  });

  await h.stopWatching();
  t.same(
    h.vipViolations((vip) => (vip === VIP.same ? 'VI_same' : 'VI_peer')),
    [],
    `VIPs only ever on a Master (${h.vipSamples} samples)`,
  );
  const frames = (await h.stopCapture()).vrrp();
  const macs = [h.node('r1').mac, h.node('r3').mac];
  const same = judgeAdverts(frames, {
    macs,
    version: 3,
    vrid: 91,
    priorities: [200, 100],
    intervalCs: 50,
    addresses: [VIP.same],
  });
  t.ok(same.count > 3, `VI_same: ${same.count} vrrpd adverts`);
  t.same(same.problems, [], 'VI_same: tshark finds every vrrpd advert valid VRRPv3 (checksum, TTL 255, fields)');
  const peer = judgeAdverts(frames, {
    macs,
    version: 2,
    vrid: 92,
    priorities: [100, 150],
    intervalCs: 100,
    addresses: [VIP.peer],
    authString: PASSWORD,
  });
  t.ok(peer.count > 3, `VI_peer: ${peer.count} vrrpd adverts`);
  t.same(peer.problems, [], 'VI_peer: tshark finds every vrrpd advert valid VRRPv2 with the password');
  const r3Unicast = new Set(
    frames
      .filter((f) => f.vrid === 92 && f.ethSource === h.node('r3').mac)
      .map((f) => `${f.source} -> ${f.destination}`),
  );
  t.same(
    [...r3Unicast].sort(),
    [`${ADDRESS.r3} -> ${ADDRESS.r1}`, `${ADDRESS.r3} -> ${ADDRESS.r2}`],
    "r3's VI_peer adverts: from its @r3 source to the two @^r3 peers",
  );
  const complaints = procs.r2.lines
    .filter((l) => KEEPALIVED_COMPLAINT.test(l.text) && !/auth_pass|NOTICE/.test(l.text))
    .map((l) => l.text);
  t.same(complaints, [], 'keepalived logged no complaint about vrrpd adverts');
});

/** OpenShift's ipfailover form: every node in unicast_peer, the host itself included, no unicast_src_ip. */
const OPENSHIFT_CONF = [
  'vrrp_instance VI_os {',
  '  state BACKUP',
  '  interface eth0',
  '  virtual_router_id 93',
  '  @r1 priority 200',
  '  @r2 priority 100',
  '  advert_int 1',
  '  unicast_peer {',
  `    ${ADDRESS.r1}`,
  `    ${ADDRESS.r2}`,
  '  }',
  '  virtual_ipaddress {',
  '    192.0.2.93/32',
  '  }',
  '}',
  '',
].join('\n');

t.test(
  'OpenShift peer list (own address included, no unicast_src_ip): vrrpd beside keepalived',
  {
    skip,
  },
  async (t) => {
    const h = await Harness.create(t, 'ios', 2, { capture: false });
    const vrrpd = h.startVrrpd('r1', [], { confText: OPENSHIFT_CONF, hostname: 'r1' });
    const keepalived = h.startKeepalived('r2', [], { confText: OPENSHIFT_CONF, hostname: 'r2' });
    const exited = vrrpd.exited.then((info) =>
      Promise.reject(new Error(`vrrpd exited (${JSON.stringify(info)}):\n${vrrpd.tail(5)}`)),
    );
    exited.catch(() => undefined); // when vrrpd is stopped at teardown, after the race
    await keepalived.waitForState('VI_os', 'Backup', STARTUP_MS);
    await Promise.race([
      vrrpd.waitForState('VI_os', 'Master', masterDownMs(200, 100, 2) + MARGIN_MS + STARTUP_MS),
      exited,
    ]);
    // On a slow start keepalived may take over first and step down a moment after vrrpd's first
    // advert: its latest state, not its first Backup line, is what must be Backup.
    const settled = await waitUntil(
      async () => (keepalived.stateOf('VI_os') === 'Backup' ? true : undefined),
      2000,
      'keepalived Backup',
    ).catch(() => false);
    t.ok(settled, 'keepalived (priority 100) Backup under vrrpd (200)');
    t.same(await holdersOf(h.lan, '192.0.2.93'), ['r1'], 'ip addr: the VIP on r1');
  },
);
