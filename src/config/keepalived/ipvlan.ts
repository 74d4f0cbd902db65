// use_ipvlan [NAME] [ADDRESS[/LEN]] [bridge|private|vepa], with keepalived 2.2.7's meaning
// (vrrp_parser.c vrrp_ipvlan_handler, vrrp.c vrrp_complete_instance and vrrp_end_handler, read for
// behaviour; what the runtime does with it: src/linux/ipvlan.ts). The words come in any order: a mode
// word, an address, else the name. Each of the following makes keepalived -t exit 5 and is an error
// here, checked in a namespace: a second mode word ("ipvlan type already specified"), a second address,
// a second name, a name of 16 bytes or more ("too long"), an IPv4 instance without an address ("IPv4
// ipvlan requires a source ip address": keepalived keeps it in FAULT), an address of the other family,
// and unicast peers (keepalived sets vmac_xmit_base for them, then drops it as "only valid with a
// vmac"). With use_vmac too keepalived -t accepts the file and makes only the ipvlan: use_vmac is
// ignored, warned.

import { isIP } from 'node:net';
import { DEFAULT_VMAC_PREFIX, generatedVmacName } from '../../model/vmac-name.js';
import type { IpvlanInput, IpvlanMode } from '../../model/ipvlan-input.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement, Word } from './parser.js';
import { MAX_INTERFACE_NAME } from './values.js';

const MODES: ReadonlySet<string> = new Set(['bridge', 'private', 'vepa']);

function isAddress(text: string): boolean {
  return isIP(text.split('/')[0]!) !== 0;
}

/** The name use_ipvlan gives, if any (a word that is neither a mode nor an address). */
export function givenIpvlanName(statement: Statement): string | undefined {
  return statement.args.find((w) => !MODES.has(w.text) && !isAddress(w.text))?.text;
}

function checkAddress(word: Word, diagnostics: DiagnosticList): boolean {
  const [address, length, ...rest] = word.text.split('/');
  const family = isIP(address!);
  const max = family === 4 ? 32 : 128;
  if (rest.length === 0 && (length === undefined || (/^\d+$/.test(length) && Number(length) <= max))) return true;
  diagnostics.error(word, `use_ipvlan: "${word.text}" is not ADDRESS[/LEN] (a length of 0..${max})`);
  return false;
}

/** The words of use_ipvlan as written; undefined (and errors) when one is given twice or is wrong. */
export function readUseIpvlan(statement: Statement, diagnostics: DiagnosticList): IpvlanInput | undefined {
  let name: string | undefined;
  let address: string | undefined;
  let mode: IpvlanMode | undefined;
  let ok = true;
  const again = (word: Word, what: string, first: string) => {
    diagnostics.error(word, `use_ipvlan: ${what} is already ${first}; "${word.text}" is one too many`);
    ok = false;
  };
  for (const word of statement.args) {
    if (MODES.has(word.text)) {
      if (mode !== undefined) again(word, 'the mode', mode);
      else mode = word.text as IpvlanMode;
    } else if (isAddress(word.text)) {
      if (address !== undefined) again(word, 'the address', address);
      else if (checkAddress(word, diagnostics)) address = word.text;
      else ok = false;
    } else if (name !== undefined) {
      again(word, 'the name', name);
    } else if (word.text.length > MAX_INTERFACE_NAME) {
      diagnostics.error(word, `use_ipvlan name "${word.text}" is longer than ${MAX_INTERFACE_NAME} characters`);
      ok = false;
    } else {
      name = word.text;
    }
  }
  if (!ok) return undefined;
  return {
    ...(name !== undefined ? { name } : {}),
    ...(address !== undefined ? { address } : {}),
    ...(mode ? { mode } : {}),
  };
}

/** What the instance around use_ipvlan says, for its checks and its name. */
export interface IpvlanContext {
  readonly at: Statement;
  readonly vrid: number;
  readonly family: 4 | 6;
  readonly unicast: boolean;
  readonly useVmac: Statement | undefined;
  readonly prefix: string | undefined;
}

/**
 * use_ipvlan settled in its instance: its name (given, else generated as a VMAC's; `taken` gains it),
 * or undefined with an error where keepalived -t fails.
 */
export function settleIpvlan(
  written: IpvlanInput,
  context: IpvlanContext,
  taken: Set<string>,
  diagnostics: DiagnosticList,
): IpvlanInput | undefined {
  const { at, family } = context;
  const addressFamily = written.address === undefined ? undefined : isIP(written.address.split('/')[0]!);
  let error: string | undefined;
  if (context.unicast)
    error =
      'use_ipvlan cannot be used with unicast_peer: keepalived 2.2.7 turns vmac_xmit_base on for the peers and then drops it ("only valid with a vmac"), and its -t fails';
  else if (family === 4 && written.address === undefined)
    error =
      'use_ipvlan needs an address in an IPv4 instance (the ipvlan sends from it): keepalived 2.2.7 keeps such an instance in FAULT ("IPv4 ipvlan requires a source ip address")';
  else if (addressFamily !== undefined && addressFamily !== family)
    error = `use_ipvlan address ${written.address} is IPv${addressFamily}, the instance is IPv${family}`;
  if (error !== undefined) {
    diagnostics.error(at, error);
    return undefined;
  }
  if (context.useVmac)
    diagnostics.warning(
      context.useVmac,
      'use_vmac is ignored with use_ipvlan: keepalived 2.2.7 makes only the ipvlan (the router runs there)',
    );
  const name = written.name ?? generatedVmacName(context.vrid, family, taken, context.prefix ?? DEFAULT_VMAC_PREFIX);
  taken.add(name);
  return { ...written, name };
}
