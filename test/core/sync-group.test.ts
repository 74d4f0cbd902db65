// The core's side of keepalived's vrrp_sync_group (the 'syncGroup' input): a member never takes over
// alone, reports its own faults, and follows what its group decides.
// v2, priority 100, 1 s interval: Master_Down_Interval = 3609.375 ms.
import t from 'tap';
import type { RouterInput, SyncGroupCommand } from '../../src/core/types.js';
import {
  Scenario,
  advertFor,
  advertInput,
  becomeMaster,
  linkDown,
  linkUp,
  removeVips,
  sendAdvert,
  startup,
  stateChange,
  timeout,
  track,
  v2Config,
} from './scenario.js';

const sync = (command: SyncGroupCommand): RouterInput => ({ kind: 'syncGroup', command });
const DOWN = 3609.375;

t.test(
  'sync: a member whose down timer runs out says it is ready and waits, asking again each Master_Down_Interval',
  async (t) => {
    const s = new Scenario(v2Config());
    t.strictSame(s.at(0, sync('join')), []);
    s.at(0, startup);
    const actions = s.at(DOWN, timeout);
    t.equal(s.state, 'Backup');
    t.strictSame(
      actions.map((a) => a.kind),
      ['notice'],
    );
    t.match(actions[0], { kind: 'notice', notice: 'sync-wants-master' });
    t.equal(s.nextDeadlineMs, 2 * DOWN);
    t.strictSame(s.at(2 * DOWN, timeout), [], 'no second notice while still waiting');
    t.strictSame(s.at(2 * DOWN + 10, sync('master')), becomeMaster(s.config, 'Backup', 'sync-group'));
  },
);

t.test('sync: a waiting member that hears a master stands by', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, sync('join'));
  s.at(0, startup);
  s.at(DOWN, timeout);
  const actions = s.at(DOWN + 100, advertInput(advertFor(s.config, { priority: 150, from: '192.0.2.9' })));
  t.match(actions, [{ kind: 'notice', notice: 'sync-stands-by' }]);
  t.equal(s.nextDeadlineMs, DOWN + 100 + DOWN, 'the down timer restarts from the advert');
  t.strictSame(
    s.at(DOWN + 200, sync('master')),
    becomeMaster(s.config, 'Backup', 'sync-group'),
    "'master' from the group still applies",
  );
});

t.test('sync: a router outside any group takes over alone as before', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, startup);
  t.strictSame(s.at(DOWN, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
  t.strictSame(s.at(DOWN + 1, sync('master')), [], "'master' means nothing to a Master");
});

t.test("sync: 'backup' makes a Master step down without a priority-0 advert, with a full down timer", async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, sync('join'));
  s.at(0, startup);
  s.at(DOWN, timeout);
  s.at(DOWN, sync('master'));
  t.equal(s.state, 'Master');
  t.strictSame(s.at(5000, sync('backup')), [removeVips(s.config), stateChange('Master', 'Backup', 'sync-group', 100)]);
  t.equal(s.nextDeadlineMs, 5000 + DOWN);
  t.strictSame(s.at(5001, sync('backup')), [], "'backup' means nothing to a Backup");
});

t.test('sync: own faults are reported; a group fault holds the member in Fault until cleared', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, sync('join'));
  s.at(0, startup);
  s.at(DOWN, timeout);
  s.at(DOWN, sync('master'));
  // Another member failed: held in Fault (priority-0 advert as Master), no own-fault notice.
  t.strictSame(s.at(4000, sync('fault')), [
    sendAdvert(s.config, 0),
    removeVips(s.config),
    stateChange('Master', 'Fault', 'sync-group', 100),
  ]);
  // Our own link fails meanwhile: reported, state unchanged.
  t.match(s.at(4100, linkDown), [{ kind: 'notice', notice: 'sync-own-fault' }]);
  t.equal(s.state, 'Fault');
  // The group's fault ends but ours does not: still Fault.
  t.strictSame(s.at(4200, sync('fault-cleared')), []);
  t.equal(s.state, 'Fault');
  const recovered = s.at(4300, linkUp);
  t.match(recovered, [
    { kind: 'notice', notice: 'sync-own-fault-cleared' },
    stateChange('Fault', 'Backup', 'link-up', 100),
  ]);
  t.equal(s.nextDeadlineMs, 4300 + DOWN, 'full down timer after Fault');
});

t.test('sync: a weight-0 track failing is an own fault; joining while faulted reports it at once', async (t) => {
  const s = new Scenario(v2Config());
  s.at(0, track('chk', false, 0));
  t.match(s.at(0, sync('join')), [{ kind: 'notice', notice: 'sync-own-fault' }]);
  t.strictSame(s.at(0, startup), [stateChange('Initialize', 'Fault', 'track-failed', 100)]);
  t.strictSame(s.at(100, sync('fault')), [], 'already in Fault');
  t.match(s.at(200, track('chk', true, 0)), [{ kind: 'notice', notice: 'sync-own-fault-cleared' }]);
  t.equal(s.state, 'Fault', 'the group still holds it');
  t.strictSame(s.at(300, sync('fault-cleared')), [stateChange('Fault', 'Backup', 'sync-group', 100)]);
  t.strictSame(
    s.at(300, track('other', false, -10)).map((a) => a.kind),
    ['priorityChange'],
    'a weighted track is no fault',
  );
});

t.test('sync: a preempt_delay wait that ends also only makes the member ready', async (t) => {
  const s = new Scenario(v2Config({ preemptDelayMs: 500 }));
  s.at(0, sync('join'));
  s.at(0, startup);
  s.at(100, advertInput(advertFor(s.config, { priority: 50, from: '192.0.2.9' })));
  t.match(s.at(600, timeout), [{ kind: 'notice', notice: 'sync-wants-master' }]);
  t.equal(s.state, 'Backup');
});

t.test(
  "sync: 'leave' (its group removed on reload): a waiting member takes over at its next expiry; a group fault ends",
  async (t) => {
    const s = new Scenario(v2Config());
    s.at(0, sync('join'));
    s.at(0, startup);
    s.at(DOWN, timeout);
    t.equal(s.state, 'Backup', 'waiting for its group');
    t.strictSame(s.at(DOWN + 10, sync('leave')), []);
    t.strictSame(s.at(2 * DOWN, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
    const held = new Scenario(v2Config());
    held.at(0, sync('join'));
    held.at(0, startup);
    held.at(10, sync('fault'));
    t.strictSame(held.at(20, sync('leave')), [stateChange('Fault', 'Backup', 'sync-group', 100)]);
  },
);

t.test(
  "sync: with higherPrioritySendAdvert, 'backup' sends one advert of ours first, so a contested Master re-announces",
  async (t) => {
    const s = new Scenario(v2Config({ higherPrioritySendAdvert: true }));
    s.at(0, sync('join'));
    s.at(0, startup);
    s.at(DOWN, timeout);
    s.at(DOWN, sync('master'));
    t.strictSame(s.at(5000, sync('backup')), [
      sendAdvert(s.config, 100),
      removeVips(s.config),
      stateChange('Master', 'Backup', 'sync-group', 100),
    ]);
    t.equal(s.nextDeadlineMs, 5000 + DOWN);
  },
);
