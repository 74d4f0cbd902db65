// What startLinuxEngine hands back and takes: the handle of a running Linux runtime, what its apply
// did, and the start options.

import type { RouterSnapshot, VirtualRouterConfig } from '../core/types.js';
import type { Engine } from '../engine/engine.js';
import type { EngineCounters } from '../engine/events.js';
import type { LinuxEngineInput } from '../model/runtime-input.js';
import type { FollowedLinks } from './followed-links.js';
import type { ConflictReport } from './vip-conflicts.js';

/**
 * Link state as the routers see it (after interface_up_down_delays, or polled: followed-links.ts)
 * and its `link` / `linkRemoved` events.
 */
export type RuntimeLinks = Pick<FollowedLinks, 'isUp' | 'on' | 'off' | 'once'>;

/** What `apply` did, by router name. */
export interface ApplyResult {
  /** Same settings (and VipSpecs): not touched. */
  readonly unchanged: readonly string[];
  /** Same name, interface, VRID, family and version (and VMAC): new settings applied in place, state kept. */
  readonly reconfigured: readonly string[];
  /** Same name, another identity: removed (released) and added again. */
  readonly replaced: readonly string[];
  readonly added: readonly string[];
  /** Released: a Master sent its priority-0 advert and removed its VIPs. */
  readonly removed: readonly string[];
  /** Could not start with its new settings: a router already running keeps its old ones. */
  readonly failed: readonly { readonly name: string; readonly error: Error }[];
}

export interface ApplyOptions {
  /**
   * Runs after the routers changed, in the same turn of the apply queue: what the caller keeps beside
   * the routers (vrrpd's checks and notify scripts) changes with them, before a queued stop runs and
   * while stop adverts stay unarmed. A throw rejects `apply` (the routers have changed).
   */
  readonly afterApply?: (result: ApplyResult) => void | Promise<void>;
}

export interface StopOptions {
  /**
   * false: keepalived -V. The routers are left as they are (VIPs in place, no priority-0 advert, sockets
   * open) for a process about to exit; only the queued applies are waited for. Default true.
   */
  readonly release?: boolean;
}

export interface LinuxEngineHandle {
  readonly engine: Engine;
  /** The routers running now (validated, primary addresses filled in), in the order they were added. */
  readonly routers: readonly VirtualRouterConfig[];
  /** The links as the routers see them (the track_interface checks follow these). */
  readonly links: RuntimeLinks;
  /**
   * Changes the routers to `next` (its logger is ignored: the runtime keeps its own). Validates all of
   * it first: a mistake rejects with ConfigError and changes nothing. Then, by router name: removed
   * ones are released, added ones started (sockets, VMAC, leftover VIPs), changed ones reconfigured in
   * place when their identity is the same, otherwise replaced. Calls run one at a time, and a stop
   * waits for those queued before it.
   */
  apply(next: LinuxEngineInput, options?: ApplyOptions): Promise<ApplyResult>;
  /**
   * Graceful: priority-0 adverts from Masters, VIPs removed, sockets and watcher closed. Waits for the
   * applies queued before it; later ones are refused. Idempotent: the first call's options decide.
   */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Whether a stop signal may send the Masters' priority-0 adverts from the addon at once, before
   * JavaScript runs (the runners' StopSignals; VrrpRawSocket.setParting). Off until a runner turns it
   * on: only a runner whose stop follows its stop signal at once, and releases (not keepalived's -V),
   * should. While an apply() is queued or running it is off by itself (a stop would wait for it, and
   * a Master would meanwhile advertise again after its priority 0).
   */
  armStopAdverts(on: boolean): void;
  snapshot(): RouterSnapshot[];
  counters(): EngineCounters;
  /** Address conflicts (split brain) open now, and the counts since start (src/daemon/vip-conflicts.ts). */
  conflicts(): ConflictReport;
}

export interface StartOptions {
  /**
   * Called once the runtime is set up (sockets open, leftovers removed, links read), just before the
   * engine starts: listeners added here see the startup transitions (keepalived runs notify_backup for
   * them), and inputs given here (a check failing from the start, keepalived's init_fail) are what the
   * routers start with. A throw or rejection undoes the set-up and rejects startLinuxEngine.
   */
  readonly beforeStart?: (handle: LinuxEngineHandle) => void | Promise<void>;
  /**
   * Aborted while starting: startLinuxEngine undoes what it did and rejects with the signal's reason
   * (checked between its steps). Aborted later: the handle stops, as handle.stop() does.
   */
  readonly signal?: AbortSignal | undefined;
}
