// A TimePort with sub-millisecond deadlines for the Linux runtime: the same monotonic clock as
// systemTime() (performance.now(), CLOCK_MONOTONIC underneath), but deadlines kept by the addon's
// timerfd (native/src/precise_timer.cc) instead of setTimeout, whose millisecond loop clock and
// rounding made every takeover and handover about 2 ms late.
//
// One native timer per TimePort (the runtime makes one); it keeps the process alive only while a
// deadline is pending, as a pending setTimeout would. A daemon stays up through its sockets anyway.

import { performance } from 'node:perf_hooks';
import type { TimePort, TimerExpiry } from '../engine/ports.js';
import { loadNative, type NativePreciseTimer } from './native.js';
import { takeoverKit } from './takeover-kit.js';

/**
 * CLOCK_MONOTONIC in ms minus performance.now(): a constant, since Node computes performance.now()
 * from uv_hrtime (CLOCK_MONOTONIC) less the process's time origin. Measured once, between two reads.
 */
const MONOTONIC_MINUS_NOW_MS = (() => {
  const before = performance.now();
  const monotonicMs = Number(process.hrtime.bigint()) / 1e6;
  const after = performance.now();
  return monotonicMs - (before + after) / 2;
})();

/** A CLOCK_MONOTONIC time in ms (e.g. a kernel receive stamp from the addon) on the TimePort's clock. */
export function monotonicToNowMs(monotonicMs: number): number {
  return monotonicMs - MONOTONIC_MINUS_NOW_MS;
}

/** A time on the TimePort's clock (performance.now()) as CLOCK_MONOTONIC ms, for the addon. */
export function nowMsToMonotonic(nowMs: number): number {
  return nowMs + MONOTONIC_MINUS_NOW_MS;
}

let latenessObserver: ((latenessMs: number) => void) | undefined;

/**
 * `observer` hears, for every expiry a PreciseTimePort delivers, how late (ms) it is delivered against
 * the deadline it was armed for: the engine's one timer, keepalived's "earliest timer", the measure of
 * max_auto_priority (src/linux/auto-priority.ts). undefined stops it. It must not throw.
 */
export function observeTimerLateness(observer: ((latenessMs: number) => void) | undefined): void {
  latenessObserver = observer;
}

/** The engine's TimePort on Linux, and the id that names its timer to VrrpRawSocket.setTakeover. */
export interface PreciseTimePort extends TimePort {
  /** Created on first use (an idle timer polls nothing and holds the process by nothing). */
  readonly timerId: number;
}

export function preciseTime(): PreciseTimePort {
  let timer: NativePreciseTimer | undefined;
  let pending: { readonly atMs: number; readonly onDeadline: (expiry?: TimerExpiry) => void } | undefined;
  const nowMs = () => performance.now();

  const armFor = (atMs: number): void => {
    // ceil: never ask for less than what is left. performance.now() and the timerfd read the same clock.
    timer!.arm(Math.max(0, Math.ceil((atMs - nowMs()) * 1e6)));
  };

  const onExpiry = (takeoverSent: boolean): void => {
    if (!takeoverSent) {
      deliver(false);
      return;
    }
    // The addon's takeover kit may have added VIPs and announced them after the adverts: the
    // engine's calls of this expiry learn that (collect), and what they did not claim is taken back.
    takeoverKit.collect(timer!.id);
    try {
      deliver(true);
    } finally {
      takeoverKit.settle();
    }
  };

  const deliver = (takeoverSent: boolean): void => {
    const due = pending;
    if (due === undefined) return;
    // The timerfd cannot expire before the delay asked for, but performance.now() is a double in ms:
    // should it still read a hair short of atMs, re-arm for the remainder rather than lose the deadline
    // (the engine treats an early call as a no-op). Not once takeover adverts have left: the engine
    // must act on this expiry.
    const now = nowMs();
    if (!takeoverSent && now < due.atMs) {
      armFor(due.atMs);
      return;
    }
    pending = undefined;
    latenessObserver?.(now - due.atMs);
    due.onDeadline(takeoverSent ? { takeoverSent } : undefined);
  };

  const setTimer = (atMs: number | undefined, onDeadline: (expiry?: TimerExpiry) => void): void => {
    if (atMs === undefined) {
      pending = undefined;
      timer?.disarm();
      return;
    }
    timer ??= new (loadNative().PreciseTimer)(onExpiry);
    pending = { atMs, onDeadline };
    armFor(atMs);
  };

  return {
    nowMs,
    setTimer,
    get timerId(): number {
      timer ??= new (loadNative().PreciseTimer)(onExpiry);
      return timer.id;
    },
  };
}
