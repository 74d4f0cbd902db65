// A check's verdict as the core's `track` input for one router, with keepalived's weight rules.

import type { TrackSpec } from '../model/health-plan.js';
import type { CheckVerdict } from './check.js';

/** keepalived: a track_file product below -253 puts the instance in Fault. */
const FILE_FAULT_BELOW = -253;

export interface TrackInput {
  readonly kind: 'track';
  readonly name: string;
  readonly up: boolean;
  readonly weight: number;
}

/**
 * - up/down checks: weight > 0 adds while up, < 0 subtracts while down, 0 is Fault while down;
 *   `reverse` swaps the sense: a positive weight subtracts while up, a negative one adds while down,
 *   and weight 0 is Fault while up.
 * - file checks: the number times the weight (negated with `reverse`) is added; weight 0 means a
 *   non-zero number is Fault; a product below -253 is Fault.
 */
export function trackInput(track: TrackSpec, verdict: CheckVerdict): TrackInput {
  const name = track.check;
  if (verdict.value !== undefined) {
    if (track.weight === 0) return { kind: 'track', name, up: verdict.value === 0, weight: 0 };
    const product = verdict.value * track.weight * (track.reverse ? -1 : 1);
    if (product < FILE_FAULT_BELOW) return { kind: 'track', name, up: false, weight: 0 };
    return product < 0
      ? { kind: 'track', name, up: false, weight: product }
      : { kind: 'track', name, up: true, weight: product };
  }
  if (track.reverse) return { kind: 'track', name, up: !verdict.up, weight: -track.weight };
  return { kind: 'track', name, up: verdict.up, weight: track.weight };
}
