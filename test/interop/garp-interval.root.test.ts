// vrrp_garp_interval / vrrp_gna_interval beside keepalived 2.2.7 (issue 13): the same global_defs,
// each process alone on its own node and VRIDs, an IPv4 instance with two VIPs and an IPv6 instance
// with one, garp_master_repeat 5, 50 ms gaps. keepalived 2.2.7 sends the first frame of a burst at
// once and folds the rest of each address's burst into one pending frame, sent one per gap on the
// interface in address order (vrrp_arp.c queue_garp, vrrp_scheduler.c vrrp_arp_thread): for VIPs a, b
// that is a, a, b; for one IPv6 VIP c, c. The tshark capture on the bridge shows both processes'
// frames; each one's sequence and gaps are compared with keepalived's own. promote_secondaries: set
// to 1 on eth0 while the process runs, back to 0 when it stops, on both nodes.

import t from 'tap';
import { Harness, skipReason } from '../netns/harness.js';
import type { Capture } from '../netns/capture.js';
import { MARGIN_MS, STARTUP_MS, masterDownMs } from '../netns/timing.js';

const GAP_MS = 50;
/**
 * A gap on the wire may be shorter than the sender's by the capture's timestamp jitter: the first
 * frame of a takeover can reach the capture late when the veth backlog waits for a busy CPU (a CI
 * run saw vrrpd's NA gap at 44.7 ms; the sender had counted 50 ms from that frame's send). Unpaced
 * frames leave back to back, well under this.
 */
const JITTER_MS = 10;
/** How late a pending frame may be on a loaded 2-core machine. */
const LATE_MS = 400;

const conf = (vrid: number) =>
  [
    'global_defs {',
    `  vrrp_garp_interval ${GAP_MS / 1000}`,
    `  vrrp_gna_interval ${GAP_MS / 1000}`,
    '  vrrp_garp_master_repeat 5',
    '  vrrp_garp_master_delay 0',
    '}',
    'vrrp_instance V4 {',
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    '  priority 100',
    '  advert_int 1',
    '  promote_secondaries',
    '  virtual_ipaddress {',
    `    192.0.2.${vrid}/32`,
    `    192.0.2.${vrid + 1}/32`,
    '  }',
    '}',
    'vrrp_instance V6 {',
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    '  priority 100',
    '  advert_int 1',
    '  virtual_ipaddress {',
    `    2001:db8::${vrid}/128`,
    '  }',
    '}',
    '',
  ].join('\n');

const skip = skipReason(['keepalived']) ?? false;

interface Burst {
  readonly addresses: string[];
  readonly gapsMs: number[];
}

function burst(frames: readonly { timeMs: number; address: string }[]): Burst {
  const sorted = [...frames].sort((a, b) => a.timeMs - b.timeMs);
  return {
    addresses: sorted.map((f) => f.address),
    gapsMs: sorted.slice(1).map((f, i) => Math.round((f.timeMs - sorted[i]!.timeMs) * 10) / 10),
  };
}

function bursts(capture: Capture, mac: string): { arp: Burst; na: Burst } {
  const arps = capture.gratuitousArps().filter((f) => f.ethSource === mac);
  const nas = capture.unsolicitedNas().filter((f) => f.ethSource === mac);
  return {
    arp: burst(arps.map((f) => ({ timeMs: f.timeMs, address: f.senderIp }))),
    na: burst(nas.map((f) => ({ timeMs: f.timeMs, address: f.target }))),
  };
}

t.test('garp / gna interval 0.05, repeat 5: vrrpd paces its bursts as keepalived does', { skip }, async (t) => {
  const h = await Harness.create(t, 'gai', 2);
  const nodes = { keepalived: h.node('r1'), vrrpd: h.node('r2') };
  const promote = (node: (typeof nodes)['vrrpd']) =>
    h.lan.exec(node, 'cat', '/proc/sys/net/ipv4/conf/eth0/promote_secondaries').trim();
  const before = { keepalived: promote(nodes.keepalived), vrrpd: promote(nodes.vrrpd) };
  const processes = {
    keepalived: h.startKeepalived('r1', [], { confText: conf(61) }),
    vrrpd: h.startVrrpd('r2', [], { confText: conf(71) }),
  };
  const vrids = { keepalived: 61, vrrpd: 71 };
  const running: Record<string, string> = {};
  for (const [who, p] of Object.entries(processes)) {
    for (const name of ['V4', 'V6'])
      await p.waitForState(name, 'Master', STARTUP_MS + masterDownMs(100, 100, 2) + MARGIN_MS);
    running[who] = promote(nodes[who as keyof typeof nodes]);
  }
  // Every pending frame has left well before this.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const p of Object.values(processes)) await p.stop(3000);
  const after = { keepalived: promote(nodes.keepalived), vrrpd: promote(nodes.vrrpd) };
  const capture = await h.stopCapture();

  const seen = {
    keepalived: bursts(capture, nodes.keepalived.mac),
    vrrpd: bursts(capture, nodes.vrrpd.mac),
  };
  for (const [who, { arp, na }] of Object.entries(seen)) {
    t.comment(
      `${who}: ARP ${arp.addresses.join(' ')} gaps ${arp.gapsMs.join(', ')} ms; NA ${na.addresses.join(' ')} gaps ${na.gapsMs.join(', ')} ms`,
    );
    const vrid = vrids[who as keyof typeof vrids];
    t.same(arp.addresses, [`192.0.2.${vrid}`, `192.0.2.${vrid}`, `192.0.2.${vrid + 1}`], `${who}: ARPs a, a, b`);
    t.same(na.addresses, [`2001:db8::${vrid}`, `2001:db8::${vrid}`], `${who}: NAs c, c`);
    for (const gap of [...arp.gapsMs, ...na.gapsMs]) {
      t.ok(gap >= GAP_MS - JITTER_MS, `${who}: a gap of at least ${GAP_MS} ms (${gap})`);
      t.ok(gap < GAP_MS + LATE_MS, `${who}: not much more (${gap})`);
    }
  }
  t.same(
    [seen.vrrpd.arp.addresses.length, seen.vrrpd.na.addresses.length],
    [seen.keepalived.arp.addresses.length, seen.keepalived.na.addresses.length],
    'as many frames as keepalived',
  );
  t.comment(`promote_secondaries before/running/after: ${JSON.stringify({ before, running, after })}`);
  t.same(before, { keepalived: '0', vrrpd: '0' }, 'off before');
  t.same(running, { keepalived: '1', vrrpd: '1' }, 'on while running (promote_secondaries)');
  t.same(after, { keepalived: '0', vrrpd: '0' }, 'restored at stop');
});
