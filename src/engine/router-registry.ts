// The engine's bookkeeping of its routers: a slot per router under a deadline-queue index (a removed
// router's index is reused by the next one added), by router and by name, and one InterfaceDemux per
// interface in use. No I/O and no protocol: the engine decides when to attach and detach.

import { InterfaceDemux } from '../core/demux.js';
import { VirtualRouter } from '../core/virtual-router.js';
import type { VirtualRouterConfig } from '../core/types.js';
import { advertEncoding } from './advert-encoding.js';
import type { DeadlineQueue } from './deadline-queue.js';
import type { InterfaceSlot, RouterSlot } from './slots.js';

export class RouterRegistry {
  /** By deadline-queue index; undefined where a removed router's index waits for reuse. */
  private readonly slots: (RouterSlot | undefined)[] = [];
  private readonly freeIndices: number[] = [];
  private readonly slotByRouter = new Map<VirtualRouter, RouterSlot>();
  /** In the order the routers were added. */
  readonly byName = new Map<string, RouterSlot>();
  readonly interfaces = new Map<string, InterfaceSlot>();

  constructor(private readonly deadlines: DeadlineQueue) {}

  /** The router at a deadline-queue index, if one is there now. */
  at(index: number): RouterSlot | undefined {
    return this.slots[index];
  }

  /** `slot` is still filed (no listener removed it, its index is not someone else's). */
  holds(slot: RouterSlot): boolean {
    return this.slots[slot.index] === slot;
  }

  slotOf(router: VirtualRouter): RouterSlot | undefined {
    return this.slotByRouter.get(router);
  }

  /** The slot of the router named so; throws if there is none. */
  named(name: string): RouterSlot {
    const slot = this.byName.get(name);
    if (slot === undefined) throw new Error(`engine: no virtual router named ${JSON.stringify(name)}`);
    return slot;
  }

  /** Files a new router under a free deadline-queue index and its interface's demux. */
  attach(config: VirtualRouterConfig): RouterSlot {
    if (this.byName.has(config.name)) {
      throw new Error(`engine: two virtual routers are named ${JSON.stringify(config.name)}; names must be unique`);
    }
    const router = new VirtualRouter(config);
    let iface = this.interfaces.get(config.interface);
    const newInterface = iface === undefined;
    iface ??= {
      name: config.interface,
      demux: new InterfaceDemux(config.interface, []),
      packetsReceived: 0,
      drops: new Map(),
    };
    iface.demux.add(router); // throws on a taken (family, VRID) before anything is recorded
    if (newInterface) this.interfaces.set(config.interface, iface);
    const index = this.freeIndices.pop() ?? this.slots.length;
    this.deadlines.reserve(index + 1);
    const slot: RouterSlot = {
      index,
      router,
      ...advertEncoding(config),
      advertsSent: 0,
      advertsReceived: 0,
      drops: new Map(),
      vipsAdding: undefined,
    };
    this.slots[index] = slot;
    this.slotByRouter.set(router, slot);
    this.byName.set(config.name, slot);
    return slot;
  }

  /** The reverse of attach; an interface left without routers is forgotten with its counters. */
  detach(slot: RouterSlot): void {
    this.deadlines.set(slot.index, undefined);
    this.slots[slot.index] = undefined;
    this.freeIndices.push(slot.index);
    this.slotByRouter.delete(slot.router);
    this.byName.delete(slot.config.name);
    const iface = this.interfaces.get(slot.config.interface);
    if (iface !== undefined) {
      iface.demux.remove(slot.router);
      if (iface.demux.size === 0) this.interfaces.delete(iface.name);
    }
  }

  /** Zeroes the per-router and per-interface counts (the head start keeps its own). */
  clearCounters(): void {
    for (const slot of this.byName.values()) {
      slot.advertsSent = 0;
      slot.advertsReceived = 0;
      slot.drops.clear();
    }
    for (const iface of this.interfaces.values()) {
      iface.packetsReceived = 0;
      iface.drops.clear();
    }
  }
}
