// The Linux packet port's options from the runtime's input: where its errors are logged, and each
// VRRP socket's receive buffer (keepalived's vrrp_rx_bufs_policy, vrrp_rx_bufs_multiplier and
// kernel_rx_buf_size; src/model/receive-buffers.ts).

import { readFileSync } from 'node:fs';
import type { LinuxPacketPortOptions } from '../linux/packet-port.js';
import type { RuntimeLogger } from '../model/logger.js';
import { socketReceiveBuffer } from '../model/receive-buffers.js';
import type { LinuxEngineInput } from '../model/runtime-input.js';
import { packetPortErrorLogger } from './host-setup.js';

/** Ethernet's MTU, for an interface whose MTU cannot be read (gone, or a name that is no path). */
const DEFAULT_MTU = 1500;

/** The interface's MTU from sysfs; a name that could leave /sys/class/net is never read. */
export function interfaceMtu(iface: string): number {
  if (!/^[^/\s]{1,15}$/.test(iface) || iface === '.' || iface === '..') return DEFAULT_MTU;
  try {
    const mtu = Number(readFileSync(`/sys/class/net/${iface}/mtu`, 'utf8').trim());
    return Number.isInteger(mtu) && mtu > 0 ? mtu : DEFAULT_MTU;
  } catch {
    return DEFAULT_MTU;
  }
}

export function packetPortOptions(input: LinuxEngineInput, logger: RuntimeLogger): LinuxPacketPortOptions {
  const policy = input.receiveBuffers;
  return {
    onError: packetPortErrorLogger(logger),
    // Asked per socket as routers come and go (a reload's kernel_rx_buf_size too); the policy is the start's.
    receiveBuffer: (routers) => socketReceiveBuffer(routers, policy, interfaceMtu),
  };
}
