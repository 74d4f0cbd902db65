// Fuzzer for the keepalived.conf reader (src/config/keepalived): whatever a file holds, loadKeepalivedConfig
// returns a configuration or throws KeepalivedConfigError whose errors each name a file and a line, and
// it does so within 2 s. Inputs are seed files (test/fuzz/corpus/keepalived/, written for this
// project, and test/config/corpus/) mutated line by line: lines deleted, repeated, swapped or cut,
// and fragments inserted that are known to hurt readers (braces, quotes, definitions that use
// themselves, multi-line definitions, conditions, include globs, long runs of one character).
// Budget: FUZZ_SECONDS (default 20), seed: FUZZ_SEED; see test/fuzz/README.md. Cases kept from
// crashes found and from issue 10: test/fuzz/regressions/keepalived-conf/, run by a plain test below.
import t from 'tap';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { KeepalivedConfigError, loadKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { fuzzBudgetMs, fuzzSeed } from './budget.js';

/** Every input must be read (or refused) within this. */
const PER_INPUT_MS = 2000;
/** Its own default budget: each input is a file read, slower than a packet decode. */
const DEFAULT_FUZZ_SECONDS = 20;
/** Mutations stop growing an input past this many lines (the reader's own limit is 100,000). */
const MAX_INPUT_LINES = 120_000;

const here = join(fileURLToPath(import.meta.url), '..');
const source = (...parts: string[]) => join(here, '../../../test', ...parts);

const budgetMs = fuzzBudgetMs(DEFAULT_FUZZ_SECONDS);
const seed = fuzzSeed();

function seedTexts(): string[] {
  const dirs = [source('fuzz/corpus/keepalived'), source('config/corpus')];
  const texts = dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((n) => n.endsWith('.conf'))
      .map((n) => readFileSync(join(dir, n), 'utf8')),
  );
  texts.push(readFileSync(source('config/corpus/includes/keepalived.conf'), 'utf8'));
  return texts;
}

/** Fragments that have broken readers: each is inserted whole, or repeated. */
const FRAGMENTS = [
  '{',
  '}',
  '{ }',
  '"',
  '""',
  '"unclosed',
  '\\',
  '#',
  '!',
  '@',
  '@^',
  '@node-a',
  '@^node-a',
  '$',
  '$X',
  '${X}',
  '$X=${X}${X}',
  '$X=$X',
  '$Y=${X}',
  '$X=${Y}',
  '$M=\\',
  '$M \\',
  '$M',
  '${_PWD}',
  '${_HASH}',
  '${_INSTANCE}',
  '$UNDEF',
  'include',
  'include *.inc',
  'include {a,b}.inc',
  'include [z-a]*',
  'include [!a]*',
  'include [[:alpha:]]*',
  'include [[:nope:]]',
  'include conf.d/*.conf',
  'include keepalived.conf',
  'include {a,{b,c}}{,}.inc',
  'include \\[',
  'include ]',
  'include ?',
  'vrrp_instance',
  'vrrp_instance X {',
  'virtual_ipaddress {',
  'virtual_router_id 0',
  'virtual_router_id 256',
  'priority 0',
  'priority 255',
  'priority -1',
  'advert_int 0',
  'advert_int 0.001',
  'advert_int 1e9',
  'state MASTER',
  'interface',
  'interface eth0',
  'authentication { auth_type AH }',
  'auth_pass',
  'unicast_peer { 192.0.2.9 }',
  'track_script { x }',
  'vrrp_script x { script "/bin/true" }',
  'vrrp_sync_group g { group { VI_1 } }',
  'global_defs { }',
  'notify "/bin/x"',
  '192.0.2.1/33',
  '2001:db8::1/129',
  '0.0.0.0',
  '::',
  'dev',
  'label',
  'scope',
  '\u0000',
  '\u00e9\u4e2d',
  '\t',
  '\r',
];

type Edit =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'repeat'; readonly at: number; readonly lines: number; readonly times: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'splice'; readonly at: number; readonly column: number; readonly text: string }
  | { readonly kind: 'swap'; readonly at: number; readonly other: number }
  | { readonly kind: 'truncate'; readonly at: number };

const fragment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FRAGMENTS) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...FRAGMENTS), fc.integer({ min: 2, max: 3000 })).map(([f, n]) => f.repeat(n)),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 2, maxLength: 6 }).map((parts) => parts.join(' ')),
  },
);
const position = fc.nat({ max: 10_000 });
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: position }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: position,
    lines: fc.integer({ min: 1, max: 12 }),
    times: fc.integer({ min: 2, max: 400 }),
  }),
  fc.record({ kind: fc.constant('insert' as const), at: position, text: fragment }),
  fc.record({ kind: fc.constant('splice' as const), at: position, column: fc.nat({ max: 200 }), text: fragment }),
  fc.record({ kind: fc.constant('swap' as const), at: position, other: position }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
);

function applyEdits(text: string, edits: readonly Edit[]): string {
  let lines = text.split('\n');
  for (const e of edits) {
    const i = lines.length === 0 ? 0 : e.at % lines.length;
    switch (e.kind) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'repeat': {
        // Up to a little past the reader's line limit, so that the limit is reached but inputs stay quick to write.
        const block = lines.slice(i, i + e.lines);
        const times = Math.min(e.times, Math.floor(MAX_INPUT_LINES / Math.max(1, block.length)));
        for (let n = 1; n < times && lines.length < MAX_INPUT_LINES; n++) lines.splice(i, 0, ...block);
        break;
      }
      case 'insert':
        lines.splice(i, 0, ...e.text.split('\n'));
        break;
      case 'splice': {
        const line = lines[i] ?? '';
        const column = Math.min(e.column, line.length);
        lines[i] = line.slice(0, column) + e.text + line.slice(column);
        break;
      }
      case 'swap': {
        const j = lines.length === 0 ? 0 : e.other % lines.length;
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        break;
      }
      case 'truncate':
        lines = lines.slice(0, i);
        break;
    }
  }
  return lines.join('\n');
}

/** The longest read so far, for the run's summary. */
let slowestMs = 0;

/** Why reading `path` went wrong, or undefined: the property every input must satisfy. */
function readProblem(path: string): string | undefined {
  const started = performance.now();
  let problem: string | undefined;
  try {
    loadKeepalivedConfig(path, { configId: 'node-a' });
  } catch (error) {
    if (!(error instanceof KeepalivedConfigError)) {
      problem = `threw ${(error as Error)?.name}: ${(error as Error)?.message}\n${(error as Error)?.stack ?? ''}`;
    } else {
      const errors = error.diagnostics.filter((d) => d.severity === 'error');
      // Line 0 only where no line is at fault: the main file cannot be read as a whole (too large).
      const unplaced = error.diagnostics.filter(
        (d) =>
          d.file === '' ||
          !Number.isInteger(d.line) ||
          (d.line < 1 && !d.message.startsWith('cannot read the configuration')),
      );
      if (errors.length === 0) problem = 'KeepalivedConfigError without an error';
      else if (unplaced.length > 0) problem = `diagnostics without file:line: ${JSON.stringify(unplaced.slice(0, 3))}`;
    }
  }
  const ms = performance.now() - started;
  slowestMs = Math.max(slowestMs, ms);
  return problem ?? (ms > PER_INPUT_MS ? `took ${ms.toFixed(0)} ms (limit ${PER_INPUT_MS} ms)` : undefined);
}

/** A directory the inputs are read from, with files for their includes to find. */
function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-keepalived-'));
  mkdirSync(join(dir, 'conf.d'));
  const instance = (name: string, vrid: number) =>
    `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n virtual_ipaddress {\n  192.0.2.${vrid}\n }\n}\n`;
  writeFileSync(join(dir, 'conf.d', 'one.conf'), instance('INC_ONE', 201));
  writeFileSync(join(dir, 'a.inc'), instance('INC_A', 202));
  writeFileSync(join(dir, 'b.inc'), '$X=${X}\ninclude a.inc\n');
  return dir;
}

t.test('regressions: every kept case is read or refused, with file:line, in time', async (t) => {
  const dir = source('fuzz/regressions/keepalived-conf');
  const cases = readdirSync(dir)
    .filter((n) => n.endsWith('.conf'))
    .sort();
  t.ok(cases.length > 0, `${cases.length} cases`);
  for (const name of cases) t.equal(readProblem(join(dir, name)), undefined, name);
});

t.test(`fuzz: mutated seeds for ${budgetMs / 1000} s (FUZZ_SEED=${seed})`, async (t) => {
  const dir = workDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'keepalived.conf');
  const seeds = seedTexts();
  t.ok(seeds.length >= 20, `${seeds.length} seed files`);
  let inputs = 0;
  const property = fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(edit, { maxLength: 10 }), (which, edits) => {
    const text = applyEdits(seeds[which]!, edits);
    writeFileSync(path, text);
    inputs++;
    const problem = readProblem(path);
    if (problem !== undefined) {
      // Kept where it can be copied into test/fuzz/regressions/keepalived-conf/.
      const kept = join(tmpdir(), `keepalived-conf-fuzz-${seed}-${inputs}.conf`);
      writeFileSync(kept, text);
      throw new Error(`${problem}\ninput kept in ${kept}:\n${text.length > 2000 ? `${text.slice(0, 2000)}...` : text}`);
    }
  });
  const details = fc.check(property, {
    seed,
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: budgetMs,
    markInterruptAsFailure: false,
    endOnFailure: true,
  });
  // The error says what went wrong and where the input was kept; fast-check's report would repeat the whole input.
  if (details.failed)
    t.fail(
      `FUZZ_SEED=${seed}, input ${inputs}: ${String(details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance).slice(0, 3000)}`,
    );
  else t.pass(`${details.numRuns} inputs, none failed (FUZZ_SEED=${seed})`);
  t.comment(`${inputs} inputs read in ${budgetMs / 1000} s; the slowest took ${slowestMs.toFixed(0)} ms`);
});
