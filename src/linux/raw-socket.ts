// Typed access to the native VRRP socket and the ARP / NA announcements.
//
// One VrrpRawSocket is one raw IP socket for protocol 112 on one interface and one address family:
// bound to the interface, TTL / hop limit 255 on everything it sends, multicast loop off, DSCP CS6
// (as keepalived). Received packets arrive in batches, already split into payload and metadata, in the
// `IncomingPacket` shape the engine consumes. Errors are Node-style: `code`, `errno`, `syscall`.

import { performance } from 'node:perf_hooks';
import type { IncomingPacket, OutgoingPacket } from '../engine/ports.js';
import type { IpFamily, PacketMeta } from '../wire/types.js';
import {
  loadNative,
  type NativeOutgoingPacket,
  type NativeSocketCounters,
  type NativeVrrpSocket,
  type SystemError,
} from './native.js';
import { monotonicToNowMs, nowMsToMonotonic } from './precise-time.js';

export type { SystemError } from './native.js';

export interface VrrpRawSocketOptions {
  readonly family: IpFamily;
  /** Linux interface name, e.g. 'eth0'. */
  readonly interface: string;
}

/** An `IncomingPacket` plus the index of the interface it arrived on (from IP_PKTINFO / IPV6_PKTINFO). */
export interface ReceivedVrrpPacket extends IncomingPacket {
  readonly ifindex: number;
  /**
   * When the kernel received it (SO_TIMESTAMPNS), on the clock of performance.now() and preciseTime(),
   * never later than when it was read; undefined if the kernel gave no stamp. A Backup's down timer
   * runs from here, not from when JavaScript got to the packet.
   */
  readonly receivedAtMs: number | undefined;
}

export type SocketCounters = NativeSocketCounters;

/**
 * Some packets of a `send` call were refused by the kernel; the others went out. `code`, `errno` and
 * `syscall` are those of the first failure; `failures` lists each refused packet with its own error.
 */
export class VrrpSendError extends Error {
  readonly code: string;
  readonly errno: number | undefined;
  readonly syscall: string;
  readonly sentCount: number;
  readonly failures: readonly { readonly packet: OutgoingPacket; readonly error: SystemError }[];

  constructor(sentCount: number, failures: VrrpSendError['failures']) {
    const first = failures[0]!.error;
    super(`${failures.length} VRRP packet(s) not sent (${sentCount} sent): ${first.message}`);
    this.name = 'VrrpSendError';
    this.code = first.code;
    this.errno = first.errno;
    this.syscall = first.syscall;
    this.sentCount = sentCount;
    this.failures = failures;
  }
}

/** Probes at open: enough for V8's inline caches on the send path to settle. */
const WARM_UP_PROBES = 3;
/** A VRRPv3 advertisement header with nothing in it; probes never reach the wire. */
const WARM_UP_PAYLOAD = new Uint8Array([0x31, 0, 0, 0, 0, 0, 0, 0]);

/** Distinct (source, destination, TTL) metas kept per socket; a flood of forged sources starts it afresh. */
const MAX_CACHED_METAS = 4096;

function invalidArgument(message: string): TypeError {
  const error = new TypeError(message) as TypeError & { code: string };
  error.code = 'ERR_INVALID_ARG_VALUE';
  return error;
}

export class VrrpRawSocket {
  readonly family: IpFamily;
  readonly interface: string;
  readonly #native: NativeVrrpSocket;

  private constructor(native: NativeVrrpSocket, options: VrrpRawSocketOptions) {
    this.#native = native;
    this.family = options.family;
    this.interface = options.interface;
  }

  /**
   * Opens the socket (needs CAP_NET_RAW). Throws e.g. ENODEV for an unknown interface, EPERM without
   * the capability. The send path is then run once as a probe (see `send`), so that a Backup's first
   * advert, at the moment of a takeover, does not pay for running it the first time.
   */
  static open(options: VrrpRawSocketOptions): VrrpRawSocket {
    const { VrrpSocket } = loadNative();
    const socket = new VrrpRawSocket(new VrrpSocket({ family: options.family, interface: options.interface }), options);
    socket.warmUpSend();
    return socket;
  }

  get ifindex(): number {
    return this.#native.ifindex;
  }

  /** The descriptor, -1 once closed. */
  get fd(): number {
    return this.#native.fd;
  }

  get closed(): boolean {
    return this.#native.fd < 0;
  }

  /**
   * Joins `group` (default 224.0.0.18 or ff02::12; another is keepalived's mcast_dst_ip) on the
   * interface. Idempotent per group. Unicast-only routers do not join.
   */
  joinGroup(group?: string): void {
    if (group === undefined) this.#native.joinGroup();
    else this.#native.joinGroup(group);
  }

  leaveGroup(group?: string): void {
    if (group === undefined) this.#native.leaveGroup();
    else this.#native.leaveGroup(group);
  }

  /**
   * SO_RCVBUF (keepalived's vrrp_rx_bufs_policy): the kernel caps it at net.core.rmem_max. Returns
   * the size the kernel reports after it (twice what it took, for its own bookkeeping).
   */
  setReceiveBuffer(bytes: number): number {
    return this.#native.setReceiveBuffer(bytes);
  }

  /**
   * Sends every packet (sendmmsg, one system call for the batch). Each must be for this socket's
   * interface and family. Returns how many went out; throws VrrpSendError if any were refused, after
   * trying all of them.
   *
   * `probe`: the kernel looks up each packet's route and sends nothing (MSG_PROBE); the counters do
   * not move. It runs this whole path (JavaScript, the addon, the route lookup) without a packet on
   * the wire, which a Backup may not send.
   */
  send(packets: readonly OutgoingPacket[], options: { readonly probe?: boolean } = {}): number {
    const result = this.#native.send(this.toNative(packets), options.probe === true);
    if (result.failures.length > 0) {
      throw new VrrpSendError(
        result.sent,
        result.failures.map(({ index, error }) => ({ packet: packets[index]!, error })),
      );
    }
    return result.sent;
  }

  /**
   * Arms the adverts to send the moment SIGTERM / SIGINT arrives, before any JavaScript runs: a
   * Master's priority-0 adverts (see watchSignal's sendPartingFirst). Replaces what was armed; []
   * disarms. Once the signal has sent one, a later send() of the same bytes to the same destination
   * is skipped (once) and counted as sent: a Backup hearing a second priority-0 advert would restart
   * its Skew_Time and take over later.
   */
  setParting(packets: readonly OutgoingPacket[]): void {
    this.#native.setParting(this.toNative(packets));
  }

  /**
   * Arms a Backup's first adverts as Master for the expiry of the precise timer `timerId`
   * (PreciseTimePort.timerId): that expiry sends them before any JavaScript runs, unless a receiving
   * VRRP socket has a datagram waiting (the engine reads it first and decides). Then a send() of the
   * same bytes to the same destination from the timer's callback is skipped (once) and counted as
   * sent; after the callback nothing is skipped any more. Replaces what was armed; [] disarms.
   */
  setTakeover(packets: readonly OutgoingPacket[], timerId: number): void {
    this.#native.setTakeover(this.toNative(packets), timerId);
  }

  /**
   * Arms the addon's sender thread with a Master's periodic adverts (schedule `key`, unique in the
   * process): sent every `intervalMs` from `firstAtMs` (performance.now() clock; a key already armed
   * keeps its timing) on a thread the event loop cannot block, until `watchdogMs` pass without
   * checkInPeriodic(). A send() of an identical advert marked `periodic` is then skipped when the
   * thread sent it this interval. [] disarms. See native/src/periodic_adverts.h.
   */
  setPeriodic(
    key: number,
    packets: readonly OutgoingPacket[],
    timing: { intervalMs: number; firstAtMs: number; watchdogMs: number },
  ): void {
    const firstAtNs = Math.round(nowMsToMonotonic(timing.firstAtMs) * 1e6);
    this.#native.setPeriodic(
      key,
      this.toNative(packets),
      Math.round(timing.intervalMs * 1e6),
      firstAtNs,
      Math.round(timing.watchdogMs * 1e6),
    );
  }

  private toNative(packets: readonly OutgoingPacket[]): NativeOutgoingPacket[] {
    return packets.map((packet) => {
      if (packet.interface !== this.interface || packet.family !== this.family) {
        throw invalidArgument(
          `packet for ${packet.interface} IPv${packet.family} given to the socket for ${this.interface} IPv${this.family}`,
        );
      }
      const native: NativeOutgoingPacket = {
        sourceAddress: packet.sourceAddress,
        destinationAddress: packet.destinationAddress,
        payload: packet.payload,
        ...(packet.ttl !== undefined ? { ttl: packet.ttl } : {}),
      };
      return packet.periodic === true ? { ...native, periodic: true } : native;
    });
  }

  /**
   * Probes an empty VRRPv3 advert to the family's group a few times (see `send`): measured on a fresh
   * socket, the first real send cost 110 to 380 µs against 6 to 12 µs once run. A refusal (say, no
   * route yet) is of no consequence: the real send reports its own errors.
   */
  warmUpSend(): void {
    const probe: OutgoingPacket = {
      interface: this.interface,
      family: this.family,
      sourceAddress: this.family === 4 ? '0.0.0.0' : '::',
      destinationAddress: this.family === 4 ? '224.0.0.18' : 'ff02::12',
      payload: WARM_UP_PAYLOAD,
    };
    for (let round = 0; round < WARM_UP_PROBES; round++) {
      try {
        this.send([probe], { probe: true });
      } catch {
        return;
      }
    }
  }

  /**
   * Starts delivering received packets, in batches of up to 256 per readiness of the socket. A receive
   * error (rare: ENOMEM, ENOBUFS) goes to `onError` and receiving continues; by default it becomes a
   * process warning. Calling again replaces both callbacks.
   *
   * Cheap per packet: the payloads of a batch are views of one Buffer, and packets with the same
   * (source, destination, TTL) share one frozen `meta` object, so no string or object is made per
   * packet beyond the packet itself.
   */
  onPackets(
    listener: (packets: ReceivedVrrpPacket[]) => void,
    onError: (error: SystemError) => void = (error) => process.emitWarning(error),
  ): void {
    const { family } = this;
    const interfaceName = this.interface;
    let knownNames: readonly string[] | undefined;
    const metas = new Map<number, PacketMeta>();
    this.#native.startReceiving((error, count, data, meta, names, times) => {
      if (error) onError(error);
      if (count === 0) return;
      // A stamp converted across a wall-clock step could land in the future: no later than now.
      const readAtMs = performance.now();
      if (names !== knownNames || metas.size >= MAX_CACHED_METAS) {
        knownNames = names;
        metas.clear();
      }
      const packets = new Array<ReceivedVrrpPacket>(count);
      for (let i = 0, m = 0; i < count; i++, m += 6) {
        const offset = meta[m]!;
        const source = meta[m + 2]!;
        const destination = meta[m + 3]!;
        const ttl = meta[m + 4]!;
        // Ids stay below 2048 (the addon's table) and TTL below 256: the key is exact.
        const key = (source * 2048 + destination) * 256 + ttl;
        let packetMeta = metas.get(key);
        if (packetMeta === undefined) {
          packetMeta = Object.freeze({
            family,
            sourceAddress: names[source]!,
            destinationAddress: names[destination]!,
            ttl,
          });
          metas.set(key, packetMeta);
        }
        const stamp = times[i]!;
        packets[i] = {
          interface: interfaceName,
          ifindex: meta[m + 5]!,
          payload: data.subarray(offset, offset + meta[m + 1]!),
          meta: packetMeta,
          receivedAtMs: Number.isNaN(stamp) ? undefined : Math.min(monotonicToNowMs(stamp), readAtMs),
        };
      }
      listener(packets);
    });
  }

  /**
   * Reads what the socket holds right now, up to one batch of 256, and delivers it to the
   * `onPackets` listener before returning; nothing happens when not receiving or nothing is queued
   * (one recvmmsg that finds nothing). True when a whole batch was read: more may be queued. A throw
   * from the listener reaches the caller.
   */
  receiveNow(): boolean {
    return this.#native.receiveNow();
  }

  stopReceiving(): void {
    this.#native.stopReceiving();
  }

  /** Received, truncated (dropped), malformed (dropped), sent and refused packets since open. */
  counters(): SocketCounters {
    return this.#native.counters();
  }

  /** Keep the event loop alive while receiving (the default), or not. */
  ref(): void {
    this.#native.ref();
  }

  unref(): void {
    this.#native.unref();
  }

  /** Stops receiving and closes the descriptor. Idempotent. Sockets still open at exit are closed too. */
  close(): void {
    this.#native.close();
  }
}

export interface GratuitousArpOptions {
  readonly interface: string;
  /** The IPv4 VIP: sender and target protocol address of the ARP request. */
  readonly address: string;
  /** Sender hardware address and Ethernet source, e.g. a VRRP virtual MAC; default the interface's. */
  readonly mac?: string;
  /** How many to send now (default 1). */
  readonly count?: number;
}

export interface UnsolicitedNaOptions extends GratuitousArpOptions {
  /** IPv6 source address; default the VIP itself, as keepalived sends it. */
  readonly sourceAddress?: string;
  /** The Router flag (default true; keepalived sets it only when the interface forwards IPv6). */
  readonly router?: boolean;
}

/** Broadcasts `count` gratuitous ARP requests for an IPv4 VIP. Returns the number of frames sent. */
export function sendGratuitousArp(options: GratuitousArpOptions): number {
  return loadNative().sendGratuitousArp(options);
}

/** Sends `count` unsolicited Neighbor Advertisements (R, O set; S clear) for an IPv6 VIP to ff02::1. */
export function sendUnsolicitedNa(options: UnsolicitedNaOptions): number {
  return loadNative().sendUnsolicitedNa(options);
}

/** What the sender thread did for one periodic schedule (VrrpRawSocket.setPeriodic), cumulative. */
export interface PeriodicScheduleCounters {
  /** Adverts it sent. */
  readonly sent: number;
  /** Times it stopped because checkInPeriodic had not been called within the watchdog bound. */
  readonly watchdogTrips: number;
  /** The engine's periodic sends it skipped: it had sent their twin this interval. */
  readonly skipped: number;
}

/** The engine is alive: the periodic adverts' watchdog restarts its clock. */
export function checkInPeriodic(): void {
  loadNative().periodicCheckIn();
}

/** Every periodic schedule's counters by key. */
export function periodicScheduleCounters(): Map<number, PeriodicScheduleCounters> {
  const flat = loadNative().periodicCounters();
  const counters = new Map<number, PeriodicScheduleCounters>();
  for (let i = 0; i + 3 < flat.length; i += 4)
    counters.set(flat[i]!, { sent: flat[i + 1]!, watchdogTrips: flat[i + 2]!, skipped: flat[i + 3]! });
  return counters;
}

/** Disarms periodic schedule `key` and drops its counters. */
export function forgetPeriodicSchedule(key: number): void {
  loadNative().periodicForget(key);
}
