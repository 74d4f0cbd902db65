// What the engine keeps per router and per interface, and the inputs and options of its API.

import type { InterfaceDemux } from '../core/demux.js';
import type { VirtualRouter } from '../core/virtual-router.js';
import type { DropReason, RouterInput } from '../core/types.js';
import type { AdvertEncoding } from './advert-encoding.js';

/** Inputs an embedder may give a router at run time; startup, shutdown, adverts and timers are the engine's. */
export type OperatorInput = Extract<RouterInput, { kind: 'link' | 'track' | 'setPriority' | 'vipsLost' | 'syncGroup' }>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What removeRouter does with a router that is running. */
export interface RemoveOptions {
  /**
   * true: the shutdown input first (a Master sends its priority-0 advert and removes its VIPs), and
   * the promise waits for that port work. false: the router is just forgotten, its VIPs left where
   * they are (keepalived -V).
   */
  readonly release: boolean;
}

/** Everything the engine keeps per router; `index` is the router's key in the deadline queue. */
export interface RouterSlot extends Mutable<AdvertEncoding> {
  readonly index: number;
  readonly router: VirtualRouter;
  advertsSent: number;
  advertsReceived: number;
  readonly drops: Map<DropReason, number>;
  /** The address port's add still in flight, if it returned a promise: announcements wait for it. */
  vipsAdding: Promise<void> | undefined;
}

export interface InterfaceSlot {
  readonly name: string;
  readonly demux: InterfaceDemux;
  packetsReceived: number;
  readonly drops: Map<DropReason, number>;
}
