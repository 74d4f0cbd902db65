// Prometheus metrics of a running engine, in the text exposition format (version 0.0.4). A scrape runs
// on the event loop that sends the adverts, so it must cost little and a flood of scrapes must cost no
// more than one:
// - the text is rendered at most once per `maxAgeMs` (default 1 s); scrapes in between get that text;
// - rendering writes the lines itself, with each instance's label text built once. prom-client, used
//   before, spent most of a scrape hashing and formatting labels: 21-24 ms of the loop per scrape of
//   255 instances against 6-7 ms now, on a loaded machine, while reading the engine (snapshot() and
//   counters()) costs about 16 µs (bench/metrics-scrape.ts, figures in bench/README.md).
// States and priorities are read at render time, so they are never older than the cached text;
// transitions are counted from the engine's stateChange events.

import { performance } from 'node:perf_hooks';
import type { RouterState } from '../core/types.js';
import type { Engine } from '../engine/engine.js';
import type { StateChangeEvent } from '../engine/events.js';

const STATES: readonly RouterState[] = ['Initialize', 'Backup', 'Master', 'Fault'];
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** How long one rendering is served: Prometheus scrapes every 15 s or more, so 1 s is never stale to it. */
export const DEFAULT_METRICS_MAX_AGE_MS = 1_000;

export interface HealthStatusSource {
  status(): readonly { readonly name: string; readonly up: boolean }[];
}

/** What the split-brain watch reports (the runtime handle's `conflicts()`, src/daemon/vip-conflicts.ts). */
export interface ConflictSource {
  conflicts(): {
    readonly active: readonly {
      readonly address: string;
      readonly router: string;
      readonly role: string;
      readonly macs: readonly string[];
      readonly sender: string | undefined;
      readonly advertSource?: string;
    }[];
    readonly started: number;
    readonly claims: number;
    readonly probes: number;
    readonly collisionsSeen: number;
  };
}

/**
 * The split-brain series, apart from the engine's so they can move with the metrics module: one gauge
 * line per address claimed by another node now (its MACs and address as labels; as many lines as open
 * conflicts), and the totals since start.
 */
export function conflictMetricsText(source: ConflictSource): string {
  const report = source.conflicts();
  let text = header(
    'vrrp_vip_conflict',
    'gauge',
    'A virtual address another node claims now (split brain): 1 per open conflict',
  );
  for (const c of report.active) {
    const pairs = { instance: c.router, address: c.address, role: c.role, other_mac: c.macs.join(',') };
    const address = c.sender ?? c.advertSource;
    text += `vrrp_vip_conflict${labels(address === undefined ? pairs : { ...pairs, other_address: address })} 1\n`;
  }
  text += `${header('vrrp_vip_conflicts_total', 'counter', 'Address conflicts (split brain) seen since start')}vrrp_vip_conflicts_total ${report.started}\n`;
  text += `${header('vrrp_vip_claims_total', 'counter', 'ARP / NA claims heard for addresses this node holds or watches')}vrrp_vip_claims_total ${report.claims}\n`;
  text += `${header('vrrp_vrid_collisions_total', 'counter', 'Adverts for our VRIDs from another cluster or a mismatched peer: once per source and reason')}vrrp_vrid_collisions_total ${report.collisionsSeen}\n`;
  text += `${header('vrrp_vip_probes_total', 'counter', 'RFC 5227 probes sent for addresses this node holds')}vrrp_vip_probes_total ${report.probes}\n`;
  return text;
}

export interface EngineMetricsOptions {
  readonly health?: HealthStatusSource;
  /** Adds the split-brain series (conflictMetricsText). */
  readonly conflicts?: ConflictSource;
  readonly maxAgeMs?: number;
  /** Milliseconds on a monotonic clock (tests move it by hand). */
  readonly nowMs?: () => number;
}

export interface EngineMetrics {
  /** The exposition text, rendered again only when the last rendering is `maxAgeMs` old. */
  text(): string;
  /** The same text as UTF-8 bytes, encoded once per rendering (what a scrape is sent). */
  bytes(): Buffer;
  /** How many times the text was rendered (a flood of scrapes within maxAgeMs adds one). */
  readonly renders: number;
  close(): void;
}

/** A label value as the exposition format quotes it: backslash, double quote and newline escaped. */
export function labelValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([name, value]) => `${name}=${labelValue(value)}`)
    .join(',')}}`;
}

/**
 * Counters that only go up, fed from engine totals that clearCounters() (keepalived's STATS_CLEAR) sets
 * back to zero: a total lower than the last one seen starts a new run, added to what came before.
 */
class MonotonicTotals {
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

/** A metric family's HELP and TYPE lines; its samples follow, each `<name>{labels} <value>`. */
function header(name: string, type: 'gauge' | 'counter', help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** Each sample line up to its value, built once per instance (name, vrid): a render only adds numbers. */
interface InstanceLines {
  readonly vrid: number;
  readonly states: readonly string[];
  readonly base: string;
  readonly effective: string;
  readonly sent: string;
  readonly received: string;
}

function instanceLines(name: string, vrid: number): InstanceLines {
  const instance = labels({ instance: name });
  return {
    vrid,
    states: STATES.map((state) => `vrrp_instance_state${labels({ instance: name, vrid: String(vrid), state })} `),
    base: `vrrp_instance_priority${labels({ instance: name, kind: 'base' })} `,
    effective: `vrrp_instance_priority${labels({ instance: name, kind: 'effective' })} `,
    sent: `vrrp_adverts_sent_total${instance} `,
    received: `vrrp_adverts_received_total${instance} `,
  };
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: written before the 60-line rule; to split (issue 11)
export function createEngineMetrics(engine: Engine, options: EngineMetricsOptions = {}): EngineMetrics {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_METRICS_MAX_AGE_MS;
  const nowMs = options.nowMs ?? (() => performance.now());
  const linesByName = new Map<string, InstanceLines>();
  const dropLines = new Map<string, string>();
  const sent = new MonotonicTotals();
  const received = new MonotonicTotals();
  const drops = new MonotonicTotals();
  const transitions = new Map<string, number>();
  const onStateChange = (event: StateChangeEvent) => {
    const line = `vrrp_transitions_total${labels({ instance: event.router, from: event.from, to: event.to })} `;
    transitions.set(line, (transitions.get(line) ?? 0) + 1);
  };
  engine.on('stateChange', onStateChange);

  const linesOf = (name: string, vrid: number): InstanceLines => {
    let found = linesByName.get(name);
    if (found === undefined || found.vrid !== vrid) linesByName.set(name, (found = instanceLines(name, vrid)));
    return found;
  };
  const dropLine = (instance: string, iface: string, reason: string): string => {
    const key = `${instance}\n${iface}\n${reason}`;
    let line = dropLines.get(key);
    if (line === undefined)
      dropLines.set(key, (line = `vrrp_drops_total${labels({ instance, interface: iface, reason })} `));
    return line;
  };
  const samples = (totals: Iterable<[string, number]>): string => {
    let text = '';
    for (const [line, value] of totals) text += `${line}${value}\n`;
    return text;
  };

  // One string built by appending (V8 joins the pieces once, when the text is written out).
  const render = (): string => {
    const routers = engine.snapshot().map((router) => ({ router, lines: linesOf(router.name, router.vrid) }));
    let text = `${header('vrrp_instances', 'gauge', 'Number of VRRP instances this process runs')}vrrp_instances ${routers.length}\n`;
    text += header(
      'vrrp_instance_state',
      'gauge',
      'Current state of each VRRP instance: 1 for its state, 0 for the others',
    );
    for (const { router, lines } of routers) {
      for (let i = 0; i < STATES.length; i++) text += `${lines.states[i]}${router.state === STATES[i] ? 1 : 0}\n`;
    }
    text += header(
      'vrrp_instance_priority',
      'gauge',
      'Priority of each VRRP instance: configured (base) and effective (after tracking)',
    );
    for (const { router, lines } of routers)
      text += `${lines.base}${router.basePriority}\n${lines.effective}${router.effectivePriority}\n`;
    const counters = engine.counters();
    for (const router of counters.routers) {
      const lines = linesOf(router.router, router.vrid);
      sent.value(lines.sent, router.advertsSent);
      received.value(lines.received, router.advertsReceived);
      for (const [reason, count] of Object.entries(router.drops))
        drops.value(dropLine(router.router, router.interface, reason), count ?? 0);
    }
    for (const iface of counters.interfaces) {
      for (const [reason, count] of Object.entries(iface.drops))
        drops.value(dropLine('', iface.interface, reason), count ?? 0);
    }
    text +=
      header('vrrp_adverts_sent_total', 'counter', 'Adverts put on the wire (one per unicast peer)') +
      samples(sent.entries());
    text +=
      header('vrrp_adverts_received_total', 'counter', 'Adverts received that passed every check') +
      samples(received.entries());
    text +=
      header(
        'vrrp_drops_total',
        'counter',
        'Received packets dropped, by reason (instance "" for drops before an instance was found)',
      ) + samples(drops.entries());
    text += header('vrrp_transitions_total', 'counter', 'State changes of each instance') + samples(transitions);
    if (options.health) {
      text += header(
        'vrrp_health_check_up',
        'gauge',
        'Health checks (OPENSHIFT_HA_MONITOR_PORT / CHECK_SCRIPT): 1 up, 0 down',
      );
      for (const check of options.health.status())
        text += `vrrp_health_check_up${labels({ check: check.name })} ${check.up ? 1 : 0}\n`;
    }
    if (options.conflicts) text += conflictMetricsText(options.conflicts);
    return text;
  };

  let cached: { text: string; bytes: Buffer | undefined; atMs: number } | undefined;
  let renders = 0;
  const current = () => {
    const now = nowMs();
    if (cached === undefined || now - cached.atMs >= maxAgeMs) {
      cached = { text: render(), bytes: undefined, atMs: now };
      renders++;
    }
    return cached;
  };
  return {
    text: () => current().text,
    bytes() {
      const entry = current();
      entry.bytes ??= Buffer.from(entry.text, 'utf8');
      return entry.bytes;
    },
    get renders() {
      return renders;
    },
    close() {
      engine.off('stateChange', onStateChange);
    },
  };
}
