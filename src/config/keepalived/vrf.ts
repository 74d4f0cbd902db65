// vrf, with keepalived 2.2.7's meaning (vrrp_parser.c vrrp_vrf_handler, vrrp.c chk_min_cfg and
// vrrp_complete_instance, read for behaviour). keepalived would bind the sockets of an instance that
// has no `interface` (a unicast one) to the VRF device, but 2.2.7 never gets there:
//   - in an instance with an interface it is ignored: "Cannot specify VRF interface and interface -
//     ignoring" when written after `interface`, "vrf can only be specified without interface -
//     clearing" when written before it (both config errors: keepalived -t exits 5; the daemon runs the
//     instance on its interface, outside any VRF);
//   - an instance without an interface is refused before its unicast peers are counted (chk_min_cfg
//     runs before vrrp_complete_instance sets the unicast flag): "(VI_1) Unknown interface!", and the
//     VRRP process exits with a permanent CONFIG error, vrf or not.
// So no instance of keepalived 2.2.7 runs in a VRF. The reader does the same: an instance without an
// interface is refused (instance.ts), and vrf in one with an interface is ignored with this warning.

import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import { singleArg } from './values.js';

/** vrf in an instance; without an interface the instance is refused already (nothing more to say). */
export function readVrf(
  statement: Statement,
  instance: string,
  hasInterface: boolean,
  diagnostics: DiagnosticList,
): void {
  const word = singleArg(statement, diagnostics);
  if (!word || !hasInterface) return;
  diagnostics.warning(
    statement,
    `vrf ${word.text} is ignored, as keepalived 2.2.7 ignores it in an instance with an interface ("vrf can only be specified without interface"; its -t fails) and refuses an instance without one ("Unknown interface!"): vrrp_instance ${instance} runs on its interface, outside any VRF`,
  );
}
