// Accept mode off (RFC 5798/9568 6.4.3), enforced as keepalived 2.2.7 enforces it (vrrp_strict,
// no_accept): tables `ip NAME` and `ip6 NAME` whose input and output chains drop packets to and from the
// VIPs in their sets, IPv6 neighbour discovery excepted (nft-accept-table.ts has the layout). As in
// keepalived, a family's table is made at its first VIP (a Backup that never was Master has none), a
// VIP enters its set before it is added to the interface and leaves it after it is removed, so it never
// answers while on the interface, and the tables are deleted at stop. Blocks asked in the same turn of
// the event loop go to nft as one batch, as keepalived sends one per instance.
//
// nft reads a JSON document on stdin (nft-run.ts), so the table name and the addresses are data, never
// script: an address must parse as one (canonicalAddress; else EINVAL). A failure is an Error with code
// 'ENFT' (or 'ENOENT' when nft is missing).

import { canonicalAddress } from './address-text.js';
import { codedError, type CodedError } from '../errors.js';
import { nftablesSettings, type NftablesSettings } from '../model/nftables.js';
import type { CommandResult } from './run-command.js';
import { runNft, type NftRunner } from './nft-run.js';
import {
  deleteTables,
  elements,
  familyTable,
  isLinkLocal,
  linkLocalSet,
  nftDocument,
  setOf,
  type AcceptTableLayout,
  type BlockedAddress,
  type LinkLocalKey,
  type NftCommand,
} from './nft-accept-table.js';
import type { IpFamily } from '../wire/types.js';

/** Where a VIP lives: its interface's name and index (a link-local VIP is keyed by one of them). */
export interface VipPlace {
  readonly iface: string;
  readonly ifindex: number;
  /**
   * keepalived keys a link-local VIP by interface name only for an instance with dont_track_primary,
   * the VIP on its own interface or no_track (LinuxAddressPort addVips decides); nftables_ifindex
   * (settings.ifindex) keys it by index anyway.
   */
  readonly byName?: boolean;
}

interface Pending {
  readonly key: string;
  readonly entry: BlockedAddress;
  readonly settle: { resolve: () => void; reject: (error: unknown) => void };
}

function nftError(what: string, result: CommandResult): CodedError {
  const code = result.code === 127 ? 'ENOENT' : 'ENFT';
  return codedError(code, `nft ${what} failed (exit ${result.code}): ${result.stderr.trim()}`);
}

function invalid(address: string): CodedError {
  return codedError('EINVAL', `not an IPv4 or IPv6 address: ${address}`);
}

/** The tables of VIPs that must not receive traffic; one per runtime. */
export class AcceptModeFirewall {
  readonly settings: Required<NftablesSettings>;
  private readonly layout: AcceptTableLayout;
  private readonly run: NftRunner;
  /** Families whose table this run made, and the link-local sets made in the ip6 one. */
  private readonly made = new Set<IpFamily>();
  private readonly linkLocalMade = new Set<LinkLocalKey>();
  /** What is in the sets now, by interface and address, so that exactly that element is deleted. */
  private readonly blocked = new Map<string, BlockedAddress>();
  private pending: Pending[] = [];
  /** nft runs one at a time, so `made` always says what the kernel has. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(settings?: NftablesSettings, run: NftRunner = runNft) {
    this.settings = nftablesSettings(settings);
    const { table, priority, counters } = this.settings;
    this.layout = { table, priority, counters };
    this.run = run;
  }

  /**
   * Asks the kernel whether it would take both tables (nft -c: nothing is committed), so that a host
   * without nftables fails at start, not at the first takeover.
   */
  async check(): Promise<void> {
    const commands = [
      ...deleteTables(this.layout.table),
      ...familyTable(this.layout, 4),
      ...familyTable(this.layout, 6),
    ];
    await this.serial('check the accept-mode tables', commands, true);
  }

  /** Deletes tables of our name left by an earlier run that was killed (a table of ours is never shared). */
  async removeLeftover(): Promise<void> {
    await this.serial('delete leftover tables', deleteTables(this.layout.table));
  }

  /** Adds `address` to its set (making the table first if need be): from now on its packets are dropped. */
  block(address: string, place: VipPlace): Promise<void> {
    const entry = this.entry(address, place);
    if (entry === undefined) return Promise.reject(invalid(address));
    return new Promise((resolve, reject) => {
      this.pending.push({ key: `${place.iface} ${entry.address}`, entry, settle: { resolve, reject } });
      // The first block of this turn flushes them all, after the others have joined.
      if (this.pending.length === 1) queueMicrotask(() => void this.flush());
    });
  }

  /** Removes `address` from its set if this run put it there. */
  async unblock(address: string, place: Pick<VipPlace, 'iface'>): Promise<void> {
    const canonical = canonicalAddress(address);
    const key = canonical === undefined ? undefined : `${place.iface} ${canonical.address}`;
    const entry = key === undefined ? undefined : this.blocked.get(key);
    if (key === undefined || entry === undefined) return;
    await this.serial(`delete ${entry.address}`, elements('delete', this.layout.table, [entry]));
    this.blocked.delete(key);
  }

  /** Deletes the tables this run made. */
  async close(): Promise<void> {
    const families = [...this.made];
    this.made.clear();
    this.linkLocalMade.clear();
    this.blocked.clear();
    if (families.length === 0) return;
    const commands = families.map((f) => ({
      delete: { table: { family: f === 4 ? 'ip' : 'ip6', name: this.layout.table } },
    }));
    await this.serial('delete the accept-mode tables', commands);
  }

  private entry(address: string, place: VipPlace): BlockedAddress | undefined {
    const canonical = canonicalAddress(address);
    if (canonical === undefined) return undefined;
    if (canonical.family === 4 || !isLinkLocal(canonical.address)) return canonical;
    const byName = place.byName === true && !this.settings.ifindex;
    return { ...canonical, linkLocal: byName ? { ifname: place.iface } : { ifindex: place.ifindex } };
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const unique = new Map(batch.filter((p) => !this.blocked.has(p.key)).map((p) => [p.key, p.entry]));
    const entries = [...unique.values()];
    try {
      await this.serialBuilt(`add ${entries.map((e) => e.address).join(', ')}`, () => this.addCommands(entries));
      for (const p of batch) this.blocked.set(p.key, p.entry);
      for (const p of batch) p.settle.resolve();
    } catch (error) {
      for (const p of batch) p.settle.reject(error);
    }
  }

  /** The tables and sets these entries need (those not made yet), then the elements. */
  private addCommands(entries: readonly BlockedAddress[]): { commands: NftCommand[]; done: () => void } {
    const families = new Set(entries.map((e) => e.family));
    const keys = new Set(entries.map((e) => setOf(e).linkLocal).filter((k): k is LinkLocalKey => k !== undefined));
    const newFamilies = [...families].filter((f) => !this.made.has(f));
    const newKeys = [...keys].filter((k) => !this.linkLocalMade.has(k));
    const commands: NftCommand[] = [];
    for (const family of newFamilies) {
      // keepalived deletes a leftover of the family's table when it makes its own: no duplicate rules.
      const name = { family: family === 4 ? 'ip' : 'ip6', name: this.layout.table };
      commands.push({ add: { table: name } }, { delete: { table: name } }, ...familyTable(this.layout, family));
    }
    for (const key of newKeys) commands.push(...linkLocalSet(this.layout, key));
    commands.push(...elements('add', this.layout.table, entries));
    return {
      commands,
      done: () => {
        for (const family of newFamilies) this.made.add(family);
        for (const key of newKeys) this.linkLocalMade.add(key);
      },
    };
  }

  /** Runs one batch of fixed commands after the ones before it. */
  private serial(what: string, commands: readonly NftCommand[], check = false): Promise<void> {
    return this.serialBuilt(what, () => ({ commands: [...commands], done: () => undefined }), check);
  }

  /**
   * Runs one batch after the ones before it: `build` makes its commands when its turn comes (from
   * what is made by then), and its `done` records what the batch made once nft took it.
   */
  private serialBuilt(
    what: string,
    build: () => { commands: NftCommand[]; done: () => void },
    check = false,
  ): Promise<void> {
    const next = this.queue.then(async () => {
      const built = build();
      if (built.commands.length === 0) return;
      const result = await this.run(nftDocument(built.commands), { check });
      if (result.code !== 0) throw nftError(what, result);
      built.done();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
