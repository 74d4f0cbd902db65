// Applies the JSON `netlinkBuffers` (keepalived's vrrp_netlink_*_rcv_bufs[_force]) at start: the
// command size goes to every request socket opened afterwards and to the takeover kit's socket, the
// monitor size to the link watcher's notification socket. Absent: vrrp-engine's own sizes.

import type { LinkWatcherOptions } from '../linux/links.js';
import { setCommandReceiveBuffer } from '../linux/rtnetlink-requests.js';
import { checkNetlinkBuffers } from '../model/netlink-buffers.js';
import type { LinuxEngineInput } from '../model/runtime-input.js';

/** Checks and applies `input.netlinkBuffers`; returns the link watcher's options. Throws ConfigError. */
export function applyNetlinkBuffers(input: Pick<LinuxEngineInput, 'netlinkBuffers'>): LinkWatcherOptions {
  const buffers = input.netlinkBuffers;
  if (buffers !== undefined) checkNetlinkBuffers(buffers);
  setCommandReceiveBuffer(buffers?.command);
  const monitor = buffers?.monitor;
  return monitor ? { recvBufferSize: monitor.bytes, recvBufferForce: monitor.force } : {};
}
