// A node agent that embeds vrrp-engine with a transport of its own. docs/embedding.md walks through this
// file; test/examples/embedded-agent.test.ts runs it, so the documentation cannot drift from the code.
//
// The agent already has a way to reach its peers (here an in-process bus standing in for, say, a gossip
// channel), and its own code to plumb addresses. It hands both to the engine as ports and reacts to events.

import { EventEmitter } from 'eventemitter3';
import {
  createEngine,
  systemTime,
  type AddressPort,
  type Engine,
  type IncomingPacket,
  type OutgoingPacket,
  type PacketPort,
} from '../../src/index.js';

/** The agent's existing peer channel: every message reaches every other member. */
export class PeerBus extends EventEmitter<{ message: (from: string, packet: OutgoingPacket) => void }> {}

/** Adapts the bus to the engine's PacketPort. The engine hands us encoded VRRP messages; we carry them. */
export function busTransport(bus: PeerBus, self: string): PacketPort {
  return {
    send(packets) {
      for (const packet of packets) bus.emit('message', self, packet);
    },
    listen(onPacket) {
      bus.on('message', (from, packet) => {
        if (from === self) return; // a LAN would not loop our multicast back either (IP_MULTICAST_LOOP off)
        const incoming: IncomingPacket = {
          interface: packet.interface,
          payload: packet.payload,
          meta: {
            family: packet.family,
            sourceAddress: packet.sourceAddress,
            destinationAddress: packet.destinationAddress,
            ttl: 255, // the bus is one hop, like a LAN
          },
        };
        onPacket(incoming);
      });
    },
  };
}

/** The agent's own address plumbing; here it just records what it holds. */
export class AgentAddresses implements AddressPort {
  readonly held = new Set<string>();
  readonly log: string[] = [];

  addVips(iface: string, addresses: readonly string[]): void {
    for (const address of addresses) this.held.add(address);
    this.log.push(`add ${addresses.join(',')} on ${iface}`);
  }

  removeVips(iface: string, addresses: readonly string[]): void {
    for (const address of addresses) this.held.delete(address);
    this.log.push(`remove ${addresses.join(',')} on ${iface}`);
  }

  announceVips(iface: string, addresses: readonly string[], count: number): void {
    this.log.push(`announce ${addresses.join(',')} on ${iface} x${count}`);
  }
}

export interface Agent {
  readonly name: string;
  readonly engine: Engine;
  readonly addresses: AgentAddresses;
  /** Feed the result of the agent's own health check to the engine. */
  reportHealth(healthy: boolean): void;
}

export function startAgent(bus: PeerBus, name: string, primaryAddress: string, priority: number): Agent {
  const addresses = new AgentAddresses();
  const engine = createEngine(
    {
      routers: [
        {
          name: 'frontend',
          interface: 'eth0',
          vrid: 42,
          version: 3,
          priority,
          advertIntervalCs: 5, // 50 ms adverts: fast failover for the demo and the test
          primaryAddress,
          virtualAddresses: ['192.0.2.200'],
        },
      ],
    },
    { time: systemTime(), packets: busTransport(bus, name), addresses },
  );
  engine.on('stateChange', (e) =>
    console.log(`${name}: ${e.router} ${e.from} -> ${e.to} (${e.reason}, priority ${e.priority})`),
  );
  engine.on('error', (e) => console.error(`${name}: ${e.operation} failed`, e.error));
  engine.start();
  return {
    name,
    engine,
    addresses,
    // keepalived's semantics: a negative weight is subtracted from the priority while the check fails.
    reportHealth: (healthy) =>
      engine.input('frontend', { kind: 'track', name: 'http-check', up: healthy, weight: -150 }),
  };
}
