// Periodic adverts through the addon (VrrpRawSocket.setPeriodic): two schedules on one socket, two
// VRIDs with the same destination and source, each sent on its interval from the addon's thread; a
// send() marked periodic of the twin of one is skipped, and only that one's; one whose content
// changed goes out; unmarked sends always go out; the watchdog stops a schedule once nobody checks in,
// and a check-in resumes it; disarming stops it. A veth pair in a namespace of its own.

import t from 'tap';
import { namespaceSkipReason, TestNamespace, vethSocketsModule } from './netns-harness.js';

const childScript = `${vethSocketsModule(52, ["import { checkInPeriodic, periodicScheduleCounters } from './linux/raw-socket.js';"])}
const got = [];
receiver.onPackets((packets) => { for (const p of packets) got.push(p.payload[1] + ':' + p.payload[2]); });
const of = (vrid, priority) => ({ ...advert(priority), payload: encodeAdvert(
  { version: 3, vrid, priority, advertIntervalCs: 2, addresses: ['192.0.2.100'], authType: 0 },
  { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18' }) });
const count = (label) => got.filter((g) => g === label).length;
const counters = () => Object.fromEntries([...periodicScheduleCounters()].map(([key, c]) => [key, c]));
const result = {};
const timing = (watchdogMs) => ({ intervalMs: 20, firstAtMs: performance.now() + 20, watchdogMs });
sender.setPeriodic(901, [of(52, 100)], timing(10_000));
sender.setPeriodic(902, [of(53, 90)], timing(10_000));
await sleep(210);
result.afterArm = { a: count('52:100'), b: count('53:90') };
await sleep(5);
// The engine's periodic sends: the thread sent both this interval, so both are skipped.
sender.send([{ ...of(52, 100), periodic: true }, { ...of(53, 90), periodic: true }]);
// Unmarked: goes out whatever the thread did (a reply to a lower-priority advert, say).
sender.send([of(52, 100)]);
// Marked, but its content changed before the re-arm: goes out.
sender.send([{ ...of(53, 91), periodic: true }]);
await sleep(15);
result.sends = { a: count('52:100'), b: count('53:90'), changed: count('53:91'), counters: counters() };
sender.setPeriodic(901, [], timing(10_000));
sender.setPeriodic(902, [], timing(10_000));
await sleep(60);
const stopped = got.length;
await sleep(100);
result.afterDisarm = got.length - stopped;
// Watchdog: 60 ms without a check-in. Block the event loop so nothing else can run either.
got.length = 0;
sender.setPeriodic(903, [of(54, 100)], timing(60));
const spinUntil = performance.now() + 300;
while (performance.now() < spinUntil);
await sleep(30);
const silentCount = got.length;
result.watchdog = { sentWhileChecked: silentCount, trips: periodicScheduleCounters().get(903)?.watchdogTrips };
checkInPeriodic();
await sleep(70);
result.afterCheckIn = got.length - silentCount;
sender.setPeriodic(903, [], timing(60));
console.log(JSON.stringify(result));
process.exit(0);
`;

t.test(
  'periodic adverts from the addon: per-VRID skips, watchdog, disarm',
  { skip: namespaceSkipReason() ?? false },
  async (t) => {
    const ns = new TestNamespace('pa');
    t.teardown(() => ns.remove());
    ns.addressPair();
    const run = ns.runModule(childScript);
    t.equal(run.status, 0, run.stderr);
    const r = run.result as {
      afterArm: { a: number; b: number };
      sends: { a: number; b: number; changed: number; counters: Record<string, { sent: number; skipped: number }> };
      afterDisarm: number;
      watchdog: { sentWhileChecked: number; trips: number };
      afterCheckIn: number;
    };
    t.comment(JSON.stringify(r));
    // 210 ms at 20 ms from 20 ms: 10, give or take a late wake-up on a loaded machine.
    t.ok(r.afterArm.a >= 8 && r.afterArm.a <= 11, `VRID 52 on its interval (${r.afterArm.a})`);
    t.ok(r.afterArm.b >= 8 && r.afterArm.b <= 11, `VRID 53 on its interval (${r.afterArm.b})`);
    t.equal(r.sends.counters['901']!.skipped, 1, "VRID 52's marked twin skipped once");
    t.equal(r.sends.counters['902']!.skipped, 1, "VRID 53's marked twin skipped once, not confused with 52's");
    t.equal(r.sends.changed, 1, 'a marked advert whose content changed went out');
    t.ok(r.sends.a >= r.afterArm.a + 1, 'the unmarked send went out');
    t.equal(r.afterDisarm, 0, 'nothing once disarmed');
    // Armed just before a 300 ms block with a 60 ms bound: at most the adverts of the first 60 ms.
    t.ok(
      r.watchdog.sentWhileChecked >= 1 && r.watchdog.sentWhileChecked <= 4,
      `the watchdog stopped it (${r.watchdog.sentWhileChecked} sent)`,
    );
    t.equal(r.watchdog.trips, 1, 'one trip');
    t.ok(r.afterCheckIn >= 2, `a check-in resumes it (${r.afterCheckIn})`);
  },
);
