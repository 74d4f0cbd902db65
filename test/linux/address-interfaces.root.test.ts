// bin/vrrp-engine with addresses off the router's interface (keepalived `dev`) and excluded addresses
// (virtual_ipaddress_excluded), on real veths. One namespace R runs the routers; its two veths
// reach a bridge in namespace L, where tcpdump captures and tshark judges what went out of which
// interface (told apart by their fixed MACs).
//
//   R: va 02:00:5e:0f:00:0a 192.0.2.1/24      VI_1 (VRID 51): VIPs 192.0.2.100 (va), 198.51.100.100/24 (vb);
//      vb 02:00:5e:0f:00:0b 198.51.100.1/24         excluded 2001:db8::200/64 and 192.0.2.200 (va)
//   L: br0 with ports pa, pb                  VI_2 (VRID 52): VIP 192.0.2.102 (va), 198.51.100.102 on vb no_track
//
// Scenarios: an address left on vb by an earlier run is removed at start; both routers Master with
// every address where it belongs; the adverts list the VIPs only and leave from va only; GARPs / NAs
// leave from the interface each address lives on; vb's link down -> VI_1 (tracks vb) Fault, VI_2
// (no_track) stays Master; vb up -> VI_1 Master again; an external delete on vb is repaired, one of a
// no_track address is not (keepalived leaves it until the next takeover); SIGTERM removes everything.
// Then bin/vrrpd runs the same from a keepalived.conf (dev, no_track, virtual_ipaddress_excluded).
// Needs root, tcpdump and tshark.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Capture } from '../netns/capture.js';
import { forgetNamespace, forgetPid, rememberNamespace, rememberPid } from '../netns/cleanup.js';
import { NamespaceProcess } from '../netns/process.js';
import { VRRPD } from '../netns/routers.js';
import { namespaceSkipReason } from './netns-harness.js';
import { eventually, Runner, sleep } from './runner-process.js';

const ns = { r: `vrrpai${process.pid}r`, l: `vrrpai${process.pid}l` };
const MAC = { va: '02:00:5e:0f:00:0a', vb: '02:00:5e:0f:00:0b' };
const VI_1 = { vips: ['192.0.2.100', '198.51.100.100'], excluded: ['2001:db8::200', '192.0.2.200'] };
const ON_VA = ['192.0.2.100', '192.0.2.200', '2001:db8::200', '192.0.2.102'];
const ON_VB = ['198.51.100.100', '198.51.100.102'];

function skipReason(): string | undefined {
  const base = namespaceSkipReason();
  if (base !== undefined) return base;
  for (const tool of ['tcpdump', 'tshark']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The addresses on `iface` in R, as `ip -json` reports them. */
function addressesOn(iface: string): string[] {
  const links = JSON.parse(ip('-n', ns.r, '-json', 'addr', 'show', 'dev', iface)) as {
    addr_info: { local: string }[];
  }[];
  return links.flatMap((link) => link.addr_info.map((a) => a.local));
}

const holds = (iface: string, addresses: readonly string[]) => addresses.every((a) => addressesOn(iface).includes(a));
const holdsNone = (iface: string, addresses: readonly string[]) =>
  !addresses.some((a) => addressesOn(iface).includes(a));

function buildLan(): void {
  for (const name of Object.values(ns)) {
    ip('netns', 'add', name);
    rememberNamespace(name);
  }
  ip('-n', ns.l, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', ns.l, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
  ip('-n', ns.l, 'link', 'set', 'br0', 'up');
  for (const [dev, port, address] of [
    ['va', 'pa', '192.0.2.1/24'],
    ['vb', 'pb', '198.51.100.1/24'],
  ] as const) {
    ip('link', 'add', dev, 'netns', ns.r, 'address', MAC[dev], 'type', 'veth', 'peer', 'name', port, 'netns', ns.l);
    ip('-n', ns.l, 'link', 'set', port, 'master', 'br0');
    ip('-n', ns.l, 'link', 'set', port, 'up');
    ip('-n', ns.r, 'addr', 'add', address, 'dev', dev);
    ip('-n', ns.r, 'link', 'set', dev, 'up');
  }
}

function removeLan(): void {
  for (const name of Object.values(ns)) {
    try {
      ip('netns', 'del', name);
    } catch {
      // never created, or already gone
    }
    forgetNamespace(name);
  }
}

function config(): string {
  const router = { version: 3, advertIntervalCs: 10, interface: 'va' };
  return JSON.stringify({
    routers: [
      {
        ...router,
        name: 'VI_1',
        vrid: 51,
        priority: 150,
        virtualAddresses: VI_1.vips,
        excludedAddresses: VI_1.excluded,
      },
      { ...router, name: 'VI_2', vrid: 52, priority: 150, virtualAddresses: ['192.0.2.102', '198.51.100.102'] },
    ],
    vips: [
      { interface: 'vb', address: '198.51.100.100', prefixLength: 24 },
      { interface: 'va', address: '2001:db8::200', prefixLength: 64 },
      { interface: 'vb', address: '198.51.100.102', noTrack: true },
    ],
  });
}

t.test(
  'addresses on another interface and excluded addresses, on real veths',
  { skip: skipReason() ?? false },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrp-address-interfaces-'));
    let runner: Runner | undefined;
    let capture: Capture | undefined;
    t.teardown(async () => {
      if (runner?.child.pid !== undefined) {
        runner.kill('SIGKILL');
        forgetPid(runner.child.pid);
      }
      if (capture !== undefined) {
        await capture.stop().catch(() => undefined);
        forgetPid(capture.pid);
        capture.remove();
      }
      removeLan();
      rmSync(dir, { recursive: true, force: true });
    });
    buildLan();
    capture = await Capture.start(ns.l);
    rememberPid(capture.pid);
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, config());
    // Left on vb by a run killed before it cleaned up.
    ip('-n', ns.r, 'addr', 'add', '198.51.100.100/24', 'dev', 'vb');
    const r = new Runner(ns.r, configPath);
    runner = r;
    if (r.child.pid !== undefined) rememberPid(r.child.pid);

    await t.test(
      'start: the leftover on vb is removed; both routers go Master and every address is where it belongs',
      async (t) => {
        const leftover = await r.waitFor(
          'leftover removed',
          (l) => l.event === 'leftoverVipsRemoved' && l.interface === 'vb',
        );
        t.same(leftover.addresses, ['198.51.100.100']);
        await r.waitForState('Master', 0, 'VI_1');
        await r.waitForState('Master', 0, 'VI_2');
        await eventually('addresses on va and vb', () => holds('va', ON_VA) && holds('vb', ON_VB));
        const started = await r.waitFor('started', (l) => l.event === 'started');
        t.match(started.routers, [
          { name: 'VI_1', excludedAddresses: VI_1.excluded, addressInterfaces: { '198.51.100.100': 'vb' } },
          { name: 'VI_2' },
        ]);
        const links = JSON.parse(ip('-n', ns.r, '-json', 'addr', 'show', 'dev', 'vb')) as {
          addr_info: { local: string; prefixlen: number }[];
        }[];
        t.equal(
          links[0]!.addr_info.find((a) => a.local === '198.51.100.100')?.prefixlen,
          24,
          "vb's VipSpec gives the prefix length",
        );
        await sleep(1000); // ten adverts for the capture to judge
      },
    );

    await t.test(
      'vb down: VI_1 (tracks vb) goes to Fault and removes its addresses; VI_2 (no_track) stays Master',
      async (t) => {
        const from = r.lines.length;
        ip('-n', ns.r, 'link', 'set', 'vb', 'down');
        const fault = await r.waitFor(
          'VI_1 Fault',
          (l) => l.event === 'stateChange' && l.router === 'VI_1' && l.to === 'Fault',
          from,
        );
        t.equal(fault.reason, 'track-failed');
        await eventually('VI_1 addresses gone from va', () =>
          holdsNone('va', ['192.0.2.100', '192.0.2.200', '2001:db8::200']),
        );
        await sleep(300);
        t.notOk(
          r.find((l) => l.event === 'stateChange' && l.router === 'VI_2', from),
          'VI_2 did not move',
        );
        t.ok(holds('va', ['192.0.2.102']), "VI_2's VIP stays on va");
        ip('-n', ns.r, 'link', 'set', 'vb', 'up');
        const back = await r.waitFor(
          'VI_1 Master again',
          (l) => l.event === 'stateChange' && l.router === 'VI_1' && l.to === 'Master',
          from,
        );
        t.ok(back, 'VI_1 is Master again once vb is up');
        await eventually('addresses back', () => holds('va', ON_VA) && holds('vb', ['198.51.100.100']));
      },
    );

    await t.test('an external delete on vb is repaired as for any VIP', async (t) => {
      const from = r.lines.length;
      ip('-n', ns.r, 'addr', 'del', '198.51.100.100/24', 'dev', 'vb');
      const notice = await r.waitFor(
        'notice',
        (l) => l.notice === 'vips-removed-externally' && l.router === 'VI_1',
        from,
      );
      t.same(notice.addresses, ['198.51.100.100']);
      await eventually('back on vb', () => holds('vb', ['198.51.100.100']));
    });

    await t.test(
      'no_track: an external delete of the address is left alone until the next takeover, as keepalived does',
      async (t) => {
        const from = r.lines.length;
        ip('-n', ns.r, 'addr', 'del', '198.51.100.102/32', 'dev', 'vb');
        await sleep(500);
        t.notOk(
          r.find(
            (l) => l.router === 'VI_2' && (l.event === 'stateChange' || l.notice === 'vips-removed-externally'),
            from,
          ),
          'VI_2 stays Master',
        );
        t.notOk(holds('vb', ['198.51.100.102']), 'not put back');
        t.ok(holds('va', ['192.0.2.102']), 'its other VIP stays');
      },
    );

    await t.test('SIGTERM: exit 0, every address gone from both interfaces', async (t) => {
      r.kill('SIGTERM');
      const { code } = await r.exited;
      t.equal(code, 0);
      t.ok(holdsNone('va', ON_VA), 'nothing left on va');
      t.ok(holdsNone('vb', ON_VB), 'nothing left on vb');
    });

    await t.test(
      "on the wire: adverts list the VIPs only and leave from va; each GARP / NA leaves from its address's interface",
      async (t) => {
        await sleep(200);
        await capture!.stop();
        const adverts = capture!.vrrp().filter((f) => f.vrid === 51);
        t.ok(adverts.length > 10, `${adverts.length} adverts of VRID 51`);
        t.same(
          [...new Set(adverts.map((f) => f.addresses.join(' ')))],
          [VI_1.vips.join(' ')],
          'every advert lists exactly the two VIPs',
        );
        t.same([...new Set(capture!.vrrp().map((f) => f.ethSource))], [MAC.va], 'no advert from vb');
        const arps = capture!.gratuitousArps();
        const arpFrom = (address: string) => [
          ...new Set(arps.filter((f) => f.senderIp === address).map((f) => f.ethSource)),
        ];
        t.same(arpFrom('192.0.2.100'), [MAC.va]);
        t.same(arpFrom('192.0.2.200'), [MAC.va], 'the excluded IPv4 address is announced on va');
        t.same(arpFrom('198.51.100.100'), [MAC.vb], 'the VIP on vb is announced on vb');
        t.same(arpFrom('198.51.100.102'), [MAC.vb]);
        const nas = capture!.unsolicitedNas().filter((f) => f.target === '2001:db8::200');
        t.ok(nas.length >= 5, `${nas.length} unsolicited NAs for the excluded IPv6 address`);
        t.same([...new Set(nas.map((f) => f.ethSource))], [MAC.va], 'from va');
      },
    );
  },
);

const KEEPALIVED_CONF = `vrrp_instance VI_1 {
    interface va
    virtual_router_id 51
    version 3
    advert_int 0.1
    priority 150
    virtual_ipaddress {
        192.0.2.100
        198.51.100.100/24 dev vb
    }
    virtual_ipaddress_excluded {
        2001:db8::200/64
        192.0.2.200
    }
}
vrrp_instance VI_2 {
    interface va
    virtual_router_id 52
    version 3
    advert_int 0.1
    priority 150
    virtual_ipaddress {
        192.0.2.102
        198.51.100.102 dev vb no_track
    }
}
`;

t.test(
  'bin/vrrpd runs the same from keepalived.conf: dev, no_track and virtual_ipaddress_excluded',
  { skip: skipReason() ?? false },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrp-address-interfaces-vrrpd-'));
    let vrrpd: NamespaceProcess | undefined;
    t.teardown(async () => {
      if (vrrpd?.running) await vrrpd.kill();
      removeLan();
      rmSync(dir, { recursive: true, force: true });
    });
    buildLan();
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, KEEPALIVED_CONF);
    const args = [
      '-n',
      '-l',
      '-f',
      conf,
      '-p',
      join(dir, 'keepalived.pid'),
      '-r',
      join(dir, 'vrrp.pid'),
      '--socket',
      join(dir, 'vrrpd.sock'),
      '--dump-dir',
      dir,
    ];
    const p = new NamespaceProcess('vrrpd', ns.r, process.execPath, [VRRPD, ...args]);
    vrrpd = p;
    const state = (router: string, to: string, since = 0) =>
      p.waitForLine(
        (l) => l.stream === 'stdout' && l.text.includes(`${router}: `) && l.text.includes(` -> ${to} (`),
        10_000,
        `${router} ${to}`,
        since,
      );

    await state('VI_1', 'Master');
    await state('VI_2', 'Master');
    await eventually('addresses on va and vb', () => holds('va', ON_VA) && holds('vb', ON_VB));
    t.pass('every address where its keepalived.conf line puts it');

    const since = p.lines.length;
    ip('-n', ns.r, 'link', 'set', 'vb', 'down');
    const fault = await state('VI_1', 'Fault', since);
    t.match(fault.text, /Master -> Fault \(track-failed\)/, "VI_1 tracks its VIP's dev");
    await sleep(300);
    t.notOk(
      p.lines.slice(since).some((l) => l.text.includes('VI_2: ')),
      'VI_2 (no_track) does not move',
    );
    ip('-n', ns.r, 'link', 'set', 'vb', 'up');
    await state('VI_1', 'Master', since);

    p.signal('SIGTERM');
    const { code } = await p.exited;
    t.equal(code, 0, 'SIGTERM: exit 0');
    t.ok(holdsNone('va', ON_VA) && holdsNone('vb', ON_VB), 'every address gone from both interfaces');
  },
);
