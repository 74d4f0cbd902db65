// The VRRP sockets' receive buffer, as keepalived's vrrp_rx_bufs_policy, vrrp_rx_bufs_multiplier and
// kernel_rx_buf_size size it. Each socket (one per interface and family here) gets the sum, over the
// routers on it, of: the router's own `receiveBufferBytes` (kernel_rx_buf_size) if set, else the
// policy's share: a fixed size, `multiplier` adverts of the router, or `multiplier` times the
// interface's MTU. No policy and no router setting: the kernel's default (net.core.rmem_default).
// The kernel caps what is asked at net.core.rmem_max and reports twice what it took.

import { ConfigError } from './config-error.js';
import { unknownKeyMessage } from './known-keys.js';
import type { VirtualRouterConfig } from '../core/types.js';

/** keepalived's default vrrp_rx_bufs_multiplier. */
export const DEFAULT_RX_BUFS_MULTIPLIER = 3;

export type ReceiveBufferPolicy =
  | { readonly policy: 'mtu' | 'advert'; readonly multiplier?: number }
  | { readonly policy: 'bytes'; readonly bytes: number };

const POLICY_FIELDS: readonly string[] = ['policy', 'multiplier', 'bytes'];
/** SO_RCVBUF takes an int. */
const MAX_BYTES = 2 ** 31 - 1;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_BYTES;
}

/** Checks the JSON `receiveBuffers` object; throws ConfigError naming the field. */
export function checkReceiveBufferPolicy(
  value: unknown,
  field = 'receiveBuffers',
): asserts value is ReceiveBufferPolicy {
  if (!isRecord(value)) throw new ConfigError(field, 'must be an object with a "policy"');
  for (const key of Object.keys(value)) {
    if (!POLICY_FIELDS.includes(key)) throw new ConfigError(`${field}.${key}`, unknownKeyMessage(key, POLICY_FIELDS));
  }
  const { policy, multiplier, bytes } = value;
  if (policy === 'bytes') {
    if (!isByteCount(bytes))
      throw new ConfigError(
        `${field}.bytes`,
        `must be a whole number from 1 to ${MAX_BYTES}, got ${JSON.stringify(bytes)}`,
      );
    if (multiplier !== undefined)
      throw new ConfigError(`${field}.multiplier`, 'applies to the "mtu" and "advert" policies only');
    return;
  }
  if (policy !== 'mtu' && policy !== 'advert')
    throw new ConfigError(`${field}.policy`, `must be "mtu", "advert" or "bytes", got ${JSON.stringify(policy)}`);
  if (bytes !== undefined) throw new ConfigError(`${field}.bytes`, 'applies to the "bytes" policy only');
  if (
    multiplier !== undefined &&
    !(Number.isInteger(multiplier) && (multiplier as number) >= 1 && (multiplier as number) <= 1_000_000)
  )
    throw new ConfigError(
      `${field}.multiplier`,
      `must be a whole number from 1 to 1000000, got ${JSON.stringify(multiplier)}`,
    );
}

/** A router's `receiveBufferBytes` (keepalived kernel_rx_buf_size), checked; left out when not set. */
export function routerReceiveBuffer(value: unknown, field: string): { receiveBufferBytes?: number } {
  if (value === undefined) return {};
  if (!isByteCount(value))
    throw new ConfigError(
      field,
      `must be a whole number of bytes from 1 to ${MAX_BYTES}, got ${JSON.stringify(value)}`,
    );
  return { receiveBufferBytes: value };
}

/** keepalived's vrrp_adv_len: the VRRP packet, plus the IPv4 header (an IPv6 socket reads no IP header). */
export function advertLength(router: VirtualRouterConfig): number {
  const addressBytes = router.family === 4 ? 4 : 16;
  const auth = router.version === 2 ? 8 : 0;
  const ipHeader = router.family === 4 ? 20 : 0;
  return ipHeader + 8 + router.virtualAddresses.length * addressBytes + auth;
}

/**
 * The receive buffer to ask for on one socket, or undefined for the kernel's default. `mtuOf` gives
 * the interface's MTU (only read under the "mtu" policy).
 */
export function socketReceiveBuffer(
  routers: readonly VirtualRouterConfig[],
  policy: ReceiveBufferPolicy | undefined,
  mtuOf: (iface: string) => number,
): number | undefined {
  let total = 0;
  for (const router of routers) {
    const bytes = router.receiveBufferBytes;
    if (bytes !== undefined) total += bytes;
    else if (policy?.policy === 'bytes') total += policy.bytes;
    else if (policy?.policy === 'advert')
      total += (policy.multiplier ?? DEFAULT_RX_BUFS_MULTIPLIER) * advertLength(router);
    else if (policy?.policy === 'mtu')
      total += (policy.multiplier ?? DEFAULT_RX_BUFS_MULTIPLIER) * mtuOf(router.interface);
  }
  return total === 0 ? undefined : Math.min(total, MAX_BYTES);
}
