// keepalived.conf's VMAC settings of an instance, as keepalived 2.2.7 settles them (vrrp_parser.c
// vrrp_end_handler, vrrp.c vrrp_complete_instance, read for behaviour):
//   - use_vmac without a name: `<vmac_prefix>.<vrid>`, or the next free `<prefix><n>.<vrid>` when an
//     earlier instance (or any instance's given name) has it (src/model/vmac-name.ts);
//   - vmac_xmit_base: adverts sent and received on the base interface, VIPs on the VMAC. keepalived
//     turns it on for an instance with unicast peers, and ignores it without use_vmac or in strict
//     mode; each of these is a config error that fails its `keepalived -t`, so they are warnings here;
//   - use_vmac on an address, and use_vmac_addr (as if every address on another interface, or of the
//     other family, said use_vmac): the address lives on a VMAC made on its interface, one per
//     interface and family, named like use_vmac's but from vmac_addr_prefix (else vmac_prefix).

import { isIP } from 'node:net';
import { generatedVmacName, DEFAULT_VMAC_PREFIX } from '../../model/vmac-name.js';
import type { DiagnosticList } from './diagnostics.js';
import type { ParsedVip } from './vip-lists.js';
import type { Statement } from './parser.js';
import { noArgs } from './values.js';
import { givenIpvlanName } from './ipvlan.js';

/** The names given to use_vmac or use_ipvlan in any instance: a generated name avoids them all, as keepalived's does. */
export function givenVmacNames(statements: readonly Statement[]): Set<string> {
  const names = new Set<string>();
  for (const instance of statements.filter((s) => s.keyword === 'vrrp_instance')) {
    for (const child of instance.block ?? []) {
      // A word with ':' is a MAC address (an interface name cannot hold one).
      const name = child.keyword === 'use_vmac' ? child.args.find((w) => !w.text.includes(':'))?.text : undefined;
      const ipvlan = child.keyword === 'use_ipvlan' ? givenIpvlanName(child) : undefined;
      for (const given of [name, ipvlan]) if (given) names.add(given);
    }
  }
  return names;
}

/** The family keepalived gives the instance, from its first VIP or its source address: only picks the numbering. */
function familyOf(block: readonly Statement[]): 4 | 6 {
  const vips = block.find((s) => s.keyword === 'virtual_ipaddress')?.block?.[0]?.keyword;
  const source = block.find((s) => s.keyword === 'unicast_src_ip' || s.keyword === 'mcast_src_ip')?.args[0]?.text;
  const text = (vips ?? source ?? '').split('/')[0]!;
  return isIP(text) === 6 ? 6 : 4;
}

/**
 * The VMAC name of use_vmac as written (true: none given). A name is generated only with vmac_prefix
 * or when `vrrp.<vrid>` is taken; otherwise `true` stays, which the runtime names `vrrp.<vrid>`.
 * `taken` gains the name.
 */
export function settleVmacName(
  asWritten: boolean | string | undefined,
  vrid: number | undefined,
  block: readonly Statement[],
  prefix: string | undefined,
  taken: Set<string>,
): boolean | string | undefined {
  if (asWritten !== true || vrid === undefined) return asWritten;
  const name = generatedVmacName(vrid, familyOf(block), taken, prefix ?? DEFAULT_VMAC_PREFIX);
  taken.add(name);
  return prefix === undefined && name === `${DEFAULT_VMAC_PREFIX}.${vrid}` ? true : name;
}

/** vmac_xmit_base as keepalived 2.2.7 ends up with it. */
export function settleXmitBase(
  statement: Statement | undefined,
  settings: { useVmac: boolean; unicast: boolean; strict: boolean; at: Statement },
  diagnostics: DiagnosticList,
): boolean {
  const written = statement !== undefined && noArgs(statement, diagnostics);
  if (!settings.useVmac) {
    if (written)
      diagnostics.warning(statement, 'vmac_xmit_base is only valid with use_vmac: ignored, as keepalived does');
    return false;
  }
  if (settings.unicast && !written) {
    // Unicast adverts come to the base interface's address: a socket on the VMAC would never see them.
    diagnostics.warning(
      settings.at,
      'unicast_peer with use_vmac requires vmac_xmit_base: set, as keepalived does (adverts leave from and arrive on the base interface)',
    );
    return true;
  }
  if (written && settings.strict) {
    diagnostics.warning(statement, 'vmac_xmit_base is incompatible with strict mode: ignored, as keepalived does');
    return false;
  }
  return written;
}

/** What an instance says about its addresses' VMACs. */
export interface AddressVmacSettings {
  readonly iface: string;
  readonly vrid: number;
  /** The instance's family (its VIPs'). */
  readonly family: 4 | 6;
  /** The instance has use_vmac (its own family's addresses on its interface are on that VMAC). */
  readonly instanceVmac: boolean;
  /** use_vmac_addr. */
  readonly vmacAddr: boolean;
  readonly prefix: string | undefined;
}

/**
 * The VMAC each address lives on, by keepalived 2.2.7's rules, named in file order (`taken` gains the
 * names). An address without an entry lives on its interface (or on the instance's own VMAC).
 */
export function addressVmacs(
  addresses: readonly ParsedVip[],
  settings: AddressVmacSettings,
  taken: Set<string>,
  diagnostics: DiagnosticList,
): Map<ParsedVip, string> {
  const { iface, family, instanceVmac, vmacAddr } = settings;
  const byBase = new Map<string, string>();
  const placed = new Map<ParsedVip, string>();
  for (const vip of addresses) {
    const sameFamily = vip.family === family;
    let own = vip.useVmac === true;
    if (own && vip.dev === undefined && instanceVmac && sameFamily) {
      diagnostics.warning(vip.useVmacAt!, `use_vmac on ${vip.address}: it already lives on the instance's VMAC`);
      own = false;
    } else if (own && vmacAddr && (vip.dev !== undefined || !sameFamily)) {
      diagnostics.warning(vip.useVmacAt!, `use_vmac on ${vip.address} says again what use_vmac_addr says`);
    }
    const needs =
      vip.dev === undefined ? !(instanceVmac && sameFamily) && (own || (vmacAddr && !sameFamily)) : own || vmacAddr;
    if (!needs) continue;
    const base = `${vip.dev ?? iface} ${vip.family}`;
    let name = byBase.get(base);
    if (name === undefined) {
      name = generatedVmacName(settings.vrid, vip.family, taken, settings.prefix ?? DEFAULT_VMAC_PREFIX);
      taken.add(name);
      byBase.set(base, name);
    }
    placed.set(vip, name);
  }
  return placed;
}
