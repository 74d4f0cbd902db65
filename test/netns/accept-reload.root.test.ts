// A reload that changes accept mode on a running Master, beside keepalived 2.2.7 (issue 13): one file
// with nftables and `no_accept`, then `accept`, then `no_accept` again, each applied with SIGHUP, on
// the same node, first under keepalived then under bin/vrrpd, neither leaving Master. `nft -j list
// ruleset` is compared step by step; the client's pings say whether the VIP answers.
//   - no_accept, then accept: both daemons' rulesets are equal (the kept VIPs leave the drop sets).
//   - accept, then no_accept again: keepalived 2.2.7 logs "setting firewall drop rule" but its sets
//     stay empty, and the VIP answers (a keepalived bug, held here so a fixed keepalived shows); vrrpd
//     puts the VIPs back, as keepalived's clear_diff_vrrp_vip means to, and its ruleset is again the
//     first step's.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Harness, skipReason, waitUntil, type KeepalivedProcess, type VrrpdProcess } from './harness.js';
import { answers, ruleset } from './nft-observe.js';
import { STARTUP_MS } from './timing.js';

const VIP4 = '192.0.2.110';
const VIP6 = '2001:db8::6e';

const conf = (accept: 'accept' | 'no_accept'): string =>
  [
    'global_defs {',
    '  nftables',
    '}',
    ...[
      ['VI_4', 61, VIP4],
      ['VI_6', 62, VIP6],
    ].flatMap(([name, vrid, vip]) => [
      `vrrp_instance ${name} {`,
      '  interface eth0',
      '  version 3',
      `  virtual_router_id ${vrid}`,
      '  priority 100',
      '  advert_int 0.5',
      `  ${accept}`,
      '  virtual_ipaddress {',
      `    ${vip}`,
      '  }',
      '}',
    ]),
    '',
  ].join('\n');

const blocked = (listing: string) => [VIP4, VIP6].filter((vip) => listing.includes(`"${vip}`)).length;

const skip = skipReason(['keepalived']) ?? (spawnSync('nft', ['--version']).status === 0 ? false : 'no nft');

t.test('accept mode changed by a reload: kept VIPs leave and re-enter the drop sets', { skip }, async (t) => {
  const h = await Harness.create(t, 'acr', 1, { capture: false });
  const r1 = h.node('r1');
  const steps: Record<string, string[]> = {};
  for (const kind of ['keepalived', 'vrrpd'] as const) {
    const p =
      kind === 'keepalived'
        ? h.startKeepalived('r1', [], { confText: conf('no_accept') })
        : h.startVrrpd('r1', [], { confText: conf('no_accept') });
    for (const name of ['VI_4', 'VI_6']) await p.waitForState(name, 'Master', STARTUP_MS);
    const seen: string[] = [];
    const step = async (what: string, count: number, answering: boolean) => {
      const listing = await waitUntil(
        () => {
          const now = ruleset(r1);
          return blocked(now) === count ? now : undefined;
        },
        5000,
        `${kind}: ${what}`,
      );
      seen.push(listing);
      t.equal(
        answers(h, VIP4),
        answering,
        `${kind}, ${what}: the IPv4 VIP ${answering ? 'answers' : 'does not answer'}`,
      );
    };
    await step('no_accept', 2, false);
    const reload = async (accept: 'accept' | 'no_accept') => {
      writeFileSync(join((p as VrrpdProcess | KeepalivedProcess).dir, 'keepalived.conf'), conf(accept));
      p.signal('SIGHUP');
    };
    const statesBefore = p.states.length;
    await reload('accept');
    await step('reloaded with accept', 0, true);
    await reload('no_accept');
    if (kind === 'keepalived') {
      await new Promise((resolve) => setTimeout(resolve, 2000)); // its reload is done well within this
      await step('reloaded with no_accept again (keepalived 2.2.7: the sets stay empty)', 0, true);
    } else await step('reloaded with no_accept again', 2, false);
    t.same(
      p.states.slice(statesBefore).map((s) => `${s.router} ${s.state}`),
      [],
      `${kind}: no state change across the reloads`,
    );
    steps[kind] = seen;
    await p.stop();
    t.equal(ruleset(r1), '[]', `${kind} stopped: no table left`);
  }
  t.same(
    steps.vrrpd!.slice(0, 2),
    steps.keepalived!.slice(0, 2),
    "no_accept, accept: vrrpd's rulesets equal keepalived's",
  );
  t.equal(steps.vrrpd![2], steps.vrrpd![0], 'no_accept again: vrrpd blocks as at the start');
});
