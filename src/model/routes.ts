// Routes, policy rules and static addresses as the runtime takes them (keepalived's virtual_routes,
// virtual_rules, static_ipaddress, static_routes, static_rules). A route or rule naming a `router`
// follows that router: added after its VIPs when it becomes Master, removed when it leaves Master and
// at stop. One without a router is static: added at start whatever the state, kept, removed at stop.
// Plain data; `checkRoutesInput` holds the JSON configuration to the same rules the keepalived.conf
// reader applies, naming the field of the first mistake.

import ipaddr from 'ipaddr.js';
import { ConfigError, quoteValue } from './config-error.js';
import { unknownKeyMessage } from './known-keys.js';

/** rtnetlink route types (RTN_*), by keepalived's / ip's names. */
export const ROUTE_TYPES = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
  nat: 10,
  xresolve: 11,
} as const;
export type RouteType = keyof typeof ROUTE_TYPES;

/** Route metrics (RTAX_*) a route may set, each a 32-bit value as the kernel takes it. */
export const ROUTE_METRICS = {
  mtu: 2,
  window: 3,
  rtt: 4,
  rttvar: 5,
  ssthresh: 6,
  cwnd: 7,
  advmss: 8,
  reordering: 9,
  hoplimit: 10,
  initcwnd: 11,
  features: 12,
  rtoMin: 13,
  initrwnd: 14,
  quickack: 15,
  fastopenNoCookie: 17,
} as const;
export type RouteMetric = keyof typeof ROUTE_METRICS;

/** keepalived's routing protocol number (RTPROT_KEEPALIVED): what it and vrrp-engine mark their routes with. */
export const RTPROT_KEEPALIVED = 18;
/** RT_TABLE_MAIN. */
export const MAIN_TABLE = 254;

export interface RouteSpec {
  /** The router whose mastership the route follows; absent: a static route. */
  readonly router?: string;
  /** Told from the addresses when left out; 4 when none says (keepalived's default). */
  readonly family?: 4 | 6;
  /** Destination: `ADDR[/LEN]` or `default`. */
  readonly to: string;
  /** Default unicast. blackhole, unreachable, prohibit and throw need no next hop. */
  readonly type?: RouteType;
  readonly via?: string;
  readonly dev?: string;
  /** Preferred source address (RTA_PREFSRC, keepalived `src`). */
  readonly src?: string;
  /** IPv6 only: source prefix (RTA_SRC, keepalived `from`). */
  readonly from?: string;
  /** Default 254 (main). */
  readonly table?: number;
  /** RT_SCOPE_*: 0 global (default), 253 link, 254 host. */
  readonly scope?: number;
  readonly metric?: number;
  /** Default 18 (keepalived). */
  readonly protocol?: number;
  readonly tos?: number;
  readonly onlink?: boolean;
  /** How the kernel places it among matching routes: prepend (default, keepalived's), append, add (fails if one exists). */
  readonly mode?: 'prepend' | 'append' | 'add';
  readonly metrics?: Readonly<Partial<Record<RouteMetric, number>>>;
  /** Metrics the kernel must not change (RTAX_LOCK). */
  readonly lockedMetrics?: readonly RouteMetric[];
  /** Deleted by someone else: a Master stays Master (a static one is not put back). */
  readonly noTrack?: boolean;
}

export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

export interface RuleSpec {
  readonly router?: string;
  readonly family?: 4 | 6;
  readonly from?: string;
  readonly to?: string;
  /** Default 'table' when `table` is given. */
  readonly action?: RuleAction;
  readonly table?: number;
  /** The preference `goto` jumps to. */
  readonly goto?: number;
  /** The rule's preference (priority), required: rules without one would land in any order. */
  readonly priority: number;
  readonly not?: boolean;
  readonly tos?: number;
  readonly fwmark?: number;
  readonly fwmask?: number;
  readonly iif?: string;
  readonly oif?: string;
  readonly uidRange?: readonly [number, number];
  readonly ipProto?: number;
  readonly sport?: readonly [number, number];
  readonly dport?: readonly [number, number];
  readonly suppressPrefixLength?: number;
  /** Default 18 (keepalived). */
  readonly protocol?: number;
  readonly noTrack?: boolean;
}

/** keepalived's static_ipaddress: an address kept on `interface` while the daemon runs. */
export interface StaticAddressSpec {
  readonly interface: string;
  readonly address: string;
  readonly prefixLength?: number;
  readonly label?: string;
  /** IPv6: 0 deprecates the address (not picked as a source). */
  readonly preferredLifetime?: 0 | 'forever';
}

const ROUTE_FIELDS = [
  'router',
  'family',
  'to',
  'type',
  'via',
  'dev',
  'src',
  'from',
  'table',
  'scope',
  'metric',
  'protocol',
  'tos',
  'onlink',
  'mode',
  'metrics',
  'lockedMetrics',
  'noTrack',
] as const;
const RULE_FIELDS = [
  'router',
  'family',
  'from',
  'to',
  'action',
  'table',
  'goto',
  'priority',
  'not',
  'tos',
  'fwmark',
  'fwmask',
  'iif',
  'oif',
  'uidRange',
  'ipProto',
  'sport',
  'dport',
  'suppressPrefixLength',
  'protocol',
  'noTrack',
] as const;
const STATIC_ADDRESS_FIELDS = ['interface', 'address', 'prefixLength', 'label', 'preferredLifetime'] as const;
const RULE_ACTIONS: readonly RuleAction[] = ['table', 'goto', 'nop', 'blackhole', 'unreachable', 'prohibit'];
const MAX_INTERFACE_NAME = 15;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The family of `ADDR[/LEN]`, undefined when it is not one. */
export function prefixFamily(text: string): 4 | 6 | undefined {
  const [address, length, extra] = text.split('/');
  if (extra !== undefined || address === undefined || !ipaddr.isValid(address)) return undefined;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(address)) return undefined;
  const family = parsed.kind() === 'ipv4' ? 4 : 6;
  if (length === undefined) return family;
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(length) && Number(length) <= max ? family : undefined;
}

/** The family a route is added in: its own, else its addresses', else 4. */
export function routeFamily(route: RouteSpec): 4 | 6 {
  if (route.family !== undefined) return route.family;
  for (const text of [route.to, route.via, route.src, route.from]) {
    const family = text === undefined || text === 'default' ? undefined : prefixFamily(text);
    if (family !== undefined) return family;
  }
  return 4;
}

export function ruleFamily(rule: RuleSpec): 4 | 6 {
  if (rule.family !== undefined) return rule.family;
  for (const text of [rule.from, rule.to]) {
    const family = text === undefined || text === 'default' ? undefined : prefixFamily(text);
    if (family !== undefined) return family;
  }
  return 4;
}

function unsigned(value: unknown, where: string, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw new ConfigError(where, `must be a whole number from 0 to ${max}, got ${quoteValue(value)}`);
}

function interfaceName(value: unknown, where: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_INTERFACE_NAME || /[\s/]/.test(value))
    throw new ConfigError(where, `must be an interface name (1 to 15 characters), got ${quoteValue(value)}`);
}

function address(value: unknown, where: string, family: 4 | 6, prefix: boolean): void {
  const text = typeof value === 'string' ? value : '';
  const found = text === 'default' && prefix ? family : prefixFamily(text);
  if (found === undefined || (!prefix && text.includes('/')))
    throw new ConfigError(
      where,
      `must be an IPv${family} address${prefix ? '[/length] or "default"' : ''}, got ${quoteValue(value)}`,
    );
  if (found !== family)
    throw new ConfigError(where, `is IPv${found} in an IPv${family} entry: families cannot be mixed`);
}

function flag(value: unknown, where: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new ConfigError(where, 'must be true or false');
}

function range(value: unknown, where: string, max: number): void {
  if (!Array.isArray(value) || value.length !== 2) throw new ConfigError(where, 'must be [first, last]');
  unsigned(value[0], `${where}[0]`, max);
  unsigned(value[1], `${where}[1]`, max);
  if ((value[0] as number) > (value[1] as number)) throw new ConfigError(where, 'first must not be above last');
}

function checkRoute(route: unknown, where: string, routers: ReadonlySet<unknown>): void {
  if (!isRecord(route)) throw new ConfigError(where, 'must be an object');
  for (const key of Object.keys(route)) {
    if (!(ROUTE_FIELDS as readonly string[]).includes(key))
      throw new ConfigError(`${where}.${key}`, unknownKeyMessage(key, ROUTE_FIELDS));
  }
  checkOwner(route.router, `${where}.router`, routers);
  const spec = route as unknown as RouteSpec;
  if (route.family !== undefined && route.family !== 4 && route.family !== 6)
    throw new ConfigError(`${where}.family`, 'must be 4 or 6');
  const family = routeFamily(spec);
  address(route.to, `${where}.to`, family, true);
  if (route.type !== undefined && !Object.hasOwn(ROUTE_TYPES, route.type as string))
    throw new ConfigError(`${where}.type`, `must be one of ${Object.keys(ROUTE_TYPES).join(', ')}`);
  if (route.via !== undefined) address(route.via, `${where}.via`, family, false);
  if (route.src !== undefined) address(route.src, `${where}.src`, family, false);
  if (route.from !== undefined) {
    if (family !== 6) throw new ConfigError(`${where}.from`, 'a source prefix is for IPv6 routes only');
    address(route.from, `${where}.from`, family, true);
  }
  if (route.dev !== undefined) interfaceName(route.dev, `${where}.dev`);
  if (route.table !== undefined) unsigned(route.table, `${where}.table`, 0xffffffff);
  if (route.table === 0) throw new ConfigError(`${where}.table`, 'table 0 is not a table');
  for (const [field, max] of [
    ['scope', 255],
    ['metric', 0xffffffff],
    ['protocol', 255],
    ['tos', 255],
  ] as const) {
    if (route[field] !== undefined) unsigned(route[field], `${where}.${field}`, max);
  }
  flag(route.onlink, `${where}.onlink`);
  flag(route.noTrack, `${where}.noTrack`);
  if (route.mode !== undefined && !['prepend', 'append', 'add'].includes(route.mode as string))
    throw new ConfigError(`${where}.mode`, 'must be prepend, append or add');
  if (route.metrics !== undefined) {
    if (!isRecord(route.metrics)) throw new ConfigError(`${where}.metrics`, 'must be an object');
    for (const [key, value] of Object.entries(route.metrics)) {
      if (!Object.hasOwn(ROUTE_METRICS, key))
        throw new ConfigError(`${where}.metrics.${key}`, unknownKeyMessage(key, Object.keys(ROUTE_METRICS)));
      unsigned(value, `${where}.metrics.${key}`, 0xffffffff);
    }
  }
  if (route.lockedMetrics !== undefined) {
    if (!Array.isArray(route.lockedMetrics) || route.lockedMetrics.some((m) => !Object.hasOwn(ROUTE_METRICS, m)))
      throw new ConfigError(
        `${where}.lockedMetrics`,
        `must list metric names (${Object.keys(ROUTE_METRICS).join(', ')})`,
      );
  }
}

function checkRule(rule: unknown, where: string, routers: ReadonlySet<unknown>): void {
  if (!isRecord(rule)) throw new ConfigError(where, 'must be an object');
  for (const key of Object.keys(rule)) {
    if (!(RULE_FIELDS as readonly string[]).includes(key))
      throw new ConfigError(`${where}.${key}`, unknownKeyMessage(key, RULE_FIELDS));
  }
  checkOwner(rule.router, `${where}.router`, routers);
  if (rule.family !== undefined && rule.family !== 4 && rule.family !== 6)
    throw new ConfigError(`${where}.family`, 'must be 4 or 6');
  const family = ruleFamily(rule as unknown as RuleSpec);
  if (rule.from !== undefined) address(rule.from, `${where}.from`, family, true);
  if (rule.to !== undefined) address(rule.to, `${where}.to`, family, true);
  unsigned(rule.priority, `${where}.priority`, 0xffffffff);
  const action = (rule.action ?? (rule.table !== undefined ? 'table' : undefined)) as RuleAction | undefined;
  if (action === undefined || !RULE_ACTIONS.includes(action))
    throw new ConfigError(`${where}.action`, `must be one of ${RULE_ACTIONS.join(', ')} (or give a table)`);
  if (action === 'table') {
    unsigned(rule.table, `${where}.table`, 0xffffffff);
    if (rule.table === 0) throw new ConfigError(`${where}.table`, 'table 0 is not a table');
  } else if (rule.table !== undefined)
    throw new ConfigError(`${where}.table`, `is for the table action, not ${action}`);
  if (action === 'goto') {
    unsigned(rule.goto, `${where}.goto`, 0xffffffff);
    if ((rule.goto as number) <= (rule.priority as number))
      throw new ConfigError(`${where}.goto`, "must be above the rule's own priority");
  } else if (rule.goto !== undefined) throw new ConfigError(`${where}.goto`, 'is for the goto action');
  for (const [field, max] of [
    ['tos', 255],
    ['fwmark', 0xffffffff],
    ['fwmask', 0xffffffff],
    ['ipProto', 255],
    ['suppressPrefixLength', 0x7fffffff],
    ['protocol', 255],
  ] as const) {
    if (rule[field] !== undefined) unsigned(rule[field], `${where}.${field}`, max);
  }
  if (rule.fwmask !== undefined && rule.fwmark === undefined) throw new ConfigError(`${where}.fwmask`, 'needs fwmark');
  if (rule.suppressPrefixLength !== undefined && action !== 'table')
    throw new ConfigError(`${where}.suppressPrefixLength`, 'is for the table action only');
  if (rule.iif !== undefined) interfaceName(rule.iif, `${where}.iif`);
  if (rule.oif !== undefined) interfaceName(rule.oif, `${where}.oif`);
  if (rule.uidRange !== undefined) range(rule.uidRange, `${where}.uidRange`, 0xffffffff);
  if (rule.sport !== undefined) range(rule.sport, `${where}.sport`, 0xffff);
  if (rule.dport !== undefined) range(rule.dport, `${where}.dport`, 0xffff);
  flag(rule.not, `${where}.not`);
  flag(rule.noTrack, `${where}.noTrack`);
}

function checkOwner(router: unknown, where: string, routers: ReadonlySet<unknown>): void {
  if (router === undefined) return;
  if (typeof router !== 'string' || !routers.has(router))
    throw new ConfigError(where, `must name one of the routers, got ${quoteValue(router)}`);
}

function checkStaticAddress(spec: unknown, where: string): void {
  if (!isRecord(spec)) throw new ConfigError(where, 'must be an object');
  for (const key of Object.keys(spec)) {
    if (!(STATIC_ADDRESS_FIELDS as readonly string[]).includes(key))
      throw new ConfigError(`${where}.${key}`, unknownKeyMessage(key, STATIC_ADDRESS_FIELDS));
  }
  interfaceName(spec.interface, `${where}.interface`);
  const family = typeof spec.address === 'string' ? prefixFamily(spec.address) : undefined;
  if (family === undefined || (spec.address as string).includes('/'))
    throw new ConfigError(`${where}.address`, `must be an IP address, got ${quoteValue(spec.address)}`);
  if (spec.prefixLength !== undefined) unsigned(spec.prefixLength, `${where}.prefixLength`, family === 4 ? 32 : 128);
  if (spec.label !== undefined) {
    const label = spec.label;
    if (family !== 4 || typeof label !== 'string' || label.length > MAX_INTERFACE_NAME)
      throw new ConfigError(`${where}.label`, 'IPv4 only, at most 15 characters');
    if (label !== spec.interface && !label.startsWith(`${spec.interface as string}:`))
      throw new ConfigError(
        `${where}.label`,
        `must be "${spec.interface as string}" or "${spec.interface as string}:<suffix>"`,
      );
  }
  if (spec.preferredLifetime !== undefined && spec.preferredLifetime !== 0 && spec.preferredLifetime !== 'forever')
    throw new ConfigError(`${where}.preferredLifetime`, 'must be 0 or "forever"');
  if (spec.preferredLifetime !== undefined && family !== 6)
    throw new ConfigError(`${where}.preferredLifetime`, 'applies to IPv6 addresses only');
}

function list(value: unknown, where: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError(where, 'must be a list');
  return value;
}

/** The routes, rules and static addresses of a LinuxEngineInput; throws ConfigError naming the field. */
export function checkRoutesInput(input: {
  readonly routers?: unknown;
  readonly routes?: unknown;
  readonly rules?: unknown;
  readonly staticAddresses?: unknown;
}): void {
  const named = Array.isArray(input.routers) ? input.routers : [];
  const routers = new Set(named.map((router: unknown) => (isRecord(router) ? router.name : undefined)));
  list(input.routes, 'routes').forEach((route, index) => checkRoute(route, `routes[${index}]`, routers));
  list(input.rules, 'rules').forEach((rule, index) => checkRule(rule, `rules[${index}]`, routers));
  list(input.staticAddresses, 'staticAddresses').forEach((spec, index) =>
    checkStaticAddress(spec, `staticAddresses[${index}]`),
  );
}
