// Accept mode off beside keepalived 2.2.7 (issue 13): bin/vrrpd on r1 and keepalived on r2 read ONE
// keepalived.conf with vrrp_strict (no accept) and the nftables keywords (a table name, a priority,
// counters, ifindex). Their `nft -j list ruleset` is compared in place, normalised only for what
// differs run to run (handles, counter values, element order):
//   1. vrrpd Master (priority 200), keepalived Backup (100) that never was Master: no table on r2;
//      vrrpd's tables on r1; the client's pings to the VIPs get no reply, IPv6 ND still answers.
//   2. vrrpd stopped: its tables are gone; keepalived Master: its tables equal vrrpd's of step 1.
//   3. vrrpd back (preempts): keepalived Backup after Master keeps its tables with empty sets.
// Three times: with the nftables keywords, with vrrp_iptables (keepalived's Debian build has no
// iptables: nftables, table keepalived, priority -1, no counters), and with dont_track_primary and no
// nftables_ifindex (link-local VIPs keyed by interface name: vips_link_local_name).
//   4. keepalived restarted above vrrpd (250): vrrpd Backup after Master: its tables equal keepalived's
//      of step 3. A reload renaming the table is refused by both ("Cannot change nftables table name
//      at a reload"). keepalived stopped at the end: its tables are gone too.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  Harness,
  skipReason,
  waitUntil,
  type KeepalivedProcess,
  type RouterProcess,
  type VrrpdProcess,
} from './harness.js';
import { answers, inNamespace, ruleset } from './nft-observe.js';
import { MARGIN_MS, STARTUP_MS, masterDownMs } from './timing.js';

const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::64';
const VIP6_LINK_LOCAL = 'fe80::64';
const INTERVAL_CS = 50;

/** The two files: the nftables keywords, or the legacy vrrp_iptables keepalived turns into nftables. */
const VARIANTS = [
  {
    name: 'nftables, nftables_priority, nftables_counters, nftables_ifindex',
    globals: ['nftables vrrp_fw', 'nftables_priority -5', 'nftables_counters', 'nftables_ifindex'],
    instance: [],
    table: 'vrrp_fw',
    priority: -5,
    counters: true,
    linkLocalSet: 'vips_link_local',
  },
  {
    name: 'vrrp_iptables',
    globals: ['vrrp_iptables'],
    instance: [],
    table: 'keepalived',
    priority: -1,
    counters: false,
    linkLocalSet: 'vips_link_local',
  },
  // dont_track_primary without nftables_ifindex: link-local VIPs keyed by interface name.
  {
    name: 'nftables with dont_track_primary',
    globals: ['nftables'],
    instance: ['dont_track_primary'],
    table: 'keepalived',
    priority: -1,
    counters: false,
    linkLocalSet: 'vips_link_local_name',
  },
] as const;

/** One file for both hosts; `@id` lines set each process's priority by its host name. */
const conf = (globals: readonly string[], instance: readonly string[]): string =>
  [
    'global_defs {',
    '  vrrp_strict',
    ...globals.map((line) => `  ${line}`),
    '}',
    ...[
      ['VI_4', 51, [VIP4]],
      ['VI_6', 52, [VIP6_LINK_LOCAL, VIP6]],
    ].flatMap(([name, vrid, vips]) => [
      `vrrp_instance ${name} {`,
      '  state BACKUP',
      '  interface eth0',
      '  version 3',
      `  virtual_router_id ${vrid}`,
      '  @low priority 100',
      '  @high priority 200',
      '  @top priority 250',
      '  advert_int 0.5',
      ...instance.map((line) => `  ${line}`),
      '  virtual_ipaddress {',
      ...(vips as string[]).map((v) => `    ${v}`),
      '  }',
      '}',
    ]),
    '',
  ].join('\n');

const INSTANCES = ['VI_4', 'VI_6'] as const;
const TAKEOVER_MS = masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS;

function clientKnows(h: Harness, address: string): boolean {
  const out = inNamespace(h.lan.client, 'ip', '-json', '-6', 'neigh', 'show', address, 'dev', 'eth0').stdout;
  return (JSON.parse(out || '[]') as { lladdr?: string }[]).some((e) => e.lladdr !== undefined);
}

/** Every VIP in its set (the two instances' transitions are separate). */
function blocksAll(listing: string): boolean {
  return [VIP4, VIP6, VIP6_LINK_LOCAL].every((vip) => listing.includes(`"${vip}`));
}

/** No VIP in any set: every instance that stepped down has unblocked all of its VIPs. */
function blocksNone(listing: string): boolean {
  return ![VIP4, VIP6, VIP6_LINK_LOCAL].some((vip) => listing.includes(`"${vip}`));
}

/** Waits until `check` holds. */
function until(check: () => boolean, timeoutMs: number, what: string): Promise<true> {
  return waitUntil(() => (check() ? true : undefined), timeoutMs, what);
}

async function allIn(p: RouterProcess, state: 'Master' | 'Backup', since = 0): Promise<void> {
  for (const name of INSTANCES) await p.waitForState(name, state, STARTUP_MS, since);
}

const skip = skipReason(['keepalived', 'unshare']) ?? (spawnSync('nft', ['--version']).status === 0 ? false : 'no nft');

t.test('accept mode off: bin/vrrpd builds the nftables tables keepalived 2.2.7 builds', { skip }, async (t) => {
  for (const variant of VARIANTS) await t.test(variant.name, (t) => sameTables(t, variant));
});

async function sameTables(t: Test, variant: (typeof VARIANTS)[number]): Promise<void> {
  const CONF = conf(variant.globals, variant.instance);
  const TABLE = variant.table;
  const h = await Harness.create(t, 'nft', 2, { capture: false });
  const [r1, r2] = [h.node('r1'), h.node('r2')];
  const options = (hostname: string) => ({ confText: CONF, hostname });

  // 1. vrrpd Master, keepalived Backup from the start.
  let vrrpd: RouterProcess = h.startVrrpd('r1', [], options('high'));
  await allIn(vrrpd, 'Master');
  let keepalived: RouterProcess = h.startKeepalived('r2', [], options('low'));
  await allIn(keepalived, 'Backup');
  await until(() => blocksAll(ruleset(r1)), 5000, 'vrrpd blocked every VIP');
  const vrrpdMaster = ruleset(r1);
  t.equal(ruleset(r2), '[]', 'keepalived, Backup that never was Master: no table');
  t.match(vrrpdMaster, `"family": "ip6"`, 'vrrpd Master: an ip6 table');
  t.match(vrrpdMaster, `"name": "${TABLE}"`, 'named by nftables');
  t.match(vrrpdMaster, `"prio": ${variant.priority}`, `at priority ${variant.priority}`);
  t.equal(vrrpdMaster.includes('"counter": "counted"'), variant.counters, `counters: ${variant.counters}`);
  t.match(vrrpdMaster, `"name": "${variant.linkLocalSet}"`, `link-local VIPs in ${variant.linkLocalSet}`);
  t.ok(answers(h, r1.ipv4), "the Master's own address answers");
  t.notOk(answers(h, VIP4), 'vrrpd Master: no reply from the IPv4 VIP');
  inNamespace(h.lan.client, 'ip', '-6', 'neigh', 'flush', 'dev', 'eth0');
  t.notOk(answers(h, VIP6), 'vrrpd Master: no reply from the IPv6 VIP');
  t.ok(clientKnows(h, VIP6), '... but neighbour discovery for it answers');

  // 2. keepalived Master.
  let since = keepalived.mark();
  await vrrpd.stop();
  t.equal(ruleset(r1), '[]', 'vrrpd stopped: its tables are gone');
  await allIn(keepalived, 'Master', since);
  await until(() => blocksAll(ruleset(r2)), 5000, 'keepalived blocked every VIP');
  t.same(ruleset(r2), vrrpdMaster, "keepalived Master: the same tables as vrrpd's as Master");
  t.notOk(answers(h, VIP4), 'keepalived Master: no reply from the IPv4 VIP either');
  t.notOk(answers(h, VIP6), 'nor from the IPv6 VIP');

  // 3. vrrpd back at 200 preempts: keepalived Backup after Master.
  since = keepalived.mark();
  vrrpd = h.startVrrpd('r1', [], options('high'));
  await allIn(vrrpd, 'Master');
  await allIn(keepalived, 'Backup', since);
  await until(() => blocksNone(ruleset(r2)), TAKEOVER_MS, 'keepalived unblocked its VIPs');
  const keepalivedBackup = ruleset(r2);
  t.match(keepalivedBackup, `"name": "${TABLE}"`, 'keepalived Backup after Master: its tables stay');
  t.same(ruleset(r1), vrrpdMaster, 'vrrpd Master again: the same tables');

  // 4. keepalived at 250 takes over: vrrpd Backup after Master.
  await keepalived.stop();
  t.equal(ruleset(r2), '[]', 'keepalived stopped: its tables are gone');
  since = vrrpd.mark();
  keepalived = h.startKeepalived('r2', [], options('top'));
  await allIn(keepalived, 'Master');
  await allIn(vrrpd, 'Backup', since);
  await until(() => blocksNone(ruleset(r1)), TAKEOVER_MS, 'vrrpd unblocked its VIPs');
  t.same(ruleset(r1), keepalivedBackup, "vrrpd Backup after Master: the same tables as keepalived's");
  t.notOk(answers(h, VIP4), 'keepalived Master: no reply from the IPv4 VIP');

  // A reload that renames the table: keepalived refuses it and runs on; so does vrrpd.
  const renamed = conf(['nftables other_fw'], variant.instance);
  const [vrrpdMark, keepalivedMark] = [vrrpd.mark(), keepalived.mark()];
  for (const p of [vrrpd, keepalived]) {
    writeFileSync(join((p as VrrpdProcess | KeepalivedProcess).dir, 'keepalived.conf'), renamed);
    p.signal('SIGHUP');
  }
  await keepalived.waitForLine(
    (l) => /Cannot change nftables table name at a reload/.test(l.text),
    STARTUP_MS,
    'keepalived refuses the reload',
    keepalivedMark,
  );
  await vrrpd.waitForLine(
    (l) => /reload refused: cannot change the nftables table name at a reload/.test(l.text),
    STARTUP_MS,
    'vrrpd refuses the reload',
    vrrpdMark,
  );
  t.pass('a reload renaming the table: refused by both');
  t.same(ruleset(r1), keepalivedBackup, 'vrrpd keeps its tables as they were');
  t.notOk(answers(h, VIP4), 'keepalived keeps dropping traffic to the VIP');
  await keepalived.stop();
  t.equal(ruleset(r2), '[]', 'keepalived stopped: its tables are gone');
}
