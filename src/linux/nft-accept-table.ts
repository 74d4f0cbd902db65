// The accept-mode tables as nft's JSON commands, laid out as keepalived 2.2.7 lays out its own
// (keepalived/vrrp/vrrp_nftables.c), so `nft list ruleset` reads the same on a Master of either:
//
//   table ip NAME   set vips (ipv4_addr); chains out (hook output) and in (hook input), both type
//                   filter, policy accept, priority P; rules `in: ip daddr @vips drop`,
//                   `out: ip saddr @vips drop`.
//   table ip6 NAME  set vips (ipv6_addr), set neighbor-discovery (icmpv6_type, constant: NS and NA);
//                   chains out / in as above plus regular chains in_link_local / out_link_local;
//                   in: `icmpv6 type @neighbor-discovery accept`, `ip6 daddr fe80::/10 goto
//                   in_link_local`, `ip6 daddr @vips drop` (out: the same with saddr and
//                   out_link_local). A link-local VIP is only unique with its interface, so it goes into
//                   vips_link_local (ipv6_addr . iface_index; rules `ip6 daddr . iif @... drop` and
//                   `ip6 saddr . oif @... drop`) or, keyed by name, vips_link_local_name (ipv6_addr .
//                   ifname; iifname / oifname), each made with its rules at its first address.
//
// With counters, every rule holds a counter before its verdict. Everything here is data: the table
// name and the addresses are JSON strings that nft never parses as a script (nft -j -f -).

import type { IpFamily } from '../wire/types.js';

export type NftCommand = Readonly<Record<string, unknown>>;

export interface AcceptTableLayout {
  readonly table: string;
  readonly priority: number;
  readonly counters: boolean;
}

/** One address to block: an IPv6 link-local one carries the interface that makes it unique. */
export interface BlockedAddress {
  readonly family: IpFamily;
  /** Canonical text (address-text.ts). */
  readonly address: string;
  readonly linkLocal?: { readonly ifindex: number } | { readonly ifname: string };
}

const NFT_FAMILY = { 4: 'ip', 6: 'ip6' } as const;
type NftFamily = (typeof NFT_FAMILY)[IpFamily];
const PROTOCOL: Readonly<Record<NftFamily, string>> = { ip: 'ip', ip6: 'ip6' };
const LINK_LOCAL_SET = { ifindex: 'vips_link_local', ifname: 'vips_link_local_name' } as const;
export type LinkLocalKey = keyof typeof LINK_LOCAL_SET;

/** The set an address goes into, and whether that set needs making first. */
export function setOf(entry: BlockedAddress): { family: NftFamily; set: string; linkLocal?: LinkLocalKey } {
  const family = NFT_FAMILY[entry.family];
  if (entry.linkLocal === undefined) return { family, set: 'vips' };
  const key: LinkLocalKey = 'ifindex' in entry.linkLocal ? 'ifindex' : 'ifname';
  return { family, set: LINK_LOCAL_SET[key], linkLocal: key };
}

/** Whether an IPv6 address (canonical text) is link-local, fe80::/10. */
export function isLinkLocal(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

function match(left: unknown, right: unknown): NftCommand {
  return { match: { op: '==', left, right } };
}

function payload(protocol: string, field: string): NftCommand {
  return { payload: { protocol, field } };
}

function rule(layout: AcceptTableLayout, family: NftFamily, chain: string, expr: NftCommand[]): NftCommand {
  const verdict = expr.slice(-1);
  const body = layout.counters ? [...expr.slice(0, -1), { counter: null }, ...verdict] : expr;
  return { add: { rule: { family, table: layout.table, chain, expr: body } } };
}

function baseChain(layout: AcceptTableLayout, family: NftFamily, name: 'in' | 'out'): NftCommand {
  const hook = name === 'in' ? 'input' : 'output';
  return {
    add: {
      chain: { family, table: layout.table, name, type: 'filter', hook, prio: layout.priority, policy: 'accept' },
    },
  };
}

/** Deletes both tables named `table` if they exist (an add first makes the delete always succeed). */
export function deleteTables(table: string): NftCommand[] {
  return (['ip', 'ip6'] as const).flatMap((family) => [
    { add: { table: { family, name: table } } },
    { delete: { table: { family, name: table } } },
  ]);
}

/** The table of one family with its chains, sets and rules, as keepalived makes it at its first VIP. */
export function familyTable(layout: AcceptTableLayout, ipFamily: IpFamily): NftCommand[] {
  const family = NFT_FAMILY[ipFamily];
  const { table } = layout;
  const proto = PROTOCOL[family];
  const commands: NftCommand[] = [
    { add: { table: { family, name: table } } },
    baseChain(layout, family, 'out'),
    baseChain(layout, family, 'in'),
    { add: { set: { family, table, name: 'vips', type: ipFamily === 4 ? 'ipv4_addr' : 'ipv6_addr' } } },
  ];
  if (family === 'ip6') {
    const linkLocal = { prefix: { addr: 'fe80::', len: 10 } };
    commands.push(
      { add: { chain: { family, table, name: 'in_link_local' } } },
      { add: { chain: { family, table, name: 'out_link_local' } } },
      {
        add: {
          set: {
            family,
            table,
            name: 'neighbor-discovery',
            type: 'icmpv6_type',
            flags: ['constant'],
            elem: ['nd-neighbor-solicit', 'nd-neighbor-advert'],
          },
        },
      },
      rule(layout, family, 'in', [match(payload('icmpv6', 'type'), '@neighbor-discovery'), { accept: null }]),
      rule(layout, family, 'in', [match(payload(proto, 'daddr'), linkLocal), { goto: { target: 'in_link_local' } }]),
      rule(layout, family, 'out', [match(payload('icmpv6', 'type'), '@neighbor-discovery'), { accept: null }]),
      rule(layout, family, 'out', [match(payload(proto, 'saddr'), linkLocal), { goto: { target: 'out_link_local' } }]),
    );
  }
  commands.push(
    rule(layout, family, 'in', [match(payload(proto, 'daddr'), '@vips'), { drop: null }]),
    rule(layout, family, 'out', [match(payload(proto, 'saddr'), '@vips'), { drop: null }]),
  );
  return commands;
}

/** The link-local set of one key and its two rules (the table of ip6 exists already). */
export function linkLocalSet(layout: AcceptTableLayout, key: LinkLocalKey): NftCommand[] {
  const family = 'ip6';
  const { table } = layout;
  const name = LINK_LOCAL_SET[key];
  const byName = key === 'ifname';
  const concat = (field: 'daddr' | 'saddr', meta: string) => ({
    concat: [payload('ip6', field), { meta: { key: meta } }],
  });
  return [
    { add: { set: { family, table, name, type: ['ipv6_addr', byName ? 'ifname' : 'iface_index'] } } },
    rule(layout, family, 'in_link_local', [
      match(concat('daddr', byName ? 'iifname' : 'iif'), `@${name}`),
      { drop: null },
    ]),
    rule(layout, family, 'out_link_local', [
      match(concat('saddr', byName ? 'oifname' : 'oif'), `@${name}`),
      { drop: null },
    ]),
  ];
}

/** Adds (or deletes) the addresses in their sets, one command per set. */
export function elements(verb: 'add' | 'delete', table: string, entries: readonly BlockedAddress[]): NftCommand[] {
  const bySet = new Map<string, { family: NftFamily; set: string; elem: unknown[] }>();
  for (const entry of entries) {
    const { family, set } = setOf(entry);
    const key = `${family} ${set}`;
    let group = bySet.get(key);
    if (group === undefined) bySet.set(key, (group = { family, set, elem: [] }));
    const link = entry.linkLocal;
    group.elem.push(
      link === undefined ? entry.address : { concat: [entry.address, 'ifindex' in link ? link.ifindex : link.ifname] },
    );
  }
  return [...bySet.values()].map(({ family, set, elem }) => ({
    [verb]: { element: { family, table, name: set, elem } },
  }));
}

/** The document `nft -j -f -` reads. */
export function nftDocument(commands: readonly NftCommand[]): string {
  return JSON.stringify({ nftables: commands });
}
