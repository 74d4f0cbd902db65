// keepalived's disable_local_igmp (global_defs): while the daemon runs, the kernel sends no IGMP
// reports for link-local groups (224.0.0.0/24, VRRP's 224.0.0.18 among them):
// net.ipv4.igmp_link_local_mcast_reports, a setting of the network namespace, goes from 1 to 0 at
// start and back to 1 at stop. keepalived 2.2.7 (vrrp/vrrp_daemon.c set_disable_local_igmp,
// reset_disable_local_igmp) does exactly that, and only then: a value already 0 is left alone both
// times, and a reload changes nothing. Its other use in keepalived (IPv4 VMACs then get no firewall
// rule moving their IGMP reports to the parent interface) has nothing to turn off here: vrrp-engine
// adds no such rule.

import { readFileSync, writeFileSync } from 'node:fs';

export const IGMP_LINK_LOCAL_REPORTS = '/proc/sys/net/ipv4/igmp_link_local_mcast_reports';

export class LocalIgmpReports {
  private changed = false;

  constructor(readonly path = IGMP_LINK_LOCAL_REPORTS) {}

  /** Turns the reports off if they are on; true if this call did. Throws when the setting cannot be read or written. */
  disable(): boolean {
    if (this.changed) return false;
    // keepalived reads one character: '1' is on.
    if (readFileSync(this.path, 'utf8').charAt(0) !== '1') return false;
    writeFileSync(this.path, '0');
    this.changed = true;
    return true;
  }

  /** Turns them back on if disable() turned them off; true if this call did. Throws when the write fails. */
  restore(): boolean {
    if (!this.changed) return false;
    this.changed = false;
    writeFileSync(this.path, '1');
    return true;
  }
}
