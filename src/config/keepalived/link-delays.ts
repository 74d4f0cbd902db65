// The top-level interface_up_down_delays block (keepalived 2.2.7 vrrp_parser.c alloc_if_up_down_delay,
// vrrp.c check_debounce_timers) into the runtime's linkDelays (src/model/link-delays.ts):
//   interface_up_down_delays { IFNAME DOWN_DELAY [UP_DELAY] ... }
// Delays are seconds with µs resolution, 0 to 255. Without UP_DELAY the up delay is 0: that is what
// keepalived 2.2.7's code does, although its manual says the down delay is used. A line keepalived only
// logs about (no delay, a bad delay) is a warning and is ignored, as there; a later line for the same
// interface replaces the earlier. Each delay not below (down_timer_adverts - 1) x advert_int of an
// instance on the interface is cut to that less advert_int / 256, and down_timer_adverts 1 sets both
// to 0, as keepalived does at start.

import type { LinkDelay, LinkDelays } from '../../model/link-delays.js';
import type { LinuxRouterInput } from '../../model/runtime-input.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement, Word } from './parser.js';
import { MAX_INTERFACE_NAME } from './values.js';

const MAX_US = 255_000_000;

/** keepalived's read_timer: seconds, µs resolution; more decimals are rounded at the 7th (with a warning there). */
function microseconds(word: Word, diagnostics: DiagnosticList): number | undefined {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(word.text);
  if (!match || `${match[1]}${match[2] ?? ''}` === '') return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > 6)
    diagnostics.warning(word, `interface_up_down_delays: "${word.text}" has more than 6 decimals: rounded to µs`);
  const roundUp = fraction.length > 6 && fraction[6]! >= '5' ? 1 : 0;
  const us = Number(match[1] || '0') * 1_000_000 + Number(fraction.slice(0, 6).padEnd(6, '0')) + roundUp;
  return us > MAX_US ? undefined : us;
}

function readLine(line: Statement, diagnostics: DiagnosticList): LinkDelay | undefined {
  const name = line.keyword;
  if (name.length > MAX_INTERFACE_NAME || /[\s/:]/.test(name)) {
    diagnostics.error(line, `interface_up_down_delays: "${name}" is not an interface name`);
    return undefined;
  }
  const [down, up, ...extra] = line.args;
  if (!down) {
    diagnostics.warning(line, `interface_up_down_delays: no delay for ${name}: ignored (as keepalived does)`);
    return undefined;
  }
  if (extra.length > 0)
    diagnostics.warning(extra[0]!, `interface_up_down_delays: ${name}: words after the up delay are ignored`);
  const downUs = microseconds(down, diagnostics);
  const upUs = up ? microseconds(up, diagnostics) : 0;
  for (const [word, us] of [
    [down, downUs],
    [up, upUs],
  ] as const) {
    if (word && us === undefined) {
      diagnostics.warning(
        word,
        `interface_up_down_delays: ${name}: "${word.text}" is not a delay (seconds from 0 to 255): the line is ignored (as keepalived does)`,
      );
      return undefined;
    }
  }
  return { downMs: downUs! / 1000, upMs: upUs! / 1000 };
}

/** Every interface_up_down_delays block of the file, cut to the instances on each interface. */
export function readLinkDelays(
  statements: readonly Statement[],
  routers: readonly LinuxRouterInput[],
  diagnostics: DiagnosticList,
): LinkDelays | undefined {
  const delays = new Map<string, LinkDelay>();
  const lines = new Map<string, Statement>();
  for (const block of statements.filter((s) => s.keyword === 'interface_up_down_delays')) {
    if (block.args.length > 0)
      diagnostics.warning(block, 'interface_up_down_delays takes no name: the words after it are ignored');
    for (const line of block.block ?? []) {
      const delay = readLine(line, diagnostics);
      if (delay) {
        delays.set(line.keyword, delay);
        lines.set(line.keyword, line);
      }
    }
  }
  for (const router of routers) {
    const delay = delays.get(router.interface);
    if (!delay || (delay.downMs === 0 && delay.upMs === 0)) continue;
    const cut = cutToRouter(delay, router);
    if (cut.downMs !== delay.downMs || cut.upMs !== delay.upMs) {
      diagnostics.warning(
        lines.get(router.interface)!,
        cut.downMs === 0 && cut.upMs === 0
          ? `interface_up_down_delays: ${router.interface}: no delay with down_timer_adverts 1 (instance ${router.name}); set to 0, as keepalived does`
          : `interface_up_down_delays: ${router.interface}: a delay is not below (down_timer_adverts - 1) x advert_int of instance ${router.name}; cut to ${Math.max(cut.downMs, cut.upMs)} ms, as keepalived does`,
      );
      delays.set(router.interface, cut);
    }
  }
  const used = [...delays].filter(([, d]) => d.downMs > 0 || d.upMs > 0);
  return used.length > 0 ? Object.fromEntries(used) : undefined;
}

/** keepalived's check_debounce_timers: a Backup peer must not time out before this one sees its link. */
function cutToRouter(delay: LinkDelay, router: LinuxRouterInput): LinkDelay {
  const adverts = router.downTimerAdverts ?? 3;
  if (adverts === 1) return { downMs: 0, upMs: 0 };
  const advertUs = (router.advertIntervalCs ?? 100) * 10_000;
  const limitUs = (adverts - 1) * advertUs;
  const cutUs = limitUs - Math.floor(advertUs / 256);
  const cut = (ms: number) => (ms * 1000 >= limitUs ? cutUs / 1000 : ms);
  return { downMs: cut(delay.downMs), upMs: cut(delay.upMs) };
}
