// One interface's receive path: decode the bytes (wire codec), find the virtual router by
// (address family, VRID), and hand it the advert. Routers for IPv4 and IPv6 may share a VRID
// (RFC 9568 makes them separate virtual routers), so the key is the pair.
//
// What a rejected packet costs must not depend on what its sender chose to put in it: the fixed
// header is decoded and checked (codec checks, VRID, then the router's checks that need no address)
// before any of up to 255 addresses is turned into text. See docs/architecture.md, "A rejected packet
// costs what its header costs".

import { decodeAddresses, decodeAdvertHeader } from '../wire/codec.js';
import type { IpFamily, PacketMeta, VrrpAdvert, VrrpAdvertHeader } from '../wire/types.js';
import type { DropReason, ReceivedAdvert, RouterAction } from './types.js';
import { checkAdvertHeader, receiveChecksFor } from './validate.js';
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

export interface DemuxResult {
  /** The router the advert was for, or undefined when the interface itself dropped it. */
  readonly router: VirtualRouter | undefined;
  readonly actions: readonly RouterAction[];
}

/** A decoded advert joined with what the network layer said about it: the router's 'advert' input. */
export function receivedAdvert(advert: VrrpAdvert, meta: PacketMeta): ReceivedAdvert {
  return receivedFromHeader(advert, advert.addresses, meta);
}

function receivedFromHeader(
  advert: Omit<VrrpAdvertHeader, 'family' | 'addressCount'>,
  addresses: readonly string[],
  meta: PacketMeta,
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
  };
}

function routerKey(family: IpFamily, vrid: number): number {
  return family * 256 + vrid;
}

export class InterfaceDemux {
  readonly interfaceName: string;
  private readonly routers = new Map<number, VirtualRouter>();
  private readonly drops = new Map<DropReason, number>();

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
    const decoded = decodeAdvertHeader(payload, meta);
    if (!decoded.ok) return this.drop(decoded.reason, decoded.detail);

    const header = decoded.header;
    const router = this.routers.get(routerKey(meta.family, header.vrid));
    if (router === undefined) return this.drop('unknown-vrid', `VRID ${header.vrid} over IPv${meta.family}`);

    // A rejected header still goes to the router, which counts the drop under its own name (and
    // ignores it while not running), but without its addresses: its checks stop before them.
    const rejected =
      checkAdvertHeader(header, meta, header.addressCount, receiveChecksFor(router.config)) !== undefined;
    const addresses = rejected ? undecodedAddresses(header.addressCount) : decodeAddresses(payload, header);
    const received = receivedFromHeader(header, addresses, meta);
    return { router, actions: router.handle({ kind: 'advert', advert: received }, nowMs) };
  }

  private drop(reason: DropReason, detail: string | undefined): DemuxResult {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    const action: RouterAction =
      detail === undefined ? { kind: 'dropped', reason } : { kind: 'dropped', reason, detail };
    return { router: undefined, actions: [action] };
  }
}
