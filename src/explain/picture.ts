// The simulator's timeline picture (src/sim/picture.ts renderSvg) drawn from a capture: one band per
// observed router, green while it advertised as Master, grey while it did not (a Backup, or not yet
// running: the wire cannot tell), white after it fell silent or sent priority 0; each election a
// numbered marker, the first two-Master episode as the red line.

import { renderSvg, type PictureRow } from '../sim/picture.js';
import type { SimRouterState } from '../sim/invariants.js';
import type { Explanation } from './types.js';

export function explanationPicture(explanation: Explanation, name: string): string {
  const rows: PictureRow[] = [];
  const markers: { atMs: number; label: string }[] = [];
  let violation: { atMs: number; message: string } | undefined;
  for (const group of explanation.groups) {
    for (const router of group.routers) {
      const segments: { fromMs: number; state: SimRouterState }[] = [{ fromMs: 0, state: 'Backup' }];
      for (const period of group.periods.filter((p) => p.router === router.address)) {
        segments.push({ fromMs: period.fromMs, state: 'Master' });
        if (period.end !== 'capture-end')
          segments.push({ fromMs: period.toMs, state: period.end === 'stepped-down' ? 'Backup' : 'Down' });
      }
      rows.push({ label: `VRID ${group.vrid} ${router.address}`, segments: ordered(segments) });
    }
    for (const election of group.elections)
      markers.push({ atMs: election.atMs, label: `VRID ${group.vrid}: ${election.router} Master (${election.cause})` });
    const conflict = group.twoMasters[0];
    if (conflict !== undefined && (violation === undefined || conflict.fromMs < violation.atMs)) {
      violation = {
        atMs: conflict.fromMs,
        message: `VRID ${group.vrid}: two Masters, ${conflict.routers.join(' and ')}`,
      };
    }
  }
  markers.sort((a, b) => a.atMs - b.atMs);
  return renderSvg({
    title: `vrrp-explain ${name}`,
    subtitle: `${explanation.frames} frames from ${explanation.startedAt ?? '?'}; green: advertising as Master, grey: not advertising, white: silent after Master or priority 0`,
    endMs: explanation.durationMs,
    rows,
    markers,
    livenessFromMs: undefined,
    violation,
  });
}

/** Segments in time order; of two at the same moment the later-added wins (a period ending and the next starting). */
function ordered(
  segments: readonly { fromMs: number; state: SimRouterState }[],
): { fromMs: number; state: SimRouterState }[] {
  const sorted = segments.map((s, i) => ({ ...s, i })).sort((a, b) => a.fromMs - b.fromMs || a.i - b.i);
  return sorted.filter((s, i) => sorted[i + 1]?.fromMs !== s.fromMs).map(({ fromMs, state }) => ({ fromMs, state }));
}
