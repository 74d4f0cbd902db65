// Interfaces whose link state is polled once a second instead of followed by rtnetlink notifications
// (keepalived's linkbeat_interfaces and linkbeat_use_polling): for a driver that does not report its
// link changes. JSON `polledLinks`: { "eth0": "auto" }, each interface with how it is read: "mii"
// (the PHY's link bit), "ethtool" (ETHTOOL_GLINK), "ioctl" (IFF_UP and IFF_RUNNING only) or "auto"
// (the first of those the driver answers). Applied by src/daemon/link-poller.ts and
// src/linux/linkbeat.ts.

import { ConfigError } from './config-error.js';

export type LinkbeatType = 'auto' | 'mii' | 'ethtool' | 'ioctl';

export type PolledLinks = Readonly<Record<string, LinkbeatType>>;

const TYPES: readonly string[] = ['auto', 'mii', 'ethtool', 'ioctl'];

/** keepalived's POLLING_DELAY: one poll a second. */
export const LINK_POLL_INTERVAL_MS = 1000;

/** Checks the JSON `polledLinks` object; throws ConfigError naming the field. */
export function checkPolledLinks(value: unknown, field = 'polledLinks'): asserts value is PolledLinks {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(field, 'must be an object of interface name -> "auto", "mii", "ethtool" or "ioctl"');
  for (const [name, type] of Object.entries(value)) {
    if (name.length === 0 || name.length > 15 || /[\s/:]/.test(name))
      throw new ConfigError(`${field}.${name}`, `"${name}" is not an interface name`);
    if (typeof type !== 'string' || !TYPES.includes(type))
      throw new ConfigError(
        `${field}.${name}`,
        `must be "auto", "mii", "ethtool" or "ioctl", got ${JSON.stringify(type)}`,
      );
  }
}
