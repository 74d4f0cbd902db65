// What every fuzzer under test/fuzz shares: its time budget (FUZZ_SECONDS), a seed that can be replayed
// (FUZZ_SEED), the regression cases kept in test/fuzz/regressions/<fuzzer>/, and a byte array that
// refuses to be read past its end.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

/** Seconds of generated inputs per fuzzer file; CI keeps the default, a long run sets e.g. FUZZ_SECONDS=600. */
export const DEFAULT_FUZZ_SECONDS = 10;

function positiveNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name}=${JSON.stringify(text)}: expected a positive number`);
  return value;
}

/** The whole budget of one fuzzer file, in milliseconds: FUZZ_SECONDS, or the file's own default. */
export function fuzzBudgetMs(defaultSeconds = DEFAULT_FUZZ_SECONDS): number {
  return positiveNumber('FUZZ_SECONDS', defaultSeconds) * 1000;
}

/** FUZZ_SEED to replay a run; otherwise a fresh seed, printed so that a failure can be replayed. */
export function fuzzSeed(): number {
  const text = process.env.FUZZ_SEED;
  if (text !== undefined && text !== '') {
    const seed = Number(text);
    if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED=${JSON.stringify(text)}: expected an integer`);
    return seed;
  }
  return (Math.random() * 0x7fffffff) | 0;
}

export interface FuzzRun {
  readonly seed: number;
  readonly runs: number;
  readonly interrupted: boolean;
}

/**
 * Checks `property` on generated inputs until `budgetMs` runs out (there is no run limit). Throws, with
 * fast-check's report (seed, path, shrunk counterexample), when a case fails.
 */
export function fuzz<T>(property: fc.IProperty<T>, budgetMs: number, seed: number): FuzzRun {
  const details = fc.check(property, {
    seed,
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: budgetMs,
    markInterruptAsFailure: false,
  });
  if (details.failed) {
    // The property's own message (it names the input, cut to size) first; fast-check's report, with the
    // seed and path that replay it, after.
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${cause}\n${fc.defaultReportMessage(details) ?? `property failed (seed ${seed})`}`);
  }
  return { seed, runs: details.numRuns, interrupted: details.interrupted };
}

/** A regression case: why it is kept, and the input, in the fuzzer's own JSON shape. */
export interface RegressionCase<T> {
  readonly file: string;
  readonly why: string;
  readonly input: T;
}

/** The kept cases of one fuzzer, test/fuzz/regressions/<fuzzer>/*.json, in file name order. */
export function regressionCases<T>(fuzzer: string): RegressionCase<T>[] {
  // Compiled to dist/test/fuzz/; the cases stay in the source tree.
  const dir = join(fileURLToPath(import.meta.url), '../../../../test/fuzz/regressions', fuzzer);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { why?: unknown; input?: unknown };
      if (typeof parsed.why !== 'string' || parsed.input === undefined) {
        throw new Error(`${fuzzer}/${file}: expected {"why": "...", "input": ...}`);
      }
      return { file, why: parsed.why, input: parsed.input as T };
    });
}

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not hex: ${hex.slice(0, 40)}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Thrown by a guarded array when a parser reads an index it did not check against the length. */
export class OutOfBoundsRead extends Error {
  constructor(index: string, length: number) {
    super(`read of index ${index} in a ${length}-byte packet`);
    this.name = 'OutOfBoundsRead';
  }
}

/**
 * `bytes` behind a Proxy that throws OutOfBoundsRead on any integer index outside 0..length-1 (a plain
 * Uint8Array answers undefined, which arithmetic turns into a silent 0 or NaN). Methods such as subarray
 * and slice run on the real array, so what a parser hands back is an ordinary Uint8Array.
 */
export function guardedBytes(bytes: Uint8Array): Uint8Array {
  return new Proxy(bytes, {
    get(target, key) {
      if (typeof key === 'string' && /^-?\d+$/.test(key)) {
        const index = Number(key);
        if (index < 0 || index >= target.length) throw new OutOfBoundsRead(key, target.length);
        return target[index];
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
