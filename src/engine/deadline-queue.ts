// An indexed binary min-heap of per-router deadlines. The engine keeps one process timer for all its
// routers; this answers "which router is due next" without scanning every router on every tick (255
// VRIDs per interface is a normal keepalived setup).
//
// Moving a deadline later is the common case (every advert a Backup accepts pushes its down timer
// back), so it is lazy: the heap keeps the old, earlier key and the slot's true deadline is fixed up
// only when the slot reaches the top. A key is never later than the true deadline, so nothing fires
// late; the top is always fixed up before it is reported, so nothing fires early either.

const NONE = -1;

export class DeadlineQueue {
  /** heap[i] = slot; ordered by (key, slot) so equal deadlines come out in a fixed order. */
  private readonly heap: number[] = [];
  /** position[slot] = index in `heap`, or NONE. */
  private position: Int32Array;
  /** The key the slot is filed under (<= its deadline). */
  private keyMs: Float64Array;
  /** The slot's true deadline; NaN = none (the heap entry is dropped when it surfaces). */
  private deadlineMs: Float64Array;

  constructor(slotCount: number) {
    this.position = new Int32Array(slotCount).fill(NONE);
    this.keyMs = new Float64Array(slotCount);
    this.deadlineMs = new Float64Array(slotCount).fill(NaN);
  }

  /** Slots 0..capacity-1 may be used. */
  get capacity(): number {
    return this.position.length;
  }

  /**
   * Makes room for slots up to `slotCount - 1` (routers added at run time); never shrinks. Kept out
   * of `set` so the per-packet path has no bounds check. A removed router's slot may be reused: its
   * deadline is cleared first, and a stale heap entry is dropped or re-filed when it surfaces.
   */
  reserve(slotCount: number): void {
    const old = this.position.length;
    if (slotCount <= old) return;
    const size = Math.max(slotCount, old * 2);
    const position = new Int32Array(size).fill(NONE);
    position.set(this.position);
    const keyMs = new Float64Array(size);
    keyMs.set(this.keyMs);
    const deadlineMs = new Float64Array(size).fill(NaN);
    deadlineMs.set(this.deadlineMs);
    this.position = position;
    this.keyMs = keyMs;
    this.deadlineMs = deadlineMs;
  }

  /** Sets, moves or (with `undefined`) clears a slot's deadline. */
  set(slot: number, atMs: number | undefined): void {
    const at = this.position[slot]!;
    if (atMs === undefined) {
      this.deadlineMs[slot] = NaN;
      return;
    }
    this.deadlineMs[slot] = atMs;
    if (at === NONE) {
      this.keyMs[slot] = atMs;
      this.heap.push(slot);
      this.position[slot] = this.heap.length - 1;
      this.siftUp(this.heap.length - 1);
    } else if (atMs < this.keyMs[slot]!) {
      this.keyMs[slot] = atMs;
      this.siftUp(at);
    }
    // Later than the key: leave the heap alone until the slot surfaces.
  }

  /** The earliest deadline, if any. */
  peekMs(): number | undefined {
    this.settleTop();
    return this.heap.length === 0 ? undefined : this.keyMs[this.heap[0]!];
  }

  /** The slot with the earliest deadline (one of them, on a tie), or undefined. */
  peekIndex(): number | undefined {
    this.settleTop();
    return this.heap[0];
  }

  /** Appends to `due` the indices of every router whose deadline is at or before `nowMs`. */
  popAllDue(nowMs: number, due: number[]): void {
    for (let index = this.popDue(nowMs); index !== undefined; index = this.popDue(nowMs)) due.push(index);
  }

  /** Removes and returns the slot with the earliest deadline if it is at or before `nowMs`. */
  popDue(nowMs: number): number | undefined {
    this.settleTop();
    if (this.heap.length === 0) return undefined;
    const first = this.heap[0]!;
    if (this.keyMs[first]! > nowMs) return undefined;
    this.removeTop();
    this.deadlineMs[first] = NaN;
    return first;
  }

  /** Until the top's key is its true deadline: drop cleared slots, re-file moved ones. */
  private settleTop(): void {
    const heap = this.heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      const deadline = this.deadlineMs[top]!;
      if (Number.isNaN(deadline)) {
        this.removeTop();
        continue;
      }
      if (deadline === this.keyMs[top]) return;
      this.keyMs[top] = deadline;
      this.siftDown(0);
    }
  }

  private removeTop(): void {
    const heap = this.heap;
    const slot = heap[0]!;
    const last = heap.pop()!;
    this.position[slot] = NONE;
    if (heap.length === 0) return;
    heap[0] = last;
    this.position[last] = 0;
    this.siftDown(0);
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    const keys = this.keyMs;
    const slot = heap[at]!;
    const key = keys[slot]!;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt]!;
      const parentKey = keys[parent]!;
      if (parentKey < key || (parentKey === key && parent < slot)) break;
      heap[at] = parent;
      this.position[parent] = at;
      at = parentAt;
    }
    heap[at] = slot;
    this.position[slot] = at;
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const keys = this.keyMs;
    const length = heap.length;
    const slot = heap[at]!;
    const key = keys[slot]!;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= length) break;
      let child = left;
      let childSlot = heap[left]!;
      let childKey = keys[childSlot]!;
      const right = left + 1;
      if (right < length) {
        const rightSlot = heap[right]!;
        const rightKey = keys[rightSlot]!;
        if (rightKey < childKey || (rightKey === childKey && rightSlot < childSlot)) {
          child = right;
          childSlot = rightSlot;
          childKey = rightKey;
        }
      }
      if (key < childKey || (key === childKey && slot < childSlot)) break;
      heap[at] = childSlot;
      this.position[childSlot] = at;
      at = child;
    }
    heap[at] = slot;
    this.position[slot] = at;
  }
}
