// net_namespace, bin/vrrpd beside keepalived 2.2.7 on the same file: each is started in a namespace of
// its own ("outside", made by the test) with `net_namespace` naming its LAN node's namespace. Both
// must run there: adverts on the LAN from both nodes (the capture), each VIP added in the node's
// namespace and not outside, every thread, every socket (read from outside the process: pidfd_getfd,
// then SO_NETNS_COOKIE on the copy) and every script in the node's namespace; the pid files in
// /run/keepalived/NAMESPACE/ with the same names; with data_use_instance, the data dump named
// keepalived.NAMESPACE.data by both; everything of theirs gone from /run/keepalived after a stop.

import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { forgetNamespace, rememberNamespace } from './cleanup.js';
import { Harness, KeepalivedProcess, skipReason, VrrpdProcess, type RouterSpec } from './harness.js';
import { type LanNode, run } from './lan.js';
import { keepalivedConf } from './routers.js';
import { masterDownMs, STARTUP_MS, MARGIN_MS } from './timing.js';

const spec = (name: string, vrid: number, priority: number, vip: string): RouterSpec => ({
  name,
  vrid,
  version: 2,
  priority,
  advertIntervalCs: 100,
  virtualAddresses: [vip],
});
/** r1 (bin/vrrpd) is Master of VI_1, r2 (keepalived) of VI_2: both advertise. */
const SPECS_R1 = [spec('VI_1', 61, 150, '192.0.2.100'), spec('VI_2', 62, 100, '192.0.2.101')];
const SPECS_R2 = [spec('VI_1', 61, 100, '192.0.2.100'), spec('VI_2', 62, 150, '192.0.2.101')];

/**
 * Every socket `pid` holds but its standard descriptors (the test's pipes are socketpairs made outside):
 * family, type and the network namespace cookie (SO_NETNS_COOKIE = 71).
 */
const READ_SOCKETS = `
import ctypes, json, os, socket, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(pid)
found = []
for name in os.listdir(f"/proc/{pid}/fd"):
    if int(name) <= 2:
        continue  # stdin, stdout, stderr: the test's own pipes (socketpairs), inherited
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
        cookie = int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 71, 8), "little")
        proto = s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)
        found.append({"family": int(s.family), "type": int(s.type), "proto": proto, "cookie": cookie})
    finally:
        s.close()
print(json.dumps(found))
`;
const COOKIE = 'import socket; print(int.from_bytes(socket.socket().getsockopt(socket.SOL_SOCKET, 71, 8), "little"))';

interface SocketSeen {
  readonly family: number;
  readonly type: number;
  readonly proto: number;
  readonly cookie: number;
}

/** keepalived opens its process-event socket (netlink connector) before setns(): it only works in the first namespace. */
const PROC_CONNECTOR = (s: SocketSeen) => s.family === 16 && s.proto === 11;

function sockets(pid: number): SocketSeen[] {
  return JSON.parse(execFileSync('python3', ['-c', READ_SOCKETS, String(pid)], { encoding: 'utf8' }));
}

/** The namespace cookie of `namespace`, from a socket made there. */
function cookieOf(namespace: string): number {
  return Number(run('ip', ['netns', 'exec', namespace, 'python3', '-c', COOKIE]).trim());
}

/** The network namespace of every thread of `pid` (/proc/PID/task/TID/ns/net), deduplicated. */
function threadNamespaces(pid: number): string[] {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return [...new Set(tasks.map((tid) => readlinkSync(`/proc/${pid}/task/${tid}/ns/net`)))];
}

function namespaceId(namespace: string): string {
  return `net:[${statSync(`/run/netns/${namespace}`).ino}]`;
}

function addresses(namespace: string): string[] {
  const links = JSON.parse(run('ip', ['-n', namespace, '-json', 'addr'])) as {
    addr_info: { local: string }[];
  }[];
  return links.flatMap((l) => l.addr_info.map((a) => a.local));
}

/**
 * The file both read, for a node: net_namespace, data_use_instance, and a tracked script that writes
 * the network namespace it runs in to `scriptOut`.
 */
function conf(node: LanNode, specs: readonly RouterSpec[], scriptOut: string): string {
  const base = keepalivedConf(node, specs);
  const globals = 'global_defs {\n  data_use_instance\n  script_user root\n  enable_script_security\n';
  // Written aside and renamed: the test reads it while the next run may be writing (seen empty in CI).
  const write = `readlink /proc/self/ns/net > ${scriptOut}.new && mv ${scriptOut}.new ${scriptOut}`;
  const script = `vrrp_script NS {\n  script "/bin/sh -c '${write}'"\n  interval 1\n}\n`;
  // keepalived wants a vrrp_script defined before the instance that tracks it.
  const text =
    `net_namespace ${node.namespace}\n${base.replace('global_defs {\n', globals).replace('vrrp_instance', `${script}vrrp_instance`)}`.replace(
      /^( *)virtual_router_id 61$/m,
      '$1virtual_router_id 61\n$1track_script {\n$1  NS\n$1}',
    );
  if (!text.includes('track_script')) throw new Error('keepalivedConf changed: cannot extend it');
  return text;
}

t.test(
  'net_namespace: bin/vrrpd and keepalived started outside run in the named namespace',
  { skip: skipReason(['keepalived', 'python3']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'nns', 2);
    const [r1, r2] = [h.node('r1'), h.node('r2')];
    const outside = [`${h.lan.prefix}-o1`, `${h.lan.prefix}-o2`] as const;
    const scratch = mkdtempSync(join(tmpdir(), 'vrrp-netns-ns-'));
    t.teardown(() => {
      for (const ns of outside) {
        try {
          run('ip', ['netns', 'del', ns]);
        } catch {
          // Never made.
        }
        forgetNamespace(ns);
      }
      rmSync(scratch, { recursive: true, force: true });
      for (const node of [r1, r2]) rmSync(`/tmp/keepalived.${node.namespace}.data`, { force: true });
      rmSync(`/tmp/keepalived_parent.${r2.namespace}.data`, { force: true });
    });
    for (const ns of outside) {
      rememberNamespace(ns);
      run('ip', ['netns', 'add', ns]);
    }
    const out = { vrrpd: join(scratch, 'vrrpd.ns'), keepalived: join(scratch, 'keepalived.ns') };
    // Started from the outside namespaces; the file sends each to its LAN node's.
    const ours = new VrrpdProcess({ ...r1, namespace: outside[0] }, SPECS_R1, {
      confText: conf(r1, SPECS_R1, out.vrrpd),
      defaultFiles: true,
    });
    const theirs = new KeepalivedProcess({ ...r2, namespace: outside[1] }, SPECS_R2, {
      confText: conf(r2, SPECS_R2, out.keepalived),
      defaultFiles: true,
    });
    h.processes.push(ours, theirs);
    const bound = masterDownMs(150, 100, 2) + MARGIN_MS + STARTUP_MS;
    await ours.waitForState('VI_1', 'Master', bound);
    await theirs.waitForLine((l) => /\(VI_2\) Entering MASTER STATE/.test(l.text), bound, 'keepalived VI_2 Master');

    const runDir = (node: LanNode) => `/run/keepalived/${node.namespace}`;
    const keepalivedChild = Number(readFileSync(join(runDir(r2), 'vrrp.pid'), 'utf8').trim());
    await t.test('the pid files: /run/keepalived/NAMESPACE/, the same names', async (t) => {
      t.same(readdirSync(runDir(r2)).sort(), ['keepalived.pid', 'vrrp.pid'], 'keepalived');
      t.same(readdirSync(runDir(r1)).sort(), ['keepalived.pid', 'vrrp.pid', 'vrrpd.sock'], 'bin/vrrpd, and its socket');
      t.equal(readFileSync(join(runDir(r1), 'keepalived.pid'), 'utf8'), `${ours.pid}\n`, 'our PID');
      t.equal(readFileSync(join(runDir(r2), 'keepalived.pid'), 'utf8'), `${theirs.pid}\n`, "keepalived's PID");
    });

    await t.test('every thread and every socket in the named namespace', async (t) => {
      t.same(threadNamespaces(ours.pid), [namespaceId(r1.namespace)], 'bin/vrrpd: every thread');
      t.same(threadNamespaces(theirs.pid), [namespaceId(r2.namespace)], 'keepalived');
      t.same(threadNamespaces(keepalivedChild), [namespaceId(r2.namespace)], "keepalived's VRRP process");
      const ourSockets = sockets(ours.pid);
      t.ok(ourSockets.length >= 4, `bin/vrrpd holds ${ourSockets.length} sockets (${JSON.stringify(ourSockets)})`);
      const inside = cookieOf(r1.namespace);
      t.not(inside, cookieOf(outside[0]), 'the two namespaces have different cookies');
      t.same(
        ourSockets.filter((s) => s.cookie !== inside),
        [],
        'bin/vrrpd: no socket outside (VRRP raw, AF_PACKET, netlink, the status socket)',
      );
      t.same(
        sockets(keepalivedChild).filter((s) => s.cookie !== cookieOf(r2.namespace) && !PROC_CONNECTOR(s)),
        [],
        "keepalived's VRRP process: none either but its process-event socket (core/main.c: before setns)",
      );
    });

    await t.test('the VIP in the named namespace, not outside', async (t) => {
      t.ok(addresses(r1.namespace).includes('192.0.2.100'), 'r1 holds VI_1 (bin/vrrpd)');
      t.ok(addresses(r2.namespace).includes('192.0.2.101'), 'r2 holds VI_2 (keepalived)');
      t.same(addresses(outside[0]), [], "nothing in bin/vrrpd's starting namespace (no link, no address)");
      t.same(addresses(outside[1]), [], "nothing in keepalived's");
    });

    await t.test('scripts run in the named namespace', async (t) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      t.equal(readFileSync(out.vrrpd, 'utf8').trim(), namespaceId(r1.namespace), 'bin/vrrpd');
      t.equal(readFileSync(out.keepalived, 'utf8').trim(), namespaceId(r2.namespace), 'keepalived');
    });

    await t.test('data_use_instance: keepalived.NAMESPACE.data from both', async (t) => {
      ours.signal('SIGUSR1');
      theirs.signal('SIGUSR1');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      t.ok(existsSync(join(ours.dir, `keepalived.${r1.namespace}.data`)), 'bin/vrrpd, in its dump directory');
      t.ok(existsSync(`/tmp/keepalived.${r2.namespace}.data`), 'keepalived, in /tmp');
      t.notOk(existsSync(join(ours.dir, 'keepalived.data')), 'not keepalived.data');
    });

    await t.test('a reload that changes net_namespace is refused by both; both run on', async (t) => {
      for (const p of [ours, theirs]) {
        const file = join(p.dir, 'keepalived.conf');
        writeFileSync(file, readFileSync(file, 'utf8').replace(/^net_namespace .*$/m, `net_namespace ${outside[0]}`));
      }
      const [oursFrom, theirsFrom] = [ours.mark(), theirs.mark()];
      ours.signal('SIGHUP');
      theirs.signal('SIGHUP');
      await ours.waitForLine(
        (l) => /reload refused: cannot change net_namespace/.test(l.text),
        5000,
        'refusal',
        oursFrom,
      );
      await theirs.waitForLine(
        (l) => /Cannot change network namespace at a reload/.test(l.text),
        5000,
        'refusal',
        theirsFrom,
      );
      t.ok(addresses(r1.namespace).includes('192.0.2.100'), 'r1 still holds VI_1');
      t.ok(ours.running && theirs.running, 'both run on');
    });

    const capture = await h.stopCapture();
    const advertisers = new Set(capture.vrrp().map((f) => `${f.ethSource} vrid ${f.vrid}`));
    t.ok(advertisers.has(`${r1.mac} vrid 61`), 'adverts of VI_1 from r1 (bin/vrrpd) on the LAN');
    t.ok(advertisers.has(`${r2.mac} vrid 62`), 'adverts of VI_2 from r2 (keepalived) on the LAN');

    t.same(await ours.stop(), { code: 0, signal: null }, 'bin/vrrpd stops cleanly');
    t.same(await theirs.stop(), { code: 0, signal: null }, 'keepalived too');
    t.notOk(existsSync(runDir(r1)), "bin/vrrpd's /run/keepalived/NAMESPACE removed");
    t.notOk(existsSync(runDir(r2)), "keepalived's removed");
  },
);

t.test(
  '-s NAME overrides net_namespace: bin/vrrpd as keepalived',
  { skip: skipReason(['keepalived']) ?? false },
  async (t) => {
    const h = await Harness.create(t, 'nss', 2, { capture: false });
    const nodes = [h.node('r1'), h.node('r2')] as const;
    const outside = `${h.lan.prefix}-o`;
    t.teardown(() => {
      try {
        run('ip', ['netns', 'del', outside]);
      } catch {
        // Never made.
      }
      forgetNamespace(outside);
    });
    rememberNamespace(outside);
    run('ip', ['netns', 'add', outside]);
    // The file names a namespace that does not exist; -s names the node's.
    const options = (node: LanNode) => ({
      confText: `net_namespace ${h.lan.prefix}-none\n${keepalivedConf(node, SPECS_R1)}`,
      defaultFiles: true,
      extraArgs: ['-s', node.namespace],
    });
    const ours = new VrrpdProcess({ ...nodes[0], namespace: outside }, SPECS_R1, options(nodes[0]));
    const theirs = new KeepalivedProcess({ ...nodes[1], namespace: outside }, SPECS_R1, options(nodes[1]));
    h.processes.push(ours, theirs);
    await ours.waitForState('VI_1', 'Backup', STARTUP_MS);
    await theirs.waitForLine((l) => /\(VI_1\) Entering BACKUP STATE/.test(l.text), STARTUP_MS, 'keepalived Backup');
    t.same(threadNamespaces(ours.pid), [namespaceId(nodes[0].namespace)], "bin/vrrpd: in -s's namespace");
    t.same(threadNamespaces(theirs.pid), [namespaceId(nodes[1].namespace)], "keepalived: in -s's namespace");
    t.same(readdirSync(`/run/keepalived/${nodes[0].namespace}`).sort(), ['keepalived.pid', 'vrrp.pid', 'vrrpd.sock']);
    t.same(readdirSync(`/run/keepalived/${nodes[1].namespace}`).sort(), ['keepalived.pid', 'vrrp.pid']);
  },
);
