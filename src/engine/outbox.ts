// Adverts encoded during one input (a timer tick may make hundreds of routers advertise) go to the
// packet port in one send call, which the Linux port turns into one sendmmsg per socket. The engine
// flushes before any address action, so "advert first, then VIPs" still holds, and at the end of
// each input.

import type { PortWork } from './port-work.js';
import type { OutgoingPacket, PacketPort } from './ports.js';

export class Outbox<Slot> {
  private packets: OutgoingPacket[] = [];
  /** The router whose adverts fill the outbox, or null when several do (for error reports). */
  private slot: Slot | null | undefined;

  constructor(
    private readonly port: PacketPort,
    private readonly work: PortWork<Slot>,
    private readonly reportSendError: (slot: Slot | undefined, error: unknown) => void,
  ) {}

  push(slot: Slot, packets: readonly OutgoingPacket[]): void {
    for (const packet of packets) this.packets.push(packet);
    this.slot = this.slot === undefined || this.slot === slot ? slot : null;
  }

  /** `slot` was removed: errors of what is queued are no longer its own. */
  forget(slot: Slot): void {
    if (this.slot === slot) this.slot = null;
  }

  /** Hands the queued adverts to the packet port in one call. */
  flush(): void {
    if (this.packets.length === 0) return;
    const batch = this.packets;
    const slot = this.slot ?? undefined;
    this.packets = [];
    this.slot = undefined;
    // Called directly rather than through PortWork.call's closure: this is the per-advert hot path.
    let sent: void | Promise<void> = undefined;
    try {
      sent = this.port.send(batch);
    } catch (error) {
      this.reportSendError(slot, error);
    }
    this.work.settle('send', slot, sent);
  }
}
