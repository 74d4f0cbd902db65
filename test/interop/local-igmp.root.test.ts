// disable_local_igmp beside keepalived 2.2.7 (issue 13): three routers with a use_vmac instance, each
// alone on its VRID. keepalived (r1) and vrrpd (r2) read a file with disable_local_igmp, vrrpd (r3)
// one without. In each router's namespace net.ipv4.igmp_link_local_mcast_reports is read before,
// while running and after stop; on the bridge, the IGMP frames each router sends are counted. Both
// readers of the keyword: 1 -> 0 while running -> 1 after, and no IGMP report (for 224.0.0.18, the
// group their sockets join) on the wire; without it the sysctl stays 1 and reports go out.

import t from 'tap';
import { Harness, skipReason, sleep } from '../netns/harness.js';
import { run } from '../netns/lan.js';
import { NamespaceProcess } from '../netns/process.js';
import { MARGIN_MS, STARTUP_MS } from '../netns/timing.js';
import { soloConf } from './solo-conf.js';

const SYSCTL = '/proc/sys/net/ipv4/igmp_link_local_mcast_reports';
const conf = (vrid: number, disable: boolean) =>
  soloConf(disable ? ['disable_local_igmp'] : [], 'VI_igmp', vrid, ['use_vmac']);

const skip = skipReason(['keepalived', 'tcpdump']) ?? false;

t.test('disable_local_igmp: the sysctl and the wire, vrrpd beside keepalived', { skip }, async (t) => {
  const h = await Harness.create(t, 'ig', 3, { capture: false });
  const igmp = new NamespaceProcess('tcpdump-igmp', h.lan.bridgeNamespace, 'tcpdump', [
    ...['-i', 'br0', '--immediate-mode', '-l', '-n', '-e', 'igmp'],
  ]);
  t.teardown(() => igmp.stop());
  await igmp.waitForLine((l) => l.text.includes('listening on'), 10_000, 'tcpdump listening');
  const sysctl = (node: string) => run('ip', ['netns', 'exec', h.node(node).namespace, 'cat', SYSCTL]).trim();
  const nodes = { r1: 91, r2: 92, r3: 93 } as const;
  const before = Object.keys(nodes).map(sysctl);
  const processes = {
    r1: h.startKeepalived('r1', [], { confText: conf(nodes.r1, true) }),
    r2: h.startVrrpd('r2', [], { confText: conf(nodes.r2, true) }),
    r3: h.startVrrpd('r3', [], { confText: conf(nodes.r3, false) }),
  };
  await Promise.all(Object.values(processes).map((p) => p.waitForState('VI_igmp', 'Backup', STARTUP_MS)));
  // A join's unsolicited reports repeat over about a second (robustness 2): wait them out, and the
  // takeover (use_vmac: the VMAC's own sockets) too.
  await Promise.all(Object.values(processes).map((p) => p.waitForState('VI_igmp', 'Master', 5000 + MARGIN_MS)));
  await sleep(2000);
  const running = Object.keys(nodes).map(sysctl);
  for (const p of Object.values(processes)) await p.stop();
  const after = Object.keys(nodes).map(sysctl);
  await sleep(300);
  const macs = (node: keyof typeof nodes) => [
    h.node(node).mac,
    `00:00:5e:00:01:${nodes[node].toString(16).padStart(2, '0')}`,
  ];
  // tcpdump -e: "TIME SRC_MAC > DST_MAC, ethertype IPv4 ..., length N: SRC > DST: igmp ..."
  const sentBy = (node: keyof typeof nodes) =>
    igmp.lines.filter((l) => macs(node).includes(l.text.split(' ')[1] ?? '')).map((l) => l.text);
  t.comment(`sysctl before ${before}, running ${running}, after ${after}`);
  t.comment(`IGMP from r3 (no disable_local_igmp):\n${sentBy('r3').join('\n')}`);
  t.same(before, ['1', '1', '1'], "the kernel's default in each namespace");
  t.same(running, ['0', '0', '1'], 'keepalived and vrrpd with disable_local_igmp: 0 while running; r3 untouched');
  t.same(after, ['1', '1', '1'], 'both put it back at stop');
  t.same(sentBy('r1'), [], 'keepalived: no IGMP report');
  t.same(sentBy('r2'), [], 'vrrpd: no IGMP report');
  t.ok(sentBy('r3').length > 0, 'without the keyword the kernel reports the join');
});
