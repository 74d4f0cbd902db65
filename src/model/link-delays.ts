// Per-interface delays before a link change moves the routers (keepalived's interface_up_down_delays):
// a link that comes back to its former state within the delay moves nothing. JSON `linkDelays`:
// { "eth0": { "downMs": 500, "upMs": 0 } }. Applied by src/daemon/link-debounce.ts.

import { ConfigError } from './config-error.js';

export interface LinkDelay {
  /** How long a link must stay down before its routers see it down (0: at once). */
  readonly downMs: number;
  /** How long a link must stay up before its routers see it up (0: at once). */
  readonly upMs: number;
}

export type LinkDelays = Readonly<Record<string, LinkDelay>>;

/** keepalived's largest delay: 255 s. */
export const MAX_LINK_DELAY_MS = 255_000;

/** Checks the JSON `linkDelays` object; throws ConfigError naming the field. */
export function checkLinkDelays(value: unknown, field = 'linkDelays'): asserts value is LinkDelays {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(field, 'must be an object of interface name -> { downMs, upMs }');
  for (const [name, delay] of Object.entries(value)) {
    const at = `${field}.${name}`;
    if (name.length === 0 || name.length > 15 || /[\s/:]/.test(name))
      throw new ConfigError(at, `"${name}" is not an interface name`);
    if (typeof delay !== 'object' || delay === null || Array.isArray(delay))
      throw new ConfigError(at, 'must be an object { downMs, upMs }');
    for (const key of Object.keys(delay)) {
      if (key !== 'downMs' && key !== 'upMs') throw new ConfigError(`${at}.${key}`, 'unknown field (downMs, upMs)');
    }
    for (const key of ['downMs', 'upMs'] as const) {
      const ms = (delay as Record<string, unknown>)[key];
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_LINK_DELAY_MS)
        throw new ConfigError(`${at}.${key}`, `must be a number of milliseconds from 0 to ${MAX_LINK_DELAY_MS}`);
    }
  }
}
