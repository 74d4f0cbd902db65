// vrrp_rx_bufs_policy, vrrp_rx_bufs_multiplier (global_defs) and kernel_rx_buf_size (vrrp_instance):
// the VRRP sockets' receive buffers (src/model/receive-buffers.ts), read as keepalived 2.2.7 reads them.

import type { ReceiveBufferPolicy } from '../../model/receive-buffers.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import { integerValue, readInteger } from './values.js';

const UINT_MAX = 4_294_967_295;

/** What the vrrp_rx_bufs_* statements set, in keepalived's terms: policy flags OR'ed across statements. */
export interface RxBufsGlobals {
  mtu?: boolean;
  advert?: boolean;
  bytes?: number;
  multiplier?: number;
}

/**
 * `vrrp_rx_bufs_policy MTU|ADVERT|NUMBER ...`. keepalived validates every numeric word by reading the
 * first word again, so `vrrp_rx_bufs_policy MTU 1000` is an error there and here; a size together
 * with a policy, or both policies, are errors too (the later one is ignored, as keepalived says).
 */
export function readRxBufsPolicy(statement: Statement, rx: RxBufsGlobals, diagnostics: DiagnosticList): void {
  if (statement.args.length === 0) {
    diagnostics.error(statement, 'vrrp_rx_bufs_policy missing: MTU, ADVERT or a size in bytes');
    return;
  }
  const first = statement.args[0]!;
  for (const word of statement.args) {
    const upper = word.text.toUpperCase();
    if (upper === 'MTU') rx.mtu = true;
    else if (upper === 'ADVERT') rx.advert = true;
    else {
      const bytes = /^\d+$/.test(first.text) ? Number(first.text) : Number.NaN;
      if (Number.isInteger(bytes) && bytes <= UINT_MAX) rx.bytes = bytes;
      else diagnostics.error(word, `invalid vrrp_rx_bufs_policy ${word.text}: MTU, ADVERT or a size in bytes`);
    }
  }
  if (rx.bytes !== undefined && (rx.mtu || rx.advert)) {
    diagnostics.error(statement, 'vrrp_rx_bufs_policy: a size and a policy cannot both be set (the policy is ignored)');
    rx.mtu = false;
    rx.advert = false;
  } else if (rx.mtu && rx.advert) {
    diagnostics.error(statement, 'vrrp_rx_bufs_policy: MTU and ADVERT cannot both be set (ADVERT is ignored)');
    rx.advert = false;
  }
}

export function readRxBufsMultiplier(statement: Statement, rx: RxBufsGlobals, diagnostics: DiagnosticList): void {
  const [word, extra] = statement.args;
  if (word === undefined || extra !== undefined) {
    diagnostics.error(statement, 'vrrp_rx_bufs_multiplier takes one number');
    return;
  }
  const multiplier = integerValue(word, 'vrrp_rx_bufs_multiplier', 1, UINT_MAX, diagnostics);
  if (multiplier !== undefined) rx.multiplier = multiplier;
}

/** `kernel_rx_buf_size BYTES`; 0 is keepalived's "not set" (the global policy applies). */
export function readKernelRxBufSize(statement: Statement, diagnostics: DiagnosticList): number | undefined {
  const bytes = readInteger(statement, 0, UINT_MAX, diagnostics);
  return bytes === 0 ? undefined : bytes;
}

/** The runtime's policy from what global_defs set; undefined: the kernel's default. */
export function receiveBufferPolicy(rx: RxBufsGlobals | undefined): ReceiveBufferPolicy | undefined {
  if (rx === undefined) return undefined;
  const multiplier = rx.multiplier === undefined ? {} : { multiplier: Math.min(rx.multiplier, 1_000_000) };
  if (rx.bytes !== undefined)
    return rx.bytes === 0 ? undefined : { policy: 'bytes', bytes: Math.min(rx.bytes, 2 ** 31 - 1) };
  if (rx.mtu) return { policy: 'mtu', ...multiplier };
  if (rx.advert) return { policy: 'advert', ...multiplier };
  return undefined;
}
