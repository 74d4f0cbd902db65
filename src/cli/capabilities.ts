// The runners need CAP_NET_RAW (the VRRP and ARP / NA sockets) and CAP_NET_ADMIN (VIPs over
// rtnetlink). Checked from /proc/self/status before anything on the host changes, so a missing one
// is one clear line and exit 1, not a half start (docs/operations.md, Capabilities).

import { readFileSync } from 'node:fs';

export interface Capability {
  readonly name: string;
  /** Its bit in /proc/PID/status CapEff (linux/capability.h). */
  readonly bit: number;
  readonly why: string;
}

export const RUNNER_CAPABILITIES: readonly Capability[] = [
  { name: 'CAP_NET_RAW', bit: 13, why: 'the raw VRRP sockets and the ARP / NA socket' },
  { name: 'CAP_NET_ADMIN', bit: 12, why: 'adding and removing the VIPs' },
];

/** The CapEff mask of a /proc/PID/status text, or undefined when it has none. */
export function effectiveCapabilities(statusText: string): bigint | undefined {
  const match = /^CapEff:\s*([0-9a-f]+)\s*$/im.exec(statusText);
  return match === null ? undefined : BigInt(`0x${match[1]!}`);
}

/** Those of `needed` that `effective` lacks. */
export function missingCapabilities(
  effective: bigint,
  needed: readonly Capability[] = RUNNER_CAPABILITIES,
): Capability[] {
  return needed.filter((capability) => (effective & (1n << BigInt(capability.bit))) === 0n);
}

/**
 * What this process lacks of the runners' capabilities, as one sentence, or undefined when it has
 * them (or /proc cannot tell: then the socket that fails says so).
 */
export function capabilityProblem(statusPath = '/proc/self/status'): string | undefined {
  let effective: bigint | undefined;
  try {
    effective = effectiveCapabilities(readFileSync(statusPath, 'utf8'));
  } catch {
    return undefined;
  }
  if (effective === undefined) return undefined;
  const missing = missingCapabilities(effective);
  if (missing.length === 0) return undefined;
  const list = missing.map((c) => `${c.name} (${c.why})`).join(' and ');
  return `missing ${list}: run as root or give the service these capabilities (docs/operations.md, Capabilities); nothing was changed`;
}
