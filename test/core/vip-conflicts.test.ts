// VipConflictTracker: when claims heard for our addresses make a conflict, and when it ends.
import t from 'tap';
import { type ClaimRole, type ConflictEvent, VipConflictTracker } from '../../src/core/vip-conflicts.js';

const VIP = '192.0.2.100';
const OTHER = '02:00:00:00:00:0b';
const THIRD = '02:00:00:00:00:0c';

function watching(role: ClaimRole, router = 'vi_1'): Map<string, { router: string; role: ClaimRole }> {
  return new Map([[VIP, { router, role }]]);
}

type Step =
  | { at: number; claim: string; sender?: string }
  | { at: number; tick: true }
  | { at: number; role: ClaimRole | 'none' };

function run(steps: readonly Step[], quietMs = 1000): string[] {
  const tracker = new VipConflictTracker(quietMs);
  const seen: string[] = [];
  const show = (events: ConflictEvent[]): void => {
    for (const e of events) {
      seen.push(
        e.kind === 'start'
          ? `${e.conflict.sinceMs} start ${e.conflict.role} ${e.conflict.macs.join(',')} ${e.conflict.sender ?? '-'}`
          : `${e.atMs} end ${e.why} after ${e.conflict.claims}`,
      );
    }
  };
  for (const step of steps) {
    if ('claim' in step) show(tracker.claim({ address: VIP, mac: step.claim, sender: step.sender }, step.at));
    else if ('tick' in step) show(tracker.tick(step.at));
    else show(tracker.watch(step.role === 'none' ? new Map() : watching(step.role), step.at));
  }
  return seen;
}

const cases: readonly { title: string; steps: Step[]; expect: string[] }[] = [
  {
    title: 'Master: one claim from another MAC starts a conflict at once, naming the MAC and sender',
    steps: [
      { at: 0, role: 'master' },
      { at: 10, claim: OTHER, sender: '192.0.2.2' },
    ],
    expect: ['10 start master 02:00:00:00:00:0b 192.0.2.2'],
  },
  {
    title: 'Master: repeated claims keep one conflict; silence for quietMs ends it',
    steps: [
      { at: 0, role: 'master' },
      { at: 10, claim: OTHER },
      { at: 500, claim: OTHER },
      { at: 1400, tick: true },
      { at: 1500, tick: true },
    ],
    expect: ['10 start master 02:00:00:00:00:0b -', '1500 end quiet after 2'],
  },
  {
    title: 'Master: stepping down ends the conflict at once (released)',
    steps: [
      { at: 0, role: 'master' },
      { at: 10, claim: OTHER },
      { at: 20, role: 'backup' },
    ],
    expect: ['10 start master 02:00:00:00:00:0b -', '20 end released after 1'],
  },
  {
    title: 'Backup: the Master answering alone is no conflict',
    steps: [
      { at: 0, role: 'backup' },
      { at: 10, claim: OTHER },
      { at: 900, claim: OTHER },
      { at: 5000, tick: true },
    ],
    expect: [],
  },
  {
    title: 'Backup: a failover (one MAC, then another) is no conflict',
    steps: [
      { at: 0, role: 'backup' },
      { at: 10, claim: OTHER },
      { at: 600, claim: THIRD },
      { at: 900, claim: THIRD },
    ],
    expect: [],
  },
  {
    title: 'Backup: claims alternating between two MACs within quietMs are a conflict naming both',
    steps: [
      { at: 0, role: 'backup' },
      { at: 10, claim: OTHER },
      { at: 600, claim: THIRD },
      { at: 700, claim: OTHER },
      { at: 1800, tick: true },
    ],
    expect: ['700 start backup 02:00:00:00:00:0b,02:00:00:00:00:0c -', '1800 end quiet after 1'],
  },
  {
    title: 'Backup: a MAC change after quietMs (a takeover) is no conflict',
    steps: [
      { at: 0, role: 'backup' },
      { at: 10, claim: OTHER },
      { at: 1100, claim: THIRD },
      { at: 1200, claim: OTHER },
    ],
    expect: [],
  },
  {
    title: 'claims for an address nobody watches are ignored',
    steps: [{ at: 10, claim: OTHER }],
    expect: [],
  },
];

for (const c of cases) {
  t.test(c.title, async (t) => {
    t.same(run(c.steps), c.expect);
  });
}

t.test(
  'Master with graceMs: a claim counts only if still Master graceMs later (a preemption is no conflict)',
  async (t) => {
    const tracker = new VipConflictTracker(1000, 500);
    tracker.watch(watching('master'), 0);
    t.same(tracker.claim({ address: VIP, mac: OTHER }, 10), [], 'held for the grace');
    t.equal(tracker.nextTickMs(), 510);
    t.same(tracker.watch(watching('backup'), 20), [], 'stepped down within the grace: nothing opened');
    t.same(tracker.tick(600), []);
    tracker.watch(watching('master'), 700);
    tracker.claim({ address: VIP, mac: OTHER }, 710);
    tracker.claim({ address: VIP, mac: OTHER }, 900);
    t.same(tracker.tick(1000), [], 'not yet');
    const [start] = tracker.tick(1210);
    t.match(start, { kind: 'start', conflict: { role: 'master', sinceMs: 710, lastClaimMs: 900, claims: 2 } });
    t.throws(() => new VipConflictTracker(1000, -1), RangeError);
  },
);

t.test('totals count conflicts and claims; nextTickMs is the earliest quiet end', async (t) => {
  const tracker = new VipConflictTracker(1000);
  t.equal(tracker.nextTickMs(), undefined);
  tracker.watch(watching('master'), 0);
  tracker.claim({ address: VIP, mac: OTHER }, 5);
  tracker.claim({ address: VIP, mac: OTHER }, 50);
  tracker.claim({ address: '192.0.2.99', mac: OTHER }, 60);
  t.equal(tracker.nextTickMs(), 1050);
  t.same(tracker.totals(), { started: 1, claims: 2 });
  t.equal(tracker.conflicts().length, 1);
  t.throws(() => new VipConflictTracker(0), RangeError);
});
