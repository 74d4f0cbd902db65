// One interface's receive path: decode the bytes (wire codec), find the virtual router by
// (address family, VRID), and hand it the advert. Routers for IPv4 and IPv6 may share a VRID
// (RFC 9568 makes them separate virtual routers), so the key is the pair.
//
// What a rejected packet costs must not depend on what its sender chose to put in it: the fixed
// header is decoded and checked (codec checks, VRID, then the router's checks that need no address)
// before any of up to 255 addresses is turned into text. See docs/architecture.md, "A rejected packet
// costs what its header costs".

import { decodeAddresses, decodeAdvertHeader } from '../wire/codec.js';
import type { ChecksumForm, IpFamily, PacketMeta, VrrpAdvert, VrrpAdvertHeader } from '../wire/types.js';
import type { DropReason, ReceivedAdvert, RouterAction, VirtualRouterConfig } from './types.js';
import { addressListMatches, checkAdvertHeader, receiveChecksFor, takesOldUnicastChecksum } from './validate.js';
import type { VirtualRouter } from './virtual-router.js';

/**
 * The address list handed to a router with an advert its header checks already reject: as many
 * entries as the packet announced (the count is one of those checks), none of them decoded. The
 * router's own checks (checkAdvert) reject it for the same reason before reading an entry, and count
 * it. One frozen list per count, made on first use.
 */
const undecodedByCount: (readonly string[] | undefined)[] = [];

function undecodedAddresses(count: number): readonly string[] {
  let list = undecodedByCount[count];
  if (list === undefined) {
    list = Object.freeze(new Array<string>(count).fill(''));
    undecodedByCount[count] = list;
  }
  return list;
}

/**
 * What makes an advert for one of our VRIDs a collision (a sender that is no peer of ours, or another
 * VIP set: another cluster on this VRID) or a mismatch (a peer configured otherwise), as the router's
 * drop or notice names it.
 */
const COLLISION_REASONS: ReadonlyMap<string, 'collision' | 'mismatch'> = new Map([
  ['unknown-unicast-source', 'collision'],
  ['address-list-mismatch', 'collision'],
  ['version-mismatch', 'mismatch'],
  ['auth-type-mismatch', 'mismatch'],
  ['auth-data-mismatch', 'mismatch'],
  ['interval-mismatch', 'mismatch'],
  ['interval-mismatch-v3', 'mismatch'],
]);
/** Sources and reasons remembered per interface; past it, new ones are only counted (collisionOverflow). */
export const MAX_COLLISIONS = 256;

/** Adverts for one of our VRIDs whose settings differ from ours, from one source, for one reason. */
export interface VridCollision {
  readonly kind: 'collision' | 'mismatch';
  readonly router: string;
  readonly family: IpFamily;
  readonly vrid: number;
  readonly source: string;
  readonly reason: string;
  /** What the advert said (priority, version, interval, VIPs when read) and what we use. */
  readonly theirs: string;
  readonly ours: string;
  readonly firstMs: number;
  lastMs: number;
  count: number;
}

export interface DemuxResult {
  /** The router the advert was for, or undefined when the interface itself dropped it. */
  readonly router: VirtualRouter | undefined;
  readonly actions: readonly RouterAction[];
}

/** A decoded advert joined with what the network layer said about it: the router's 'advert' input. */
export function receivedAdvert(advert: VrrpAdvert, meta: PacketMeta, checksumForm?: ChecksumForm): ReceivedAdvert {
  return receivedFromHeader(advert, advert.addresses, meta, checksumForm);
}

function receivedFromHeader(
  advert: Omit<VrrpAdvertHeader, 'family' | 'addressCount'>,
  addresses: readonly string[],
  meta: PacketMeta,
  checksumForm: ChecksumForm | undefined,
): ReceivedAdvert {
  // Field by field rather than an object spread: this runs per packet, and V8 builds this shape faster.
  return {
    version: advert.version,
    vrid: advert.vrid,
    priority: advert.priority,
    advertIntervalCs: advert.advertIntervalCs,
    addresses,
    authType: advert.authType,
    authData: advert.authData,
    family: meta.family,
    sourceAddress: meta.sourceAddress,
    destinationAddress: meta.destinationAddress,
    ttl: meta.ttl,
    checksumForm,
  };
}

/** The first drop among a router's actions that makes the advert a collision or mismatch. */
function collisionReason(actions: readonly RouterAction[]): string | undefined {
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i]!;
    if (action.kind === 'dropped' && COLLISION_REASONS.has(action.reason)) return action.reason;
  }
  return undefined;
}

/**
 * An advert the router takes although it differs from ours: v3 with another interval, or another VIP
 * set (not strict). The router notices each only when it changes; every one is counted here.
 */
function acceptedMismatch(advert: ReceivedAdvert, config: VirtualRouterConfig): string | undefined {
  if (advert.version === 3 && advert.advertIntervalCs !== config.advertIntervalCs) return 'interval-mismatch-v3';
  if (!addressListMatches(advert, receiveChecksFor(config))) return 'address-list-mismatch';
  return undefined;
}

function routerKey(family: IpFamily, vrid: number): number {
  return family * 256 + vrid;
}

export class InterfaceDemux {
  readonly interfaceName: string;
  private readonly routers = new Map<number, VirtualRouter>();
  private readonly drops = new Map<DropReason, number>();
  private readonly collisionTable = new Map<string, VridCollision>();
  private overflow = 0;

  /** Throws if two routers share (family, VRID): that is a configuration mistake. */
  constructor(interfaceName: string, routers: readonly VirtualRouter[]) {
    this.interfaceName = interfaceName;
    for (const router of routers) this.add(router);
  }

  /** Adds a router at run time; throws (changing nothing) if its (family, VRID) is taken. */
  add(router: VirtualRouter): void {
    const { family, vrid, name } = router.config;
    const key = routerKey(family, vrid);
    const existing = this.routers.get(key);
    if (existing !== undefined) {
      throw new Error(
        `interface ${this.interfaceName}: routers '${existing.config.name}' and '${name}' both use VRID ${vrid} over IPv${family}`,
      );
    }
    this.routers.set(key, router);
  }

  /** Forgets a router: its VRID's adverts count as unknown from now on. */
  remove(router: VirtualRouter): void {
    const key = routerKey(router.config.family, router.config.vrid);
    if (this.routers.get(key) === router) this.routers.delete(key);
  }

  /** How many routers live on this interface. */
  get size(): number {
    return this.routers.size;
  }

  /** Interface-level drops: codec rejections and unknown VRIDs, by reason. */
  get dropCounts(): ReadonlyMap<DropReason, number> {
    return this.drops;
  }

  /**
   * Decode the header (wire codec), find the router by (meta.family, vrid), run its checks that need
   * no address, and only then decode the address list and hand the router the advert. The reasons
   * and their order are those of a full decode followed by checkAdvert.
   */
  receive(payload: Uint8Array, meta: PacketMeta, nowMs: number): DemuxResult {
    let decoded = decodeAdvertHeader(payload, meta);
    // keepalived's old unicast checksum, tried only for a router that takes it (one lookup, no more).
    if (!decoded.ok && decoded.reason === 'bad-checksum' && this.takesOldUnicastChecksum(meta, payload))
      decoded = decodeAdvertHeader(payload, meta, true);
    if (!decoded.ok) return this.drop(decoded.reason, decoded.detail);

    const header = decoded.header;
    const router = this.routers.get(routerKey(meta.family, header.vrid));
    if (router === undefined) return this.drop('unknown-vrid', `VRID ${header.vrid} over IPv${meta.family}`);

    // A rejected header still goes to the router, which counts the drop under its own name (and
    // ignores it while not running), but without its addresses: its checks stop before them.
    const rejected =
      checkAdvertHeader(header, meta, header.addressCount, receiveChecksFor(router.config)) !== undefined;
    const addresses = rejected ? undecodedAddresses(header.addressCount) : decodeAddresses(payload, header);
    const received = receivedFromHeader(header, addresses, meta, decoded.checksumForm);
    const actions = router.handle({ kind: 'advert', advert: received }, nowMs);
    const reason = collisionReason(actions) ?? (rejected ? undefined : acceptedMismatch(received, router.config));
    if (reason === undefined) return { router, actions };
    return { router, actions: this.noteCollision(router, received, !rejected, reason, nowMs, actions) };
  }

  /** Whether the router for the packet's VRID speaks VRRPv3 over IPv4 unicast and takes the old checksum form. */
  private takesOldUnicastChecksum(meta: PacketMeta, payload: Uint8Array): boolean {
    const router = meta.family === 4 && payload.length > 1 ? this.routers.get(routerKey(4, payload[1]!)) : undefined;
    return router !== undefined && takesOldUnicastChecksum(router.config);
  }

  /** Collisions and mismatches seen on this interface, one per (family, VRID, source, reason). */
  get collisions(): readonly Readonly<VridCollision>[] {
    return [...this.collisionTable.values()];
  }

  /** Collisions and mismatches not remembered because the table was full (counted only). */
  get collisionOverflow(): number {
    return this.overflow;
  }

  /** Counts the advert; the first from its source for its reason adds a 'vrid-collision' notice naming both sides. */
  private noteCollision(
    router: VirtualRouter,
    advert: ReceivedAdvert,
    addressesRead: boolean,
    reason: string,
    nowMs: number,
    actions: readonly RouterAction[],
  ): readonly RouterAction[] {
    const key = `${advert.family}/${advert.vrid}/${advert.sourceAddress}/${reason}`;
    const known = this.collisionTable.get(key);
    if (known !== undefined) {
      known.count++;
      known.lastMs = nowMs;
      return actions;
    }
    if (this.collisionTable.size >= MAX_COLLISIONS) {
      this.overflow++;
      return actions;
    }
    const config = router.config;
    const kind = COLLISION_REASONS.get(reason) ?? 'mismatch';
    const vips = addressesRead ? advert.addresses.join(',') : 'not read';
    const theirs = `priority ${advert.priority}, v${advert.version}, interval ${advert.advertIntervalCs} cs, VIPs ${vips}`;
    const ours = `'${config.name}': v${config.version}, interval ${config.advertIntervalCs} cs, VIPs ${config.virtualAddresses.join(',')}`;
    const entry: VridCollision = {
      kind,
      router: config.name,
      family: advert.family,
      vrid: advert.vrid,
      source: advert.sourceAddress,
      reason,
      theirs,
      ours,
      firstMs: nowMs,
      lastMs: nowMs,
      count: 1,
    };
    this.collisionTable.set(key, entry);
    const detail = `VRID ${advert.vrid} ${kind} (${reason}): ${advert.sourceAddress} sends ${theirs}; ours ${ours}`;
    return [...actions, { kind: 'notice', notice: 'vrid-collision', detail }];
  }

  private drop(reason: DropReason, detail: string | undefined): DemuxResult {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    const action: RouterAction =
      detail === undefined ? { kind: 'dropped', reason } : { kind: 'dropped', reason, detail };
    return { router: undefined, actions: [action] };
  }
}
