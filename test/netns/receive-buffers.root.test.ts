// vrrp_rx_bufs_policy, vrrp_rx_bufs_multiplier and kernel_rx_buf_size, bin/vrrpd beside keepalived
// 2.2.7 on the same file: the receive buffer of each one's VRRP receive socket, read from outside the
// process (pidfd_getfd, then getsockopt SO_RCVBUF on the copy), is the same. ss cannot show it: raw
// sockets have no sock_diag here.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Harness, skipReason, type RouterSpec } from './harness.js';
import type { LanNode } from './lan.js';
import { keepalivedConf } from './routers.js';
import { STARTUP_MS } from './timing.js';

const spec = (name: string, vrid: number, vip: string): RouterSpec => ({
  name,
  vrid,
  version: 2,
  priority: 100,
  advertIntervalCs: 100,
  virtualAddresses: [vip],
});
const SPECS = [spec('VI_1', 51, '192.0.2.100'), spec('VI_2', 52, '192.0.2.101')];

/**
 * Every IPv4 raw socket of protocol 112 that `pid` holds, with its bound address and SO_RCVBUF
 * (x86-64 syscall numbers: pidfd_getfd is 438).
 */
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
        if s.family == socket.AF_INET and s.type == socket.SOCK_RAW and s.proto == 112:
            found.append({"bound": s.getsockname()[0], "rcvbuf": s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)})
    finally:
        s.close()
print(json.dumps(found))
`;

function vrrpSockets(pid: number): { bound: string; rcvbuf: number }[] {
  return JSON.parse(execFileSync('python3', ['-c', READ_SOCKETS, String(pid)], { encoding: 'utf8' }));
}

/** The file both read: `globals` in global_defs, and `instance` lines in VI_1 only. */
function conf(node: LanNode, globals: string, instance: string): string {
  const text = keepalivedConf(node, SPECS)
    .replace('global_defs {\n', `global_defs {\n${globals}`)
    .replace(/^( *)virtual_router_id 51$/m, `$1virtual_router_id 51\n${instance}`);
  if (!text.includes(globals) || !text.includes(instance)) throw new Error('keepalivedConf changed: cannot extend it');
  return text;
}

const CASES: { name: string; globals: string; instance: string }[] = [
  { name: 'a size', globals: '  vrrp_rx_bufs_policy 100000\n', instance: '' },
  { name: 'ADVERT x 1000', globals: '  vrrp_rx_bufs_policy ADVERT\n  vrrp_rx_bufs_multiplier 1000\n', instance: '' },
  { name: 'MTU x 20', globals: '  vrrp_rx_bufs_policy MTU\n  vrrp_rx_bufs_multiplier 20\n', instance: '' },
  {
    name: 'kernel_rx_buf_size on one, ADVERT on the other',
    globals: '  vrrp_rx_bufs_policy ADVERT\n',
    instance: '    kernel_rx_buf_size 50000\n',
  },
];

t.test(
  'nothing set: keepalived keeps the kernel default, bin/vrrpd asks for 4 MiB (SO_RCVBUFFORCE)',
  { skip: skipReason(['keepalived', 'python3']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'rxd', 2, { capture: false });
    const ours = h.startVrrpd('r1', SPECS);
    const theirs = h.startKeepalived('r2', SPECS);
    await ours.waitForState('VI_1', 'Backup', STARTUP_MS);
    await theirs.waitForLine((l) => /\(VI_1\) Entering BACKUP STATE/.test(l.text), STARTUP_MS, 'keepalived Backup');
    const child = theirs.vrrpChildPid();
    if (child === undefined) throw new Error('keepalived wrote no VRRP child pid');
    const rmemDefault = Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim());
    t.same(
      vrrpSockets(child)
        .filter((s) => s.bound === '224.0.0.18')
        .map((s) => s.rcvbuf),
      [rmemDefault],
      `keepalived: net.core.rmem_default (${rmemDefault})`,
    );
    t.same(
      vrrpSockets(ours.pid).map((s) => s.rcvbuf),
      [2 * (4 << 20)],
      'bin/vrrpd: 4 MiB, reported doubled',
    );
  },
);

t.test(
  'the VRRP receive socket buffer: bin/vrrpd as keepalived on the same file',
  { skip: skipReason(['keepalived', 'python3']) ?? false },
  async (t) => {
    for (const c of CASES) {
      await t.test(c.name, async (t) => {
        const h = await Harness.create(t, 'rxb', 2, { capture: false });
        const ours = h.startVrrpd('r1', SPECS, { confText: conf(h.node('r1'), c.globals, c.instance) });
        const theirs = h.startKeepalived('r2', SPECS, { confText: conf(h.node('r2'), c.globals, c.instance) });
        await ours.waitForState('VI_1', 'Backup', STARTUP_MS);
        await theirs.waitForLine((l) => /\(VI_1\) Entering BACKUP STATE/.test(l.text), STARTUP_MS, 'keepalived Backup');
        const child = theirs.vrrpChildPid();
        if (child === undefined) throw new Error('keepalived wrote no VRRP child pid');
        // keepalived receives on the socket bound to the group and sends from another; ours does both on one.
        const keepalivedIn = vrrpSockets(child).filter((s) => s.bound === '224.0.0.18');
        const oursSockets = vrrpSockets(ours.pid);
        t.equal(keepalivedIn.length, 1, 'keepalived: one receive socket');
        t.equal(oursSockets.length, 1, 'bin/vrrpd: one VRRP socket');
        t.equal(
          oursSockets[0]?.rcvbuf,
          keepalivedIn[0]?.rcvbuf,
          `the same SO_RCVBUF (keepalived ${keepalivedIn[0]?.rcvbuf}, ours ${oursSockets[0]?.rcvbuf})`,
        );
      });
    }
  },
);
