// What the runtime does with the link watcher's news (src/linux/links.ts): links of interfaces our
// routers use go to the engine and the packet port, with a rate-limited log line; address changes go to
// the VIP guard and the source-address tracker; a resync (notifications lost) re-checks everything.
// An interface with a delay (keepalived's interface_up_down_delays) passes its link changes through
// LinkDebounce first; the packet socket is reopened at once either way. A delayed change still pending
// at stop needs no cancel: the engine ignores input once stopping. A polled interface (keepalived's
// linkbeat) takes its link state from LinkPoller alone: its rtnetlink link changes are ignored.

import type { Engine } from '../engine/engine.js';
import type { LinkWatcher } from '../linux/links.js';
import type { LinuxPacketPort } from '../linux/packet-port.js';
import type { LinuxEngineInput } from '../model/runtime-input.js';
import { isLinkUsable } from '../linux/links.js';
import type { RtNetlinkClient } from '../linux/netlink.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import type { AddressInterfaceTracks } from './address-tracks.js';
import { LinkDebounce, realTimer, type StartTimer } from './link-debounce.js';
import { LinkPoller } from './link-poller.js';
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
  readonly settings?: Pick<LinuxEngineInput, 'linkDelays' | 'polledLinks'> | undefined;
  /** Reads a polled link (RTM_GETLINK). */
  readonly client: Pick<RtNetlinkClient, 'getLink'>;
  readonly startTimer?: StartTimer;
}

/** What follows the links: the debounce and the poller. */
export interface LinkFollowing {
  readonly debounce: LinkDebounce;
  readonly poller: LinkPoller;
}

export function followLinkEvents(to: LinkEventTargets): LinkFollowing {
  const { watcher: w, packets: p, engine, logger, linkLog } = to;
  const linkDelays = to.settings?.linkDelays;
  const debounce = new LinkDebounce(
    linkDelays ?? {},
    (iface, up) => {
      to.addressTracks.linkChange(iface, up);
      if (to.isUsed(iface)) engine.linkChange(iface, up);
    },
    to.startTimer ?? realTimer,
  );
  // Polling stops for good once the engine has run and stopped (not before it starts).
  let seenRunning = false;
  const poller = new LinkPoller({
    interfaces: to.settings?.polledLinks ?? [],
    readLink: async (iface) => isLinkUsable(await to.client.getLink(iface)),
    initial: (iface) => w.isUp(iface),
    deliver: (iface, up) => {
      if (to.isUsed(iface)) {
        linkLog.write(`link\u0000${iface}`, 'info', () => [
          { event: 'link', interface: iface, up, polled: true },
          `${iface} is ${up ? 'up' : 'down'} (polled)`,
        ]);
        p.reopen(iface, true);
      }
      to.addressTracks.linkChange(iface, up);
      if (to.isUsed(iface)) engine.linkChange(iface, up);
    },
    active: () => {
      if (engine.running) seenRunning = true;
      return engine.running || !seenRunning;
    },
  });
  w.on('link', (event) => {
    if (poller.polls(event.interface)) return;
    if (to.isUsed(event.interface)) {
      const delayed = linkDelays?.[event.interface] !== undefined;
      linkLog.write(`link\u0000${event.interface}`, 'info', () => [
        { event: 'link', interface: event.interface, up: event.up, ...(delayed ? { debounced: true } : {}) },
        `${event.interface} is ${event.up ? 'up' : 'down'}${delayed ? ' (routers follow after its up/down delay)' : ''}`,
      ]);
      p.reopen(event.interface, true);
    }
    debounce.change(event.interface, event.up);
  });
  w.on('linkRemoved', (event) => {
    if (to.isUsed(event.interface)) {
      linkLog.write(`link\u0000${event.interface}`, 'warn', () => [
        { event: 'link', interface: event.interface, up: false, removed: true },
        `${event.interface} was deleted`,
      ]);
      p.release(event.interface);
    }
    debounce.removed(event.interface);
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
  return { debounce, poller };
}
