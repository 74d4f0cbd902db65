// keepalived FAULT state and tracked-object weights (vrrp_track.c semantics), and run-time priority.
// v2, priority 100, 1 s interval: Master_Down_Interval = 3609.375 ms.
import t from 'tap';
import {
  Scenario,
  advertFor,
  advertInput,
  becomeMaster,
  linkDown,
  linkUp,
  removeVips,
  sendAdvert,
  setPriority,
  startup,
  stateChange,
  timeout,
  track,
  v2Config,
} from './scenario.js';

t.test('fault: link down in Backup -> Fault, timers stop; link up -> Backup with a full down timer', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(1000, linkDown), [stateChange('Backup', 'Fault', 'link-down', 100)]);
  t.equal(s.nextDeadlineMs, undefined);
  t.strictSame(s.at(5000, timeout), []);
  t.strictSame(s.at(6000, linkUp), [stateChange('Fault', 'Backup', 'link-up', 100)]);
  t.equal(s.nextDeadlineMs, 9609.375);
});

// keepalived vrrp_state_leave_master() to FAULT: priority-0 advert, then the VIPs go.
t.test('fault: link down as Master -> priority-0 advert, remove VIPs, Fault', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(3609.375, timeout);
  t.strictSame(s.at(4000, linkDown), [
    sendAdvert(s.config, 0),
    removeVips(s.config),
    stateChange('Master', 'Fault', 'link-down', 100),
  ]);
  t.equal(s.nextDeadlineMs, undefined);
});

t.test('fault: a weight-0 tracked object down as Master -> priority-0 advert, remove VIPs, Fault', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(3609.375, timeout);
  t.strictSame(s.at(4000, track('chk_haproxy', false, 0)), [
    sendAdvert(s.config, 0),
    removeVips(s.config),
    stateChange('Master', 'Fault', 'track-failed', 100),
  ]);
  t.strictSame(s.at(4100, track('chk_haproxy', true, 0)), [stateChange('Fault', 'Backup', 'track-recovered', 100)]);
  t.equal(s.nextDeadlineMs, 7709.375);
});

t.test('fault: adverts are ignored in Fault; invalid ones are still counted as drops', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(1000, linkDown);
  t.strictSame(s.at(2000, advertInput(advertFor(s.config, { priority: 0 }))), []);
  t.strictSame(s.at(2500, advertInput(advertFor(s.config, { ttl: 64 }))), [{ kind: 'dropped', reason: 'ttl' }]);
  t.equal(s.router.dropCounts.get('ttl'), 1);
  t.equal(s.state, 'Fault');
  t.equal(s.nextDeadlineMs, undefined);
});

t.test('fault: a weight-0 tracked object down -> Fault (track-failed); up -> Backup (track-recovered)', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(1000, track('chk_haproxy', false, 0)), [stateChange('Backup', 'Fault', 'track-failed', 100)]);
  t.strictSame(s.at(2000, track('chk_haproxy', true, 0)), [stateChange('Fault', 'Backup', 'track-recovered', 100)]);
  t.equal(s.nextDeadlineMs, 5609.375);
});

t.test('fault: stays in Fault until every cause clears', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(1000, track('chk', false, 0));
  t.strictSame(s.at(1100, linkDown), []);
  t.strictSame(s.at(1200, track('chk', true, 0)), [], 'link still down');
  t.equal(s.state, 'Fault');
  t.strictSame(s.at(1300, linkUp), [stateChange('Fault', 'Backup', 'link-up', 100)]);
});

t.test('fault: the owner leaving Fault goes Master at once', async (t) => {
  const s = new Scenario(v2Config({ priority: 255 }));
  s.at(0, startup);
  t.strictSame(s.at(500, linkDown), [
    sendAdvert(s.config, 0),
    removeVips(s.config),
    stateChange('Master', 'Fault', 'link-down', 255),
  ]);
  t.strictSame(s.at(2000, linkUp), becomeMaster(s.config, 'Fault', 'link-up', 255));
  t.equal(s.nextDeadlineMs, 3000);
});

t.test('fault: link already down at startup -> Fault; link up -> Backup', async (t) => {
  const s = new Scenario(v2Config());
  t.strictSame(s.at(0, linkDown), [], 'before startup the input is only recorded');
  t.strictSame(s.at(0, startup), [stateChange('Initialize', 'Fault', 'link-down', 100)]);
  t.strictSame(s.at(100, linkUp), [stateChange('Fault', 'Backup', 'link-up', 100)]);
  t.equal(s.nextDeadlineMs, 3709.375);
});

// keepalived unicast_fault_no_peer (issue 16): unicast meant, no peer listed -> Fault, never multicast.
t.test('fault: unicastFaultNoPeer with no peer -> Fault at startup, and it stays there', async (t) => {
  const s = new Scenario(v2Config({ unicastFaultNoPeer: true, unicastPeers: [] }));
  t.strictSame(s.at(0, startup), [stateChange('Initialize', 'Fault', 'no-unicast-peer', 100)]);
  t.equal(s.nextDeadlineMs, undefined, 'no down timer: it never becomes Master');
  t.strictSame(s.at(5000, timeout), []);
  t.strictSame(s.at(6000, linkDown), [], 'still Fault');
  t.strictSame(s.at(7000, linkUp), [], 'link up does not clear it');
  t.strictSame(s.at(8000, advertInput(advertFor(s.config, { priority: 50 }))), [], 'adverts are ignored');
  const owner = new Scenario(v2Config({ priority: 255, unicastFaultNoPeer: true, unicastPeers: [] }));
  t.strictSame(owner.at(0, startup), [stateChange('Initialize', 'Fault', 'no-unicast-peer', 255)], 'even the owner');
  const peered = new Scenario(v2Config({ unicastFaultNoPeer: true, unicastPeers: ['192.0.2.2'] }));
  t.strictSame(peered.at(0, startup), [stateChange('Initialize', 'Backup', 'startup', 100)], 'with a peer: Backup');
});

t.test('fault: shutdown from Fault -> Initialize', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(10, linkDown);
  t.strictSame(s.at(20, { kind: 'shutdown' }), [stateChange('Fault', 'Initialize', 'shutdown', 100)]);
});

// keepalived weights: > 0 adds while up, < 0 subtracts while down.
t.test('track weights: positive adds while up, negative subtracts while down', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(100, track('a', true, 20)), [{ kind: 'priorityChange', from: 100, to: 120 }]);
  t.strictSame(s.at(200, track('b', true, -30)), [], 'negative weight while up: no change');
  t.strictSame(s.at(300, track('b', false, -30)), [{ kind: 'priorityChange', from: 120, to: 90 }]);
  t.strictSame(s.at(400, track('a', false, 20)), [{ kind: 'priorityChange', from: 90, to: 70 }]);
  t.strictSame(s.at(500, track('b', true, -30)), [{ kind: 'priorityChange', from: 70, to: 100 }]);
  t.equal(s.router.snapshot().basePriority, 100);
});

t.test('track weights: clamped to 1..254', async (t) => {
  const high = new Scenario(v2Config({ priority: 250 }));
  high.at(0, startup);
  t.strictSame(high.at(100, track('a', true, 20)), [{ kind: 'priorityChange', from: 250, to: 254 }]);
  const low = new Scenario(v2Config({ priority: 10 }));
  low.at(0, startup);
  t.strictSame(low.at(100, track('a', false, -30)), [{ kind: 'priorityChange', from: 10, to: 1 }]);
});

// keepalived vrrp_set_effective_priority(): a Backup's running down timer follows the new Skew_Time.
t.test('track weights: a priority change moves a Backup down timer by the Skew_Time difference', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.equal(s.nextDeadlineMs, 3609.375);
  s.at(1000, track('a', false, -50));
  t.equal(s.nextDeadlineMs, 3609.375 + 195.3125, 'priority 50: skew 206/256 s = 804.6875 ms');
  s.at(1100, track('a', true, -50));
  t.equal(s.nextDeadlineMs, 3609.375, 'back to priority 100');
});

t.test('track weights: the owner (255) never moves', async (t) => {
  const s = new Scenario(v2Config({ priority: 255 }));
  s.at(0, startup);
  t.strictSame(s.at(100, track('a', false, -50)), []);
  t.equal(s.router.effectivePriority, 255);
});

t.test('track weights: as Master the next advert carries the new priority', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(3609.375, timeout);
  t.strictSame(s.at(4000, track('a', true, 20)), [{ kind: 'priorityChange', from: 100, to: 120 }]);
  t.strictSame(s.at(4609.375, timeout), [sendAdvert(s.config, 120)]);
});

// RFC 9568 6.4.2 with a moving priority: once ours exceeds the master's, its adverts are discarded.
t.test('track weights: a Backup whose priority rises above the master preempts by the normal rules', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  s.at(1000, advertInput(advertFor(s.config, { priority: 120 })));
  t.equal(s.nextDeadlineMs, 4609.375);
  t.strictSame(s.at(1500, track('a', true, 50)), [{ kind: 'priorityChange', from: 100, to: 150 }]);
  t.equal(s.nextDeadlineMs, 4414.0625, 'Skew_Time shrank from 609.375 to 414.0625 ms');
  t.strictSame(s.at(2000, advertInput(advertFor(s.config, { priority: 120 }))), [], 'discarded now');
  t.equal(s.nextDeadlineMs, 4414.0625, 'not reset by the discarded advert');
  t.strictSame(s.at(4414.0625, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer', 150));
});

t.test('track weights: a Master whose priority drops below a Backup steps down on its advert', async (t) => {
  const s = new Scenario(v2Config({ priority: 150 }));
  s.at(0, startup);
  s.at(3414.0625, timeout);
  s.at(3500, track('a', false, -60));
  t.strictSame(s.at(3600, advertInput(advertFor(s.config, { priority: 100 }))), [
    removeVips(s.config),
    stateChange('Master', 'Backup', 'higher-priority-advert', 90),
  ]);
});

t.test('setPriority changes the base priority; out of range throws', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(100, setPriority(200)), [{ kind: 'priorityChange', from: 100, to: 200 }]);
  t.equal(s.router.snapshot().basePriority, 200);
  t.throws(() => s.at(200, setPriority(0)), /priority must be an integer 1\.\.255, got 0/);
  t.throws(() => s.at(200, setPriority(1.5)), /priority must be an integer/);
});

// keepalived 2.2.7 (vrrp_netlink.c behaviour, observed in a namespace): a VIP removed by someone else
// while Master -> priority-0 advert, VIPs removed, Backup with the down timer at Skew_Time; Master
// again after it unless a Backup takes over first.
t.test('vips lost: Master steps down with a priority-0 advert and takes over again after Skew_Time', async (t) => {
  const s = new Scenario(v2Config({ priority: 200 }));
  s.at(0, startup);
  const down = s.nextDeadlineMs!;
  s.at(down, timeout);
  t.equal(s.state, 'Master');
  t.strictSame(s.at(down + 100, { kind: 'vipsLost' }), [
    sendAdvert(s.config, 0),
    removeVips(s.config),
    stateChange('Master', 'Backup', 'vips-removed', 200),
  ]);
  t.equal(s.nextDeadlineMs, down + 100 + 218.75, 'Skew_Time for priority 200: (256 - 200) / 256 s');
  t.strictSame(s.at(down + 100 + 218.75, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
});

t.test('vips lost: ignored unless Master', async (t) => {
  const s = new Scenario(v2Config());
  t.strictSame(s.at(0, { kind: 'vipsLost' }), [], 'Initialize');
  s.at(0, startup);
  t.strictSame(s.at(10, { kind: 'vipsLost' }), [], 'Backup');
  t.equal(s.state, 'Backup');
  t.equal(s.nextDeadlineMs, 3609.375, 'the down timer is untouched');
});
