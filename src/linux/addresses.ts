// The engine's AddressPort on Linux: VIPs added and removed over rtnetlink, announcements delegated to
// a function supplied by the caller (the raw-socket addon's GARP / unsolicited NA).
//
// Like keepalived 2.2.7 (checked against it in a namespace): a VIP is /32 (IPv4) or /128 (IPv6) unless
// configured otherwise; IPv6 VIPs are added with IFA_F_NODAD so they answer at once instead of after
// duplicate address detection, and a /128 one with preferred lifetime 0 ("deprecated") so the host
// never picks it as a source address; an address that is already there (add) or already gone (remove)
// is success; VIPs found on the interface at start are taken to be left over from a killed run and
// removed.

import { canonicalAddress } from './address-text.js';
import { ConfigError } from '../model/config-error.js';
import type { AddressPort, VipOptions } from '../engine/ports.js';
import type { AcceptModeFirewall, VipPlace } from './accept-mode-firewall.js';
import type { IpFamily } from '../wire/types.js';
import { loadNative } from './native.js';
import { takeoverKit, type TakeoverRequest } from './takeover-kit.js';
import { announcePacer } from './announce-pacer.js';
import { announceGapMs, type AnnounceSpacing } from '../model/announce-spacing.js';
import { baseInterface } from './links.js';
import {
  addAddressMessage,
  deleteAddressMessage,
  MAX_INTERFACE_NAME_LENGTH,
  NetlinkError,
  RtNetlinkClient,
  type AddressSpec,
  type InterfaceAddress,
} from './netlink.js';
import { codedError, hasCode } from '../errors.js';
import type { VipSpec } from '../model/runtime-input.js';

// The VipSpec is the model's (src/model/runtime-input.ts); re-exported for the adapter's users.
export type { VipSpec };

export type AnnounceFunction = (iface: string, addresses: readonly string[], count: number) => void | Promise<void>;

export interface LinuxAddressPortOptions {
  /** Gratuitous ARP / unsolicited NA, `count` per address (the raw-socket addon). */
  readonly announce: AnnounceFunction;
  /** Prefix lengths and labels; a VIP not listed here gets the defaults. */
  readonly vips?: readonly VipSpec[];
  /** Shared with other adapters if given; otherwise the port opens (and closes) its own. */
  readonly client?: RtNetlinkClient;
  /** Drops traffic to the VIPs of routers without accept mode; without it acceptMode false is not enforced. */
  readonly firewall?: AcceptModeFirewall;
  /** Gaps between announcements on an interface (keepalived vrrp_garp_interval, garp_group); none by default. */
  readonly announceSpacing?: AnnounceSpacing | undefined;
}

/** One address that could not be added or removed. */
export interface VipFailure {
  readonly address: string;
  readonly error: Error & { code: string };
}

/** Some VIPs of one call failed; `code` is the first failure's, the others are in `failures`. */
export class VipOperationError extends Error {
  readonly code: string;
  readonly interface: string;
  readonly failures: readonly VipFailure[];

  constructor(
    operation: 'addVips' | 'removeVips' | 'setAcceptMode' | 'removeLeftoverVips',
    iface: string,
    failures: VipFailure[],
  ) {
    const list = failures.map((f) => `${f.address}: ${f.error.code}`).join(', ');
    super(`${operation} on ${iface}: ${failures.length} address(es) failed (${list})`);
    this.name = 'VipOperationError';
    this.code = failures[0]?.error.code ?? 'EIO';
    this.interface = iface;
    this.failures = failures;
  }
}

interface ResolvedVip {
  readonly family: IpFamily;
  /** Canonical text. */
  readonly address: string;
  readonly prefixLength: number;
  readonly label: string | undefined;
  readonly deprecated: boolean;
  /** keepalived no_track (LinuxVipSpec): with dont_track_primary, a link-local one is blocked by interface name. */
  readonly noTrack?: boolean;
}

/** Refused adds that warmUpAdd makes per family: the third add already ran at its steady cost. */
const WARM_UP_ADDS = 5;

/**
 * The interface's index, read synchronously (if_nametoindex in the addon) rather than by an RTM_GETLINK
 * round trip: a new Master's (first) RTM_NEWADDR then goes out in the same turn of the event loop as
 * its first advert, one round trip sooner, and its gratuitous ARPs wait for the add that much less.
 * ENODEV-coded when there is no such interface, as getLink was.
 */
function interfaceIndex(iface: string): number {
  if (iface.length === 0 || iface.length > MAX_INTERFACE_NAME_LENGTH) {
    throw new NetlinkError('if_nametoindex', 19, `bad interface name ${JSON.stringify(iface)}`);
  }
  return loadNative().interfaceIndex(iface);
}

// canonicalAddress lives in address-text.ts (the accept-mode firewall needs it too); re-exported.
export { canonicalAddress };

/** Throws ConfigError unless `label` is `<iface>` or `<iface>:<suffix>` and fits IFNAMSIZ. */
export function validateVipLabel(iface: string, label: string, field = 'label'): void {
  if (label.length > MAX_INTERFACE_NAME_LENGTH) {
    throw new ConfigError(
      field,
      `label ${JSON.stringify(label)} is longer than ${MAX_INTERFACE_NAME_LENGTH} characters`,
    );
  }
  if (label !== iface && !(label.startsWith(`${iface}:`) && label.length > iface.length + 1)) {
    throw new ConfigError(field, `label ${JSON.stringify(label)} must be "${iface}" or "${iface}:<suffix>"`);
  }
}

function vipKey(iface: string, address: string): string {
  return `${iface} ${address}`;
}

function resolveSpec(spec: VipSpec, index: number): [string, ResolvedVip] {
  const field = `vips[${index}]`;
  const canonical = canonicalAddress(spec.address);
  if (!canonical) throw new ConfigError(`${field}.address`, `not an IPv4 or IPv6 address: ${spec.address}`);
  const maxPrefix = canonical.family === 4 ? 32 : 128;
  const prefixLength = spec.prefixLength ?? maxPrefix;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > maxPrefix) {
    throw new ConfigError(`${field}.prefixLength`, `must be an integer 0..${maxPrefix}, got ${spec.prefixLength}`);
  }
  if (spec.interface.length === 0 || spec.interface.length > MAX_INTERFACE_NAME_LENGTH) {
    throw new ConfigError(`${field}.interface`, `bad interface name ${JSON.stringify(spec.interface)}`);
  }
  if (spec.label !== undefined) validateVipLabel(spec.interface, spec.label, `${field}.label`);
  const preferred = spec.preferredLifetime;
  if (preferred !== undefined && preferred !== 0 && preferred !== 'forever') {
    throw new ConfigError(`${field}.preferredLifetime`, `must be 0 or 'forever', got ${String(preferred)}`);
  }
  // The kernel has no IPv6 labels (IFA_LABEL is IPv4 only); keepalived ignores one too.
  const label = canonical.family === 4 ? spec.label : undefined;
  const deprecated = canonical.family === 6 && (preferred ?? defaultPreferredLifetime(prefixLength)) === 0;
  const noTrack = (spec as { readonly noTrack?: boolean }).noTrack === true;
  return [
    vipKey(spec.interface, canonical.address),
    { ...canonical, prefixLength, label, deprecated, ...(noTrack ? { noTrack } : {}) },
  ];
}

function defaultPreferredLifetime(prefixLength: number): 0 | 'forever' {
  return prefixLength === 128 ? 0 : 'forever';
}

/** The Linux AddressPort. Construct it at load: bad VIP settings throw ConfigError there. */
export class LinuxAddressPort implements AddressPort {
  private readonly announce: AnnounceFunction;
  private readonly client: RtNetlinkClient;
  private readonly ownsClient: boolean;
  private readonly vips = new Map<string, ResolvedVip>();
  private readonly firewall: AcceptModeFirewall | undefined;
  private readonly spacing: AnnounceSpacing | undefined;

  constructor(options: LinuxAddressPortOptions) {
    this.announce = options.announce;
    this.spacing = options.announceSpacing;
    this.firewall = options.firewall;
    this.client = options.client ?? new RtNetlinkClient();
    this.ownsClient = options.client === undefined;
    (options.vips ?? []).forEach((spec, index) => {
      const [key, vip] = resolveSpec(spec, index);
      if (this.vips.has(key)) {
        throw new ConfigError(`vips[${index}]`, `${vip.address} on ${spec.interface} is listed twice`);
      }
      this.vips.set(key, vip);
    });
  }

  /**
   * Adds the VIPs. With `acceptMode` off each first goes into the firewall's drop set (keepalived's
   * vrrp_strict), so that it never answers while on the interface. A firewall failure is reported
   * with the address, which is still added: the router keeps serving, the error is logged.
   */
  async addVips(iface: string, addresses: readonly string[], options: VipOptions): Promise<void> {
    const firewall = options.acceptMode ? undefined : this.firewall;
    // What the addon's takeover kit already did at this expiry (takeover-kit.ts) is learnt, not redone.
    const claims = takeoverKit.claimAdds(iface, addresses);
    const add = (spec: AddressSpec) => {
      const claimed = claims.get(spec.address);
      if (claimed === undefined) return this.client.addAddress({ ...spec, noDad: spec.family === 6 });
      return claimed === 0 ? Promise.resolve() : Promise.reject(new NetlinkError('RTM_NEWADDR', claimed));
    };
    if (firewall === undefined) {
      // No await before the add: the request is written before addVips returns (the takeover path).
      await this.forEachVip('addVips', iface, addresses, add);
      return;
    }
    await this.forEachVip('addVips', iface, addresses, async (spec) => {
      let blockError: unknown;
      await firewall
        .block(spec.address, this.placeOf(iface, spec, options))
        .catch((error: unknown) => (blockError = error));
      await add(spec);
      if (blockError !== undefined) throw blockError;
    });
  }

  /**
   * Runs the add path (address resolution, the netlink request, its error reply) a few times for
   * each address family among `vips` (addresses by interface), against interface index 0, which the
   * kernel refuses with ENODEV, changing nothing. Once per family, however many interfaces: it is
   * the code that needs compiling. Measured in a namespace: a process's first add spent 1.4 ms
   * compiling JavaScript before its request left, the third 0.24 ms; a new Master's gratuitous ARPs
   * wait for that add.
   */
  async warmUpAdd(vips: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const byFamily = new Map<IpFamily, Omit<AddressSpec, 'ifindex'>>();
    for (const [iface, addresses] of vips) {
      for (const text of addresses) {
        const spec = this.resolve(iface, text);
        if (spec !== undefined && !byFamily.has(spec.family)) byFamily.set(spec.family, spec);
      }
    }
    for (const spec of byFamily.values()) {
      for (let round = 0; round < WARM_UP_ADDS; round++) {
        await this.client.addAddress({ ...spec, ifindex: 0, noDad: spec.family === 6 }).catch(() => undefined);
      }
    }
  }

  /**
   * A Master's reload changed Accept_Mode: its kept VIPs go into the firewall's drop sets (off) or out
   * of them (on), as keepalived does at a reload. Nothing to do without a firewall.
   */
  async setAcceptMode(iface: string, addresses: readonly string[], options: VipOptions): Promise<void> {
    const firewall = this.firewall;
    if (firewall === undefined) return;
    await this.forEachVip('setAcceptMode', iface, addresses, (spec) =>
      options.acceptMode
        ? firewall.unblock(spec.address, { iface })
        : firewall.block(spec.address, this.placeOf(iface, spec, options)),
    );
  }

  /**
   * Where the firewall keys a VIP: a link-local one by interface name for a router with
   * dont_track_primary, on its own interface or no_track (keepalived's nft_update_ipv6_address).
   */
  private placeOf(iface: string, spec: AddressSpec, options: VipOptions): VipPlace {
    const byName =
      options.dontTrackPrimary === true &&
      (options.onRouterInterface === true || this.vips.get(vipKey(iface, spec.address))?.noTrack === true);
    return { iface, ifindex: spec.ifindex, byName };
  }

  /** Removing from an interface that no longer exists succeeds: its addresses went with it. */
  async removeVips(iface: string, addresses: readonly string[]): Promise<void> {
    announcePacer.forget(baseInterface(iface), addresses);
    await this.forEachVip('removeVips', iface, addresses, async (spec) => {
      await this.client.deleteAddress(spec);
      await this.firewall?.unblock(spec.address, { iface });
    });
  }

  /**
   * `count` frames per address, minus what the takeover kit sent at this expiry, paced per interface
   * when a gap is configured (announce-pacer.ts). A VMAC's gaps are its parent's, as in keepalived.
   */
  async announceVips(iface: string, addresses: readonly string[], count: number): Promise<void> {
    const claimed = takeoverKit.claimAnnouncement(iface, addresses, count);
    // No gaps configured: as before the pacer, every frame at once in one native call.
    if (this.spacing === undefined) return await this.announce(iface, claimed, count);
    const unsent = new Set(claimed);
    const sentOnce = new Set(addresses.filter((a) => !unsent.has(a)).map((a) => canonicalAddress(a)?.address ?? a));
    const spacing = this.spacing;
    const base = baseInterface(iface);
    const gapMs = (family: 4 | 6) => announceGapMs(spacing, base, family);
    const pacing = { base, gapMs };
    await announcePacer.announce(this.announce, iface, addresses, count, pacing, sentOnce, takeoverKit.lastFiredAtMs());
  }

  /** The gap (ms, 0: none) between two announcements of `family` on `iface` (its parent's if a VMAC). */
  announceGapMs(iface: string, family: 4 | 6): number {
    return this.spacing === undefined ? 0 : announceGapMs(this.spacing, baseInterface(iface), family);
  }

  /**
   * The takeover kit's requests for these VIPs (TakeoverRequestEncoder): addVips's RTM_NEWADDR and
   * removeVips's RTM_DELADDR per address. None where addVips must first block the address in the
   * firewall (accept mode off), nor for an interface that does not exist now.
   */
  takeoverRequests(iface: string, addresses: readonly string[], acceptMode: boolean): TakeoverRequest[] | undefined {
    if (!acceptMode && this.firewall !== undefined) return undefined;
    let ifindex: number;
    try {
      ifindex = interfaceIndex(iface);
    } catch {
      return undefined;
    }
    const requests: TakeoverRequest[] = [];
    for (const text of addresses) {
      const resolved = this.resolve(iface, text);
      if (resolved === undefined) continue;
      const spec: AddressSpec = { ...resolved, ifindex, noDad: resolved.family === 6 };
      const paced = this.announceGapMs(iface, resolved.family) > 0;
      requests.push({
        address: spec.address,
        add: addAddressMessage(spec),
        remove: deleteAddressMessage(spec),
        ...(paced ? { announceOnce: true } : {}),
      });
    }
    return requests;
  }

  /**
   * Removes each of `vips` (with its configured prefix length) that is on `iface` now: at startup these
   * can only be left from an earlier run that was killed before it could clean up. Returns the canonical
   * addresses it removed.
   */
  async removeLeftoverVips(iface: string, vips: readonly string[]): Promise<string[]> {
    const { ifindex } = await this.client.getLink(iface);
    const present = await this.client.listAddresses(ifindex);
    const removed: string[] = [];
    const failures: VipFailure[] = [];
    for (const text of vips) {
      const spec = this.resolve(iface, text);
      if (!spec) {
        failures.push({ address: text, error: codedError('EINVAL', `not an IPv4 or IPv6 address: ${text}`) });
        continue;
      }
      const onInterface = present.some(
        (a) => a.family === spec.family && a.address === spec.address && a.prefixLength === spec.prefixLength,
      );
      if (!onInterface) continue;
      try {
        if ((await this.client.deleteAddress({ ...spec, ifindex })) === 'removed') {
          removed.push(spec.address);
        }
      } catch (error) {
        failures.push({ address: spec.address, error: error as Error & { code: string } });
      }
    }
    if (failures.length > 0) throw new VipOperationError('removeLeftoverVips', iface, failures);
    return removed;
  }

  /** The addresses on `iface` now (rejects with code ENODEV if there is no such interface). */
  async listAddresses(iface: string): Promise<InterfaceAddress[]> {
    const info = await this.client.getLink(iface);
    return this.client.listAddresses(info.ifindex);
  }

  close(): void {
    if (this.ownsClient) this.client.close();
  }

  private resolve(iface: string, text: string): Omit<AddressSpec, 'ifindex'> | undefined {
    const canonical = canonicalAddress(text);
    if (!canonical) return undefined;
    const configured = this.vips.get(vipKey(iface, canonical.address));
    if (configured) return configured;
    const prefixLength = canonical.family === 4 ? 32 : 128;
    return { ...canonical, prefixLength, label: undefined, deprecated: canonical.family === 6 };
  }

  /** Runs `operation` for every address (in parallel) and rejects once with every failure. */
  private async forEachVip(
    name: 'addVips' | 'removeVips' | 'setAcceptMode',
    iface: string,
    addresses: readonly string[],
    operation: (spec: AddressSpec) => Promise<unknown>,
  ): Promise<void> {
    if (addresses.length === 0) return;
    let ifindex: number;
    try {
      ifindex = interfaceIndex(iface);
    } catch (error) {
      if (name === 'removeVips' && hasCode(error, 'ENODEV')) return;
      throw error;
    }
    const failures: VipFailure[] = [];
    await Promise.all(
      addresses.map(async (text) => {
        const spec = this.resolve(iface, text);
        if (!spec) {
          failures.push({ address: text, error: codedError('EINVAL', `not an IPv4 or IPv6 address: ${text}`) });
          return;
        }
        try {
          await operation({ ...spec, ifindex });
        } catch (error) {
          failures.push({ address: spec.address, error: error as Error & { code: string } });
        }
      }),
    );
    if (failures.length > 0) throw new VipOperationError(name, iface, failures);
  }
}
