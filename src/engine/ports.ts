// The boundary between the engine and the world. The Linux adapters (native sockets, netlink), the
// simulator and an embedding program's own transport each implement these; the engine knows no other I/O.

import type { IpFamily, PacketMeta } from '../wire/types.js';

/** What a TimePort may say about the expiry it reports. */
export interface TimerExpiry {
  /**
   * The head-start port sent the takeover adverts held for this expiry (HeadStartPort.setTakeover), having
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
  /** The VRRP message only; the transport adds the IP header with TTL / hop limit 255 (or `ttl`). */
  readonly payload: Uint8Array;
  /** TTL / hop limit of this packet when not 255 (keepalived unicast_ttl; unicast only). */
  readonly ttl?: number;
  /**
   * A Master's periodic advert (its Adver_Timer fired), set only when the head-start port takes
   * periodic schedules (HeadStartPort.setPeriodic): a transport that sent the identical advert from
   * that schedule this interval skips it.
   */
  readonly periodic?: true;
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

/** Sends and receives VRRP messages. Anything that acts before JavaScript runs is the HeadStartPort's. */
export interface PacketPort {
  send(packets: readonly OutgoingPacket[]): void | Promise<void>;
  /** Called once by the engine; the port calls `onPacket` for every received VRRP message. */
  listen(onPacket: (packet: IncomingPacket) => void): void;
  close?(): void | Promise<void>;
}

export interface VipOptions {
  readonly acceptMode: boolean;
  /**
   * The router has keepalived's dont_track_primary: with accept mode off, its link-local VIPs on its own
   * interface (onRouterInterface) or no_track are keyed by interface name in the firewall, not index
   * (unless nftables_ifindex), as keepalived's nft_update_ipv6_address does.
   */
  readonly dontTrackPrimary?: boolean;
  /** The addresses are on the router's own interface, not on a `dev` elsewhere. */
  readonly onRouterInterface?: boolean;
}

/** Adds, removes and announces virtual addresses on an interface. */
export interface AddressPort {
  addVips(iface: string, addresses: readonly string[], options: VipOptions): void | Promise<void>;
  removeVips(iface: string, addresses: readonly string[]): void | Promise<void>;
  /**
   * Optional: a Master's reload changed Accept_Mode; `addresses`, already on `iface`, now follow
   * `options.acceptMode` (the Linux port moves them into or out of its nftables drop sets).
   */
  setAcceptMode?(iface: string, addresses: readonly string[], options: VipOptions): void | Promise<void>;
  /** Gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6), `count` per address. */
  announceVips(iface: string, addresses: readonly string[], count: number): void | Promise<void>;
}

/**
 * What a Backup's takeover does on one interface after its advert (HeadStartPort.setTakeover): the
 * AddressPort.addVips call the engine will make, and the first AddressPort.announceVips after it.
 */
export interface TakeoverAddresses {
  readonly interface: string;
  readonly addresses: readonly string[];
  readonly acceptMode: boolean;
  /** The first announcement's `count` (0: none). */
  readonly announceCount: number;
}

/** What a head-start port is given for one Master's periodic adverts (HeadStartPort.setPeriodic). */
export interface PeriodicAdverts {
  /** One per destination, encoded as the engine encodes them. */
  readonly packets: readonly OutgoingPacket[];
  readonly intervalMs: number;
  /** When the first is due (TimePort clock), for a router not armed yet; a re-armed one keeps its timing. */
  readonly firstAtMs: number;
  /** Nothing is sent once this long passes without a checkIn: a wedged process gives up mastership. */
  readonly watchdogMs: number;
}

/** What a transport sent from a router's periodic schedule, and how often its watchdog stopped it. */
export interface PeriodicCounters {
  readonly sent: number;
  readonly watchdogTrips: number;
}

/**
 * Optional, for a transport that can act where JavaScript cannot: before the event loop gets to a
 * timer or a signal, or while it is blocked (the Linux addon). The engine drives it through its
 * HeadStart collaborator (src/engine/head-start.ts); an embedder or the simulator leaves it out and
 * loses nothing but the head start. Every method is optional.
 */
export interface HeadStartPort {
  /**
   * Deliver, synchronously through `onPacket`, whatever the transport has already received
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
   * The priority-0 adverts every current Master would send if stopped now, replaced in full
   * whenever that set changes ([] when there is no Master). A transport that can send them straight
   * from a stop signal (the Linux port) does so, before the engine's own stop runs, and then skips
   * the engine's identical send of them.
   */
  setParting?(packets: readonly OutgoingPacket[]): void;
  /**
   * The adverts the engine will send first if its timer, as armed now, expires with nothing
   * received: a Backup's first adverts as Master when its Master_Down_Timer is the earliest deadline
   * ([] when there is none). Replaced whenever that changes, and always before the timer is moved
   * or a received packet is handed to the router concerned. A transport that can send them straight
   * from the timer's expiry (the Linux port) does so, when nothing is waiting to be read, and then
   * skips the engine's identical send of them in that expiry's callback.
   *
   * `addresses`: what the same takeover does next. A transport that can (the Linux port's takeover
   * kit) adds those VIPs and sends their first announcement right after the adverts, still before any
   * JavaScript runs; the engine's own addVips / announceVips calls in that expiry's callback then
   * learn what was done instead of doing it again, and a VIP added for a router that did not become
   * Master after all is removed again before the callback ends.
   */
  setTakeover?(packets: readonly OutgoingPacket[], addresses?: readonly TakeoverAddresses[]): void;
  /**
   * Each Master's periodic adverts, sent on their interval from outside the event loop, so that a
   * blocked loop does not delay them; `undefined` disarms (on leaving Master, before a priority-0
   * advert, on removal). Re-armed whenever the advert's content changes. The engine's own periodic
   * sends carry OutgoingPacket.periodic; the transport skips one whose twin it sent this interval,
   * and restarts the schedule from one it did not.
   */
  setPeriodic?(router: string, adverts: PeriodicAdverts | undefined): void;
  /** The engine is alive (called on every timer expiry it handles): the watchdog restarts its clock. */
  checkIn?(): void;
  /** What a router's periodic schedule did, cumulative, undefined if never armed. */
  periodicCounters?(router: string): PeriodicCounters | undefined;
  /** The router is gone: its schedule is disarmed and its counters dropped. */
  forgetPeriodic?(router: string): void;
}

export interface EnginePorts {
  readonly time: TimePort;
  readonly packets: PacketPort;
  readonly addresses: AddressPort;
  readonly headStart?: HeadStartPort;
}
