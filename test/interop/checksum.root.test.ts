// The VRRPv3 IPv4 checksum forms against keepalived 2.2.7 (0.5 s adverts, keepalived on r1, ours on r2).
//
// keepalived 2.2.7 computes and checks the v3 IPv4 checksum with the pseudo-header (RFC 5798) and has no
// option to do otherwise (test/golden/README.md). Ours accepts either form and sends the one configured.
//   VI_pseudo (VRID 73): ours 200 with the pseudo-header (the default)  -> ours Master, keepalived Backup.
//   VI_plain  (VRID 71): ours 200, v3Ipv4PseudoHeader:false (RFC 9568) -> keepalived drops every advert
//                        of ours ("Invalid VRRPv3 checksum") and goes Master too: both hold the VIP.
//                        This is the documented incompatibility, asserted as it really happens.
//   VI_plainlow (VRID 72): ours 100, v3Ipv4PseudoHeader:false            -> keepalived Master, ours Backup:
//                        ours accepts keepalived's form, and as Backup sends nothing keepalived could reject.

import t from 'tap';
import { Harness, holdersOf, judgeAdverts, skipReason, sleep, waitUntil, type RouterSpec } from '../netns/harness.js';
import { CHECKSUM_GOOD } from '../netns/capture.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';

const INTERVAL_CS = 50;
const v3 = (name: string, vrid: number, priority: number, pseudo: boolean): RouterSpec => ({
  name,
  vrid,
  version: 3,
  priority,
  advertIntervalCs: INTERVAL_CS,
  virtualAddresses: [`192.0.2.${vrid}`],
  v3Ipv4PseudoHeader: pseudo,
});

t.test(
  'VRRPv3 IPv4 checksum forms against keepalived 2.2.7',
  { skip: skipReason(['keepalived']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'ick', 2);
    const keepalived = h.startKeepalived('r1', [
      v3('VI_pseudo', 73, 100, true),
      v3('VI_plain', 71, 100, true),
      v3('VI_plainlow', 72, 200, true),
    ]);
    for (const name of ['VI_pseudo', 'VI_plain', 'VI_plainlow']) {
      await keepalived.waitForState(name, 'Master', masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS + STARTUP_MS);
    }
    const ours = h.startOurs('r2', [
      v3('VI_pseudo', 73, 200, true),
      v3('VI_plain', 71, 200, false),
      v3('VI_plainlow', 72, 100, false),
    ]);
    const since = keepalived.mark();
    await ours.waitForState('VI_pseudo', 'Master', masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS + STARTUP_MS);
    await ours.waitForState('VI_plain', 'Master', 5000);
    await ours.waitForState('VI_plainlow', 'Backup', 5000);
    // Give keepalived three Master_Down_Intervals to change its mind.
    await sleep(3 * masterDownMs(100, INTERVAL_CS, 3));

    await t.test('with the pseudo-header (both defaults): one Master', async (t) => {
      await keepalived.waitForState('VI_pseudo', 'Backup', 5000, since);
      t.equal(keepalived.stateOf('VI_pseudo'), 'Backup', 'keepalived stepped down for our higher priority');
      t.equal(ours.stateOf('VI_pseudo'), 'Master');
      t.same(await holdersOf(h.lan, '192.0.2.73'), ['r2'], 'ip addr: the VIP on ours only');
      t.notOk(
        keepalived.lines.slice(since).some((l) => /\(VI_pseudo\) Invalid VRRPv3 checksum/.test(l.text)),
        'keepalived accepted our checksums',
      );
    });

    await t.test(
      'without it (RFC 9568), ours higher: keepalived rejects our adverts and both are Master',
      async (t) => {
        const complaint = keepalived.lines
          .slice(since)
          .find((l) => /\(VI_plain\) Invalid VRRPv3 checksum/.test(l.text));
        t.ok(complaint, `keepalived logs: ${complaint?.text ?? '(nothing)'}`);
        t.equal(keepalived.stateOf('VI_plain'), 'Master', 'keepalived never heard a valid advert and stays Master');
        t.equal(ours.stateOf('VI_plain'), 'Master', 'ours hears only a lower priority and stays Master');
        const holders = await waitUntil(
          async () => {
            const hs = await holdersOf(h.lan, '192.0.2.71');
            return hs.length === 2 ? hs : undefined;
          },
          3000,
          'both holding the VIP',
        );
        t.same(holders.sort(), ['r1', 'r2'], 'ip addr: both hold the VIP (the documented incompatibility)');
      },
    );

    await t.test('without it, ours lower: ours accepts keepalived and stays Backup', async (t) => {
      t.equal(keepalived.stateOf('VI_plainlow'), 'Master');
      t.equal(ours.stateOf('VI_plainlow'), 'Backup');
      t.equal(
        ours.states.filter((s) => s.router === 'VI_plainlow' && s.state === 'Master').length,
        0,
        'ours was never Master',
      );
      t.same(await holdersOf(h.lan, '192.0.2.72'), ['r1'], 'ip addr: the VIP on keepalived only');
    });

    const capture = await h.stopCapture();
    const macs = [h.node('r2').mac];
    const pseudoVerdict = judgeAdverts(capture.vrrp(false), {
      macs,
      version: 3,
      vrid: 73,
      priorities: [200],
      intervalCs: INTERVAL_CS,
      addresses: ['192.0.2.73'],
    });
    t.ok(pseudoVerdict.count > 2, `VI_pseudo: ${pseudoVerdict.count} adverts of ours`);
    t.same(pseudoVerdict.problems, [], 'tshark (pseudo-header form): every VI_pseudo advert valid, checksum good');
    const plainVerdict = judgeAdverts(capture.vrrp(true), {
      macs,
      version: 3,
      vrid: 71,
      priorities: [200],
      intervalCs: INTERVAL_CS,
      addresses: ['192.0.2.71'],
    });
    t.ok(plainVerdict.count > 2, `VI_plain: ${plainVerdict.count} adverts of ours`);
    t.same(
      plainVerdict.problems,
      [],
      'tshark with vrrp.v3_checksum_as_in_v2:TRUE: every VI_plain advert valid, checksum good',
    );
    const asPseudo = capture.vrrp(false).filter((f) => f.vrid === 71 && macs.includes(f.ethSource));
    t.ok(
      asPseudo.every((f) => f.checksumStatus !== CHECKSUM_GOOD),
      "tshark's default (pseudo-header) calls those same checksums bad, as keepalived does",
    );
  },
);
