// A node's view of virtual time. Each node's clock runs at its own rate (1 + drift): it reads virtual
// time scaled by the rate, and a timer set for local time T fires at the first virtual instant whose
// local reading is >= T, so the engine never wakes up early and spins.

import type { TimePort } from '../engine/ports.js';

export interface VirtualTimeSource {
  readonly nowMs: number;
  /** Queue a timer expiry for `clock` at virtual time `atMs`, tagged with the clock's generation. */
  scheduleTimer(atMs: number, clock: NodeClock, generation: number): void;
}

export class NodeClock implements TimePort {
  /** Bumped by every setTimer and by retire(): only the latest arrangement may fire. */
  private generation = 0;
  private onDeadline: (() => void) | undefined;

  constructor(
    private readonly world: VirtualTimeSource,
    /** Local milliseconds per virtual millisecond. */
    readonly rate: number,
  ) {}

  nowMs(): number {
    return this.world.nowMs * this.rate;
  }

  setTimer(atMs: number | undefined, onDeadline: () => void): void {
    this.generation++;
    if (atMs === undefined) {
      this.onDeadline = undefined;
      return;
    }
    this.onDeadline = onDeadline;
    this.world.scheduleTimer(Math.max(this.world.nowMs, this.toVirtualMs(atMs)), this, this.generation);
  }

  /** Called by the simulator when a queued expiry comes due; stale ones are ignored. */
  fire(generation: number): boolean {
    if (generation !== this.generation || this.onDeadline === undefined) return false;
    const onDeadline = this.onDeadline;
    this.onDeadline = undefined;
    onDeadline();
    return true;
  }

  /** The host is gone: nothing it arranged may fire. */
  retire(): void {
    this.generation++;
    this.onDeadline = undefined;
  }

  private toVirtualMs(localMs: number): number {
    if (this.rate === 1) return localMs;
    let virtualMs = localMs / this.rate;
    // Division can land a hair early; step up to the first double whose local reading reaches localMs.
    while (virtualMs * this.rate < localMs)
      virtualMs += Math.max(Math.abs(virtualMs) * Number.EPSILON, Number.MIN_VALUE);
    return virtualMs;
  }
}
