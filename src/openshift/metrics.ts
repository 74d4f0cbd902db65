// Prometheus metrics of a running engine (prom-client, on a registry of our own). States, priorities
// and packet counters are read from Engine.snapshot() / counters() at scrape time, so they are never
// stale; transitions are counted from the engine's stateChange events.

import { Counter, Gauge, Registry } from 'prom-client';
import type { RouterState } from '../core/types.js';
import type { Engine } from '../engine/engine.js';
import type { StateChangeEvent } from '../engine/events.js';

const STATES: readonly RouterState[] = ['Initialize', 'Backup', 'Master', 'Fault'];

export interface HealthStatusSource {
  status(): readonly { readonly name: string; readonly up: boolean }[];
}

export interface EngineMetrics {
  readonly registry: Registry;
  close(): void;
}

/**
 * A counter fed from an absolute total read at scrape time: prom-client counters only go up by
 * increments, so the difference from the last scrape is added.
 */
class TotalsCounter<L extends string> {
  private readonly last = new Map<string, number>();
  constructor(private readonly counter: Counter<L>) {}

  set(labels: Record<L, string>, total: number): void {
    const key = JSON.stringify(labels);
    const previous = this.last.get(key) ?? 0;
    if (total > previous) this.counter.inc(labels, total - previous);
    this.last.set(key, Math.max(previous, total));
  }
}

export function createEngineMetrics(engine: Engine, health?: HealthStatusSource): EngineMetrics {
  const registry = new Registry();
  const registers = [registry];
  const interfaceOf = new Map<string, string>();
  const refreshInterfaces = () => {
    for (const router of engine.counters().routers) interfaceOf.set(router.router, router.interface);
  };
  refreshInterfaces();

  // The packet counters below are refreshed by this gauge's collect, which prom-client runs at every
  // scrape in registration order: so it is registered first.
  new Gauge({
    name: 'vrrp_instances',
    help: 'Number of VRRP instances this process runs',
    registers,
    collect() {
      const counters = engine.counters();
      for (const router of counters.routers) {
        sent.set({ instance: router.router }, router.advertsSent);
        received.set({ instance: router.router }, router.advertsReceived);
        for (const [reason, count] of Object.entries(router.drops)) drops.set({ instance: router.router, interface: router.interface, reason }, count ?? 0);
      }
      for (const iface of counters.interfaces) {
        for (const [reason, count] of Object.entries(iface.drops)) drops.set({ instance: '', interface: iface.interface, reason }, count ?? 0);
      }
      this.set(counters.routers.length);
    },
  });
  new Gauge({
    name: 'vrrp_instance_state',
    help: 'Current state of each VRRP instance: 1 for its state, 0 for the others',
    labelNames: ['instance', 'vrid', 'state'] as const,
    registers,
    collect() {
      for (const router of engine.snapshot()) {
        for (const state of STATES) this.set({ instance: router.name, vrid: String(router.vrid), state }, router.state === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'vrrp_instance_priority',
    help: 'Priority of each VRRP instance: configured (base) and effective (after tracking)',
    labelNames: ['instance', 'kind'] as const,
    registers,
    collect() {
      for (const router of engine.snapshot()) {
        this.set({ instance: router.name, kind: 'base' }, router.basePriority);
        this.set({ instance: router.name, kind: 'effective' }, router.effectivePriority);
      }
    },
  });
  const sent = new TotalsCounter(new Counter({ name: 'vrrp_adverts_sent_total', help: 'Adverts put on the wire (one per unicast peer)', labelNames: ['instance'] as const, registers }));
  const received = new TotalsCounter(new Counter({ name: 'vrrp_adverts_received_total', help: 'Adverts received that passed every check', labelNames: ['instance'] as const, registers }));
  const drops = new TotalsCounter(new Counter({ name: 'vrrp_drops_total', help: 'Received packets dropped, by reason (instance "" for drops before an instance was found)', labelNames: ['instance', 'interface', 'reason'] as const, registers }));
  const transitions = new Counter({ name: 'vrrp_transitions_total', help: 'State changes of each instance', labelNames: ['instance', 'from', 'to'] as const, registers });
  const onStateChange = (event: StateChangeEvent) => transitions.inc({ instance: event.router, from: event.from, to: event.to });
  engine.on('stateChange', onStateChange);

  if (health) {
    new Gauge({
      name: 'vrrp_health_check_up',
      help: 'Health checks (OPENSHIFT_HA_MONITOR_PORT / CHECK_SCRIPT): 1 up, 0 down',
      labelNames: ['check'] as const,
      registers,
      collect() {
        for (const check of health.status()) this.set({ check: check.name }, check.up ? 1 : 0);
      },
    });
  }
  return {
    registry,
    close: () => {
      engine.off('stateChange', onStateChange);
    },
  };
}
