// The engine's events for what its routers did and heard, built from their actions. Events with
// per-packet rates are built only when someone listens.

import type { EventEmitter } from 'eventemitter3';
import type { RouterAction, RouterState, VirtualRouterConfig } from '../core/types.js';
import { decodeAdvert } from '../wire/codec.js';
import type { AdvertAction, AdvertEncoding } from './advert-encoding.js';
import type { EngineEvents } from './events.js';
import type { IncomingPacket } from './ports.js';
import type { InterfaceSlot } from './slots.js';

type Events = EventEmitter<EngineEvents>;
type Reported = Extract<RouterAction, { kind: 'stateChange' | 'priorityChange' | 'dropped' | 'notice' }>;

/** The event for a state change, priority change, drop or notice of the router configured by `config`. */
export function emitActionEvent(events: Events, config: VirtualRouterConfig, action: Reported, atMs: number): void {
  const { name: router, interface: iface } = config;
  switch (action.kind) {
    case 'stateChange': {
      const { from, to, reason, priority } = action;
      events.emit('stateChange', { router, interface: iface, vrid: config.vrid, from, to, reason, priority, atMs });
      return;
    }
    case 'priorityChange':
      events.emit('priorityChange', { router, vrid: config.vrid, from: action.from, to: action.to, atMs });
      return;
    case 'dropped':
      if (events.listenerCount('dropped') > 0)
        events.emit('dropped', { router, interface: iface, reason: action.reason, detail: action.detail, atMs });
      return;
    case 'notice':
      if (events.listenerCount('notice') > 0)
        events.emit('notice', { router, interface: iface, notice: action.notice, detail: action.detail, atMs });
      return;
  }
}

/** The drops of a packet no router took (bad bytes, unknown VRID), counted on its interface. */
export function countInterfaceDrops(
  events: Events,
  iface: InterfaceSlot,
  actions: readonly RouterAction[],
  atMs: number,
): void {
  for (const action of actions) {
    if (action.kind !== 'dropped') continue;
    iface.drops.set(action.reason, (iface.drops.get(action.reason) ?? 0) + 1);
    if (events.listenerCount('dropped') > 0)
      events.emit('dropped', {
        router: undefined,
        interface: iface.name,
        reason: action.reason,
        detail: action.detail,
        atMs,
      });
  }
}

export function emitAdvertSent(events: Events, encoding: AdvertEncoding, action: AdvertAction, atMs: number): void {
  if (events.listenerCount('advertSent') === 0) return;
  const { config, destinations } = encoding;
  const { vrid, priority, advertIntervalCs } = action;
  events.emit('advertSent', {
    router: config.name,
    interface: config.interface,
    vrid,
    priority,
    advertIntervalCs,
    destinations,
    atMs,
  });
}

export function emitAdvertReceived(
  events: Events,
  config: VirtualRouterConfig,
  packet: IncomingPacket,
  atMs: number,
  handledAtMs: number,
): void {
  if (events.listenerCount('advertReceived') === 0) return;
  // Decoded a second time only when someone listens: the demux keeps its decode to itself.
  const decoded = decodeAdvert(packet.payload, packet.meta);
  if (!decoded.ok) return;
  const { vrid, priority, advertIntervalCs } = decoded.advert;
  events.emit('advertReceived', {
    router: config.name,
    interface: config.interface,
    vrid,
    sourceAddress: packet.meta.sourceAddress,
    priority,
    advertIntervalCs,
    atMs,
    handledAtMs,
  });
}

/** Before a due router's timeout is handled: its state and the deadline it was set for. */
export function emitTimerExpired(
  events: Events,
  config: VirtualRouterConfig,
  router: { readonly state: RouterState; nextDeadlineMs(): number | undefined },
  atMs: number,
): void {
  if (events.listenerCount('timerExpired') === 0) return;
  events.emit('timerExpired', {
    router: config.name,
    interface: config.interface,
    vrid: config.vrid,
    state: router.state,
    dueAtMs: router.nextDeadlineMs() ?? atMs,
    atMs,
  });
}
