// The explanation as text an operator reads top to bottom: per virtual router, its routers, who was
// Master when, then one timeline of elections, step-downs, late adverts, two-Master episodes and VIP
// moves, then the disagreements between peers. Times are seconds since the capture's first frame.

import type { GroupExplanation } from './types.js';
import type { Explanation } from './types.js';

const LINK_TYPE_NAMES: Record<number, string> = {
  1: 'Ethernet',
  101: 'raw IP',
  113: 'Linux cooked (SLL)',
  228: 'raw IPv4',
  229: 'raw IPv6',
  276: 'Linux cooked (SLL2)',
};

const at = (ms: number): string => `+${(ms / 1000).toFixed(3)}s`;
const intervalText = (cs: number): string => `${cs % 100 === 0 ? cs / 100 : (cs / 100).toFixed(2)} s`;

export function formatExplanation(explanation: Explanation, name: string): string {
  const out: string[] = [];
  const links = explanation.linkTypes.map((t) => LINK_TYPE_NAMES[t] ?? `link type ${t}`).join(', ');
  out.push(
    `${name}: ${explanation.format}, ${links}, ${explanation.frames} frames over ${(explanation.durationMs / 1000).toFixed(3)} s` +
      (explanation.startedAt === undefined ? '' : ` from ${explanation.startedAt}`),
  );
  if (explanation.readError !== undefined)
    out.push(
      `warning: the file is damaged or ends early (${explanation.readError}); what follows covers the frames before`,
    );
  const tally = explanation.tally;
  const skipped = [
    tally.other > 0 ? `${tally.other} other frames` : '',
    tally.unknownLinkType > 0 ? `${tally.unknownLinkType} of an unknown link type` : '',
    tally.badIp > 0 ? `${tally.badIp} with a bad IP header` : '',
    tally.duplicates > 0 ? `${tally.duplicates} duplicates` : '',
  ].filter((s) => s !== '');
  if (skipped.length > 0) out.push(`skipped: ${skipped.join(', ')}`);
  if (explanation.groups.length === 0) out.push('no VRRP adverts in this capture');
  for (const group of explanation.groups) out.push('', ...formatGroup(group));
  return `${out.join('\n')}\n`;
}

function formatGroup(group: GroupExplanation): string[] {
  const versions = [...new Set(group.routers.flatMap((r) => r.versions))].map((v) => `VRRPv${v}`).join(' and ');
  const out = [
    `VRID ${group.vrid} over IPv${group.family}${versions === '' ? '' : ` (${versions})`}: ${group.routers.length} router(s)`,
  ];
  out.push('  routers:');
  for (const r of group.routers) {
    const mac = r.macs.length === 0 ? '' : ` mac ${r.macs.join(',')}`;
    const unicast = r.unicastTo.length === 0 ? '' : ` unicast to ${r.unicastTo.join(',')}`;
    out.push(
      `    ${r.address}${mac}  priority ${r.priorities.join(',')}  interval ${r.intervalsCs.map(intervalText).join(',')}  ` +
        `VIPs ${r.addresses.join(',')}  auth ${r.authentication}  checksum ${r.checksumForms.join(',')}${unicast}  ` +
        `${r.adverts} adverts ${at(r.firstMs)}..${at(r.lastMs)}`,
    );
  }
  if (group.periods.length > 0) {
    out.push('  Master periods:');
    for (const p of group.periods) {
      const until = p.end === 'capture-end' ? 'end of capture' : `${at(p.toMs)} (${p.end})`;
      out.push(`    ${p.router}  ${at(p.fromMs)} .. ${until}  priority ${p.priority}, ${p.adverts} adverts`);
    }
  }
  const events: { atMs: number; order: number; text: string }[] = [
    ...group.elections.map((e) => ({ atMs: e.atMs, order: 1, text: `election  ${e.text}` })),
    ...group.stepDowns.map((s) => ({ atMs: s.atMs, order: 0, text: `step-down ${s.text}` })),
    ...group.late.map((l) => ({
      atMs: l.atMs,
      order: 2,
      text: `late      ${l.router} advert ${(l.gapMs / 1000).toFixed(3)} s after the previous (interval ${(l.intervalMs / 1000).toFixed(3)} s, ${(l.gapMs - l.intervalMs).toFixed(1)} ms late), frame ${l.frame}${l.heardInGap.length === 0 ? '' : `; ${l.heardInGap.join(', ')} advertised in between`}`,
    })),
    ...group.twoMasters.map((m) => ({ atMs: m.fromMs, order: 3, text: `CONFLICT  ${m.text}` })),
    ...group.vipMoves.map((v) => ({ atMs: v.atMs, order: 4, text: `vip       ${v.text}` })),
  ].sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  if (events.length > 0) {
    out.push('  timeline:');
    for (const event of events) out.push(`    ${at(event.atMs)}  ${event.text}`);
  }
  if (group.staleVips.length > 0) {
    out.push('  at the end of the capture:');
    for (const v of group.staleVips) out.push(`    STALE     ${v.text}`);
  }
  if (group.disagreements.length > 0) {
    out.push('  peers that disagree:');
    for (const d of group.disagreements) out.push(`    ${d.text}`);
  }
  if (group.routersNotCompared > 0)
    out.push(`    (${group.routersNotCompared} routers with the fewest adverts not compared)`);
  if (group.refused.length > 0) {
    out.push('  adverts the codec refuses:');
    for (const r of group.refused)
      out.push(`    ${r.count} from ${r.source}: ${r.reason} (${r.detail}), first frame ${r.firstFrame}`);
  }
  const late = group.late.length;
  out.push(
    `  summary: ${group.elections.length} election(s), ${group.twoMasters.length} two-Master episode(s), ${late} late advert(s), ` +
      `${group.disagreements.length} disagreement(s), ${group.vipMoves.length} VIP announcement(s) by a new MAC, ${group.staleVips.length} stale VIP(s)`,
  );
  return out;
}
