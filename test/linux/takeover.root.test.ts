// Takeover adverts through the addon: a socket armed with setTakeover for a PreciseTimer sends them
// from that timer's expiry, before its JavaScript callback runs; the callback's send of the same
// packet is skipped once, and after the callback an identical send (the next interval's advert) goes
// out again. Nothing leaves when a receiving socket has a datagram waiting (the engine reads it first
// and decides), when withdrawn, or when another timer expires. A veth pair in a namespace of its own.

import t from 'tap';
import { namespaceSkipReason, TestNamespace, vethSocketsModule } from './netns-harness.js';

/** Sender on va, receiver on vb; prints one JSON line of what each step saw. */
const childScript = `${vethSocketsModule(52, ["import { loadNative } from './linux/native.js';"])}
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
const { PreciseTimer } = loadNative();
const steps = [];
let onExpiry = () => {};
const timer = new PreciseTimer(() => onExpiry());
const other = new PreciseTimer(() => onExpiry());
const expire = (which, before) => new Promise((resolve) => {
  onExpiry = () => {
    const sentBeforeCallback = sender.counters().sent;
    resolve(sentBeforeCallback);
  };
  which.arm(5e6);
  before?.();
});
const step = async (name, arm, engineSends, before) => {
  const base = sender.counters().sent;
  arm();
  const which = name === 'other timer' ? other : timer;
  let reported;
  const sentBeforeCallback = await new Promise((resolve) => {
    onExpiry = () => {
      const sent = sender.counters().sent;
      // What the engine does in the timer's callback: its first advert as Master, then another.
      if (engineSends) reported = sender.send([advert(100), advert(7)]);
      resolve(sent);
    };
    which.arm(5e6);
    before?.();
  });
  await sleep(50);
  steps.push({ name, aheadOfCallback: sentBeforeCallback - base, reported: reported ?? null, total: sender.counters().sent - base });
};

await step('armed', () => sender.setTakeover([advert(100)], timer.id), true);
// After the callback nothing is skipped: the next interval's identical advert goes out.
sender.send([advert(100)]);
await sleep(50);
await step('queued datagram', () => sender.setTakeover([advert(100)], timer.id), true, () => {
  // Past the expiry, then more datagrams for vb's receiving socket than one wake-up reads (256):
  // whichever of the two libuv serves first, some are still waiting when the timer's turn comes.
  spin(10);
  sender.send(Array.from({ length: 400 }, () => advert(9)));
  spin(3);
});
await step('withdrawn', () => { sender.setTakeover([advert(100)], timer.id); sender.setTakeover([], timer.id); }, false);
await step('other timer', () => sender.setTakeover([advert(100)], timer.id), false);
await step('bad list', () => {
  sender.setTakeover([advert(100)], timer.id);
  // A list with a bad packet is refused whole, and what was armed before no longer goes out.
  try { sender.setTakeover([advert(101), { ...advert(102), destinationAddress: 'not an address' }], timer.id); } catch { }
}, false);
sender.setTakeover([], timer.id);
await sleep(50);
console.log(JSON.stringify({ steps, received, timerIds: [timer.id, other.id] }));
process.exit(0);
`;

const skip = namespaceSkipReason();
t.test(
  'takeover adverts: sent at the timer expiry before JavaScript, once, never over a waiting datagram',
  { skip: skip ?? false },
  async (t) => {
    const ns = new TestNamespace('tko');
    t.teardown(() => ns.remove());
    ns.addressPair();
    const run = ns.runModule(childScript);
    t.equal(run.status, 0, run.stderr);
    const out = run.result as {
      steps: { name: string; aheadOfCallback: number; reported: number | undefined; total: number }[];
      received: number[];
      timerIds: number[];
    };
    const [armed, queued, withdrawn, other, bad] = out.steps;
    t.ok(out.timerIds[0]! > 0 && out.timerIds[0] !== out.timerIds[1], 'each timer has an id of its own');
    t.strictSame(
      armed,
      { name: 'armed', aheadOfCallback: 1, reported: 2, total: 2 },
      'out before the callback ran; its repeat counted as sent, not sent again',
    );
    t.strictSame(
      queued,
      { name: 'queued datagram', aheadOfCallback: 400, reported: 2, total: 402 },
      'datagrams were waiting: nothing ahead of the callback but the 400 themselves',
    );
    t.strictSame(withdrawn, { name: 'withdrawn', aheadOfCallback: 0, reported: null, total: 0 });
    t.strictSame(
      other,
      { name: 'other timer', aheadOfCallback: 0, reported: null, total: 0 },
      'another timer sends nothing',
    );
    t.strictSame(
      bad,
      { name: 'bad list', aheadOfCallback: 0, reported: null, total: 0 },
      'a refused list leaves nothing armed',
    );
    const wire = out.received.filter((priority) => priority !== 9);
    t.strictSame(
      wire,
      [100, 7, 100, 100, 7],
      'on the wire: each takeover advert once, the next identical advert again',
    );
    t.equal(out.received.filter((priority) => priority === 9).length, 400);
    t.equal(
      out.received.indexOf(100, 3),
      out.received.lastIndexOf(9) + 1,
      'the callback sent its advert after the waiting datagrams',
    );
  },
);
