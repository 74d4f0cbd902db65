// What a dashboard written for keepalived-exporter relies on: its metric names, types and label names,
// as github.com/mehdy/keepalived-exporter declares them (internal/collector/collector.go,
// fillMetrics: commonLabels = iname, intf, vrid; keepalived_vrrp_state adds ip_address), and a check
// of the Prometheus text exposition format (version 0.0.4) that every scrape of ours must pass.

export interface ExporterFamily {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly labels: readonly string[];
  /** Why we do not serve it, for the few we cannot count truly (docs/operations.md says the same). */
  readonly notServed?: string;
  /** Served only when there is something to report (excluded addresses, vrrp_script checks). */
  readonly when?: 'excluded-addresses' | 'script-checks';
}

const COMMON = ['iname', 'intf', 'vrid'];
const PER_ADDRESS = ['iname', 'intf', 'vrid', 'ip_address'];
const counter = (name: string, notServed?: string): ExporterFamily => ({
  name,
  type: 'counter',
  labels: COMMON,
  ...(notServed === undefined ? {} : { notServed }),
});

export const EXPORTER_FAMILIES: readonly ExporterFamily[] = [
  { name: 'keepalived_up', type: 'gauge', labels: [] },
  { name: 'keepalived_vrrp_state', type: 'gauge', labels: PER_ADDRESS },
  { name: 'keepalived_vrrp_excluded_state', type: 'gauge', labels: PER_ADDRESS, when: 'excluded-addresses' },
  {
    name: 'keepalived_exporter_check_script_status',
    type: 'gauge',
    labels: PER_ADDRESS,
    notServed: "the exporter's own -cs script, run per VIP at scrape time: no keepalived counter",
  },
  counter('keepalived_gratuitous_arp_delay_total'),
  counter('keepalived_advertisements_received_total'),
  counter('keepalived_advertisements_sent_total'),
  counter('keepalived_become_master_total'),
  counter('keepalived_release_master_total'),
  counter('keepalived_packet_length_errors_total'),
  counter('keepalived_advertisements_interval_errors_total'),
  counter('keepalived_ip_ttl_errors_total'),
  counter('keepalived_invalid_type_received_total'),
  counter('keepalived_address_list_errors_total'),
  counter(
    'keepalived_authentication_invalid_total',
    'an unknown authentication type is one of our auth-type-mismatch drops: counted in keepalived_authentication_mismatch_total',
  ),
  counter('keepalived_authentication_mismatch_total'),
  counter('keepalived_authentication_failure_total'),
  counter('keepalived_priority_zero_received_total'),
  counter('keepalived_priority_zero_sent_total'),
  { name: 'keepalived_script_status', type: 'gauge', labels: ['name'], when: 'script-checks' },
  {
    name: 'keepalived_script_state',
    type: 'gauge',
    labels: ['name'],
    notServed: "keepalived's script process state (idle, running, terminating): our runner does not report it",
  },
];

/** keepalived's states as the exporter encodes them (VRRPStates: INIT, BACKUP, MASTER, FAULT). */
export const EXPORTER_STATE_VALUES = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3 } as const;

export interface Family {
  readonly type: string;
  readonly help: string;
  readonly samples: { readonly name: string; readonly labels: Record<string, string>; readonly value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Parses exposition text, throwing on the first violation: HELP then TYPE before a family's samples,
 * each family once and contiguous, sample names of their family, label syntax and escapes, numeric
 * values, no series twice, the text ending in a newline.
 */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the text must end with a newline');
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: { name: string; family: Family } | undefined;
  const lines = text.slice(0, -1).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help !== null) {
      const type = /^# TYPE (\S+) (gauge|counter|histogram|summary|untyped)$/.exec(lines[++i] ?? '');
      if (type === null || type[1] !== help[1])
        throw new Error(`line ${i + 1}: HELP ${help[1]} not followed by its TYPE`);
      if (!NAME.test(help[1]!) || families.has(help[1]!))
        throw new Error(`line ${i + 1}: family ${help[1]} bad or repeated`);
      current = { name: help[1]!, family: { type: type[2]!, help: help[2]!, samples: [] } };
      families.set(current.name, current.family);
      continue;
    }
    if (current === undefined) throw new Error(`line ${i + 1}: a sample before any HELP/TYPE: ${line}`);
    const sample = parseSample(line, i + 1);
    const allowed = (SUFFIXES[current.family.type] ?? ['']).map((suffix) => current!.name + suffix);
    if (!allowed.includes(sample.name))
      throw new Error(`line ${i + 1}: ${sample.name} is not of family ${current.name}`);
    const key = `${sample.name}${JSON.stringify(sample.labels)}`;
    if (series.has(key)) throw new Error(`line ${i + 1}: series repeated: ${line}`);
    series.add(key);
    current.family.samples.push(sample);
  }
  return families;
}

function parseSample(line: string, lineNumber: number): Family['samples'][number] {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
  if (match === null) throw new Error(`line ${lineNumber}: not a sample: ${line}`);
  const labels: Record<string, string> = {};
  const body = match[2] ?? '';
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < body.length) {
    const label = LABEL.exec(body);
    if (label === null) throw new Error(`line ${lineNumber}: bad label text: ${body}`);
    if (label[1]! in labels) throw new Error(`line ${lineNumber}: label ${label[1]} twice`);
    labels[label[1]!] = label[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  const value = match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : Number(match[3]);
  if (Number.isNaN(value) && match[3] !== 'NaN') throw new Error(`line ${lineNumber}: value not a number: ${line}`);
  return { name: match[1]!, labels, value };
}

/**
 * Every exporter family we serve is there, with the exporter's type and exactly its label names on
 * every sample; those we do not serve are absent (no fake zeros). Returns the problems found.
 */
export function exporterProblems(
  families: ReadonlyMap<string, Family>,
  present: { excluded: boolean; scripts: boolean },
): string[] {
  const problems: string[] = [];
  for (const expected of EXPORTER_FAMILIES) {
    const family = families.get(expected.name);
    const wanted =
      expected.notServed === undefined &&
      (expected.when === undefined || (expected.when === 'excluded-addresses' ? present.excluded : present.scripts));
    if (!wanted) {
      if (family !== undefined) problems.push(`${expected.name} is served but should not be`);
      continue;
    }
    if (family === undefined) {
      problems.push(`${expected.name} is missing`);
      continue;
    }
    if (family.type !== expected.type) problems.push(`${expected.name} is a ${family.type}, not a ${expected.type}`);
    if (family.samples.length === 0) problems.push(`${expected.name} has no samples`);
    for (const sample of family.samples) {
      const names = Object.keys(sample.labels).sort().join(',');
      if (names !== [...expected.labels].sort().join(','))
        problems.push(`${expected.name} labels ${names}, the exporter's are ${expected.labels.join(',')}`);
    }
  }
  return problems;
}
