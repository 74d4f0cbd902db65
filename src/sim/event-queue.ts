// The simulator's agenda: a binary min-heap ordered by (time, sequence). The sequence number is the order
// of scheduling, so two events at the same virtual time always run in the same order.

export interface Scheduled<T> {
  readonly atMs: number;
  readonly sequence: number;
  readonly event: T;
}

export class EventQueue<T> {
  private readonly heap: Scheduled<T>[] = [];
  private nextSequence = 0;

  get size(): number {
    return this.heap.length;
  }

  push(atMs: number, event: T): void {
    const item: Scheduled<T> = { atMs, sequence: this.nextSequence++, event };
    const heap = this.heap;
    let at = heap.length;
    heap.push(item);
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt]!;
      if (!earlier(item, parent)) break;
      heap[at] = parent;
      at = parentAt;
    }
    heap[at] = item;
  }

  peekMs(): number | undefined {
    return this.heap.length === 0 ? undefined : this.heap[0]!.atMs;
  }

  pop(): Scheduled<T> | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const first = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let at = 0;
      const length = heap.length;
      for (;;) {
        const left = 2 * at + 1;
        if (left >= length) break;
        const right = left + 1;
        let child = left;
        if (right < length && earlier(heap[right]!, heap[left]!)) child = right;
        if (!earlier(heap[child]!, last)) break;
        heap[at] = heap[child]!;
        at = child;
      }
      heap[at] = last;
    }
    return first;
  }
}

function earlier<T>(a: Scheduled<T>, b: Scheduled<T>): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.sequence < b.sequence);
}
