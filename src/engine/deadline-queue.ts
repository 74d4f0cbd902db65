// An indexed binary min-heap of per-router deadlines. The engine keeps one process timer for all its
// routers; this answers "which router is due next" in O(log n) when a deadline moves, instead of
// scanning every router on every tick (255 VRIDs per interface is a normal keepalived setup).

export class DeadlineQueue {
  /** heap[i] = slot index; ordered by (deadline, slot index) so equal deadlines fire in a fixed order. */
  private readonly heap: number[] = [];
  /** position[slot] = index in `heap`, or -1 when the slot has no deadline. */
  private readonly position: Int32Array;
  private readonly deadlineMs: Float64Array;

  constructor(slotCount: number) {
    this.position = new Int32Array(slotCount).fill(-1);
    this.deadlineMs = new Float64Array(slotCount);
  }

  get size(): number {
    return this.heap.length;
  }

  /** Sets, moves or (with `undefined`) clears a slot's deadline. */
  set(slot: number, atMs: number | undefined): void {
    const at = this.position[slot]!;
    if (atMs === undefined) {
      if (at >= 0) this.removeAt(at);
      return;
    }
    if (at < 0) {
      this.deadlineMs[slot] = atMs;
      this.heap.push(slot);
      this.position[slot] = this.heap.length - 1;
      this.siftUp(this.heap.length - 1);
      return;
    }
    const before = this.deadlineMs[slot]!;
    if (before === atMs) return;
    this.deadlineMs[slot] = atMs;
    if (atMs < before) this.siftUp(at);
    else this.siftDown(at);
  }

  /** The earliest deadline, if any. */
  peekMs(): number | undefined {
    return this.heap.length === 0 ? undefined : this.deadlineMs[this.heap[0]!];
  }

  /** Removes and returns the slot with the earliest deadline if it is at or before `nowMs`. */
  popDue(nowMs: number): number | undefined {
    if (this.heap.length === 0) return undefined;
    const first = this.heap[0]!;
    if (this.deadlineMs[first]! > nowMs) return undefined;
    this.removeAt(0);
    return first;
  }

  private removeAt(at: number): void {
    const slot = this.heap[at]!;
    const last = this.heap.pop()!;
    this.position[slot] = -1;
    if (at === this.heap.length) return;
    this.heap[at] = last;
    this.position[last] = at;
    this.siftUp(at);
    this.siftDown(this.position[last]!);
  }

  private before(a: number, b: number): boolean {
    const da = this.deadlineMs[a]!;
    const db = this.deadlineMs[b]!;
    return da < db || (da === db && a < b);
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    const slot = heap[at]!;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt]!;
      if (!this.before(slot, parent)) break;
      heap[at] = parent;
      this.position[parent] = at;
      at = parentAt;
    }
    heap[at] = slot;
    this.position[slot] = at;
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const length = heap.length;
    const slot = heap[at]!;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.before(heap[right]!, heap[left]!)) child = right;
      if (!this.before(heap[child]!, slot)) break;
      heap[at] = heap[child]!;
      this.position[heap[at]!] = at;
      at = child;
    }
    heap[at] = slot;
    this.position[slot] = at;
  }
}
