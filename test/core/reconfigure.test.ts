// VirtualRouter.reconfigure: a new configuration for the same router, applied without leaving its state
// (keepalived 2.2.7's reload of an instance it keeps). v2 at 1 s, priority 150 unless a test says so:
// Skew_Time = 414.0625 ms, Master_Down_Interval = 3414.0625 ms.
import t from 'tap';
import type { VirtualRouterConfig } from '../../src/core/types.js';
import {
  Scenario,
  advertFor,
  advertInput,
  becomeMaster,
  ofKind,
  sendAdvert,
  startup,
  timeout,
  v2Config,
  v3Config,
} from './scenario.js';

/** A router that became Master at 3414.0625 ms (no advert heard). */
function masterScenario(config: VirtualRouterConfig): Scenario {
  const s = new Scenario(config);
  s.at(0, startup);
  const actions = s.at(3414.0625, timeout);
  if (s.state !== 'Master') throw new Error(`not Master: ${JSON.stringify(actions)}`);
  return s;
}

const MASTER_AT = 3414.0625;

t.test('a Master keeps its state: the VIPs that left are removed, new ones added and announced once', async (t) => {
  const config = v2Config({ priority: 150, virtualAddresses: ['192.0.2.100', '192.0.2.101'] });
  const s = masterScenario(config);
  const next = { ...config, virtualAddresses: ['192.0.2.101', '192.0.2.102', '192.0.2.103'] };
  const actions = s.router.reconfigure(next, 4000);
  t.strictSame(actions, [
    { kind: 'removeVips', addresses: ['192.0.2.100'] },
    { kind: 'addVips', addresses: ['192.0.2.102', '192.0.2.103'], acceptMode: false },
    { kind: 'announceVips', addresses: ['192.0.2.102', '192.0.2.103'], count: 5 },
  ]);
  t.equal(s.state, 'Master');
  t.equal(s.router.config, next);
  // The next advert (still due at 4414.0625) lists the new addresses.
  t.strictSame(s.at(MASTER_AT + 1000, timeout), [sendAdvert(next, 150)]);
  // The pending second burst of the takeover announces what the router has now.
  t.strictSame(ofKind(s.at(MASTER_AT + 5000, timeout), 'announceVips'), [
    { kind: 'announceVips', addresses: next.virtualAddresses, count: 5 },
  ]);
});

t.test('the same configuration changes nothing', async (t) => {
  const config = v2Config({ priority: 150 });
  const s = masterScenario(config);
  const before = s.router.snapshot();
  t.strictSame(s.router.reconfigure({ ...config }, 4000), []);
  t.strictSame(s.router.snapshot(), before);
});

t.test('a Backup only remembers new VIPs, and uses them when it takes over', async (t) => {
  const config = v2Config({ priority: 100 });
  const s = new Scenario(config);
  s.at(0, startup);
  const next = { ...config, virtualAddresses: ['192.0.2.110'] };
  t.strictSame(s.router.reconfigure(next, 100), []);
  t.equal(s.state, 'Backup');
  t.strictSame(s.at(3609.375, timeout), becomeMaster(next, 'Backup', 'master-down-timer'));
});

t.test('priority: re-evaluated as setPriority does', async (t) => {
  const config = v2Config({ priority: 150 });
  const s = masterScenario(config);
  t.strictSame(s.router.reconfigure({ ...config, priority: 90 }, 4000), [
    { kind: 'priorityChange', from: 150, to: 90 },
  ]);
  t.equal(s.state, 'Master', 'a Master that now ranks lower stays Master until a higher advert arrives');
  t.strictSame(s.at(MASTER_AT + 1000, timeout), [sendAdvert({ ...config, priority: 90 }, 90)]);
  const changes = s.at(4500, advertInput(advertFor(s.config, { priority: 100 })));
  t.match(ofKind(changes, 'stateChange'), [{ from: 'Master', to: 'Backup', reason: 'higher-priority-advert' }]);

  // A Backup that now outranks a Master preempts: the Master's adverts are discarded from then on.
  const b = new Scenario(v2Config({ priority: 100 }));
  b.at(0, startup);
  b.at(1000, advertInput(advertFor(b.config, { priority: 120 })));
  t.strictSame(b.router.reconfigure({ ...b.config, priority: 200 }, 1500), [
    { kind: 'priorityChange', from: 100, to: 200 },
  ]);
  t.strictSame(b.at(2000, advertInput(advertFor(b.config, { priority: 120 }))), [], 'the lower advert is discarded');
  // Down timer: last accepted advert (1000) + 3 s + Skew_Time at priority 200 (56/256 s).
  t.equal(b.nextDeadlineMs, 1000 + 3000 + 218.75);
  t.match(ofKind(b.at(4218.75, timeout), 'stateChange'), [
    { from: 'Backup', to: 'Master', reason: 'master-down-timer' },
  ]);
});

t.test('advert interval: a Master uses it from its next advert', async (t) => {
  const config = v3Config({ priority: 150, advertIntervalCs: 100 });
  const s = masterScenario(config);
  const next = { ...config, advertIntervalCs: 50 };
  t.strictSame(s.router.reconfigure(next, 4000), []);
  t.equal(s.nextDeadlineMs, MASTER_AT + 1000, 'the advert already scheduled stays');
  t.strictSame(s.at(MASTER_AT + 1000, timeout), [sendAdvert(next, 150)]);
  t.equal(s.nextDeadlineMs, MASTER_AT + 1500, 'then every 500 ms');
  t.equal(s.router.snapshot().masterAdvertIntervalCs, 50);
});

t.test('advert interval: a v3 Backup keeps what it learned from its Master; a v2 Backup takes ours', async (t) => {
  const v3 = new Scenario(v3Config({ priority: 100, advertIntervalCs: 100 }));
  v3.at(0, startup);
  v3.at(500, advertInput(advertFor(v3.config, { priority: 200, intervalCs: 200 })));
  v3.router.reconfigure({ ...v3.config, advertIntervalCs: 50 }, 600);
  t.equal(v3.router.snapshot().masterAdvertIntervalCs, 200, 'learned interval kept');

  const v2 = new Scenario(v2Config({ priority: 100, advertIntervalCs: 100 }));
  v2.at(0, startup);
  v2.at(500, advertInput(advertFor(v2.config, { priority: 200 })));
  const next = { ...v2.config, advertIntervalCs: 200 };
  v2.router.reconfigure(next, 600);
  t.equal(v2.nextDeadlineMs, 500 + 3609.375, 'the running down timer stays');
  t.strictSame(
    v2.at(700, advertInput(advertFor(next, { priority: 200 }))),
    [],
    'an advert with the new interval is accepted',
  );
  t.equal(
    v2.nextDeadlineMs,
    700 + 6000 + 609.375,
    'the next down timer is on the new interval (v2 Skew_Time does not scale)',
  );
  t.match(
    v2.at(800, advertInput(advertFor(next, { priority: 200, intervalCs: 100 }))),
    [{ kind: 'dropped', reason: 'interval-mismatch' }],
    'the old interval is now a mismatch',
  );
});

t.test('preempt off ends a preempt_delay wait; nopreempt keeps a lower Master', async (t) => {
  const s = new Scenario(v2Config({ priority: 150, preemptDelayMs: 10_000 }));
  s.at(0, startup);
  s.at(1000, advertInput(advertFor(s.config, { priority: 100 })));
  t.equal(s.nextDeadlineMs, 4414.0625);
  s.at(4000, advertInput(advertFor(s.config, { priority: 100 })));
  t.equal(s.nextDeadlineMs, 7414.0625, 'the wait ends at 11000, after the down timer');
  s.router.reconfigure({ ...s.config, preempt: false }, 5000);
  for (let ms = 5000; ms <= 20_000; ms += 1000) {
    t.strictSame(s.at(ms, advertInput(advertFor(s.config, { priority: 100 }))), []);
    t.strictSame(s.at(ms, timeout), []);
  }
  t.equal(s.state, 'Backup', 'no takeover at 11000: the wait ended with preemption off');
});

t.test('auth and unicast peers apply to the next advert received', async (t) => {
  const config = v2Config({ priority: 100 });
  const s = new Scenario(config);
  s.at(0, startup);
  s.router.reconfigure({ ...config, auth: { type: 'pass', password: 'secret' } }, 10);
  t.match(s.at(20, advertInput(advertFor(config, { priority: 200 }))), [
    { kind: 'dropped', reason: 'auth-type-mismatch' },
  ]);
  t.strictSame(
    s.at(30, advertInput(advertFor(s.router.config, { priority: 200 }))),
    [],
    'one with the new password is accepted',
  );
  s.router.reconfigure({ ...s.router.config, unicastPeers: ['192.0.2.30'] }, 40);
  t.match(s.at(50, advertInput(advertFor(s.router.config, { priority: 200, to: '192.0.2.10' }))), [
    { kind: 'dropped', reason: 'unknown-unicast-source' },
  ]);
});

t.test('identity fields cannot change in place', async (t) => {
  const config = v2Config();
  const s = new Scenario(config);
  s.at(0, startup);
  for (const change of [
    { name: 'VI_2' },
    { interface: 'eth1' },
    { vrid: 52 },
    { version: 3 as const },
    { family: 6 as const },
  ]) {
    t.throws(
      () => s.router.reconfigure({ ...config, ...change }, 10),
      new RegExp(`cannot reconfigure ${Object.keys(change)[0]} in place`),
    );
  }
  t.equal(s.router.config, config, 'a refused reconfiguration changes nothing');
});

t.test('before startup: the new configuration is what startup uses', async (t) => {
  const s = new Scenario(v2Config({ priority: 100 }));
  const next = { ...s.config, priority: 255 };
  t.strictSame(s.router.reconfigure(next, 0), [{ kind: 'priorityChange', from: 100, to: 255 }]);
  t.strictSame(s.at(0, startup), becomeMaster(next, 'Initialize', 'startup-owner', 255));
});

t.test('the announce refresh restarts when its settings change', async (t) => {
  const config = v2Config({ priority: 150 });
  const s = masterScenario(config);
  s.router.reconfigure(
    { ...config, announce: { ...config.announce, refreshIntervalMs: 2000, refreshRepeat: 2 } },
    4000,
  );
  t.strictSame(ofKind(s.at(6000, timeout), 'announceVips'), [
    { kind: 'announceVips', addresses: config.virtualAddresses, count: 2 },
  ]);
  t.equal(s.state, 'Master');
});

t.test('a Backup reconfigured to the owner priority takes over when its down timer runs out', async (t) => {
  const s = new Scenario(v2Config({ priority: 100 }));
  s.at(0, startup);
  s.at(1000, advertInput(advertFor(s.config, { priority: 200 })));
  t.strictSame(s.router.reconfigure({ ...s.config, priority: 255 }, 1500), [
    { kind: 'priorityChange', from: 100, to: 255 },
  ]);
  t.strictSame(
    s.at(2000, advertInput(advertFor(s.config, { priority: 200 }))),
    [],
    "the Master's advert is discarded now",
  );
  // Down timer: the last accepted advert (1000) + 3 s + Skew_Time at 255 (1/256 s).
  t.equal(s.nextDeadlineMs, 1000 + 3000 + 3.90625);
  t.match(ofKind(s.at(4003.90625, timeout), 'stateChange'), [
    { from: 'Backup', to: 'Master', reason: 'master-down-timer', priority: 255 },
  ]);
});

t.test('accept mode changed on a Master: the VIPs it keeps follow it, new ones are added with it', async (t) => {
  const config = v3Config({ priority: 150, acceptMode: false, virtualAddresses: ['192.0.2.100', '192.0.2.101'] });
  const s = masterScenario(config);
  const accepting = { ...config, acceptMode: true, virtualAddresses: ['192.0.2.101', '192.0.2.102'] };
  const addressWork = (actions: ReturnType<typeof s.router.reconfigure>) =>
    actions.filter((a) => a.kind === 'removeVips' || a.kind === 'setAcceptMode' || a.kind === 'addVips');
  t.strictSame(addressWork(s.router.reconfigure(accepting, 4000)), [
    { kind: 'removeVips', addresses: ['192.0.2.100'] },
    { kind: 'setAcceptMode', addresses: ['192.0.2.101'], acceptMode: true },
    { kind: 'addVips', addresses: ['192.0.2.102'], acceptMode: true },
  ]);
  t.strictSame(
    ofKind(s.router.reconfigure({ ...accepting, acceptMode: false }, 4100), 'setAcceptMode'),
    [{ kind: 'setAcceptMode', addresses: ['192.0.2.101', '192.0.2.102'], acceptMode: false }],
    'and back',
  );
  t.strictSame(
    ofKind(s.router.reconfigure({ ...accepting, acceptMode: false, priority: 255 }, 4200), 'setAcceptMode'),
    [{ kind: 'setAcceptMode', addresses: ['192.0.2.101', '192.0.2.102'], acceptMode: true }],
    'the address owner accepts whatever acceptMode says',
  );
  const backup = new Scenario(config);
  backup.at(0, startup);
  t.strictSame(
    ofKind(backup.router.reconfigure(accepting, 100), 'setAcceptMode'),
    [],
    'a Backup has nothing on the interface',
  );
});
