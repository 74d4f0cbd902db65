// vrrp-engine's library API. Build routers from plain objects, run them on ports (the Linux adapters,
// the simulator, or a transport of your own), and listen to typed events.
//
//   import { createEngine, systemTime } from 'vrrp-engine';
//   const engine = createEngine({ routers: [{ name: 'VI_1', interface: 'eth0', vrid: 51,
//     primaryAddress: '192.0.2.10', virtualAddresses: ['192.0.2.100'] }] },
//     { time: systemTime(), packets: myTransport, addresses: myAddressManager });
//   engine.on('stateChange', (e) => console.log(e.router, e.from, '->', e.to, e.reason));
//   engine.start();
//
// docs/embedding.md walks through a complete node agent.

import { buildRouterConfig, type RouterConfigInput } from './model/router-config.js';
import { Engine, type EngineOptions } from './engine/engine.js';
import type { EnginePorts } from './engine/ports.js';

export interface EngineConfigInput {
  readonly routers: readonly RouterConfigInput[];
}

/**
 * Validates every router (a ConfigError names the bad field) and builds an engine on the given ports.
 * `options.logger` gets the port failures no 'error' listener takes (default: console.error).
 */
export function createEngine(config: EngineConfigInput, ports: EnginePorts, options: EngineOptions = {}): Engine {
  if (!Array.isArray(config.routers)) throw new TypeError('config.routers must be a list of routers');
  const routers = config.routers.map((input, index) => buildRouterConfig(input, `routers[${index}]`));
  return new Engine(routers, ports, options);
}

export {
  Engine,
  type OperatorInput,
  type EngineLogger,
  type EngineOptions,
  type StartEngineOptions,
  type RemoveOptions,
} from './engine/engine.js';
export type * from './engine/events.js';
export type * from './engine/ports.js';
export { systemTime } from './engine/system-time.js';
export { buildRouterConfig, DEFAULT_ANNOUNCE, type RouterConfigInput } from './model/router-config.js';
export { ConfigError } from './model/config-error.js';
export type * from './core/types.js';
export { VirtualRouter } from './core/virtual-router.js';
export { InterfaceDemux, type DemuxResult } from './core/demux.js';
export { skewMs, masterDownIntervalMs } from './core/timers.js';
export * as wire from './wire/index.js';
export * as sim from './sim/index.js';
// Linux: raw VRRP sockets, rtnetlink VIPs, gratuitous ARP / NA, link tracking (needs CAP_NET_RAW and
// CAP_NET_ADMIN). Loaded on first use, so the library and the simulator work where the native parts
// (our addon) are not available.
export type {
  LinuxEngineInput,
  LinuxEngineHandle,
  LinuxRouterInput,
  StartOptions,
  ApplyResult,
  RuntimeLinks,
} from './daemon/runtime.js';
export async function startLinuxEngine(
  input: import('./daemon/runtime.js').LinuxEngineInput,
  options?: import('./daemon/runtime.js').StartOptions,
): Promise<import('./daemon/runtime.js').LinuxEngineHandle> {
  const linux = await import('./daemon/runtime.js');
  return linux.startLinuxEngine(input, options);
}
