// Loads the C++ addon (native/, built by `npm ci` through node-gyp) and describes its raw API.
// Wrappers: src/linux/raw-socket.ts (VRRP sockets, single announcements), src/linux/announce.ts
// (sendAnnouncements), src/linux/precise-time.ts (PreciseTimer) and src/linux/rt-signals.ts
// (SignalWatcher), src/linux/scheduling.ts (the main thread's scheduling), src/linux/netlink.ts
// (RtnlSocket); everything else goes through those.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codedError } from '../errors.js';

/** A Node-style system error: `code` 'EPERM', `errno` -1, `syscall` 'setsockopt'. */
export type SystemError = NodeJS.ErrnoException & { code: string; syscall: string };

export interface NativeReceivedPacket {
  /** The VRRP message only (an IPv4 header has been stripped). */
  readonly payload: Buffer;
  readonly sourceAddress: string;
  /** IPv4: IP_PKTINFO ipi_addr; IPv6: IPV6_PKTINFO ipi6_addr. */
  readonly destinationAddress: string;
  /** IPv4 TTL (IP_TTL / header) or IPv6 hop limit (IPV6_HOPLIMIT). */
  readonly ttl: number;
  /** Interface the packet arrived on. */
  readonly ifindex: number;
}

/**
 * One readiness' worth of datagrams: datagram i is meta[6i .. 6i+5] = payload offset and length in
 * `data`, source and destination as indices into `names` (canonical address strings), TTL / hop
 * limit, ifindex; times[i] is the kernel's receive time in ms on CLOCK_MONOTONIC (NaN when the
 * kernel gave none). `meta` and `times` are reused (valid during the call only); `names` stays the
 * same array until the addon starts its table afresh and passes a new one.
 */
export type NativeReceiveCallback = (
  error: SystemError | null,
  count: number,
  data: Buffer,
  meta: Uint32Array,
  names: readonly string[],
  times: Float64Array,
) => void;

export interface NativeOutgoingPacket {
  /** Left out: the kernel picks the source. */
  readonly sourceAddress?: string;
  readonly destinationAddress: string;
  readonly payload: Uint8Array;
  /** A Master's periodic advert: skipped when the sender thread sent it this interval (setPeriodic). */
  readonly periodic?: boolean;
  /** TTL / hop limit of this packet (IP_TTL / IPV6_HOPLIMIT ancillary data); left out: the socket's 255. */
  readonly ttl?: number;
}

export interface NativeSendResult {
  readonly sent: number;
  readonly failures: readonly { readonly index: number; readonly error: SystemError }[];
}

export interface NativeSocketCounters {
  readonly received: number;
  readonly truncated: number;
  readonly malformed: number;
  readonly sent: number;
  readonly sendErrors: number;
}

export interface NativeVrrpSocket {
  /** -1 once closed. */
  readonly fd: number;
  readonly ifindex: number;
  readonly family: 4 | 6 | undefined;
  /** The family's VRRP group, or `group` (canonical text). Idempotent per group. */
  joinGroup(group?: string): void;
  leaveGroup(group?: string): void;
  setReceiveBuffer(bytes: number): number;
  /** probe: MSG_PROBE, the whole send path up to the route lookup and nothing on the wire or in the counters. */
  send(packets: readonly NativeOutgoingPacket[], probe?: boolean): NativeSendResult;
  /** Arms the adverts a sendPartingFirst signal watcher sends (copied); [] disarms. */
  setParting(packets: readonly NativeOutgoingPacket[]): void;
  /** Arms the adverts the expiry of PreciseTimer `timerId` sends if no socket has anything to read (copied); [] disarms. */
  setTakeover(packets: readonly NativeOutgoingPacket[], timerId: number): void;
  /**
   * Arms the sender thread's schedule `key` (copied): these adverts every intervalNs from firstAtNs
   * (CLOCK_MONOTONIC; a key already armed keeps its timing), none once watchdogNs pass without a
   * periodicCheckIn; [] disarms (native/src/periodic_adverts.h).
   */
  setPeriodic(
    key: number,
    packets: readonly NativeOutgoingPacket[],
    intervalNs: number,
    firstAtNs: number,
    watchdogNs: number,
  ): void;
  startReceiving(callback: NativeReceiveCallback): void;
  /**
   * Reads what is queued now (up to one wake-up's worth) and calls the startReceiving callback before
   * returning (if anything). True when it read a whole wake-up's worth: more may be queued.
   */
  receiveNow(): boolean;
  stopReceiving(): void;
  ref(): void;
  unref(): void;
  counters(): NativeSocketCounters;
  close(): void;
}

export interface NativeAnnounceOptions {
  readonly interface: string;
  readonly address: string;
  /** Ethernet source and advertised hardware address; default the interface's own. */
  readonly mac?: string;
  readonly count?: number;
}

export interface NativeNaOptions extends NativeAnnounceOptions {
  /** IPv6 source; default the VIP itself (keepalived's choice). */
  readonly sourceAddress?: string;
  /** The NA's Router flag; default true. */
  readonly router?: boolean;
}

export interface NativeAnnouncementsOptions {
  readonly interface: string;
  /** IPv4 addresses get gratuitous ARPs, IPv6 ones unsolicited NAs (source = the VIP). */
  readonly addresses: readonly string[];
  readonly mac?: string;
  /** The NAs' Router flag; default true. */
  readonly router?: boolean;
  /** Frames per address (default 1). */
  readonly count?: number;
}

export interface NativeAnnouncementsResult {
  /** Frames sent, over all addresses. */
  readonly sent: number;
  /** One per address that failed (its remaining copies were not sent), in order. */
  readonly failures: readonly { readonly index: number; readonly address: string; readonly error: SystemError }[];
}

/**
 * A timerfd (CLOCK_MONOTONIC) polled by libuv; calls its callback once per expired arming, with
 * `takeoverSent` true when that expiry sent takeover adverts (VrrpSocket.setTakeover).
 */
export interface NativePreciseTimer {
  /** -1 once closed. */
  readonly fd: number;
  readonly armed: boolean;
  /** Names this timer to VrrpSocket.setTakeover (unique in the process, never 0). */
  readonly id: number;
  /** One expiry `delayNs` nanoseconds from now (relative), replacing any earlier arming. */
  arm(delayNs: number): void;
  disarm(): void;
  /** Whether an armed timer keeps the event loop alive (default: it does; a disarmed one never does). */
  ref(): void;
  unref(): void;
  close(): void;
}

/** A libuv signal watcher (any catchable signal, real-time ones too); never keeps the process alive. */
export interface NativeSignalWatcher {
  readonly signal: number;
  /** false once closed. */
  readonly active: boolean;
  /** Stops watching; idempotent. With no watcher left, libuv restores the signal's default action. */
  close(): void;
}

export interface NativeRtnlCounters {
  /** Datagrams read. */
  readonly received: number;
  /** ENOBUFS reads: the receive buffer overflowed and the kernel dropped messages. */
  readonly overflows: number;
  /** Datagrams larger than the read buffer (lost, reported as EMSGSIZE). */
  readonly truncated: number;
}

/**
 * An rtnetlink socket polled by libuv (native/src/rtnetlink.h). The callback gets each wake-up's
 * datagrams back to back (`data`), or an error (`ENOBUFS`: messages were lost; the socket stays open).
 */
export interface NativeRtnlSocket {
  /** -1 once closed. */
  readonly fd: number;
  /** The port id the kernel bound it to (0 once closed). */
  readonly portId: number;
  /** Writes complete netlink messages to the kernel; throws an errno error. */
  send(message: Uint8Array): void;
  /** Whether the socket keeps the event loop alive (default: it does). */
  ref(): void;
  unref(): void;
  counters(): NativeRtnlCounters;
  /** Idempotent; no callback after it. */
  close(): void;
}

/** A claim for a watched address heard on the link (native/src/claim_watch.h). */
export interface NativeClaim {
  readonly family: 4 | 6;
  /** An ARP reply, or a solicited NA. */
  readonly reply: boolean;
  readonly address: string;
  readonly mac: string;
  /** Another address of the claimant, when the frames named one. */
  readonly sender?: string;
}

/** An AF_PACKET socket on one interface with a kernel filter passing only ARP and NA frames not sent by this host. */
export interface NativeClaimWatch {
  /** The addresses whose claims are reported (replaces the last list). */
  setAddresses(addresses: readonly string[]): void;
  /** One RFC 5227 ARP probe (IPv4) or DAD Neighbor Solicitation (IPv6) per address; returns frames sent. */
  probe(addresses: readonly string[]): number;
  /** Frames the filter passed, and claims reported. */
  /**
   * Frames read, claims passed on, socket errors the poll reported (a link going down; never fatal),
   * and whether polling stopped for good because the descriptor was gone.
   */
  counters(): {
    readonly frames: number;
    readonly claims: number;
    readonly socketErrors: number;
    readonly stopped: boolean;
  };
  unref(): void;
  /** Idempotent; no callback after it. */
  close(): void;
}

export interface VrrpNativeAddon {
  readonly ClaimWatch: new (
    options: { readonly interface: string },
    callback: (claims: readonly NativeClaim[]) => void,
  ) => NativeClaimWatch;
  /**
   * Starts `argv` in a process group of its own (clone with CLONE_VM | CLONE_VFORK on a threadpool
   * thread, stdio /dev/null), optionally as `uid` / `gid`. `onStarted` gets its pid, or the errno
   * error that kept it from starting (ENOENT, EACCES; ENOSYS without pidfd); `onExit` the exit code
   * or the signal number.
   */
  spawnCommand(
    options: { readonly argv: readonly string[]; readonly uid?: number; readonly gid?: number },
    onStarted: (error: SystemError | null, pid: number | null) => void,
    onExit: (code: number | null, signal: number | null) => void,
  ): void;
  readonly RtnlSocket: new (
    options: {
      readonly groups?: readonly number[];
      readonly receiveBufferBytes?: number;
      readonly receiveBufferForce?: boolean;
    },
    callback: (error: SystemError | null, data: Buffer | null) => void,
  ) => NativeRtnlSocket;
  readonly VrrpSocket: new (options: { family: 4 | 6; interface: string }) => NativeVrrpSocket;
  sendGratuitousArp(options: NativeAnnounceOptions): number;
  sendUnsolicitedNa(options: NativeNaOptions): number;
  /** All addresses' frames for one interface in as few sendmmsg calls as fit, on a cached AF_PACKET socket. */
  sendAnnouncements(options: NativeAnnouncementsOptions): NativeAnnouncementsResult;
  /**
   * A whole Ethernet frame (IPv6 to the all-nodes MAC only: a Router Advertisement built by
   * src/wire/router-advert.ts) `count` times on the same cached socket; throws the first failure.
   */
  sendAllNodesFrame(options: {
    readonly interface: string;
    readonly frame: Uint8Array;
    readonly count?: number;
  }): number;
  /** ifindexes of the cached AF_PACKET sockets (diagnostics, tests). */
  announceSockets(): number[];
  readonly PreciseTimer: new (callback: (takeoverSent: boolean) => void) => NativePreciseTimer;
  /** Started at once; throws EINVAL (uv_signal_start) for SIGKILL / SIGSTOP, TypeError for a non-signal. */
  readonly SignalWatcher: new (
    signal: number,
    callback: (signal: number) => void,
    options?: { readonly sendPartingFirst?: boolean },
  ) => NativeSignalWatcher;
  /** SIGRTMIN and SIGRTMAX as the C library defines them at run time. */
  realtimeSignals(): { readonly min: number; readonly max: number };
  /** The interface's index (if_nametoindex), synchronously; ENODEV when there is no such interface. */
  interfaceIndex(name: string): number;
  /** open(path) and setns(fd, CLONE_NEWNET) for the calling thread (src/linux/netns.ts). */
  enterNetNamespace(path: string): void;
  /** unshare(CLONE_NEWNS) for the calling thread, every mount made a slave, `source` bound on `target`. */
  privateRunMount(source: string, target: string): void;
  /** umount(target). */
  unmount(target: string): void;
  /** execve(file, argv, env): returns only by throwing the errno error. */
  execProcess(file: string, argv: readonly string[], env: readonly string[]): never;
  /**
   * keepalived's linkbeat probes by ioctl: 'mii' (the PHY's BMSR link bit), 'ethtool' (ETHTOOL_GLINK),
   * 'flags' (IFF_UP and IFF_RUNNING; -1 for ENODEV). 1 up, 0 down, -1 the driver does not answer.
   */
  linkbeatProbe(name: string, kind: 'mii' | 'ethtool' | 'flags'): number;
  /** SCHED_RR | SCHED_RESET_ON_FORK at `priority` for the calling thread (sched_setscheduler(0)). */
  setRealtime(priority: number): void;
  /** setpriority(PRIO_PROCESS, 0, nice): the calling thread on Linux. */
  setNice(nice: number): void;
  /** sched_setaffinity(0, cpus) for the calling thread. */
  setCpuAffinity(cpus: readonly number[]): void;
  /**
   * setrlimit(RLIMIT_RTTIME, { softUs, hardUs }), after installing (once) the SIGXCPU handler that puts
   * the SCHED_RR threads back to SCHED_OTHER at the soft limit (the previous handler still runs).
   */
  setRealtimeLimit(softUs: number, hardUs: number): void;
  /** How many times SIGXCPU has demoted the SCHED_RR threads (setRealtimeLimit's handler). */
  realtimeDemotions(): number;
  /**
   * vrrp_no_swap for the native advert path (native/src/memory_lock.h): mlock2(MLOCK_ONFAULT) of every
   * file mapping, the main stack, the malloc heap (followed as it grows) and the advert sender's stack.
   * Throws a SystemError (code EPERM / ENOMEM without CAP_IPC_LOCK) after unlocking again.
   */
  lockMemory(): { readonly lockedBytes: number; readonly mappings: number };
  /** What lockMemory keeps doing: heap extensions locked (and refused), sender stacks locked. */
  memoryLockStatus(): {
    readonly enabled: boolean;
    readonly heapExtensions: number;
    readonly heapExtensionFailures: number;
    readonly threadStacks: number;
  };
  /** prctl(PR_GET_CHILD_SUBREAPER); with an argument, PR_SET_CHILD_SUBREAPER first. */
  childSubreaper(enable?: boolean): boolean;
  /** Reaps exited children that no libuv process handle of this thread's loop watches (orphan-reaper.ts). */
  reapOrphans(): NativeReapedChild[];
  /** The engine is alive: the periodic adverts' watchdog restarts its clock. */
  periodicCheckIn(): void;
  /** [key, sent, watchdogTrips, skipped, ...] for every periodic schedule key armed and not forgotten. */
  periodicCounters(): number[];
  /** Disarms schedule `key` and drops its counters. */
  periodicForget(key: number): void;
  /** SCHED_RR at `priority` for the periodic advert sender thread (0: SCHED_OTHER). */
  setPeriodicRealtime(priority: number): void;
  /** Replaces the takeover kit's content (native/src/takeover_kit.h); disarms it until takeoverKitArm. */
  takeoverKitPrepare(kit: NativeTakeoverKit): void;
  /** The expiry of PreciseTimer `timerId` (after its takeover adverts left) fires the kit; 0 disarms. */
  takeoverKitArm(timerId: number): void;
  /** The last firing's outcome, once (undefined: none since the last call). */
  takeoverKitReport(): NativeTakeoverKitReport | undefined;
  /** Sends the prepared RTM_DELADDR of these requests; errno per index (0 removed, -1 no answer). */
  takeoverKitRollback(indexes: readonly number[]): number[];
  takeoverKitCounters(): { readonly fired: number; readonly skipped: number };
  /** The kit's socket receive buffer (vrrp_netlink_cmd_rcv_bufs): SO_RCVBUFFORCE first when `force`. */
  takeoverKitReceiveBuffer(bytes: number, force: boolean): void;
}

/** What the takeover kit does at a takeover expiry: VIP adds, then their first announcements. */
export interface NativeTakeoverKit {
  /** One RTM_NEWADDR (`add`) and its RTM_DELADDR (`remove`) each; the kit sets the sequence numbers. */
  readonly requests: readonly { readonly add: Uint8Array; readonly remove: Uint8Array; readonly interface: string }[];
  /** sendAnnouncements options, with per address the index of the request it waits for (-1: none). */
  readonly announcements: readonly (NativeAnnouncementsOptions & { readonly requests: readonly number[] })[];
}

export interface NativeTakeoverKitReport {
  /** Per request: 0 added, the kernel's errno (EEXIST: already there), -1 no answer. */
  readonly results: readonly number[];
  /** Frames sent, per announcement. */
  readonly sent: readonly number[];
  /** Frames the kernel refused: announcement index, address index in it, errno. */
  readonly failures: readonly { readonly announcement: number; readonly address: number; readonly errno: number }[];
}

/** An adopted orphan reaped by reapOrphans: its exit code, or the signal that ended it. */
export interface NativeReapedChild {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: number | null;
}

const ADDON_RELATIVE_PATH = join('native', 'build', 'Release', 'vrrp_native.node');

let cached: VrrpNativeAddon | undefined;

/**
 * The package root holding native/build: this file runs from dist/src/linux (compiled) or src/linux
 * (a TypeScript loader), so walk up rather than assume a depth.
 */
function candidatePaths(): string[] {
  const paths: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    paths.push(join(dir, ADDON_RELATIVE_PATH));
    const parent = resolve(dir, '..');
    if (parent === dir) break;
    dir = parent;
  }
  return paths;
}

/** Loads the addon once. Throws an Error with code ERR_VRRP_NATIVE_MISSING when it was never built. */
export function loadNative(): VrrpNativeAddon {
  if (cached) return cached;
  const override = process.env.VRRP_NATIVE_ADDON;
  const paths = override ? [override] : candidatePaths();
  const found = paths.find((path) => existsSync(path));
  if (!found) {
    throw codedError(
      'ERR_VRRP_NATIVE_MISSING',
      `vrrp_native.node is not built (looked in: ${paths.join(', ')}). ` +
        'Build it with `npm ci` or `npx node-gyp rebuild --directory native` ' +
        '(needs g++, make, python3 and the Node headers; npm config nodedir points at them).',
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(found) as VrrpNativeAddon;
  return cached;
}
