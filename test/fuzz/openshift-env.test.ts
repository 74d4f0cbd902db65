// Fuzzer for the OPENSHIFT_HA_* reader (src/openshift/env.ts readOpenShiftEnv): random and mutated
// environments, seeded from the values the contract (/work/shared/reference/openshift-ipfailover.md)
// and test/openshift/env.test.ts use. Property: the reader returns a plan, or throws an EnvError naming
// one of the variables it reads, with a short message; never another error; each input within 2 s.
// A plan it returns must also pass the router checks the runtime makes at start (buildRouterConfig)
// and print (describePlan): a bad value must be refused here, naming its variable, not later.
// Budget: FUZZ_SECONDS (test/fuzz/README.md); kept cases: test/fuzz/regressions/openshift-env/.
import t from 'tap';
import fc from 'fast-check';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { describePlan, planSummary } from '../../src/openshift/describe.js';
import { readOpenShiftEnv, type Env, type EnvDeps, type OpenShiftPlan } from '../../src/openshift/env.js';
import { EnvError } from '../../src/openshift/errors.js';
import type { NodeNetwork } from '../../src/openshift/node-network.js';
import { fuzz, fuzzBudgetMs, fuzzSeed, regressionCases } from './budget.js';

/** Each input must be answered within this (the brief's bound; the reader takes well under 100 ms). */
const PER_INPUT_LIMIT_MS = 2000;
/** A message names the variable and quotes at most 80 characters of the value; this leaves room for the rest. */
const MESSAGE_LIMIT_CHARS = 1000;

/** Every variable the reader reads, with values from the contract and env.test.ts. */
const SEEDS: Readonly<Record<string, readonly string[]>> = {
  OPENSHIFT_HA_CONFIG_NAME: ['ipf-ha-router', 'OpenShift-IPFailover', 'ipfailover', 'config!@#-1_x/y'],
  OPENSHIFT_HA_VIRTUAL_IPS: [
    '192.0.2.101-102',
    '1.2.3.4-6,1.2.3.9',
    '10.42.42.42,10.100.1.20-24',
    '2001:DB8::1F39-1F3B',
    '192.0.2.10-192.0.2.11',
    '2001:db8::a-2001:db8::b',
    '198.51.100.7',
    '192.0.2.1,2001:db8::1',
  ],
  OPENSHIFT_HA_VIP_GROUPS: ['3', '10', '1', '255'],
  OPENSHIFT_HA_NETWORK_INTERFACE: ['eth0', 'ens7', 'br-ex', 'eth1'],
  OPENSHIFT_HA_MONITOR_PORT: ['80', '0', '30060', '65535'],
  OPENSHIFT_HA_VRRP_ID_OFFSET: ['0', '10', '100', '253'],
  OPENSHIFT_HA_EXCLUDED_VRRP_IDS: ['11 13', '1,2,3'],
  HA_EXCLUDED_VRRP_IDS: ['11 13', '3'],
  OPENSHIFT_HA_REPLICA_COUNT: ['2', '3', '1', '255'],
  OPENSHIFT_HA_USE_UNICAST: ['true', 'false', 'yes', '0'],
  OPENSHIFT_HA_UNICAST_PEERS: ['192.0.2.3, 192.0.2.4,192.0.2.5', '192.0.2.4', '2001:db8::4,192.0.2.4'],
  OPENSHIFT_HA_IPTABLES_CHAIN: ['INPUT', 'OUTPUT', 'ipf-chain.1'],
  OPENSHIFT_HA_FIREWALL: ['iptables', 'nftables', 'auto'],
  OPENSHIFT_HA_NOTIFY_SCRIPT: ['/etc/keepalive/mynotifyscript.sh', '/etc/keepalive/missing.sh'],
  OPENSHIFT_HA_CHECK_SCRIPT: ['/etc/keepalive/mycheckscript.sh --quick', '/etc/keepalive/missing.sh'],
  OPENSHIFT_HA_PREEMPTION: ['nopreempt', 'preempt_delay 300', ' preempt_delay  600 ', 'preempt_delay 1000'],
  OPENSHIFT_HA_CHECK_INTERVAL: ['2', '5', '3600'],
  OPENSHIFT_HA_MULTICAST_SOURCE_IPADDRESS: ['192.0.2.250', 'fe80::9'],
  MULTICAST_SOURCE_IPADDRESS: ['192.0.2.250'],
  OPENSHIFT_HA_UNICAST_SOURCE_IPADDRESS: ['192.0.2.250', 'fe80::9'],
  UNICAST_SOURCE_IPADDRESS: ['192.0.2.250'],
  OPENSHIFT_HA_STATUS_PORT: ['63001', '0', '1'],
  OPENSHIFT_HA_STATUS_ADDRESS: ['0.0.0.0', '127.0.0.1', '::'],
};
const VARIABLES: ReadonlySet<string> = new Set(Object.keys(SEEDS));

/** Fragments a mutation splices in: separators, number and address syntax, zone ids, control and wide characters. */
const FRAGMENTS = [
  ',',
  '-',
  ' ',
  ':',
  '::',
  '/24',
  '%eth0',
  '%',
  '.',
  '0x',
  '1e3',
  '-1',
  '0',
  '255',
  '256',
  '65536',
  'ffff',
  'FFFF',
  '999999999999',
  '\n',
  '\t',
  '\u0000',
  '\u001b[2J',
  '\u00e9',
  '\u{1F600}',
  '"',
  "'",
  ';',
  '$(id)',
  '`',
  '..',
  '::ffff:',
  'fe80::1%..',
  '2001:db8::0-ffff',
];

/** A seed value with 1-4 edits: a fragment or random text inserted, a slice deleted, or the whole repeated. */
function mutated(seeds: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 })),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
    fc.record({
      kind: fc.constant('repeat' as const),
      times: fc.integer({ min: 2, max: 40 }),
      separator: fc.constantFrom(',', ' ', ''),
    }),
  );
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([seed, edits]) => {
    let value = seed;
    for (const e of edits) {
      if (e.kind === 'repeat') value = Array.from({ length: e.times }, () => value).join(e.separator);
      else {
        const at = e.at % (value.length + 1);
        value =
          e.kind === 'insert'
            ? value.slice(0, at) + e.text + value.slice(at)
            : value.slice(0, at) + value.slice(at + e.length);
      }
    }
    return value;
  });
}

/** Values for one variable: its seeds, mutated seeds, numbers and addresses of every shape, random and huge text. */
function valueFor(name: string): fc.Arbitrary<string> {
  const seeds = SEEDS[name]!;
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...seeds) },
    { weight: 4, arbitrary: mutated(seeds) },
    { weight: 1, arbitrary: fc.oneof(fc.integer().map(String), fc.double().map(String), fc.bigInt().map(String)) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        fc.ipV4Extended(),
        fc.tuple(fc.ipV6(), fc.string({ maxLength: 5 })).map(([a, z]) => `${a}%${z}`),
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...seeds, 'x', '9'), fc.integer({ min: 1_000, max: 120_000 }))
        .map(([s, n]) => s.repeat(Math.ceil(n / s.length))),
    },
  );
}

/** Wholly random environments: every variable absent or any value (the earliest checks catch most). */
const randomEnv: fc.Arbitrary<Env> = fc.record(
  Object.fromEntries([...VARIABLES].map((name) => [name, valueFor(name)])),
  { requiredKeys: [] },
);

/**
 * Seed values (or absent) for every variable but one to three, which get any value: the reader checks
 * variables in turn and the first bad one wins, so this is how the later checks get hostile input.
 */
const mostlySeededEnv: fc.Arbitrary<Env> = fc
  .tuple(
    fc.record(Object.fromEntries([...VARIABLES].map((name) => [name, fc.constantFrom(...SEEDS[name]!)])), {
      requiredKeys: [],
    }),
    fc
      .uniqueArray(fc.constantFrom(...VARIABLES), { minLength: 1, maxLength: 3 })
      .chain((names) => fc.tuple(...names.map((name) => valueFor(name).map((value) => [name, value] as const)))),
  )
  .map(([seeded, hostile]) => ({
    OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-102',
    ...seeded,
    ...Object.fromEntries(hostile),
  }));

const envArbitrary: fc.Arbitrary<Env> = fc.oneof(
  { weight: 1, arbitrary: randomEnv },
  { weight: 3, arbitrary: mostlySeededEnv },
);

const dualStack: NodeNetwork = {
  interfaces: [
    { name: 'lo', addresses: [{ family: 4, address: '127.0.0.1', scope: 254, secondary: false }] },
    {
      name: 'eth0',
      addresses: [
        { family: 4, address: '192.0.2.3', scope: 0, secondary: false },
        { family: 4, address: '192.0.2.250', scope: 0, secondary: true },
        { family: 6, address: '2001:db8::3', scope: 0, secondary: false },
        { family: 6, address: 'fe80::3', scope: 253, secondary: false },
      ],
    },
  ],
  defaultRouteInterface: 'eth0',
};
const ipv6Only: NodeNetwork = {
  interfaces: [
    {
      name: 'ens7',
      addresses: [
        { family: 6, address: '2001:db8::1:2a', scope: 0, secondary: false },
        { family: 6, address: 'fe80::9', scope: 253, secondary: false },
      ],
    },
  ],
  defaultRouteInterface: 'ens7',
};
const bare: NodeNetwork = { interfaces: [{ name: 'wlan9', addresses: [] }], defaultRouteInterface: undefined };

const depsArbitrary: fc.Arbitrary<EnvDeps> = fc.record({
  node: fc.constantFrom(dualStack, dualStack, ipv6Only, bare),
  random: fc.integer({ min: 0, max: 31 }).map((r) => () => r),
  scriptProblem: fc.constant((path: string) => (path.includes('missing') ? 'does not exist' : undefined)),
});

/** The environment as a failure prints it: each value cut to 120 characters, with its length. */
function shown(env: Env): string {
  const cut = Object.entries(env).map(([k, v]) => [
    k,
    v !== undefined && v.length > 120 ? `${v.slice(0, 120)}... (${v.length} characters)` : v,
  ]);
  return JSON.stringify(Object.fromEntries(cut));
}

/** Why a plan the reader returned would fail at start or in print, or undefined. */
function planProblem(plan: OpenShiftPlan): string | undefined {
  try {
    for (const router of plan.routers) {
      const { useVmac: _useVmac, ...input } = router;
      // What startLinuxEngine checks before it reads the interface for a source address (its placeholders).
      const placeholder = router.family === 6 ? 'fe80::1' : '0.0.0.1';
      buildRouterConfig({ ...input, primaryAddress: router.primaryAddress ?? placeholder }, `router ${router.name}`);
    }
    describePlan(plan);
    JSON.stringify(planSummary(plan));
  } catch (error) {
    return `the plan fails later: ${(error as Error).name}: ${(error as Error).message}`;
  }
  return undefined;
}

/** What the inputs came to: plans, and EnvErrors by variable (to see the fuzzer reach every check). */
const outcomes = new Map<string, number>();
const tally = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
let slowestMs = 0;

/** The property for one input: a failure message naming the input, or undefined. */
function readProblem(env: Env, deps: EnvDeps): string | undefined {
  let plan: OpenShiftPlan | undefined;
  let problem: string | undefined;
  // Only the reader is timed: the 2 s bound is its own (the checks on its plan below are the runtime's).
  const started = performance.now();
  try {
    plan = readOpenShiftEnv(env, deps);
    tally('plan');
  } catch (error) {
    if (error instanceof EnvError) tally(error.variable);
    if (!(error instanceof EnvError)) problem = `threw ${(error as Error)?.name}: ${(error as Error)?.message}`;
    else if (!VARIABLES.has(error.variable))
      problem = `EnvError names ${error.variable}, which the reader does not read`;
    else if (!error.message.startsWith(`${error.variable}: `))
      problem = `message does not start with the variable: ${error.message.slice(0, 200)}`;
    else if (error.message.length > MESSAGE_LIMIT_CHARS) problem = `message of ${error.message.length} characters`;
  }
  const elapsedMs = performance.now() - started;
  slowestMs = Math.max(slowestMs, elapsedMs);
  if (problem === undefined && elapsedMs > PER_INPUT_LIMIT_MS)
    problem = `took ${elapsedMs.toFixed(0)} ms (limit ${PER_INPUT_LIMIT_MS})`;
  if (problem === undefined && plan !== undefined) problem = planProblem(plan);
  return problem === undefined ? undefined : `${problem}; input ${shown(env)}`;
}

const seed = fuzzSeed();
const budgetMs = fuzzBudgetMs();
const defaultDeps: EnvDeps = {
  node: dualStack,
  random: () => 7,
  scriptProblem: (path) => (path.includes('missing') ? 'does not exist' : undefined),
};

t.test('kept cases (test/fuzz/regressions/openshift-env): a plan or an EnvError naming the variable', async (t) => {
  const cases = regressionCases<{ env: Env }>('openshift-env');
  t.ok(cases.length > 0, 'the corpus is not empty');
  for (const { file, why, input } of cases) t.equal(readProblem(input.env, defaultDeps), undefined, `${file}: ${why}`);
});

t.test('every seed value alone with the VIPs is read without a failure', async (t) => {
  for (const [name, values] of Object.entries(SEEDS)) {
    for (const value of values) {
      t.equal(
        readProblem({ OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-102', [name]: value }, defaultDeps),
        undefined,
        `${name}=${value}`,
      );
    }
  }
});

t.test(`fuzz: random and mutated OPENSHIFT_HA_* environments (seed ${seed}, ${budgetMs / 1000} s)`, async (t) => {
  const run = fuzz(
    fc.property(envArbitrary, depsArbitrary, (env, deps) => {
      const problem = readProblem(env, deps);
      if (problem !== undefined) throw new Error(problem);
    }),
    budgetMs,
    seed,
  );
  t.ok(run.runs > 0, `${run.runs} environments, no failure; slowest ${slowestMs.toFixed(1)} ms`);
  const byCount = [...outcomes].sort((a, b) => b[1] - a[1]).map(([what, count]) => `${what} ${count}`);
  t.ok((outcomes.get('plan') ?? 0) > 0, `outcomes: ${byCount.join(', ')}`);
});
