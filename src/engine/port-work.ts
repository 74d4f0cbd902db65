// The engine's port calls that may return a promise: each is followed so that a throw or a rejection
// becomes an 'error' event (never an unhandled rejection), and what is still in flight can be
// awaited (removeRouter, reconfigureRouter and stop wait for the work they started).

import type { EngineErrorEvent } from './events.js';

type Operation = EngineErrorEvent['operation'];

export class PortWork<Slot> {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly report: (operation: Operation, slot: Slot | undefined, error: unknown) => void) {}

  /**
   * Calls a port; a throw or a rejected promise is reported. Returns the port's promise (already
   * watched for errors, never rejecting), if it gave one.
   */
  call(operation: Operation, slot: Slot | undefined, call: () => void | Promise<void>): Promise<void> | undefined {
    let result: void | Promise<void>;
    try {
      result = call();
    } catch (error) {
      this.report(operation, slot, error);
      return undefined;
    }
    return this.settle(operation, slot, result);
  }

  /**
   * Follows a port's promise, if it returned one, so that a rejection is reported. Returns a promise
   * that settles with it and never rejects.
   */
  settle(operation: Operation, slot: Slot | undefined, result: void | Promise<void>): Promise<void> | undefined {
    if (result === undefined || typeof (result as Promise<void>).then !== 'function') return undefined;
    const tracked: Promise<void> = result.then(
      () => {
        this.pending.delete(tracked);
      },
      (error: unknown) => {
        this.pending.delete(tracked);
        this.report(operation, slot, error);
      },
    );
    this.pending.add(tracked);
    return tracked;
  }

  /** What is in flight now, for settledSince. */
  mark(): ReadonlySet<Promise<void>> {
    return new Set(this.pending);
  }

  /** Waits for the work started since `before` was taken; never rejects. */
  async settledSince(before: ReadonlySet<Promise<void>>): Promise<void> {
    const started = [...this.pending].filter((work) => !before.has(work));
    if (started.length > 0) await Promise.allSettled(started);
  }

  /** Waits until nothing is in flight, work started meanwhile included. */
  async drained(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
