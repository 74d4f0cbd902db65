// Parting adverts through the addon: a socket armed with setParting sends them from a SIGTERM
// watcher's own wake-up (watchSignal with sendPartingFirst) before the JavaScript listener runs; the
// listener's send of the same packet is then skipped once, even if it disarmed first; re-armed, or
// on a second signal, it is not sent again; a disarmed socket sends nothing. A veth pair in a namespace of its own, the far end listening.

import t from 'tap';
import { namespaceSkipReason, TestNamespace, vethSocketsModule } from './netns-harness.js';

/** Sender on va, receiver on vb; prints one JSON line of what each step saw. */
const childScript = `${vethSocketsModule(51, ["import { watchSignal } from './linux/rt-signals.js';"])}
let phase = 'armed';
const steps = [];
watchSignal(15, () => {
  const sentBeforeListener = sender.counters().sent;
  // What the engine's stop does: the priority-0 advert (already sent by the signal), then another.
  const first = steps.length === 0;
  // The runner may disarm between the signal and the stop's own send: the repeat is still skipped.
  if (first) sender.setParting([]);
  const reported = first ? sender.send([advert(0), advert(7)]) : 0;
  steps.push({ phase, sentBeforeListener, reported });
}, { sendPartingFirst: true });
sender.setParting([advert(0)]);
process.kill(process.pid, 'SIGTERM');
await sleep(300);
phase = 'again';
sender.setParting([advert(0)]); // re-armed after it was sent and skipped: not sent again
process.kill(process.pid, 'SIGTERM');
await sleep(300);
sender.setParting([advert(0)]);
sender.setParting([]);
phase = 'disarmed';
process.kill(process.pid, 'SIGTERM');
await sleep(300);
console.log(JSON.stringify({ steps, received, sent: sender.counters().sent }));
process.exit(0);
`;

const skip = namespaceSkipReason();
t.test(
  'parting adverts: sent by the signal before JavaScript, not twice, not when disarmed',
  { skip: skip ?? false },
  async (t) => {
    const ns = new TestNamespace('part');
    t.teardown(() => ns.remove());
    ns.addressPair();
    // tap's process tracking follows the child in and re-raises a SIGTERM it sees no process.on()
    // listener for (signal-exit): the listener may run more than once per kill, hence the phases.
    const run = ns.runModule(childScript);
    t.equal(run.status, 0, run.stderr);
    const out = run.result as {
      steps: { phase: string; sentBeforeListener: number; reported: number }[];
      received: number[];
      sent: number;
    };
    t.strictSame(
      out.steps[0],
      { phase: 'armed', sentBeforeListener: 1, reported: 2 },
      'the priority-0 advert was out before the listener ran; its send of it counts as sent',
    );
    const later = out.steps.slice(1);
    t.ok(
      later.some((s) => s.phase === 'again') && later.some((s) => s.phase === 'disarmed'),
      'the later signals reached the listener',
    );
    t.ok(
      later.every((s) => s.sentBeforeListener === 2),
      'a second signal, and one after disarming, send nothing',
    );
    t.strictSame(out.received, [0, 7], 'on the wire: the priority-0 advert once, then the other one');
    t.equal(out.sent, 2);
  },
);
