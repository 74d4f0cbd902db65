// The gap between gratuitous ARPs (and between unsolicited NAs) sent on one interface: keepalived's
// vrrp_garp_interval / vrrp_gna_interval (every interface) and garp_group (its interfaces, instead).
// Plain settings with the check every reader uses; the pacing itself is src/linux/announce-pacer.ts.

import { ConfigError } from './config-error.js';
import { unknownKeyMessage } from './known-keys.js';

/** Gaps in ms (fractions allowed: keepalived counts in µs); left out or 0: back to back. */
export interface AnnounceGaps {
  /** Between two gratuitous ARPs on the interface (keepalived garp_interval). */
  readonly arpIntervalMs?: number;
  /** Between two unsolicited Neighbor Advertisements on the interface (keepalived gna_interval). */
  readonly naIntervalMs?: number;
}

/** keepalived's garp_group: these interfaces take these gaps, not the defaults. */
export interface AnnounceGapGroup extends AnnounceGaps {
  readonly interfaces: readonly string[];
}

export interface AnnounceSpacing extends AnnounceGaps {
  readonly groups?: readonly AnnounceGapGroup[];
}

/** keepalived's bound: UINT_MAX µs. */
const MAX_GAP_MS = 4_294_967.295;
const GAP_KEYS = ['arpIntervalMs', 'naIntervalMs'];
const KEYS = [...GAP_KEYS, 'groups'];
const GROUP_KEYS = [...GAP_KEYS, 'interfaces'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, known: readonly string[], field: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new ConfigError(`${field}.${key}`, unknownKeyMessage(key, known));
  }
}

function checkGap(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_GAP_MS) {
    throw new ConfigError(field, `must be a number of ms from 0 to ${MAX_GAP_MS}, got ${JSON.stringify(value)}`);
  }
}

/** Checks the JSON `announceSpacing` object; throws ConfigError naming the field. */
export function checkAnnounceSpacing(value: unknown, field = 'announceSpacing'): asserts value is AnnounceSpacing {
  if (!isRecord(value)) throw new ConfigError(field, 'must be an object');
  checkKeys(value, KEYS, field);
  for (const key of GAP_KEYS) checkGap(value[key], `${field}.${key}`);
  if (value.groups === undefined) return;
  if (!Array.isArray(value.groups)) throw new ConfigError(`${field}.groups`, 'must be a list');
  const seen = new Set<string>();
  value.groups.forEach((group: unknown, index) => {
    const where = `${field}.groups[${index}]`;
    if (!isRecord(group)) throw new ConfigError(where, 'must be an object');
    checkKeys(group, GROUP_KEYS, where);
    for (const key of GAP_KEYS) checkGap(group[key], `${where}.${key}`);
    const { interfaces } = group;
    if (!Array.isArray(interfaces) || interfaces.length === 0)
      throw new ConfigError(`${where}.interfaces`, 'must be a non-empty list of interface names');
    interfaces.forEach((name: unknown, i) => {
      if (typeof name !== 'string' || name.length === 0 || name.length > 15 || /[\s/:]/.test(name))
        throw new ConfigError(`${where}.interfaces[${i}]`, `is not an interface name: ${JSON.stringify(name)}`);
      // keepalived keeps an interface's first group and ignores the later ones with an error.
      if (seen.has(name)) throw new ConfigError(`${where}.interfaces[${i}]`, `${name} is already in a group`);
      seen.add(name);
    });
  });
}

/**
 * The gap (ms, 0: none) between two announcements of `family` on `iface`: its group's if it has one
 * (a gap the group leaves out is none, as in keepalived), else the defaults.
 */
export function announceGapMs(spacing: AnnounceSpacing | undefined, iface: string, family: 4 | 6): number {
  if (spacing === undefined) return 0;
  // A group that sets neither gap is dropped by keepalived: its interfaces keep the defaults.
  const gaps =
    spacing.groups?.find(
      (group) =>
        group.interfaces.includes(iface) && (group.arpIntervalMs !== undefined || group.naIntervalMs !== undefined),
    ) ?? spacing;
  return (family === 4 ? gaps.arpIntervalMs : gaps.naIntervalMs) ?? 0;
}
