// Accept mode off on Linux (RFC 5798/9568 6.4.3, keepalived's vrrp_strict): bin/vrrp-engine in a router
// namespace, a client namespace on the other end of a veth pair. The kernel is the witness: ping from the
// client, the client's neighbour table, `nft list` in the router namespace. The JSON `nftables`
// setting names the tables, sets their priority and counters.
//
//   router: va 192.0.2.1/24 2001:db8::1/64      client: vb 192.0.2.2/24 2001:db8::2/64
//   VI_1 (IPv4, VRID 51) and VI_6 (IPv6, VRID 52), VRRPv3, alone on the link so Master.
// Needs root and nft.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { AcceptModeFirewall } from '../../src/linux/accept-mode-firewall.js';
import type { NftRunner } from '../../src/linux/nft-run.js';
import { NFTABLES_DEFAULTS } from '../../src/model/nftables.js';
import { ip, namespaceSkipReason } from './netns-harness.js';
import { eventually, Runner, runnerScope } from './runner-process.js';

const VIP = '192.0.2.100';
const VIP6 = '2001:db8::100';
const ns = { router: `vrrpam${process.pid}r`, client: `vrrpam${process.pid}c` };

function nftMissing(): string | undefined {
  return spawnSync('nft', ['--version']).status === 0 ? undefined : 'the nft command is not installed';
}
const skip = namespaceSkipReason() ?? nftMissing();

function inNamespace(namespace: string, command: string, ...args: string[]): { status: number | null; stdout: string } {
  const result = spawnSync('ip', ['netns', 'exec', namespace, command, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stdout: result.stdout };
}

/** True if one echo request from the client to `address` gets a reply within a second. */
function pingAnswered(address: string): boolean {
  return inNamespace(ns.client, 'ping', '-c', '1', '-W', '1', address).status === 0;
}

/** `nft list table` of both families' tables (ip and ip6, as keepalived), undefined if neither exists. */
function tableListing(): string | undefined {
  const listed = ['ip', 'ip6']
    .map((family) => inNamespace(ns.router, 'nft', 'list', 'table', family, NFTABLES_DEFAULTS.table))
    .filter((result) => result.status === 0);
  return listed.length === 0 ? undefined : listed.map((result) => result.stdout).join('');
}

function hasAddress(address: string): boolean {
  const links = JSON.parse(ip('-n', ns.router, '-json', 'addr', 'show', 'dev', 'va')) as {
    addr_info: { local: string }[];
  }[];
  return links.some((link) => link.addr_info.some((a) => a.local === address));
}

/** The client's neighbour entry for `address`, if it has a link-layer address. */
function clientNeighbour(address: string): string | undefined {
  const entries = JSON.parse(ip('-n', ns.client, '-json', '-6', 'neigh', 'show', address, 'dev', 'vb')) as {
    lladdr?: string;
  }[];
  return entries.find((e) => e.lladdr !== undefined)?.lladdr;
}

function config(acceptMode: boolean, priority = 150, nftables?: object): string {
  const common = { interface: 'va', version: 3, priority, advertIntervalCs: 10, acceptMode };
  return JSON.stringify({
    routers: [
      { ...common, name: 'VI_1', vrid: 51, virtualAddresses: [VIP] },
      { ...common, name: 'VI_6', vrid: 52, virtualAddresses: [VIP6] },
    ],
    ...(nftables ? { nftables } : {}),
  });
}

// nft reads JSON, never a script; and only a parsed and re-printed address ever reaches it.
t.test('accept mode: a VIP that is not an address never reaches nft', async (t) => {
  const documents: string[] = [];
  const run: NftRunner = async (document) => {
    documents.push(document);
    return { code: 0, stdout: '', stderr: '' };
  };
  const firewall = new AcceptModeFirewall(undefined, run);
  const place = { iface: 'va', ifindex: 7 };
  for (const hostile of [
    '192.0.2.1 }; flush ruleset; #',
    '192.0.2.1\nflush ruleset',
    '$(reboot)',
    '2001:db8::1 } ; delete table inet x',
    '',
    'x'.repeat(10_000),
  ]) {
    await t.rejects(firewall.block(hostile, place), { code: 'EINVAL' }, JSON.stringify(hostile.slice(0, 30)));
  }
  t.same(documents, [], 'nft never ran');
  await firewall.block('2001:DB8:0::0001', place);
  const last = JSON.parse(documents.at(-1)!) as { nftables: Record<string, unknown>[] };
  t.same(
    last.nftables.at(-1),
    { add: { element: { family: 'ip6', table: NFTABLES_DEFAULTS.table, name: 'vips', elem: ['2001:db8::1'] } } },
    'the canonical text, not the input',
  );
  await firewall.unblock('192.0.2.1 }; flush ruleset; #', place);
  t.equal(documents.length, 1, 'unblock of a non-address runs nothing');
});

t.test('accept mode off drops traffic to the VIPs with an nftables table', { skip: skip ?? false }, async (t) => {
  // Deleting the router namespace at teardown takes its nftables table with it.
  const { runners, dir } = runnerScope(t, Object.values(ns), 'vrrp-accept-');
  for (const name of Object.values(ns)) {
    ip('netns', 'add', name);
    for (const conf of ['all', 'default']) inNamespace(name, 'sysctl', '-qw', `net.ipv6.conf.${conf}.accept_dad=0`);
  }
  ip('-n', ns.router, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', ns.client);
  for (const [name, dev, last] of [
    [ns.router, 'va', 1],
    [ns.client, 'vb', 2],
  ] as const) {
    ip('-n', name, 'addr', 'add', `192.0.2.${last}/24`, 'dev', dev);
    ip('-n', name, 'addr', 'add', `2001:db8::${last}/64`, 'dev', dev, 'nodad');
    ip('-n', name, 'link', 'set', dev, 'up');
  }
  const off = join(dir, 'off.json');
  const on = join(dir, 'on.json');
  const ownerOff = join(dir, 'owner-off.json');
  writeFileSync(off, config(false));
  writeFileSync(on, config(true));
  writeFileSync(ownerOff, config(false, 255));
  const named = join(dir, 'named.json');
  writeFileSync(named, config(false, 150, { table: 'a b; flush ruleset', priority: 7, counters: true }));
  const start = async (path: string): Promise<Runner> => {
    const r = new Runner(ns.router, path);
    runners.push(r);
    await r.waitForState('Master', 0, 'VI_1');
    await r.waitForState('Master', 0, 'VI_6');
    await eventually('both VIPs on va', () => hasAddress(VIP) && hasAddress(VIP6));
    return r;
  };

  await t.test('Master without accept mode: the VIPs are on the interface but do not answer', async (t) => {
    const r = await start(off);
    t.ok(pingAnswered('192.0.2.1'), "the router's own address answers (the link works)");
    t.notOk(pingAnswered(VIP), 'no reply from the IPv4 VIP');
    ip('-n', ns.client, '-6', 'neigh', 'flush', 'dev', 'vb');
    t.notOk(pingAnswered(VIP6), 'no reply from the IPv6 VIP');
    t.ok(
      clientNeighbour(VIP6),
      'but the IPv6 VIP answered neighbour solicitation: the client has its link-layer address',
    );
    const listing = tableListing() ?? '';
    t.match(listing, VIP, 'the IPv4 VIP is in the drop set');
    t.match(listing, VIP6, 'the IPv6 VIP is in the drop set');
    r.kill('SIGTERM');
    const { code } = await r.exited;
    t.equal(code, 0, 'SIGTERM: exit 0');
    t.equal(tableListing(), undefined, 'the table is gone after SIGTERM');
  });

  await t.test('the JSON nftables setting: the table named, at its priority, with counters', async (t) => {
    const r = await start(named);
    const listed = inNamespace(ns.router, 'nft', '-j', 'list', 'ruleset');
    const objects = (JSON.parse(listed.stdout) as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
    const tables = objects.flatMap((o) => (o.table ? [`${o.table.family} ${o.table.name}`] : []));
    t.same(
      tables,
      ['ip a b; flush ruleset', 'ip6 a b; flush ruleset'],
      'a name nft script could not take is just a name',
    );
    const prios = objects.flatMap((o) => (o.chain?.hook ? [o.chain.prio] : []));
    t.same(prios, [7, 7, 7, 7], 'every base chain at priority 7');
    const rules = objects.flatMap((o) => (o.rule ? [o.rule.expr as Record<string, unknown>[]] : []));
    t.ok(rules.length > 0 && rules.every((expr) => expr.some((e) => 'counter' in e)), 'every rule counts');
    t.notOk(pingAnswered(VIP), 'no reply from the IPv4 VIP');
    r.kill('SIGTERM');
    t.equal((await r.exited).code, 0, 'SIGTERM: exit 0');
    t.same(
      JSON.parse(inNamespace(ns.router, 'nft', '-j', 'list', 'tables').stdout).nftables.length,
      1,
      'gone (metainfo only)',
    );
  });

  // RFC 9568 6.4.3: the owner accepts traffic to its addresses whatever Accept_Mode says.
  await t.test('an address owner with accept mode off: its VIPs answer and no drop table is made', async (t) => {
    const r = await start(ownerOff);
    await r.waitFor('started', (l) => l.event === 'started');
    t.ok(pingAnswered(VIP), 'the IPv4 VIP answers');
    t.ok(pingAnswered(VIP6), 'the IPv6 VIP answers');
    t.equal(tableListing(), undefined, 'no accept-mode table');
    r.kill('SIGTERM');
    t.equal((await r.exited).code, 0, 'SIGTERM: exit 0');
  });

  await t.test('a table left by a kill -9 is replaced at the next start', async (t) => {
    const killed = await start(off);
    killed.kill('SIGKILL');
    await killed.exited;
    t.ok(tableListing(), 'kill -9 left the table behind');
    const r = await start(on);
    await r.waitFor('started', (l) => l.event === 'started');
    t.equal(tableListing(), undefined, 'a run with accept mode on removed the leftover table');
    t.ok(pingAnswered(VIP), 'accept mode on: the IPv4 VIP answers');
    t.ok(pingAnswered(VIP6), 'accept mode on: the IPv6 VIP answers');
    r.kill('SIGTERM');
    t.equal((await r.exited).code, 0, 'SIGTERM: exit 0');

    const again = await start(off);
    again.kill('SIGKILL');
    await again.exited;
    const replaced = await start(off);
    t.notOk(pingAnswered(VIP), 'a run with accept mode off over a leftover table still drops');
    t.notOk(
      replaced.find((l) => l.event === 'error'),
      'no error logged: the leftover table was replaced',
    );
    replaced.kill('SIGTERM');
    t.equal((await replaced.exited).code, 0, 'SIGTERM: exit 0');
    t.equal(tableListing(), undefined, 'the table is gone after SIGTERM');
  });
});
