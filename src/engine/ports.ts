// The boundary between the engine and the world. The Linux adapters (native sockets, netlink), the
// simulator and an embedding program's own transport each implement these; the engine knows no other I/O.

import type { IpFamily, PacketMeta } from '../wire/types.js';

/** What a TimePort may say about the expiry it reports. */
export interface TimerExpiry {
  /**
   * The packet port sent the takeover adverts held for this expiry (PacketPort.setTakeover), having
   * found nothing waiting to be read at that moment. The engine then acts on the deadline without
   * reading its sockets again: the takeover was decided when the adverts left, and a packet read now
   * arrived after that decision and is handled after it (by a Master, as in keepalived). Reading it
   * first could turn a Backup that has already advertised back to Backup: two Backups of equal
   * priority would each hear the other's takeover advert, reset their timers, and leave the VIP
   * without a Master for a whole Master_Down_Interval.
   */
  readonly takeoverSent: boolean;
}

/** Time and the single process-wide timer. The simulator supplies a virtual one. */
export interface TimePort {
  nowMs(): number;
  /**
   * Arrange one call of `onDeadline` at or after `atMs`, replacing any earlier arrangement;
   * `undefined` cancels it. The engine keeps exactly one such timer for all its routers.
   */
  setTimer(atMs: number | undefined, onDeadline: (expiry?: TimerExpiry) => void): void;
}

export interface OutgoingPacket {
  readonly interface: string;
  readonly family: IpFamily;
  readonly sourceAddress: string;
  /** The multicast group or a unicast peer. */
  readonly destinationAddress: string;
  /** The VRRP message only; the transport adds the IP header with TTL / hop limit 255. */
  readonly payload: Uint8Array;
}

/**
 * Addresses cross this boundary as canonical text (IPv4 dotted quad; IPv6 RFC 5952 lower-case compressed,
 * as ipaddr.js prints it and inet_ntop writes it). The receive checks compare them as strings.
 */
export interface IncomingPacket {
  readonly interface: string;
  /** The VRRP message only (the IP header already parsed into `meta`). */
  readonly payload: Uint8Array;
  readonly meta: PacketMeta;
  /**
   * When the transport received it, on the TimePort's clock (the Linux port: the kernel's receive
   * stamp), if it knows; never later than now. Protocol timers run from here rather than from when
   * the engine got to the packet.
   */
  readonly receivedAtMs?: number | undefined;
}

/** Sends and receives VRRP messages. */
export interface PacketPort {
  send(packets: readonly OutgoingPacket[]): void | Promise<void>;
  /** Called once by the engine; the port calls `onPacket` for every received VRRP message. */
  listen(onPacket: (packet: IncomingPacket) => void): void;
  /**
   * Optional: deliver, synchronously through `onPacket`, whatever the transport has already received
   * but not yet handed over. The engine calls it before acting on timer expiries when a Backup is
   * among the routers due, so that adverts which arrived before a Master_Down deadline, while the
   * process was not scheduled, count before the deadline does (an event loop that runs timers before
   * reading sockets would otherwise let the Backup take over with the Master's adverts still queued).
   * Not for a Master's due advert: it depends on nothing received. A transport bounds the work (the
   * Linux port: by count and by time), so that input arriving as fast as it is read cannot hold the
   * deadline back.
   */
  drain?(): void;
  /**
   * Optional: the priority-0 adverts every current Master would send if stopped now, replaced in full
   * whenever that set changes ([] when there is no Master). A transport that can send them straight
   * from a stop signal (the Linux port) does so, before the engine's own stop runs, and then skips
   * the engine's identical send of them.
   */
  setParting?(packets: readonly OutgoingPacket[]): void;
  /**
   * Optional: the adverts the engine will send first if its timer, as armed now, expires with nothing
   * received: a Backup's first adverts as Master when its Master_Down_Timer is the earliest deadline
   * ([] when there is none). Replaced whenever that changes, and always before the timer is moved
   * or a received packet is handed to the router concerned. A transport that can send them straight
   * from the timer's expiry (the Linux port) does so, when nothing is waiting to be read, and then
   * skips the engine's identical send of them in that expiry's callback.
   */
  setTakeover?(packets: readonly OutgoingPacket[]): void;
  close?(): void | Promise<void>;
}

export interface VipOptions {
  readonly acceptMode: boolean;
}

/** Adds, removes and announces virtual addresses on an interface. */
export interface AddressPort {
  addVips(iface: string, addresses: readonly string[], options: VipOptions): void | Promise<void>;
  removeVips(iface: string, addresses: readonly string[]): void | Promise<void>;
  /** Gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6), `count` per address. */
  announceVips(iface: string, addresses: readonly string[], count: number): void | Promise<void>;
}

export interface EnginePorts {
  readonly time: TimePort;
  readonly packets: PacketPort;
  readonly addresses: AddressPort;
}
