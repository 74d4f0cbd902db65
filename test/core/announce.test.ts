// Announcing the VIPs on becoming Master (RFC 9568 6.4.1/6.4.2: gratuitous ARP / unsolicited NA) with
// keepalived's timing: garp_master_repeat at once, again after garp_master_delay, then every
// garp_master_refresh (garp_master_refresh_repeat each).
import t from 'tap';
import {
  Scenario,
  addVips,
  advertFor,
  advertInput,
  announce,
  becomeMaster,
  sendAdvert,
  startup,
  stateChange,
  timeout,
  v2Config,
  v6Config,
} from './scenario.js';

t.test('announce: 5 at once, 5 more after 5 s (keepalived defaults), then none', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(3609.375, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
  for (const ms of [4609.375, 5609.375, 6609.375, 7609.375])
    t.strictSame(s.at(ms, timeout), [sendAdvert(s.config, 100)], `at ${ms} ms`);
  t.strictSame(
    s.at(8609.375, timeout),
    [sendAdvert(s.config, 100), announce(s.config, 5)],
    'at 8609.375 ms: second burst',
  );
  t.strictSame(s.at(9609.375, timeout), [sendAdvert(s.config, 100)], 'no third burst without refresh');
});

t.test('announce: the second burst has its own deadline when it falls between adverts', async (t) => {
  const s = new Scenario(
    v2Config({
      priority: 255,
      announce: {
        repeat: 3,
        secondBurstDelayMs: 2500,
        refreshIntervalMs: 0,
        refreshRepeat: 1,
        lowerPriorityRepeat: 5,
        lowerPrioritySecondBurstDelayMs: 5000,
      },
    }),
  );
  t.strictSame(s.at(0, startup), [
    sendAdvert(s.config, 255),
    addVips(s.config),
    announce(s.config, 3),
    stateChange('Initialize', 'Master', 'startup-owner', 255),
  ]);
  t.strictSame(s.at(1000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(2000, timeout), [sendAdvert(s.config, 255)]);
  t.equal(s.nextDeadlineMs, 2500);
  t.strictSame(s.at(2500, timeout), [announce(s.config, 3)]);
  t.equal(s.nextDeadlineMs, 3000);
});

t.test('announce: periodic refresh while Master (refresh every 2500 ms, 2 each)', async (t) => {
  const s = new Scenario(
    v2Config({
      priority: 255,
      announce: {
        repeat: 5,
        secondBurstDelayMs: 5000,
        refreshIntervalMs: 2500,
        refreshRepeat: 2,
        lowerPriorityRepeat: 5,
        lowerPrioritySecondBurstDelayMs: 5000,
      },
    }),
  );
  s.at(0, startup);
  t.strictSame(s.at(1000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(2000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(2500, timeout), [announce(s.config, 2)]);
  t.strictSame(s.at(3000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(4000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(5000, timeout), [sendAdvert(s.config, 255), announce(s.config, 5), announce(s.config, 2)]);
  t.strictSame(
    s.at(7500, timeout),
    [sendAdvert(s.config, 255), announce(s.config, 2)],
    'late timeout: advert and refresh',
  );
});

t.test('announce: repeat 0 sends no announcement at all', async (t) => {
  const s = new Scenario(
    v2Config({
      priority: 255,
      announce: {
        repeat: 0,
        secondBurstDelayMs: 5000,
        refreshIntervalMs: 0,
        refreshRepeat: 1,
        lowerPriorityRepeat: 5,
        lowerPrioritySecondBurstDelayMs: 5000,
      },
    }),
  );
  t.strictSame(s.at(0, startup), [
    sendAdvert(s.config, 255),
    addVips(s.config),
    stateChange('Initialize', 'Master', 'startup-owner', 255),
  ]);
  for (let ms = 1000; ms <= 6000; ms += 1000)
    t.strictSame(s.at(ms, timeout), [sendAdvert(s.config, 255)], `at ${ms} ms`);
});

t.test('announce: leaving Master cancels the pending second burst', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(3609.375, timeout);
  s.at(4000, advertInput(advertFor(s.config, { priority: 200 })));
  t.equal(s.nextDeadlineMs, 7609.375, 'only the Master_Down_Timer remains');
  s.at(4500, advertInput(advertFor(s.config, { priority: 200 })));
  s.at(5500, advertInput(advertFor(s.config, { priority: 200 })));
  s.at(6500, advertInput(advertFor(s.config, { priority: 200 })));
  s.at(7500, advertInput(advertFor(s.config, { priority: 200 })));
  t.strictSame(s.at(8609.375, timeout), [], 'at 8609.375 ms: no burst for a Backup');
});

t.test('announce: IPv6 VIPs are announced the same way (unsolicited NA per address)', async (t) => {
  const s = new Scenario(v6Config({ priority: 255 }));
  t.strictSame(s.at(0, startup)[2], { kind: 'announceVips', addresses: ['fe80::100', '2001:db8::100'], count: 5 });
});
