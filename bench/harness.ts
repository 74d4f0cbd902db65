// A small measuring loop for benchmarks. Figures are printed, never asserted: speed targets are read by
// people, side by side with keepalived where a counterpart exists, not enforced by flaky timed tests.

import { performance } from 'node:perf_hooks';

export interface Measurement {
  readonly name: string;
  readonly operations: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/**
 * Runs `batch` (which performs `operationsPerBatch` operations) until `minSeconds` have passed, after a
 * warm-up so the JIT has settled. Returns operations per second.
 */
export function measure(name: string, operationsPerBatch: number, batch: () => void, minSeconds = 1): Measurement {
  const warmUpUntil = performance.now() + 200;
  while (performance.now() < warmUpUntil) batch();
  let operations = 0;
  const start = performance.now();
  let elapsedMs = 0;
  do {
    batch();
    operations += operationsPerBatch;
    elapsedMs = performance.now() - start;
  } while (elapsedMs < minSeconds * 1000);
  const seconds = elapsedMs / 1000;
  return { name, operations, seconds, perSecond: operations / seconds };
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}

export function printTable(title: string, rows: ReadonlyArray<readonly string[]>, header: readonly string[]): void {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
