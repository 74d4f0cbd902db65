// The Linux runtime's apply(): routers added, removed, reconfigured and replaced while it runs, in a
// network namespace with real sockets. The runtime runs in a child process inside the namespace
// (runtime-apply-child.ts); `ip` and `ss` are the witnesses.
//
//   namespace: va (192.0.2.1/24) <-> vb, vc (198.51.100.1/24) <-> vd; VRRPv3 at 100 ms, no peers, so
//   every router becomes Master on its own after its Master_Down_Interval.
// Needs root.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { LinuxEngineInput, LinuxRouterInput } from '../../src/daemon/runtime.js';
import { ip, namespaceSkipReason } from './netns-harness.js';
import { eventually } from './runner-process.js';

const childScript = fileURLToPath(new URL('./runtime-apply-child.js', import.meta.url));
const skip = namespaceSkipReason();
const ns = `vrrpap${process.pid}`;

type Line = Record<string, unknown> & { type: string };

class RuntimeChild {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';

  constructor() {
    // `ip netns exec` execs node, so child.pid is the runtime's process; tap's loader stays out.
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, childScript], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(JSON.parse(line) as Line));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Sends a command and waits for its reply. */
  async send(command: Record<string, unknown>): Promise<Line> {
    const from = this.lines.length;
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    let reply: Line | undefined;
    await eventually(`reply to ${String(command.op)}; stderr: ${this.stderr}`, () => {
      reply = this.lines.slice(from).find((l) => l.type === 'reply');
      return reply !== undefined;
    });
    return reply!;
  }

  stateChanges(router: string): Line[] {
    return this.lines.filter((l) => l.type === 'log' && l.event === 'stateChange' && l.router === router);
  }

  async waitMaster(router: string): Promise<void> {
    await eventually(
      `${router} Master; stderr: ${this.stderr}`,
      () => this.stateChanges(router).at(-1)?.to === 'Master',
    );
  }

  /** Raw VRRP sockets (protocol 112) this process holds, by `ss`. */
  rawSockets(): number {
    const out = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-w', '-a', '-n', '-p'], { encoding: 'utf8' });
    return out.split('\n').filter((line) => line.includes(':112 ') && line.includes(`pid=${this.child.pid},`)).length;
  }

  /** Child processes of the runtime's process (none: the link watcher reads in-process). */
  childProcesses(): number {
    try {
      return execFileSync('pgrep', ['-P', String(this.child.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n').length;
    } catch {
      return 0;
    }
  }
}

function addressesOn(dev: string): string[] {
  const parsed = JSON.parse(ip('-n', ns, '-json', 'addr', 'show', 'dev', dev)) as { addr_info: { local: string }[] }[];
  return parsed.flatMap((link) => link.addr_info.map((a) => a.local));
}

function router(
  name: string,
  iface: string,
  vrid: number,
  vips: string[],
  extra: Partial<LinuxRouterInput> = {},
): LinuxRouterInput {
  return {
    name,
    interface: iface,
    vrid,
    version: 3,
    priority: 150,
    advertIntervalCs: 10,
    virtualAddresses: vips,
    ...extra,
  };
}

t.test(
  'apply(): add, remove, reconfigure in place, replace; sockets follow the routers',
  { skip: skip ?? false },
  async (t) => {
    let runtime: RuntimeChild | undefined;
    t.teardown(() => {
      if (runtime !== undefined && runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
      try {
        ip('netns', 'del', ns);
      } catch {
        // never created
      }
      if (!t.passing() && runtime !== undefined)
        t.comment(runtime.lines.map((l) => JSON.stringify(l)).join('\n') + runtime.stderr);
    });
    ip('netns', 'add', ns);
    for (const [a, b, address] of [
      ['va', 'vb', '192.0.2.1/24'],
      ['vc', 'vd', '198.51.100.1/24'],
    ] as const) {
      ip('-n', ns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b);
      ip('-n', ns, 'addr', 'add', address, 'dev', a);
      ip('-n', ns, 'link', 'set', a, 'up');
      ip('-n', ns, 'link', 'set', b, 'up');
    }
    runtime = new RuntimeChild();
    const r = runtime;

    const first: LinuxEngineInput = {
      routers: [router('VI_1', 'va', 51, ['192.0.2.100']), router('VI_2', 'vc', 52, ['198.51.100.100'])],
    };
    t.match(await r.send({ op: 'start', input: first }), { ok: true, result: { routers: ['VI_1', 'VI_2'] } });
    await r.waitMaster('VI_1');
    await r.waitMaster('VI_2');
    t.equal(r.rawSockets(), 2, 'one raw socket per interface');
    t.equal(r.childProcesses(), 0, 'no child process: link notifications are read in-process');
    t.match(await r.send({ op: 'isUp', name: 'va' }), { result: true }, 'the handle shares its link watcher');

    await t.test(
      'a Master reconfigured in place keeps its state; VIPs follow; the last router on vc takes its socket along',
      async (t) => {
        const changesBefore = r.stateChanges('VI_1').length;
        const second: LinuxEngineInput = {
          routers: [
            router('VI_1', 'va', 51, ['192.0.2.101', '192.0.2.102'], { priority: 160 }),
            router('VI_3', 'va', 53, ['192.0.2.103']),
          ],
          vips: [{ interface: 'va', address: '192.0.2.102', prefixLength: 24 }],
        };
        const reply = await r.send({ op: 'apply', input: second });
        t.match(reply, {
          ok: true,
          result: {
            unchanged: [],
            reconfigured: ['VI_1'],
            replaced: [],
            added: ['VI_3'],
            removed: ['VI_2'],
            failed: [],
          },
        });
        t.notOk(addressesOn('va').includes('192.0.2.100'), 'the VIP that left is gone');
        t.ok(
          addressesOn('va').includes('192.0.2.101') && addressesOn('va').includes('192.0.2.102'),
          'the new VIPs are there',
        );
        const withPrefix = JSON.parse(ip('-n', ns, '-json', 'addr', 'show', 'dev', 'va')) as {
          addr_info: { local: string; prefixlen: number }[];
        }[];
        t.equal(withPrefix[0]!.addr_info.find((a) => a.local === '192.0.2.102')?.prefixlen, 24, 'with its VipSpec');
        t.notOk(addressesOn('vc').includes('198.51.100.100'), "the removed Master's VIP is gone");
        t.equal(r.stateChanges('VI_1').length, changesBefore, 'VI_1: no state change');
        t.ok(
          r.lines.some((l) => l.event === 'priorityChange' && l.router === 'VI_1' && l.to === 160),
          'VI_1 runs at its new priority',
        );
        t.ok(
          r.lines.some(
            (l) =>
              l.event === 'vipsAnnounced' &&
              l.router === 'VI_1' &&
              JSON.stringify(l.addresses) === '["192.0.2.101","192.0.2.102"]',
          ),
          'the new VIPs announced',
        );
        t.match(
          r.stateChanges('VI_2').at(-1),
          { from: 'Master', to: 'Initialize', reason: 'shutdown' },
          'VI_2 released',
        );
        t.equal(r.rawSockets(), 1, "vc's socket closed with its last router");
        await r.waitMaster('VI_3');
        t.ok(addressesOn('va').includes('192.0.2.103'));
        t.equal(r.childProcesses(), 0, 'still no child process');
      },
    );

    await t.test("a kept VIP's new prefix length and label are applied in place", async (t) => {
      const changesBefore = r.stateChanges('VI_1').length;
      const reply = await r.send({
        op: 'apply',
        input: {
          routers: [
            router('VI_1', 'va', 51, ['192.0.2.101', '192.0.2.102'], { priority: 160 }),
            router('VI_3', 'va', 53, ['192.0.2.103']),
          ],
          vips: [
            { interface: 'va', address: '192.0.2.102', prefixLength: 25 },
            { interface: 'va', address: '192.0.2.101', label: 'va:vip' },
          ],
        },
      });
      t.match(reply, { ok: true, result: { unchanged: ['VI_3'], reconfigured: ['VI_1'], failed: [] } });
      const info = (
        JSON.parse(ip('-n', ns, '-json', 'addr', 'show', 'dev', 'va')) as {
          addr_info: { local: string; prefixlen: number; label?: string }[];
        }[]
      )[0]!.addr_info;
      t.same(
        info.filter((a) => a.local === '192.0.2.102').map((a) => a.prefixlen),
        [25],
        'only the /25',
      );
      t.equal(info.find((a) => a.local === '192.0.2.101')?.label, 'va:vip');
      t.equal(r.stateChanges('VI_1').length, changesBefore, 'no state change');
    });

    await t.test(
      'excluded addresses and a VIP moved to another interface (dev) change in place, and back',
      async (t) => {
        const changesBefore = r.stateChanges('VI_1').length;
        const kept = router('VI_3', 'va', 53, ['192.0.2.103']);
        const before: LinuxEngineInput = {
          routers: [router('VI_1', 'va', 51, ['192.0.2.101', '192.0.2.102'], { priority: 160 }), kept],
          vips: [
            { interface: 'va', address: '192.0.2.102', prefixLength: 25 },
            { interface: 'va', address: '192.0.2.101', label: 'va:vip' },
          ],
        };
        const moved: LinuxEngineInput = {
          routers: [
            router('VI_1', 'va', 51, ['192.0.2.101', '192.0.2.102'], {
              priority: 160,
              excludedAddresses: ['2001:db8::5', '198.51.100.7'],
            }),
            kept,
          ],
          vips: [
            { interface: 'va', address: '192.0.2.102', prefixLength: 25 },
            { interface: 'vc', address: '192.0.2.101' },
            { interface: 'vc', address: '198.51.100.7', prefixLength: 24 },
          ],
        };
        t.match(await r.send({ op: 'apply', input: moved }), {
          ok: true,
          result: { unchanged: ['VI_3'], reconfigured: ['VI_1'], failed: [] },
        });
        t.notOk(addressesOn('va').includes('192.0.2.101'), '192.0.2.101 left va');
        t.ok(addressesOn('vc').includes('192.0.2.101'), 'and is on vc');
        t.ok(addressesOn('va').includes('2001:db8::5'), 'the excluded IPv6 address is on va');
        t.ok(addressesOn('vc').includes('198.51.100.7'), 'the excluded address with dev vc is on vc');
        t.ok(
          r.lines.some((l) => l.event === 'vipsAnnounced' && l.router === 'VI_1' && l.interface === 'vc'),
          'announced on vc',
        );
        t.equal(r.rawSockets(), 1, 'no VRRP socket for vc, nor for IPv6');
        t.match(await r.send({ op: 'apply', input: before }), {
          ok: true,
          result: { reconfigured: ['VI_1'], failed: [] },
        });
        t.notOk(
          addressesOn('vc').includes('192.0.2.101') || addressesOn('vc').includes('198.51.100.7'),
          'nothing of VI_1 left on vc',
        );
        t.notOk(addressesOn('va').includes('2001:db8::5'), 'the excluded address is gone');
        const info = (
          JSON.parse(ip('-n', ns, '-json', 'addr', 'show', 'dev', 'va')) as {
            addr_info: { local: string; label?: string }[];
          }[]
        )[0]!.addr_info;
        t.equal(info.find((a) => a.local === '192.0.2.101')?.label, 'va:vip', '192.0.2.101 back on va with its label');
        t.equal(r.stateChanges('VI_1').length, changesBefore, 'no state change');
      },
    );

    await t.test(
      'the socket leaves the VRRP group when no multicast router is left on it, and joins again',
      async (t) => {
        const joined = () => ip('-n', ns, 'maddr', 'show', 'dev', 'va').includes('224.0.0.18');
        const input = (extra: Partial<LinuxRouterInput>): LinuxEngineInput => ({
          routers: [
            router('VI_1', 'va', 51, ['192.0.2.101', '192.0.2.102'], { priority: 160, ...extra }),
            router('VI_3', 'va', 53, ['192.0.2.103'], extra),
          ],
          vips: [
            { interface: 'va', address: '192.0.2.102', prefixLength: 25 },
            { interface: 'va', address: '192.0.2.101', label: 'va:vip' },
          ],
        });
        t.ok(joined(), 'joined while multicast');
        t.match(await r.send({ op: 'apply', input: input({ unicastPeers: ['192.0.2.50'] }) }), {
          ok: true,
          result: { reconfigured: ['VI_1', 'VI_3'] },
        });
        t.notOk(joined(), 'left once every router on va is unicast');
        t.match(await r.send({ op: 'apply', input: input({}) }), {
          ok: true,
          result: { reconfigured: ['VI_1', 'VI_3'] },
        });
        t.ok(joined(), 'joined again');
        t.equal(r.rawSockets(), 1, 'the same one socket all along');
      },
    );

    await t.test('a bad configuration is refused whole and changes nothing', async (t) => {
      const reply = await r.send({
        op: 'apply',
        input: { routers: [router('VI_1', 'va', 51, ['192.0.2.101']), router('VI_9', 'va', 0, ['192.0.2.109'])] },
      });
      t.match(reply, { ok: false, error: { name: 'ConfigError', message: /routers\[1\]\.vrid/ } });
      t.ok(addressesOn('va').includes('192.0.2.103'), 'VI_3 still holds its VIP');
      t.ok(addressesOn('va').includes('192.0.2.102'), 'VI_1 still holds its VIPs');
    });

    await t.test('a new VRID is a replacement; a router that cannot start fails alone', async (t) => {
      const reply = await r.send({
        op: 'apply',
        input: {
          routers: [
            router('VI_1', 'va', 61, ['192.0.2.101']),
            router('VI_3', 'va', 53, ['192.0.2.103']),
            router('VI_4', 'eth9', 54, ['192.0.2.104']),
            router('VI_5', 'vc', 55, ['198.51.100.105']),
          ],
        },
      });
      t.match(reply, {
        ok: true,
        result: { unchanged: ['VI_3'], reconfigured: [], replaced: ['VI_1'], added: ['VI_5'], removed: [] },
      });
      const failed = (reply.result as { failed: { name: string; error: string }[] }).failed;
      t.match(failed, [{ name: 'VI_4', error: /eth9 does not exist/ }]);
      t.match(r.stateChanges('VI_1').slice(-2), [
        { from: 'Master', to: 'Initialize', reason: 'shutdown' },
        { from: 'Initialize', to: 'Backup' },
      ]);
      await r.waitMaster('VI_1');
      await r.waitMaster('VI_5');
      t.equal(r.rawSockets(), 2, "vc's socket is back for VI_5");
      t.notOk(addressesOn('va').includes('192.0.2.102'));
    });

    await t.test(
      'stop during an apply: waits for it and its afterApply; every VIP removed, the process exits',
      async (t) => {
        const reply = await r.send({
          op: 'applyThenStop',
          input: { routers: [router('VI_1', 'va', 61, ['192.0.2.101']), router('VI_3', 'va', 53, ['192.0.2.103'])] },
          holdMs: 300,
        });
        t.match(reply, {
          ok: true,
          result: { order: ['afterApply (removed VI_5)', 'stopped'], late: 'runtime: apply() after stop()' },
        });
        t.same(
          addressesOn('va').filter((a) => a.startsWith('192.0.2.1') && a !== '192.0.2.1'),
          [],
        );
        t.same(
          addressesOn('vc').filter((a) => a.startsWith('198.51.100.') && a !== '198.51.100.1'),
          [],
        );
      },
    );
  },
);
