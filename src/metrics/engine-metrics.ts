// Prometheus metrics of a running engine, in the text exposition format (version 0.0.4), for all three
// programs and for an embedding program (`vrrp-engine/metrics`). A scrape runs on the event loop that
// sends the adverts, so it must cost little and a flood of scrapes must cost no more than one:
// - the text is rendered at most once per `maxAgeMs` (default 1 s); scrapes in between get that text;
// - rendering writes the lines itself, with each instance's label text built once (exposition.ts).
//   prom-client, used before, spent most of a scrape hashing and formatting labels (bench/metrics-scrape.ts,
//   figures in bench/README.md).
// Three groups of series: keepalived-exporter's names (keepalived-exporter.ts), ours (vrrp_*), and the
// timing histograms (timing.ts). `addSeries` appends more (another module's counters).
// States and priorities are read at render time, so they are never older than the cached text;
// transitions and keepalived's become/release-master counts come from the engine's events.

import { performance } from 'node:perf_hooks';
import type { RouterSnapshot, RouterState } from '../core/types.js';
import type { Engine } from '../engine/engine.js';
import { type ConflictSource, conflictMetricsText } from './conflict-metrics.js';
import type {
  AdvertReceivedEvent,
  AdvertSentEvent,
  EngineCounters,
  NoticeEvent,
  StateChangeEvent,
} from '../engine/events.js';
import { header, labels, MonotonicTotals, samples } from './exposition.js';
import {
  type InstanceEventCounts,
  type KeepalivedInstance,
  KeepalivedSeries,
  noEventCounts,
} from './keepalived-exporter.js';
import { TimingSeries } from './timing.js';

export { METRICS_CONTENT_TYPE, family, labelValue } from './exposition.js';

const STATES: readonly RouterState[] = ['Initialize', 'Backup', 'Master', 'Fault'];
/** How long one rendering is served: Prometheus scrapes every 15 s or more, so 1 s is never stale to it. */
export const DEFAULT_METRICS_MAX_AGE_MS = 1_000;
/** The port every program listens on when asked to serve /metrics: keepalived-exporter's default. */
export const DEFAULT_METRICS_PORT = 2112;

export interface CheckStatusLike {
  readonly name: string;
  readonly up: boolean;
  /** The check's kind (script, tcp, file, ...): a `script` is keepalived's vrrp_script. */
  readonly kind?: string;
  /** Probes run so far. */
  readonly runs?: number;
}

export interface HealthStatusSource {
  status(): readonly CheckStatusLike[];
}

export interface EngineMetricsOptions {
  readonly health?: HealthStatusSource;
  /** Adds the split-brain series (conflict-metrics.ts). */
  readonly conflicts?: ConflictSource;
  readonly maxAgeMs?: number;
  /** Milliseconds on a monotonic clock (tests move it by hand). */
  readonly nowMs?: () => number;
  /** Serve the event loop's delay (perf_hooks.monitorEventLoopDelay); default true. */
  readonly eventLoopDelay?: boolean;
}

export interface EngineMetrics {
  /** The exposition text, rendered again only when the last rendering is `maxAgeMs` old. */
  text(): string;
  /** The same text as UTF-8 bytes, encoded once per rendering (what a scrape is sent). */
  bytes(): Buffer;
  /** How many times the text was rendered (a flood of scrapes within maxAgeMs adds one). */
  readonly renders: number;
  /** Appends the text `render` returns (whole families: see `family`) to every rendering. */
  addSeries(render: () => string): void;
  close(): void;
}

/** The engine read once per rendering, for every group of series. */
interface EngineReading {
  readonly snapshot: readonly RouterSnapshot[];
  readonly counters: EngineCounters;
}

/** Each of our per-instance sample lines up to its value, built once per instance (name, vrid). */
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

/** What the engine's events tell per instance: transitions, and keepalived's counts the totals lack. */
class EventCounts {
  readonly transitions = new Map<string, number>();
  private readonly byInstance = new Map<string, InstanceEventCounts>();
  private readonly detach: () => void;

  constructor(engine: Engine) {
    const onState = (e: StateChangeEvent) => {
      const line = `vrrp_transitions_total${labels({ instance: e.router, from: e.from, to: e.to })} `;
      this.transitions.set(line, (this.transitions.get(line) ?? 0) + 1);
      if (e.to === 'Master') this.of(e.router).becameMaster++;
      if (e.from === 'Master') this.of(e.router).releasedMaster++;
    };
    const onSent = (e: AdvertSentEvent) => {
      if (e.priority === 0) this.of(e.router).priorityZeroSent += e.destinations.length;
    };
    const onReceived = (e: AdvertReceivedEvent) => {
      if (e.priority === 0) this.of(e.router).priorityZeroReceived++;
    };
    const onNotice = (e: NoticeEvent) => {
      if (e.notice === 'address-list-mismatch') this.of(e.router).addressListNotices++;
    };
    engine.on('stateChange', onState);
    engine.on('advertSent', onSent);
    engine.on('advertReceived', onReceived);
    engine.on('notice', onNotice);
    this.detach = () => {
      engine.off('stateChange', onState);
      engine.off('advertSent', onSent);
      engine.off('advertReceived', onReceived);
      engine.off('notice', onNotice);
    };
  }

  of(router: string): InstanceEventCounts {
    let counts = this.byInstance.get(router);
    if (counts === undefined) this.byInstance.set(router, (counts = noEventCounts()));
    return counts;
  }

  close(): void {
    this.detach();
  }
}

/** Our own vrrp_* families. */
class OwnSeries {
  private readonly linesByName = new Map<string, InstanceLines>();
  private readonly dropLines = new Map<string, string>();
  private readonly sent = new MonotonicTotals();
  private readonly received = new MonotonicTotals();
  private readonly drops = new MonotonicTotals();

  linesOf(name: string, vrid: number): InstanceLines {
    let found = this.linesByName.get(name);
    if (found === undefined || found.vrid !== vrid) this.linesByName.set(name, (found = instanceLines(name, vrid)));
    return found;
  }

  private dropLine(instance: string, iface: string, reason: string): string {
    const key = `${instance}\n${iface}\n${reason}`;
    let line = this.dropLines.get(key);
    if (line === undefined)
      this.dropLines.set(key, (line = `vrrp_drops_total${labels({ instance, interface: iface, reason })} `));
    return line;
  }

  text(read: EngineReading, transitions: ReadonlyMap<string, number>): string {
    const routers = read.snapshot;
    let text = `${header('vrrp_instances', 'gauge', 'Number of VRRP instances this process runs')}vrrp_instances ${routers.length}\n`;
    let states = header(
      'vrrp_instance_state',
      'gauge',
      'Current state of each VRRP instance: 1 for its state, 0 for the others',
    );
    let priorities = header(
      'vrrp_instance_priority',
      'gauge',
      'Priority of each VRRP instance: configured (base) and effective (after tracking)',
    );
    for (const router of routers) {
      const lines = this.linesOf(router.name, router.vrid);
      for (let i = 0; i < STATES.length; i++) states += `${lines.states[i]}${router.state === STATES[i] ? 1 : 0}\n`;
      priorities += `${lines.base}${router.basePriority}\n${lines.effective}${router.effectivePriority}\n`;
    }
    text += states + priorities;
    return (
      text +
      this.counterText(read.counters) +
      header('vrrp_transitions_total', 'counter', 'State changes of each instance') +
      samples(transitions)
    );
  }

  private counterText(counters: EngineCounters): string {
    for (const router of counters.routers) {
      const lines = this.linesOf(router.router, router.vrid);
      this.sent.value(lines.sent, router.advertsSent);
      this.received.value(lines.received, router.advertsReceived);
      for (const [reason, count] of Object.entries(router.drops))
        this.drops.value(this.dropLine(router.router, router.interface, reason), count ?? 0);
    }
    for (const iface of counters.interfaces) {
      for (const [reason, count] of Object.entries(iface.drops))
        this.drops.value(this.dropLine('', iface.interface, reason), count ?? 0);
    }
    return (
      header('vrrp_adverts_sent_total', 'counter', 'Adverts put on the wire (one per unicast peer)') +
      samples(this.sent.entries()) +
      header('vrrp_adverts_received_total', 'counter', 'Adverts received that passed every check') +
      samples(this.received.entries()) +
      header(
        'vrrp_drops_total',
        'counter',
        'Received packets dropped, by reason (instance "" for drops before an instance was found)',
      ) +
      samples(this.drops.entries())
    );
  }
}

/** Checks: up or down and how many probes ran (ours), and keepalived's vrrp_script status. */
function checksText(checks: readonly CheckStatusLike[]): string {
  if (checks.length === 0) return '';
  let up = header(
    'vrrp_health_check_up',
    'gauge',
    'Health checks (track_script, track_file, ..., OPENSHIFT_HA_MONITOR_PORT): 1 up, 0 down',
  );
  let runs = '';
  for (const check of checks) {
    const pairs = check.kind === undefined ? { check: check.name } : { check: check.name, kind: check.kind };
    up += `vrrp_health_check_up${labels(pairs)} ${check.up ? 1 : 0}\n`;
    if (check.runs !== undefined) runs += `vrrp_health_check_runs_total${labels(pairs)} ${check.runs}\n`;
  }
  if (runs === '') return up;
  return `${up}${header('vrrp_health_check_runs_total', 'counter', 'Probes each check has run')}${runs}`;
}

function keepalivedInstances(engine: Engine, read: EngineReading, events: EventCounts): KeepalivedInstance[] {
  const states = new Map(read.snapshot.map((s) => [s.name, s.state]));
  return read.counters.routers.flatMap((counters) => {
    const config = engine.routerConfig(counters.router);
    const state = states.get(counters.router);
    if (config === undefined || state === undefined) return [];
    return [{ state, config, counters, events: events.of(counters.router) }];
  });
}

export function createEngineMetrics(engine: Engine, options: EngineMetricsOptions = {}): EngineMetrics {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_METRICS_MAX_AGE_MS;
  const nowMs = options.nowMs ?? (() => performance.now());
  const events = new EventCounts(engine);
  const own = new OwnSeries();
  const keepalived = new KeepalivedSeries();
  const timing = new TimingSeries(engine, options.eventLoopDelay ?? true);
  const extra: (() => string)[] = [];
  const conflicts = options.conflicts;
  if (conflicts !== undefined) extra.push(() => conflictMetricsText(conflicts));
  // One string built by appending (V8 joins the pieces once, when the text is written out).
  const render = (): string => {
    const checks = options.health?.status() ?? [];
    const scripts = checks.filter((check) => check.kind === 'script');
    const read: EngineReading = { snapshot: engine.snapshot(), counters: engine.counters() };
    let text = own.text(read, events.transitions) + checksText(checks) + timing.text();
    text += keepalived.text(keepalivedInstances(engine, read, events), scripts);
    for (const series of extra) text += series();
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
    addSeries: (series) => void extra.push(series),
    close() {
      events.close();
      timing.close();
    },
  };
}
