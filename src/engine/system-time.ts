// The real-time TimePort for a running daemon or an embedding program: a monotonic clock (never the
// wall clock, which NTP and operators move) and one Node timer re-armed as the engine asks.

import { performance } from 'node:perf_hooks';
import type { TimePort } from './ports.js';

/** Node's timers cannot wait longer than this (about 24.8 days); longer waits are re-armed on wake-up. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export function systemTime(): TimePort {
  let timer: NodeJS.Timeout | undefined;
  const nowMs = () => performance.now();
  const setTimer = (atMs: number | undefined, onDeadline: () => void): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (atMs === undefined) return;
    const delayMs = Math.max(0, atMs - nowMs());
    timer = setTimeout(
      () => {
        timer = undefined;
        // setTimeout may fire a little early on some platforms; the engine treats an early call as a no-op,
        // so re-arm rather than lose the deadline.
        if (nowMs() < atMs) setTimer(atMs, onDeadline);
        else onDeadline();
      },
      Math.min(delayMs, MAX_TIMER_DELAY_MS),
    );
  };
  return { nowMs, setTimer };
}
