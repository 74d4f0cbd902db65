// RFC 3768/5798/9568 7.1 (RX-12): a packet that fails any receive check is discarded: it moves no
// state and no timer. Each bad advert below would, if it counted, reset a Backup's down timer
// (priority 200 >= ours) or make a Master step down (200 > ours).
import t from 'tap';
import type { VirtualRouterConfig } from '../../src/core/types.js';
import { Scenario, advertFor, advertInput, startup, timeout, v2Config, type AdvertOptions } from './scenario.js';

const config = v2Config({ priority: 150, auth: { type: 'pass', password: 'secret' } });

const badAdverts: readonly [string, AdvertOptions][] = [
  ['ttl', { ttl: 254 }],
  ['version-mismatch', { version: 3 }],
  ['auth-type-mismatch', { authType: 0 }],
  ['auth-data-mismatch', { password: 'wrong' }],
  ['own-packet', { from: config.primaryAddress }],
  ['zero-address-count', { addresses: [] }],
  ['interval-mismatch', { intervalCs: 50 }],
];

function masterAfterStartup(c: VirtualRouterConfig): Scenario {
  const s = new Scenario(c);
  s.at(0, startup);
  s.at(3414.0625, timeout); // Master_Down_Interval at 150: nobody heard
  return s;
}

t.test("RX-12: a dropped advert changes neither a Backup's state nor its down timer", async (t) => {
  for (const [reason, options] of badAdverts) {
    const s = new Scenario(config);
    s.at(0, startup);
    const downAt = s.nextDeadlineMs;
    t.strictSame(
      s.at(1000, advertInput(advertFor(config, { priority: 200, ...options }))),
      [{ kind: 'dropped', reason }],
      reason,
    );
    t.equal(s.state, 'Backup', `${reason}: still Backup`);
    t.equal(s.nextDeadlineMs, downAt, `${reason}: the down timer is where it was`);
    t.equal(s.router.snapshot().masterAddress, undefined, `${reason}: no master learnt`);
  }
  // The same advert without the fault does reset it: the checks above could have failed.
  const s = new Scenario(config);
  s.at(0, startup);
  s.at(1000, advertInput(advertFor(config, { priority: 200 })));
  t.equal(s.nextDeadlineMs, 1000 + 3414.0625, 'a valid advert moves the down timer');
});

t.test('RX-12: a dropped higher-priority advert leaves a Master Master, its advert timer unmoved', async (t) => {
  for (const [reason, options] of badAdverts) {
    const s = masterAfterStartup(config);
    const advertAt = s.nextDeadlineMs;
    t.strictSame(
      s.at(3500, advertInput(advertFor(config, { priority: 200, ...options }))),
      [{ kind: 'dropped', reason }],
      reason,
    );
    t.equal(s.state, 'Master', `${reason}: still Master`);
    t.equal(s.nextDeadlineMs, advertAt, `${reason}: the advert timer is where it was`);
  }
});
