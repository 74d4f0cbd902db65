// Compiles the protocol's hot paths before the first real deadline.
//
// V8 runs a function from bytecode until it has been called often enough to be compiled. A daemon's
// first takeover is its first run of the Master path (encode, send, add VIPs, announce), and measured
// in the namespace benchmarks that cost 1.5 to 2 ms of pure JavaScript between the timer firing and the
// advert leaving: more than the whole takeover budget (<= 1 ms beyond Master_Down_Interval). So at
// start the runtime drives a private engine, on in-memory ports and the real configurations, through
// elections, takeovers, adverts in and out and step-downs. Nothing reaches the network or the host.

import type { VirtualRouterConfig } from '../core/types.js';
import { encodeAdvert, passwordToAuthData } from '../wire/codec.js';
import { VRRP_MULTICAST_V4, VRRP_MULTICAST_V6 } from '../wire/types.js';
import { Engine } from './engine.js';
import type { EnginePorts, IncomingPacket } from './ports.js';

/** Rounds of (takeover, adverts, step-down); enough for V8 to compile every function on the way. */
const DEFAULT_ROUNDS = 300;

/** How many times the private engines became Master and stepped down: what was exercised. */
export interface WarmUpReport {
  readonly takeovers: number;
  readonly stepDowns: number;
}

export function warmUpProtocolPaths(configs: readonly VirtualRouterConfig[], rounds = DEFAULT_ROUNDS): WarmUpReport {
  // One router per distinct (version, family, unicast) shape is enough: the code paths are the same.
  const shapes = new Map<string, VirtualRouterConfig>();
  for (const config of configs)
    shapes.set(`${config.version}/${config.family}/${config.unicastPeers.length > 0}`, config);
  let takeovers = 0;
  let stepDowns = 0;
  for (const config of shapes.values()) {
    const report = exercise(config, rounds);
    takeovers += report.takeovers;
    stepDowns += report.stepDowns;
  }
  return { takeovers, stepDowns };
}

function exercise(config: VirtualRouterConfig, rounds: number): WarmUpReport {
  let nowMs = 0;
  let deadlineMs: number | undefined;
  let onDeadline: (() => void) | undefined;
  let deliver: ((packet: IncomingPacket) => void) | undefined;
  const ports: EnginePorts = {
    time: {
      nowMs: () => nowMs,
      setTimer: (atMs, callback) => {
        deadlineMs = atMs;
        onDeadline = callback;
      },
    },
    packets: { send: () => undefined, listen: (onPacket) => (deliver = onPacket) },
    addresses: { addVips: () => undefined, removeVips: () => undefined, announceVips: () => undefined },
  };
  const engine = new Engine([{ ...config, priority: Math.min(config.priority, 254) }], ports);
  let takeovers = 0;
  let stepDowns = 0;
  engine.on('stateChange', (event) => {
    if (event.to === 'Master') takeovers++;
    else if (event.from === 'Master') stepDowns++;
  });
  engine.start();

  const peer = config.unicastPeers[0] ?? (config.family === 4 ? '192.0.2.254' : 'fe80::fe');
  const destination =
    config.unicastPeers.length > 0
      ? config.primaryAddress
      : config.family === 4
        ? VRRP_MULTICAST_V4
        : VRRP_MULTICAST_V6;
  const advertFrom = (priority: number): IncomingPacket => ({
    interface: config.interface,
    payload: encodeAdvert(
      {
        version: config.version,
        vrid: config.vrid,
        priority,
        advertIntervalCs: config.advertIntervalCs,
        addresses: config.virtualAddresses,
        authType: config.auth.type === 'pass' ? 1 : 0,
        ...(config.auth.type === 'pass' ? { authData: passwordToAuthData(config.auth.password) } : {}),
      },
      {
        family: config.family,
        sourceAddress: peer,
        destinationAddress: destination,
        v3Ipv4PseudoHeader: config.v3Ipv4PseudoHeader,
      },
    ),
    meta: { family: config.family, sourceAddress: peer, destinationAddress: destination, ttl: 255 },
    // The Linux port stamps every packet with its arrival: the same shape, and the same branch.
    receivedAtMs: nowMs,
  });
  const higher = advertFrom(255);
  const stopping = advertFrom(0);
  const fire = () => {
    if (deadlineMs === undefined || onDeadline === undefined) return;
    nowMs = Math.max(nowMs, deadlineMs);
    onDeadline();
  };

  for (let round = 0; round < rounds; round++) {
    fire(); // Backup: the down timer -> Master (advert, VIPs, announce)
    fire(); // Master: an advert
    deliver?.(higher); // a higher priority: step down
    deliver?.(stopping); // that master leaves: down timer at Skew_Time
  }
  void engine.stop();
  return { takeovers, stepDowns };
}
