// The top-level static_ipaddress, static_routes, static_rules and track_group of a keepalived.conf.
// keepalived 2.2.7 reads them in file order, so a track_group is known only after its definition
// (static_track_group_find at parse time). A track group makes each of its instances track the link
// of each static entry naming it (the address's dev, the route's dev, the rule's iif) with weight 0,
// as keepalived's static_track_group_init does: that link down puts the instance in Fault.

import type { RouteSpec, RuleSpec, StaticAddressSpec } from '../../model/routes.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import type { Statement } from './parser.js';
import { readRoutes, readRules, readTrackGroupDefinition, type TrackGroupDefinition } from './routes.js';
import { readVips } from './vip-lists.js';

/** keepalived's default_interface default. */
export const DEFAULT_STATIC_INTERFACE = 'eth0';

export interface MappedStatics {
  readonly routes: readonly RouteSpec[];
  readonly rules: readonly RuleSpec[];
  readonly addresses: readonly StaticAddressSpec[];
  /** Instance name -> interfaces it tracks for its track groups (weight 0). */
  readonly trackInterfaces: ReadonlyMap<string, readonly string[]>;
}

export const STATIC_KEYWORDS: ReadonlySet<string> = new Set([
  'static_ipaddress',
  'static_routes',
  'static_rules',
  'track_group',
]);

export function readStatics(
  statements: readonly Statement[],
  instances: ReadonlySet<string>,
  defaultInterface: string | undefined,
  diagnostics: DiagnosticList,
): MappedStatics {
  const groups = new Map<string, TrackGroupDefinition>();
  const routes: RouteSpec[] = [];
  const rules: RuleSpec[] = [];
  const addresses: StaticAddressSpec[] = [];
  /** Track group -> the interfaces its entries live on. */
  const followed = new Map<string, Set<string>>();
  const follow = (
    group: string | undefined,
    iface: string | undefined,
    noTrack: boolean | undefined,
    at: SourcePosition,
  ) => {
    if (group === undefined || iface === undefined) return;
    if (noTrack === true) {
      diagnostics.warning(at, `both track_group ${group} and no_track: not tracked (as keepalived)`);
      return;
    }
    const set = followed.get(group) ?? new Set<string>();
    set.add(iface);
    followed.set(group, set);
  };
  for (const statement of statements) {
    const context = { keyword: statement.keyword, trackGroups: new Set(groups.keys()) };
    switch (statement.keyword) {
      case 'track_group': {
        const group = readTrackGroupDefinition(statement, diagnostics);
        if (!group) break;
        if (groups.has(group.name)) diagnostics.error(statement, `track_group ${group.name} is already defined`);
        else groups.set(group.name, group);
        break;
      }
      case 'static_routes':
        for (const entry of readRoutes(statement, context, diagnostics)) {
          routes.push(entry.spec);
          follow(entry.trackGroup, entry.trackInterface, entry.spec.noTrack, entry.at);
        }
        break;
      case 'static_rules':
        for (const entry of readRules(statement, context, diagnostics)) {
          rules.push(entry.spec);
          follow(entry.trackGroup, entry.trackInterface, entry.spec.noTrack, entry.at);
        }
        break;
      case 'static_ipaddress':
        addresses.push(...readStaticAddresses(statement, context.trackGroups, defaultInterface, diagnostics, follow));
        break;
    }
  }
  const trackInterfaces = new Map<string, string[]>();
  for (const [name, group] of groups) {
    for (const instance of group.instances) {
      if (!instances.has(instance)) {
        diagnostics.warning(
          group.at,
          `vrrp_instance ${instance} of track_group ${name} does not exist: ignored (as keepalived)`,
        );
        continue;
      }
      const list = trackInterfaces.get(instance) ?? [];
      for (const iface of followed.get(name) ?? []) if (!list.includes(iface)) list.push(iface);
      trackInterfaces.set(instance, list);
    }
  }
  return { routes, rules, addresses, trackInterfaces };
}

/** static_ipaddress: virtual_ipaddress's syntax plus `track_group G`; without dev, on default_interface. */
function readStaticAddresses(
  statement: Statement,
  known: ReadonlySet<string>,
  defaultInterface: string | undefined,
  diagnostics: DiagnosticList,
  follow: (
    group: string | undefined,
    iface: string | undefined,
    noTrack: boolean | undefined,
    at: SourcePosition,
  ) => void,
): StaticAddressSpec[] {
  const fallback = defaultInterface ?? DEFAULT_STATIC_INTERFACE;
  const groupOf = new Map<number, string>();
  // track_group is taken off each line here; readVips reads the rest as virtual_ipaddress does.
  const lines = (statement.block ?? []).map((line, index): Statement => {
    const at = line.args.findIndex((word) => word.text === 'track_group');
    if (at === -1) return line;
    const name = line.args[at + 1];
    if (name === undefined) diagnostics.error(line, 'track_group needs a value');
    else if (!known.has(name.text)) diagnostics.error(name, `track_group ${name.text} is not defined`);
    else groupOf.set(index, name.text);
    return { ...line, args: [...line.args.slice(0, at), ...line.args.slice(at + 2)] };
  });
  const list = { keyword: 'static_ipaddress', field: 'staticAddresses' } as const;
  const positions = new Map<string, SourcePosition>();
  // A `dev` equal to the fallback is left out by readVips: the fallback is where the address goes then.
  const vips = readVips({ ...statement, block: lines }, list, fallback, undefined, diagnostics, positions);
  return vips.map((vip, index) => {
    const iface = vip.dev ?? fallback;
    const at = positions.get(`staticAddresses[${index}]`) ?? statement;
    const lineIndex = lines.findIndex((line) => line.line === at.line && line.file === at.file);
    follow(groupOf.get(lineIndex), iface, vip.noTrack, at);
    return {
      interface: iface,
      address: vip.address,
      ...(vip.prefixLength !== undefined ? { prefixLength: vip.prefixLength } : {}),
      ...(vip.label !== undefined ? { label: vip.label } : {}),
      ...(vip.preferredLifetime !== undefined ? { preferredLifetime: vip.preferredLifetime } : {}),
    };
  });
}
