// The gaps between gratuitous ARPs / unsolicited NAs on an interface: global_defs' vrrp_garp_interval
// and vrrp_gna_interval (every interface) and the top-level garp_group blocks (their interfaces
// instead), into the runtime's announceSpacing (src/model/announce-spacing.ts). keepalived 2.2.7 reads
// them as decimal seconds with at most 6 decimals (µs): the global ones from 0.000001 to 4294.967295,
// a group's from 0 to 2147.483647.

import type { AnnounceGapGroup, AnnounceGaps, AnnounceSpacing } from '../../model/announce-spacing.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import { MAX_INTERFACE_NAME, singleArg } from './values.js';

const UINT_MAX_US = 4_294_967_295;
const INT_MAX_US = 2_147_483_647;

/** `KEYWORD SECONDS` in µs steps, as milliseconds; undefined (reported) when out of range. */
function readMicroseconds(
  statement: Statement,
  minUs: number,
  maxUs: number,
  diagnostics: DiagnosticList,
): number | undefined {
  const word = singleArg(statement, diagnostics);
  if (!word) return undefined;
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(word.text);
  const us = match ? Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0')) : NaN;
  if (Number.isNaN(us) || us < minUs || us > maxUs) {
    diagnostics.error(
      word,
      `${statement.keyword} must be a number of seconds from ${minUs / 1e6} to ${maxUs / 1e6} with at most 6 decimals, got "${word.text}"`,
    );
    return undefined;
  }
  return us / 1000;
}

/** vrrp_garp_interval / vrrp_gna_interval in global_defs; false if `statement` is neither. */
export function readGlobalGap(statement: Statement, spacing: AnnounceSpacing, diagnostics: DiagnosticList): boolean {
  const field = GAP_FIELDS[statement.keyword.replace(/^vrrp_/, '')];
  if (field === undefined || !statement.keyword.startsWith('vrrp_')) return false;
  const ms = readMicroseconds(statement, 1, UINT_MAX_US, diagnostics);
  if (ms !== undefined) (spacing as { -readonly [K in keyof AnnounceGaps]: number })[field] = ms;
  return true;
}

const GAP_FIELDS: Readonly<Record<string, keyof AnnounceGaps>> = {
  garp_interval: 'arpIntervalMs',
  gna_interval: 'naIntervalMs',
};

/**
 * A top-level `garp_group { garp_interval S; gna_interval S; interface I; interfaces { I ... } }`.
 * An interface already in an earlier group stays there (keepalived ignores the later one, with an
 * error); a group that sets no gap is dropped (keepalived removes it, with an error).
 */
export function readGarpGroup(
  statement: Statement,
  groups: AnnounceGapGroup[],
  diagnostics: DiagnosticList,
): AnnounceGapGroup | undefined {
  if (statement.args.length > 0)
    diagnostics.warning(statement, 'garp_group takes no name: the words after it are ignored');
  const gaps: { -readonly [K in keyof AnnounceGaps]: number } = {};
  const interfaces: string[] = [];
  const taken = new Set(groups.flatMap((group) => group.interfaces));
  const addInterface = (name: string, at: Statement) => {
    if (name.length > MAX_INTERFACE_NAME || /[\s/:]/.test(name))
      diagnostics.error(at, `garp_group: "${name}" is not an interface name`);
    else if (taken.has(name) || interfaces.includes(name))
      diagnostics.warning(
        at,
        `garp_group: ${name} is already in a garp_group; this one is ignored for it (as keepalived does)`,
      );
    else interfaces.push(name);
  };
  for (const inner of statement.block ?? []) {
    const field = GAP_FIELDS[inner.keyword];
    if (field !== undefined) {
      const ms = readMicroseconds(inner, 0, INT_MAX_US, diagnostics);
      if (ms !== undefined) gaps[field] = ms;
    } else if (inner.keyword === 'interface') {
      const word = singleArg(inner, diagnostics);
      if (word) addInterface(word.text, inner);
    } else if (inner.keyword === 'interfaces') {
      const names = [
        ...inner.args.map((word) => word.text),
        ...(inner.block ?? []).flatMap((s) => [s.keyword, ...s.args.map((w) => w.text)]),
      ];
      if (names.length === 0) diagnostics.warning(inner, 'garp_group: empty interfaces block');
      for (const name of names) addInterface(name, inner);
    } else {
      diagnostics.error(
        inner,
        `garp_group: unknown keyword ${inner.keyword} (garp_interval, gna_interval, interface, interfaces)`,
      );
    }
  }
  if (gaps.arpIntervalMs === undefined && gaps.naIntervalMs === undefined) {
    diagnostics.warning(
      statement,
      'garp_group sets neither garp_interval nor gna_interval: it is dropped (as keepalived does)',
    );
    return undefined;
  }
  if (interfaces.length === 0) return undefined;
  return { ...gaps, interfaces };
}

/** Every top-level garp_group, in order. */
export function readGarpGroups(statements: readonly Statement[], diagnostics: DiagnosticList): AnnounceGapGroup[] {
  const groups: AnnounceGapGroup[] = [];
  for (const statement of statements.filter((s) => s.keyword === 'garp_group')) {
    const group = readGarpGroup(statement, groups, diagnostics);
    if (group) groups.push(group);
  }
  return groups;
}

/** The runtime's announceSpacing from the globals' gaps and the groups; undefined when nothing is set. */
export function announceSpacing(
  globalGaps: AnnounceGaps,
  groups: readonly AnnounceGapGroup[],
): AnnounceSpacing | undefined {
  if (globalGaps.arpIntervalMs === undefined && globalGaps.naIntervalMs === undefined && groups.length === 0)
    return undefined;
  return { ...globalGaps, ...(groups.length > 0 ? { groups } : {}) };
}

/** keepalived garp_extra_if / vrrp_garp_extra_if: an interval, and whether every other interface counts. */
export interface ExtraInterfaceAnnounce {
  readonly intervalMs: number;
  readonly all: boolean;
}

/**
 * `[vrrp_]garp_extra_if [all] SECONDS` (the words in any order): whole seconds up to 86400, at least 1
 * in global_defs, 0 (off) allowed in an instance, as keepalived 2.2.7 reads them.
 */
export function readExtraInterfaceAnnounce(
  statement: Statement,
  minSeconds: number,
  diagnostics: DiagnosticList,
): ExtraInterfaceAnnounce | undefined {
  let all = false;
  let seconds: number | undefined;
  for (const word of statement.args) {
    if (word.text === 'all') all = true;
    else if (/^\d+$/.test(word.text) && Number(word.text) >= minSeconds && Number(word.text) <= 86_400)
      seconds = Number(word.text);
    else {
      diagnostics.error(
        word,
        `${statement.keyword}: "${word.text}" is neither "all" nor a number of seconds from ${minSeconds} to 86400`,
      );
      return undefined;
    }
  }
  if (seconds === undefined) {
    diagnostics.error(statement, `${statement.keyword} needs a number of seconds`);
    return undefined;
  }
  return { intervalMs: seconds * 1000, all };
}

/**
 * The interfaces garp_extra_if announces on for one instance: those its addresses live on other than
 * its own (and its VMAC), with `all`; without it only those that are VMACs of this configuration.
 * None: off, as keepalived turns it off (vrrp_complete_instance).
 */
export function extraInterfacesOf(
  own: readonly string[],
  addressInterfaces: readonly string[],
  vmacs: ReadonlySet<string>,
  all: boolean,
): string[] {
  const others = addressInterfaces.filter((iface) => !own.includes(iface) && (all || vmacs.has(iface)));
  return [...new Set(others)];
}
