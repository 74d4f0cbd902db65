// A vrrp_instance's transport and tracking switches (issue 13): dont_track_primary, track_src_ip,
// unicast_ttl, mcast_dst_ip, old_unicast_checksum and skip_check_adv_addr (with the global
// vrrp_skip_check_adv_addr), read with keepalived 2.2.7's meaning (its vrrp_parser.c handlers and
// vrrp_complete_instance). Where keepalived -t fails, this is an error; where keepalived goes on
// and ignores the keyword, a warning saying so.

import type { OldUnicastChecksum } from '../../core/types.js';
import type { LinuxRouterInput } from '../../model/runtime-input.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import { readAddress, readInteger, singleArg } from './values.js';

/** The instance keywords this module reads (instance.ts leaves them to it). */
export const WIRE_KEYWORDS: ReadonlySet<string> = new Set([
  'dont_track_primary',
  'track_src_ip',
  'unicast_ttl',
  'mcast_dst_ip',
  'old_unicast_checksum',
  'skip_check_adv_addr',
]);

export type WireKeywordFields = Pick<
  LinuxRouterInput,
  | 'dontTrackPrimary'
  | 'trackSourceAddress'
  | 'unicastTtl'
  | 'multicastGroup'
  | 'skipCheckAdvertAddresses'
  | 'oldUnicastChecksum'
  | 'checkUnicastTtl'
>;

export interface WireKeywordContext {
  readonly name: string;
  /** The instance's family (its first VIP, else its source address), if known. */
  readonly family: 4 | 6 | undefined;
  readonly unicast: boolean;
  /** unicast_src_ip or mcast_src_ip is written. */
  readonly configuredSource: boolean;
  /** global_defs vrrp_skip_check_adv_addr. */
  readonly globalSkipCheckAdvertAddresses: boolean;
}

export function readWireKeywords(
  block: readonly Statement[],
  context: WireKeywordContext,
  diagnostics: DiagnosticList,
): WireKeywordFields {
  const fields: { -readonly [K in keyof WireKeywordFields]: WireKeywordFields[K] } = {};
  if (context.globalSkipCheckAdvertAddresses) fields.skipCheckAdvertAddresses = true;
  // keepalived 2.2.7 checks the TTL of multicast adverts only (vrrp_check_packet: "but not if
  // unicast"); its IPv6 unicast adverts go with the kernel's hop limit (64) unless unicast_ttl says.
  if (context.unicast) fields.checkUnicastTtl = false;
  for (const statement of block) {
    switch (statement.keyword) {
      case 'dont_track_primary':
        ignoredArguments(statement, diagnostics);
        fields.dontTrackPrimary = true;
        break;
      case 'track_src_ip':
        ignoredArguments(statement, diagnostics);
        // keepalived clears it when no source address is configured: the interface's own address is
        // followed anyway (src/daemon/source-address.ts).
        if (context.configuredSource) fields.trackSourceAddress = true;
        else
          diagnostics.warning(
            statement,
            `track_src_ip does nothing without unicast_src_ip or mcast_src_ip in vrrp_instance ${context.name} (the interface's address is followed anyway)`,
          );
        break;
      case 'unicast_ttl':
        readUnicastTtl(statement, context, fields, diagnostics);
        break;
      case 'mcast_dst_ip':
        readMulticastGroup(statement, context, fields, diagnostics);
        break;
      case 'old_unicast_checksum':
        readOldUnicastChecksum(statement, context, fields, diagnostics);
        break;
      case 'skip_check_adv_addr':
        readSkipCheck(statement, fields, diagnostics);
        break;
    }
  }
  return fields;
}

/** keepalived's handlers of these flags never read their arguments. */
function ignoredArguments(statement: Statement, diagnostics: DiagnosticList): void {
  if (statement.args.length > 0)
    diagnostics.warning(statement, `${statement.keyword} takes no value: "${statement.args[0]!.text}" is ignored`);
}

function readUnicastTtl(
  statement: Statement,
  context: WireKeywordContext,
  fields: { unicastTtl?: number },
  diagnostics: DiagnosticList,
): void {
  const ttl = readInteger(statement, 0, 255, diagnostics);
  if (ttl === undefined) return;
  if (!context.unicast) {
    // keepalived -t: "Cannot use unicast_ttl without unicast peers" (and it exits 5).
    diagnostics.error(statement, 'unicast_ttl needs a unicast_peer: multicast adverts always go with TTL 255');
    return;
  }
  if (ttl === 0) {
    // keepalived writes its own IPv4 header; the kernel takes no TTL below 1 from anyone else.
    diagnostics.warning(statement, 'unicast_ttl 0: adverts are sent with TTL 1, the lowest the kernel sends');
    fields.unicastTtl = 1;
    return;
  }
  fields.unicastTtl = ttl;
}

function readMulticastGroup(
  statement: Statement,
  context: WireKeywordContext,
  fields: { multicastGroup?: string },
  diagnostics: DiagnosticList,
): void {
  const word = singleArg(statement, diagnostics);
  const parsed = word ? readAddress(word, 'mcast_dst_ip', diagnostics) : undefined;
  if (parsed === undefined) return;
  if (context.family !== undefined && parsed.family !== context.family) {
    diagnostics.error(
      statement,
      `mcast_dst_ip ${parsed.address} is IPv${parsed.family}, the instance is IPv${context.family}`,
    );
    return;
  }
  const first = Number.parseInt(parsed.address, parsed.family === 4 ? 10 : 16);
  const multicast = parsed.family === 4 ? first >= 224 && first <= 239 : /^ff[0-9a-f]2:/.test(parsed.address);
  if (!multicast) {
    diagnostics.error(
      statement,
      `mcast_dst_ip ${parsed.address} is not ${parsed.family === 4 ? 'a multicast address (224.0.0.0/4)' : 'a link-local multicast address (ffX2::)'}`,
    );
    return;
  }
  if (context.unicast) {
    diagnostics.warning(statement, 'mcast_dst_ip is ignored: the instance has unicast peers (as in keepalived)');
    return;
  }
  fields.multicastGroup = parsed.address;
}

function readOldUnicastChecksum(
  statement: Statement,
  context: WireKeywordContext,
  fields: { oldUnicastChecksum?: OldUnicastChecksum },
  diagnostics: DiagnosticList,
): void {
  const [mode, extra] = statement.args;
  if (extra !== undefined || (mode !== undefined && mode.text !== 'never')) {
    diagnostics.error(statement, 'old_unicast_checksum takes nothing (always the old form) or "never"');
    return;
  }
  if (!context.unicast) {
    diagnostics.warning(statement, 'old_unicast_checksum is ignored: the instance has no unicast_peer');
    return;
  }
  fields.oldUnicastChecksum = mode === undefined ? 'always' : 'never';
}

function readSkipCheck(
  statement: Statement,
  fields: { skipCheckAdvertAddresses?: boolean },
  diagnostics: DiagnosticList,
): void {
  if (statement.args.length > 1) {
    diagnostics.error(statement, 'skip_check_adv_addr takes at most one value');
    return;
  }
  const word = statement.args[0];
  if (word !== undefined) {
    const text = word.text.toLowerCase();
    if (!['on', 'true', 'yes', 'off', 'false', 'no'].includes(text)) {
      diagnostics.error(word, `skip_check_adv_addr takes on/off, true/false or yes/no, got "${word.text}"`);
      return;
    }
    if (['off', 'false', 'no'].includes(text))
      // keepalived 2.2.7's handler sets the flag for any valid value; the same here, said aloud.
      diagnostics.warning(word, `skip_check_adv_addr ${word.text} still turns it on, as in keepalived 2.2.7`);
  }
  fields.skipCheckAdvertAddresses = true;
}
