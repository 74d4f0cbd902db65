// Who else claims our virtual addresses on a link: one native ClaimWatch (native/src/claim_watch.h) per
// interface, opened on first use. The kernel filter passes ARP and NA frames only and the addon
// reports only claims for the watched addresses, so the adverts and other traffic cost no JavaScript.

import { loadNative, type NativeClaim, type NativeClaimWatch } from './native.js';

export type LinkClaim = NativeClaim & { readonly interface: string };

/** What the daemon needs of a claim watch, so a test may hand it another link's. */
export interface ClaimWatchPort {
  /** The addresses to watch on `iface` ([] stops watching it and closes its socket). */
  watch(iface: string, addresses: readonly string[]): void;
  /** RFC 5227 probes for `addresses` on `iface`; the frames sent. */
  probe(iface: string, addresses: readonly string[]): number;
  close(): void;
}

export class LinuxClaimWatch implements ClaimWatchPort {
  private readonly sockets = new Map<string, NativeClaimWatch>();

  constructor(private readonly onClaims: (claims: readonly LinkClaim[]) => void) {}

  watch(iface: string, addresses: readonly string[]): void {
    let socket = this.sockets.get(iface);
    if (addresses.length === 0) {
      socket?.close();
      this.sockets.delete(iface);
      return;
    }
    if (socket === undefined) {
      const { ClaimWatch } = loadNative();
      socket = new ClaimWatch({ interface: iface }, (claims) =>
        this.onClaims(claims.map((claim) => ({ ...claim, interface: iface }))),
      );
      // A watch never keeps the process alive on its own.
      socket.unref();
      this.sockets.set(iface, socket);
    }
    socket.setAddresses(addresses);
  }

  probe(iface: string, addresses: readonly string[]): number {
    const socket = this.sockets.get(iface);
    return socket === undefined ? 0 : socket.probe(addresses);
  }

  close(): void {
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
  }
}
