// interface_up_down_delays (issue 13): bin/vrrpd on r1 and keepalived 2.2.7 on r2 read the same
// keepalived.conf (each with its own router_id and priority) with a 1.5 s down delay on eth0. Both
// links flapped down and up within the delay: neither daemon moves (no FAULT). Both held down past it:
// both enter FAULT, and not before the delay. Back up (up delay 0): both leave FAULT.

import t from 'tap';
import { Harness, skipReason, sleep } from './harness.js';
import { PAIR_DOWN_MS, startPair, theirsIn } from './link-pair.js';
import { MARGIN_MS } from './timing.js';

const DOWN_DELAY_MS = 1500;
/** The flap: well inside the delay, even on a loaded machine. */
const FLAP_MS = 300;
const DELAYS = ['interface_up_down_delays {', `  eth0 ${DOWN_DELAY_MS / 1000}`, '}'];

function enteredAfter(
  p: { states: readonly { router: string; state: string; atMs: number }[] },
  state: string,
  afterMs: number,
) {
  return p.states.filter((s) => s.router === 'VI_1' && s.state === state && s.atMs >= afterMs);
}

t.test(
  'interface_up_down_delays: a flap within the delay moves neither bin/vrrpd nor keepalived 2.2.7; held past it moves both',
  { skip: skipReason(['keepalived']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'debounce', 2, { capture: false });
    const { ours, theirs, r1, r2 } = await startPair(h, DELAYS);

    // A flap of both links, shorter than the delay.
    const flapAt = Date.now();
    h.lan.setLink(r1, false);
    h.lan.setLink(r2, false);
    await sleep(FLAP_MS);
    h.lan.setLink(r1, true);
    h.lan.setLink(r2, true);
    await sleep(DOWN_DELAY_MS + 2000);
    t.same(enteredAfter(ours, 'Fault', flapAt), [], 'bin/vrrpd: no Fault for the flap');
    t.same(enteredAfter(theirs, 'Fault', flapAt), [], 'keepalived: no FAULT for the flap');
    t.equal(ours.stateOf('VI_1'), 'Master', 'bin/vrrpd: still Master');
    t.equal(theirs.stateOf('VI_1'), 'Backup', 'keepalived: still Backup');

    // Both held down past the delay.
    const oursSince = ours.mark();
    const theirsSince = theirs.mark();
    const downAt = Date.now();
    h.lan.setLink(r1, false);
    h.lan.setLink(r2, false);
    const oursFault = await ours.waitForState('VI_1', 'Fault', DOWN_DELAY_MS + MARGIN_MS, oursSince);
    const theirsFault = await theirs.waitForState('VI_1', 'Fault', DOWN_DELAY_MS + MARGIN_MS, theirsSince);
    // A lower bound only (the machine is loaded): each waited out the delay, less timestamp slack.
    const oursAfter = oursFault.atMs - downAt;
    const theirsAfter = theirsFault.atMs - downAt;
    t.ok(oursAfter >= DOWN_DELAY_MS - 100, `bin/vrrpd: Fault ${oursAfter} ms after the links went down`);
    t.ok(theirsAfter >= DOWN_DELAY_MS - 100, `keepalived: FAULT ${theirsAfter} ms after the links went down`);
    t.comment(`Fault after the link went down: bin/vrrpd ${oursAfter} ms, keepalived ${theirsAfter} ms`);

    // Up again, no up delay: both leave Fault.
    const oursUp = ours.mark();
    const theirsUp = theirs.mark();
    h.lan.setLink(r1, true);
    h.lan.setLink(r2, true);
    await ours.waitForState('VI_1', 'Master', PAIR_DOWN_MS + MARGIN_MS, oursUp);
    await theirsIn(theirs, 'Backup', PAIR_DOWN_MS + MARGIN_MS, theirsUp);
    t.pass('both out of Fault with the links back: bin/vrrpd Master, keepalived Backup');
  },
);
