// Router Advertisements from an IPv6 Master (RFC 9568 6.4.3, `routerAdverts`): r1 (200) and r2 (100)
// run bin/vrrp-engine with VIPs fe80::57 and 2001:db8::157 and a prefix 2001:db8:1::/64. The client
// (accept_ra=2) learns its default route via the virtual link-local address from the Master and an
// address in the prefix. On SIGTERM r1 withdraws with a router lifetime of 0 and r2, now Master,
// advertises: the client's router is fe80::57 at r2's MAC. When r1 comes back and preempts, r2 steps
// down without a lifetime-0 RA. tshark decodes every RA with no malformed packet or expert warning.
// Only ours: keepalived.conf has no keyword for this (and keepalived 2.2.7 sends no RAs).

import { execFileSync } from 'node:child_process';
import t from 'tap';
import { Harness, neighbourOf, skipReason, waitUntil, type RouterSpec } from './harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from './timing.js';

const LINK_LOCAL_VIP = 'fe80::57';
const INTERVAL_CS = 50;
const spec = (priority: number): RouterSpec =>
  ({
    name: 'VI_RA',
    vrid: 57,
    version: 3,
    priority,
    advertIntervalCs: INTERVAL_CS,
    virtualAddresses: [LINK_LOCAL_VIP, '2001:db8::157'],
    // Passed through to the JSON configuration as it is.
    routerAdverts: { prefixes: [{ prefix: '2001:db8:1::/64' }] },
  }) as RouterSpec;

interface RaFrame {
  readonly timeMs: number;
  readonly ethSource: string;
  readonly source: string;
  readonly destination: string;
  readonly hopLimit: number;
  readonly lifetimeS: number;
  readonly linkLayerAddress: string;
  readonly checksumStatus: number;
  readonly prefix: string;
}

const RA_FIELDS = [
  'frame.time_epoch',
  'eth.src',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hlim',
  'icmpv6.nd.ra.router_lifetime',
  'icmpv6.opt.linkaddr',
  'icmpv6.checksum.status',
  'icmpv6.opt.prefix',
];

function tshark(file: string, filter: string, fields: readonly string[]): string[][] {
  const args = ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=|'];
  for (const field of fields) args.push('-e', field);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('|'));
}

function routerAdverts(file: string): RaFrame[] {
  return tshark(file, 'icmpv6.type == 134', RA_FIELDS).map((r) => ({
    timeMs: Number(r[0]) * 1000,
    ethSource: r[1]!,
    source: r[2]!,
    destination: r[3]!,
    hopLimit: Number(r[4]),
    lifetimeS: Number(r[5]),
    linkLayerAddress: r[6]!,
    checksumStatus: Number(r[7]),
    prefix: r[8]!,
  }));
}

/** The client's default routes as `ip -6 -json route` gives them. */
function defaultRoutes(h: Harness): { gateway?: string; dev?: string; protocol?: string }[] {
  return JSON.parse(h.lan.exec(h.lan.client, 'ip', '-6', '-json', 'route', 'show', 'default')) as {
    gateway?: string;
    dev?: string;
    protocol?: string;
  }[];
}

async function clientRouterIs(h: Harness, mac: string, what: string): Promise<void> {
  await waitUntil(
    () =>
      defaultRoutes(h).some((route) => route.gateway === LINK_LOCAL_VIP && route.protocol === 'ra') &&
      neighbourOf(h.lan, LINK_LOCAL_VIP)?.lladdr === mac
        ? true
        : undefined,
    8000,
    what,
  );
}

t.test(
  'router adverts: the client learns the virtual link-local router from the Master, and follows failover',
  { skip: skipReason() ?? false },
  async (t) => {
    const h = await Harness.create(t, 'ra', 2);
    h.lan.exec(h.lan.client, 'sysctl', '-qw', 'net.ipv6.conf.eth0.accept_ra=2');
    // Routers forward: otherwise their NAs for fe80::57 (ours and the kernel's) lack the Router flag and
    // the client drops the router again at once (RFC 4861 7.2.5); the runtime warns of it.
    for (const node of ['r1', 'r2']) h.lan.exec(h.node(node), 'sysctl', '-qw', 'net.ipv6.conf.eth0.forwarding=1');
    const r1mac = h.node('r1').mac;
    const r2mac = h.node('r2').mac;
    // r2 only once r1 is Master: a loaded machine could otherwise start r2 first and make it Master
    // (and advertise) until r1 preempts, which is right but not what this test looks at.
    const r1 = h.start('ours', 'r1', [spec(200)]);
    await r1.waitForState('VI_RA', 'Master', masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS + STARTUP_MS);
    const r2 = h.start('ours', 'r2', [spec(100)]);
    await r2.waitForState('VI_RA', 'Backup', STARTUP_MS);

    try {
      await clientRouterIs(h, r1mac, 'a default route via fe80::57 at r1');
    } catch (error) {
      t.comment(r1.tail(30));
      t.comment(JSON.stringify(defaultRoutes(h)), JSON.stringify(neighbourOf(h.lan, LINK_LOCAL_VIP)));
      t.comment(execFileSync('tcpdump', ['-r', h.capture!.file, '-n', 'icmp6'], { encoding: 'utf8' }));
      throw error;
    }
    t.pass("client: default via fe80::57 (proto ra), the neighbour entry r1's MAC");
    const addresses = h.lan.exec(h.lan.client, 'ip', '-6', 'addr', 'show', 'dev', 'eth0');
    t.match(addresses, /inet6 2001:db8:1::[0-9a-f:]+\/64 scope global/, 'client: an address in the advertised prefix');

    const since = r2.mark();
    const stoppedAt = Date.now();
    t.same(await r1.stop(5000), { code: 0, signal: null }, 'r1 exits 0 on SIGTERM');
    await r2.waitForState('VI_RA', 'Master', masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS, since);
    await clientRouterIs(h, r2mac, 'a default route via fe80::57 at r2');
    t.pass("after failover: default via fe80::57, the neighbour entry r2's MAC");

    const back = h.start('ours', 'r1', [spec(200)]);
    await back.waitForState('VI_RA', 'Master', masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS + STARTUP_MS);
    await r2.waitForState('VI_RA', 'Backup', 3000, since);
    await clientRouterIs(h, r1mac, 'the default route back at r1');
    t.pass('r1 back and preempting: the client router is r1 again');

    const capture = await h.stopCapture();
    const ras = routerAdverts(capture.file);
    const malformed = tshark(capture.file, 'icmpv6.type == 134 && (_ws.malformed || _ws.expert.severity >= warning)', [
      'frame.number',
      '_ws.expert.message',
    ]);
    t.same(malformed, [], 'tshark: no RA malformed or with an expert warning');
    t.ok(ras.length >= 3, `${ras.length} RAs on the wire`);
    t.same(
      ras.filter(
        (ra) =>
          ra.source !== LINK_LOCAL_VIP ||
          ra.destination !== 'ff02::1' ||
          ra.hopLimit !== 255 ||
          ra.checksumStatus !== 1 ||
          ra.linkLayerAddress !== ra.ethSource ||
          ra.prefix !== '2001:db8:1::',
      ),
      [],
      'every RA: from fe80::57 to ff02::1, hop limit 255, checksum good, SLLA = Ethernet source, the prefix',
    );
    const fromR1 = ras.filter((ra) => ra.ethSource === r1mac);
    const fromR2 = ras.filter((ra) => ra.ethSource === r2mac);
    const final = fromR1.filter((ra) => ra.lifetimeS === 0);
    t.equal(final.length, 1, 'r1 withdrew once, with router lifetime 0');
    t.ok(final[0]!.timeMs >= stoppedAt - 1000, 'at its SIGTERM');
    t.ok(fromR2.length > 0, `${fromR2.length} RAs from r2`);
    t.ok(
      fromR2.every((ra) => ra.timeMs > final[0]!.timeMs),
      'r2 sent none before r1 stopped: a Backup sends no RA (RFC 9568 6.4.2)',
    );
    t.ok(
      fromR2.every((ra) => ra.lifetimeS === 48),
      'r2 stepping down to the preempting r1 sent no lifetime-0 RA (every r2 RA has lifetime 48 s)',
    );
    t.ok(
      fromR1.filter((ra) => ra.lifetimeS !== 0).every((ra) => ra.lifetimeS === 48),
      'r1: the default lifetime 48 s',
    );
  },
);
