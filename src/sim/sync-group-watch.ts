// The sync-group invariant: checked at each quiet point (the end of a virtual instant, once the group's
// own decisions of that instant have run). As keepalived's vrrp_sync_group behaves:
// - a member whose link is down is in Fault, and so is every other member of its group;
// - no member is in Fault while another is not;
// - the members are never Master and Backup at once, except that an address owner (priority 255)
//   takes over without asking its group (the others follow once they are ready).
// A group of a node that is down or starting (a member Down or Initialize) is not judged.

import type { SyncGroupDefinition } from '../core/sync-group.js';
import type { SimRouterState, Violation } from './invariants.js';

/** What the check needs of one member. */
export interface SyncMemberView {
  readonly id: string;
  readonly state: SimRouterState;
  readonly linkUp: boolean;
  readonly owner: boolean;
}

export function checkSyncGroup(
  atMs: number,
  node: string,
  group: SyncGroupDefinition,
  members: readonly SyncMemberView[],
): Violation | undefined {
  if (members.some((m) => m.state === 'Down' || m.state === 'Initialize')) return undefined;
  const fail = (message: string): Violation => ({
    invariant: 'sync-group',
    atMs,
    message: `sync group ${group.name} on ${node}: ${message} (${members.map((m) => `${m.id} ${m.state}`).join(', ')})`,
  });
  const cutOff = members.find((m) => !m.linkUp && m.state !== 'Fault');
  if (cutOff !== undefined) return fail(`${cutOff.id} has its link down but is not in Fault`);
  const faulted = members.filter((m) => m.state === 'Fault');
  if (faulted.length > 0 && faulted.length < members.length)
    return fail(`${faulted.map((m) => m.id).join(', ')} in Fault, the rest not: the group must fault together`);
  const masters = members.filter((m) => m.state === 'Master');
  if (masters.length > 0 && masters.length < members.length && !masters.every((m) => m.owner))
    return fail('Master and Backup at once: the group must move together');
  return undefined;
}
