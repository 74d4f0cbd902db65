// vrrp_garp_interval, vrrp_gna_interval and garp_group -> the runtime's announceSpacing, with
// keepalived 2.2.7's ranges and its rules for groups; and the gap each interface then takes.
import t from 'tap';
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { announceGapMs, checkAnnounceSpacing } from '../../src/model/announce-spacing.js';
import { ConfigError } from '../../src/model/config-error.js';

const INSTANCE = 'vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100\n}\n}\n';

function load(text: string) {
  return parseKeepalivedConfig(`${text}\n${INSTANCE}`, 'k.conf');
}
function errors(text: string): string[] {
  try {
    load(text);
  } catch (error) {
    if (error instanceof KeepalivedConfigError)
      return error.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`);
    throw error;
  }
  return [];
}

t.test('global gaps: decimal seconds to ms, µs steps, keepalived 2.2.7 range', async (t) => {
  const loaded = load('global_defs {\nvrrp_garp_interval 0.05\nvrrp_gna_interval 0.000001\n}');
  t.same(loaded.input.announceSpacing, { arpIntervalMs: 50, naIntervalMs: 0.001 });
  t.same(loaded.diagnostics, []);
  t.same(load('global_defs {\nvrrp_garp_interval 4294.967295\n}').input.announceSpacing, {
    arpIntervalMs: 4_294_967.295,
  });
  t.equal(load('global_defs {\nrouter_id R\n}').input.announceSpacing, undefined, 'nothing set: no spacing');
  // keepalived -t refuses each of these ("outside range", "too many decimal places", "invalid number").
  for (const bad of ['0', '0.0000001', '4294.967296', 'abc', '-1', '1e3']) {
    const found = errors(`global_defs {\nvrrp_garp_interval ${bad}\n}`);
    t.equal(found.length, 1, `vrrp_garp_interval ${bad} refused`);
    t.match(found[0], /^2: vrrp_garp_interval must be a number of seconds from 0.000001 to 4294.967295/);
  }
  t.match(errors('global_defs {\nvrrp_gna_interval\n}')[0], /^2: vrrp_gna_interval takes one value/);
});

t.test('garp_group: its interfaces take its gaps; first group wins; a group without a gap is dropped', async (t) => {
  const loaded = load(
    [
      'global_defs {\nvrrp_garp_interval 0.1\nvrrp_gna_interval 0.2\n}',
      'garp_group {\ngarp_interval 0.01\ninterfaces {\neth0\neth2\n}\n}',
      'garp_group {\ngna_interval 0.03\ninterface eth1\n}',
      'garp_group {\ngarp_interval 0.5\ninterface eth0\n}',
      'garp_group {\ninterface eth3\n}',
    ].join('\n'),
  );
  const spacing = loaded.input.announceSpacing;
  t.same(spacing, {
    arpIntervalMs: 100,
    naIntervalMs: 200,
    groups: [
      { arpIntervalMs: 10, interfaces: ['eth0', 'eth2'] },
      { naIntervalMs: 30, interfaces: ['eth1'] },
    ],
  });
  t.same(
    loaded.diagnostics.map((d) => `${d.severity} ${d.line}`),
    ['warning 18', 'warning 20'],
    'the later group for eth0 and the group without a gap are warned of, at their lines',
  );
  // eth0: its group's ARP gap; no NA gap (the group leaves it out, so the global one does not apply).
  t.equal(announceGapMs(spacing, 'eth0', 4), 10);
  t.equal(announceGapMs(spacing, 'eth0', 6), 0);
  t.equal(announceGapMs(spacing, 'eth1', 4), 0);
  t.equal(announceGapMs(spacing, 'eth1', 6), 30);
  // eth3's group set no gap and was dropped: the global gaps apply, as on any other interface.
  t.equal(announceGapMs(spacing, 'eth3', 4), 100);
  t.equal(announceGapMs(spacing, 'eth9', 6), 200);
  t.equal(announceGapMs(undefined, 'eth0', 4), 0, 'no spacing: back to back');
  // A group's gap may be 0 (keepalived: 0 to 2147.483647): that interface then has no gap at all.
  const zero = load('global_defs {\nvrrp_garp_interval 0.1\n}\ngarp_group {\ngarp_interval 0\ninterface eth0\n}');
  t.equal(announceGapMs(zero.input.announceSpacing, 'eth0', 4), 0);
  t.match(errors('garp_group {\ngarp_interval 2147.483648\ninterface eth0\n}')[0], /^2: garp_interval must be/);
  t.match(errors('garp_group {\ngarp_interval 0.1\ninterface a/b\n}')[0], /not an interface name/);
  t.match(errors('garp_group {\ngarp_interval 0.1\nnonsense 1\n}')[0], /unknown keyword nonsense/);
});

t.test('the JSON announceSpacing: checked, unknown keys named', async (t) => {
  checkAnnounceSpacing({ arpIntervalMs: 50, groups: [{ interfaces: ['eth1'], naIntervalMs: 0.5 }] });
  const bad: [unknown, RegExp][] = [
    [[], /announceSpacing: must be an object/],
    [{ arpIntervalMs: -1 }, /announceSpacing.arpIntervalMs: must be a number of ms/],
    [{ naIntervalMs: 'fast' }, /announceSpacing.naIntervalMs/],
    [{ arpIntervalMS: 5 }, /announceSpacing.arpIntervalMS.*arpIntervalMs/],
    [{ groups: {} }, /announceSpacing.groups: must be a list/],
    [{ groups: [{ interfaces: [] }] }, /groups\[0\].interfaces: must be a non-empty list/],
    [{ groups: [{ interfaces: ['eth0'] }, { interfaces: ['eth0'] }] }, /groups\[1\].interfaces\[0\]: eth0 is already/],
    [{ groups: [{ interfaces: ['a b'] }] }, /is not an interface name/],
  ];
  for (const [value, message] of bad) {
    t.throws(() => checkAnnounceSpacing(value), ConfigError, JSON.stringify(value));
    try {
      checkAnnounceSpacing(value);
    } catch (error) {
      t.match((error as Error).message, message);
    }
  }
});

t.test('promote_secondaries: the instance asks for it; ignored with use_vmac, as keepalived does', async (t) => {
  const instance = (extra: string) =>
    parseKeepalivedConfig(
      `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\n${extra}\nvirtual_ipaddress {\n192.0.2.100\n}\n}\n`,
      'k.conf',
    );
  const on = instance('promote_secondaries');
  t.equal(on.input.routers[0]!.promoteSecondaries, true);
  t.same(on.diagnostics, []);
  t.equal(instance('').input.routers[0]!.promoteSecondaries, undefined, 'off unless asked');
  const vmac = instance('use_vmac\npromote_secondaries');
  t.equal(vmac.input.routers[0]!.promoteSecondaries, undefined);
  t.match(vmac.diagnostics, [{ severity: 'warning', line: 5, message: /always on for a VMAC/ }]);
});

t.test('the JSON promoteSecondaries: a boolean', async (t) => {
  const { checkInput } = await import('../../src/daemon/check-input.js');
  const router = { name: 'VI_1', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100'] };
  t.doesNotThrow(() => checkInput({ routers: [{ ...router, promoteSecondaries: true }] }));
  t.throws(
    () => checkInput({ routers: [{ ...router, promoteSecondaries: 'yes' as unknown as boolean }] }),
    /routers\[0\].promoteSecondaries: must be true or false/,
  );
  t.doesNotThrow(() => checkInput({ routers: [router], announceSpacing: { arpIntervalMs: 50 } }));
  t.throws(() => checkInput({ routers: [router], announceSpacing: { arpIntervalMs: -5 } }), ConfigError);
});

t.test('garp_extra_if: the other interfaces of the instance, VMACs only without `all`', async (t) => {
  const file = (globals: string, extra: string) =>
    parseKeepalivedConfig(
      [
        `global_defs {\n${globals}\n}`,
        `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\n${extra}`,
        'virtual_ipaddress {\n192.0.2.100\n198.51.100.1 dev eth1\n198.51.100.2 dev eth1\n203.0.113.1 dev vrrp.52\n}\n}',
        'vrrp_instance VI_2 {\ninterface eth2\nvirtual_router_id 52\nuse_vmac\nvirtual_ipaddress {\n192.0.2.52\n}\n}',
      ].join('\n'),
      'k.conf',
    ).input.routers[0]!.announce;
  t.same(file('', 'garp_extra_if all 100'), {
    extraInterfaceIntervalMs: 100_000,
    extraInterfaces: ['eth1', 'vrrp.52'],
  });
  t.same(file('', 'garp_extra_if 100'), { extraInterfaceIntervalMs: 100_000, extraInterfaces: ['vrrp.52'] });
  t.same(file('vrrp_garp_extra_if 7 all', ''), {
    extraInterfaceIntervalMs: 7000,
    extraInterfaces: ['eth1', 'vrrp.52'],
  });
  t.same(file('vrrp_garp_extra_if all 7', 'garp_extra_if 0'), {}, "the instance's own 0 turns it off");
  t.same(file('', ''), {}, 'off by default');
  const alone = parseKeepalivedConfig(
    'vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\ngarp_extra_if all 100\nvirtual_ipaddress {\n192.0.2.100\n}\n}\n',
    'k.conf',
  );
  t.same(alone.input.routers[0]!.announce, {}, 'no address elsewhere: off, as keepalived turns it off');
  t.same(alone.diagnostics, []);
  t.match(
    errors('global_defs {\nvrrp_garp_extra_if 0\n}')[0],
    /^2: vrrp_garp_extra_if: "0" is neither "all" nor a number of seconds from 1/,
  );
  t.match(errors('global_defs {\nvrrp_garp_extra_if all\n}')[0], /^2: vrrp_garp_extra_if needs a number of seconds/);
  t.match(errors('global_defs {\nvrrp_garp_extra_if 86401\n}')[0], /86400/);
});

t.test('garp_extra_if counts an address on its own VMAC (use_vmac on the address), with or without all', async (t) => {
  for (const line of ['garp_extra_if 10', 'garp_extra_if all 10']) {
    const text = `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 7\n${line}\nvirtual_ipaddress {\n192.0.2.1\n192.0.2.50/24 dev eth1 use_vmac\n}\n}\n`;
    const { input } = parseKeepalivedConfig(text, 'k.conf');
    t.same(input.routers[0]!.announce?.extraInterfaces, ['vrrp.7'], `${line}: the address VMAC gets the periodic GARP`);
  }
});
