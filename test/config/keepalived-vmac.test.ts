// keepalived.conf's VMAC settings -> LinuxEngineInput, with keepalived 2.2.7's meaning: vmac_xmit_base
// (and keepalived turning it on for unicast peers), vmac_prefix and the names of VMACs made without one.
// The names and the verdicts were read off keepalived 2.2.7 in a namespace (`ip -br link` while it ran
// the file; `keepalived -t` exit codes), and the behaviour on the wire is in
// test/netns/vmac-keepalived.root.test.ts.
import t from 'tap';
import { parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { checkInput } from '../../src/daemon/check-input.js';
import { addressInterface } from '../../src/core/address-placement.js';
import { configOnVmac } from '../../src/linux/vmac.js';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { generatedVmacName } from '../../src/model/vmac-name.js';

function instance(name: string, body: string): string {
  return `vrrp_instance ${name} {\n${body}\n}\n`;
}
function file(instances: readonly string[], globals = ''): string {
  return `${globals ? `global_defs {\n${globals}\n}\n` : ''}${instances.join('')}`;
}
const v4 = (vrid: number, extra = '', iface = 'eth0') =>
  `interface ${iface}\nvirtual_router_id ${vrid}\nvirtual_ipaddress {\n192.0.2.${vrid}/24\n}\n${extra}`;
const v6 = (vrid: number, extra = '') =>
  `interface eth0\nvirtual_router_id ${vrid}\nvirtual_ipaddress {\nfe80::${vrid}\n2001:db8::${vrid}/64\n}\n${extra}`;
const PEERS = 'unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}';

function parse(text: string) {
  return parseKeepalivedConfig(text, 'k.conf');
}
function warnings(text: string): { line: number; message: string }[] {
  return parse(text)
    .diagnostics.filter((d) => d.severity === 'warning')
    .map((d) => ({ line: d.line, message: d.message }));
}

t.test('generated VMAC names: keepalived 2.2.7 create_vmac_name', async (t) => {
  t.equal(generatedVmacName(51, 4, new Set()), 'vrrp.51');
  t.equal(generatedVmacName(51, 4, new Set(['vrrp.51'])), 'vrrp1.51', 'IPv4: numbered from 1');
  t.equal(generatedVmacName(51, 4, new Set(['vrrp.51', 'vrrp1.51'])), 'vrrp2.51');
  t.equal(generatedVmacName(51, 6, new Set(['vrrp.51'])), 'vrrp6.51', 'IPv6: 6 first');
  t.equal(generatedVmacName(51, 6, new Set(['vrrp.51', 'vrrp6.51'])), 'vrrp1.51', 'then 1, 2, ...');
  t.equal(
    generatedVmacName(
      51,
      6,
      new Set(['vrrp.51', 'vrrp6.51', 'vrrp1.51', 'vrrp2.51', 'vrrp3.51', 'vrrp4.51', 'vrrp5.51']),
    ),
    'vrrp7.51',
    'skipping 6 the second time',
  );
  // keepalived 2.2.7 ran these (vmac_prefix averyverylongprefix, VRID 51: IPv4 on eth0, IPv6 on eth0, IPv4 on eth1).
  const prefix = 'averyverylongprefix';
  t.equal(generatedVmacName(51, 4, new Set(), prefix), 'averyverylon.51', 'a long prefix is cut to fit 15 bytes');
  t.equal(generatedVmacName(51, 6, new Set(['averyverylon.51']), prefix), 'averyverylo6.51');
  t.equal(generatedVmacName(51, 4, new Set(['averyverylon.51', 'averyverylo6.51']), prefix), 'averyverylo1.51');
  t.equal(generatedVmacName(255, 4, new Set(), prefix), 'averyverylo.255');
});

t.test('vmac_prefix and use_vmac without a name: the names keepalived 2.2.7 gives, over the file', async (t) => {
  const three = [
    instance('A', v4(51, 'use_vmac')),
    instance('B', v6(51, 'use_vmac')),
    instance('C', v4(51, 'use_vmac', 'eth1')),
  ];
  t.same(
    parse(file(three, 'vmac_prefix averyverylongprefix')).input.routers.map((r) => r.useVmac),
    ['averyverylon.51', 'averyverylo6.51', 'averyverylo1.51'],
    'as keepalived 2.2.7 named them in a namespace',
  );
  t.same(
    parse(file(three)).input.routers.map((r) => r.useVmac),
    [true, 'vrrp6.51', 'vrrp1.51'],
    "without vmac_prefix: the first keeps true (the runtime's vrrp.<vrid>), the others are numbered",
  );
  t.same(
    parse(file([instance('A', v4(51, 'use_vmac')), instance('B', v4(52, 'use_vmac vrrp.51'))])).input.routers.map(
      (r) => r.useVmac,
    ),
    ['vrrp1.51', 'vrrp.51'],
    'a name given to a later instance is avoided too (keepalived reads every name before naming)',
  );
  t.equal(parse(file([instance('A', v4(51, 'use_vmac own0'))], 'vmac_prefix vx')).input.routers[0]!.useVmac, 'own0');
  const twice = file([instance('A', v4(51, 'use_vmac'))], 'vmac_prefix vx\nvmac_prefix vy');
  t.equal(parse(twice).input.routers[0]!.useVmac, 'vx.51', 'the first vmac_prefix counts, as in keepalived');
  t.match(warnings(twice), [{ line: 3, message: /vmac_prefix is already set to "vx"/ }]);
  t.throws(() => parse(file([instance('A', v4(51, 'use_vmac'))], 'vmac_prefix a/b')), /no "\/" or ":"/);
});

t.test('the runtime names a JSON useVmac: true the same way', async (t) => {
  const checked = checkInput({
    routers: [
      { name: 'A', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.51'], useVmac: true },
      { name: 'B', interface: 'eth0', vrid: 51, virtualAddresses: ['fe80::51'], useVmac: true },
      { name: 'C', interface: 'eth1', vrid: 51, virtualAddresses: ['192.0.2.52'], useVmac: true },
      { name: 'D', interface: 'eth1', vrid: 52, virtualAddresses: ['192.0.2.53'], useVmac: 'vrrp2.51' },
    ],
  });
  t.same(
    checked.routers.map((r) => r.vmac?.name),
    ['vrrp.51', 'vrrp6.51', 'vrrp1.51', 'vrrp2.51'],
    'two routers on one VRID no longer clash on vrrp.<vrid>',
  );
});

t.test('vmac_xmit_base: adverts on the base interface, the VIPs on the VMAC', async (t) => {
  const text = file([instance('A', v4(51, 'use_vmac\nvmac_xmit_base'))]);
  const loaded = parse(text);
  t.same(warnings(text), [], 'implemented: no warning');
  const router = loaded.input.routers[0]!;
  t.equal(router.useVmac, true);
  t.equal(router.vmacXmitBase, true);
  const checked = checkInput(loaded.input);
  const vmac = checked.routers[0]!.vmac!;
  t.same([vmac.name, vmac.parent, vmac.xmitBase], ['vrrp.51', 'eth0', true]);
  t.same(
    checked.vips,
    [{ interface: 'vrrp.51', address: '192.0.2.51', prefixLength: 24 }],
    'the VIP lives on the VMAC',
  );
  t.notOk(parse(file([instance('A', v4(51, 'use_vmac'))])).input.routers[0]!.vmacXmitBase, 'off by default');
});

t.test(
  'vmac_xmit_base as keepalived 2.2.7 settles it (each of these fails its keepalived -t, so warned)',
  async (t) => {
    const unicast = file([instance('A', v4(51, `use_vmac\n${PEERS}`))]);
    t.equal(parse(unicast).input.routers[0]!.vmacXmitBase, true, 'unicast peers with use_vmac: set');
    t.match(
      warnings(unicast).filter((w) => /vmac/.test(w.message)),
      [{ line: 7, message: /unicast_peer with use_vmac requires vmac_xmit_base: set/ }],
      'at the use_vmac line',
    );
    t.equal(parse(file([instance('A', v4(51, PEERS))])).input.routers[0]!.vmacXmitBase, undefined, 'no VMAC: nothing');

    const noVmac = file([instance('A', v4(51, 'vmac_xmit_base'))]);
    t.equal(parse(noVmac).input.routers[0]!.vmacXmitBase, undefined, 'without use_vmac: ignored');
    t.match(warnings(noVmac), [{ line: 7, message: /vmac_xmit_base is only valid with use_vmac/ }]);

    const strict = file([instance('A', v4(51, 'use_vmac\nvmac_xmit_base\nstrict_mode on'))]);
    t.equal(parse(strict).input.routers[0]!.vmacXmitBase, undefined, 'strict mode: ignored');
    t.match(
      warnings(strict).filter((w) => /vmac_xmit_base/.test(w.message)),
      [{ line: 8, message: /incompatible with strict mode/ }],
    );
  },
);

t.test('vmacXmitBase in the JSON configuration: checked by checkInput', async (t) => {
  const base = { name: 'A', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.51'] };
  const errorOf = (router: Record<string, unknown>) => {
    try {
      checkInput({ routers: [{ ...base, ...router }] } as never);
      return undefined;
    } catch (error) {
      return (error as { field?: string; message: string }).field;
    }
  };
  t.equal(errorOf({ vmacXmitBase: true }), 'routers[0].vmacXmitBase', 'needs useVmac');
  t.equal(errorOf({ useVmac: true, vmacXmitBase: 'yes' }), 'routers[0].vmacXmitBase', 'a boolean');
  t.equal(
    errorOf({ useVmac: true, unicastPeers: ['192.0.2.2'] }),
    'routers[0].vmacXmitBase',
    'unicast peers with useVmac need it (keepalived sets it; JSON says so)',
  );
  t.equal(errorOf({ useVmac: true, unicastPeers: ['192.0.2.2'], vmacXmitBase: true }), undefined);
  t.equal(errorOf({ useVmac: true, vmacXmitBase: false }), undefined);

  const checked = checkInput({
    routers: [
      {
        ...base,
        virtualAddresses: ['192.0.2.51'],
        excludedAddresses: ['2001:db8::51', '198.51.100.51'],
        useVmac: 'vm51',
        vmacXmitBase: true,
      },
    ],
    vips: [{ interface: 'eth0', address: '198.51.100.51', prefixLength: 24 }],
  });
  t.same(
    checked.vips,
    [{ interface: 'vm51', address: '198.51.100.51', prefixLength: 24 }],
    'VipSpecs follow to the VMAC',
  );
  const vmac = checked.routers[0]!.vmac!;
  t.equal(vmac.xmitBase, true);
  const config = configOnVmac(
    buildRouterConfig({
      ...base,
      primaryAddress: '192.0.2.1',
      excludedAddresses: ['2001:db8::51', '198.51.100.51'],
    }),
    vmac,
  );
  t.equal(config.interface, 'eth0', 'the router (its sockets and adverts) stays on the base interface');
  t.same(
    ['192.0.2.51', '198.51.100.51', '2001:db8::51'].map((a) => addressInterface(config, a)),
    ['vm51', 'vm51', 'eth0'],
    "its family's addresses on the VMAC, the other family's on the base interface (keepalived 2.2.7)",
  );
  const plain = configOnVmac(buildRouterConfig({ ...base, primaryAddress: '192.0.2.1' }), { ...vmac, xmitBase: false });
  t.equal(plain.interface, 'vm51', 'without it the router runs on the VMAC');
});

/** keepalived 2.2.7 ran this file in a namespace (eth0, eth1): vrrp.51, va.51@eth1, va6.51@eth0, va.52@eth1. */
const ADDRESS_VMACS = `global_defs {
  vmac_addr_prefix va
}
vrrp_instance A {
  interface eth0
  state BACKUP
  virtual_router_id 51
  priority 100
  use_vmac
  use_vmac_addr
  virtual_ipaddress {
    192.0.2.100/24
  }
  virtual_ipaddress_excluded {
    198.51.100.5/24 dev eth1
    2001:db8::5/64
  }
}
vrrp_instance B {
  interface eth0
  state BACKUP
  virtual_router_id 52
  priority 100
  virtual_ipaddress {
    192.0.2.101/24
    192.0.2.102/24 dev eth1 use_vmac
  }
}
`;

t.test('use_vmac_addr, use_vmac on an address and vmac_addr_prefix: the VMACs keepalived 2.2.7 made', async (t) => {
  const loaded = parse(ADDRESS_VMACS);
  t.same(warnings(ADDRESS_VMACS), [], 'implemented: no warning');
  t.same(
    loaded.input.vips?.filter((v) => v.useVmac !== undefined),
    [
      { interface: 'eth1', address: '198.51.100.5', prefixLength: 24, useVmac: 'va.51' },
      { interface: 'eth0', address: '2001:db8::5', prefixLength: 64, useVmac: 'va6.51' },
      { interface: 'eth1', address: '192.0.2.102', prefixLength: 24, useVmac: 'va.52' },
    ],
    'each address on another interface (or of the other family) names its VMAC',
  );
  const checked = checkInput(loaded.input);
  t.same(
    checked.routers.map((r) => [r.vmac?.name, ...r.extraVmacs.map((p) => `${p.name}@${p.parent} ${p.mac}`)]),
    [
      ['vrrp.51', 'va.51@eth1 00:00:5e:00:01:33', 'va6.51@eth0 00:00:5e:00:02:33'],
      [undefined, 'va.52@eth1 00:00:5e:00:01:34'],
    ],
    'the names, parents and MACs of `ip -br link` under keepalived',
  );
  t.same(
    checked.vips.map((v) => `${v.address} ${v.interface}`),
    ['192.0.2.100 vrrp.51', '198.51.100.5 va.51', '2001:db8::5 va6.51', '192.0.2.101 eth0', '192.0.2.102 va.52'],
    'the addresses on them, as `ip -br addr` showed',
  );
  t.equal(checked.routers[0]!.addressInterfaces['198.51.100.5'], 'va.51');
  const without = parse(ADDRESS_VMACS.replace('  use_vmac_addr\n', ''));
  t.same(
    without.input.vips?.filter((v) => v.useVmac !== undefined).map((v) => v.address),
    ['192.0.2.102'],
    'without use_vmac_addr only the address that says use_vmac',
  );
  const again = ADDRESS_VMACS.replace('198.51.100.5/24 dev eth1', '198.51.100.5/24 dev eth1 use_vmac');
  t.match(warnings(again), [{ line: 15, message: /says again what use_vmac_addr says/ }]);
  const onOwn = ADDRESS_VMACS.replace('    192.0.2.100/24\n', '    192.0.2.100/24 use_vmac\n');
  t.match(warnings(onOwn), [{ line: 12, message: /already lives on the instance's VMAC/ }]);
});

t.test('useVmac on a VipSpec in the JSON configuration', async (t) => {
  const router = { name: 'A', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.51'] };
  const fieldOf = (input: unknown) => {
    try {
      checkInput(input as never);
      return undefined;
    } catch (error) {
      return (error as { field?: string }).field;
    }
  };
  const checked = checkInput({
    routers: [{ ...router, excludedAddresses: ['198.51.100.5', '198.51.100.6'] }],
    vips: [
      { interface: 'eth1', address: '198.51.100.5', useVmac: true },
      { interface: 'eth1', address: '198.51.100.6', useVmac: true },
    ],
  });
  t.same(
    checked.routers[0]!.extraVmacs.map((p) => `${p.name}@${p.parent}`),
    ['vrrp.51@eth1'],
    'one VMAC per interface and family',
  );
  t.same(
    checked.vips.map((v) => v.interface),
    ['vrrp.51', 'vrrp.51'],
  );
  t.equal(
    fieldOf({
      routers: [{ ...router, useVmac: true }],
      vips: [{ interface: 'eth0', address: '192.0.2.51', useVmac: true }],
    }),
    'vips[0].useVmac',
    "an address already on the router's VMAC",
  );
  t.equal(
    fieldOf({ routers: [router], vips: [{ interface: 'eth1', address: '192.0.2.99', useVmac: true }] }),
    'vips[0].useVmac',
    'an address no router holds',
  );
  t.equal(
    fieldOf({ routers: [router], vips: [{ interface: 'eth0', address: '192.0.2.51', useVmac: 7 }] }),
    'vips[0].useVmac',
  );
  t.equal(
    fieldOf({
      routers: [
        { ...router, useVmac: true },
        { name: 'B', interface: 'eth1', vrid: 51, virtualAddresses: ['192.0.2.52'], excludedAddresses: ['192.0.2.53'] },
      ],
      vips: [{ interface: 'eth0', address: '192.0.2.53', useVmac: true }],
    }),
    'vips[0].useVmac',
    "a second macvlan with one MAC on one interface (A's vrrp.51 has 00:00:5e:00:01:33 on eth0)",
  );
});
