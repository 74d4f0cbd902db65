// keepalived's promote_secondaries for an instance's interface (vrrp_if_config.c): when the kernel
// deletes an interface's primary IPv4 address, the secondaries of that subnet are dropped with it
// unless net.ipv4.conf.<if>.promote_secondaries is 1. A router that asks for it turns it on at start
// if it is off; when the last router that asked goes (stop, or removed on reload), it is turned back
// off, as keepalived 2.2.7 does (it writes 0, and only if it was the one to write 1). An interface
// that already had it on is left alone both times. A VMAC router needs none of this: its VMAC always
// has it on (vmac.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import { codedError, hasCode } from '../errors.js';

function sysctlPath(iface: string): string {
  // Names come checked from the configuration; a path separator here would leave /proc/sys/net.
  if (iface.length === 0 || iface.includes('/') || iface === '.' || iface === '..')
    throw codedError('EINVAL', `not an interface name: ${JSON.stringify(iface)}`);
  return `/proc/sys/net/ipv4/conf/${iface}/promote_secondaries`;
}

export class PromoteSecondaries {
  /** Interface -> whether we turned it on, and the routers that asked. */
  private readonly interfaces = new Map<string, { readonly changed: boolean; readonly routers: Set<string> }>();

  /**
   * `router` wants promote_secondaries on `iface`; returns true if this call turned it on. Throws
   * (ENOENT: no such interface) when the setting cannot be read or written.
   */
  acquire(router: string, iface: string): boolean {
    const entry = this.interfaces.get(iface);
    if (entry !== undefined) {
      entry.routers.add(router);
      return false;
    }
    const path = sysctlPath(iface);
    const changed = readFileSync(path, 'utf8').trim() !== '1';
    if (changed) writeFileSync(path, '1');
    this.interfaces.set(iface, { changed, routers: new Set([router]) });
    return changed;
  }

  /**
   * `router` is gone; returns the interfaces turned back off (their last router, and we had turned it
   * on). Throws only if writing fails; the interface is forgotten either way.
   */
  release(router: string): string[] {
    const restored: string[] = [];
    for (const [iface, entry] of this.interfaces) {
      if (!entry.routers.delete(router) || entry.routers.size > 0) continue;
      this.interfaces.delete(iface);
      if (!entry.changed) continue;
      try {
        writeFileSync(sysctlPath(iface), '0');
        restored.push(iface);
      } catch (error) {
        // Gone with its interface: nothing to restore.
        if (!hasCode(error, 'ENOENT')) throw error;
      }
    }
    return restored;
  }

  /** Interface -> the routers holding it on, for tests and dumps. */
  holders(): Map<string, string[]> {
    return new Map([...this.interfaces].map(([iface, entry]) => [iface, [...entry.routers]]));
  }
}
