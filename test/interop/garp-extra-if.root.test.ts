// garp_extra_if beside keepalived 2.2.7 (issue 13): each process alone on its node, the same file
// but its VRID, with a second interface eth1 on the LAN and a VIP on it (`dev eth1`). With
// `garp_extra_if all 3` a Master also sends, at the first advert after each 3 s, one gratuitous ARP
// from eth1 for that VIP, and none for the VIP on its own interface eth0. Both processes' eth1 frames
// are read from the bridge capture and their spacing compared.

import t from 'tap';
import { Harness, skipReason } from '../netns/harness.js';
import type { LanNode } from '../netns/lan.js';
import { run } from '../netns/lan.js';
import { MARGIN_MS, STARTUP_MS, masterDownMs } from '../netns/timing.js';

const INTERVAL_S = 3;
const WATCH_MS = 11_000;

const conf = (vrid: number) =>
  [
    'global_defs {',
    '  vrrp_garp_master_delay 0',
    '  vrrp_garp_master_repeat 1',
    '}',
    'vrrp_instance V4 {',
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    '  priority 100',
    '  advert_int 1',
    `  garp_extra_if all ${INTERVAL_S}`,
    '  virtual_ipaddress {',
    `    192.0.2.${vrid}/32`,
    `    198.51.100.${vrid}/32 dev eth1`,
    '  }',
    '}',
    '',
  ].join('\n');

const skip = skipReason(['keepalived']) ?? false;

/** A second veth from the node to the LAN's bridge, eth1, with a fixed MAC. */
function addSecondInterface(bridgeNamespace: string, node: LanNode, index: number): string {
  const mac = `02:00:5e:02:00:0${index}`;
  const port = `q${index}`;
  run('ip', [
    '-n',
    bridgeNamespace,
    'link',
    'add',
    port,
    'type',
    'veth',
    'peer',
    'name',
    'eth1',
    'netns',
    node.namespace,
  ]);
  run('ip', ['-n', bridgeNamespace, 'link', 'set', port, 'master', 'br0', 'up']);
  run('ip', ['-n', node.namespace, 'link', 'set', 'eth1', 'address', mac]);
  run('ip', ['-n', node.namespace, 'link', 'set', 'eth1', 'up']);
  return mac;
}

t.test(`garp_extra_if all ${INTERVAL_S}: periodic GARP on eth1 as keepalived sends it`, { skip }, async (t) => {
  const h = await Harness.create(t, 'gxi', 2);
  const who = [
    { name: 'keepalived', node: h.node('r1'), vrid: 81 },
    { name: 'vrrpd', node: h.node('r2'), vrid: 91 },
  ] as const;
  const eth1 = who.map(({ node }, index) => addSecondInterface(h.lan.bridgeNamespace, node, index + 1));
  const processes = [
    h.startKeepalived('r1', [], { confText: conf(81) }),
    h.startVrrpd('r2', [], { confText: conf(91) }),
  ];
  const masterAt: number[] = [];
  for (const p of processes)
    masterAt.push((await p.waitForState('V4', 'Master', STARTUP_MS + masterDownMs(100, 100, 2) + MARGIN_MS)).atMs);
  await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
  for (const p of processes) await p.stop(3000);
  const capture = await h.stopCapture();
  const arps = capture.gratuitousArps();

  const seen = who.map(({ name, node, vrid }, index) => {
    const fromEth1 = arps.filter((f) => f.ethSource === eth1[index]).sort((a, b) => a.timeMs - b.timeMs);
    const fromEth0 = arps.filter((f) => f.ethSource === node.mac);
    const times = fromEth1.map((f) => f.timeMs);
    const gaps = times.slice(1).map((time, i) => Math.round(time - times[i]!));
    t.comment(
      `${name}: eth1 GARPs ${fromEth1.map((f) => f.senderIp).join(' ')}; gaps ${gaps.join(', ')} ms; eth0 GARPs ${fromEth0.length}`,
    );
    t.ok(fromEth1.length >= 3, `${name}: the takeover GARP and periodic ones on eth1 (${fromEth1.length})`);
    t.ok(
      fromEth1.every((f) => f.senderIp === `198.51.100.${vrid}`),
      `${name}: only the eth1 VIP on eth1`,
    );
    t.ok(
      fromEth0.every((f) => f.senderIp === `192.0.2.${vrid}`),
      `${name}: eth0 announces its own VIP only`,
    );
    t.equal(fromEth0.length, 1, `${name}: eth0 only at the takeover (garp_extra_if leaves the own interface alone)`);
    for (const gap of gaps.slice(0)) {
      // At an advert, at least the interval after the previous one, at most one advert later (plus slack).
      t.ok(gap >= INTERVAL_S * 1000 - 100, `${name}: at least ${INTERVAL_S} s apart (${gap} ms)`);
      t.ok(gap <= (INTERVAL_S + 1) * 1000 + 400, `${name}: by the next advert after it (${gap} ms)`);
    }
    // The takeover's and those at 3, 6 and 9 s: counted over the same 10.5 s from each one's Master line.
    return times.filter((time) => time >= masterAt[index]! - 500 && time <= masterAt[index]! + 10_500).length;
  });
  t.equal(seen[1], seen[0], `as many in 10.5 s as keepalived (${seen.join(' / ')})`);
  t.equal(seen[0], 4, 'the takeover GARP and one every 3 s');
});
