// The lazy indexed heap against a plain array model: any sequence of set/clear/pop gives the same
// answers (earliest deadline, due slot in (deadline, slot) order).
import t from 'tap';
import fc from 'fast-check';
import { DeadlineQueue } from '../../src/engine/deadline-queue.js';

const SLOTS = 12;
type Op =
  | { kind: 'set'; slot: number; atMs: number }
  | { kind: 'clear'; slot: number }
  | { kind: 'pop'; nowMs: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    slot: fc.integer({ min: 0, max: SLOTS - 1 }),
    atMs: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({ kind: fc.constant('clear' as const), slot: fc.integer({ min: 0, max: SLOTS - 1 }) }),
  fc.record({ kind: fc.constant('pop' as const), nowMs: fc.integer({ min: 0, max: 50 }) }),
);

function modelPop(model: (number | undefined)[], nowMs: number): number | undefined {
  let best: number | undefined;
  model.forEach((at, slot) => {
    if (at !== undefined && at <= nowMs && (best === undefined || at < model[best]!)) best = slot;
  });
  if (best !== undefined) model[best] = undefined;
  return best;
}

/** `growing`: the queue starts with one slot and grows as slots are first used (routers added at run time). */
function agreesWithModel(ops: readonly Op[], growing: boolean): boolean {
  const queue = new DeadlineQueue(growing ? 1 : SLOTS);
  const model: (number | undefined)[] = new Array(SLOTS).fill(undefined);
  for (const o of ops) {
    if (o.kind === 'set') {
      if (growing) queue.reserve(o.slot + 1);
      queue.set(o.slot, o.atMs);
      model[o.slot] = o.atMs;
    } else if (o.kind === 'clear') {
      if (o.slot >= queue.capacity) continue; // never used: nothing to clear
      queue.set(o.slot, undefined);
      model[o.slot] = undefined;
    } else if (queue.popDue(o.nowMs) !== modelPop(model, o.nowMs)) {
      return false;
    }
    const defined = model.filter((x): x is number => x !== undefined);
    const earliest = defined.length === 0 ? undefined : Math.min(...defined);
    if (queue.peekMs() !== earliest) return false;
  }
  return true;
}

t.test('grown one slot at a time, it still matches the model', async (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => agreesWithModel(ops, true)),
    { seed: 20261127, numRuns: 500 },
  );
  t.pass('500 random operation sequences agree with the model');
});

t.test('matches the model for any sequence of operations', async (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => agreesWithModel(ops, false)),
    { seed: 20261127, numRuns: 500 },
  );
  t.pass('500 random operation sequences agree with the model');
});

t.test('a later deadline is not reported early; an earlier one is reported at once', async (t) => {
  const queue = new DeadlineQueue(2);
  queue.set(0, 100);
  queue.set(1, 200);
  queue.set(0, 300);
  t.equal(queue.peekMs(), 200, 'slot 0 moved past slot 1');
  t.equal(queue.popDue(250), 1);
  t.equal(queue.popDue(250), undefined, 'slot 0 is not due before 300');
  queue.set(0, 50);
  t.equal(queue.peekMs(), 50);
  t.equal(queue.popDue(50), 0);
  t.equal(queue.peekMs(), undefined);
});
