// The time a received advert counts from. A Backup's Master_Down timer runs from the Master's advert,
// not from when this process was scheduled to read it; but no router's clock may run backwards, so an
// arrival never goes before the latest time any router was given an input at.

export class ArrivalClock {
  /** The latest time any router was given an input at. */
  private floorMs = -Infinity;

  /** A router was given an input at `nowMs`. */
  gaveInput(nowMs: number): void {
    if (nowMs > this.floorMs) this.floorMs = nowMs;
  }

  /**
   * The time a packet counts from: when the port received it, if it says and that is before now, but
   * not before the floor; it becomes the floor.
   */
  arrived(receivedAtMs: number | undefined, nowMs: number): number {
    const atMs = receivedAtMs === undefined || !(receivedAtMs < nowMs) ? nowMs : Math.max(receivedAtMs, this.floorMs);
    this.floorMs = atMs;
    return atMs;
  }
}
