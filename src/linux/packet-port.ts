// The engine's PacketPort on Linux: one raw VRRP socket (protocol 112) per (interface, family) in use.
//
// A socket joins 224.0.0.18 / ff02::12 (or a router's mcast_dst_ip group) only if some router on it is multicast (a unicast-only router
// hears only its peers). `send` groups the engine's packets per socket so each socket makes one
// sendmmsg per call. A socket is bound to its interface's index when it opens, so an interface that
// is missing at start, or deleted and re-created later, gets its socket (re)opened by `reopen`,
// which the runtime calls on link events. When routers are added or removed at run time,
// `setRouters` opens the sockets of new (interface, family) pairs and closes those no router uses.

import type { VirtualRouterConfig } from '../core/types.js';
import type {
  HeadStartPort,
  IncomingPacket,
  OutgoingPacket,
  PacketPort,
  PeriodicAdverts,
  PeriodicCounters,
  TakeoverAddresses,
} from '../engine/ports.js';
import { type IpFamily, VRRP_MULTICAST_V4, VRRP_MULTICAST_V6 } from '../wire/types.js';
import {
  checkInPeriodic,
  forgetPeriodicSchedule,
  periodicScheduleCounters,
  VrrpRawSocket,
  type PeriodicScheduleCounters,
  type SystemError,
} from './raw-socket.js';
import { codedError, hasCode } from '../errors.js';
import { takeoverKit, type RollbackListener, type TakeoverRequestEncoder } from './takeover-kit.js';

/** A socket failure that the port survives: reported, never thrown out of a callback. */
export interface PacketPortError {
  readonly operation: 'open' | 'receive' | 'send';
  readonly interface: string;
  readonly family: IpFamily;
  readonly error: Error & { code?: string };
}

export interface LinuxPacketPortOptions {
  /** Receive errors and late (re)open failures; default: ignored. */
  readonly onError?: (event: PacketPortError) => void;
  /** How long one drain() may read for, across all sockets, in ms (default DRAIN_BUDGET_MS). */
  readonly drainBudgetMs?: number;
  /**
   * The receive buffer for the socket of these routers (src/model/receive-buffers.ts); undefined
   * leaves the kernel's default. Asked when a socket opens and when its routers change.
   */
  readonly receiveBuffer?: (routers: readonly VirtualRouterConfig[]) => number | undefined;
}

interface SocketSlot {
  readonly interface: string;
  readonly family: IpFamily;
  /**
   * The multicast groups joined: the family's VRRP group, or a router's own (keepalived mcast_dst_ip),
   * for each multicast router on it; none when every router on it is unicast.
   */
  groups: ReadonlySet<string>;
  socket: VrrpRawSocket | undefined;
  /** The routers on it, for its receive buffer. */
  routers: VirtualRouterConfig[];
  /** The receive buffer last asked for (undefined: the kernel's default). */
  receiveBuffer: number | undefined;
}

function slotKey(iface: string, family: IpFamily): string {
  return `${iface}/${family}`;
}

/** At most this many batches of 256 per socket per drain: 16,384 packets, ~0.6 s of 255 VRIDs at 10 ms. */
const MAX_DRAIN_BATCHES = 64;
/**
 * And at most this long per drain, whatever the count: a flood that refills the sockets as fast as
 * they are read must not hold a due deadline back. 20 ms still reads a Backup's backlog of thousands
 * of adverts (bench/receive.bench.ts: under a microsecond each in the demux); what is left is read by
 * the event loop right after the expiries are handled.
 */
export const DRAIN_BUDGET_MS = 20;

/** Packets grouped by the socket (slotKey) they leave from. */
function bySocket(packets: readonly OutgoingPacket[]): Map<string, OutgoingPacket[]> {
  const groups = new Map<string, OutgoingPacket[]>();
  for (const packet of packets) {
    const key = slotKey(packet.interface, packet.family);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [packet]);
    else group.push(packet);
  }
  return groups;
}

/** The sockets a set of routers needs, by slotKey. */
function wantedSlots(routers: readonly VirtualRouterConfig[]): Map<string, SocketSlot> {
  const slots = new Map<string, SocketSlot>();
  for (const router of routers) {
    const key = slotKey(router.interface, router.family);
    const group =
      router.unicastPeers.length > 0
        ? undefined
        : (router.multicastGroup ?? (router.family === 4 ? VRRP_MULTICAST_V4 : VRRP_MULTICAST_V6));
    const slot = slots.get(key);
    if (slot === undefined) {
      slots.set(key, {
        interface: router.interface,
        family: router.family,
        groups: new Set(group === undefined ? [] : [group]),
        socket: undefined,
        routers: [router],
        receiveBuffer: undefined,
      });
    } else {
      if (group !== undefined) slot.groups = new Set([...slot.groups, group]);
      slot.routers.push(router);
    }
  }
  return slots;
}

function sameGroups(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((group) => b.has(group));
}

/** Periodic schedule keys (VrrpRawSocket.setPeriodic): the addon's schedules are per process. */
let lastPeriodicKey = 0;

/** A router's periodic adverts as armed (setPeriodic), kept for a socket that (re)opens later. */
interface PeriodicSlot {
  readonly key: number;
  adverts: PeriodicAdverts | undefined;
}

/**
 * The engine's PacketPort and HeadStartPort on Linux: the head start (parting, takeover and periodic
 * adverts, drain) is the addon's, on the same sockets.
 */
export class LinuxPacketPort implements PacketPort, HeadStartPort {
  private readonly slots: Map<string, SocketSlot>;
  private readonly onError: (event: PacketPortError) => void;
  private readonly drainBudgetMs: number;
  private readonly receiveBuffer: LinuxPacketPortOptions['receiveBuffer'];
  private onPacket: ((packet: IncomingPacket) => void) | undefined;
  private closed = false;
  /** The engine's parting adverts by slotKey (see setParting), kept for sockets that (re)open later. */
  private parting = new Map<string, OutgoingPacket[]>();
  /** Whether the sockets hold them (setPartingArmed); off until the runtime's owner says so. */
  private partingArmed = false;
  /** The precise timer whose expiry sends the takeover adverts (useTakeoverTimer); none: not armed. */
  private takeoverTimerId: number | undefined;
  /** The takeover adverts by slotKey (setTakeover), kept for sockets that (re)open later. */
  private takeover = new Map<string, OutgoingPacket[]>();
  /** Each router's periodic schedule (setPeriodic), by router name. */
  private readonly periodic = new Map<string, PeriodicSlot>();
  /** The addon's periodic counters, read once per turn however many routers ask. */
  private periodicCountersNow: Map<number, PeriodicScheduleCounters> | undefined;

  constructor(routers: readonly VirtualRouterConfig[], options: LinuxPacketPortOptions = {}) {
    this.onError = options.onError ?? (() => {});
    this.drainBudgetMs = options.drainBudgetMs ?? DRAIN_BUDGET_MS;
    this.receiveBuffer = options.receiveBuffer;
    this.slots = wantedSlots(routers);
  }

  /**
   * The routers changed at run time: a socket whose (interface, family) no router uses any more is
   * closed, a new one is opened (a missing interface waits for `reopen`; any other failure goes to
   * onError and the socket stays closed), and group membership follows whether a multicast router
   * is left. Sockets that stay keep their queued packets.
   */
  setRouters(routers: readonly VirtualRouterConfig[]): void {
    if (this.closed) return;
    const wanted = wantedSlots(routers);
    for (const [key, slot] of this.slots) {
      if (wanted.has(key)) continue;
      this.closeSlot(slot);
      this.slots.delete(key);
    }
    for (const [key, want] of wanted) {
      const slot = this.slots.get(key);
      if (slot === undefined) {
        this.slots.set(key, want);
        this.tryOpen(want);
        continue;
      }
      slot.routers = want.routers;
      this.onSlot(slot, (socket) => this.sizeReceiveBuffer(slot, socket));
      if (!sameGroups(slot.groups, want.groups)) {
        const before = slot.groups;
        slot.groups = want.groups;
        this.onSlot(slot, (socket) => {
          for (const group of want.groups) if (!before.has(group)) socket.joinGroup(group);
          for (const group of before) if (!want.groups.has(group)) socket.leaveGroup(group);
        });
      }
    }
  }

  /** Runs `change` on the slot's open socket; a refusal goes to onError as an 'open' failure. */
  private onSlot(slot: SocketSlot, change: (socket: VrrpRawSocket) => void): void {
    if (slot.socket === undefined) return;
    try {
      change(slot.socket);
    } catch (error) {
      this.onError({ operation: 'open', interface: slot.interface, family: slot.family, error: error as SystemError });
    }
  }

  /** Whether a socket is open for (iface, family) now. */
  isOpen(iface: string, family: IpFamily): boolean {
    return this.slots.get(slotKey(iface, family))?.socket !== undefined;
  }

  /**
   * Opens every socket. A missing interface (ENODEV) is not an error here: its routers start in
   * Fault and the socket opens when the interface appears. Anything else (EPERM without
   * CAP_NET_RAW, say) closes what was opened and throws: the runtime cannot work at all.
   */
  open(): { missing: string[] } {
    const missing: string[] = [];
    for (const slot of this.slots.values()) {
      try {
        this.openSlot(slot);
      } catch (error) {
        if (hasCode(error, 'ENODEV')) {
          missing.push(slot.interface);
          continue;
        }
        this.close();
        throw error;
      }
    }
    return { missing };
  }

  /** The interfaces this port has sockets for (or wants them on). */
  interfaces(): string[] {
    return [...new Set([...this.slots.values()].map((slot) => slot.interface))];
  }

  /**
   * Re-opens the sockets of `iface`: after it was (re)created a socket bound to the old index hears
   * nothing. `onlyIfMissing` leaves open sockets alone (a link that merely went up and down keeps
   * its socket and its group memberships).
   */
  reopen(iface: string, onlyIfMissing: boolean): void {
    if (this.closed) return;
    for (const slot of this.slots.values()) {
      if (slot.interface !== iface || (onlyIfMissing && slot.socket !== undefined)) continue;
      this.closeSlot(slot);
      this.tryOpen(slot);
    }
  }

  /** Opens a slot's socket; ENODEV (no such interface yet) is silent, anything else goes to onError. */
  private tryOpen(slot: SocketSlot): void {
    try {
      this.openSlot(slot);
    } catch (error) {
      if (hasCode(error, 'ENODEV')) return;
      this.onError({ operation: 'open', interface: slot.interface, family: slot.family, error: error as SystemError });
    }
  }

  /** Closes the sockets of an interface that is gone. */
  release(iface: string): void {
    for (const slot of this.slots.values()) if (slot.interface === iface) this.closeSlot(slot);
  }

  listen(onPacket: (packet: IncomingPacket) => void): void {
    this.onPacket = onPacket;
  }

  /**
   * Reads every socket now, delivering what was queued (the engine calls this before acting on a
   * Backup's expiry, see PacketPort.drain). A receive error goes to onError, as from the event loop.
   * Each socket gets at least one batch; the rest stops at MAX_DRAIN_BATCHES or the time budget.
   */
  drain(): void {
    const endMs = performance.now() + this.drainBudgetMs;
    for (const slot of this.slots.values()) {
      try {
        // Everything queued, not one batch: a Backup of 255 VRIDs at 10 ms that fell behind by more
        // than a batch would otherwise act on deadlines with the Masters' adverts still unread, take
        // over, and fall further behind doing it. Bounded, should a flood refill it as fast.
        for (let round = 0; round < MAX_DRAIN_BATCHES && slot.socket?.receiveNow() === true; round++) {
          if (performance.now() >= endMs) break;
        }
      } catch (error) {
        this.onError({ operation: 'receive', interface: slot.interface, family: slot.family, error: error as Error });
      }
    }
  }

  /**
   * One sendmmsg per socket. Every group is tried; if any failed, the first failure is thrown
   * afterwards (the engine reports it as an `error` event and carries on).
   */
  send(packets: readonly OutgoingPacket[], options: { readonly probe?: boolean } = {}): void {
    let firstError: unknown;
    for (const [key, group] of bySocket(packets)) {
      const slot = this.slots.get(key);
      try {
        if (slot?.socket === undefined) {
          const first = group[0]!;
          throw codedError(
            'ENODEV',
            `no VRRP socket for ${first.interface} IPv${first.family} (interface missing or closed)`,
          );
        }
        slot.socket.send(group, options);
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  close(): void {
    this.closed = true;
    takeoverKit.release(this);
    for (const slot of this.slots.values()) this.closeSlot(slot);
  }

  /**
   * Arms each socket with its share of the Masters' priority-0 adverts, which a stop signal watched
   * with sendPartingFirst (src/cli/stop-signals.ts) sends before any JavaScript runs.
   */
  setParting(packets: readonly OutgoingPacket[]): void {
    const next = bySocket(packets);
    if (this.partingArmed) {
      for (const [key, slot] of this.slots) {
        if (!next.has(key) && !this.parting.has(key)) continue;
        this.armParting(slot, next.get(key) ?? []);
      }
    }
    this.parting = next;
  }

  /**
   * Arms the sockets with the parting adverts (on) or empties them (off), keeping the set: a stop
   * signal sends them only while armed. See LinuxEngineHandle.armStopAdverts.
   */
  setPartingArmed(on: boolean): void {
    if (on === this.partingArmed) return;
    this.partingArmed = on;
    for (const [key, slot] of this.slots) {
      const packets = this.parting.get(key);
      if (packets !== undefined) this.armParting(slot, on ? packets : []);
    }
  }

  /** Takeover adverts (setTakeover) go to the sockets for the expiry of this PreciseTimePort's timer. */
  useTakeoverTimer(timerId: number): void {
    this.takeoverTimerId = timerId;
  }

  /**
   * Arms each socket with its share of a Backup's first adverts as Master, which the expiry of the
   * engine's timer sends before any JavaScript runs (VrrpRawSocket.setTakeover); [] withdraws them.
   * Without a timer (useTakeoverTimer) nothing is armed and the engine sends them itself.
   */
  setTakeover(packets: readonly OutgoingPacket[], addresses?: readonly TakeoverAddresses[]): void {
    const timerId = this.takeoverTimerId;
    if (timerId === undefined) return;
    const next = bySocket(packets);
    for (const key of new Set([...this.takeover.keys(), ...next.keys()])) {
      const slot = this.slots.get(key);
      if (slot !== undefined) this.armTakeover(slot, next.get(key) ?? []);
    }
    this.takeover = next;
    this.armTakeoverKit(timerId, packets.length === 0 ? undefined : addresses);
  }

  /**
   * The VIP adds and first announcements of a takeover go with its adverts (the addon's takeover kit,
   * takeover-kit.ts), encoded by `encode` (LinuxAddressPort.takeoverRequests). Without this call only
   * the adverts go ahead of JavaScript. Adds the kit must take back are reported to onError.
   */
  useTakeoverKit(encode: TakeoverRequestEncoder): void {
    const onRolledBack: RollbackListener = (removed, errnos) => {
      removed.forEach(({ interface: iface, address }, index) => {
        const errno = errnos[index] ?? -1;
        const outcome =
          errno === 0 ? 'removed' : errno === -1 ? 'no answer to its removal' : `removal failed: errno ${errno}`;
        this.onError({
          operation: 'send',
          interface: iface,
          family: address.includes(':') ? 6 : 4,
          error: codedError(
            'ETAKEOVERROLLBACK',
            `takeover: VIP ${address} added ahead of JavaScript, but its router did not become Master (${outcome})`,
          ),
        });
      });
    };
    takeoverKit.take(this, encode, onRolledBack);
  }

  /**
   * Arms the addon's sender thread with a Master's periodic adverts, on the socket they leave from
   * (VrrpRawSocket.setPeriodic); undefined disarms. Kept for a socket that opens later.
   */
  setPeriodic(router: string, adverts: PeriodicAdverts | undefined): void {
    let entry = this.periodic.get(router);
    if (entry === undefined) {
      if (adverts === undefined) return;
      entry = { key: ++lastPeriodicKey, adverts };
      this.periodic.set(router, entry);
    }
    const previous = entry.adverts;
    entry.adverts = adverts;
    const first = (adverts ?? previous)?.packets[0];
    if (first === undefined) return;
    const slot = this.slots.get(slotKey(first.interface, first.family));
    if (slot !== undefined) this.armPeriodic(slot, entry, adverts?.firstAtMs);
  }

  checkIn(): void {
    checkInPeriodic();
  }

  periodicCounters(router: string): PeriodicCounters | undefined {
    const entry = this.periodic.get(router);
    if (entry === undefined) return undefined;
    if (this.periodicCountersNow === undefined) {
      this.periodicCountersNow = periodicScheduleCounters();
      queueMicrotask(() => (this.periodicCountersNow = undefined));
    }
    const counts = this.periodicCountersNow.get(entry.key);
    return { sent: counts?.sent ?? 0, watchdogTrips: counts?.watchdogTrips ?? 0 };
  }

  forgetPeriodic(router: string): void {
    const entry = this.periodic.get(router);
    if (entry === undefined) return;
    this.periodic.delete(router);
    forgetPeriodicSchedule(entry.key);
  }

  /** `firstAtMs` for a schedule the socket does not hold yet (undefined: from now). */
  private armPeriodic(slot: SocketSlot, entry: PeriodicSlot, firstAtMs: number | undefined): void {
    const adverts = entry.adverts;
    try {
      if (adverts === undefined)
        slot.socket?.setPeriodic(entry.key, [], { intervalMs: 1, firstAtMs: 0, watchdogMs: 1 });
      else
        slot.socket?.setPeriodic(entry.key, adverts.packets, {
          ...adverts,
          firstAtMs: Math.max(firstAtMs ?? 0, performance.now() + adverts.intervalMs),
        });
    } catch (error) {
      // Only a bug could get here (the packets come from the engine); the engine then sends them itself.
      this.onError({ operation: 'send', interface: slot.interface, family: slot.family, error: error as Error });
    }
  }

  private armTakeoverKit(timerId: number, addresses: readonly TakeoverAddresses[] | undefined): void {
    try {
      takeoverKit.arm(this, timerId, addresses);
    } catch (error) {
      // Only a bug could get here (the addon refused what the address port encoded): the engine
      // then adds and announces itself, as without the kit.
      takeoverKit.disarm();
      const iface = addresses?.[0]?.interface ?? '';
      this.onError({ operation: 'send', interface: iface, family: 4, error: error as Error });
    }
  }

  private armTakeover(slot: SocketSlot, packets: readonly OutgoingPacket[]): void {
    if (this.takeoverTimerId === undefined) return;
    try {
      slot.socket?.setTakeover(packets, this.takeoverTimerId);
    } catch (error) {
      // Only a bug could get here (the packets come from the engine); the socket then holds none and
      // the engine sends them itself.
      this.onError({ operation: 'send', interface: slot.interface, family: slot.family, error: error as Error });
    }
  }

  private armParting(slot: SocketSlot, packets: readonly OutgoingPacket[]): void {
    try {
      slot.socket?.setParting(packets);
    } catch (error) {
      // Only a bug could get here (the packets come from the engine); the stop still sends them.
      this.onError({ operation: 'send', interface: slot.interface, family: slot.family, error: error as Error });
    }
  }

  /**
   * Runs this port's send path once per socket as a probe (VrrpRawSocket.send with `probe`: nothing
   * reaches the wire), so a Backup's first advert, at its takeover, does not pay for the first run.
   */
  private warmUpSend(slot: SocketSlot): void {
    const probe: OutgoingPacket = {
      interface: slot.interface,
      family: slot.family,
      sourceAddress: slot.family === 4 ? '0.0.0.0' : '::',
      destinationAddress: slot.family === 4 ? '224.0.0.18' : 'ff02::12',
      payload: new Uint8Array(8),
    };
    try {
      for (let round = 0; round < 3; round++) this.send([probe], { probe: true });
    } catch {
      // A refused probe costs nothing: the real send reports its own errors.
    }
  }

  /** Asks for the slot's receive buffer when it differs from what was asked before (a fresh socket: anything). */
  private sizeReceiveBuffer(slot: SocketSlot, socket: VrrpRawSocket, fresh = false): void {
    const bytes = this.receiveBuffer?.(slot.routers);
    if (bytes === undefined || (!fresh && bytes === slot.receiveBuffer)) return;
    socket.setReceiveBuffer(bytes);
    slot.receiveBuffer = bytes;
  }

  private openSlot(slot: SocketSlot): void {
    const socket = VrrpRawSocket.open({ family: slot.family, interface: slot.interface });
    try {
      this.sizeReceiveBuffer(slot, socket, true);
      for (const group of slot.groups) socket.joinGroup(group);
    } catch (error) {
      socket.close();
      throw error;
    }
    socket.onPackets(
      (received) => {
        const deliver = this.onPacket;
        if (deliver === undefined) return;
        for (const packet of received) {
          // The engine never throws on a packet; this guard keeps a bug from escaping into libuv.
          try {
            deliver(packet);
          } catch (error) {
            this.onError({
              operation: 'receive',
              interface: slot.interface,
              family: slot.family,
              error: error as Error,
            });
          }
        }
      },
      (error) => this.onError({ operation: 'receive', interface: slot.interface, family: slot.family, error }),
    );
    slot.socket = socket;
    this.warmUpSend(slot);
    const parting = this.parting.get(slotKey(slot.interface, slot.family));
    if (parting !== undefined && this.partingArmed) this.armParting(slot, parting);
    const takeover = this.takeover.get(slotKey(slot.interface, slot.family));
    if (takeover !== undefined) this.armTakeover(slot, takeover);
    for (const entry of this.periodic.values()) {
      const first = entry.adverts?.packets[0];
      if (first !== undefined && first.interface === slot.interface && first.family === slot.family)
        this.armPeriodic(slot, entry, undefined);
    }
  }

  private closeSlot(slot: SocketSlot): void {
    slot.socket?.close();
    slot.socket = undefined;
  }
}
