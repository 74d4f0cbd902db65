// Signals Node's process.on() cannot take: the real-time ones (SIGRTMIN..SIGRTMAX), which keepalived
// uses for its JSON dump and for clearing its statistics. Watched by the addon's SignalWatcher
// (libuv's uv_signal_t on the JS thread's loop; see native/README.md).

import { loadNative, type NativeSignalWatcher } from './native.js';

/** SIGRTMIN and SIGRTMAX of this C library (glibc: 34 and 64). */
export function realtimeSignalRange(): { readonly min: number; readonly max: number } {
  return loadNative().realtimeSignals();
}

/**
 * keepalived 2.2.7's real-time signals (its signals.h): JSON = SIGRTMIN + 2 writes /tmp/keepalived.json,
 * STATS_CLEAR = SIGRTMAX - 1 writes /tmp/keepalived.stats and then clears the statistics.
 */
export function keepalivedRealtimeSignals(): { readonly JSON: number; readonly STATS_CLEAR: number } {
  const { min, max } = realtimeSignalRange();
  return { JSON: min + 2, STATS_CLEAR: max - 1 };
}

export interface SignalWatch {
  readonly signal: number;
  readonly active: boolean;
  close(): void;
}

/**
 * Calls `listener` on the JS thread each time `signal` arrives (signals that arrive together may be
 * delivered once, as with any signal). Never keeps the process alive. Until close(), the signal's
 * default action (for a real-time one: ending the process) is replaced. Failures are Node-style
 * errors: EINVAL from uv_signal_start for SIGKILL / SIGSTOP, a TypeError (ERR_INVALID_ARG_VALUE) for
 * a number that is no signal.
 */
export function watchSignal(
  signal: number,
  listener: (signal: number) => void,
  options: WatchSignalOptions = {},
): SignalWatch {
  const Watcher = loadNative().SignalWatcher;
  const watcher: NativeSignalWatcher = new Watcher(signal, listener, options);
  return watcher;
}

export interface WatchSignalOptions {
  /**
   * Before `listener` runs, send the parting adverts armed on this process's VRRP sockets (see
   * VrrpRawSocket.setParting): a stopping Master's priority-0 adverts leave straight from the
   * signal's wake-up, before any JavaScript, as keepalived's do.
   */
  readonly sendPartingFirst?: boolean;
}
