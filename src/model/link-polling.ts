// Interfaces whose link state is polled once a second instead of followed by rtnetlink notifications
// (keepalived's linkbeat_interfaces and linkbeat_use_polling): for a driver that does not report its
// link changes. JSON `polledLinks`: ["eth0"]. Applied by src/daemon/link-poller.ts.

import { ConfigError } from './config-error.js';

/** keepalived's POLLING_DELAY: one poll a second. */
export const LINK_POLL_INTERVAL_MS = 1000;

/** Checks the JSON `polledLinks` list; throws ConfigError naming the field. */
export function checkPolledLinks(value: unknown, field = 'polledLinks'): asserts value is readonly string[] {
  if (!Array.isArray(value)) throw new ConfigError(field, 'must be a list of interface names');
  value.forEach((name: unknown, index) => {
    if (typeof name !== 'string' || name.length === 0 || name.length > 15 || /[\s/:]/.test(name))
      throw new ConfigError(`${field}[${index}]`, `${JSON.stringify(name)} is not an interface name`);
  });
}
