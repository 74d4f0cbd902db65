// The shipping wrapper's priority formula (lib/config-generators.sh, generate_failover_config), kept so
// that a cluster where some nodes still run the keepalived image elects the same master per VIP:
//
//   ipslot = last octet of the node's address % 128;  n = max(REPLICA_COUNT, 1);  idx = ipslot % n + 1
//   instance c (1-based) with c % idx != 0:   "backup"     priority = ipslot % 64 + R   (R random 0..31)
//   instance c with c % idx == 0:             "master"     priority = 255 - ipslot
//     ...but right after a master instance:   "flip-flop"  priority = ipslot + 1
//   master and flip-flop instances get `state MASTER` (unless nopreempt).
//
// Defects fixed here (each changes only cases the wrapper gets wrong):
//   - ipslot 0 (a .0 or .128 address) gives 255, the address owner's priority, to a node that owns no
//     VIP: an owner never waits for preempt_delay and always preempts. Capped at 254.
//   - ipslot % 64 + R can be 0 (ipslot 0 or 64, R 0): not a valid priority; raised to 1.
//   - an IPv6-only node has no IPv4 octet and got ipslot 0 for every node: the last byte of its IPv6
//     address is used instead (see nodeSlot).

export type InstanceRole = 'master' | 'flip-flop' | 'backup';

export interface InstancePriority {
  readonly role: InstanceRole;
  readonly priority: number;
}

const MAX_NON_OWNER_PRIORITY = 254;
export const RANDOM_PRIORITY_SPAN = 32;

/** ipslot: the last byte of the node's address, modulo 128 (IPv4: last octet; IPv6: low byte). */
export function nodeSlot(address: string): number {
  if (address.includes(':')) {
    const last = address.split(':').pop() ?? '';
    const value = last === '' ? 0 : parseInt(last, 16);
    return (Number.isNaN(value) ? 0 : value & 0xff) % 128;
  }
  return Number(address.split('.')[3]) % 128;
}

/**
 * Roles and priorities of `count` instances for a node. `random` is the R of the formula (0..31); the
 * wrapper draws one per instance, and it only orders the Backups among themselves.
 */
export function instancePriorities(
  ipslot: number,
  replicaCount: number,
  count: number,
  random: (c: number) => number,
): InstancePriority[] {
  const n = Math.max(replicaCount, 1);
  const idx = (ipslot % n) + 1;
  const result: InstancePriority[] = [];
  let previous: InstanceRole | 'none' = 'none';
  for (let c = 1; c <= count; c++) {
    if (c % idx !== 0) {
      result.push({ role: 'backup', priority: Math.max(1, (ipslot % 64) + random(c)) });
      continue;
    }
    if (previous === 'master') {
      result.push({ role: 'flip-flop', priority: ipslot + 1 });
      previous = 'flip-flop';
    } else {
      result.push({ role: 'master', priority: Math.min(MAX_NON_OWNER_PRIORITY, 255 - ipslot) });
      previous = 'master';
    }
  }
  return result;
}
