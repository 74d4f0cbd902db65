// What the accept-mode tests read in a LAN node's namespace: `nft -j list ruleset` as comparable
// text, and whether the client's ping to an address is answered.

import { spawnSync } from 'node:child_process';
import type { Harness } from './harness.js';
import type { LanNode } from './lan.js';

type NftObject = Record<string, Record<string, unknown>>;

export function inNamespace(
  node: LanNode,
  command: string,
  ...args: string[]
): { status: number | null; stdout: string } {
  const result = spawnSync('ip', ['netns', 'exec', node.namespace, command, ...args], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout };
}

/**
 * `nft -j list ruleset` in the node's namespace, as comparable text: handles dropped, counters'
 * values dropped, set elements sorted, objects sorted by kind, family and name; rules kept in their
 * chain's order.
 */
export function ruleset(node: LanNode): string {
  const listed = inNamespace(node, 'nft', '-j', 'list', 'ruleset');
  if (listed.status !== 0) throw new Error(`nft -j list ruleset failed in ${node.name}`);
  const objects = (JSON.parse(listed.stdout) as { nftables: NftObject[] }).nftables.filter((o) => !('metainfo' in o));
  const clean = objects.map((o) => {
    const [kind, body] = Object.entries(o)[0]!;
    const { handle: _handle, ...rest } = body;
    if (kind === 'set' && Array.isArray(rest.elem)) rest.elem = rest.elem.map((e) => JSON.stringify(e)).sort();
    if (kind === 'rule')
      rest.expr = (rest.expr as Record<string, unknown>[]).map((e) => ('counter' in e ? { counter: 'counted' } : e));
    return { kind, body: rest };
  });
  const order = ['table', 'set', 'chain', 'rule'];
  const key = (o: (typeof clean)[number]) =>
    `${order.indexOf(o.kind)} ${String(o.body.family)} ${String(o.body.chain ?? o.body.name)}`;
  // A stable sort: rules of one chain keep the order nft listed them in.
  return JSON.stringify(
    [...clean].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)),
    null,
    1,
  );
}

/** True if one echo request from the client to `address` gets a reply within a second. */
export function answers(h: Harness, address: string): boolean {
  return inNamespace(h.lan.client, 'ping', '-c', '1', '-W', '1', address).status === 0;
}
