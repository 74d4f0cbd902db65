// The link keyword tests' LAN (link-delays, linkbeat): bin/vrrpd on r1 (priority 200, Master) and
// keepalived 2.2.7 on r2 (priority 100, Backup) read one keepalived.conf, VI_1 on eth0 (VRRPv3, 1 s),
// with a top-level block of the test's; each has its own router_id.

import { type Harness, sleep, waitUntil } from './harness.js';
import type { LanNode } from './lan.js';
import type { KeepalivedProcess, VrrpdProcess } from './routers.js';
import { MARGIN_MS, STARTUP_MS, masterDownMs } from './timing.js';

export const PAIR_PRIORITY = { r1: 200, r2: 100 } as const;
/** The Backup's Master_Down_Interval, with slack. */
export const PAIR_DOWN_MS = masterDownMs(PAIR_PRIORITY.r2, 100, 3) + MARGIN_MS;

function pairConf(node: LanNode, priority: number, topLevel: readonly string[]): string {
  return [
    'global_defs {',
    `  router_id ${node.name}`,
    '}',
    ...topLevel,
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    '  version 3',
    '  virtual_router_id 51',
    `  priority ${priority}`,
    '  advert_int 1',
    '  virtual_ipaddress {',
    '    192.0.2.101/32',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Starts both on the same file, waits for r1 Master and r2 Backup, then 2 s of steady adverts. */
export async function startPair(
  h: Harness,
  topLevel: readonly string[],
): Promise<{ ours: VrrpdProcess; theirs: KeepalivedProcess; r1: LanNode; r2: LanNode }> {
  const [r1, r2] = [h.node('r1'), h.node('r2')];
  const ours = h.startVrrpd('r1', [], { confText: pairConf(r1, PAIR_PRIORITY.r1, topLevel) });
  const theirs = h.startKeepalived('r2', [], { confText: pairConf(r2, PAIR_PRIORITY.r2, topLevel) });
  await ours.waitForState('VI_1', 'Master', STARTUP_MS);
  await theirsIn(theirs, 'Backup', PAIR_DOWN_MS);
  await sleep(2000);
  return { ours, theirs, r1, r2 };
}

/** Waits for keepalived's VI_1 to be in `state` (its latest line at or after `since`). */
export function theirsIn(theirs: KeepalivedProcess, state: string, timeoutMs: number, since = 0): Promise<true> {
  return waitUntil(
    () => (theirs.lines.length > since && theirs.stateOf('VI_1') === state ? true : undefined),
    timeoutMs,
    `keepalived ${state}`,
  );
}
