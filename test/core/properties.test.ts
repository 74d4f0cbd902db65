// Property tests (fast-check): random input sequences against one router, checking after every step the
// invariants a keepalived operator relies on. A failure prints the seed and the shrunk input sequence.
import t from 'tap';
import fc from 'fast-check';
import type { RouterAction, RouterInput, RouterState, VirtualRouterConfig } from '../../src/core/types.js';
import { VirtualRouter } from '../../src/core/virtual-router.js';
import { advertFor, v2Config, v3Config } from './scenario.js';

type Step = { readonly delayMs: number; readonly input: RouterInput | 'next-deadline' };

function stepArbitrary(config: VirtualRouterConfig): fc.Arbitrary<Step> {
  const advert = fc
    .record({
      priority: fc.oneof(fc.constant(0), fc.constant(255), fc.integer({ min: 1, max: 254 })),
      from: fc.constantFrom('192.0.2.9', '192.0.2.11', '192.0.2.20'),
      intervalCs: config.version === 3 ? fc.constantFrom(50, 100, 200) : fc.constant(config.advertIntervalCs),
    })
    .map((options): RouterInput => ({ kind: 'advert', advert: advertFor(config, options) }));
  const input: fc.Arbitrary<RouterInput | 'next-deadline'> = fc.oneof(
    { weight: 6, arbitrary: fc.constant('next-deadline' as const) },
    { weight: 6, arbitrary: advert },
    { weight: 2, arbitrary: fc.constant<RouterInput>({ kind: 'timeout' }) },
    { weight: 1, arbitrary: fc.constant<RouterInput>({ kind: 'startup' }) },
    { weight: 1, arbitrary: fc.constant<RouterInput>({ kind: 'shutdown' }) },
    { weight: 1, arbitrary: fc.boolean().map((up): RouterInput => ({ kind: 'link', up })) },
    {
      weight: 2,
      arbitrary: fc
        .record({
          name: fc.constantFrom('a', 'b', 'c'),
          up: fc.boolean(),
          weight: fc.constantFrom(-50, -10, 0, 10, 50),
        })
        .map((track): RouterInput => ({ kind: 'track', ...track })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 255 }).map((priority): RouterInput => ({ kind: 'setPriority', priority })),
    },
  );
  return fc.record({ delayMs: fc.integer({ min: 0, max: 4000 }), input });
}

/** Runs the steps and throws on the first broken invariant, naming the step. */
function checkInvariants(config: VirtualRouterConfig, steps: readonly Step[]): void {
  const router = new VirtualRouter(config);
  let nowMs = 0;
  let state: RouterState = 'Initialize';
  let vipsHeld = false;
  for (const [index, step] of steps.entries()) {
    let input: RouterInput;
    if (step.input === 'next-deadline') {
      nowMs = router.nextDeadlineMs() ?? nowMs + step.delayMs;
      input = { kind: 'timeout' };
    } else {
      nowMs += step.delayMs;
      input = step.input;
    }
    // Tracks with weight 0 and mixed weights for one name are allowed: the last report wins.
    const actions: RouterAction[] = router.handle(input, nowMs);
    const where = `step ${index} at ${nowMs} ms (${JSON.stringify(input)})`;
    for (const [position, action] of actions.entries()) {
      switch (action.kind) {
        case 'stateChange':
          if (action.from !== state) throw new Error(`${where}: stateChange from ${action.from}, but was ${state}`);
          if (action.from === action.to) throw new Error(`${where}: stateChange to the same state`);
          state = action.to;
          break;
        case 'addVips':
          if (vipsHeld) throw new Error(`${where}: VIPs added twice`);
          vipsHeld = true;
          break;
        case 'removeVips':
          if (!vipsHeld) throw new Error(`${where}: VIPs removed but not held`);
          vipsHeld = false;
          break;
        case 'sendAdvert':
          if (action.priority === 0 && actions[position + 1]?.kind !== 'removeVips') {
            throw new Error(`${where}: a priority-0 advert that is not followed by removing the VIPs`);
          }
          if (action.priority !== 0 && state !== 'Master' && actions.at(-1)?.kind !== 'stateChange') {
            throw new Error(`${where}: an advert sent while ${state}`);
          }
          break;
        default:
          break;
      }
    }
    if (router.state !== state) throw new Error(`${where}: state ${router.state}, stateChange said ${state}`);
    if (vipsHeld !== (state === 'Master')) throw new Error(`${where}: VIPs held ${vipsHeld} in ${state}`);
    const priority = router.effectivePriority;
    if (priority < 1 || priority > 255 || (priority === 255 && router.snapshot().basePriority !== 255)) {
      throw new Error(`${where}: effective priority ${priority}`);
    }
    const deadline = router.nextDeadlineMs();
    if ((state === 'Initialize' || state === 'Fault') && deadline !== undefined) {
      throw new Error(`${where}: a deadline (${deadline}) in ${state}`);
    }
    if ((state === 'Backup' || state === 'Master') && deadline === undefined)
      throw new Error(`${where}: no deadline in ${state}`);
    if (input.kind === 'timeout' && deadline !== undefined && deadline <= nowMs) {
      throw new Error(`${where}: deadline ${deadline} still due after a timeout`);
    }
  }
}

for (const [label, config] of [
  ['v2', v2Config()],
  ['v2 owner', v2Config({ priority: 255 })],
  ['v2 preempt_delay', v2Config({ priority: 150, preemptDelayMs: 5000 })],
  ['v3 nopreempt', v3Config({ preempt: false })],
  [
    'v3 openshift initialState Master',
    v3Config({ initialState: 'Master', preemptDelayMode: 'openshift', preemptDelayMs: 3000 }),
  ],
] as const) {
  t.test(`properties (${label}): state chain, VIPs only as Master, deadlines never stuck`, async (t) => {
    t.doesNotThrow(
      () =>
        fc.assert(
          fc.property(fc.array(stepArbitrary(config), { minLength: 1, maxLength: 60 }), (steps) => {
            checkInvariants(config, steps);
          }),
          { numRuns: 300, seed: 20260527 },
        ),
      '300 random runs of up to 60 steps kept every invariant',
    );
  });
}
