// Whether a stop signal may send the Masters' priority-0 adverts from the addon at once: only when
// the owner asked for it (a runner whose stop follows its signal) and no queued work would make that
// stop wait (an apply, with what its caller runs in the same turn: vrrpd's reload of the checks),
// since a Master would meanwhile advertise again after its priority 0. The runtime's own: its apply
// queue is the only one (vrrpd's instance set queues nothing of its own).

export class StopAdvertGate {
  private wanted = false;
  private queued = 0;

  /** `arm(on)` is told the result after every change; it must take repeats. */
  constructor(private readonly arm: (on: boolean) => void) {}

  want(on: boolean): void {
    this.wanted = on;
    this.update();
  }

  /** Queues work through `enqueue`; the gate stays shut from now until that work settles. */
  hold<T>(enqueue: () => Promise<T>): Promise<T> {
    this.queued++;
    this.update();
    return enqueue().finally(() => {
      this.queued--;
      this.update();
    });
  }

  /** Tells `arm` the current result again (a new runtime, say). */
  update(): void {
    this.arm(this.wanted && this.queued === 0);
  }
}
