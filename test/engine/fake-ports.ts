// Test doubles of the engine's ports (not of the engine): a hand-driven clock with one timer, and
// packet/address ports that record every call.

import type {
  AddressPort,
  EnginePorts,
  HeadStartPort,
  IncomingPacket,
  OutgoingPacket,
  PacketPort,
  TimePort,
  VipOptions,
} from '../../src/engine/ports.js';

export class ManualClock implements TimePort {
  nowMsValue = 0;
  timerAtMs: number | undefined;
  private onDeadline: (() => void) | undefined;
  readonly setTimerCalls: (number | undefined)[] = [];

  nowMs(): number {
    return this.nowMsValue;
  }

  setTimer(atMs: number | undefined, onDeadline: () => void): void {
    this.setTimerCalls.push(atMs);
    this.timerAtMs = atMs;
    this.onDeadline = atMs === undefined ? undefined : onDeadline;
  }

  /** Moves time forward to `toMs`, firing the timer each time it comes due on the way. */
  advanceTo(toMs: number): void {
    while (this.timerAtMs !== undefined && this.timerAtMs <= toMs) {
      this.nowMsValue = Math.max(this.nowMsValue, this.timerAtMs);
      const fire = this.onDeadline!;
      this.timerAtMs = undefined;
      this.onDeadline = undefined;
      fire();
    }
    this.nowMsValue = toMs;
  }
}

export class RecordingPackets implements PacketPort {
  readonly sent: OutgoingPacket[] = [];
  /** Packets per send() call, to see how the engine batches. */
  readonly batches: number[] = [];
  onPacket: ((packet: IncomingPacket) => void) | undefined;
  closed = false;
  failNextSend: Error | undefined;

  send(packets: readonly OutgoingPacket[]): void | Promise<void> {
    this.sent.push(...packets);
    this.batches.push(packets.length);
    if (this.failNextSend !== undefined) {
      const error = this.failNextSend;
      this.failNextSend = undefined;
      return Promise.reject(error);
    }
  }

  listen(onPacket: (packet: IncomingPacket) => void): void {
    this.onPacket = onPacket;
  }

  close(): void {
    this.closed = true;
  }
}

export type AddressCall =
  | { readonly op: 'add'; readonly iface: string; readonly addresses: readonly string[]; readonly options: VipOptions }
  | { readonly op: 'remove'; readonly iface: string; readonly addresses: readonly string[] }
  | { readonly op: 'announce'; readonly iface: string; readonly addresses: readonly string[]; readonly count: number };

export class RecordingAddresses implements AddressPort {
  readonly calls: AddressCall[] = [];
  addVips(iface: string, addresses: readonly string[], options: VipOptions): void {
    this.calls.push({ op: 'add', iface, addresses, options });
  }
  removeVips(iface: string, addresses: readonly string[]): void {
    this.calls.push({ op: 'remove', iface, addresses });
  }
  announceVips(iface: string, addresses: readonly string[], count: number): void {
    this.calls.push({ op: 'announce', iface, addresses, count });
  }
}

/** `headStart` starts empty (no head start, as in the simulator); a test assigns the methods it needs. */
export function fakePorts(): {
  ports: EnginePorts;
  clock: ManualClock;
  packets: RecordingPackets;
  addresses: RecordingAddresses;
  headStart: HeadStartPort;
} {
  const clock = new ManualClock();
  const packets = new RecordingPackets();
  const addresses = new RecordingAddresses();
  const headStart: HeadStartPort = {};
  return { ports: { time: clock, packets, addresses, headStart }, clock, packets, addresses, headStart };
}
