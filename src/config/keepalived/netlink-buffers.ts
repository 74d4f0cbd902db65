// vrrp_netlink_cmd_rcv_bufs, vrrp_netlink_monitor_rcv_bufs and their _force flags (global_defs), read
// as keepalived 2.2.7 reads them (core/global_parser.c, core/keepalived_netlink.c): a size from 0 to
// UINT_MAX, where 0 leaves the earlier value; a flag that is true without a word. keepalived sets every
// netlink socket's buffer, 64 KiB unless a size is given, with SO_RCVBUFFORCE only when the flag is
// true. Here a socket is set only when one of its two keywords appears, so a file without them keeps
// vrrp-engine's own sizes.

import { MAX_NETLINK_BUFFER_BYTES, type NetlinkReceiveBuffers } from '../../model/netlink-buffers.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import { readFlag } from './values.js';

/** keepalived's IF_DEFAULT_BUFSIZE: the size when only the _force keyword is given. */
export const KEEPALIVED_NETLINK_BUFFER_BYTES = 64 * 1024;
const UINT_MAX = 4_294_967_295;

type Socket = 'command' | 'monitor';

export type NetlinkBuffersGlobals = Partial<Record<Socket, { bytes?: number; force?: boolean }>>;

type Reader = (statement: Statement, globals: { netlinkBuffers?: NetlinkBuffersGlobals }, d: DiagnosticList) => void;

function sizeReader(socket: Socket): Reader {
  return (statement, globals, diagnostics) => {
    // keepalived reads the first word only; a missing size is an error there too.
    const [word, ...extra] = statement.args;
    if (word === undefined) {
      diagnostics.error(statement, `${statement.keyword}: size missing`);
      return;
    }
    if (extra.length > 0) diagnostics.warning(extra[0]!, `${statement.keyword}: only the first word is read`);
    const bytes = /^\d+$/.test(word.text) ? Number(word.text) : Number.NaN;
    if (!(bytes <= UINT_MAX)) {
      diagnostics.error(word, `${statement.keyword} ${word.text}: a size in bytes from 0 to ${UINT_MAX}`);
      return;
    }
    const entry = ((globals.netlinkBuffers ??= {})[socket] ??= {});
    if (bytes > 0) entry.bytes = bytes; // 0: keepalived keeps what it had
  };
}

function forceReader(socket: Socket): Reader {
  return (statement, globals, diagnostics) => {
    const force = readFlag(statement, diagnostics);
    if (force !== undefined) ((globals.netlinkBuffers ??= {})[socket] ??= {}).force = force;
  };
}

export const NETLINK_BUFFER_READERS: Readonly<Record<string, Reader>> = {
  vrrp_netlink_cmd_rcv_bufs: sizeReader('command'),
  vrrp_netlink_cmd_rcv_bufs_force: forceReader('command'),
  vrrp_netlink_monitor_rcv_bufs: sizeReader('monitor'),
  vrrp_netlink_monitor_rcv_bufs_force: forceReader('monitor'),
};

/**
 * The JSON `netlinkBuffers` for what the file set; undefined when it set nothing. A size above the
 * addon's limit (1 GiB) is asked as 1 GiB: the kernel caps far below that anyway (twice the size, at
 * most INT_MAX, and SO_RCVBUF at net.core.rmem_max).
 */
export function netlinkBuffersInput(globals: NetlinkBuffersGlobals | undefined): NetlinkReceiveBuffers | undefined {
  if (globals === undefined) return undefined;
  const buffer = (socket: Socket) => {
    const set = globals[socket];
    if (set === undefined) return {};
    const bytes = Math.min(set.bytes ?? KEEPALIVED_NETLINK_BUFFER_BYTES, MAX_NETLINK_BUFFER_BYTES);
    return { [socket]: { bytes, force: set.force ?? false } };
  };
  return { ...buffer('command'), ...buffer('monitor') };
}
