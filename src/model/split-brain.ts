// What the runtime does about split brain on the link (issue 16): watch who claims our virtual
// addresses, probe them (opt-in), and how a Master resists another holder. Plain settings with the
// checks every reader uses; the watching is src/daemon/vip-conflicts.ts.

import { ConfigError } from './config-error.js';
import { unknownKeyMessage } from './known-keys.js';

export interface SplitBrainSettings {
  /** Watch ARP / NA for claims of our addresses (default true; costs nothing on the advert path). */
  readonly detect?: boolean;
  /** A conflict ends when its other holder has been silent this long (ms; default 5000). */
  readonly quietMs?: number;
  /** A Master probes its own addresses (RFC 5227 ARP probe, DAD NS) this often (ms); default off. */
  readonly probeIntervalMs?: number;
  /** While a conflict lasts, a Master re-announces the address this often (ms; default 1000; 0: never). */
  readonly resistIntervalMs?: number;
  /**
   * Step down: after this many claims in one conflict the Master goes to Fault, for quietMs after the
   * last claim (default off: keep the address and keep announcing).
   */
  readonly faultAfterClaims?: number;
}

export const SPLIT_BRAIN_DEFAULTS = {
  detect: true,
  quietMs: 5000,
  probeIntervalMs: 0,
  resistIntervalMs: 1000,
  faultAfterClaims: 0,
} as const satisfies Required<SplitBrainSettings>;

const KEYS = Object.keys(SPLIT_BRAIN_DEFAULTS);
/** Bounds (ms): below 100 a probe or re-announcement floods the link; a day is plenty. */
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 86_400_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function interval(value: unknown, field: string, zeroAllowed: boolean): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'number' &&
    Number.isInteger(value) &&
    ((zeroAllowed && value === 0) || (value >= MIN_INTERVAL_MS && value <= MAX_INTERVAL_MS));
  if (!ok) {
    throw new ConfigError(
      field,
      `must be an integer number of ms from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}${zeroAllowed ? ' (or 0: off)' : ''}, got ${JSON.stringify(value)}`,
    );
  }
}

/** Checks the JSON `splitBrain` object (unknown fields are errors); throws ConfigError naming the field. */
export function checkSplitBrain(value: unknown, field = 'splitBrain'): asserts value is SplitBrainSettings {
  if (!isRecord(value)) throw new ConfigError(field, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!KEYS.includes(key)) throw new ConfigError(`${field}.${key}`, unknownKeyMessage(key, KEYS));
  }
  if (value.detect !== undefined && typeof value.detect !== 'boolean')
    throw new ConfigError(`${field}.detect`, `must be true or false, got ${JSON.stringify(value.detect)}`);
  interval(value.quietMs, `${field}.quietMs`, false);
  interval(value.probeIntervalMs, `${field}.probeIntervalMs`, true);
  interval(value.resistIntervalMs, `${field}.resistIntervalMs`, true);
  const after = value.faultAfterClaims;
  if (
    after !== undefined &&
    !(typeof after === 'number' && Number.isInteger(after) && after >= 0 && after <= 1_000_000)
  )
    throw new ConfigError(
      `${field}.faultAfterClaims`,
      `must be an integer from 0 (off) to 1000000, got ${JSON.stringify(after)}`,
    );
}

/** The settings with every default filled in. */
export function splitBrainSettings(value: SplitBrainSettings | undefined): Required<SplitBrainSettings> {
  return { ...SPLIT_BRAIN_DEFAULTS, ...value };
}
