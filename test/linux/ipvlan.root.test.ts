// use_ipvlan on the kernel, beside iproute2 and keepalived 2.2.7, in a namespace of its own (veths
// eth0/eth1, 192.0.2.1/24 on eth0):
//   1. the RTM_NEWLINK the runtime sends for an ipvlan is, after the netlink header, byte for byte the
//      one `ip link add link eth0 name ipvl51 type ipvlan mode l2 MODE` sends (read off strace), for
//      bridge, private and vepa;
//   2. the runtime's VmacManager makes the ipvlan as a use_ipvlan router's start does, and the kernel
//      answers it as it answers iproute2: where the kernel has no ipvlan driver (the test machine:
//      "Error: Unknown device type.", EOPNOTSUPP) the start fails with that code and leaves nothing;
//      where it has one, the link is an l2 ipvlan with the mode's flags, the address on it, IPv6 off,
//      up, and gone after the stop;
//   3. keepalived 2.2.7 and bin/vrrpd on one file: where the kernel has no ipvlan, keepalived logs
//      "Unable to create ipvlan interface ipvl51" (and keeps VI_1 in FAULT) and vrrpd refuses to start
//      with the kernel's code; where it has one, both make ipvl51 (l2, its mode) with the address.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ipvlanRequestBody } from '../../src/linux/macvlan.js';
import type { IpvlanMode } from '../../src/model/ipvlan-input.js';
import { namespaceSkipReason } from './netns-harness.js';

const NS = `vrf-ipvl-${process.pid}`;
const CHILD = fileURLToPath(new URL('./ipvlan-child.js', import.meta.url));
const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));
const NLMSG_HEADER = 16;
const RTM_NEWLINK = 16;
const NLM_F_CREATE_EXCL = 0x600;

const tool = (name: string) => !spawnSync(name, ['--version']).error;
const skip = namespaceSkipReason() ?? (tool('strace') ? undefined : 'strace is not installed');

function inNs(command: string, args: readonly string[], timeout = 10_000) {
  const { NODE_OPTIONS: _loader, ...env } = process.env;
  return spawnSync('ip', ['netns', 'exec', NS, command, ...args], { encoding: 'utf8', timeout, env });
}

function ipJson(...args: string[]): unknown {
  return JSON.parse(execFileSync('ip', ['-n', NS, '-j', ...args], { encoding: 'utf8' }));
}

/** The RTM_NEWLINK iproute2 sends for `args`, read off strace's dump of what it wrote to its socket. */
function iproute2Request(args: readonly string[]): { message: Buffer; status: number | null; stderr: string } {
  const traced = inNs('strace', ['-f', '-qq', '-e', 'trace=sendmsg', '-e', 'write=all', 'ip', ...args]);
  const chunks: Buffer[] = [];
  for (const line of traced.stderr.split('\n')) {
    const dump = /^ \| [0-9a-f]{5} {2}((?:[0-9a-f]{2} {1,2})+)/.exec(line);
    if (dump) {
      chunks.push(Buffer.from(dump[1]!.replace(/\s+/g, ''), 'hex'));
    } else if (chunks.length > 0) {
      const message = Buffer.concat(chunks);
      if (message.readUInt16LE(4) === RTM_NEWLINK) return { message, status: traced.status, stderr: traced.stderr };
      chunks.length = 0;
    }
  }
  throw new Error(`no RTM_NEWLINK in strace's output:\n${traced.stderr}`);
}

/** ipvl51 as `ip -d addr` shows it, if it exists. */
function ipvlanLink(): { kind: string; mode: string; flags?: string; addresses: string[] } | undefined {
  const links = ipJson('-d', 'addr', 'show') as {
    ifname: string;
    linkinfo?: { info_kind: string; info_data?: { mode: string; flags?: string } };
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  const link = links.find((l) => l.ifname === 'ipvl51');
  if (!link) return undefined;
  return {
    kind: link.linkinfo?.info_kind ?? '',
    mode: link.linkinfo?.info_data?.mode ?? '',
    ...(link.linkinfo?.info_data?.flags !== undefined ? { flags: link.linkinfo.info_data.flags } : {}),
    addresses: (link.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
  };
}

/** Runs a daemon in the namespace for up to 3 s, reads ipvl51 while it runs, then stops it by its PID. */
async function runFor(
  command: string,
  args: readonly string[],
): Promise<{ status: number | null; output: string; ipvlan: ReturnType<typeof ipvlanLink> }> {
  const { NODE_OPTIONS: _loader, ...env } = process.env;
  const child = spawn('ip', ['netns', 'exec', NS, command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const early = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000, 'running'))]);
  const ipvlan = ipvlanLink();
  if (early === 'running') child.kill('SIGTERM');
  const status = await exited;
  return { status, output, ipvlan };
}

t.test('use_ipvlan on the kernel, beside iproute2 and keepalived', { skip: skip ?? false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrf-ipvlan-'));
  t.teardown(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    rmSync(dir, { recursive: true, force: true });
  });
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
  for (const dev of ['eth0', 'eth1']) execFileSync('ip', ['-n', NS, 'link', 'set', dev, 'up']);
  execFileSync('ip', ['-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0']);
  const [eth0] = ipJson('link', 'show', 'eth0') as { ifindex: number }[];

  let kernelHasIpvlan = false;
  await t.test('the request is the one iproute2 sends', async (t) => {
    for (const mode of ['bridge', 'private', 'vepa'] as IpvlanMode[]) {
      const traced = iproute2Request([
        'link',
        'add',
        'link',
        'eth0',
        'name',
        'ipvl51',
        'type',
        'ipvlan',
        'mode',
        'l2',
        mode,
      ]);
      t.same(
        traced.message.subarray(NLMSG_HEADER),
        ipvlanRequestBody({ name: 'ipvl51', parentIndex: eth0!.ifindex, mode }),
        `${mode}: ifinfomsg, IFLA_LINK, IFLA_IFNAME, IFLA_LINKINFO {kind ipvlan, {mode l2, flags}}`,
      );
      t.equal(traced.message.readUInt16LE(6) & NLM_F_CREATE_EXCL, NLM_F_CREATE_EXCL, 'NLM_F_CREATE | NLM_F_EXCL');
      kernelHasIpvlan = traced.status === 0;
      if (kernelHasIpvlan) execFileSync('ip', ['-n', NS, 'link', 'del', 'ipvl51']);
      else
        t.match(
          traced.stderr,
          /Unknown device type/,
          `iproute2: ${traced.stderr.split('\n').find((line) => line.startsWith('Error'))}`,
        );
    }
  });

  await t.test('the runtime makes it as the kernel lets iproute2 make it', async (t) => {
    const plan = {
      router: 'VI_1',
      vrid: 51,
      family: 4,
      parent: 'eth0',
      name: 'ipvl51',
      mac: '',
      ipvlan: { mode: 'private', address: '192.0.2.9', prefixLength: 24, ipv6: false },
    };
    const made = inNs(process.execPath, [CHILD, JSON.stringify(plan)]);
    const outcome = JSON.parse(made.stdout) as { ok: boolean; code?: string; message?: string; logs: string[] };
    if (!kernelHasIpvlan) {
      t.same(
        { ok: outcome.ok, code: outcome.code },
        { ok: false, code: 'ENOTSUP' },
        `refused with the kernel's EOPNOTSUPP, as iproute2 was: ${outcome.message}`,
      );
      t.match(outcome.message, /^ENOTSUP: VI_1: creating ipvlan ipvl51 \(l2 private\) on eth0 failed/);
      t.same((ipJson('link', 'show') as { ifname: string }[]).map((l) => l.ifname).sort(), ['eth0', 'eth1', 'lo']);
      return;
    }
    t.ok(outcome.ok, `made: ${outcome.logs.join('; ')}`);
    const [link] = ipJson('-d', 'addr', 'show', 'ipvl51') as {
      flags: string[];
      linkinfo: { info_kind: string; info_data: { mode: string; flags?: string } };
      addr_info: { local: string; prefixlen: number }[];
    }[];
    t.equal(link!.linkinfo.info_kind, 'ipvlan');
    t.match(link!.linkinfo.info_data, { mode: 'l2', flags: 'private' });
    t.ok(link!.flags.includes('UP'), 'up');
    t.same(
      link!.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
      ['192.0.2.9/24'],
      'its address, and no IPv6',
    );
    const removed = JSON.parse(inNs(process.execPath, [CHILD, JSON.stringify(plan), 'remove']).stdout);
    t.ok(removed.ok, 'made and removed again');
    t.notOk(
      (ipJson('link', 'show') as { ifname: string }[]).some((l) => l.ifname === 'ipvl51'),
      'gone after stop',
    );
  });

  await t.test(
    'keepalived and vrrpd on one file',
    { skip: tool('keepalived') ? false : 'no keepalived' },
    async (t) => {
      const conf = join(dir, 'keepalived.conf');
      writeFileSync(
        conf,
        'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 200\n  advert_int 1\n  use_ipvlan ipvl51 192.0.2.9/24 private\n  virtual_ipaddress {\n    192.0.2.51/24\n  }\n}\n',
      );
      const pidFiles = ['-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid')];
      const keepalived = await runFor('keepalived', [...'-n -l -D -f'.split(' '), conf, ...pidFiles]);
      const vrrpd = await runFor(process.execPath, [VRRPD, '-n', '-l', '-f', conf, '-p', join(dir, 'vrrpd.pid')]);
      if (!kernelHasIpvlan) {
        t.match(keepalived.output, /\(VI_1\): Unable to create ipvlan interface ipvl51/, 'keepalived cannot make it');
        t.equal(keepalived.ipvlan, undefined, 'no ipvl51 while keepalived runs');
        t.equal(vrrpd.status, 1, 'vrrpd refuses to start');
        t.match(vrrpd.output, /cannot start: ENOTSUP: VI_1: creating ipvlan ipvl51 \(l2 private\) on eth0 failed/);
        t.equal(vrrpd.ipvlan, undefined, 'no ipvl51 from vrrpd');
        return;
      }
      for (const [who, run] of [
        ['keepalived', keepalived],
        ['vrrpd', vrrpd],
      ] as const) {
        t.match(run.ipvlan, { kind: 'ipvlan', mode: 'l2', flags: 'private' }, `${who}: ipvl51, l2 private`);
        t.ok(run.ipvlan?.addresses.includes('192.0.2.9/24'), `${who}: 192.0.2.9/24 on it`);
      }
    },
  );
});
