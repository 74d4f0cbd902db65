// VRRP timer formulas (RFC 3768 6.1 for v2, RFC 5798 / RFC 9568 6.1 for v3), in milliseconds.
//
// Results may be fractional (v2 priority 100: Skew_Time = 156/256 s = 609.375 ms). Nothing here rounds:
// rounding the skew to whole seconds or centiseconds is a known bug class that makes every Backup of a
// group time out together, so the adapter's timer, not the formula, decides the resolution.

import type { VrrpVersion } from '../wire/types.js';

const MS_PER_CS = 10;
const MS_PER_S = 1000;

/**
 * Skew_Time in ms.
 * v2 (RFC 3768 6.1): (256 - Priority) / 256 seconds; the interval plays no part.
 * v3 (RFC 9568 6.1): ((256 - Priority) * Master_Adver_Interval) / 256 centiseconds.
 */
export function skewMs(version: VrrpVersion, priority: number, masterAdvertIntervalCs: number): number {
  if (version === 2) return ((256 - priority) * MS_PER_S) / 256;
  return ((256 - priority) * masterAdvertIntervalCs * MS_PER_CS) / 256;
}

/**
 * Master_Down_Interval in ms: 3 * Master_Adver_Interval + Skew_Time (both versions); `adverts` other
 * than 3 is keepalived's down_timer_adverts, outside the RFCs.
 */
export function masterDownIntervalMs(
  version: VrrpVersion,
  priority: number,
  masterAdvertIntervalCs: number,
  adverts = 3,
): number {
  return adverts * masterAdvertIntervalCs * MS_PER_CS + skewMs(version, priority, masterAdvertIntervalCs);
}

/** Advertisement_Interval in ms. */
export function advertIntervalMs(advertIntervalCs: number): number {
  return advertIntervalCs * MS_PER_CS;
}
