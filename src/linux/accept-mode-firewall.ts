// Accept mode off (RFC 5798/9568 6.4.3), enforced the way keepalived's vrrp_strict does with nftables:
// our own table holds a set of VIPs per family and an input-hook chain that drops packets addressed
// to them, except IPv6 neighbour solicitations/advertisements (a Master must still answer ND for its
// VIPs). A VIP enters the set before it is added to the interface and leaves it after it is removed,
// so there is no instant in which the address answers. nft runs without a shell (the runner from
// src/openshift/firewall.ts), but parses its argument as a script: only our constants and an address
// parsed and printed again by canonicalAddress go into one (anything else is EINVAL); a failure is an Error with code 'ENFT' (or 'ENOENT' when nft is missing).

import { runCommand, type CommandResult, type CommandRunner } from './run-command.js';
import { canonicalAddress } from './address-text.js';
import { codedError, type CodedError } from '../errors.js';

export const ACCEPT_MODE_TABLE = 'vrrp_engine_accept';
const TABLE = `inet ${ACCEPT_MODE_TABLE}`;
const SETS = { 4: 'vips4', 6: 'vips6' } as const;

/** Deleting a table that may not exist: adding it first makes the delete always succeed. */
const DELETE_TABLE = `add table ${TABLE}; delete table ${TABLE}`;

const CREATE_TABLE = [
  DELETE_TABLE,
  `add table ${TABLE}`,
  `add set ${TABLE} ${SETS[4]} { type ipv4_addr; }`,
  `add set ${TABLE} ${SETS[6]} { type ipv6_addr; }`,
  `add chain ${TABLE} input { type filter hook input priority filter; policy accept; }`,
  `add rule ${TABLE} input ip daddr @${SETS[4]} drop`,
  `add rule ${TABLE} input ip6 daddr @${SETS[6]} icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept`,
  `add rule ${TABLE} input ip6 daddr @${SETS[6]} drop`,
].join('; ');

function nftError(what: string, result: CommandResult): CodedError {
  const code = result.code === 127 ? 'ENOENT' : 'ENFT';
  return codedError(code, `nft ${what} failed (exit ${result.code}): ${result.stderr.trim()}`);
}

/** The table of VIPs that must not receive traffic; one per runtime. */
export class AcceptModeFirewall {
  private readonly run: CommandRunner;
  /** Resolves once the table exists; created on first use. */
  private created: Promise<void> | undefined;
  /** Canonical addresses in the sets now, so that only those are deleted from them. */
  private readonly blocked = new Set<string>();

  constructor(run: CommandRunner = runCommand) {
    this.run = run;
  }

  /** Creates the table (replacing one left by a killed run). Later calls share the first one's outcome. */
  ensureTable(): Promise<void> {
    this.created ??= this.nft('create table', CREATE_TABLE).catch((error: unknown) => {
      this.created = undefined; // the next VIP tries again
      throw error;
    });
    return this.created;
  }

  /** Deletes a table left by an earlier run that was killed (a table of ours is never shared). */
  async removeLeftover(): Promise<void> {
    await this.nft('delete leftover table', DELETE_TABLE);
  }

  /** Adds `address` to its family's set: from now on packets to it are dropped. */
  async block(address: string): Promise<void> {
    const canonical = canonicalAddress(address);
    if (canonical === undefined)
      throw Object.assign(new Error(`not an IPv4 or IPv6 address: ${address}`), { code: 'EINVAL' });
    await this.ensureTable();
    await this.nft(
      `add ${canonical.address}`,
      `add element ${TABLE} ${SETS[canonical.family]} { ${canonical.address} }`,
    );
    this.blocked.add(canonical.address);
  }

  /** Removes `address` from its set if this run put it there. */
  async unblock(address: string): Promise<void> {
    const canonical = canonicalAddress(address);
    if (canonical === undefined || !this.blocked.has(canonical.address)) return;
    await this.nft(
      `delete ${canonical.address}`,
      `delete element ${TABLE} ${SETS[canonical.family]} { ${canonical.address} }`,
    );
    this.blocked.delete(canonical.address);
  }

  /** Deletes the table if this run created it. */
  async close(): Promise<void> {
    if (this.created === undefined) return;
    this.created = undefined;
    this.blocked.clear();
    await this.nft('delete table', `delete table ${TABLE}`);
  }

  private async nft(what: string, script: string): Promise<void> {
    const result = await this.run('nft', [script]);
    if (result.code !== 0) throw nftError(what, result);
  }
}
