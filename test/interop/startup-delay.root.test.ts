// vrrp_startup_delay beside keepalived 2.2.7 (issue 13): each process alone on its VRID, the same
// global_defs. Both enter Backup at start and become Master one delay plus one Master_Down_Interval
// later, where without the delay the down interval alone would pass. Measured between each process's
// own Backup and Master lines.

import t from 'tap';
import { Harness, skipReason } from '../netns/harness.js';
import { MARGIN_MS, STARTUP_MS, masterDownMs } from '../netns/timing.js';
import { soloConf } from './solo-conf.js';

const DELAY_MS = 4000;
const conf = (vrid: number) => soloConf([`vrrp_startup_delay ${DELAY_MS / 1000}`], 'VI_late', vrid);

const skip = skipReason(['keepalived']) ?? false;

t.test('vrrp_startup_delay 4: vrrpd and keepalived take over one delay later', { skip }, async (t) => {
  const h = await Harness.create(t, 'isd', 2, { capture: false });
  const expected = DELAY_MS + masterDownMs(100, 100, 2);
  const processes = {
    keepalived: h.startKeepalived('r1', [], { confText: conf(97) }),
    vrrpd: h.startVrrpd('r2', [], { confText: conf(98) }),
  };
  for (const [who, p] of Object.entries(processes)) {
    const backup = await p.waitForState('VI_late', 'Backup', STARTUP_MS);
    const master = await p.waitForState('VI_late', 'Master', expected + MARGIN_MS);
    const took = master.atMs - backup.atMs;
    t.comment(`${who}: Backup -> Master in ${took} ms (delay + down interval ${expected} ms)`);
    t.ok(took >= expected - 150, `${who}: not before the delay and the down interval (${took} ms)`);
    t.ok(took < expected + MARGIN_MS, `${who}: within the margin (${took} ms)`);
  }
});
