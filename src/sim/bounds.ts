// How long each invariant waits, derived from the RFC timer formulas and the scenario's worst case.

import { masterDownIntervalMs, skewMs } from '../core/timers.js';
import type { VirtualRouterConfig } from '../core/types.js';
import type { KeyBounds } from './invariants.js';
import type { LanSpec, Scenario } from './scenario.js';

/**
 * Invariant bounds of one key, from the RFC formulas with the worst case of everything the scenario can
 * do: priority 1 (the largest skew a priority change can produce), the slowest clock, the largest delay.
 */
export function boundsFor(
  configs: readonly VirtualRouterConfig[],
  lan: LanSpec,
  scenario: Scenario,
  maxAbsDriftPpm: number,
): KeyBounds {
  const driftFactor = 1 / (1 - maxAbsDriftPpm / 1e6);
  const latencies = [lan.latencyMs + lan.jitterMs];
  for (const event of scenario.events) {
    if (event.fault.kind === 'network' && event.fault.lan === lan.name) {
      latencies.push((event.fault.latencyMs ?? lan.latencyMs) + (event.fault.jitterMs ?? lan.jitterMs));
    }
  }
  const latencyBoundMs = Math.max(...latencies) + lan.reorderDelayMs;
  let worstDownMs = 0;
  let worstIntervalMs = 0;
  let worstPreemptDelayMs = 0;
  let worstSkewMs = 0;
  for (const config of configs) {
    const cs = config.advertIntervalCs;
    worstDownMs = Math.max(worstDownMs, masterDownIntervalMs(config.version, 1, cs));
    worstIntervalMs = Math.max(worstIntervalMs, cs * 10);
    worstPreemptDelayMs = Math.max(worstPreemptDelayMs, config.preemptDelayMs);
    worstSkewMs = Math.max(worstSkewMs, skewMs(config.version, 1, cs));
  }
  return {
    // After a disturbance: a Backup may time out (down interval) and the two Masters then meet on the
    // next advert (one interval plus the delay).
    graceMs: (worstDownMs + worstIntervalMs + latencyBoundMs) * driftFactor + 1,
    // Two Masters with no disturbance: only while a preempting Backup's first advert is in flight.
    resolveMs: latencyBoundMs * driftFactor + 1,
    // After healing: a down interval (plus preempt_delay and the advert that starts it) and the delay.
    // After a heal: the winner's next advert (one interval; Skew_Time if its side had to elect) reaches
    // the loser, whose step-down advert comes back and makes the winner re-announce (two delays).
    healMs: (worstIntervalMs + worstSkewMs + 2 * latencyBoundMs) * driftFactor + 1,
    livenessMs:
      (worstDownMs + latencyBoundMs + (worstPreemptDelayMs > 0 ? worstPreemptDelayMs + worstIntervalMs : 0)) *
        driftFactor +
      1,
  };
}
