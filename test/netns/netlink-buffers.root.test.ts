// vrrp_netlink_cmd_rcv_bufs[_force] and vrrp_netlink_monitor_rcv_bufs[_force], bin/vrrpd beside
// keepalived 2.2.7 on the same file: the SO_RCVBUF of each one's rtnetlink sockets, read from outside
// the process (pidfd_getfd, then getsockopt on the copy). A socket joined to multicast groups is a
// monitor (notifications), one without groups a command socket (requests and their replies).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Harness, skipReason, type RouterSpec } from './harness.js';
import type { LanNode } from './lan.js';
import { keepalivedConf } from './routers.js';
import { STARTUP_MS } from './timing.js';

const SPECS: RouterSpec[] = [
  { name: 'VI_1', vrid: 51, version: 2, priority: 100, advertIntervalCs: 100, virtualAddresses: ['192.0.2.100'] },
];

/** Every NETLINK_ROUTE socket of `pid`: its groups (getsockname) and SO_RCVBUF. x86-64: pidfd_getfd is 438. */
const READ_SOCKETS = `
import ctypes, json, os, socket, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(pid)
found = []
for name in os.listdir(f"/proc/{pid}/fd"):
    try:
        if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
            continue
    except OSError:
        continue
    fd = libc.syscall(438, pidfd, int(name), 0)
    if fd < 0:
        continue
    s = socket.socket(fileno=fd)
    try:
        if s.family == socket.AF_NETLINK and s.proto == 0:
            found.append({"groups": s.getsockname()[1], "rcvbuf": s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)})
    finally:
        s.close()
print(json.dumps(found))
`;

interface Buffers {
  command: number[];
  monitor: number[];
}

/** The distinct SO_RCVBUF values of `pid`'s command and monitor sockets. */
function netlinkBuffers(pid: number): Buffers {
  const sockets: { groups: number; rcvbuf: number }[] = JSON.parse(
    execFileSync('python3', ['-c', READ_SOCKETS, String(pid)], { encoding: 'utf8' }),
  );
  const distinct = (list: typeof sockets) => [...new Set(list.map((s) => s.rcvbuf))].sort((a, b) => a - b);
  return {
    command: distinct(sockets.filter((s) => s.groups === 0)),
    monitor: distinct(sockets.filter((s) => s.groups !== 0)),
  };
}

function conf(node: LanNode, globals: string): string {
  const text = keepalivedConf(node, SPECS).replace('global_defs {\n', `global_defs {\n${globals}`);
  if (!text.includes(globals)) throw new Error('keepalivedConf changed: cannot extend it');
  return text;
}

const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
/** Above net.core.rmem_max: SO_RCVBUF is capped there, SO_RCVBUFFORCE is not. */
const BIG = rmemMax + 1_000_000;

const CASES: { name: string; globals: string; expected: Buffers }[] = [
  {
    name: 'sizes above rmem_max: the command socket capped (no force), the monitor forced',
    globals: `  vrrp_netlink_cmd_rcv_bufs ${BIG}\n  vrrp_netlink_monitor_rcv_bufs ${BIG}\n  vrrp_netlink_monitor_rcv_bufs_force\n`,
    expected: { command: [2 * rmemMax], monitor: [2 * BIG] },
  },
  {
    name: 'command forced, monitor _force alone (64 KiB)',
    globals: `  vrrp_netlink_cmd_rcv_bufs ${BIG}\n  vrrp_netlink_cmd_rcv_bufs_force true\n  vrrp_netlink_monitor_rcv_bufs_force yes\n`,
    expected: { command: [2 * BIG], monitor: [2 * 65536] },
  },
  {
    name: 'small sizes, no force',
    globals: '  vrrp_netlink_cmd_rcv_bufs 100000\n  vrrp_netlink_monitor_rcv_bufs 150000\n',
    expected: { command: [200000], monitor: [300000] },
  },
];

t.test(
  'rtnetlink receive buffers: bin/vrrpd as keepalived on the same file',
  { skip: skipReason(['keepalived', 'python3']) ?? false },
  async (t) => {
    for (const c of CASES) {
      await t.test(c.name, async (t) => {
        const h = await Harness.create(t, 'nlb', 2, { capture: false });
        const ours = h.startVrrpd('r1', SPECS, { confText: conf(h.node('r1'), c.globals) });
        const theirs = h.startKeepalived('r2', SPECS, { confText: conf(h.node('r2'), c.globals) });
        await ours.waitForState('VI_1', 'Backup', STARTUP_MS);
        await theirs.waitForLine((l) => /\(VI_1\) Entering BACKUP STATE/.test(l.text), STARTUP_MS, 'keepalived Backup');
        const child = theirs.vrrpChildPid();
        if (child === undefined) throw new Error('keepalived wrote no VRRP child pid');
        const keepalived = netlinkBuffers(child);
        const vrrpd = netlinkBuffers(ours.pid);
        t.same(keepalived, c.expected, `keepalived: ${JSON.stringify(keepalived)}`);
        t.same(vrrpd, keepalived, `bin/vrrpd: ${JSON.stringify(vrrpd)}`);
      });
    }
  },
);

t.test(
  'no keyword: bin/vrrpd keeps its own sizes (command: rmem_default; monitor: 1 MiB)',
  { skip: skipReason(['python3']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'nld', 1, { capture: false });
    const ours = h.startVrrpd('r1', SPECS);
    await ours.waitForState('VI_1', 'Backup', STARTUP_MS);
    const rmemDefault = Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim());
    t.same(netlinkBuffers(ours.pid), { command: [rmemDefault], monitor: [2 * (1 << 20)] });
  },
);
