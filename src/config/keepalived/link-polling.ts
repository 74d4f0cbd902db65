// keepalived's linkbeat keywords (2.2.7 vrrp_parser.c alloc_linkbeat_interface, vrrp_linkbeat_handler,
// global_parser.c use_polling_handler, vrrp.c vrrp_complete_instance) into the runtime's polledLinks
// (src/model/link-polling.ts):
// - top-level `linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] ... }`: each IF polled;
// - top-level `linkbeat_use_polling`: the interface of every instance polled;
// - `linkbeat_use_polling` in a vrrp_instance (deprecated, keepalived warns): its interface polled.
// keepalived polls no VMAC ("netlink works for vmacs"): an instance with use_vmac adds nothing. The
// type (MII, ETHTOOL, IOCTL; none or another word: auto) says how the link is read
// (src/linux/linkbeat.ts).

import type { LinkbeatType, PolledLinks } from '../../model/link-polling.js';
import type { LinuxRouterInput } from '../../model/runtime-input.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import { MAX_INTERFACE_NAME } from './values.js';

const TYPES: Readonly<Record<string, LinkbeatType>> = { MII: 'mii', ETHTOOL: 'ethtool', IOCTL: 'ioctl' };

export function readPolledLinks(
  statements: readonly Statement[],
  routers: readonly LinuxRouterInput[],
  diagnostics: DiagnosticList,
): PolledLinks | undefined {
  // Interface -> type: linkbeat_interfaces gives the type (the later line wins); linkbeat_use_polling
  // adds an interface with its listed type, or auto.
  const listed = new Map<string, LinkbeatType>();
  const polled = new Set<string>();
  const instanceInterface = (name: string | undefined) => {
    const router = routers.find((r) => r.name === name);
    return router && !router.useVmac ? router.interface : undefined;
  };
  for (const statement of statements) {
    if (statement.keyword === 'linkbeat_interfaces') {
      for (const line of statement.block ?? []) readLine(line, listed, diagnostics);
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
  for (const iface of listed.keys()) polled.add(iface);
  const entries = [...polled].map((iface) => [iface, listed.get(iface) ?? 'auto'] as const);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function readLine(line: Statement, listed: Map<string, LinkbeatType>, diagnostics: DiagnosticList): void {
  const name = line.keyword;
  if (name.length > MAX_INTERFACE_NAME || /[\s/:]/.test(name)) {
    diagnostics.error(line, `linkbeat_interfaces: "${name}" is not an interface name`);
    return;
  }
  const [type, ...extra] = line.args;
  const known = type ? TYPES[type.text] : undefined;
  if (type && (!known || extra.length > 0))
    diagnostics.warning(
      type,
      `linkbeat_interfaces: ${name}: the type is MII, ETHTOOL or IOCTL; ${known ? 'the words after it are' : `"${type.text}" is`} ignored (as keepalived does)`,
    );
  listed.set(name, known ?? 'auto');
}
