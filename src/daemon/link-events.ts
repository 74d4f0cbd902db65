// What the runtime does with the link watcher's news (src/linux/links.ts): links of interfaces our
// routers use go to the engine and the packet port, with a rate-limited log line; address changes go to
// the VIP guard and the source-address tracker; a resync (notifications lost) re-checks everything.
// Link changes reach the engine and the address tracks through FollowedLinks (followed-links.ts):
// after the interface's up/down delay (keepalived's interface_up_down_delays), or from polling
// (keepalived's linkbeat, its rtnetlink link changes ignored). The packet socket is reopened at once
// either way. A delayed change still pending at stop needs no cancel: the engine ignores input once
// stopping.

import type { Engine } from '../engine/engine.js';
import type { LinkWatcher } from '../linux/links.js';
import type { LinuxPacketPort } from '../linux/packet-port.js';
import { LinkbeatReader, type LinkbeatProbe } from '../linux/linkbeat.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import type { AddressInterfaceTracks } from './address-tracks.js';
import { FollowedLinks, type LinkSettings } from './followed-links.js';
import type { StartTimer } from './link-debounce.js';
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
  /** Per-interface debounce delays and polled links; left out, every change moves the routers at once. */
  readonly settings?: LinkSettings | undefined;
  /** The ioctl probes of polled links; left out, the addon's. */
  readonly probe?: LinkbeatProbe;
  readonly startTimer?: StartTimer;
}

/** Follows the links; returns the state the routers and their checks see (delayed, polled). */
export function followLinkEvents(to: LinkEventTargets): FollowedLinks {
  const { watcher: w, packets: p, engine, logger, linkLog } = to;
  // Polling stops for good once the engine has run and stopped (not before it starts).
  let seenRunning = false;
  const links = new FollowedLinks({
    current: (iface) => w.isUp(iface),
    reader: new LinkbeatReader(to.settings?.polledLinks ?? {}, to.probe, (iface, configured, used) =>
      logger.info(
        { event: 'notice', notice: 'linkbeat-fallback', interface: iface, configured, used },
        `${iface}: linkbeat ${configured.toUpperCase()} is not supported by its driver: ${used.toUpperCase()} used`,
      ),
    ),
    settings: to.settings,
    ...(to.startTimer ? { startTimer: to.startTimer } : {}),
    active: () => {
      if (engine.running) seenRunning = true;
      return engine.running || !seenRunning;
    },
    onPolled: (iface, up) => {
      if (!to.isUsed(iface)) return;
      linkLog.write(`link\u0000${iface}`, 'info', () => [
        { event: 'link', interface: iface, up, polled: true },
        `${iface} is ${up ? 'up' : 'down'} (polled)`,
      ]);
      p.reopen(iface, true);
    },
  });
  links.on('link', (event) => {
    to.addressTracks.linkChange(event.interface, event.up);
    if (to.isUsed(event.interface)) engine.linkChange(event.interface, event.up);
  });
  w.on('link', (event) => {
    if (links.isPolled(event.interface)) return;
    links.change(event.interface, event.up);
    if (to.isUsed(event.interface)) {
      const delayed = links.isPending(event.interface);
      linkLog.write(`link\u0000${event.interface}`, 'info', () => [
        { event: 'link', interface: event.interface, up: event.up, ...(delayed ? { debounced: true } : {}) },
        `${event.interface} is ${event.up ? 'up' : 'down'}${delayed ? ' (its routers follow after its up/down delay)' : ''}`,
      ]);
      p.reopen(event.interface, true);
    }
  });
  w.on('linkRemoved', (event) => {
    if (to.isUsed(event.interface)) {
      linkLog.write(`link\u0000${event.interface}`, 'warn', () => [
        { event: 'link', interface: event.interface, up: false, removed: true },
        `${event.interface} was deleted`,
      ]);
      p.release(event.interface);
    }
    links.removed(event.interface);
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
  return links;
}
