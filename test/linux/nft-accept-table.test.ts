// The accept-mode tables as nft JSON commands (src/linux/nft-accept-table.ts) and the firewall's
// batches (src/linux/accept-mode-firewall.ts `AcceptModeFirewall`), without nft: the priority and
// counters settings reach every chain and rule, a family's table is made once at its first VIP,
// link-local VIPs go by interface index (or name), and concurrent blocks share one batch. What the
// kernel makes of them beside keepalived: test/netns/nftables.root.test.ts.
import t from 'tap';
import { AcceptModeFirewall } from '../../src/linux/accept-mode-firewall.js';
import { elements, familyTable, linkLocalSet, type NftCommand } from '../../src/linux/nft-accept-table.js';
import type { NftRunner } from '../../src/linux/nft-run.js';

type Rule = { family: string; table: string; chain: string; expr: Record<string, unknown>[] };

function rules(commands: readonly NftCommand[]): Rule[] {
  return commands.flatMap((c) => {
    const add = c.add as { rule?: Rule } | undefined;
    return add?.rule ? [add.rule] : [];
  });
}

function chains(commands: readonly NftCommand[]): Record<string, unknown>[] {
  return commands.flatMap((c) => {
    const add = c.add as { chain?: Record<string, unknown> } | undefined;
    return add?.chain ? [add.chain] : [];
  });
}

t.test('the tables: keepalived chains and rules, the priority on every base chain, counters on request', async (t) => {
  const plain = { table: 'keepalived', priority: -1, counters: false };
  const ip = familyTable(plain, 4);
  t.same(
    chains(ip).map((c) => [c.name, c.hook, c.prio, c.policy]),
    [
      ['out', 'output', -1, 'accept'],
      ['in', 'input', -1, 'accept'],
    ],
  );
  t.same(
    rules(ip).map((r) => [r.chain, JSON.stringify(r.expr)]),
    [
      [
        'in',
        '[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":"@vips"}},{"drop":null}]',
      ],
      [
        'out',
        '[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":"@vips"}},{"drop":null}]',
      ],
    ],
  );
  const ip6 = familyTable({ table: 'fw', priority: -300, counters: true }, 6);
  t.same(
    chains(ip6).map((c) => [c.name, c.prio ?? null]),
    [
      ['out', -300],
      ['in', -300],
      ['in_link_local', null],
      ['out_link_local', null],
    ],
    'ip6: base chains at the priority, the link-local chains plain',
  );
  const ip6Rules = rules(ip6);
  t.same(
    ip6Rules.map((r) => `${r.chain}: ${Object.keys(r.expr.at(-1)!)[0]}`),
    ['in: accept', 'in: goto', 'out: accept', 'out: goto', 'in: drop', 'out: drop'],
    'in each chain: ND accepted, link-local to its chain, then the VIPs dropped',
  );
  t.ok(
    ip6Rules.every((r) => 'counter' in r.expr.at(-2)!),
    'counters: every rule counts before its verdict',
  );
  t.ok(
    [...ip6Rules, ...rules(linkLocalSet({ table: 'fw', priority: 0, counters: true }, 'ifindex'))].every(
      (r) => r.table === 'fw',
    ),
    'every command names the table',
  );
  t.notOk(
    rules(ip).some((r) => r.expr.some((e) => 'counter' in e)),
    'no counters unless asked',
  );
});

t.test('link-local VIPs: by interface index, or by name', async (t) => {
  const layout = { table: 'keepalived', priority: -1, counters: false };
  const byIndex = linkLocalSet(layout, 'ifindex');
  t.match(byIndex[0], { add: { set: { name: 'vips_link_local', type: ['ipv6_addr', 'iface_index'] } } });
  t.same(
    rules(byIndex).map((r) => [r.chain, JSON.stringify(r.expr[0])]),
    [
      [
        'in_link_local',
        '{"match":{"op":"==","left":{"concat":[{"payload":{"protocol":"ip6","field":"daddr"}},{"meta":{"key":"iif"}}]},"right":"@vips_link_local"}}',
      ],
      [
        'out_link_local',
        '{"match":{"op":"==","left":{"concat":[{"payload":{"protocol":"ip6","field":"saddr"}},{"meta":{"key":"oif"}}]},"right":"@vips_link_local"}}',
      ],
    ],
  );
  const byName = linkLocalSet(layout, 'ifname');
  t.match(byName[0], { add: { set: { name: 'vips_link_local_name', type: ['ipv6_addr', 'ifname'] } } });
  t.match(rules(byName)[0]!.expr[0], { match: { left: { concat: [{}, { meta: { key: 'iifname' } }] } } });
  t.same(
    elements('add', 'keepalived', [
      { family: 4, address: '192.0.2.1' },
      { family: 6, address: 'fe80::1', linkLocal: { ifindex: 3 } },
      { family: 4, address: '192.0.2.2' },
      { family: 6, address: 'fe80::2', linkLocal: { ifname: 'eth0' } },
    ]),
    [
      { add: { element: { family: 'ip', table: 'keepalived', name: 'vips', elem: ['192.0.2.1', '192.0.2.2'] } } },
      {
        add: {
          element: { family: 'ip6', table: 'keepalived', name: 'vips_link_local', elem: [{ concat: ['fe80::1', 3] }] },
        },
      },
      {
        add: {
          element: {
            family: 'ip6',
            table: 'keepalived',
            name: 'vips_link_local_name',
            elem: [{ concat: ['fe80::2', 'eth0'] }],
          },
        },
      },
    ],
    'one command per set',
  );
});

t.test('the firewall: a table made once per family, at its first VIP; blocks of one turn in one batch', async (t) => {
  const documents: NftCommand[][] = [];
  const run: NftRunner = async (document) => {
    documents.push((JSON.parse(document) as { nftables: NftCommand[] }).nftables);
    return { code: 0, stdout: '', stderr: '' };
  };
  const firewall = new AcceptModeFirewall({ table: 'ka', ifindex: true }, run);
  const place = { iface: 'eth0', ifindex: 2, byName: true };
  await Promise.all([firewall.block('192.0.2.1', place), firewall.block('192.0.2.2', place)]);
  t.equal(documents.length, 1, 'two blocks in one turn: one nft run');
  const first = documents[0]!;
  t.same(
    first.slice(0, 2),
    [{ add: { table: { family: 'ip', name: 'ka' } } }, { delete: { table: { family: 'ip', name: 'ka' } } }],
    'a leftover of the family is deleted first, as keepalived does',
  );
  t.notOk(JSON.stringify(first).includes('"ip6"'), 'no ip6 table before an IPv6 VIP');
  t.same(first.at(-1), {
    add: { element: { family: 'ip', table: 'ka', name: 'vips', elem: ['192.0.2.1', '192.0.2.2'] } },
  });

  await firewall.block('192.0.2.3', place);
  t.same(
    documents[1],
    [{ add: { element: { family: 'ip', table: 'ka', name: 'vips', elem: ['192.0.2.3'] } } }],
    'the table exists: only the element',
  );
  await firewall.block('FE80::0:7', place);
  t.match(
    JSON.stringify(documents[2]),
    /vips_link_local"/,
    'nftables_ifindex: by index although the caller asks by name',
  );
  t.same(documents[2]!.at(-1), {
    add: { element: { family: 'ip6', table: 'ka', name: 'vips_link_local', elem: [{ concat: ['fe80::7', 2] }] } },
  });

  await firewall.unblock('192.0.2.9', place);
  t.equal(documents.length, 3, 'an address never blocked: nothing run');
  await firewall.unblock('fe80::7', { iface: 'eth0' });
  t.same(documents[3], [
    {
      delete: { element: { family: 'ip6', table: 'ka', name: 'vips_link_local', elem: [{ concat: ['fe80::7', 2] }] } },
    },
  ]);
  await firewall.close();
  t.same(
    documents[4],
    [{ delete: { table: { family: 'ip', name: 'ka' } } }, { delete: { table: { family: 'ip6', name: 'ka' } } }],
    'close deletes the tables this run made',
  );
});

t.test('the firewall: a refused batch fails every block in it, and the next one tries again', async (t) => {
  let refuse = true;
  let runs = 0;
  const run: NftRunner = async () => {
    runs++;
    return refuse
      ? { code: 1, stdout: '', stderr: 'Error: Could not process rule' }
      : { code: 0, stdout: '', stderr: '' };
  };
  const firewall = new AcceptModeFirewall(undefined, run);
  const place = { iface: 'eth0', ifindex: 2 };
  const results = await Promise.allSettled([firewall.block('192.0.2.1', place), firewall.block('192.0.2.2', place)]);
  t.match(results, [
    { status: 'rejected', reason: { code: 'ENFT', message: /Could not process rule/ } },
    { status: 'rejected', reason: { code: 'ENFT' } },
  ]);
  refuse = false;
  await firewall.block('192.0.2.1', place);
  t.equal(runs, 2);
  await firewall.close();
  t.equal(runs, 3, 'the table made by the second batch is deleted');
});
