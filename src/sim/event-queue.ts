// The simulator's agenda: a 4-ary min-heap ordered by (time, sequence) (shallower than a binary heap:
// fewer levels to walk on every pop, which the per-advert hot path does once per receiver). The sequence number is the order
// of scheduling, so two events at the same virtual time always run in the same order. Times, sequences
// and events sit in parallel arrays so that scheduling allocates no wrapper object (the hot path
// schedules one delivery per receiver per advert).

export class EventQueue<T> {
  private readonly times: number[] = [];
  private readonly sequences: number[] = [];
  private readonly events: T[] = [];
  private nextSequence = 0;
  /** Virtual time of the event last returned by pop(). */
  poppedAtMs = 0;

  get size(): number {
    return this.events.length;
  }

  push(atMs: number, event: T): void {
    const times = this.times;
    const sequences = this.sequences;
    const events = this.events;
    const sequence = this.nextSequence++;
    let at = events.length;
    times.push(atMs);
    sequences.push(sequence);
    events.push(event);
    while (at > 0) {
      const parentAt = (at - 1) >> 2;
      const parentMs = times[parentAt]!;
      if (parentMs < atMs || (parentMs === atMs && sequences[parentAt]! < sequence)) break;
      times[at] = parentMs;
      sequences[at] = sequences[parentAt]!;
      events[at] = events[parentAt]!;
      at = parentAt;
    }
    times[at] = atMs;
    sequences[at] = sequence;
    events[at] = event;
  }

  peekMs(): number | undefined {
    return this.events.length === 0 ? undefined : this.times[0];
  }

  /** The earliest event (its time in `poppedAtMs`), or undefined when the queue is empty. */
  pop(): T | undefined {
    const times = this.times;
    const sequences = this.sequences;
    const events = this.events;
    if (events.length === 0) return undefined;
    const first = events[0]!;
    this.poppedAtMs = times[0]!;
    const lastMs = times.pop()!;
    const lastSequence = sequences.pop()!;
    const lastEvent = events.pop()!;
    const length = events.length;
    if (length > 0) {
      let at = 0;
      for (;;) {
        const firstChild = 4 * at + 1;
        if (firstChild >= length) break;
        let child = firstChild;
        const lastChild = Math.min(firstChild + 4, length);
        for (let c = firstChild + 1; c < lastChild; c++) {
          if (times[c]! < times[child]! || (times[c] === times[child] && sequences[c]! < sequences[child]!)) child = c;
        }
        const childMs = times[child]!;
        if (lastMs < childMs || (lastMs === childMs && lastSequence < sequences[child]!)) break;
        times[at] = childMs;
        sequences[at] = sequences[child]!;
        events[at] = events[child]!;
        at = child;
      }
      times[at] = lastMs;
      sequences[at] = lastSequence;
      events[at] = lastEvent;
    }
    return first;
  }
}
