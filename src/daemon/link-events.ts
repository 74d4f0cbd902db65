// What the runtime does with the link watcher's news (src/linux/links.ts): links of interfaces our
// routers use go to the engine and the packet port, with a rate-limited log line; address changes go to
// the VIP guard and the source-address tracker; a resync (notifications lost) re-checks everything.

import type { Engine } from '../engine/engine.js';
import type { LinkWatcher } from '../linux/links.js';
import type { LinuxPacketPort } from '../linux/packet-port.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import type { AddressInterfaceTracks } from './address-tracks.js';
import type { RateLimitedLog } from './event-log.js';
import type { SourceAddressTracker } from './source-address.js';
import type { VipGuard } from './vip-guard.js';

export interface LinkEventTargets {
  readonly watcher: LinkWatcher;
  readonly packets: LinuxPacketPort;
  readonly engine: Engine;
  readonly logger: RuntimeLogger;
  readonly linkLog: RateLimitedLog;
  readonly addressTracks: AddressInterfaceTracks;
  readonly guard: VipGuard;
  readonly sources: SourceAddressTracker;
  /** Whether some router runs on this interface now (link events for others are not ours). */
  isUsed(iface: string): boolean;
  recheckSources(): Promise<void>;
}

export function followLinkEvents(to: LinkEventTargets): void {
  const { watcher: w, packets: p, engine, logger, linkLog } = to;
  w.on('link', (event) => {
    to.addressTracks.linkChange(event.interface, event.up);
    if (!to.isUsed(event.interface)) return;
    linkLog.write(`link\u0000${event.interface}`, 'info', () => [
      { event: 'link', interface: event.interface, up: event.up },
      `${event.interface} is ${event.up ? 'up' : 'down'}`,
    ]);
    p.reopen(event.interface, true);
    engine.linkChange(event.interface, event.up);
  });
  w.on('linkRemoved', (event) => {
    to.addressTracks.linkChange(event.interface, false);
    if (!to.isUsed(event.interface)) return;
    linkLog.write(`link\u0000${event.interface}`, 'warn', () => [
      { event: 'link', interface: event.interface, up: false, removed: true },
      `${event.interface} was deleted`,
    ]);
    p.release(event.interface);
    engine.linkChange(event.interface, false);
  });
  w.on('addressRemoved', (event) => {
    to.guard.addressRemoved(event);
    to.sources.addressRemoved(event);
  });
  w.on('addressAdded', (event) => to.sources.addressAdded(event));
  w.on('resynced', () => {
    linkLog.write('link-watcher-resynced', 'warn', () => [
      { event: 'notice', notice: 'link-watcher-resynced' },
      'link notifications may have been lost; re-read link state, re-checking every VIP and source address',
    ]);
    to.guard.recheckAll();
    void to.recheckSources();
  });
  w.on('error', (error) =>
    logger.error(
      { event: 'error', operation: 'linkWatcher', error: errorFields(error) },
      `link watcher: ${error.message}`,
    ),
  );
}
