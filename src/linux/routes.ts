// Routes and policy rules through rtnetlink (RTM_NEWROUTE / RTM_DELROUTE, RTM_NEWRULE / RTM_DELRULE)
// on the addon's RtnlSocket, never by running `ip`. The requests carry what keepalived 2.2.7's
// netlink_route / netlink_rule put in theirs (vrrp_iproute.c, vrrp_iprule.c): protocol 18
// (keepalived) unless told otherwise, scope global on add and "nowhere" on delete (so a delete matches
// whatever scope the route has), the table in rtm_table below 256 and in RTA_TABLE above. The message
// bodies are pure functions (tested byte for byte); `RouteClient` sends them.

import ipaddr from 'ipaddr.js';
import { hasCode } from '../errors.js';
import {
  MAIN_TABLE,
  ROUTE_METRICS,
  ROUTE_TYPES,
  RTPROT_KEEPALIVED,
  routeFamily,
  ruleFamily,
  type RouteMetric,
  type RouteSpec,
  type RuleSpec,
} from '../model/routes.js';
import { loadNative } from './native.js';
import { AF_INET, AF_INET6, attribute, NLM_F_CREATE, NLM_F_EXCL, u32Attribute } from './rtnetlink-codec.js';
import { NetlinkError, RtnlRequester } from './rtnetlink-requests.js';

export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const NLM_F_APPEND = 0x800;

const RTA_DST = 1;
const RTA_SRC = 2;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_PREFSRC = 7;
const RTA_METRICS = 8;
const RTA_TABLE = 15;
const RTAX_LOCK = 1;
const RTNH_F_ONLINK = 4;
const RT_SCOPE_NOWHERE = 255;
const RT_TABLE_UNSPEC = 0;

const FRA_DST = 1;
const FRA_SRC = 2;
const FRA_IIFNAME = 3;
const FRA_GOTO = 4;
const FRA_PRIORITY = 6;
const FRA_FWMARK = 10;
const FRA_TABLE = 15;
const FRA_FWMASK = 16;
const FRA_OIFNAME = 17;
const FRA_SUPPRESS_PREFIXLEN = 14;
const FRA_PROTOCOL = 21;
const FRA_IP_PROTO = 22;
const FRA_SPORT_RANGE = 23;
const FRA_DPORT_RANGE = 24;
const FRA_UID_RANGE = 20;
const FIB_RULE_INVERT = 0x2;
const FR_ACTIONS = { table: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 } as const;

/** Interface names to indexes; the runtime's is the addon's if_nametoindex. */
export type InterfaceIndexer = (name: string) => number;

const nativeIndex: InterfaceIndexer = (name) => loadNative().interfaceIndex(name);

/** `ADDR[/LEN]` (or `default`) as bytes and a prefix length in `family`. */
function prefixBytes(text: string, family: 4 | 6): { bytes: Buffer; length: number } | undefined {
  if (text === 'default') return undefined;
  const [address, length] = text.split('/');
  const bytes = Buffer.from(ipaddr.parse(address!).toByteArray());
  return { bytes, length: length === undefined ? (family === 4 ? 32 : 128) : Number(length) };
}

function addressBytes(text: string): Buffer {
  return Buffer.from(ipaddr.parse(text).toByteArray());
}

function familyNumber(family: 4 | 6): number {
  return family === 4 ? AF_INET : AF_INET6;
}

function u8Attribute(type: number, value: number): Buffer {
  return attribute(type, Buffer.from([value & 0xff]));
}

function u16Pair(type: number, [first, last]: readonly [number, number]): Buffer {
  const value = Buffer.alloc(4);
  value.writeUInt16LE(first, 0);
  value.writeUInt16LE(last, 2);
  return attribute(type, value);
}

function nameAttribute(type: number, name: string): Buffer {
  return attribute(type, Buffer.from(`${name}\0`, 'utf8'));
}

/** RTA_METRICS: a nested list of RTAX_* u32 values (RTAX_LOCK a bit per locked metric). */
function metricsAttribute(route: RouteSpec): Buffer | undefined {
  const inner: Buffer[] = [];
  const locked = route.lockedMetrics ?? [];
  if (locked.length > 0) {
    const bits = locked.reduce((mask, name: RouteMetric) => mask | (1 << ROUTE_METRICS[name]), 0);
    inner.push(u32Attribute(RTAX_LOCK, bits));
  }
  for (const [name, value] of Object.entries(route.metrics ?? {})) {
    inner.push(u32Attribute(ROUTE_METRICS[name as RouteMetric], value));
  }
  return inner.length === 0 ? undefined : attribute(RTA_METRICS, Buffer.concat(inner));
}

/** The body (struct rtmsg and attributes) of an RTM_NEWROUTE (add) or RTM_DELROUTE for `route`. */
export function routeRequestBody(route: RouteSpec, add: boolean, index: InterfaceIndexer = nativeIndex): Buffer {
  const family = routeFamily(route);
  const table = route.table ?? MAIN_TABLE;
  const dst = prefixBytes(route.to, family);
  const from = route.from === undefined ? undefined : prefixBytes(route.from, family);
  const header = Buffer.alloc(12);
  header.writeUInt8(familyNumber(family), 0);
  header.writeUInt8(dst?.length ?? 0, 1);
  header.writeUInt8(from?.length ?? 0, 2);
  header.writeUInt8(route.tos ?? 0, 3);
  header.writeUInt8(table < 256 ? table : RT_TABLE_UNSPEC, 4);
  header.writeUInt8(route.protocol ?? RTPROT_KEEPALIVED, 5);
  header.writeUInt8(route.scope ?? (add ? 0 : RT_SCOPE_NOWHERE), 6);
  const type = route.type === undefined ? (add ? ROUTE_TYPES.unicast : 0) : ROUTE_TYPES[route.type];
  header.writeUInt8(type, 7);
  header.writeUInt32LE(route.onlink ? RTNH_F_ONLINK : 0, 8);
  const attrs: Buffer[] = [];
  if (table >= 256) attrs.push(u32Attribute(RTA_TABLE, table));
  if (dst) attrs.push(attribute(RTA_DST, dst.bytes));
  if (from) attrs.push(attribute(RTA_SRC, from.bytes));
  if (route.src !== undefined) attrs.push(attribute(RTA_PREFSRC, addressBytes(route.src)));
  if (route.via !== undefined) attrs.push(attribute(RTA_GATEWAY, addressBytes(route.via)));
  if (route.dev !== undefined) attrs.push(u32Attribute(RTA_OIF, index(route.dev)));
  if (route.metric !== undefined) attrs.push(u32Attribute(RTA_PRIORITY, route.metric));
  const metrics = add ? metricsAttribute(route) : undefined;
  if (metrics) attrs.push(metrics);
  return Buffer.concat([header, ...attrs]);
}

/** The body (struct fib_rule_hdr and attributes) of an RTM_NEWRULE or RTM_DELRULE for `rule`. */
export function ruleRequestBody(rule: RuleSpec): Buffer {
  const family = ruleFamily(rule);
  const from = rule.from === undefined ? undefined : prefixBytes(rule.from, family);
  const to = rule.to === undefined ? undefined : prefixBytes(rule.to, family);
  const action = rule.action ?? 'table';
  const table = action === 'table' ? (rule.table ?? MAIN_TABLE) : 0;
  const header = Buffer.alloc(12);
  header.writeUInt8(familyNumber(family), 0);
  header.writeUInt8(to?.length ?? 0, 1);
  header.writeUInt8(from?.length ?? 0, 2);
  header.writeUInt8(rule.tos ?? 0, 3);
  header.writeUInt8(table > 0 && table < 256 ? table : 0, 4);
  header.writeUInt8(FR_ACTIONS[action], 7);
  header.writeUInt32LE(rule.not ? FIB_RULE_INVERT : 0, 8);
  const attrs: Buffer[] = [u32Attribute(FRA_PRIORITY, rule.priority)];
  if (table >= 256) attrs.push(u32Attribute(FRA_TABLE, table));
  if (from) attrs.push(attribute(FRA_SRC, from.bytes));
  if (to) attrs.push(attribute(FRA_DST, to.bytes));
  if (rule.fwmark !== undefined) attrs.push(u32Attribute(FRA_FWMARK, rule.fwmark));
  if (rule.fwmask !== undefined) attrs.push(u32Attribute(FRA_FWMASK, rule.fwmask));
  if (rule.iif !== undefined) attrs.push(nameAttribute(FRA_IIFNAME, rule.iif));
  if (rule.oif !== undefined) attrs.push(nameAttribute(FRA_OIFNAME, rule.oif));
  if (action === 'goto' && rule.goto !== undefined) attrs.push(u32Attribute(FRA_GOTO, rule.goto));
  if (rule.suppressPrefixLength !== undefined)
    attrs.push(u32Attribute(FRA_SUPPRESS_PREFIXLEN, rule.suppressPrefixLength));
  if (rule.uidRange !== undefined) {
    const value = Buffer.alloc(8);
    value.writeUInt32LE(rule.uidRange[0], 0);
    value.writeUInt32LE(rule.uidRange[1], 4);
    attrs.push(attribute(FRA_UID_RANGE, value));
  }
  attrs.push(u8Attribute(FRA_PROTOCOL, rule.protocol ?? RTPROT_KEEPALIVED));
  if (rule.ipProto !== undefined) attrs.push(u8Attribute(FRA_IP_PROTO, rule.ipProto));
  if (rule.sport !== undefined) attrs.push(u16Pair(FRA_SPORT_RANGE, rule.sport));
  if (rule.dport !== undefined) attrs.push(u16Pair(FRA_DPORT_RANGE, rule.dport));
  return Buffer.concat([header, ...attrs]);
}

/** Route flags for an add: keepalived's prepend (the kernel's default), append, or add (exclusive). */
function addFlags(route: RouteSpec): number {
  switch (route.mode ?? 'prepend') {
    case 'prepend':
      return NLM_F_CREATE;
    case 'append':
      return NLM_F_CREATE | NLM_F_APPEND;
    case 'add':
      return NLM_F_CREATE | NLM_F_EXCL;
  }
}

/** Adds and deletes routes and rules on one rtnetlink socket (opened on first use, in the caller's namespace). */
export class RouteClient {
  private readonly requests = new RtnlRequester();

  constructor(private readonly index: InterfaceIndexer = nativeIndex) {}

  /** 'exists' when the kernel already has the same route. */
  async addRoute(route: RouteSpec): Promise<'added' | 'exists'> {
    try {
      const body = routeRequestBody(route, true, this.index);
      await this.requests.request('RTM_NEWROUTE', RTM_NEWROUTE, body, addFlags(route));
      return 'added';
    } catch (error) {
      if (hasCode(error, 'EEXIST')) return 'exists';
      throw error;
    }
  }

  /** 'absent' when there is no such route (ESRCH), or its interface is gone. */
  async deleteRoute(route: RouteSpec): Promise<'removed' | 'absent'> {
    try {
      await this.requests.request('RTM_DELROUTE', RTM_DELROUTE, routeRequestBody(route, false, this.index), 0);
      return 'removed';
    } catch (error) {
      if (hasCode(error, 'ESRCH') || hasCode(error, 'ENODEV')) return 'absent';
      throw error;
    }
  }

  async addRule(rule: RuleSpec): Promise<'added' | 'exists'> {
    try {
      await this.requests.request('RTM_NEWRULE', RTM_NEWRULE, ruleRequestBody(rule), NLM_F_CREATE | NLM_F_EXCL);
      return 'added';
    } catch (error) {
      if (hasCode(error, 'EEXIST')) return 'exists';
      throw error;
    }
  }

  /** 'absent' when there is no such rule (ENOENT). */
  async deleteRule(rule: RuleSpec): Promise<'removed' | 'absent'> {
    try {
      await this.requests.request('RTM_DELRULE', RTM_DELRULE, ruleRequestBody(rule), 0);
      return 'removed';
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return 'absent';
      throw error;
    }
  }

  close(): void {
    this.requests.close();
  }
}

export { NetlinkError };
