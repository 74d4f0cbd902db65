// The address lists of a vrrp_instance: virtual_ipaddress and virtual_ipaddress_excluded (one address
// per line, with `ip addr`-like options) and unicast_peer. Options vrrp-engine cannot apply yet are warned, unknown ones refused.

import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import type { Statement, Word } from './parser.js';
import { MAX_INTERFACE_NAME, readAddress, type ParsedAddress } from './values.js';

export interface ParsedVip extends ParsedAddress {
  readonly label?: string;
  readonly preferredLifetime?: 0 | 'forever';
  /** `dev X` naming another interface than the instance's (or its VMAC's): the address lives there. */
  readonly dev?: string;
  /** `no_track`: the link of `dev` does not put the instance in Fault. */
  readonly noTrack?: boolean;
  /** `use_vmac`: the address lives on a VMAC made on its interface (see vmac.ts `addressVmacs`). */
  readonly useVmac?: boolean;
  /** Where the `use_vmac` word is, for warnings about it. */
  readonly useVmacAt?: SourcePosition;
}

/** Which list is read, and the router field its positions are reported under. */
export type VipList =
  | { readonly keyword: 'virtual_ipaddress'; readonly field: 'virtualAddresses' }
  | { readonly keyword: 'virtual_ipaddress_excluded'; readonly field: 'excludedAddresses' }
  | { readonly keyword: 'static_ipaddress'; readonly field: 'staticAddresses' };

const VIP_FLAGS: Readonly<Record<string, string>> = {
  home: 'home (IPv6 home address) is not supported and is ignored',
  '-nodad': 'nodad is not supported yet: the kernel runs DAD on the VIP',
  nodad: 'nodad is not supported yet: the kernel runs DAD on the VIP',
  noprefixroute: 'noprefixroute is not supported yet: the kernel adds the prefix route',
  autojoin: 'autojoin is not supported and is ignored',
  mngtmpaddr: 'mngtmpaddr is not supported yet: no temporary addresses are made from the VIP',
};

/** `ADDR[/PREFIX] [dev X] [label Y] [scope Z] [brd B] [preferred_lft 0|forever] [flags]`, one per line. */
export function readVips(
  block: Statement,
  list: VipList,
  iface: string | undefined,
  vmacName: string | undefined,
  diagnostics: DiagnosticList,
  positions: Map<string, SourcePosition>,
): ParsedVip[] {
  const vips: ParsedVip[] = [];
  const firstAt = new Map<string, SourcePosition>();
  for (const line of block.block ?? []) {
    const address = readAddress(
      { text: line.keyword, quoted: false, file: line.file, line: line.line },
      list.keyword,
      diagnostics,
      true,
    );
    const options = readVipOptions(line, iface, vmacName, diagnostics);
    if (!address || !options) continue;
    const first = firstAt.get(address.address);
    if (first) {
      // keepalived 2.2.7 (sample keepalived.conf.vrrp) keeps both: the kernel takes the address once
      // (the second's options, a label say, are lost) and its adverts carry the address twice.
      diagnostics.warning(
        line,
        `${address.address} is listed twice in ${list.keyword} (first at line ${first.line}): it is added once with the first line's options, as keepalived adds it, and advertised once (keepalived's adverts carry it twice)`,
      );
      continue;
    }
    firstAt.set(address.address, line);
    if (address.prefixLength === undefined && address.family === 4 && options.brd) {
      diagnostics.warning(line, 'brd without a prefix length means nothing for a /32');
    }
    if (options.label !== undefined && address.family === 6) {
      diagnostics.warning(line, 'label is ignored on an IPv6 address: the kernel has no IPv6 labels');
    }
    if (options.preferredLifetime !== undefined && address.family === 4) {
      diagnostics.error(line, 'preferred_lft applies to IPv6 addresses only');
      continue;
    }
    positions.set(`${list.field}[${vips.length}]`, line);
    vips.push({
      ...address,
      ...(options.label !== undefined && address.family === 4 ? { label: options.label } : {}),
      ...(options.preferredLifetime !== undefined ? { preferredLifetime: options.preferredLifetime } : {}),
      ...(options.dev !== undefined ? { dev: options.dev } : {}),
      ...(options.noTrack ? { noTrack: true } : {}),
      ...(options.useVmac ? { useVmac: true, useVmacAt: options.useVmacAt! } : {}),
    });
  }
  return vips;
}

function readVipOptions(
  line: Statement,
  iface: string | undefined,
  vmacName: string | undefined,
  diagnostics: DiagnosticList,
): VipOptions | undefined {
  const result: VipOptions = {};
  let ok = true;
  const args = line.args;
  // The label is checked against the interface the address lives on, which `dev` may name after it.
  let label: Word | undefined;
  for (let i = 0; i < args.length; i++) {
    const option = args[i]!;
    if (option.text === 'no_track') {
      result.noTrack = true;
      continue;
    }
    if (option.text === 'use_vmac') {
      result.useVmac = true;
      result.useVmacAt = option;
      continue;
    }
    if (VIP_FLAGS[option.text] !== undefined) {
      diagnostics.warning(option, VIP_FLAGS[option.text]!);
      continue;
    }
    const value: Word | undefined = args[i + 1];
    if (!['dev', 'label', 'scope', 'brd', 'broadcast', 'preferred_lft', 'peer'].includes(option.text)) {
      diagnostics.error(option, `unknown virtual_ipaddress option "${option.text}" (one address per line)`);
      ok = false;
      continue;
    }
    if (!value) {
      diagnostics.error(option, `${option.text} needs a value`);
      ok = false;
      continue;
    }
    i++;
    switch (option.text) {
      case 'dev':
        if (value.text.length > MAX_INTERFACE_NAME) {
          diagnostics.error(value, `interface name "${value.text}" is longer than ${MAX_INTERFACE_NAME} characters`);
          ok = false;
        } else if (value.text !== iface && value.text !== vmacName) result.dev = value.text;
        break;
      case 'label':
        label = value;
        break;
      case 'scope':
        if (value.text !== 'global' && value.text !== '0') {
          diagnostics.warning(value, `scope ${value.text} is not supported yet: the VIP is added with scope global`);
        }
        break;
      case 'brd':
      case 'broadcast':
        diagnostics.warning(value, `${option.text} is not supported yet: the VIP is added without a broadcast address`);
        result.brd = true;
        break;
      case 'peer':
        diagnostics.warning(value, `peer ${value.text} is not supported yet: the VIP is added without a peer address`);
        break;
      case 'preferred_lft':
        if (value.text === '0') result.preferredLifetime = 0;
        else if (value.text === 'forever') result.preferredLifetime = 'forever';
        else {
          diagnostics.error(value, `preferred_lft must be 0 or forever, got "${value.text}"`);
          ok = false;
        }
        break;
    }
  }
  if (label !== undefined) {
    if (labelFits(label, result.dev ?? vmacName ?? iface, diagnostics)) result.label = label.text;
    else ok = false;
  }
  return ok ? result : undefined;
}

/** A VIP's label is its interface's name (`base`), or that name and a `:suffix`; an error otherwise. */
function labelFits(label: Word, base: string | undefined, diagnostics: DiagnosticList): boolean {
  const text = label.text;
  if (base === undefined || (text.length <= MAX_INTERFACE_NAME && (text === base || text.startsWith(`${base}:`))))
    return true;
  diagnostics.error(
    label,
    `label "${text}" must be "${base}" or "${base}:<suffix>", at most ${MAX_INTERFACE_NAME} characters`,
  );
  return false;
}

interface VipOptions {
  label?: string;
  preferredLifetime?: 0 | 'forever';
  brd?: boolean;
  dev?: string;
  noTrack?: boolean;
  useVmac?: boolean;
  useVmacAt?: SourcePosition;
}

/** unicast_peer { ADDR [min_ttl N] [max_ttl N] }; our own source address is left out, with a warning. */
export function readPeers(
  block: Statement,
  source: ParsedAddress | undefined,
  diagnostics: DiagnosticList,
  positions: Map<string, SourcePosition>,
): string[] {
  const peers: string[] = [];
  for (const line of block.block ?? []) {
    const address = readAddress(
      { text: line.keyword, quoted: false, file: line.file, line: line.line },
      'unicast_peer',
      diagnostics,
    );
    if (line.args.length > 0) {
      diagnostics.warning(
        line,
        `unicast_peer options (${line.args.map((w) => w.text).join(' ')}) are not supported yet and are ignored`,
      );
    }
    if (!address) continue;
    if (source && address.address === source.address) {
      // The same peer list is often given to every node (OpenShift does): keepalived sends to itself.
      diagnostics.warning(line, `${address.address} is this router's own unicast_src_ip: left out of the peers`);
      continue;
    }
    if (peers.includes(address.address)) {
      diagnostics.warning(line, `${address.address} is listed twice`);
      continue;
    }
    positions.set(`unicastPeers[${peers.length}]`, line);
    peers.push(address.address);
  }
  return peers;
}
