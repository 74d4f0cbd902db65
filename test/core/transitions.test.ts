// The RFC state machine, transition by transition: RFC 9568 / RFC 5798 6.4.1 (Initialize), 6.4.2
// (Backup), 6.4.3 (Master), and RFC 3768 6.4 for v2. Every step states its virtual time.
import t from 'tap';
import {
  Scenario,
  addVips,
  advertFor,
  advertInput,
  announce,
  becomeMaster,
  removeVips,
  sendAdvert,
  shutdown,
  startup,
  stateChange,
  ofKind,
  timeout,
  v2Config,
  v3Config,
  v6Config,
} from './scenario.js';

// RFC 9568 6.4.1: if Priority = 255, send an ADVERTISEMENT, announce, set Adver_Timer, go Master.
t.test('6.4.1 startup: priority 255 goes Master at once (advert, VIPs, announce)', async (t) => {
  const s = new Scenario(v2Config({ priority: 255 }));
  t.strictSame(s.at(0, startup), [
    sendAdvert(s.config, 255),
    addVips(s.config),
    announce(s.config, 5),
    stateChange('Initialize', 'Master', 'startup-owner', 255),
  ]);
  t.equal(s.nextDeadlineMs, 1000, 'Adver_Timer = Advertisement_Interval');
});

// RFC 9568 6.4.1: else set Master_Down_Timer to Master_Down_Interval and go Backup.
t.test('6.4.1 startup: priority 100 goes Backup with Master_Down_Interval 3609.375 ms', async (t) => {
  const s = new Scenario(v2Config());
  t.strictSame(s.at(0, startup), [stateChange('Initialize', 'Backup', 'startup', 100)]);
  t.equal(s.nextDeadlineMs, 3609.375);
  t.equal(s.router.snapshot().masterAdvertIntervalCs, 100);
});

t.test('6.4.1 startup twice is a no-op', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(10, startup), []);
  t.equal(s.nextDeadlineMs, 3609.375);
});

// keepalived 2.2.7 vrrp_init_state(): `state MASTER` without priority 255 starts in BACKUP with the
// ordinary down timer; only the owner (or a reload while master) goes master at once.
t.test('keepalived startup: initialState Master, priority 100 enters Backup with the full down timer', async (t) => {
  const s = new Scenario(v2Config({ initialState: 'Master' }));
  t.strictSame(s.at(0, startup), [stateChange('Initialize', 'Backup', 'startup-master-wanted', 100)]);
  t.equal(s.nextDeadlineMs, 3609.375);
  t.strictSame(s.at(3609.375, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
});

// RFC 9568 6.4.2: Master_Down_Timer fires -> send ADVERTISEMENT, announce, set Adver_Timer, go Master.
t.test('6.4.2 backup: down timer fires at 3609.375 ms -> Master', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(3609.375, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
  t.equal(s.nextDeadlineMs, 4609.375, 'next advert one interval later');
  t.equal(s.router.snapshot().lastTransition?.reason, 'master-down-timer');
  t.equal(s.router.snapshot().lastTransition?.atMs, 3609.375);
});

// The quinn-style contract: handling 'timeout' before the deadline, or twice, changes nothing.
t.test('early and duplicate timeouts are no-ops', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(1000, timeout), [], 'at 1000 ms: early');
  t.strictSame(s.at(3609.374, timeout), [], 'at 3609.374 ms: still early');
  t.equal(s.state, 'Backup');
  t.equal(s.at(3609.375, timeout).length, 4, 'at 3609.375 ms: Master');
  t.strictSame(s.at(3609.375, timeout), [], 'at 3609.375 ms again: nothing');
  t.strictSame(s.at(4000, timeout), [], 'at 4000 ms: advert not due');
  t.strictSame(s.at(4609.375, timeout), [sendAdvert(s.config, 100)], 'at 4609.375 ms: advert');
  t.strictSame(s.at(4609.375, timeout), [], 'at 4609.375 ms again: nothing');
});

// RFC 9568 6.4.2: priority 0 -> Master_Down_Timer = Skew_Time.
t.test('6.4.2 backup: priority-0 advert sets the down timer to Skew_Time (609.375 ms)', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(500, advertInput(advertFor(s.config, { priority: 0 }))), []);
  t.equal(s.nextDeadlineMs, 1109.375);
  t.strictSame(s.at(1109.375, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
});

// RFC 9568 6.4.2: priority >= ours -> reset Master_Down_Timer; record the master.
t.test('6.4.2 backup: equal or higher priority advert resets the down timer', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(1000, advertInput(advertFor(s.config, { priority: 100 }))), []);
  t.equal(s.nextDeadlineMs, 4609.375, 'at 1000 ms: equal priority resets to 1000 + 3609.375');
  t.strictSame(s.at(2000, advertInput(advertFor(s.config, { priority: 200 }))), []);
  t.equal(s.nextDeadlineMs, 5609.375, 'at 2000 ms: higher priority resets');
  t.equal(s.router.snapshot().masterAddress, '192.0.2.20');
  t.strictSame(s.at(5609.374, timeout), []);
  t.equal(s.state, 'Backup');
});

// RFC 9568 6.4.2: preempt on and lower priority -> discard (the timer keeps running).
t.test('6.4.2 backup: preempt on, lower priority advert is discarded; down timer takes over', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(1000, advertInput(advertFor(s.config, { priority: 50 }))), []);
  t.equal(s.nextDeadlineMs, 3609.375, 'not reset');
  t.strictSame(s.at(2000, advertInput(advertFor(s.config, { priority: 50 }))), []);
  t.strictSame(s.at(3609.375, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
});

// RFC 9568 6.4.2: Preempt_Mode False -> reset the timer whatever the priority.
t.test('6.4.2 backup: preempt off (nopreempt) accepts a lower priority master', async (t) => {
  const s = new Scenario(v2Config({ preempt: false }));
  s.at(0, startup);
  for (let ms = 1000; ms <= 20000; ms += 1000) {
    t.strictSame(
      s.at(ms, advertInput(advertFor(s.config, { priority: 50 }))),
      [],
      `at ${ms} ms: lower advert accepted`,
    );
    t.strictSame(s.at(ms + 500, timeout), [], `at ${ms + 500} ms: no takeover`);
  }
  t.equal(s.state, 'Backup');
  t.equal(s.nextDeadlineMs, 23609.375);
});

// RFC 9568 6.4.2: set Master_Adver_Interval to the advert's interval; recompute Skew and down interval.
t.test('6.4.2 v3 backup adopts the master interval (200 cs -> down 7218.75 ms) with one notice', async (t) => {
  const s = new Scenario(v3Config());
  s.at(0, startup);
  t.equal(s.nextDeadlineMs, 3609.375);
  t.strictSame(s.at(1000, advertInput(advertFor(s.config, { priority: 150, intervalCs: 200 }))), [
    {
      kind: 'notice',
      notice: 'interval-mismatch-v3',
      detail: 'advert from 192.0.2.20 has interval 200 cs, ours is 100 cs',
    },
  ]);
  t.equal(s.router.snapshot().masterAdvertIntervalCs, 200);
  t.equal(s.nextDeadlineMs, 1000 + 6000 + 1218.75);
  t.strictSame(
    s.at(3000, advertInput(advertFor(s.config, { priority: 150, intervalCs: 200 }))),
    [],
    'no repeated notice',
  );
  t.equal(s.nextDeadlineMs, 3000 + 7218.75);
});

t.test('6.4.2 v3 backup: priority-0 advert uses the learned interval for Skew_Time', async (t) => {
  const s = new Scenario(v3Config());
  s.at(0, startup);
  s.at(1000, advertInput(advertFor(s.config, { priority: 150, intervalCs: 200 })));
  t.strictSame(s.at(2000, advertInput(advertFor(s.config, { priority: 0, intervalCs: 200 }))), []);
  t.equal(s.nextDeadlineMs, 2000 + 1218.75, 'Skew_Time = 156 * 200 / 256 cs');
});

t.test('6.4.2 v3 backup becoming Master advertises its own interval again', async (t) => {
  const s = new Scenario(v3Config());
  s.at(0, startup);
  s.at(1000, advertInput(advertFor(s.config, { priority: 150, intervalCs: 200 })));
  t.strictSame(s.at(8218.75, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
  t.equal(s.router.snapshot().masterAdvertIntervalCs, 100);
  t.equal(s.nextDeadlineMs, 9218.75);
});

// The skew-rounded-to-zero bug class, end to end: at a 10 ms interval, priority 254 and 253 Backups
// must time out at different moments (30.078125 ms and 30.1171875 ms), not together at 30 ms.
t.test('6.4.2 v3 backup at 1 cs interval: sub-millisecond skew keeps Backups apart', async (t) => {
  const high = new Scenario(v3Config({ priority: 254, advertIntervalCs: 1 }));
  const low = new Scenario(v3Config({ priority: 253, advertIntervalCs: 1 }));
  high.at(0, startup);
  low.at(0, startup);
  t.equal(high.nextDeadlineMs, 30.078125);
  t.equal(low.nextDeadlineMs, 30.1171875);
  t.equal(high.at(30.078125, timeout).at(-1)?.kind, 'stateChange', 'at 30.078125 ms: priority 254 is Master');
  t.strictSame(low.at(30.078125, timeout), [], 'at 30.078125 ms: priority 253 still waits');
});

// RFC 3768 7.1: v2 interval mismatch is a drop, counted, and does not touch the timer.
t.test('v2 backup: an advert with another interval is dropped and counted', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(1000, advertInput(advertFor(s.config, { priority: 200, intervalCs: 300 }))), [
    { kind: 'dropped', reason: 'interval-mismatch' },
  ]);
  t.equal(s.nextDeadlineMs, 3609.375);
  t.equal(s.router.dropCounts.get('interval-mismatch'), 1);
});

// RFC 9568 6.4.3: Adver_Timer fires -> send an ADVERTISEMENT, reset the timer.
t.test('6.4.3 master: sends an advert every Advertisement_Interval', async (t) => {
  const s = new Scenario(v2Config({ priority: 255 }));
  s.at(0, startup);
  for (let ms = 1000; ms <= 4000; ms += 1000) {
    t.strictSame(s.at(ms, timeout), [sendAdvert(s.config, 255)], `at ${ms} ms`);
  }
  t.strictSame(
    s.at(5000, timeout),
    [sendAdvert(s.config, 255), announce(s.config, 5)],
    'at 5000 ms: advert and second burst',
  );
  t.equal(s.nextDeadlineMs, 6000);
});

// RFC 9568 6.4.3: priority 0 -> send an ADVERTISEMENT at once and reset the Adver_Timer.
t.test('6.4.3 master: priority-0 advert -> advert at once, Adver_Timer reset', async (t) => {
  const s = new Scenario(
    v2Config({
      priority: 255,
      announce: {
        repeat: 5,
        secondBurstDelayMs: 0,
        refreshIntervalMs: 0,
        refreshRepeat: 1,
        lowerPriorityRepeat: 5,
        lowerPrioritySecondBurstDelayMs: 5000,
      },
    }),
  );
  s.at(0, startup);
  t.strictSame(s.at(400, advertInput(advertFor(s.config, { priority: 0 }))), [sendAdvert(s.config, 255)]);
  t.equal(s.nextDeadlineMs, 1400);
  t.strictSame(s.at(1000, timeout), [], 'at 1000 ms: the old deadline is gone');
});

// RFC 9568 6.4.3: higher priority -> cancel Adver_Timer, set Master_Down_Timer, go Backup; no priority 0.
t.test('6.4.3 master: higher priority advert -> Backup (VIPs removed, no priority-0 advert)', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(3609.375, timeout);
  t.strictSame(s.at(4000, advertInput(advertFor(s.config, { priority: 150 }))), [
    removeVips(s.config),
    stateChange('Master', 'Backup', 'higher-priority-advert', 100),
  ]);
  t.equal(s.nextDeadlineMs, 7609.375, 'Master_Down_Interval from 4000 ms');
  t.strictSame(s.at(4609.375, timeout), [], 'the old Adver_Timer is cancelled');
  t.equal(s.router.snapshot().masterAddress, '192.0.2.20');
});

// keepalived higher_prio_send_advert: one advert of our own before stepping down, so the new Master
// learns there were two Masters and re-announces the VIPs.
t.test('keepalived master: higherPrioritySendAdvert sends our advert before stepping down', async (t) => {
  const s = new Scenario(v2Config({ higherPrioritySendAdvert: true }));
  s.at(0, startup);
  s.at(3609.375, timeout);
  t.strictSame(s.at(4000, advertInput(advertFor(s.config, { priority: 150 }))), [
    sendAdvert(s.config, 100),
    removeVips(s.config),
    stateChange('Master', 'Backup', 'higher-priority-advert', 100),
  ]);
  t.equal(s.nextDeadlineMs, 7609.375, 'Master_Down_Interval from 4000 ms');
});

t.test('6.4.3 v3 master: stepping down adopts the new master interval (50 cs)', async (t) => {
  const s = new Scenario(v3Config());
  s.at(0, startup);
  s.at(3609.375, timeout);
  const actions = s.at(4000, advertInput(advertFor(s.config, { priority: 200, intervalCs: 50 })));
  t.strictSame(actions, [
    {
      kind: 'notice',
      notice: 'interval-mismatch-v3',
      detail: 'advert from 192.0.2.20 has interval 50 cs, ours is 100 cs',
    },
    removeVips(s.config),
    stateChange('Master', 'Backup', 'higher-priority-advert', 100),
  ]);
  t.equal(s.router.snapshot().masterAdvertIntervalCs, 50);
  t.equal(s.nextDeadlineMs, 4000 + 1500 + 304.6875, '3 * 50 cs + 156 * 50 / 256 cs');
});

// RFC 9568 6.4.3: equal priority and greater primary address (unsigned, network order) -> Backup.
t.test('6.4.3 master: equal priority tie-break compares addresses as numbers, not text', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(3609.375, timeout);
  // '192.0.2.9' > '192.0.2.10' as text but < as a number: we stay Master.
  const lower = s.at(4000, advertInput(advertFor(s.config, { priority: 100, from: '192.0.2.9' })));
  t.strictSame(lower, [
    sendAdvert(s.config, 100),
    announce(s.config, 5),
    {
      kind: 'notice',
      notice: 'lower-priority-master',
      detail: 'advert from 192.0.2.9 with priority 100, ours 100: advertised and announced at once',
    },
  ]);
  t.equal(s.state, 'Master');
  t.strictSame(s.at(4100, advertInput(advertFor(s.config, { priority: 100, from: '192.0.2.11' }))), [
    removeVips(s.config),
    stateChange('Master', 'Backup', 'tie-break-lost', 100),
  ]);
});

t.test('6.4.3 master: IPv6 tie-break compares the 16 bytes', async (t) => {
  const s = new Scenario(v6Config());
  s.at(0, startup);
  s.at(3609.375, timeout);
  t.equal(
    s.at(4000, advertInput(advertFor(s.config, { priority: 100, from: 'fe80::9' })))[0]?.kind,
    'sendAdvert',
    'fe80::9 < fe80::10',
  );
  t.equal(s.state, 'Master');
  t.strictSame(s.at(4100, advertInput(advertFor(s.config, { priority: 100, from: 'fe80::1:0' }))), [
    removeVips(s.config),
    stateChange('Master', 'Backup', 'tie-break-lost', 100),
  ]);
});

// RFC 9568 6.4.3 (change from RFC 5798): a Master hearing a lower priority advertises at once.
t.test('6.4.3 RFC 9568 master: lower priority advert -> stay Master, advert at once, notice', async (t) => {
  const s = new Scenario(v2Config({ priority: 200 }));
  s.at(0, startup);
  const down = s.nextDeadlineMs!;
  s.at(down, timeout);
  const actions = s.at(down + 300, advertInput(advertFor(s.config, { priority: 100 })));
  t.strictSame(actions, [
    sendAdvert(s.config, 200),
    announce(s.config, 5),
    {
      kind: 'notice',
      notice: 'lower-priority-master',
      detail: 'advert from 192.0.2.20 with priority 100, ours 200: advertised and announced at once',
    },
  ]);
  t.equal(s.nextDeadlineMs, down + 1000, 'the periodic Adver_Timer is unchanged');
});

// keepalived lower_prio_no_advert (issue 13): the Master stays Master without advertising at once; the
// VIPs are still re-announced, and the periodic Adver_Timer is unchanged.
t.test('keepalived master: lowerPriorityNoAdvert answers a lower priority without an advert', async (t) => {
  const s = new Scenario(v2Config({ priority: 200, lowerPriorityNoAdvert: true }));
  s.at(0, startup);
  const down = s.nextDeadlineMs!;
  s.at(down, timeout);
  t.strictSame(s.at(down + 300, advertInput(advertFor(s.config, { priority: 100 }))), [
    announce(s.config, 5),
    {
      kind: 'notice',
      notice: 'lower-priority-master',
      detail: 'advert from 192.0.2.20 with priority 100, ours 200: announced at once (lower_prio_no_advert: no advert)',
    },
  ]);
  t.equal(s.state, 'Master');
  t.equal(s.nextDeadlineMs, down + 1000, 'the next advert is the periodic one');
  t.strictSame(s.at(down + 1000, timeout), [sendAdvert(s.config, 200)]);
});

// keepalived down_timer_adverts (issue 13): Master_Down_Interval = N * Master_Adver_Interval + Skew_Time.
t.test('keepalived backup: downTimerAdverts 5 waits five intervals plus the skew', async (t) => {
  const s = new Scenario(v2Config({ downTimerAdverts: 5 }));
  s.at(0, startup);
  t.equal(s.nextDeadlineMs, 5609.375, '5 * 1000 + (256 - 100) / 256 * 1000');
  t.strictSame(s.at(1000, advertInput(advertFor(s.config, { priority: 150 }))), []);
  t.equal(s.nextDeadlineMs, 6609.375, 'reset from the advert: 1000 + 5609.375');
  t.strictSame(s.at(6609.374, timeout), [], 'not one ms early');
  t.strictSame(s.at(6609.375, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
});

// keepalived vrrp_startup_delay (issue 13): inside the delay a Backup's down timer counts from its end,
// also when an advert resets it; after the delay the timers are the RFC's again.
t.test('keepalived backup: startupDelayMs puts the down timer after the delay', async (t) => {
  const s = new Scenario(v2Config({ startupDelayMs: 5000 }));
  s.at(0, startup);
  t.equal(s.state, 'Backup');
  t.equal(s.nextDeadlineMs, 8609.375, '5000 + 3 * 1000 + 609.375');
  t.strictSame(s.at(1000, advertInput(advertFor(s.config, { priority: 150 }))), []);
  t.equal(s.nextDeadlineMs, 8609.375, 'an advert inside the delay: still from its end');
  t.strictSame(s.at(6000, advertInput(advertFor(s.config, { priority: 150 }))), []);
  t.equal(s.nextDeadlineMs, 9609.375, 'after the delay: from the advert');
  t.strictSame(s.at(9609.375, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
});

t.test('keepalived owner: startupDelayMs keeps it Backup until the delay ends', async (t) => {
  const s = new Scenario(v2Config({ priority: 255, startupDelayMs: 2500 }));
  s.at(0, startup);
  t.equal(s.state, 'Backup', 'no Master before the delay ends');
  t.equal(s.nextDeadlineMs, 2500);
  t.strictSame(s.at(2500, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
});

// keepalived garp_lower_prio_repeat / _delay: two Masters means hosts may have learnt the other one's MAC
// for our VIPs; re-announce at once and again after the delay (the "no GARP after a multi-master
// episode" field failure).
t.test('keepalived master: lower priority advert re-announces the VIPs, second burst after the delay', async (t) => {
  const s = new Scenario(
    v2Config({
      priority: 255,
      announce: {
        repeat: 5,
        secondBurstDelayMs: 0,
        refreshIntervalMs: 0,
        refreshRepeat: 1,
        lowerPriorityRepeat: 2,
        lowerPrioritySecondBurstDelayMs: 2500,
      },
    }),
  );
  s.at(0, startup);
  const actions = s.at(300, advertInput(advertFor(s.config, { priority: 100 })));
  t.strictSame(actions.slice(0, 2), [sendAdvert(s.config, 255), announce(s.config, 2)]);
  t.strictSame(s.at(1000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(2000, timeout), [sendAdvert(s.config, 255)]);
  t.strictSame(s.at(2800, timeout), [announce(s.config, 2)], 'at 2800 ms: the second lower-priority burst');
  t.strictSame(s.at(3000, timeout), [sendAdvert(s.config, 255)], 'no further burst');
});

t.test('keepalived master: lowerPriorityRepeat 0 turns the re-announcement off', async (t) => {
  const s = new Scenario(
    v2Config({
      priority: 255,
      announce: {
        repeat: 5,
        secondBurstDelayMs: 0,
        refreshIntervalMs: 0,
        refreshRepeat: 1,
        lowerPriorityRepeat: 0,
        lowerPrioritySecondBurstDelayMs: 2500,
      },
    }),
  );
  s.at(0, startup);
  const actions = s.at(300, advertInput(advertFor(s.config, { priority: 100 })));
  t.strictSame(
    actions.map((a) => a.kind),
    ['sendAdvert', 'notice'],
  );
});

// RFC 9568 6.4.3 Shutdown: cancel Adver_Timer, send priority 0, go Initialize. Then remove VIPs.
t.test('6.4.3 shutdown as Master: priority-0 advert, remove VIPs, Initialize', async (t) => {
  const s = new Scenario(v2Config({ priority: 255 }));
  s.at(0, startup);
  t.strictSame(s.at(2500, shutdown), [
    sendAdvert(s.config, 0),
    removeVips(s.config),
    stateChange('Master', 'Initialize', 'shutdown', 255),
  ]);
  t.equal(s.nextDeadlineMs, undefined);
  t.strictSame(s.at(3000, timeout), []);
});

// RFC 9568 6.4.2 Shutdown: cancel Master_Down_Timer, go Initialize.
t.test('6.4.2 shutdown as Backup: state change only', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(1000, shutdown), [stateChange('Backup', 'Initialize', 'shutdown', 100)]);
  t.equal(s.nextDeadlineMs, undefined);
  t.strictSame(s.at(5000, timeout), []);
});

t.test('shutdown in Initialize does nothing; a router can start again after shutdown', async (t) => {
  const s = new Scenario(v2Config());
  t.strictSame(s.at(0, shutdown), []);
  s.at(0, startup);
  s.at(10, shutdown);
  t.strictSame(s.at(20, startup), [stateChange('Initialize', 'Backup', 'startup', 100)]);
  t.equal(s.nextDeadlineMs, 3629.375);
});

t.test('adverts before startup are ignored and not counted', async (t) => {
  const s = new Scenario(v2Config());
  t.strictSame(s.at(0, advertInput(advertFor(s.config, { ttl: 1 }))), []);
  t.equal(s.router.dropCounts.size, 0);
});

// Two owners (RFC 9568 8.3.2 says there should be one): RFC 9568 6.4.3's tie-break for equal
// priorities decides, as for any other priority; neither lowers its priority (keepalived's 254: DIFF-17).
t.test('owner conflict: the owner with the smaller primary address steps down and keeps 255', async (t) => {
  const s = new Scenario(v2Config({ priority: 255, primaryAddress: '192.0.2.10' }));
  s.at(0, startup);
  t.strictSame(s.at(500, advertInput(advertFor(s.config, { priority: 255, from: '192.0.2.20' }))), [
    {
      kind: 'notice',
      notice: 'owner-conflict',
      detail: '192.0.2.20 also claims priority 255; its primary address is greater: we step down',
    },
    removeVips(s.config),
    stateChange('Master', 'Backup', 'tie-break-lost', 255),
  ]);
  t.equal(s.router.snapshot().basePriority, 255);
  t.equal(s.router.effectivePriority, 255);
  t.equal(s.nextDeadlineMs, 500 + 3000 + 3.90625, 'Master_Down_Interval at priority 255');
  t.strictSame(
    s.at(1500, advertInput(advertFor(s.config, { priority: 255, from: '192.0.2.20' }))),
    [],
    'as Backup it follows the other owner',
  );
});

t.test('owner conflict: the owner with the greater primary address stays Master and advertises at once', async (t) => {
  const s = new Scenario(v2Config({ priority: 255, primaryAddress: '192.0.2.30' }));
  s.at(0, startup);
  const actions = s.at(500, advertInput(advertFor(s.config, { priority: 255, from: '192.0.2.20' })));
  t.match(actions, [
    {
      kind: 'notice',
      notice: 'owner-conflict',
      detail: '192.0.2.20 also claims priority 255; our primary address is greater: we stay Master',
    },
    { kind: 'sendAdvert', priority: 255 },
  ]);
  t.equal(ofKind(actions, 'stateChange').length, 0, 'no state change');
  t.equal(s.state, 'Master');
  t.equal(s.router.effectivePriority, 255);
});

t.test('address list mismatch: notice once per source, advert still accepted', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(1000, advertInput(advertFor(s.config, { priority: 150, addresses: ['192.0.2.200'] }))), [
    {
      kind: 'notice',
      notice: 'address-list-mismatch',
      detail: 'advert from 192.0.2.20 lists [192.0.2.200], ours is [192.0.2.100]',
    },
  ]);
  t.equal(s.nextDeadlineMs, 4609.375, 'accepted: the timer was reset');
  t.strictSame(s.at(2000, advertInput(advertFor(s.config, { priority: 150, addresses: ['192.0.2.200'] }))), []);
});

t.test('snapshot reports the router as it is', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.router.snapshot(), {
    name: 'VI_1',
    vrid: 51,
    state: 'Backup',
    basePriority: 100,
    effectivePriority: 100,
    masterAdvertIntervalCs: 100,
    masterAddress: undefined,
    lastTransition: { atMs: 0, reason: 'startup' },
    nextDeadlineMs: 3609.375,
  });
});

t.test(
  'keepalived master: a router that keeps advertising lower gets adverts, but one announcement per hold-off',
  async (t) => {
    const s = new Scenario(
      v2Config({
        priority: 255,
        announce: {
          repeat: 5,
          secondBurstDelayMs: 0,
          refreshIntervalMs: 0,
          refreshRepeat: 1,
          lowerPriorityRepeat: 2,
          lowerPrioritySecondBurstDelayMs: 2500,
        },
      }),
    );
    s.at(0, startup);
    t.strictSame(
      s.at(300, advertInput(advertFor(s.config, { priority: 100 }))).map((a) => a.kind),
      ['sendAdvert', 'announceVips', 'notice'],
    );
    t.strictSame(s.at(1000, timeout), [sendAdvert(s.config, 255)]);
    t.strictSame(
      s.at(1300, advertInput(advertFor(s.config, { priority: 100 }))),
      [sendAdvert(s.config, 255), announce(s.config, 1)],
      'at 1300 ms: the advert, one announcement, no notice',
    );
    t.strictSame(s.at(2000, timeout), [sendAdvert(s.config, 255)]);
    t.strictSame(
      s.at(2300, advertInput(advertFor(s.config, { priority: 100 }))),
      [sendAdvert(s.config, 255), announce(s.config, 1)],
      'at 2300 ms: the advert, one announcement, no notice',
    );
    t.strictSame(s.at(2800, timeout), [announce(s.config, 2)], 'at 2800 ms: the second burst was not pushed back');
    t.strictSame(
      s.at(3300, advertInput(advertFor(s.config, { priority: 100 }))).map((a) => a.kind),
      ['sendAdvert', 'announceVips', 'notice'],
      'at 3300 ms: hold-off over',
    );
  },
);

// The contested winner's re-announcement (issue 16): the hold-off is for one source's regular stream.
// A Master losing to us sends one advert as it steps down; if hosts learnt its MAC after our last
// announcement (a healed partition, three Masters meeting), that advert is the only sign we get.
t.test(
  'keepalived master: a new lower source, a silent one heard again, or an early advert is announced despite the hold-off',
  async (t) => {
    const s = new Scenario(
      v2Config({
        priority: 255,
        announce: {
          repeat: 5,
          secondBurstDelayMs: 0,
          refreshIntervalMs: 0,
          refreshRepeat: 1,
          lowerPriorityRepeat: 2,
          lowerPrioritySecondBurstDelayMs: 5000,
        },
      }),
    );
    const lower = (from: string) => advertInput(advertFor(s.config, { priority: 100, from }));
    const kinds = (atMs: number, input: ReturnType<typeof lower>) => s.at(atMs, input).map((a) => a.kind);
    s.at(0, startup);
    t.strictSame(kinds(300, lower('192.0.2.20')), ['sendAdvert', 'announceVips', 'notice'], 'at 300 ms: first contest');
    t.strictSame(
      kinds(1300, lower('192.0.2.20')),
      ['sendAdvert', 'announceVips'],
      'at 1300 ms: its regular stream, held off (one announcement)',
    );
    t.strictSame(
      kinds(1400, lower('192.0.2.30')),
      ['sendAdvert', 'announceVips', 'notice'],
      'at 1400 ms: another source is a new contest',
    );
    t.strictSame(
      kinds(1405, lower('192.0.2.30')),
      ['sendAdvert', 'announceVips', 'notice'],
      'at 1405 ms: it advertised early (stepping down)',
    );
    t.strictSame(
      kinds(2300, lower('192.0.2.20')),
      ['sendAdvert', 'announceVips'],
      'at 2300 ms: the first source, still regular',
    );
    // 192.0.2.30 was last heard at 1405 ms; more than three 1 s intervals later it is a new claim.
    t.strictSame(
      kinds(4500, lower('192.0.2.30')),
      ['sendAdvert', 'announceVips', 'notice'],
      'at 4500 ms: heard again after a silence',
    );
    t.strictSame(
      kinds(5200, lower('192.0.2.30')),
      ['sendAdvert', 'announceVips'],
      'at 5200 ms: regular again, held off',
    );
  },
);

// A one-way cut (issue 16): the other Master hears nothing from us and advertises every interval; when
// the cut heals it hears our advert and steps down with one advert of its own, which lands wherever its
// interval happens to be. Late in the interval it looks like its regular stream, and it is the last sign
// we get: the hosts behind the cut learnt its MAC and heard none of our announcements.
t.test(
  'keepalived master: a step-down advert late in its interval, inside the hold-off, still gets one announcement',
  async (t) => {
    const s = new Scenario(
      v2Config({
        priority: 255,
        announce: {
          repeat: 5,
          secondBurstDelayMs: 0,
          refreshIntervalMs: 0,
          refreshRepeat: 1,
          lowerPriorityRepeat: 5,
          lowerPrioritySecondBurstDelayMs: 5000,
        },
      }),
    );
    const lower = advertInput(advertFor(s.config, { priority: 100, from: '192.0.2.20' }));
    s.at(0, startup);
    t.strictSame(
      s.at(300, lower).map((a) => a.kind),
      ['sendAdvert', 'announceVips', 'notice'],
      'the cut: its first advert',
    );
    for (const atMs of [1300, 2300]) s.at(atMs, lower);
    // Healed: our advert reaches it at 3250 ms, it steps down and advertises 950 ms after its last one.
    t.strictSame(
      s.at(3250, lower),
      [sendAdvert(s.config, 255), announce(s.config, 1)],
      'its step-down advert at 3250 ms: one announcement, the hosts behind the cut learn us',
    );
    t.equal(s.router.state, 'Master');
  },
);

t.test('keepalived master: lowerPriorityRepeat 0 announces nothing inside the hold-off either', async (t) => {
  const s = new Scenario(
    v2Config({
      priority: 255,
      announce: {
        repeat: 5,
        secondBurstDelayMs: 0,
        refreshIntervalMs: 0,
        refreshRepeat: 1,
        lowerPriorityRepeat: 0,
        lowerPrioritySecondBurstDelayMs: 5000,
      },
    }),
  );
  const lower = advertInput(advertFor(s.config, { priority: 100 }));
  s.at(0, startup);
  t.strictSame(
    s.at(300, lower).map((a) => a.kind),
    ['sendAdvert', 'notice'],
  );
  t.strictSame(s.at(1300, lower), [sendAdvert(s.config, 255)], 'the advert only');
});
