// What the engine tells its embedder. Every event is plain data stamped with the engine's clock
// (`ports.time.nowMs()`), so a log of events can be printed, diffed and compared between runs.

import type { DropReason, NoticeKind, RouterState, TransitionReason } from '../core/types.js';

export interface StateChangeEvent {
  readonly router: string;
  readonly interface: string;
  readonly vrid: number;
  readonly from: RouterState;
  readonly to: RouterState;
  readonly reason: TransitionReason;
  /** Effective priority at the change (keepalived's notify scripts get it as the 4th argument). */
  readonly priority: number;
  readonly atMs: number;
}

export interface AdvertSentEvent {
  readonly router: string;
  readonly interface: string;
  readonly vrid: number;
  readonly priority: number;
  readonly advertIntervalCs: number;
  /** The multicast group, or every unicast peer the advert went to. */
  readonly destinations: readonly string[];
  readonly atMs: number;
}

export interface AdvertReceivedEvent {
  readonly router: string;
  readonly interface: string;
  readonly vrid: number;
  readonly sourceAddress: string;
  readonly priority: number;
  readonly advertIntervalCs: number;
  /** The time the advert counts from (its receive time, see ArrivalClock). */
  readonly atMs: number;
  /** When the engine took it and decided on it: `handledAtMs - atMs` is the receive-to-decision latency. */
  readonly handledAtMs: number;
}

/** A router's timer fired: a Master's advert is due, or a Backup's down timer (or preempt delay) ran out. */
export interface TimerExpiredEvent {
  readonly router: string;
  readonly interface: string;
  readonly vrid: number;
  /** Its state when the timer fired (before the timeout is handled). */
  readonly state: RouterState;
  /** The deadline it was set for: `atMs - dueAtMs` is how late the timer fired. */
  readonly dueAtMs: number;
  readonly atMs: number;
}

export interface DroppedEvent {
  /** Undefined when the packet never reached a router (bad bytes, unknown VRID). */
  readonly router: string | undefined;
  readonly interface: string;
  readonly reason: DropReason;
  readonly detail: string | undefined;
  readonly atMs: number;
}

export interface VipsEvent {
  readonly router: string;
  readonly interface: string;
  readonly addresses: readonly string[];
  readonly atMs: number;
}

export interface VipsAnnouncedEvent extends VipsEvent {
  /** Gratuitous ARPs / unsolicited NAs per address. */
  readonly count: number;
}

export interface PriorityChangeEvent {
  readonly router: string;
  readonly vrid: number;
  readonly from: number;
  readonly to: number;
  readonly atMs: number;
}

export interface NoticeEvent {
  readonly router: string;
  readonly interface: string;
  readonly notice: NoticeKind;
  readonly detail: string;
  readonly atMs: number;
}

/** A port threw or its promise rejected. The engine carries on; the embedder decides what it means. */
export interface EngineErrorEvent {
  readonly operation: 'send' | 'addVips' | 'removeVips' | 'setAcceptMode' | 'announceVips' | 'close' | 'receive';
  readonly router: string | undefined;
  readonly interface: string | undefined;
  readonly error: unknown;
  readonly atMs: number;
}

/** The engine's typed event map (eventemitter3 style: event name -> listener). */
export interface EngineEvents {
  stateChange: (event: StateChangeEvent) => void;
  advertSent: (event: AdvertSentEvent) => void;
  advertReceived: (event: AdvertReceivedEvent) => void;
  timerExpired: (event: TimerExpiredEvent) => void;
  dropped: (event: DroppedEvent) => void;
  vipsAdded: (event: VipsEvent) => void;
  vipsRemoved: (event: VipsEvent) => void;
  vipsAnnounced: (event: VipsAnnouncedEvent) => void;
  priorityChange: (event: PriorityChangeEvent) => void;
  notice: (event: NoticeEvent) => void;
  error: (event: EngineErrorEvent) => void;
}

/** Drops by reason; reasons that never happened are absent. Keys come out sorted, so printing is stable. */
export type DropCounts = Readonly<Partial<Record<DropReason, number>>>;

export interface RouterCounters {
  readonly router: string;
  readonly interface: string;
  readonly vrid: number;
  /** Adverts put on the wire (one per destination for unicast). */
  readonly advertsSent: number;
  /** Adverts that reached this router and passed every check. */
  readonly advertsReceived: number;
  readonly drops: DropCounts;
  /**
   * Adverts the transport sent from this Master's periodic schedule, outside the event loop
   * (HeadStartPort.setPeriodic); the engine's own periodic sends it skipped are still in advertsSent.
   * Only with a transport that keeps the count (the Linux runtime).
   */
  readonly advertsSentAhead?: number;
  /** Times that schedule stopped because the engine had been silent past its watchdog bound. */
  readonly watchdogTrips?: number;
}

export interface InterfaceCounters {
  readonly interface: string;
  /** Packets handed to the engine on this interface, whatever became of them. */
  readonly packetsReceived: number;
  /** Drops before a router was found (bad bytes, unknown VRID). */
  readonly drops: DropCounts;
}

export interface EngineCounters {
  readonly routers: readonly RouterCounters[];
  readonly interfaces: readonly InterfaceCounters[];
}
