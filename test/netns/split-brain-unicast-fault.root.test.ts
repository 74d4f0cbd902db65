// unicast_fault_no_peer (issue 16, point 4): an instance meant to speak unicast (unicast_src_ip and
// unicast_fault_no_peer) with no unicast_peer entry goes to Fault and stays there, instead of falling
// back to multicast and becoming a Master nobody configured. bin/vrrpd on r1 and keepalived 2.2.7 on r2
// read the same file: both enter Fault, neither ever holds the VIP, and vrrpd names the reason.

import t from 'tap';
import { Harness, holdersOf, skipReason, sleep, type RouterSpec } from './harness.js';
import type { LanNode } from './lan.js';
import { keepalivedConf } from './routers.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from './timing.js';

const VIP = '192.0.2.100';
const INTERVAL_CS = 50;
const SPEC: RouterSpec = {
  name: 'VI_1',
  vrid: 51,
  version: 3,
  priority: 100,
  advertIntervalCs: INTERVAL_CS,
  virtualAddresses: [VIP],
};

/** The file keepalived would get, with a unicast source and unicast_fault_no_peer but no peer. */
function lonelyUnicastConf(node: LanNode): string {
  const text = keepalivedConf(node, [SPEC]);
  const withFlag = text.replace(
    /^( *)virtual_router_id 51$/m,
    `$1virtual_router_id 51\n$1unicast_src_ip ${node.ipv4}\n$1unicast_fault_no_peer`,
  );
  if (withFlag === text) throw new Error('keepalivedConf changed: no virtual_router_id line to extend');
  return withFlag;
}

t.test(
  'unicast_fault_no_peer without a peer: Fault and no VIP, bin/vrrpd as keepalived',
  { skip: skipReason(['keepalived']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'ufnp', 2, { capture: false });
    const ours = h.startVrrpd('r1', [SPEC], { confText: lonelyUnicastConf(h.node('r1')) });
    const theirs = h.startKeepalived('r2', [SPEC], { confText: lonelyUnicastConf(h.node('r2')) });
    const fault = await ours.waitForState('VI_1', 'Fault', STARTUP_MS);
    t.equal(fault.reason, 'no-unicast-peer', 'bin/vrrpd: Fault, and why');
    // keepalived starts such an instance in FAULT without an "Entering FAULT STATE" line; it says why.
    await theirs.waitForLine(
      (l) => /\(VI_1\) Cannot use unicast without any peers - going to fault state/.test(l.text),
      STARTUP_MS,
      'keepalived: unicast without peers -> fault',
    );
    t.pass('keepalived 2.2.7: Fault too');
    // Long past any Master_Down_Interval: still Fault, and nobody ever took the VIP.
    await sleep(masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS);
    t.equal(ours.stateOf('VI_1'), 'Fault', 'bin/vrrpd stays in Fault');
    t.notOk(
      ours.states.some((s) => s.state === 'Master'),
      'bin/vrrpd was never Master',
    );
    t.same(theirs.states, [], 'keepalived: no state change after its fault');
    t.same(await holdersOf(h.lan, VIP), [], 'no node holds the VIP');
  },
);
