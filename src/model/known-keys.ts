// Unknown keys in a JSON configuration (or an unknown OPENSHIFT_HA_* variable) are mistakes to name,
// with the nearest known key, so that `"priorty"` or `"evnets"` is never silently ignored.

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const rows: number[][] = [];
  for (let i = 0; i <= x.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= y.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1]!;
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[x.length]![y.length]!;
}

/**
 * The known key closest to `key`, when it is close enough to be a likely typo (at most a third of its
 * letters wrong, and never more than 4); undefined otherwise.
 */
export function nearestKey(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.min(4, Math.max(1, Math.ceil(Math.max(key.length, best?.length ?? 0) / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** "unknown field (did you mean "priority"?)", or the list of known keys when none is close. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = nearestKey(key, known);
  return near !== undefined
    ? `unknown field (did you mean "${near}"?)`
    : `unknown field (expected ${known.join(', ')})`;
}

/** The first key of `value` that is not in `known`, if any. */
export function firstUnknownKey(value: object, known: readonly string[]): string | undefined {
  return Object.keys(value).find((key) => !known.includes(key));
}
