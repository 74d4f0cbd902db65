// Routes and rules of ours deleted by someone else (`ip route del`, a flushed table), as keepalived
// 2.2.7 watches them (keepalived_netlink.c netlink_route_filter / netlink_rule_filter): a tracked one
// (not no_track) of a Master makes the router step down and take over again (the `vipsLost` input,
// keepalived's set_vrrp_backup), which puts it back; a static one is put back at once. An untracked
// one is only forgotten, so the router's next takeover adds it again. Notifications come from a
// socket joined to the route and rule groups; only deletions of entries the follower holds count.
// The same socket hears links come up: what a link's going down took (the routes through it) is
// put back then.

import ipaddr from 'ipaddr.js';
import type { Engine } from '../engine/engine.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import {
  MAIN_TABLE,
  RTPROT_KEEPALIVED,
  routeFamily,
  ruleFamily,
  type RouteSpec,
  type RuleSpec,
} from '../model/routes.js';
import { loadNative, type NativeRtnlSocket } from '../linux/native.js';
import { AF_INET, attributeString, attributeU32, parseAttributes, parseMessages } from '../linux/rtnetlink-codec.js';
import { RTM_DELROUTE, RTM_DELRULE } from '../linux/routes.js';
import { STATIC_OWNER, type HostEntry, type RouteFollower } from './route-follower.js';

const RTNLGRP_LINK = 1;
const RTNLGRP_IPV4_ROUTE = 7;
const RTM_NEWLINK = 16;
const IFF_UP = 0x1;
const IFLA_IFNAME = 3;
const RTNLGRP_IPV4_RULE = 8;
const RTNLGRP_IPV6_ROUTE = 11;
const RTNLGRP_IPV6_RULE = 19;
const RTA_DST = 1;
const RTA_PRIORITY = 6;
const RTA_TABLE = 15;
const FRA_PRIORITY = 6;
const FRA_TABLE = 15;

/** What a deletion notification says about the entry it removed. */
export interface DeletedEntry {
  readonly kind: 'route' | 'rule';
  readonly family: 4 | 6;
  /** Routes: destination bytes as text ('default' for length 0) and length. */
  readonly to?: string;
  readonly table: number;
  readonly protocol: number | undefined;
  /** Routes: RTA_PRIORITY; rules: FRA_PRIORITY. */
  readonly priority: number | undefined;
}

/** Decodes an RTM_DELROUTE / RTM_DELRULE payload; undefined for anything else (never throws). */
export function decodeDeletion(type: number, payload: Buffer): DeletedEntry | undefined {
  if ((type !== RTM_DELROUTE && type !== RTM_DELRULE) || payload.length < 12) return undefined;
  const family = payload.readUInt8(0) === AF_INET ? 4 : payload.readUInt8(0) === 10 ? 6 : undefined;
  if (family === undefined) return undefined;
  const attrs = parseAttributes(payload, 12);
  if (type === RTM_DELRULE) {
    return {
      kind: 'rule',
      family,
      table: attributeU32(attrs.get(FRA_TABLE)) ?? payload.readUInt8(4),
      protocol: undefined,
      priority: attributeU32(attrs.get(FRA_PRIORITY)) ?? 0,
    };
  }
  const length = payload.readUInt8(1);
  const dst = attrs.get(RTA_DST);
  let to = 'default';
  if (length > 0) {
    if (dst === undefined || dst.length !== (family === 4 ? 4 : 16)) return undefined;
    to = `${ipaddr.fromByteArray([...dst]).toString()}/${length}`;
  }
  return {
    kind: 'route',
    family,
    to,
    table: attributeU32(attrs.get(RTA_TABLE)) ?? payload.readUInt8(4),
    protocol: payload.readUInt8(5),
    priority: attributeU32(attrs.get(RTA_PRIORITY)),
  };
}

function normalPrefix(text: string, family: 4 | 6): string {
  if (text === 'default') return 'default';
  const [address, length] = text.split('/');
  const full = family === 4 ? 32 : 128;
  const bits = Number(length ?? full);
  if (bits === 0) return 'default';
  return `${ipaddr.parse(address!).toString()}/${bits}`;
}

/** Whether the deletion is of `entry` (family, destination, table, protocol, metric; rules: preference). */
export function deletionMatches(deleted: DeletedEntry, entry: HostEntry): boolean {
  if (entry.kind === 'route' && deleted.kind === 'route') {
    const route: RouteSpec = entry.spec;
    const family = routeFamily(route);
    return (
      deleted.family === family &&
      deleted.to === normalPrefix(route.to, family) &&
      deleted.table === (route.table ?? MAIN_TABLE) &&
      deleted.protocol === (route.protocol ?? RTPROT_KEEPALIVED) &&
      (route.metric === undefined || deleted.priority === route.metric)
    );
  }
  if (entry.kind === 'rule' && deleted.kind === 'rule') {
    const rule: RuleSpec = entry.spec;
    const table = (rule.action ?? 'table') === 'table' ? (rule.table ?? MAIN_TABLE) : 0;
    return deleted.family === ruleFamily(rule) && deleted.priority === rule.priority && deleted.table === table;
  }
  return false;
}

export class RouteWatch {
  private constructor(private readonly socket: NativeRtnlSocket) {}

  static async open(engine: Engine, follower: RouteFollower, logger: RuntimeLogger): Promise<RouteWatch | undefined> {
    const onDeleted = (deleted: DeletedEntry) => {
      for (const { owner, key, entry } of [...follower.entries()]) {
        if (!deletionMatches(deleted, entry)) continue;
        follower.forget(owner, key);
        if ((entry.spec as RouteSpec).noTrack === true) continue;
        logger.warn(
          { event: `${entry.kind}Deleted`, router: owner || undefined },
          `${owner === STATIC_OWNER ? 'static' : `(${owner})`} ${entry.kind} deleted by someone else: ${owner === STATIC_OWNER ? 'putting it back' : 'stepping down to take over again'}`,
        );
        if (owner === STATIC_OWNER) void follower.schedule(STATIC_OWNER);
        else if (follower.isMaster(owner)) engine.input(owner, { kind: 'vipsLost' });
      }
    };
    try {
      const socket = new (loadNative().RtnlSocket)(
        {
          groups: [RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV6_RULE],
          receiveBufferBytes: 1 << 20,
        },
        (error, data) => {
          if (error)
            logger.warn(
              { event: 'error', operation: 'routeWatch', error: errorFields(error) },
              `route watch: ${String(error)}`,
            );
          if (!data) return;
          for (const message of parseMessages(data)) {
            // A link up: what its going down took with it (routes through it) is put back, as
            // keepalived's static_track_group_reinstate_config does; a Master's own come back when
            // it takes over again.
            if (message.type === RTM_NEWLINK && message.payload.length >= 16) {
              const name = attributeString(parseAttributes(message.payload, 16).get(IFLA_IFNAME));
              if ((message.payload.readUInt32LE(8) & IFF_UP) !== 0 && name !== undefined) follower.linkUp(name);
              continue;
            }
            const deleted = decodeDeletion(message.type, message.payload);
            if (deleted) onDeleted(deleted);
          }
        },
      );
      socket.unref();
      return new RouteWatch(socket);
    } catch (error) {
      // Without the watch routes are still added and removed; only deletions by others go unseen.
      logger.error(
        { event: 'error', operation: 'routeWatch', error: errorFields(error) },
        `route watch not started: ${String(error)}`,
      );
      return undefined;
    }
  }

  close(): void {
    this.socket.close();
  }
}
