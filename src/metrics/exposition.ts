// The Prometheus text exposition format (version 0.0.4), written by hand: label text is built once per
// series and a render only appends numbers (prom-client spent most of a scrape formatting labels).

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'gauge' | 'counter' | 'histogram' | 'summary';

/** A label value as the exposition format quotes it: backslash, double quote and newline escaped. */
export function labelValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** `{a="x",b="y"}` in the order given; `''` for no labels. */
export function labels(pairs: Readonly<Record<string, string>>): string {
  const entries = Object.entries(pairs);
  if (entries.length === 0) return '';
  return `{${entries.map(([name, value]) => `${name}=${labelValue(value)}`).join(',')}}`;
}

/** A metric family's HELP and TYPE lines; its samples follow, each `<name>{labels} <value>`. */
export function header(name: string, type: MetricType, help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** A whole family from its samples: what an embedder (or another module) adds with `addSeries`. */
export function family(
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  samples: Iterable<readonly [Readonly<Record<string, string>>, number]>,
): string {
  let text = header(name, type, help);
  for (const [pairs, value] of samples) text += `${name}${labels(pairs)} ${value}\n`;
  return text;
}

/**
 * Counters that only go up, fed from engine totals that clearCounters() (keepalived's STATS_CLEAR) sets
 * back to zero: a total lower than the last one seen starts a new run, added to what came before.
 */
export class MonotonicTotals {
  private readonly byLabels = new Map<string, { before: number; last: number }>();

  /** Takes the engine's total for the series `labelText` (any key naming it); returns the running total. */
  value(labelText: string, total: number): number {
    let entry = this.byLabels.get(labelText);
    if (entry === undefined) this.byLabels.set(labelText, (entry = { before: 0, last: 0 }));
    if (total < entry.last) entry.before += entry.last;
    entry.last = total;
    return entry.before + total;
  }

  /** Every series seen, with its running total (a series stays once it has appeared, as in prom-client). */
  *entries(): Iterable<[string, number]> {
    for (const [labelText, entry] of this.byLabels) yield [labelText, entry.before + entry.last];
  }
}

/** Each `line value\n` of a map from the sample line up to its value. */
export function samples(totals: Iterable<readonly [string, number]>): string {
  let text = '';
  for (const [line, value] of totals) text += `${line}${value}\n`;
  return text;
}

/** Upper bounds in seconds: 50 µs to 5 s, for timer lateness and takeover overshoot alike. */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** A Prometheus histogram without labels: a fixed array of counts, no allocation per observation. */
export class Histogram {
  private readonly counts: number[];
  private count = 0;
  private sum = 0;

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly bounds: readonly number[] = LATENCY_BUCKETS_S,
  ) {
    this.counts = bounds.map(() => 0);
  }

  observe(seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < this.bounds.length; i++) if (seconds <= this.bounds[i]!) this.counts[i]!++;
  }

  get observations(): number {
    return this.count;
  }

  text(): string {
    let text = header(this.name, 'histogram', this.help);
    for (let i = 0; i < this.bounds.length; i++)
      text += `${this.name}_bucket{le="${this.bounds[i]}"} ${this.counts[i]}\n`;
    return `${text}${this.name}_bucket{le="+Inf"} ${this.count}\n${this.name}_sum ${this.sum}\n${this.name}_count ${this.count}\n`;
  }
}
