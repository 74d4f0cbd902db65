// native_ipv6 on the wire: bin/vrrpd (r1) and keepalived 2.2.7 (r2) on one keepalived.conf whose
// instance says `version 2` and then `native_ipv6`, with IPv6 VIPs. keepalived overwrites the version
// with 3 where native_ipv6 is read (vrrp_native_ipv6_handler), so both must run VRRPv3 over IPv6 and hear
// each other: vrrpd (priority 200) takes over from keepalived (100), keepalived stays Backup. tshark on
// the bridge reads every advert's version and family. (Without native_ipv6 vrrpd -t refuses `version 2`
// with IPv6 VIPs: test/config/native-ipv6.test.ts.)

import t from 'tap';
import { Harness, skipReason } from './harness.js';
import { masterDownMs, STARTUP_MS } from './timing.js';

const CONF = [
  'global_defs {',
  '  @r1 router_id r1',
  '  @r2 router_id r2',
  '}',
  'vrrp_instance VI_6 {',
  '  state BACKUP',
  '  interface eth0',
  '  virtual_router_id 71',
  '  @r1 priority 200',
  '  @r2 priority 100',
  '  advert_int 1',
  '  version 2',
  '  native_ipv6',
  '  virtual_ipaddress {',
  '    fe80::71',
  '    2001:db8::71/64',
  '  }',
  '}',
  '',
].join('\n');

const skip = skipReason(['keepalived', 'unshare']) ?? false;

t.test('native_ipv6 after version 2: VRRPv3 from bin/vrrpd and keepalived alike', { skip }, async (t) => {
  const h = await Harness.create(t, 'n6k', 2);
  const keepalived = h.startKeepalived('r2', [], { confText: CONF, hostname: 'r2' });
  await keepalived.waitForState('VI_6', 'Master', masterDownMs(100, 100, 2) + STARTUP_MS);
  const since = keepalived.mark();
  const vrrpd = h.startVrrpd('r1', [], { confText: CONF, hostname: 'r1' });
  await vrrpd.waitForState('VI_6', 'Master', masterDownMs(200, 100, 2) + STARTUP_MS);
  await keepalived.waitForState('VI_6', 'Backup', STARTUP_MS, since);
  // Three of keepalived's Master_Down_Intervals: it hears vrrpd's adverts and stays Backup.
  await new Promise((resolve) => setTimeout(resolve, 3 * masterDownMs(100, 100, 2)));
  t.equal(keepalived.stateOf('VI_6'), 'Backup', 'keepalived hears vrrpd and stays Backup');
  t.equal(vrrpd.stateOf('VI_6'), 'Master', 'vrrpd stays Master');
  t.same(await vrrpd.stop(5000), { code: 0, signal: null }, 'vrrpd exits 0');
  const frames = (await h.stopCapture()).vrrp().filter((f) => f.vrid === 71);
  const seen = (mac: string) => [
    ...new Set(
      frames
        .filter((f) => f.ethSource === mac)
        .map((f) => `v${f.version} ${f.source.includes(':') ? 'IPv6' : 'IPv4'} ${f.destination}`),
    ),
  ];
  t.same(seen(h.node('r2').mac), ['v3 IPv6 ff02::12'], 'keepalived: VRRPv3 to ff02::12');
  t.same(seen(h.node('r1').mac), ['v3 IPv6 ff02::12'], 'vrrpd: VRRPv3 to ff02::12');
  t.ok(
    frames.some((f) => f.ethSource === h.node('r1').mac && f.priority === 200),
    'vrrpd advertised 200',
  );
});
