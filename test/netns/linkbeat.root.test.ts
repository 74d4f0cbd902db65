// linkbeat_interfaces (issue 13): bin/vrrpd on r1 and keepalived 2.2.7 on r2 read the same
// keepalived.conf (each with its own router_id and priority), eth0 polled (no type: on a veth both
// settle on ETHTOOL GLINK, the driver having no MII). The carrier is cut from the bridge side, so
// eth0 stays administratively up with its addresses and only IFF_RUNNING / GLINK change.
// - Short carrier losses (100 ms), each of which rtnetlink reports at once: a 1 s poll catches
//   only those it happens to land in, so neither daemon enters Fault for all of them (with rtnetlink
//   followed, every one would be a Fault).
// - The carrier held off: both enter Fault within a poll interval (plus slack); back on, both leave it.

import t from 'tap';
import { Harness, skipReason, sleep, waitUntil } from './harness.js';
import { run } from './lan.js';
import { PAIR_DOWN_MS, startPair, theirsIn } from './link-pair.js';
import { MARGIN_MS } from './timing.js';

const POLL_MS = 1000;
const FLAP_MS = 100;
const FLAPS = 6;
/** Between flaps: not a multiple of the poll interval, so the flaps fall at different poll phases. */
const FLAP_GAP_MS = 1700;

function faultsSince(p: { states: readonly { router: string; state: string; atMs: number }[] }, sinceMs: number) {
  return p.states.filter((s) => s.router === 'VI_1' && s.state === 'Fault' && s.atMs >= sinceMs).length;
}

t.test(
  'linkbeat_interfaces: bin/vrrpd and keepalived 2.2.7 both poll eth0 once a second, its rtnetlink news ignored',
  { skip: skipReason(['keepalived']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'debouncelb', 2, { capture: false });
    const { ours, theirs, r1, r2 } = await startPair(h, ['linkbeat_interfaces {', '  eth0', '}']);
    /** Cuts (or restores) the carrier of both routers' eth0 from the bridge side. */
    const carrier = (up: boolean) => {
      for (const node of [r1, r2])
        run('ip', ['-n', h.lan.bridgeNamespace, 'link', 'set', node.bridgePort, up ? 'up' : 'down']);
    };
    const flapsFrom = Date.now();
    for (let i = 0; i < FLAPS; i++) {
      carrier(false);
      await sleep(FLAP_MS);
      carrier(true);
      await sleep(FLAP_GAP_MS);
    }
    await sleep(POLL_MS + 1000);
    const oursFaults = faultsSince(ours, flapsFrom);
    const theirsFaults = faultsSince(theirs, flapsFrom);
    t.comment(
      `Faults for ${FLAPS} carrier losses of ${FLAP_MS} ms: bin/vrrpd ${oursFaults}, keepalived ${theirsFaults}`,
    );
    t.ok(oursFaults < FLAPS, 'bin/vrrpd: polled, not every short loss is seen');
    t.ok(theirsFaults < FLAPS, 'keepalived: polled, not every short loss is seen');
    // Settle: a caught flap leaves Fault at the next poll; r1 preempts back to Master.
    await waitUntil(
      () => (ours.stateOf('VI_1') === 'Master' ? true : undefined),
      PAIR_DOWN_MS + MARGIN_MS,
      'ours Master',
    );
    await theirsIn(theirs, 'Backup', PAIR_DOWN_MS);

    const oursSince = ours.mark();
    const theirsSince = theirs.mark();
    const downAt = Date.now();
    carrier(false);
    const oursFault = await ours.waitForState('VI_1', 'Fault', POLL_MS + MARGIN_MS, oursSince);
    const theirsFault = await theirs.waitForState('VI_1', 'Fault', POLL_MS + MARGIN_MS, theirsSince);
    t.comment(
      `Fault after the carrier went: bin/vrrpd ${oursFault.atMs - downAt} ms, keepalived ${theirsFault.atMs - downAt} ms`,
    );
    t.pass('the carrier held off: both in Fault within a poll interval (plus slack)');

    const oursUp = ours.mark();
    const theirsUp = theirs.mark();
    carrier(true);
    await ours.waitForState('VI_1', 'Master', POLL_MS + PAIR_DOWN_MS + MARGIN_MS, oursUp);
    await theirsIn(theirs, 'Backup', POLL_MS + PAIR_DOWN_MS + MARGIN_MS, theirsUp);
    t.pass('the carrier back: bin/vrrpd Master, keepalived Backup');
  },
);
