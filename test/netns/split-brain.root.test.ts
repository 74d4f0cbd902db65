// Split brain seen and reported (issue 16): VRRP cut by nftables into r2 while ARP flows, so r2 becomes
// a second Master. Ours (bin/vrrp-engine, or bin/vrrpd beside keepalived 2.2.7) reports the other
// holder of the VIP within 2 s, with its MAC and address, in the log, its /metrics (and for bin/vrrpd
// in its status and JSON dump); the heal leaves one Master, ends the conflict (the gauge goes), and the
// client's neighbour entry points at that Master. The same with unicast peers and the multicast group
// blocked, the unicast path r1 -> r2 then cut. A second "cluster" on the same VRID with other VIPs is reported naming its
// source. Everything created is removed in teardown.

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { query } from '../../src/cli/status-socket.js';
import { Harness, neighbourOf, skipReason, sleep, waitUntil, type RouterKind, type RouterSpec } from './harness.js';
import type { LanNode } from './lan.js';
import type { RouterProcess } from './routers.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from './timing.js';

const execFileAsync = promisify(execFile);
const VIP = '192.0.2.100';
const INTERVAL_CS = 50;
const REPORT_WITHIN_MS = 2000;
const spec = (priority: number, vips: readonly string[] = [VIP], unicastPeers?: readonly string[]): RouterSpec => ({
  name: 'VI_1',
  vrid: 51,
  version: 3,
  priority,
  advertIntervalCs: INTERVAL_CS,
  virtualAddresses: vips,
  ...(unicastPeers ? { unicastPeers } : {}),
});

const nftIn =
  (node: LanNode) =>
  (...args: string[]) =>
    execFileSync('ip', ['netns', 'exec', node.namespace, 'nft', ...args]);

/**
 * Drops VRRP (IP protocol 112) arriving at `node` (only from `from` to `node` when given: the unicast
 * path between two routers); ARP and everything else still flow.
 */
function cutVrrp(node: LanNode, from?: LanNode): void {
  const nft = nftIn(node);
  nft('add', 'table', 'inet', 'vrrpcut');
  nft('add', 'chain', 'inet', 'vrrpcut', 'in', '{ type filter hook input priority 0; }');
  const between = from ? ['ip', 'saddr', from.ipv4, 'ip', 'daddr', node.ipv4] : [];
  nft('add', 'rule', 'inet', 'vrrpcut', 'in', ...between, 'ip', 'protocol', '112', 'drop');
}

/** Drops everything sent to or arriving for the VRRP multicast group at `node`, as a switch that blocks it. */
function blockMulticast(node: LanNode): void {
  const nft = nftIn(node);
  nft('add', 'table', 'inet', 'mcastblock');
  for (const hook of ['input', 'output']) {
    nft('add', 'chain', 'inet', 'mcastblock', hook, `{ type filter hook ${hook} priority 0; }`);
    nft('add', 'rule', 'inet', 'mcastblock', hook, 'ip', 'daddr', '224.0.0.18', 'drop');
  }
}

function healVrrp(node: LanNode): void {
  execFileSync('ip', ['netns', 'exec', node.namespace, 'nft', 'delete', 'table', 'inet', 'vrrpcut']);
}

const conflictLine = (mac: string) => new RegExp(`VIP 192\\.0\\.2\\.100 is also claimed by ${mac}`);

/** Where r1 serves /metrics inside its namespace (VRRP_METRICS_LISTEN, read by vrrpd and vrrp-engine). */
const METRICS_LISTEN = '127.0.0.1:2112';

function start(h: Harness, kind: RouterKind, node: string, routerSpec: RouterSpec): RouterProcess {
  // The child inherits the environment at spawn, which the constructor does synchronously.
  const saved = process.env.VRRP_METRICS_LISTEN;
  process.env.VRRP_METRICS_LISTEN = METRICS_LISTEN;
  try {
    return kind === 'ours'
      ? h.startOurs(node, [routerSpec], { splitBrain: { quietMs: 1000 } })
      : h.start(kind, node, [routerSpec]);
  } finally {
    if (saved === undefined) delete process.env.VRRP_METRICS_LISTEN;
    else process.env.VRRP_METRICS_LISTEN = saved;
  }
}

/** The vrrp_vip_conflict lines `node`'s /metrics serves now ('' while the listener is not up yet). */
async function conflictGauges(node: LanNode): Promise<string[]> {
  try {
    const { stdout: text } = await execFileAsync(
      'ip',
      ['netns', 'exec', node.namespace, 'curl', '-sf', '--max-time', '1', `http://${METRICS_LISTEN}/metrics`],
      { encoding: 'utf8' },
    );
    return text.split('\n').filter((l) => l.startsWith('vrrp_vip_conflict{'));
  } catch {
    return [];
  }
}

const gaugeFor = (mac: string, address: string) =>
  new RegExp(
    `^vrrp_vip_conflict\\{.*address="192\\.0\\.2\\.100".*other_mac="${mac}".*other_address="${address.replaceAll('.', '\\.')}".*\\} 1$`,
  );

const VARIANTS: readonly { readonly name: string; readonly kinds: readonly [RouterKind, RouterKind] }[] = [
  { name: 'bin/vrrp-engine on both', kinds: ['ours', 'ours'] },
  { name: 'bin/vrrpd beside keepalived', kinds: ['vrrpd', 'keepalived'] },
];

for (const variant of VARIANTS) {
  const needs = variant.kinds.includes('keepalived') ? ['keepalived', 'nft'] : ['nft'];
  const tag = `${variant.kinds[0]![0]}${variant.kinds[1]![0]}`;
  t.test(
    `VRRP cut, ARP flowing: the second Master is reported and the heal ends it [${variant.name}]`,
    { skip: skipReason(needs) ?? false },
    (t) => partition(t, variant.kinds, `sb${tag}`, false),
  );
  t.test(
    `multicast blocked, unicast peers, then their unicast path cut: reported, and the heal ends it [${variant.name}]`,
    { skip: skipReason(needs) ?? false },
    (t) => partition(t, variant.kinds, `su${tag}`, true),
  );
}

/** r1 (200) and r2 (100); with `unicast`, each lists the other as its peer and the multicast group is blocked. */
function startPair(h: Harness, kinds: readonly [RouterKind, RouterKind], unicast: boolean): RouterProcess[] {
  const [n1, n2] = [h.node('r1'), h.node('r2')];
  if (unicast) for (const node of [n1, n2]) blockMulticast(node);
  return [
    start(h, kinds[0], 'r1', spec(200, [VIP], unicast ? [n2.ipv4] : undefined)),
    start(h, kinds[1], 'r2', spec(100, [VIP], unicast ? [n1.ipv4] : undefined)),
  ];
}

async function partition(t: Test, kinds: readonly [RouterKind, RouterKind], tag: string, unicast: boolean) {
  const h = await Harness.create(t, tag, 2, { capture: false });
  const [r1, r2] = startPair(h, kinds, unicast) as [RouterProcess, RouterProcess];
  await r1.waitForState('VI_1', 'Master', masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS + STARTUP_MS);
  await r2.waitForState('VI_1', 'Backup', STARTUP_MS);
  if (unicast) {
    // Multicast is blocked: only the unicast adverts keep r2 a Backup past its Master_Down_Interval.
    await sleep(masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS);
    t.equal(r2.stateOf('VI_1'), 'Backup', 'r2 stays Backup on unicast adverts with multicast blocked');
  }
  const ping = h.ping(VIP);
  await ping.waitForReplies(2, 5000);
  const mac1 = h.node('r1').mac;
  const mac2 = h.node('r2').mac;

  const since1 = r1.mark();
  const since2 = r2.mark();
  cutVrrp(h.node('r2'), unicast ? h.node('r1') : undefined);
  const second = await r2.waitForState('VI_1', 'Master', masterDownMs(100, INTERVAL_CS, 3) + MARGIN_MS, since2);
  const seen = await r1.waitForLine(
    (l) => conflictLine(mac2).test(l.text),
    REPORT_WITHIN_MS + MARGIN_MS,
    'r1 reports r2',
    since1,
  );
  t.ok(
    seen.atMs - second.atMs <= REPORT_WITHIN_MS,
    `r1 reported the conflict ${seen.atMs - second.atMs} ms after r2 became Master`,
  );
  const named = await r1.waitForLine(
    (l) => /VIP 192\.0\.2\.100 .*(?:from|\() ?192\.0\.2\.2\b/.test(l.text),
    REPORT_WITHIN_MS + MARGIN_MS,
    "r1 names r2's address",
    since1,
  );
  t.ok(
    named.atMs - second.atMs <= REPORT_WITHIN_MS,
    `r1 named r2's address ${named.atMs - second.atMs} ms after r2 became Master`,
  );
  if (kinds[1] === 'ours') {
    const back = await r2.waitForLine(
      (l) => conflictLine(mac1).test(l.text),
      REPORT_WITHIN_MS + MARGIN_MS,
      'r2 reports r1',
      since2,
    );
    t.ok(
      back.atMs - second.atMs <= REPORT_WITHIN_MS,
      `r2 reported r1 ${back.atMs - second.atMs} ms after becoming Master`,
    );
  }
  if (r1.kind === 'vrrpd' && 'socket' in r1) {
    const socket = String(r1.socket);
    const status = (await query(socket, 'status')) as {
      instances: { conflicts?: { macs: string[]; advertSource?: string }[] }[];
    };
    t.same(status.instances[0]?.conflicts?.[0]?.macs, [mac2], 'vrrpd status: the conflict with r2');
    t.equal(status.instances[0]?.conflicts?.[0]?.advertSource, '192.0.2.2', "vrrpd status: r2's address");
    const dump = (await query(socket, 'json')) as {
      splitBrain: { active: { macs: string[]; sender?: string; advertSource?: string }[]; started: number };
    };
    t.equal(dump.splitBrain.active.length, 1, 'JSON dump: one open conflict');
    const open = dump.splitBrain.active[0];
    t.same(open?.macs, [mac2], "JSON dump: r2's MAC");
    t.equal(open?.sender ?? open?.advertSource, '192.0.2.2', "JSON dump: r2's address");
    t.ok(dump.splitBrain.started >= 1, 'JSON dump: conflicts counted');
  }
  const gauge = await waitUntil(
    async () => (await conflictGauges(h.node('r1'))).find((l) => gaugeFor(mac2, '192.0.2.2').test(l)),
    REPORT_WITHIN_MS + MARGIN_MS,
    "r1's /metrics: the conflict with r2",
  );
  const gaugeAt = Date.now();
  t.ok(
    gaugeAt - second.atMs <= REPORT_WITHIN_MS,
    `r1's /metrics showed ${gauge} ${gaugeAt - second.atMs} ms after r2 became Master`,
  );

  const healSince1 = r1.mark();
  const healSince2 = r2.mark();
  const healedAt = Date.now();
  healVrrp(h.node('r2'));
  await r2.waitForState('VI_1', 'Backup', MARGIN_MS + 1000, healSince2);
  const ended = await r1.waitForLine(
    (l) => /conflict with .* ended after/.test(l.text),
    5000 + MARGIN_MS + 1000,
    'r1 conflict ends',
    healSince1,
  );
  t.pass(`r1's conflict ended ${ended.atMs - healedAt} ms after the heal`);
  await waitUntil(
    async () => ((await conflictGauges(h.node('r1'))).length === 0 ? true : undefined),
    2000,
    "r1's /metrics: no open conflict",
  );
  t.pass("after the heal r1's /metrics shows no vrrp_vip_conflict line");
  await waitUntil(
    () => (neighbourOf(h.lan, VIP)?.lladdr === mac1 ? true : undefined),
    3000,
    "client's neighbour entry -> r1",
  );
  t.pass("after the heal the client's neighbour entry for the VIP is r1's MAC");
  t.equal(r1.stateOf('VI_1'), 'Master', 'r1 is still the one Master');
  await ping.stop();
}

const CLUSTER_VARIANTS: readonly { readonly name: string; readonly kinds: readonly [RouterKind, RouterKind] }[] = [
  { name: 'bin/vrrp-engine beside bin/vrrp-engine', kinds: ['ours', 'ours'] },
  { name: 'bin/vrrpd beside keepalived', kinds: ['vrrpd', 'keepalived'] },
];

for (const variant of CLUSTER_VARIANTS) {
  const needs = variant.kinds.includes('keepalived') ? ['keepalived'] : [];
  t.test(
    `a second cluster on our VRID with other VIPs is reported naming its source [${variant.name}]`,
    { skip: skipReason(needs) ?? false },
    (t) => secondCluster(t, variant.kinds, `sc${variant.kinds[0]![0]}${variant.kinds[1]![0]}`),
  );
}

async function secondCluster(t: Test, kinds: readonly [RouterKind, RouterKind], tag: string): Promise<void> {
  const h = await Harness.create(t, tag, 2, { capture: false });
  const r1 = start(h, kinds[0], 'r1', spec(100));
  const r2 = start(h, kinds[1], 'r2', spec(200, ['192.0.2.150']));
  const master = await r2.waitForState('VI_1', 'Master', masterDownMs(200, INTERVAL_CS, 3) + MARGIN_MS + STARTUP_MS);
  const line = await r1.waitForLine(
    (l) => /VRID 51 collision \(address-list-mismatch\): 192\.0\.2\.2 sends .*VIPs 192\.0\.2\.150/.test(l.text),
    STARTUP_MS,
    'r1 reports the other cluster',
  );
  t.ok(
    line.atMs - master.atMs <= REPORT_WITHIN_MS,
    `r1 reported the other cluster ${line.atMs - master.atMs} ms after it became Master`,
  );
  t.match(line.text, /ours 'VI_1': v3, interval 50 cs, VIPs 192\.0\.2\.100/, 'the line names our side too');
  if (r1.kind === 'vrrpd' && 'socket' in r1) {
    const status = (await query(String(r1.socket), 'status')) as { instances: { collisions?: string[] }[] };
    t.match(status.instances[0]?.collisions, [/192\.0\.2\.2 sends/], 'vrrpd status: the collision');
  }
}
