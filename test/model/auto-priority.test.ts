// max_auto_priority / min_auto_priority_delay as a decision (src/model/auto-priority.ts): lateness in,
// the SCHED_RR priority to set out, with keepalived 2.2.7's steps (lib/process.c
// increment_process_priority): SCHED_RR 1 first, then one up per late timer, never past the ceiling,
// never down; a process already at vrrp_rt_priority goes up from there.
import t from 'tap';
import { AutoPriority, autoPriorityFor } from '../../src/model/auto-priority.js';

t.test('a late timer raises one step; on time, or exactly at the delay, changes nothing', async (t) => {
  const auto = new AutoPriority(3, 1_000_000);
  t.equal(auto.priority, undefined, 'not real-time to begin with');
  t.equal(auto.observe(0), undefined, 'on time');
  t.equal(auto.observe(1_000_000), undefined, 'exactly min_auto_priority_delay: not "over" it');
  t.equal(auto.observe(1_000_001), 1, 'over it: SCHED_RR at the lowest priority');
  t.equal(auto.observe(999_999), undefined, 'a later timer on time does not lower it');
  t.equal(auto.priority, 1);
  t.equal(auto.observe(5_000_000), 2, 'late again: one step up, however late');
  t.equal(auto.observe(1_500_000), 3, 'to the ceiling');
  t.equal(auto.observe(9_000_000), undefined, 'at max_auto_priority: no further');
  t.equal(auto.priority, 3, 'and never lowered');
});

t.test('from vrrp_rt_priority; a ceiling below it never raises', async (t) => {
  const fromRt = autoPriorityFor({ realtimePriority: 40, maxAutoPriority: 42, autoPriorityDelayUs: 100 });
  t.same([fromRt?.observe(101), fromRt?.observe(101), fromRt?.observe(101)], [41, 42, undefined]);
  const below = autoPriorityFor({ realtimePriority: 50, maxAutoPriority: 10 });
  t.equal(below?.observe(10_000_000), undefined, 'already above max_auto_priority');
  t.equal(below?.priority, 50);
});

t.test('settings: off without maxAutoPriority; the default delay is 1 s', async (t) => {
  t.equal(autoPriorityFor(undefined), undefined);
  t.equal(autoPriorityFor({ realtimePriority: 5, autoPriorityDelayUs: 10 }), undefined, 'the delay alone does nothing');
  const auto = autoPriorityFor({ maxAutoPriority: 99 });
  t.equal(auto?.minDelayUs, 1_000_000);
  t.equal(auto?.observe(1_000_000), undefined);
  t.equal(auto?.observe(1_000_001), 1);
});
