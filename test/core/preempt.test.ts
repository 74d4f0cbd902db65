// Preemption: RFC 9568 6.4.2 Preempt_Mode, keepalived nopreempt and preempt_delay, and the two
// PreemptDelayMode readings of `state MASTER` ('keepalived' 2.2.7 and 'openshift').
// Priority 150, v2, 1 s interval: Skew_Time = 106/256 s = 414.0625 ms, Master_Down = 3414.0625 ms.
import t from 'tap';
import {
  Scenario,
  advertFor,
  advertInput,
  becomeMaster,
  startup,
  stateChange,
  timeout,
  track,
  linkDown,
  linkUp,
  v2Config,
} from './scenario.js';
import type { VirtualRouterConfig } from '../../src/core/types.js';

function lowerMasterAdvertsFrom(s: Scenario, fromMs: number, toMs: number): void {
  for (let ms = fromMs; ms <= toMs; ms += 1000) {
    const actions = s.at(ms, advertInput(advertFor(s.config, { priority: 100 })));
    if (actions.length !== 0) throw new Error(`at ${ms} ms: unexpected ${JSON.stringify(actions)}`);
    const timerActions = s.at(ms, timeout);
    if (timerActions.length !== 0) throw new Error(`at ${ms} ms: unexpected takeover ${JSON.stringify(timerActions)}`);
  }
}

const delayed = (overrides: Partial<VirtualRouterConfig> = {}) =>
  v2Config({ priority: 150, preemptDelayMs: 10000, ...overrides });

// keepalived vrrp_state_backup(): with preempt_delay, a lower-priority advert is accepted (timer reset)
// and the first one starts the wait; after it, the Backup takes over.
t.test('preempt_delay: a lower priority master is tolerated for 10 s, then preempted', async (t) => {
  const s = new Scenario(delayed());
  t.strictSame(s.at(0, startup), [stateChange('Initialize', 'Backup', 'startup', 150)]);
  t.strictSame(s.at(1000, advertInput(advertFor(s.config, { priority: 100 }))), []);
  t.equal(s.nextDeadlineMs, 4414.0625, 'at 1000 ms: down timer reset, wait ends at 11000');
  lowerMasterAdvertsFrom(s, 2000, 10000);
  t.equal(s.nextDeadlineMs, 11000);
  t.strictSame(s.at(10999, timeout), []);
  t.strictSame(s.at(11000, timeout), becomeMaster(s.config, 'Backup', 'preempt-delay-expired'));
});

t.test(
  'preempt_delay: an advert of equal or higher priority cancels the wait; the next lower one restarts it',
  async (t) => {
    const s = new Scenario(delayed());
    s.at(0, startup);
    s.at(1000, advertInput(advertFor(s.config, { priority: 100 })));
    t.strictSame(s.at(5000, advertInput(advertFor(s.config, { priority: 150 }))), []);
    t.equal(s.nextDeadlineMs, 8414.0625, 'at 5000 ms: wait cancelled, only the down timer remains');
    s.at(6000, advertInput(advertFor(s.config, { priority: 100 })));
    // The helper also fires 'timeout' each second and fails on any action, so 11000 ms (the end of
    // the first, cancelled wait) passes without a takeover.
    lowerMasterAdvertsFrom(s, 7000, 15000);
    t.equal(s.nextDeadlineMs, 16000);
    t.strictSame(s.at(16000, timeout), becomeMaster(s.config, 'Backup', 'preempt-delay-expired'));
  },
);

t.test('preempt_delay: if the lower priority master dies during the wait, the down timer takes over', async (t) => {
  const s = new Scenario(delayed());
  s.at(0, startup);
  s.at(1000, advertInput(advertFor(s.config, { priority: 100 })));
  t.strictSame(s.at(4414.0625, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
});

t.test('preempt_delay: no takeover if our priority fell below the master during the wait', async (t) => {
  const s = new Scenario(delayed());
  s.at(0, startup);
  lowerMasterAdvertsFrom(s, 1000, 10000);
  t.strictSame(s.at(10500, track('chk', false, -60)), [{ kind: 'priorityChange', from: 150, to: 90 }]);
  t.strictSame(s.at(11000, timeout), [], 'at 11000 ms: 90 < 100, the wait ends without a takeover');
  t.equal(s.state, 'Backup');
  t.equal(s.nextDeadlineMs, 13414.0625 + 234.375, 'down timer moved by the Skew_Time change (166 - 106) / 256 s');
});

// The field failure "preempt_delay ignored after FAULT": the wait must start afresh after a fault.
t.test('preempt_delay holds after Fault: the wait restarts with the first lower advert after recovery', async (t) => {
  const s = new Scenario(delayed());
  s.at(0, startup);
  lowerMasterAdvertsFrom(s, 1000, 4000);
  t.strictSame(s.at(4500, linkDown), [stateChange('Backup', 'Fault', 'link-down', 150)]);
  t.strictSame(s.at(6000, linkUp), [stateChange('Fault', 'Backup', 'link-up', 150)]);
  t.equal(s.nextDeadlineMs, 9414.0625, 'at 6000 ms: full down timer, no wait pending');
  // Timeouts fire each second inside the helper: 11000 ms (the pre-fault wait) passes without a takeover.
  lowerMasterAdvertsFrom(s, 7000, 16000);
  t.strictSame(s.at(17000, timeout), becomeMaster(s.config, 'Backup', 'preempt-delay-expired'));
});

// keepalived 2.2.7 vrrp_complete_instance(): `state MASTER` clears preempt_delay (with a warning), so a
// rebooted node with state MASTER preempts as soon as its down timer runs out.
t.test(
  'keepalived mode: initialState Master clears preempt_delay (notice) and preempts after the down timer',
  async (t) => {
    const s = new Scenario(delayed({ initialState: 'Master' }));
    t.strictSame(s.at(0, startup), [
      {
        kind: 'notice',
        notice: 'preempt-settings-ignored',
        detail: 'initial state MASTER clears preempt_delay 10000 ms (keepalived 2.2.7 behaviour)',
      },
      stateChange('Initialize', 'Backup', 'startup-master-wanted', 150),
    ]);
    t.strictSame(s.at(1000, advertInput(advertFor(s.config, { priority: 100 }))), [], 'discarded');
    t.strictSame(s.at(2000, advertInput(advertFor(s.config, { priority: 100 }))), [], 'discarded');
    t.equal(s.nextDeadlineMs, 3414.0625, 'never reset');
    t.strictSame(s.at(3414.0625, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
  },
);

t.test('keepalived mode: initialState Master clears nopreempt (notice) and preempts', async (t) => {
  const s = new Scenario(v2Config({ priority: 150, preempt: false, initialState: 'Master' }));
  t.strictSame(s.at(0, startup), [
    {
      kind: 'notice',
      notice: 'preempt-settings-ignored',
      detail: 'initial state MASTER clears nopreempt (keepalived 2.2.7 behaviour)',
    },
    stateChange('Initialize', 'Backup', 'startup-master-wanted', 150),
  ]);
  s.at(1000, advertInput(advertFor(s.config, { priority: 100 })));
  t.strictSame(s.at(3414.0625, timeout), becomeMaster(s.config, 'Backup', 'master-down-timer'));
});

// OpenShift's promise: preempt_delay holds even for the instance that starts as master.
t.test('openshift mode: initialState Master still waits preempt_delay before taking over', async (t) => {
  const s = new Scenario(delayed({ initialState: 'Master', preemptDelayMode: 'openshift' }));
  t.strictSame(s.at(0, startup), [stateChange('Initialize', 'Backup', 'startup-master-wanted', 150)]);
  lowerMasterAdvertsFrom(s, 1000, 10000);
  t.equal(s.state, 'Backup');
  t.strictSame(s.at(11000, timeout), becomeMaster(s.config, 'Backup', 'preempt-delay-expired'));
});

t.test('openshift mode: initialState Master with nopreempt never preempts a live master', async (t) => {
  const s = new Scenario(
    v2Config({ priority: 150, preempt: false, initialState: 'Master', preemptDelayMode: 'openshift' }),
  );
  t.strictSame(s.at(0, startup), [stateChange('Initialize', 'Backup', 'startup-master-wanted', 150)]);
  lowerMasterAdvertsFrom(s, 1000, 30000);
  t.equal(s.state, 'Backup');
  t.equal(s.nextDeadlineMs, 33414.0625);
});

// keepalived: preempt_delay is incompatible with nopreempt and is reset; nopreempt wins.
t.test('nopreempt with preempt_delay: nopreempt wins, no takeover ever', async (t) => {
  const s = new Scenario(delayed({ preempt: false }));
  s.at(0, startup);
  lowerMasterAdvertsFrom(s, 1000, 20000);
  t.equal(s.state, 'Backup');
  t.equal(s.nextDeadlineMs, 23414.0625);
});

t.test('the address owner always preempts, even if configured nopreempt (keepalived resets it)', async (t) => {
  const s = new Scenario(v2Config({ priority: 255, preempt: false, preemptDelayMs: 10000 }));
  t.equal(s.at(0, startup).at(-1)?.kind, 'stateChange');
  t.equal(s.state, 'Master');
  // Its VIPs vanish: it steps down, its down timer at Skew_Time (3.90625 ms at 255).
  s.at(1000, { kind: 'vipsLost' });
  t.equal(s.state, 'Backup');
  t.equal(s.nextDeadlineMs, 1003.90625);
  // A lower-priority Master advertises: a nopreempt Backup would accept it and wait a whole
  // Master_Down_Interval; the owner preempts: it discards the advert and takes over at its timer.
  t.strictSame(s.at(1001, advertInput(advertFor(s.config, { priority: 100 }))), []);
  t.equal(s.nextDeadlineMs, 1003.90625, 'the lower advert did not reset the down timer');
  s.at(1003.90625, timeout);
  t.equal(s.state, 'Master', 'the owner took over from the lower-priority Master');
});
