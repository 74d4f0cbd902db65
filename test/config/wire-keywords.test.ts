// dont_track_primary, track_src_ip, unicast_ttl, mcast_dst_ip, old_unicast_checksum and
// skip_check_adv_addr / vrrp_skip_check_adv_addr: keepalived.conf -> the router's fields, each with
// keepalived 2.2.7's meaning (its vrrp_parser.c), and the JSON form checked by buildRouterConfig.
import t, { type Test } from 'tap';
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { checkInput } from '../../src/daemon/check-input.js';
import { buildRouterConfig } from '../../src/model/router-config.js';

const base = 'interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100\n}';
const peer = 'unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}';

function load(body: string, globals = '') {
  const text = `${globals ? `global_defs {\n${globals}\n}\n` : ''}vrrp_instance VI_1 {\n${body}\n}\n`;
  return parseKeepalivedConfig(text, 'k.conf');
}
function router(body: string, globals = '') {
  return load(body, globals).input.routers[0]!;
}
function warnings(body: string, globals = ''): string[] {
  return load(body, globals)
    .diagnostics.filter((d) => d.severity === 'warning')
    .map((d) => d.message);
}
/** `messages` holds one matching `pattern` (other lines, the unicast_peer note say, may come first). */
function has(t: Test, messages: string[], pattern: RegExp): void {
  t.ok(
    messages.some((m) => pattern.test(m)),
    `${pattern} in ${JSON.stringify(messages)}`,
  );
}
function errors(body: string): string[] {
  try {
    load(body);
  } catch (error) {
    if (error instanceof KeepalivedConfigError) return error.diagnostics.map((d) => d.message);
    throw error;
  }
  throw new Error('expected a KeepalivedConfigError');
}

t.test('dont_track_primary', async (t) => {
  t.equal(router(`${base}\ndont_track_primary`).dontTrackPrimary, true);
  t.equal(router(base).dontTrackPrimary, undefined, 'off unless written');
  // keepalived's handler never reads an argument: accepted, and said.
  t.equal(router(`${base}\ndont_track_primary yes`).dontTrackPrimary, true);
  has(t, warnings(`${base}\ndont_track_primary yes`), /dont_track_primary takes no value: "yes" is ignored/);
});

t.test('track_src_ip: only with a configured source address', async (t) => {
  t.equal(router(`${base}\n${peer}\ntrack_src_ip`).trackSourceAddress, true);
  t.equal(router(`${base}\nmcast_src_ip 192.0.2.1\ntrack_src_ip`).trackSourceAddress, true);
  // keepalived clears it without one (vrrp_complete_instance): the interface's address is followed anyway.
  t.equal(router(`${base}\ntrack_src_ip`).trackSourceAddress, undefined);
  has(t, warnings(`${base}\ntrack_src_ip`), /track_src_ip does nothing without unicast_src_ip or mcast_src_ip/);
});

t.test('unicast_ttl: unicast only, 0..255, and unicast adverts are not TTL-checked', async (t) => {
  const r = router(`${base}\n${peer}\nunicast_ttl 10`);
  t.equal(r.unicastTtl, 10);
  t.equal(r.checkUnicastTtl, false, 'keepalived 2.2.7 checks the TTL of multicast adverts only');
  t.equal(router(`${base}\n${peer}`).checkUnicastTtl, false, 'also without unicast_ttl');
  t.equal(router(base).checkUnicastTtl, undefined, 'a multicast router is left at the default');
  t.equal(router(`${base}\n${peer}\nunicast_ttl 0`).unicastTtl, 1, '0: the lowest TTL the kernel sends');
  has(t, warnings(`${base}\n${peer}\nunicast_ttl 0`), /unicast_ttl 0: adverts are sent with TTL 1/);
  // keepalived -t exits 5 on both.
  has(t, errors(`${base}\nunicast_ttl 10`), /unicast_ttl needs a unicast_peer/);
  has(t, errors(`${base}\n${peer}\nunicast_ttl 256`), /unicast_ttl/);
  const config = buildRouterConfig({ ...r, primaryAddress: '192.0.2.1' });
  t.equal(config.unicastTtl, 10);
  t.equal(config.checkUnicastTtl, false);
  t.equal(
    buildRouterConfig({ ...r, unicastTtl: 255, primaryAddress: '192.0.2.1' }).unicastTtl,
    undefined,
    '255 is the default',
  );
});

t.test('mcast_dst_ip: a multicast group of the instance family', async (t) => {
  t.equal(router(`${base}\nmcast_dst_ip 224.0.0.19`).multicastGroup, '224.0.0.19');
  const v6 = 'interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\nfe80::100\n2001:db8::100\n}';
  t.equal(router(`${v6}\nmcast_dst_ip FF02::1:5`).multicastGroup, 'ff02::1:5');
  has(t, errors(`${base}\nmcast_dst_ip 192.0.2.5`), /mcast_dst_ip 192.0.2.5 is not a multicast address/);
  has(t, errors(`${base}\nmcast_dst_ip ff02::1:5`), /is IPv6, the instance is IPv4/);
  has(t, errors(`${v6}\nmcast_dst_ip ff05::1:5`), /not a link-local multicast address/);
  // With unicast peers keepalived ignores it ("multicast destination specified with unicast").
  t.equal(router(`${base}\n${peer}\nmcast_dst_ip 224.0.0.19`).multicastGroup, undefined);
  has(
    t,
    warnings(`${base}\n${peer}\nmcast_dst_ip 224.0.0.19`),
    /mcast_dst_ip is ignored: the instance has unicast peers/,
  );
  const config = buildRouterConfig({ ...router(`${base}\nmcast_dst_ip 224.0.0.19`), primaryAddress: '192.0.2.1' });
  t.equal(config.multicastGroup, '224.0.0.19');
  t.equal(
    buildRouterConfig({ ...router(base), multicastGroup: '224.0.0.18', primaryAddress: '192.0.2.1' }).multicastGroup,
    undefined,
    'the standard group reads as left out',
  );
});

t.test('old_unicast_checksum: always, or never', async (t) => {
  t.equal(router(`${base}\nversion 3\n${peer}\nold_unicast_checksum`).oldUnicastChecksum, 'always');
  t.equal(router(`${base}\nversion 3\n${peer}\nold_unicast_checksum never`).oldUnicastChecksum, 'never');
  t.equal(router(`${base}\nversion 3\n${peer}`).oldUnicastChecksum, undefined, "left out: keepalived's auto");
  has(t, errors(`${base}\n${peer}\nold_unicast_checksum always`), /old_unicast_checksum takes nothing .* or "never"/);
  has(
    t,
    warnings(`${base}\nold_unicast_checksum`),
    /old_unicast_checksum is ignored: the instance has no unicast_peer/,
  );
});

t.test('skip_check_adv_addr and vrrp_skip_check_adv_addr', async (t) => {
  t.equal(router(`${base}\nskip_check_adv_addr`).skipCheckAdvertAddresses, true);
  t.equal(router(`${base}\nskip_check_adv_addr on`).skipCheckAdvertAddresses, true);
  // keepalived 2.2.7 sets the flag for any valid value, "off" included.
  t.equal(router(`${base}\nskip_check_adv_addr off`).skipCheckAdvertAddresses, true);
  has(t, warnings(`${base}\nskip_check_adv_addr off`), /skip_check_adv_addr off still turns it on/);
  has(t, errors(`${base}\nskip_check_adv_addr maybe`), /skip_check_adv_addr takes on\/off/);
  t.equal(router(base, 'vrrp_skip_check_adv_addr').skipCheckAdvertAddresses, true, 'the global sets every instance');
  t.same(warnings(base, 'vrrp_skip_check_adv_addr'), []);
  t.equal(router(base).skipCheckAdvertAddresses, undefined);
});

t.test('the JSON fields: checked by buildRouterConfig', async (t) => {
  const json = { name: 'r', interface: 'eth0', vrid: 1, primaryAddress: '192.0.2.1', virtualAddresses: ['192.0.2.9'] };
  const config = buildRouterConfig({
    ...json,
    dontTrackPrimary: true,
    trackSourceAddress: true,
    skipCheckAdvertAddresses: true,
    oldUnicastChecksum: 'always',
  });
  t.match(config, {
    dontTrackPrimary: true,
    trackSourceAddress: true,
    skipCheckAdvertAddresses: true,
    oldUnicastChecksum: 'always',
  });
  const fails = (input: object, field: RegExp) =>
    t.throws(() => buildRouterConfig({ ...json, ...input }), { message: field });
  fails({ dontTrackPrimary: 'yes' }, /router\.dontTrackPrimary/);
  fails({ unicastTtl: 0 }, /router\.unicastTtl.*1 to 255/);
  fails({ unicastTtl: 2.5 }, /router\.unicastTtl/);
  fails({ multicastGroup: '192.0.2.7' }, /router\.multicastGroup.*not a multicast address/);
  fails({ multicastGroup: 'ff02::12' }, /router\.multicastGroup.*IPv6, the router is IPv4/);
  fails({ oldUnicastChecksum: 'sometimes' }, /router\.oldUnicastChecksum/);
});

t.test('bin/vrrp-engine JSON: checkInput takes the fields and names a bad one', async (t) => {
  const router = {
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    version: 3 as const,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
    unicastPeers: ['192.0.2.2'],
    dontTrackPrimary: true,
    trackSourceAddress: true,
    unicastTtl: 10,
    oldUnicastChecksum: 'never' as const,
    skipCheckAdvertAddresses: true,
  };
  t.doesNotThrow(() => checkInput({ routers: [router] }));
  const { unicastTtl: _ttl, ...multicast } = { ...router, unicastPeers: [] };
  t.doesNotThrow(() => checkInput({ routers: [{ ...multicast, multicastGroup: '224.0.0.19' }] }));
  t.throws(() => checkInput({ routers: [{ ...router, unicastTtl: 300 }] }), {
    message: /routers\[0\]\.unicastTtl: must be a whole number from 1 to 255, got 300/,
  });
  t.throws(() => checkInput({ routers: [{ ...router, multicastGroup: '10.0.0.1' }] }), {
    message: /routers\[0\]\.multicastGroup/,
  });
  t.throws(() => checkInput({ routers: [{ ...router, dontTrackPrimry: true } as never] }), {
    message: /dontTrackPrimry/,
  });
});
