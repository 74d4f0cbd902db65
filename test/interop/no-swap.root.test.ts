// vrrp_no_swap beside keepalived 2.2.7 (issues 12 and 13): the same file on both, each Master of its
// own VRID. Read from /proc/PID/smaps as an operator would: keepalived's VRRP process has every mapping
// locked on fault (mlockall MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT); vrrpd has every file mapping (the
// code and data of node, libc and the addon), the main stack and the malloc heap locked on fault, and
// V8's heap not (V8 aborts on locked heap pages: native/src/memory_lock.h). Both run on afterwards.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { Harness, skipReason } from '../netns/harness.js';
import { soloConf } from './solo-conf.js';
import { STARTUP_MS, masterDownMs, MARGIN_MS } from '../netns/timing.js';

const conf = (vrid: number) => soloConf(['vrrp_no_swap'], 'VI_ns', vrid);

interface Mapping {
  readonly path: string;
  readonly locked: boolean;
}

/** Each mapping's path ('' for anonymous) and whether VmFlags has both "lo" (locked) and "lf" (on fault). */
function mappings(pid: number): Mapping[] {
  const out: { path: string; locked: boolean }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) out.push({ path: header[2]!.trim(), locked: false });
    else if (line.startsWith('VmFlags:') && out.length > 0) {
      const flags = line.slice(8).trim().split(/\s+/);
      out[out.length - 1]!.locked = flags.includes('lo') && flags.includes('lf');
    }
  }
  return out;
}

const isFile = (m: Mapping) => m.path.startsWith('/') && !m.path.endsWith(' (deleted)');
const SPECIAL = new Set(['[vvar]', '[vdso]', '[vsyscall]', '[vvar_vclock]']);

const skip = skipReason(['keepalived']) ?? false;

t.test('vrrp_no_swap: what each daemon locks', { skip }, async (t) => {
  const h = await Harness.create(t, 'nsw', 2, { capture: false });
  const keepalived = h.startKeepalived('r1', [], { confText: conf(91) });
  const vrrpd = h.startVrrpd('r2', [], { confText: conf(92) });
  const masterBy = STARTUP_MS + masterDownMs(100, 100, 2) + MARGIN_MS;
  await keepalived.waitForState('VI_ns', 'Master', masterBy);
  await vrrpd.waitForState('VI_ns', 'Master', masterBy);
  // The advert sender thread starts with the first periodic schedule, just after the takeover.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const ka = mappings(keepalived.vrrpChildPid()!).filter((m) => !SPECIAL.has(m.path));
  const ours = mappings(vrrpd.pid).filter((m) => !SPECIAL.has(m.path));
  t.comment(`keepalived: ${ka.filter((m) => m.locked).length} of ${ka.length} mappings locked on fault`);
  t.comment(`vrrpd: ${ours.filter((m) => m.locked).length} of ${ours.length} mappings locked on fault`);

  const fileSpans = (list: Mapping[]) => list.filter(isFile);
  t.ok(fileSpans(ka).length > 0 && fileSpans(ka).every((m) => m.locked), 'keepalived: every file mapping');
  t.ok(fileSpans(ours).length > 0 && fileSpans(ours).every((m) => m.locked), 'vrrpd: every file mapping');
  for (const special of ['[heap]', '[stack]']) {
    t.ok(ka.find((m) => m.path === special)?.locked, `keepalived: ${special}`);
    t.ok(ours.find((m) => m.path === special)?.locked, `vrrpd: ${special}`);
  }
  t.ok(
    ka.filter((m) => m.path === '').every((m) => m.locked),
    'keepalived: every anonymous mapping too',
  );
  const anonymous = ours.filter((m) => m.path === '');
  t.ok(
    anonymous.some((m) => m.locked),
    "vrrpd: the advert sender thread's stack",
  );
  t.ok(
    anonymous.some((m) => !m.locked),
    "vrrpd: not V8's heap",
  );

  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.ok(keepalived.running, 'keepalived still runs');
  t.ok(vrrpd.running, 'vrrpd still runs');
});
