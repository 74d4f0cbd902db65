// The must-have: a hung check script, and a crowd of scripts forking all the time, beside
// VRRPv3 at 100 ms adverts must not delay an advert. r1 (priority 200, Master) runs them; r2 (100) is
// Backup. From a tcpdump capture on the bridge: the longest gap between r1's adverts stays well below
// two intervals (no advert missed) and r2 never leaves Backup (no false failover).
//
// Serial (npm run test:serial): in CI, once, sharing the two cores with another namespace test, r2
// took over although r1's adverts were on the wire every ~100 ms; not reproduced since. Alone, the
// test measures this process's scripts and nothing else. Should r2 leave Backup, the test says what
// the wire and r2's counters showed at that moment.

import t, { type Test } from 'tap';
import { HealthLan, skipReason, type HealthRouter, type RouterJson } from './netns-helpers.js';
import { sleep } from '../netns/observe.js';
import type { HealthPlan } from '../../src/model/health-plan.js';

/**
 * Should r2 leave Backup, says what it saw and what was on the wire, so that one failure tells a
 * Master that went quiet from adverts that reached the bridge but not r2's socket in time: r1's
 * adverts on the wire around r2's change, and r2's own packet counters and drops.
 */
async function explainBackupChange(
  t: Test,
  r2: HealthRouter,
  changeAtMs: number | undefined,
  wireMs: readonly number[],
): Promise<void> {
  if (changeAtMs !== undefined) {
    const near = wireMs
      .filter((ms) => ms >= changeAtMs - 1000 && ms <= changeAtMs + 300)
      .map((ms) => (ms - changeAtMs).toFixed(1));
    t.comment(
      `r2 left Backup at ${new Date(changeAtMs).toISOString()}; r1's adverts on the wire, ms from then: ${near.join(' ')}`,
    );
  }
  const since = r2.mark();
  r2.signal('SIGUSR2');
  const status = await r2.waitForText(/"event":"status"/, 5000, since).catch(() => undefined);
  t.comment(`r2 status: ${status?.text ?? '(none)'}`);
}

const reason = skipReason();
void t.test(
  'a hung script and 20 forks a second at 100 ms adverts: no missed advert, no false failover',
  { skip: reason ?? false },
  async (t) => {
    const h = await HealthLan.create(t, 'hhs', 2, true);
    const router = (priority: number): RouterJson => ({
      name: 'VI_1',
      vrid: 61,
      version: 3,
      advertIntervalCs: 10,
      priority,
      virtualAddresses: ['192.0.2.61'],
    });
    const timing = { rise: 1, fall: 1_000_000, initFail: false };
    const health: HealthPlan = {
      checks: [
        // Hangs past its timeout every time: SIGTERM, ignored, SIGKILL 2 s later; and again.
        {
          kind: 'script',
          name: 'hung',
          command: ['/bin/sh', '-c', "trap '' TERM; sleep 60"],
          intervalMs: 500,
          timeoutMs: 300,
          ...timing,
        },
        // A crowd of short scripts: 20 forks a second.
        ...Array.from({ length: 10 }, (_, i) => ({
          kind: 'script' as const,
          name: `busy${i}`,
          command: ['/bin/true'],
          intervalMs: 500,
          timeoutMs: 400,
          ...timing,
        })),
      ],
      tracks: [
        { router: 'VI_1', check: 'hung', weight: -10 },
        ...Array.from({ length: 10 }, (_, i) => ({ router: 'VI_1', check: `busy${i}`, weight: 1 })),
      ],
      notify: [],
      syncGroups: [],
    };
    const r1 = h.startEngine('r1', [router(200)], health);
    const r2 = h.startEngine('r2', [router(100)]);
    await r1.waitForState('VI_1', 'Master', 30_000);
    await r1.waitForText(/"priorityChange".*"to":210/, 10_000); // the 10 busy scripts' +1 each are in
    await r2.waitForLine(() => r2.stateOf() === 'Backup', 30_000, 'r2 Backup under r1');
    const states1 = r1.states.length;
    const states2 = r2.states.length;
    const startedAt = Date.now();
    await sleep(12_000);
    const endedAt = Date.now();
    await h.capture!.stop();
    const r1Mac = h.node('r1').mac;
    const adverts = h
      .capture!.vrrp()
      .filter((f) => f.ethSource === r1Mac && f.vrid === 61 && f.timeMs >= startedAt && f.timeMs <= endedAt);
    const gaps = adverts.slice(1).map((f, i) => f.timeMs - adverts[i]!.timeMs);
    const maxGap = Math.max(...gaps);
    const late = gaps.filter((g) => g > 150).length;
    t.comment(
      `r1 adverts in ${((endedAt - startedAt) / 1000).toFixed(1)} s: ${adverts.length}; gap max ${maxGap.toFixed(1)} ms, >150 ms: ${late}`,
    );
    t.ok(adverts.length >= ((endedAt - startedAt) / 100) * 0.95, `${adverts.length} adverts: none missing`);
    t.ok(maxGap < 200, `longest gap between adverts ${maxGap.toFixed(1)} ms < 2 intervals`);
    t.ok(
      adverts.every((f) => f.priority === 210),
      'priority 200 + 10 x 1 throughout: the hung script (fall never reached) moved nothing',
    );
    const r2Changes = r2.states.slice(states2);
    if (r2Changes.length > 0)
      await explainBackupChange(
        t,
        r2,
        r2Changes[0]!.logTimeMs,
        adverts.map((f) => f.timeMs),
      );
    t.strictSame(
      r2Changes.map(({ from, to, reason }) => ({ from, to, reason })),
      [],
      'r2 never left Backup',
    );
    t.strictSame(r1.states.slice(states1), [], 'r1 stayed Master');
    // The status line (SIGUSR2) shows the hung script really was timing out all along.
    const since = r1.mark();
    r1.signal('SIGUSR2');
    const status = JSON.parse((await r1.waitForText(/"event":"status"/, 10_000, since)).text) as {
      checks: { name: string; runs: number; failures: number; lastResult: string }[];
    };
    const hung = status.checks.find((c) => c.name === 'hung')!;
    t.match(hung, { lastResult: 'timed out (killed)' }, `hung: ${hung.runs} runs, ${hung.failures} failures in a row`);
    t.ok(hung.failures >= 10, 'it timed out again and again');
    t.ok(
      status.checks.filter((c) => c.name.startsWith('busy')).every((c) => c.runs >= 20 && c.lastResult === 'exit 0'),
      'the busy scripts ran all along',
    );
  },
);
