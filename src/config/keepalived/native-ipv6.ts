// native_ipv6, with keepalived 2.2.7's meaning (vrrp_parser.c vrrp_native_ipv6_handler and the
// handlers that set an instance's family, read for behaviour). keepalived gives an instance the family
// of the first address it reads in the block, in file order: a virtual_ipaddress entry, unicast_src_ip,
// mcast_src_ip, a unicast_peer entry, mcast_dst_ip or use_ipvlan's address. native_ipv6 sets the
// family to IPv6 and the version to 3 at the point it is read:
//   - after an IPv4 one of those, it is ignored with "Cannot specify native_ipv6 with IPv4 addresses"
//     (keepalived -t fails);
//   - before one, every later IPv4 address of the instance's own family is refused ("address family
//     must match"): virtual_ipaddress_excluded may still hold IPv4 addresses;
//   - a `version 2` written before it is overwritten with 3 (silently); one written after it conflicts
//     ("vrrp_version 2 conflicts with configured or deduced version 3"; -t fails).

import { isIP } from 'node:net';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import { noArgs } from './values.js';

/** The address a family-setting statement gives the instance its family from, if any. */
function familyAddress(statement: Statement): string | undefined {
  switch (statement.keyword) {
    case 'virtual_ipaddress':
    case 'unicast_peer':
      return statement.block?.[0]?.keyword;
    case 'unicast_src_ip':
    case 'mcast_src_ip':
    case 'mcast_dst_ip':
      return statement.args[0]?.text;
    case 'use_ipvlan':
      return statement.args.map((w) => w.text).find((text) => isIP(text.split('/')[0]!) !== 0);
    default:
      return undefined;
  }
}

function familyOf(address: string | undefined): 4 | 6 | undefined {
  const kind = address === undefined ? 0 : isIP(address.split('/')[0]!);
  return kind === 4 ? 4 : kind === 6 ? 6 : undefined;
}

export interface NativeIpv6 {
  /** The native_ipv6 statement that took effect. */
  readonly at: Statement;
  /** Its index in the instance's block (what comes before it was read before it). */
  readonly index: number;
}

/**
 * The native_ipv6 that takes effect in an instance's block, or undefined (none, or one after an IPv4
 * address: an error, as keepalived's -t fails on it).
 */
export function readNativeIpv6(block: readonly Statement[], diagnostics: DiagnosticList): NativeIpv6 | undefined {
  let first: { family: 4 | 6; at: Statement } | undefined;
  for (const [index, child] of block.entries()) {
    if (child.keyword === 'native_ipv6') {
      noArgs(child, diagnostics);
      if (first?.family === 4) {
        diagnostics.error(
          child,
          `native_ipv6 comes after ${first.at.keyword} (line ${first.at.line}) made the instance IPv4: keepalived 2.2.7 ignores it ("Cannot specify native_ipv6 with IPv4 addresses") and its -t fails; put native_ipv6 first, or leave it out`,
        );
        return undefined;
      }
      return { at: child, index };
    }
    const family = first === undefined ? familyOf(familyAddress(child)) : undefined;
    if (family !== undefined) first = { family, at: child };
  }
  return undefined;
}

/**
 * The instance's version with native_ipv6: 3, unless a `version` written after it says otherwise (then
 * that one, which buildRouterConfig refuses for 2 as keepalived's -t does).
 */
export function versionWithNativeIpv6(
  native: NativeIpv6,
  block: readonly Statement[],
  written: 2 | 3 | undefined,
  diagnostics: DiagnosticList,
): 2 | 3 | undefined {
  let versionIndex = -1;
  block.forEach((s, index) => {
    if (s.keyword === 'version') versionIndex = index;
  });
  if (versionIndex > native.index) return written;
  if (written === 2) {
    diagnostics.warning(
      block[versionIndex]!,
      `version 2 is overwritten with 3 by native_ipv6 (line ${native.at.line}), as keepalived 2.2.7 does`,
    );
  }
  return 3;
}
