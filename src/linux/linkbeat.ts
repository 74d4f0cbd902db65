// How a polled link is read (keepalived 2.2.7 vrrp_if.c init_linkbeat_status and
// if_linkbeat_refresh_thread): the first read of an interface settles its method, the configured
// one if its driver answers, otherwise the first that does of MII (the PHY's BMSR link bit), ETHTOOL
// (ETHTOOL_GLINK) and IOCTL; later reads use that method. MII or ETHTOOL saying down is down;
// otherwise (up, or no answer, or IOCTL) the link is up if the kernel's IFF_UP and IFF_RUNNING say so
// (SIOCGIFFLAGS). A link that is gone (ENODEV) is down; its method is settled once it exists.

import type { LinkbeatType } from '../model/link-polling.js';
import { loadNative } from './native.js';

export type LinkbeatProbe = (name: string, kind: 'mii' | 'ethtool' | 'flags') => number;

/** The method settled on for an interface. */
export type LinkbeatMethod = 'mii' | 'ethtool' | 'ioctl';

export const nativeLinkbeatProbe: LinkbeatProbe = (name, kind) => loadNative().linkbeatProbe(name, kind);

export class LinkbeatReader {
  private readonly methods = new Map<string, LinkbeatMethod>();

  constructor(
    private configured: Readonly<Record<string, LinkbeatType>>,
    private readonly probe: LinkbeatProbe = nativeLinkbeatProbe,
    /** The configured method does not work on this interface: `used` instead (keepalived logs it). */
    private readonly onFallback?: (iface: string, configured: LinkbeatMethod, used: LinkbeatMethod) => void,
  ) {}

  /** A reload's types: an interface whose type changed settles its method again. */
  configure(configured: Readonly<Record<string, LinkbeatType>>): void {
    for (const iface of this.methods.keys())
      if (configured[iface] !== this.configured[iface]) this.methods.delete(iface);
    this.configured = configured;
  }

  /** The method an interface is read with (undefined: not read yet). */
  method(iface: string): LinkbeatMethod | undefined {
    return this.methods.get(iface);
  }

  /** The link's state now. */
  read(iface: string): boolean {
    const method = this.methods.get(iface);
    if (method === undefined) return this.settle(iface);
    // A probe that fails (-1) leaves it to the flags, as keepalived's does.
    const status = method === 'ioctl' ? 1 : this.probe(iface, method);
    return status !== 0 && this.probe(iface, 'flags') === 1;
  }

  private settle(iface: string): boolean {
    const flags = this.probe(iface, 'flags');
    // No such interface (yet): down, and settled once it exists.
    if (flags < 0) return false;
    const wanted = this.configured[iface] ?? 'auto';
    let method: LinkbeatMethod | undefined;
    let status = 1;
    const attempt = (kind: 'mii' | 'ethtool') => {
      const answer = this.probe(iface, kind);
      if (answer < 0) return false;
      method = kind;
      status = answer;
      return true;
    };
    if (wanted === 'auto' || wanted === 'mii') attempt('mii');
    // A configured ETHTOOL that does not answer tries MII (keepalived does).
    if (method === undefined && wanted !== 'ioctl') attempt('ethtool') || (wanted === 'ethtool' && attempt('mii'));
    method ??= 'ioctl';
    this.methods.set(iface, method);
    if (wanted !== 'auto' && wanted !== method) this.onFallback?.(iface, wanted, method);
    return status !== 0 && flags === 1;
  }
}
