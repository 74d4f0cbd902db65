// The receive buffers of our rtnetlink sockets, as keepalived's vrrp_netlink_cmd_rcv_bufs[_force] and
// vrrp_netlink_monitor_rcv_bufs[_force] set them: `command` is every socket that sends requests and
// reads their replies, `monitor` the socket of link and address notifications. With `force` the size
// is set with SO_RCVBUFFORCE (past net.core.rmem_max; needs CAP_NET_ADMIN), else with SO_RCVBUF
// (capped at net.core.rmem_max). Left out: vrrp-engine's own sizes (command: the kernel default;
// monitor: 1 MiB, forced when allowed).

import { ConfigError } from './config-error.js';
import { unknownKeyMessage } from './known-keys.js';

export interface NetlinkReceiveBuffer {
  readonly bytes: number;
  readonly force: boolean;
}

export interface NetlinkReceiveBuffers {
  readonly command?: NetlinkReceiveBuffer;
  readonly monitor?: NetlinkReceiveBuffer;
}

/** The addon's limit (native/src/rtnetlink.cc). */
export const MAX_NETLINK_BUFFER_BYTES = 2 ** 30;

const SOCKETS: readonly string[] = ['command', 'monitor'];
const BUFFER_FIELDS: readonly string[] = ['bytes', 'force'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the JSON `netlinkBuffers` object; throws ConfigError naming the field. */
export function checkNetlinkBuffers(value: unknown, field = 'netlinkBuffers'): asserts value is NetlinkReceiveBuffers {
  if (!isRecord(value)) throw new ConfigError(field, 'must be an object with "command" and/or "monitor"');
  for (const [socket, buffer] of Object.entries(value)) {
    const where = `${field}.${socket}`;
    if (!SOCKETS.includes(socket)) throw new ConfigError(where, unknownKeyMessage(socket, SOCKETS));
    if (!isRecord(buffer)) throw new ConfigError(where, 'must be an object with "bytes" and "force"');
    for (const key of Object.keys(buffer)) {
      if (!BUFFER_FIELDS.includes(key)) throw new ConfigError(`${where}.${key}`, unknownKeyMessage(key, BUFFER_FIELDS));
    }
    const { bytes, force } = buffer;
    if (!(typeof bytes === 'number' && Number.isInteger(bytes) && bytes >= 1 && bytes <= MAX_NETLINK_BUFFER_BYTES))
      throw new ConfigError(
        `${where}.bytes`,
        `must be a whole number from 1 to ${MAX_NETLINK_BUFFER_BYTES}, got ${JSON.stringify(bytes)}`,
      );
    if (typeof force !== 'boolean')
      throw new ConfigError(`${where}.force`, `must be true or false, got ${JSON.stringify(force)}`);
  }
}
