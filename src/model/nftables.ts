// The nftables table that enforces accept mode off (RFC 9568 6.4.3): its name, its chains' hook
// priority and whether its rules count, as keepalived 2.2.7's `nftables`, `nftables_priority`,
// `nftables_counters` and `nftables_ifindex` set them. Plain settings with the check every reader
// uses; the table itself is src/linux/accept-mode-firewall.ts.

import { ConfigError } from './config-error.js';
import { unknownKeyMessage } from './known-keys.js';

export interface NftablesSettings {
  /**
   * The table's name, used for an `ip` and an `ip6` table as keepalived does. Default
   * `vrrp_engine_accept` (bin/vrrpd: `keepalived`, keepalived's own default).
   */
  readonly table?: string;
  /** The hook priority of the `in` and `out` base chains (default -1, keepalived's). */
  readonly priority?: number;
  /** A counter in every rule (keepalived's nftables_counters; default false). */
  readonly counters?: boolean;
  /**
   * keepalived's nftables_ifindex: link-local VIPs are always keyed by interface index, never by
   * name (default false: by name only for a router that does not track its interface, as keepalived).
   */
  readonly ifindex?: boolean;
}

export const NFTABLES_DEFAULTS = {
  table: 'vrrp_engine_accept',
  priority: -1,
  counters: false,
  ifindex: false,
} as const satisfies Required<NftablesSettings>;

/** keepalived's table name for accept mode when `nftables` names none (or when it is not given at all). */
export const KEEPALIVED_NFTABLES_TABLE = 'keepalived';

/** The kernel's NFT_TABLE_MAXNAMELEN is 256 bytes with the terminating NUL. */
export const MAX_TABLE_NAME_BYTES = 255;

const KEYS = Object.keys(NFTABLES_DEFAULTS);
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why `name` cannot name a table, or undefined. Any other text goes to nft as a JSON string, never parsed. */
export function tableNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.includes('\0')) return 'must not contain a NUL character';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_TABLE_NAME_BYTES) return `must be at most ${MAX_TABLE_NAME_BYTES} bytes, got ${bytes}`;
  return undefined;
}

/** Checks the JSON `nftables` object (unknown fields are errors); throws ConfigError naming the field. */
export function checkNftables(value: unknown, field = 'nftables'): asserts value is NftablesSettings {
  if (!isRecord(value)) throw new ConfigError(field, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!KEYS.includes(key)) throw new ConfigError(`${field}.${key}`, unknownKeyMessage(key, KEYS));
  }
  if (value.table !== undefined) {
    const problem = typeof value.table === 'string' ? tableNameProblem(value.table) : 'must be a string';
    if (problem !== undefined) throw new ConfigError(`${field}.table`, problem);
  }
  const priority = value.priority;
  if (
    priority !== undefined &&
    !(typeof priority === 'number' && Number.isInteger(priority) && priority >= INT32_MIN && priority <= INT32_MAX)
  )
    throw new ConfigError(
      `${field}.priority`,
      `must be an integer from ${INT32_MIN} to ${INT32_MAX}, got ${JSON.stringify(priority)}`,
    );
  for (const flag of ['counters', 'ifindex'] as const) {
    if (value[flag] !== undefined && typeof value[flag] !== 'boolean')
      throw new ConfigError(`${field}.${flag}`, `must be true or false, got ${JSON.stringify(value[flag])}`);
  }
}

/** The settings with every default filled in. */
export function nftablesSettings(value: NftablesSettings | undefined): Required<NftablesSettings> {
  return { ...NFTABLES_DEFAULTS, ...value };
}

/**
 * What a reload would change in the running tables: keepalived refuses a reload that renames them
 * ("Cannot change nftables table name at a reload"); the other settings shape tables already made, so
 * they wait for a restart.
 */
export function nftablesReloadChange(
  running: NftablesSettings | undefined,
  next: NftablesSettings | undefined,
): 'none' | 'table' | 'settings' {
  const [a, b] = [nftablesSettings(running), nftablesSettings(next)];
  if (a.table !== b.table) return 'table';
  return a.priority === b.priority && a.counters === b.counters && a.ifindex === b.ifindex ? 'none' : 'settings';
}
