// The engine's counters as counters() reports them: per router and per interface, drops by reason in
// a stable order.

import type { DropReason } from '../core/types.js';
import type { DropCounts, InterfaceCounters, RouterCounters } from './events.js';
import type { PeriodicCounters } from './ports.js';

export interface CountedRouter {
  readonly config: { readonly name: string; readonly interface: string; readonly vrid: number };
  readonly advertsSent: number;
  readonly advertsReceived: number;
  readonly drops: ReadonlyMap<DropReason, number>;
}

export interface CountedInterface {
  readonly name: string;
  readonly packetsReceived: number;
  readonly drops: ReadonlyMap<DropReason, number>;
}

/** `periodic`: what the transport's periodic schedule did (HeadStartPort.periodicCounters), if it keeps counts. */
export function routerCounters(slot: CountedRouter, periodic: PeriodicCounters | undefined): RouterCounters {
  return {
    router: slot.config.name,
    interface: slot.config.interface,
    vrid: slot.config.vrid,
    advertsSent: slot.advertsSent,
    advertsReceived: slot.advertsReceived,
    drops: sortedCounts(slot.drops),
    ...(periodic === undefined ? {} : { advertsSentAhead: periodic.sent, watchdogTrips: periodic.watchdogTrips }),
  };
}

/** By interface name. */
export function interfaceCounters(slots: Iterable<CountedInterface>): InterfaceCounters[] {
  return [...slots]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((slot) => ({ interface: slot.name, packetsReceived: slot.packetsReceived, drops: sortedCounts(slot.drops) }));
}

function sortedCounts(counts: ReadonlyMap<DropReason, number>): DropCounts {
  const out: Partial<Record<DropReason, number>> = {};
  for (const key of [...counts.keys()].sort()) out[key] = counts.get(key)!;
  return out;
}
