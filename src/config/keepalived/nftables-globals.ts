// global_defs keywords of the accept-mode firewall, read as keepalived 2.2.7 reads them
// (keepalived/core/global_parser.c) in Debian's build, which has nftables and neither iptables nor
// libipset (`keepalived -v`: NFTABLES, no IPTABLES):
// - `nftables [NAME]`: the table's name (default keepalived) and the chains' priority back to -1; a
//   second one is ignored; a name of 256 bytes or more is ignored.
// - `nftables_priority N`: the base chains' hook priority (a 32-bit integer).
// - `nftables_counters`, `nftables_ifindex`: flags.
// - `vrrp_iptables [IN [OUT]]`: there is no iptables, so nftables with table keepalived and priority -1
//   (keepalived logs "iptables not supported, using nftables instead"); its chain names are ignored.
// - `vrrp_ipsets ...`: not a keyword of that build (keepalived logs "Unknown keyword" and goes on).
// Where keepalived reports a configuration error and runs on regardless, this reader warns and does
// what keepalived then does, so vrrpd starts on the files keepalived starts on.
// Without `nftables` a router without accept mode still gets keepalived's table (vrrp.c makes it then).

import {
  KEEPALIVED_NFTABLES_TABLE,
  NFTABLES_DEFAULTS,
  tableNameProblem,
  type NftablesSettings,
} from '../../model/nftables.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import type { Statement } from './parser.js';
import { readInteger } from './values.js';

/** What the keywords set; `nameAt` is where the table's name was set (a second `nftables` is ignored). */
export interface NftablesGlobals {
  table?: string;
  nameAt?: SourcePosition;
  priority?: number;
  counters?: boolean;
  ifindex?: boolean;
}

type Reader = (statement: Statement, nftables: NftablesGlobals, diagnostics: DiagnosticList) => void;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function ignoredWords(statement: Statement, from: number, diagnostics: DiagnosticList): void {
  if (statement.args.length > from) {
    const words = statement.args
      .slice(from)
      .map((w) => w.text)
      .join(' ');
    diagnostics.warning(statement, `${statement.keyword}: "${words}" ignored, as keepalived ignores it`);
  }
}

const flag =
  (name: 'counters' | 'ifindex'): Reader =>
  (statement, nftables, diagnostics) => {
    ignoredWords(statement, 0, diagnostics);
    nftables[name] = true;
  };

export const NFTABLES_READERS: Readonly<Record<string, Reader>> = {
  nftables: (statement, nftables, diagnostics) => {
    if (nftables.nameAt !== undefined) {
      diagnostics.warning(
        statement,
        `nftables: the table was already set at ${nftables.nameAt.file}:${nftables.nameAt.line}; this one is ignored, as keepalived ignores it`,
      );
      return;
    }
    const word = statement.args[0];
    const name = word?.text ?? KEEPALIVED_NFTABLES_TABLE;
    const problem = tableNameProblem(name);
    if (problem !== undefined) {
      diagnostics.warning(statement, `nftables: the table name ${problem}; ignored, as keepalived ignores it`);
      return;
    }
    ignoredWords(statement, 1, diagnostics);
    nftables.table = name;
    nftables.nameAt = statement;
    nftables.priority = NFTABLES_DEFAULTS.priority;
  },
  nftables_priority: (statement, nftables, diagnostics) => {
    const priority = readInteger(statement, INT32_MIN, INT32_MAX, diagnostics);
    if (priority !== undefined) nftables.priority = priority;
  },
  nftables_counters: flag('counters'),
  nftables_ifindex: flag('ifindex'),
  vrrp_iptables: (statement, nftables, diagnostics) => {
    diagnostics.warning(
      statement,
      'vrrp_iptables: keepalived 2.2.7 as Debian builds it has no iptables and uses nftables instead (table keepalived, priority -1), and so does vrrp-engine; replace it with nftables',
    );
    // keepalived's handler sets both whatever came before; a later nftables is then ignored.
    nftables.table = KEEPALIVED_NFTABLES_TABLE;
    nftables.nameAt = statement;
    nftables.priority = NFTABLES_DEFAULTS.priority;
  },
  vrrp_ipsets: (statement, _nftables, diagnostics) => {
    diagnostics.warning(
      statement,
      'vrrp_ipsets is ignored: keepalived 2.2.7 built without ipset support (Debian) does not know it either; accept mode uses nftables sets',
    );
  },
};

/** The runtime's settings: keepalived's table name even without the keyword (it makes it for no_accept). */
export function nftablesSettingsFrom(nftables: NftablesGlobals | undefined): NftablesSettings {
  return {
    table: nftables?.table ?? KEEPALIVED_NFTABLES_TABLE,
    priority: nftables?.priority ?? NFTABLES_DEFAULTS.priority,
    counters: nftables?.counters ?? false,
    ifindex: nftables?.ifindex ?? false,
  };
}
