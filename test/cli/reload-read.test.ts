// readConfigOffThread (src/cli/reload-read.ts): a reload's configuration read in a worker thread gives
// what loadConfig gives (the result survives the structured clone between threads), refuses a broken
// file with its file:line errors, refuses a read past its time or memory limit, and oneAtATime folds
// SIGHUPs that arrive during a read into one more read.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { ConfigLoadError, loadConfig } from '../../src/cli/config-source.js';
import { oneAtATime, readConfigOffThread } from '../../src/cli/reload-read.js';

const corpus = join(fileURLToPath(import.meta.url), '../../../../test/config/corpus');
const dir = mkdtempSync(join(tmpdir(), 'reload-read-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(promise: Promise<unknown>): Promise<ConfigLoadError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigLoadError) return error;
    throw error;
  }
  throw new Error('the read was not refused');
}

/** Accepted corpus files that between them hold every section the reader maps (a worker starts in about a second). */
const SAMPLES = [
  'basic-master.conf',
  'scripts-sync-group.conf',
  'dual-stack-v3.conf',
  'vmac-garp.conf',
  'vip-excluded.conf',
  'unicast.conf',
  'includes/keepalived.conf',
];

t.test('the worker gives exactly what loadConfig gives (the result survives the structured clone)', async (t) => {
  for (const file of SAMPLES.map((name) => join(corpus, name))) {
    const direct = loadConfig(file, 'node-a');
    const viaWorker = await readConfigOffThread(file, 'node-a');
    // isDeepStrictEqual compares prototypes too: a class instance would not come back as one.
    t.ok(isDeepStrictEqual(viaWorker, direct), `${file}: same result through the worker`);
  }
});

t.test('a broken file is refused with the same file:line errors', async (t) => {
  const file = join(corpus, 'broken-unclosed-brace.conf');
  const direct = await refusal(Promise.resolve().then(() => loadConfig(file)));
  const viaWorker = await refusal(readConfigOffThread(file, undefined));
  t.same(viaWorker.diagnostics, direct.diagnostics);
  t.ok(viaWorker.diagnostics.some((d) => d.severity === 'error' && d.line > 0));
});

t.test('a read past the time limit is stopped and refused', async (t) => {
  const file = join(dir, 'slow.conf');
  // Within the reader's limits, but some hundred milliseconds of work: far past a 1 ms limit.
  writeFileSync(file, 'bogus 1\n'.repeat(90_000));
  const error = await refusal(readConfigOffThread(file, undefined, { timeoutMs: 1 }));
  t.match(error.diagnostics, [
    { severity: 'error', file, line: 0, message: 'reading the configuration took longer than 1 ms; it was stopped' },
  ]);
});

t.test('a read past the memory limit is stopped and refused', async (t) => {
  const file = join(dir, 'big.json');
  // A JSON configuration has no reader limits of its own: 2 million small objects need far more than 16 MB.
  writeFileSync(file, `{"routers":[${Array.from({ length: 2_000_000 }, (_, i) => `{"n":${i}}`).join(',')}]}`);
  const error = await refusal(readConfigOffThread(file, undefined, { heapMb: 16 }));
  t.match(error.diagnostics, [
    {
      severity: 'error',
      file,
      line: 0,
      message: 'reading the configuration needed more than 16 MB of memory; it was stopped',
    },
  ]);
});

t.test('oneAtATime: requests during a run give one more run, not one each', async (t) => {
  let runs = 0;
  let release: () => void = () => undefined;
  const task = oneAtATime(async () => {
    runs++;
    await new Promise<void>((resolve) => (release = resolve));
  });
  const first = task();
  const more = [task(), task(), task()];
  release();
  await new Promise((r) => setImmediate(r));
  t.equal(runs, 2, 'the three requests made during the first run gave one second run');
  release();
  await Promise.all([first, ...more]);
  t.equal(runs, 2);
  const later = task();
  release();
  await later;
  t.equal(runs, 3, 'a request after the runs ended starts a new one');
});
