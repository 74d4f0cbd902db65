// The engine's turns: a call into the engine that carries out a router's actions is a turn. A packet,
// deadline or operator input that arrives inside one (a synchronous transport handing over a peer's
// reply to the advert just sent, a listener calling input) waits until the turn ends, so a router's
// actions reach the ports and listeners in the order it produced them.

export class Turns {
  /** How many calls into the engine are carrying out actions now. */
  private depth = 0;
  private readonly waiting: (() => void)[] = [];
  private runningWaiting = false;

  /** Runs `work` now, as (part of) a turn; what arrived meanwhile runs when the outermost turn ends. */
  within<T>(work: () => T): T {
    this.depth++;
    try {
      return work();
    } finally {
      if (--this.depth === 0 && this.waiting.length > 0) this.runWaiting();
    }
  }

  /** Runs `work` as a turn of its own: now if none is running, else once the running one ends. */
  afterTurn(work: () => void): void {
    if (this.depth > 0) this.waiting.push(work);
    else this.within(work);
  }

  /**
   * Runs `work` as if no turn were running: what it hands over (packets a drain reads, received
   * before the deadline being handled) is handled at once, each a turn of its own.
   */
  outside<T>(work: () => T): T {
    const depth = this.depth;
    this.depth = 0;
    try {
      return work();
    } finally {
      this.depth = depth;
    }
  }

  private runWaiting(): void {
    if (this.runningWaiting) return; // the loop below is already on it
    this.runningWaiting = true;
    try {
      for (let work = this.waiting.shift(); work !== undefined; work = this.waiting.shift()) this.within(work);
    } finally {
      this.runningWaiting = false;
      // A listener threw: what is left still runs, right after the caller sees the throw.
      if (this.waiting.length > 0) queueMicrotask(() => this.depth === 0 && this.runWaiting());
    }
  }
}
