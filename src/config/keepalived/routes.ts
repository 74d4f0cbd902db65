// virtual_routes, virtual_rules (vrrp_instance), static_ipaddress, static_routes, static_rules and
// track_group (top level): one route or rule per line, in `ip route add` / `ip rule add` words, read
// word by word as keepalived 2.2.7 reads them (vrrp_iproute.c alloc_route, vrrp_iprule.c alloc_rule).
// Everything keepalived reports about a line makes `keepalived -t` fail, so it is an error here too,
// with the line: a deprecated word (`gw`, `or`), a tracked route without `dev`, a rule without a
// preference. A word keepalived takes that vrrp-engine cannot apply (encap, MPLS, VRF, realms,
// multipath nexthops, rtt metrics) is refused by name rather than dropped.

import { readFileSync } from 'node:fs';
import {
  RTPROT_KEEPALIVED,
  ROUTE_TYPES,
  type RouteMetric,
  type RouteSpec,
  type RouteType,
  type RuleAction,
  type RuleSpec,
} from '../../model/routes.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import type { Statement, Word } from './parser.js';
import { MAX_INTERFACE_NAME, readAddress, type ParsedAddress } from './values.js';

/** A route or rule line read, with what the mapper still needs: its line and track group. */
export interface ReadEntry<T> {
  readonly spec: T;
  readonly at: SourcePosition;
  /** static_* only: the track_group named. */
  readonly trackGroup?: string;
  /** The interface a track group follows (a route's dev, a rule's iif). */
  readonly trackInterface?: string;
}

/** Where a list is read: a vrrp_instance (virtual_*) or the top level (static_*, which take track_group). */
export interface ListContext {
  readonly keyword: string;
  /** The instance's name for virtual_*; undefined for static_*. */
  readonly router?: string;
  /** static_*: the track_group names defined in the file. */
  readonly trackGroups?: ReadonlySet<string>;
}

const UNSUPPORTED_ROUTE: Readonly<Record<string, string>> = {
  encap: 'lightweight tunnel encapsulation (encap)',
  expires: 'route expiry (expires)',
  realms: 'routing realms',
  pref: 'IPv6 router preference (pref)',
  'ttl-propagate': 'MPLS TTL propagation',
  vrf: 'VRF tables by name (give the table number instead)',
  nexthop: 'multipath routes (nexthop)',
  congctl: 'per-route congestion control (congctl)',
  rtt: 'the rtt metric',
  rttvar: 'the rttvar metric',
  rto_min: 'the rto_min metric',
};
const UNSUPPORTED_RULE: Readonly<Record<string, string>> = {
  realms: 'routing realms',
  suppress_ifgroup: 'suppress_ifgroup',
  sup_group: 'suppress_ifgroup',
  'tunnel-id': 'tunnel-id',
  l3mdev: 'l3mdev (VRF) rules',
};
/** Metrics taken as `NAME [lock] VALUE`, and their upper bound. */
const LOCKABLE: Readonly<Record<string, RouteMetric>> = {
  mtu: 'mtu',
  advmss: 'advmss',
  reordering: 'reordering',
  cwnd: 'cwnd',
  ssthresh: 'ssthresh',
};
const PLAIN_METRICS: Readonly<Record<string, readonly [RouteMetric, number]>> = {
  hoplimit: ['hoplimit', 255],
  window: ['window', 0xffffffff],
  initcwnd: ['initcwnd', 0xffffffff],
  initrwnd: ['initrwnd', 0xffffffff],
  quickack: ['quickack', 1],
  fastopen_no_cookie: ['fastopenNoCookie', 1],
};
const RTAX_FEATURE_ECN = 1;

/** Names of iproute2's tables (keepalived's lib/rttables.c): /etc/iproute2 first, then the built-in ones. */
const DEFAULT_NAMES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  rt_tables: { default: 253, main: 254, local: 255 },
  rt_protos: {
    none: 0,
    redirect: 1,
    kernel: 2,
    boot: 3,
    static: 4,
    gated: 8,
    ra: 9,
    mrt: 10,
    zebra: 11,
    bird: 12,
    dnrouted: 13,
    xorp: 14,
    ntk: 15,
    dhcp: 16,
    babel: 42,
  },
  rt_scopes: { global: 0, nowhere: 255, host: 254, link: 253, site: 200 },
  rt_dsfield: {},
};
const NAME_MAX: Readonly<Record<string, number>> = {
  rt_tables: 0xffffffff,
  rt_protos: 255,
  rt_scopes: 255,
  rt_dsfield: 255,
};
const nameCache = new Map<string, Map<string, number>>();

/** `/etc/iproute2/<file>` lines `NUMBER NAME`, as keepalived reads them, then its defaults for ids not named. */
function namesOf(file: string): Map<string, number> {
  const cached = nameCache.get(file);
  if (cached) return cached;
  const names = new Map<string, number>();
  const max = NAME_MAX[file]!;
  try {
    for (const line of readFileSync(`/etc/iproute2/${file}`, 'utf8').split('\n')) {
      const words = line.replace(/#.*/, '').trim().split(/\s+/);
      if (words.length !== 2) continue;
      const id = cNumber(words[0]!);
      if (id !== undefined && id <= max) names.set(words[1]!, id);
    }
  } catch {
    // No file: the defaults only, as keepalived.
  }
  const ids = new Set(names.values());
  for (const [name, id] of Object.entries(DEFAULT_NAMES[file] ?? {})) if (!ids.has(id)) names.set(name, id);
  nameCache.set(file, names);
  return names;
}

/** strtoul(text, 0): decimal, 0x hex or 0 octal, the whole word; undefined otherwise. */
function cNumber(text: string): number | undefined {
  let value: number;
  if (/^0x[0-9a-f]+$/i.test(text)) value = Number.parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) value = Number.parseInt(text.slice(1), 8);
  else if (/^\d+$/.test(text)) value = Number(text);
  else return undefined;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A number or a name of `file` (find_rttables_*), within the file's bound. */
function lookup(file: string, text: string): number | undefined {
  const number = cNumber(text);
  if (number !== undefined) return number <= NAME_MAX[file]! ? number : undefined;
  return namesOf(file).get(text);
}

function routeType(text: string): RouteType | undefined {
  if (text === 'brd') return 'broadcast';
  return Object.hasOwn(ROUTE_TYPES, text) ? (text as RouteType) : undefined;
}

/** Words of a line: the "keyword" the parser split off, then the rest. */
function wordsOf(line: Statement): Word[] {
  return [{ text: line.keyword, quoted: false, file: line.file, line: line.line }, ...line.args];
}

/** `ADDR[/LEN]`, or default / any / all (parse_route); family undefined for those. */
function readPrefix(
  word: Word,
  what: string,
  diagnostics: DiagnosticList,
): { text: string; family?: 4 | 6 } | undefined {
  if (['default', 'any', 'all'].includes(word.text)) return { text: 'default' };
  if (word.text === 'default6') return { text: 'default', family: 6 };
  const parsed = readAddress(word, what, diagnostics, true);
  if (!parsed) return undefined;
  return { text: withPrefix(parsed), family: parsed.family };
}

function withPrefix(parsed: ParsedAddress): string {
  return parsed.prefixLength === undefined ? parsed.address : `${parsed.address}/${parsed.prefixLength}`;
}

class LineReader {
  private i = 0;
  ok = true;

  constructor(
    private readonly words: readonly Word[],
    readonly diagnostics: DiagnosticList,
    protected readonly start: SourcePosition,
  ) {}

  get done(): boolean {
    return this.i >= this.words.length;
  }
  next(): Word {
    return this.words[this.i++]!;
  }
  /** The value after an option; an error when the line ends. */
  value(option: Word): Word | undefined {
    const word = this.words[this.i];
    if (word === undefined) {
      this.error(option, `${option.text} needs a value`);
      return undefined;
    }
    this.i++;
    return word;
  }
  peek(): Word | undefined {
    return this.words[this.i];
  }
  error(at: SourcePosition | undefined, message: string): void {
    this.diagnostics.error(at ?? this.start, message);
    this.ok = false;
  }
  unsigned(option: Word, max: number): number | undefined {
    const word = this.value(option);
    if (!word) return undefined;
    const number = cNumber(word.text);
    if (number === undefined || number > max) {
      this.error(word, `${option.text}: "${word.text}" must be a whole number from 0 to ${max}`);
      return undefined;
    }
    return number;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A line being read: the words, the spec so far, and what the checks after the loop need. */
class EntryReader<T> extends LineReader {
  family: 4 | 6 | undefined;
  protocolGiven = false;
  trackGroup: string | undefined;

  constructor(
    line: Statement,
    diagnostics: DiagnosticList,
    readonly context: ListContext,
    readonly spec: Mutable<T>,
    readonly what: 'route' | 'rule',
  ) {
    super(wordsOf(line), diagnostics, line);
  }

  setFamily(next: 4 | 6, at: Word): void {
    if (this.family === undefined) this.family = next;
    else if (this.family !== next) this.error(at, `IPv4 and IPv6 cannot be mixed in one ${this.what}`);
  }

  /** A number or a name of an iproute2 file (tables, protocols, scopes, TOS values). */
  named(option: Word, file: string, what: string): number | undefined {
    const value = this.value(option);
    if (!value) return undefined;
    const number = lookup(file, value.text);
    if (number === undefined) this.error(value, `${what} "${value.text}" not found or not valid`);
    return number;
  }

  /** An address without a prefix length (src, via). */
  address(value: Word | undefined, option: string): string | undefined {
    const parsed = value && readAddress(value, `${this.context.keyword} ${option}`, this.diagnostics);
    if (!parsed || !value) {
      this.ok = false;
      return undefined;
    }
    this.setFamily(parsed.family, value);
    return parsed.address;
  }

  /** `ADDR[/LEN]` or default / any / all. */
  prefix(value: Word | undefined, option: string): { text: string; family?: 4 | 6 } | undefined {
    const parsed = value && readPrefix(value, `${this.context.keyword} ${option}`, this.diagnostics);
    if (!parsed || !value) {
      this.ok = false;
      return undefined;
    }
    if (parsed.family !== undefined) this.setFamily(parsed.family, value);
    return parsed;
  }

  interfaceName(option: Word): string | undefined {
    const value = this.value(option);
    if (value && value.text.length > MAX_INTERFACE_NAME) {
      this.error(value, `interface name "${value.text}" is longer than ${MAX_INTERFACE_NAME} characters`);
      return undefined;
    }
    return value?.text;
  }

  /** Where the line started, for errors about the whole line. */
  get line(): SourcePosition {
    return this.start;
  }
}

type RouteReader = EntryReader<RouteSpec> & {
  metrics: Partial<Record<RouteMetric, number>>;
  locked: RouteMetric[];
  to?: Word;
};
type OptionHandler<R> = (r: R, option: Word) => void;

const ROUTE_OPTIONS: Readonly<Record<string, OptionHandler<RouteReader>>> = {
  inet: (r) => familyWord(r, 4),
  inet6: (r) => familyWord(r, 6),
  src: (r, option) => {
    const address = r.address(r.value(option), 'src');
    if (address !== undefined) r.spec.src = address;
  },
  as: (r, option) =>
    r.error(option, '"as [to]" is for MPLS routes, which keepalived ignores and vrrp-engine does not support'),
  gw: (r, option) => r.error(option, '"gw" is deprecated (keepalived -t refuses it too): write "via"'),
  via: (r, option) => {
    let value = r.value(option);
    if (value && (value.text === 'inet' || value.text === 'inet6')) {
      r.setFamily(value.text === 'inet' ? 4 : 6, value);
      value = r.value(option);
    }
    const address = r.address(value, 'via');
    if (address !== undefined) r.spec.via = address;
  },
  from: (r, option) => {
    const value = r.value(option);
    const parsed = r.prefix(value, 'from');
    if (parsed && parsed.family !== 6) r.error(value, 'a route "from" (source prefix) is for IPv6 routes only');
    else if (parsed) r.spec.from = parsed.text;
  },
  tos: (r, option) => assign(r.spec, 'tos', r.named(option, 'rt_dsfield', 'TOS value')),
  table: (r, option) => assign(r.spec, 'table', r.named(option, 'rt_tables', 'routing table')),
  protocol: (r, option) => {
    r.protocolGiven = true;
    assign(r.spec, 'protocol', r.named(option, 'rt_protos', 'protocol'));
  },
  scope: (r, option) => assign(r.spec, 'scope', r.named(option, 'rt_scopes', 'scope')),
  metric: (r, option) => assign(r.spec, 'metric', r.unsigned(option, 0xffffffff)),
  dev: (r, option) => assign(r.spec, 'dev', r.interfaceName(option)),
  onlink: (r) => (r.spec.onlink = true),
  features: (r, option) => {
    const value = r.value(option);
    if (value && value.text !== 'ecn') r.error(value, `feature "${value.text}" is not supported (only ecn)`);
    else if (value) r.metrics.features = RTAX_FEATURE_ECN;
  },
  add: (r) => (r.spec.mode = 'add'),
  prepend: (r) => (r.spec.mode = 'prepend'),
  append: (r) => (r.spec.mode = 'append'),
  or: (r, option) =>
    r.error(
      option,
      '"or" is deprecated (keepalived -t refuses it too) and multipath "nexthop" routes are not supported by vrrp-engine',
    ),
  no_track: (r) => (r.spec.noTrack = true),
};
for (const [alias, name] of [
  ['dsfield', 'tos'],
  ['priority', 'metric'],
  ['preference', 'metric'],
  ['oif', 'dev'],
] as const) {
  (ROUTE_OPTIONS as Record<string, OptionHandler<RouteReader>>)[alias] = ROUTE_OPTIONS[name]!;
}

function assign<T, K extends keyof T>(target: Mutable<T>, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function familyWord(r: EntryReader<unknown>, family: 4 | 6): void {
  r.setFamily(family, r.peek() ?? { text: '', quoted: false, ...r.line });
  skipAfterFamily(r);
}

/** A metric: `NAME [lock] VALUE` or `NAME VALUE`; false when `option` is none. */
function readMetric(r: RouteReader, option: Word): boolean {
  if (Object.hasOwn(LOCKABLE, option.text)) {
    if (r.peek()?.text === 'lock') {
      r.next();
      r.locked.push(LOCKABLE[option.text]!);
    }
    assign(r.metrics, LOCKABLE[option.text]!, r.unsigned(option, 0xffffffff));
    return true;
  }
  if (Object.hasOwn(PLAIN_METRICS, option.text)) {
    const [metric, max] = PLAIN_METRICS[option.text]!;
    assign(r.metrics, metric, r.unsigned(option, max));
    return true;
  }
  return false;
}

/** `[to] [TYPE] DESTINATION`: what keepalived reads from any word that is no option. */
function readDestination(r: RouteReader, word: Word): void {
  let destination: Word | undefined = word;
  if (word.text === 'to') destination = r.value(word);
  else {
    const type = routeType(word.text);
    if (type !== undefined) {
      r.spec.type = type;
      destination = r.value(word);
    }
  }
  if (!destination) return;
  const text = destination.text;
  if (!['default', 'any', 'all', 'default6'].includes(text) && !/^[0-9a-fA-F.:]+(\/\d+)?$/.test(text)) {
    r.error(destination, `unknown ${r.context.keyword} keyword "${text}"`);
    return;
  }
  const parsed = r.prefix(destination, 'destination');
  if (!parsed) return;
  r.spec.to = parsed.text;
  r.to = destination;
}

/** One route line. */
export function readRoute(
  line: Statement,
  context: ListContext,
  diagnostics: DiagnosticList,
): ReadEntry<RouteSpec> | undefined {
  const r = Object.assign(new EntryReader<RouteSpec>(line, diagnostics, context, { to: '' }, 'route'), {
    metrics: {},
    locked: [],
  }) as RouteReader;
  while (!r.done && r.ok) {
    const word = r.next();
    const handler = Object.hasOwn(ROUTE_OPTIONS, word.text) ? ROUTE_OPTIONS[word.text] : undefined;
    if (handler) handler(r, word);
    else if (readMetric(r, word)) continue;
    else if (Object.hasOwn(UNSUPPORTED_ROUTE, word.text))
      r.error(word, `${UNSUPPORTED_ROUTE[word.text]} is not supported by vrrp-engine`);
    else if (context.trackGroups !== undefined && word.text === 'track_group')
      r.trackGroup = readTrackGroup(r, word, r.trackGroup, context.trackGroups);
    else readDestination(r, word);
  }
  if (!r.ok || !routeComplete(r)) return undefined;
  const { spec } = r;
  if (Object.keys(r.metrics).length > 0) spec.metrics = r.metrics;
  if (r.locked.length > 0) spec.lockedMetrics = r.locked;
  return {
    spec: {
      ...(context.router !== undefined ? { router: context.router } : {}),
      ...(r.family === 6 ? { family: r.family } : {}),
      ...spec,
    },
    at: line,
    ...(r.trackGroup !== undefined ? { trackGroup: r.trackGroup, trackInterface: spec.dev } : {}),
  };
}

/** keepalived's checks after a route line, each an error under -t. */
function routeComplete(r: RouteReader): boolean {
  const { spec } = r;
  if (r.to === undefined) r.error(r.line, `${r.context.keyword}: a route needs a destination`);
  else if (spec.noTrack !== true && r.protocolGiven && spec.protocol !== RTPROT_KEEPALIVED)
    r.error(
      r.line,
      `a tracked route's protocol must be keepalived (${RTPROT_KEEPALIVED}): add no_track to keep protocol ${spec.protocol}`,
    );
  else if (spec.noTrack !== true && spec.dev === undefined)
    r.error(
      r.line,
      `a tracked route needs "dev" (keepalived cannot track ${spec.to} without it): add dev, or no_track`,
    );
  else if (r.trackGroup !== undefined && spec.dev === undefined)
    r.error(r.line, 'a static route with a track_group needs "dev"');
  else if ((spec.type === undefined || spec.type === 'unicast') && spec.via === undefined && spec.dev === undefined)
    r.error(r.line, `route ${spec.to} needs "via" or "dev" (or a type: blackhole, unreachable, prohibit, throw)`);
  if (spec.type === 'unicast') delete spec.type;
  return r.ok;
}

/**
 * keepalived 2.2.7 steps past the word after `inet` / `inet6` without reading it (alloc_route and
 * alloc_rule advance twice), so `inet6 default via ...` loses its destination and -t refuses the
 * line. The same here, so that a file gets the same verdict; `::/0` is the way to an IPv6 default.
 */
function skipAfterFamily(r: LineReader): void {
  if (!r.done) r.next();
}

function readTrackGroup(
  r: LineReader,
  word: Word,
  current: string | undefined,
  known: ReadonlySet<string>,
): string | undefined {
  const value = r.value(word);
  if (!value) return current;
  if (current !== undefined) r.error(value, `track_group ${value.text} is a second track_group`);
  else if (!known.has(value.text)) r.error(value, `track_group ${value.text} is not defined`);
  return current ?? value.text;
}

const RULE_TYPES: Readonly<Record<string, RuleAction>> = {
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibit',
  nop: 'nop',
};

type RuleReader = EntryReader<RuleSpec> & { action?: RuleAction; tableOption?: Word };

function setAction(r: RuleReader, action: RuleAction, at: Word): void {
  if (r.action !== undefined) r.error(at, 'a rule takes one of table, goto, nop, blackhole, prohibit, unreachable');
  r.action = action;
}

const RULE_OPTIONS: Readonly<Record<string, OptionHandler<RuleReader>>> = {
  inet: (r) => familyWord(r, 4),
  inet6: (r) => familyWord(r, 6),
  from: (r, option) => assign(r.spec, 'from', r.prefix(r.value(option), 'from')?.text),
  to: (r, option) => assign(r.spec, 'to', r.prefix(r.value(option), 'to')?.text),
  table: (r, option) => {
    const table = r.named(option, 'rt_tables', 'routing table');
    if (table === 0) r.error(option, 'table 0 is not a table');
    else if (table !== undefined) {
      r.spec.table = table;
      setAction(r, 'table', option);
    }
  },
  not: (r) => (r.spec.not = true),
  preference: (r, option) => assign(r.spec, 'priority', r.unsigned(option, 0xffffffff)),
  tos: (r, option) => assign(r.spec, 'tos', r.named(option, 'rt_dsfield', 'TOS value')),
  fwmark: (r, option) => readFwmark(r, option),
  suppress_prefixlength: (r, option) => {
    assign(r.spec, 'suppressPrefixLength', r.unsigned(option, 0x7fffffff));
    r.tableOption = option;
  },
  iif: (r, option) => assign(r.spec, 'iif', r.interfaceName(option)),
  oif: (r, option) => assign(r.spec, 'oif', r.interfaceName(option)),
  uidrange: (r, option) => assign(r.spec, 'uidRange', readRange(r, option, 0xffffffff)),
  protocol: (r, option) => {
    r.protocolGiven = true;
    assign(r.spec, 'protocol', r.unsigned(option, 255));
  },
  ipproto: (r, option) => {
    const value = r.value(option);
    const proto = value && (cNumber(value.text) ?? IP_PROTOCOLS[value.text.toLowerCase()]);
    if (value && (proto === undefined || proto > 255)) r.error(value, `ipproto "${value.text}" is not an IP protocol`);
    else assign(r.spec, 'ipProto', proto);
  },
  sport: (r, option) => assign(r.spec, 'sport', readRange(r, option, 0xffff)),
  dport: (r, option) => assign(r.spec, 'dport', readRange(r, option, 0xffff)),
  no_track: (r) => (r.spec.noTrack = true),
  goto: (r, option) => {
    assign(r.spec, 'goto', r.unsigned(option, 0xffffffff));
    setAction(r, 'goto', option);
  },
};
for (const [alias, name] of [
  ['lookup', 'table'],
  ['order', 'preference'],
  ['priority', 'preference'],
  ['dsfield', 'tos'],
  ['sup_pl', 'suppress_prefixlength'],
  ['dev', 'iif'],
] as const) {
  (RULE_OPTIONS as Record<string, OptionHandler<RuleReader>>)[alias] = RULE_OPTIONS[name]!;
}

/** `fwmark MARK[/MASK]`, 32-bit numbers in C notation. */
function readFwmark(r: RuleReader, option: Word): void {
  const value = r.value(option);
  if (!value) return;
  const [mark, mask, extra] = value.text.split('/');
  const markValue = cNumber(mark ?? '');
  const maskValue = mask === undefined ? undefined : cNumber(mask);
  const bad = (n: number | undefined) => n === undefined || n > 0xffffffff;
  if (bad(markValue) || extra !== undefined || (mask !== undefined && bad(maskValue))) {
    r.error(value, `fwmark "${value.text}" must be MARK or MARK/MASK (32-bit numbers)`);
    return;
  }
  r.spec.fwmark = markValue!;
  if (maskValue !== undefined) r.spec.fwmask = maskValue;
}

/** Any other word: `[type] goto N | nop | blackhole | unreachable | prohibit`, else unknown. */
function readRuleType(r: RuleReader, word: Word): void {
  const typeWord = word.text === 'type' ? r.value(word) : word;
  if (!typeWord) return;
  if (typeWord.text === 'goto') RULE_OPTIONS.goto!(r, typeWord);
  else if (Object.hasOwn(RULE_TYPES, typeWord.text)) setAction(r, RULE_TYPES[typeWord.text]!, typeWord);
  else if (routeType(typeWord.text) !== undefined) r.error(typeWord, `"${typeWord.text}" is not a rule action`);
  else r.error(typeWord, `unknown ${r.context.keyword} option "${typeWord.text}"`);
}

/** One rule line. */
export function readRule(
  line: Statement,
  context: ListContext,
  diagnostics: DiagnosticList,
): ReadEntry<RuleSpec> | undefined {
  const r = new EntryReader<RuleSpec>(line, diagnostics, context, { priority: -1 }, 'rule') as RuleReader;
  while (!r.done && r.ok) {
    const word = r.next();
    const handler = Object.hasOwn(RULE_OPTIONS, word.text) ? RULE_OPTIONS[word.text] : undefined;
    if (handler) handler(r, word);
    else if (Object.hasOwn(UNSUPPORTED_RULE, word.text))
      r.error(word, `${UNSUPPORTED_RULE[word.text]} is not supported by vrrp-engine`);
    else if (context.trackGroups !== undefined && word.text === 'track_group')
      r.trackGroup = readTrackGroup(r, word, r.trackGroup, context.trackGroups);
    else readRuleType(r, word);
  }
  if (!r.ok || !ruleComplete(r)) return undefined;
  const { spec } = r;
  // keepalived marks tracked rules as its own (protocol keepalived); an untracked one gets none unless given.
  if (spec.noTrack === true && !r.protocolGiven) spec.protocol = 0;
  return {
    spec: {
      ...(context.router !== undefined ? { router: context.router } : {}),
      ...(r.family === 6 ? { family: r.family } : {}),
      ...spec,
      ...(r.action !== 'table' ? { action: r.action } : {}),
    },
    at: line,
    ...(r.trackGroup !== undefined ? { trackGroup: r.trackGroup, trackInterface: spec.iif } : {}),
  };
}

/** keepalived's checks after a rule line, each an error under -t. */
function ruleComplete(r: RuleReader): boolean {
  const { spec } = r;
  if (r.action === undefined)
    r.error(r.line, 'a rule needs an action (table, goto, nop, blackhole, prohibit or unreachable)');
  else if (r.action === 'goto' && spec.priority >= 0 && (spec.goto ?? 0) <= spec.priority)
    r.error(r.line, `goto ${spec.goto} must be above the rule's preference ${spec.priority}`);
  else if (spec.priority < 0)
    r.error(
      r.line,
      'a rule needs a preference (keepalived would pick one, and -t refuses the file): add "preference N"',
    );
  else if (r.tableOption !== undefined && r.action !== 'table')
    r.error(r.tableOption, `${r.tableOption.text} is for table rules only`);
  else if (spec.noTrack !== true && r.protocolGiven && spec.protocol !== RTPROT_KEEPALIVED)
    r.error(
      r.line,
      `a tracked rule's protocol must be keepalived (${RTPROT_KEEPALIVED}): add no_track to keep protocol ${spec.protocol}`,
    );
  else if (r.trackGroup !== undefined && spec.iif === undefined)
    r.error(r.line, 'a static rule with a track_group needs "dev" / "iif"');
  return r.ok;
}

const IP_PROTOCOLS: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  sctp: 132,
};

/** `FIRST-LAST` (keepalived's sscanf takes no single number). */
function readRange(r: LineReader, option: Word, max: number): readonly [number, number] | undefined {
  const value = r.value(option);
  if (!value) return undefined;
  const match = /^(\d+)-(\d+)$/.exec(value.text);
  const first = match ? Number(match[1]) : NaN;
  const last = match ? Number(match[2]) : NaN;
  if (!(first <= max && last <= max)) {
    r.error(value, `${option.text} "${value.text}" must be FIRST-LAST, each 0 to ${max}`);
    return undefined;
  }
  return [first, last];
}

/** Every line of a virtual_routes / static_routes block. */
export function readRoutes(
  block: Statement,
  context: ListContext,
  diagnostics: DiagnosticList,
): ReadEntry<RouteSpec>[] {
  if (block.args.length > 0) diagnostics.error(block, `${block.keyword} takes its routes in a { } block`);
  return (block.block ?? []).flatMap((line) => readRoute(line, context, diagnostics) ?? []);
}

/** Every line of a virtual_rules / static_rules block. */
export function readRules(block: Statement, context: ListContext, diagnostics: DiagnosticList): ReadEntry<RuleSpec>[] {
  if (block.args.length > 0) diagnostics.error(block, `${block.keyword} takes its rules in a { } block`);
  return (block.block ?? []).flatMap((line) => readRule(line, context, diagnostics) ?? []);
}

/** A top-level `track_group NAME { group { INSTANCE ... } }`. */
export interface TrackGroupDefinition {
  readonly name: string;
  readonly instances: readonly string[];
  readonly at: SourcePosition;
}

export function readTrackGroupDefinition(
  statement: Statement,
  diagnostics: DiagnosticList,
): TrackGroupDefinition | undefined {
  const name = statement.args[0]?.text;
  if (name === undefined || statement.args.length > 1) {
    diagnostics.error(statement, 'track_group takes one name');
    return undefined;
  }
  const instances: string[] = [];
  let groups = 0;
  for (const child of statement.block ?? []) {
    if (child.keyword !== 'group') {
      diagnostics.error(child, `unknown track_group keyword "${child.keyword}"`);
      continue;
    }
    if (++groups > 1) {
      diagnostics.error(child, `track_group ${name} has a second group list`);
      continue;
    }
    for (const member of child.block ?? []) instances.push(member.keyword, ...member.args.map((w) => w.text));
    if (instances.length === 0) diagnostics.error(child, `track group ${name} has an empty group block`);
  }
  return { name, instances, at: statement };
}
