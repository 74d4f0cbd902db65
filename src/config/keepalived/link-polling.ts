// keepalived's linkbeat keywords (2.2.7 vrrp_parser.c alloc_linkbeat_interface, vrrp_linkbeat_handler,
// global_parser.c use_polling_handler, vrrp.c vrrp_complete_instance) into the runtime's polledLinks
// (src/model/link-polling.ts):
// - top-level `linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] ... }`: each IF polled;
// - top-level `linkbeat_use_polling`: the interface of every instance polled;
// - `linkbeat_use_polling` in a vrrp_instance (deprecated, keepalived warns): its interface polled.
// keepalived polls no VMAC ("netlink works for vmacs"): an instance with use_vmac adds nothing. Every
// type reads the kernel's IFF_UP and IFF_RUNNING, as keepalived's IOCTL type does; MII (PHY
// registers) and ETHTOOL (GLINK) are not read (src/daemon/link-poller.ts).

import type { LinuxRouterInput } from '../../model/runtime-input.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import { MAX_INTERFACE_NAME } from './values.js';

const TYPES = new Set(['MII', 'ETHTOOL', 'IOCTL']);

export function readPolledLinks(
  statements: readonly Statement[],
  routers: readonly LinuxRouterInput[],
  diagnostics: DiagnosticList,
): readonly string[] | undefined {
  const polled = new Set<string>();
  const instanceInterface = (name: string | undefined) => {
    const router = routers.find((r) => r.name === name);
    return router && !router.useVmac ? router.interface : undefined;
  };
  for (const statement of statements) {
    if (statement.keyword === 'linkbeat_interfaces') {
      for (const line of statement.block ?? []) readLine(line, polled, diagnostics);
    } else if (statement.keyword === 'linkbeat_use_polling') {
      for (const router of routers) if (!router.useVmac) polled.add(router.interface);
    } else if (statement.keyword === 'vrrp_instance') {
      const use = (statement.block ?? []).find((s) => s.keyword === 'linkbeat_use_polling');
      if (!use) continue;
      diagnostics.warning(
        use,
        'linkbeat_use_polling in a vrrp_instance is deprecated (keepalived says so too): use linkbeat_interfaces',
      );
      const iface = instanceInterface(statement.args[0]?.text);
      if (iface) polled.add(iface);
    }
  }
  return polled.size > 0 ? [...polled] : undefined;
}

function readLine(line: Statement, polled: Set<string>, diagnostics: DiagnosticList): void {
  const name = line.keyword;
  if (name.length > MAX_INTERFACE_NAME || /[\s/:]/.test(name)) {
    diagnostics.error(line, `linkbeat_interfaces: "${name}" is not an interface name`);
    return;
  }
  const [type, ...extra] = line.args;
  if (type && (!TYPES.has(type.text) || extra.length > 0))
    diagnostics.warning(
      type,
      `linkbeat_interfaces: ${name}: the type is MII, ETHTOOL or IOCTL; "${line.args.map((w) => w.text).join(' ')}" is ignored (as keepalived does)`,
    );
  polled.add(name);
}
