// The split-brain series (src/daemon/vip-conflicts.ts, docs/operations.md "Split brain"): one gauge
// line per address another node claims now, with its MACs and address as labels (as many lines as
// open conflicts), and the totals since start. Added to /metrics by EngineMetricsOptions.conflicts.

import { header, labels } from './exposition.js';

/** What the split-brain watch reports (the runtime handle's `conflicts()`). */
export interface ConflictSource {
  conflicts(): {
    readonly active: readonly {
      readonly address: string;
      readonly router: string;
      readonly role: string;
      readonly macs: readonly string[];
      readonly sender: string | undefined;
      readonly advertSource?: string;
    }[];
    readonly started: number;
    readonly claims: number;
    readonly probes: number;
    readonly collisionsSeen: number;
  };
}

export function conflictMetricsText(source: ConflictSource): string {
  const report = source.conflicts();
  let text = header(
    'vrrp_vip_conflict',
    'gauge',
    'A virtual address another node claims now (split brain): 1 per open conflict',
  );
  for (const c of report.active) {
    const pairs = { instance: c.router, address: c.address, role: c.role, other_mac: c.macs.join(',') };
    const address = c.sender ?? c.advertSource;
    text += `vrrp_vip_conflict${labels(address === undefined ? pairs : { ...pairs, other_address: address })} 1\n`;
  }
  text += `${header('vrrp_vip_conflicts_total', 'counter', 'Address conflicts (split brain) seen since start')}vrrp_vip_conflicts_total ${report.started}\n`;
  text += `${header('vrrp_vip_claims_total', 'counter', 'ARP / NA claims heard for addresses this node holds or watches')}vrrp_vip_claims_total ${report.claims}\n`;
  text += `${header('vrrp_vrid_collisions_total', 'counter', 'Adverts for our VRIDs from another cluster or a mismatched peer: once per source and reason')}vrrp_vrid_collisions_total ${report.collisionsSeen}\n`;
  text += `${header('vrrp_vip_probes_total', 'counter', 'RFC 5227 probes sent for addresses this node holds')}vrrp_vip_probes_total ${report.probes}\n`;
  return text;
}
