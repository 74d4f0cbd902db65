// PID 1's duty Node does not do: reaping orphans. In a container the program is PID 1, and every
// process whose parent dies is re-parented to it: a check script that backgrounds a `sleep`, a notify
// script's daemon. Unreaped, each stays a zombie holding a pid until the pod dies.
//
// Why not waitpid(-1): libuv reaps the children it spawned (child_process: the script runner, the link
// helper, iptables) with waitpid(pid) and only then reports their exit; a blind waitpid(-1) could take
// such a status first, and that child_process would never see its child exit. So the addon
// (native/src/orphan_reaper.cc) peeks with waitid(P_ALL, WNOWAIT) at one exited child, reaps it with
// waitpid(pid) only if no uv_process_t handle of the main loop has that pid, and stops at the first one
// that does (libuv reaps that one on the same SIGCHLD; the next tick looks again). The handle set is
// exact: libuv registers a child's handle in uv_spawn, on the main thread, before the child can exit and
// be seen here, and both run on the main thread. bin/ipfailover spawns nothing from worker threads, whose
// loops this does not see; a program that does must not use this.
//
// Armed only where orphans come to us: when the process is PID 1 (of its pid namespace) or a child
// subreaper. Elsewhere init or the subreaper above us reaps them, and this stays off.

import type { RuntimeLogger } from '../model/logger.js';
import { loadNative, type NativeReapedChild } from './native.js';

/** How often to look even without a SIGCHLD: one can be missed while a libuv child blocks the peek. */
export const REAP_INTERVAL_MS = 1000;

export interface OrphanReaper {
  /** Orphans reaped since start. */
  readonly reaped: number;
  /** Looks now (also runs on every SIGCHLD and every REAP_INTERVAL_MS). */
  reapNow(): readonly NativeReapedChild[];
  stop(): void;
}

export interface OrphanReaperOptions {
  readonly logger: RuntimeLogger;
  /** Arm even when neither PID 1 nor a subreaper (tests). */
  readonly force?: boolean;
  readonly intervalMs?: number;
}

/** Why orphans are ours to reap here, or undefined when they are not. */
export function orphanReaperReason(
  isSubreaper: () => boolean = () => loadNative().childSubreaper(),
): string | undefined {
  if (process.pid === 1) return 'pid 1';
  return isSubreaper() ? 'child subreaper' : undefined;
}

/** Starts reaping adopted orphans when this process is PID 1 or a subreaper; undefined otherwise. */
export function startOrphanReaper(options: OrphanReaperOptions): OrphanReaper | undefined {
  const reason = options.force === true ? 'forced' : orphanReaperReason();
  if (reason === undefined) return undefined;
  const native = loadNative();
  let reaped = 0;
  const reapNow = (): readonly NativeReapedChild[] => {
    let children: NativeReapedChild[];
    try {
      children = native.reapOrphans();
    } catch (error) {
      options.logger.warn(
        { event: 'orphanReaper', action: 'error', error: (error as Error).message },
        `reaping orphans failed: ${(error as Error).message}`,
      );
      return [];
    }
    reaped += children.length;
    for (const child of children) {
      options.logger.debug({ event: 'orphanReaped', ...child, reaped }, `reaped orphan ${child.pid}`);
    }
    return children;
  };
  const onSignal = (): void => void reapNow();
  process.on('SIGCHLD', onSignal);
  const timer = setInterval(onSignal, options.intervalMs ?? REAP_INTERVAL_MS);
  timer.unref();
  options.logger.info({ event: 'orphanReaper', action: 'started', reason }, `reaping orphaned children (${reason})`);
  return {
    get reaped() {
      return reaped;
    },
    reapNow,
    stop() {
      clearInterval(timer);
      process.off('SIGCHLD', onSignal);
    },
  };
}
