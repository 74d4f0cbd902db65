// The flight recorder: the engine's last N inputs, in the order its routers took them, so that
// `vrrp-sim --replay` can feed them through the same core and show why each transition happened.
//
// What enters a router is recorded where it enters: a received packet (its bytes and IP metadata, as
// the demux decodes them), every other RouterInput (startup, timer expiry, link, tracking, priority,
// shutdown), and configuration changes (add, reconfigure, remove). Each entry carries the engine clock
// time the router was given. The entries live in a ring of preallocated slots whose packet bytes go to
// one preallocated arena: recording a packet copies its bytes and allocates nothing.
//
// Replay needs each router's state where the ring starts. The recorder keeps the configuration of
// every router as at the ring's oldest entry (pinned, outside the ring: an evicted add or reconfigure
// updates it, an evicted remove drops it). Until the ring wraps that is the whole history and replay
// is exact. Once it wraps, the state the routers had then is not kept (the core cannot be seeded from
// a snapshot); the file says so (`complete: false`) and replay starts the pinned routers afresh there.

import type { RouterInput, RouterState, TransitionReason, VirtualRouterConfig } from '../core/types.js';
import type { PacketMeta } from '../wire/types.js';

export const RECORDING_FORMAT = 'vrrp-engine flight recording';
export const RECORDING_VERSION = 1;

export interface FlightRecorderBounds {
  /** Inputs kept; the oldest is dropped when a new one arrives. */
  readonly entries: number;
  /** Bytes kept per packet; a longer packet is recorded with its length only (replay reports it). */
  readonly packetBytes: number;
}

/** 4096 inputs (about an hour of a Backup hearing a 1 s Master), 1.25 MiB of packet bytes at most. */
export const DEFAULT_RECORDER_BOUNDS: FlightRecorderBounds = { entries: 4096, packetBytes: 320 };

/** A router's state change, as the engine's stateChange event reports it. */
export interface RecordedTransition {
  readonly atMs: number;
  readonly router: string;
  readonly from: RouterState;
  readonly to: RouterState;
  readonly reason: TransitionReason;
  readonly priority: number;
}

/** Inputs other than a packet that a router is handed. */
export type RecordedRouterInput = Exclude<RouterInput, { kind: 'advert' }>;

export type RecordedEntry =
  | { readonly kind: 'add'; readonly atMs: number; readonly config: VirtualRouterConfig }
  | { readonly kind: 'reconfigure'; readonly atMs: number; readonly config: VirtualRouterConfig }
  | { readonly kind: 'remove'; readonly atMs: number; readonly router: string }
  | { readonly kind: 'input'; readonly atMs: number; readonly router: string; readonly input: RecordedRouterInput }
  | {
      readonly kind: 'packet';
      readonly atMs: number;
      readonly interface: string;
      readonly meta: PacketMeta;
      /** Hex; absent when the packet was longer than the bound (`length` says how long). */
      readonly payload?: string;
      readonly length: number;
    };

/** The file `vrrpd` writes and `vrrp-sim --replay` reads (docs/operations.md, "Flight recorder"). */
export interface Recording {
  readonly format: typeof RECORDING_FORMAT;
  readonly version: typeof RECORDING_VERSION;
  readonly bounds: FlightRecorderBounds;
  /** false: older inputs were dropped (`evicted` of them); replay starts the routers afresh at `inputs[0]`. */
  readonly complete: boolean;
  readonly evicted: number;
  /** Each router's configuration as at the oldest input kept. */
  readonly routers: readonly VirtualRouterConfig[];
  readonly inputs: readonly RecordedEntry[];
  /** The transitions the engine made while the inputs kept were taken (the same bound). */
  readonly transitions: readonly RecordedTransition[];
}

type EntryKind = RecordedEntry['kind'];

/** One ring slot, reused: only the fields of its kind mean anything. */
interface Slot {
  kind: EntryKind;
  atMs: number;
  router: string;
  config: VirtualRouterConfig | undefined;
  input: RecordedRouterInput | undefined;
  interface: string;
  meta: PacketMeta | undefined;
  length: number;
}

function emptySlot(): Slot {
  return {
    kind: 'input',
    atMs: 0,
    router: '',
    config: undefined,
    input: undefined,
    interface: '',
    meta: undefined,
    length: 0,
  };
}

export class FlightRecorder {
  readonly bounds: FlightRecorderBounds;
  private readonly slots: Slot[];
  private readonly arena: Uint8Array;
  /** Index of the next slot written; entries are the `count` slots before it. */
  private next = 0;
  private count = 0;
  private evicted = 0;
  /** Configuration per router as at the oldest entry kept (see the file comment). */
  private readonly pinned = new Map<string, VirtualRouterConfig>();
  /** A ring of the latest transitions (bounds.entries); `transitionsNext` is where the next one goes. */
  private readonly transitions: RecordedTransition[] = [];
  private transitionsNext = 0;

  constructor(bounds: FlightRecorderBounds = DEFAULT_RECORDER_BOUNDS) {
    if (!Number.isInteger(bounds.entries) || bounds.entries < 1)
      throw new RangeError(`flight recorder: entries must be a positive integer, not ${bounds.entries}`);
    if (!Number.isInteger(bounds.packetBytes) || bounds.packetBytes < 0)
      throw new RangeError(`flight recorder: packetBytes must be a non-negative integer, not ${bounds.packetBytes}`);
    this.bounds = { entries: bounds.entries, packetBytes: bounds.packetBytes };
    this.slots = Array.from({ length: bounds.entries }, emptySlot);
    this.arena = new Uint8Array(bounds.entries * bounds.packetBytes);
  }

  added(config: VirtualRouterConfig, atMs: number): void {
    const slot = this.claim('add', atMs);
    slot.config = config;
  }

  reconfigured(config: VirtualRouterConfig, atMs: number): void {
    const slot = this.claim('reconfigure', atMs);
    slot.config = config;
  }

  removed(router: string, atMs: number): void {
    this.claim('remove', atMs).router = router;
  }

  input(router: string, input: RouterInput, atMs: number): void {
    if (input.kind === 'advert') return; // adverts are recorded as the packets they came in
    const slot = this.claim('input', atMs);
    slot.router = router;
    slot.input = input;
  }

  packet(iface: string, payload: Uint8Array, meta: PacketMeta, atMs: number): void {
    const index = this.next;
    const slot = this.claim('packet', atMs);
    slot.interface = iface;
    slot.meta = meta;
    slot.length = payload.length;
    if (payload.length <= this.bounds.packetBytes) this.arena.set(payload, index * this.bounds.packetBytes);
  }

  /** A stateChange action of `router`'s, as a transition. */
  stateChanged(router: string, change: Omit<RecordedTransition, 'atMs' | 'router'>, atMs: number): void {
    const { from, to, reason, priority } = change;
    this.transition({ atMs, router, from, to, reason, priority });
  }

  /** A ring, not push and shift: a flapping router makes thousands a second, and shift is O(entries). */
  transition(transition: RecordedTransition): void {
    if (this.transitions.length < this.bounds.entries) this.transitions.push(transition);
    else this.transitions[this.transitionsNext] = transition;
    this.transitionsNext = (this.transitionsNext + 1) % this.bounds.entries;
  }

  /** Entries kept now (at most bounds.entries). */
  get size(): number {
    return this.count;
  }

  /** The recording as a plain JSON-able document. */
  recording(): Recording {
    const inputs: RecordedEntry[] = [];
    const first = (this.next - this.count + this.bounds.entries) % this.bounds.entries;
    for (let i = 0; i < this.count; i++) inputs.push(this.entryAt((first + i) % this.bounds.entries));
    const since = inputs[0]?.atMs ?? Number.POSITIVE_INFINITY;
    return {
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      bounds: this.bounds,
      complete: this.evicted === 0,
      evicted: this.evicted,
      routers: [...this.pinned.values()],
      inputs,
      // Those made before the oldest input kept cannot be replayed.
      transitions: this.transitionsInOrder().filter((t) => t.atMs >= since),
    };
  }

  private transitionsInOrder(): RecordedTransition[] {
    if (this.transitions.length < this.bounds.entries) return [...this.transitions];
    return [...this.transitions.slice(this.transitionsNext), ...this.transitions.slice(0, this.transitionsNext)];
  }

  /** The slot for a new entry; when the ring is full, the oldest entry is folded into the pinned configurations. */
  private claim(kind: EntryKind, atMs: number): Slot {
    const slot = this.slots[this.next]!;
    if (this.count === this.bounds.entries) {
      this.evict(slot);
      this.evicted++;
    } else {
      this.count++;
    }
    this.next = (this.next + 1) % this.bounds.entries;
    slot.kind = kind;
    slot.atMs = atMs;
    slot.config = undefined;
    slot.input = undefined;
    slot.meta = undefined;
    return slot;
  }

  private evict(slot: Slot): void {
    if ((slot.kind === 'add' || slot.kind === 'reconfigure') && slot.config !== undefined)
      this.pinned.set(slot.config.name, slot.config);
    else if (slot.kind === 'remove') this.pinned.delete(slot.router);
  }

  private entryAt(index: number): RecordedEntry {
    const slot = this.slots[index]!;
    const { atMs } = slot;
    switch (slot.kind) {
      case 'add':
      case 'reconfigure':
        return { kind: slot.kind, atMs, config: slot.config! };
      case 'remove':
        return { kind: 'remove', atMs, router: slot.router };
      case 'input':
        return { kind: 'input', atMs, router: slot.router, input: slot.input! };
      case 'packet': {
        const { packetBytes } = this.bounds;
        const fits = slot.length <= packetBytes;
        const start = index * packetBytes;
        const bytes = this.arena.subarray(start, start + slot.length);
        const payload = fits ? Buffer.from(bytes).toString('hex') : undefined;
        return {
          kind: 'packet',
          atMs,
          interface: slot.interface,
          meta: slot.meta!,
          length: slot.length,
          ...(payload === undefined ? {} : { payload }),
        };
      }
    }
  }
}
