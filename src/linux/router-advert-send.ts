// Sends a Router Advertisement frame (src/wire/router-advert.ts) through the addon's AF_PACKET socket,
// as the unsolicited NAs go (announce.ts), so that the virtual link-local address need not be a
// usable kernel source: the frame carries its own addresses.

import { readFileSync } from 'node:fs';
import { codedError, errorCode } from '../errors.js';
import { ipv6Forwarding } from './announce.js';
import { loadNative } from './native.js';

/** The interface's MAC (a VMAC's is the virtual MAC), from sysfs; ENODEV when there is no such interface. */
export function interfaceMac(iface: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim();
  } catch {
    throw codedError('ENODEV', `no interface ${iface} to send Router Advertisements on`);
  }
  const bytes = text.split(':').map((part) => Number.parseInt(part, 16));
  if (bytes.length !== 6 || bytes.some((byte) => !(byte >= 0 && byte <= 255)))
    throw codedError('EINVAL', `${iface} has no Ethernet address (${text})`);
  return Uint8Array.from(bytes);
}

/** One frame on `iface`; throws an errno-coded error naming the interface. */
export function sendRouterAdvertFrame(iface: string, frame: Uint8Array): void {
  try {
    loadNative().sendAllNodesFrame({ interface: iface, frame });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw codedError(errorCode(error) ?? 'EIO', `Router Advertisement on ${iface} failed: ${message}`);
  }
}

/** The Linux side of a RouterAdvertiser (src/daemon/router-adverts.ts RouterAdvertIo). */
export function linuxRouterAdvertIo() {
  return {
    nowMs: () => performance.now(),
    random: Math.random,
    mac: interfaceMac,
    send: sendRouterAdvertFrame,
    forwards: ipv6Forwarding,
  };
}
