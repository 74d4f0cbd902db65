// use_ipvlan with keepalived 2.2.7's meaning: keepalived.conf -> useIpvlan, and what the runtime plans
// from it (checkInput, resolveRouter). Each verdict was keepalived 2.2.7 -t's on the same instance in a
// namespace with eth0/eth1 (exit 0 where we accept, exit 5 where we refuse; its message quoted). What the
// kernel does with the plan: test/linux/ipvlan.root.test.ts.
import t from 'tap';
import { parseKeepalivedConfig, KeepalivedConfigError } from '../../src/config/keepalived/index.js';
import { checkInput, resolveRouter } from '../../src/daemon/check-input.js';
import { RtNetlinkClient } from '../../src/linux/netlink.js';
import type { LinuxRouterInput } from '../../src/model/runtime-input.js';

const VIP4 = 'virtual_ipaddress {\n192.0.2.51/24\n}';
const instance = (name: string, vrid: number, body: string) =>
  `vrrp_instance ${name} {\ninterface eth0\nvirtual_router_id ${vrid}\n${body}\n}\n`;

function read(text: string) {
  try {
    const loaded = parseKeepalivedConfig(text, 'k.conf');
    return {
      routers: loaded.input.routers,
      warnings: loaded.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.line}: ${d.message}`),
    };
  } catch (error) {
    if (!(error instanceof KeepalivedConfigError)) throw error;
    return { errors: error.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`) };
  }
}

t.test('the words, in any order (keepalived -t: 0)', async (t) => {
  const one = (words: string) => read(instance('VI_1', 51, `use_ipvlan ${words}\n${VIP4}`));
  t.same(one('ipvl51 192.0.2.9/24').routers?.[0]?.useIpvlan, { name: 'ipvl51', address: '192.0.2.9/24' });
  t.same(one('private 192.0.2.9 ipvl51').routers?.[0]?.useIpvlan, {
    name: 'ipvl51',
    address: '192.0.2.9',
    mode: 'private',
  });
  t.same(
    one('192.0.2.9/24 vepa').routers?.[0]?.useIpvlan,
    {
      address: '192.0.2.9/24',
      mode: 'vepa',
      name: 'vrrp.51',
    },
    'no name: vrrp.<vrid>, as a VMAC is named',
  );
  t.same(
    read(`global_defs {\nvmac_prefix vx\n}\n${instance('VI_1', 51, `use_ipvlan 192.0.2.9\n${VIP4}`)}`).routers?.[0]
      ?.useIpvlan?.name,
    'vx.51',
    'vmac_prefix names it too',
  );
  const two = read(
    instance('A', 51, `use_vmac\n${VIP4}`) +
      instance('B', 52, 'use_ipvlan 192.0.2.9\nvirtual_ipaddress {\n192.0.2.52/24\n}') +
      instance('C', 53, 'use_ipvlan vrrp1.51 192.0.2.10\nvirtual_ipaddress {\n192.0.2.53/24\n}'),
  );
  t.same(
    two.routers?.map((r) => r.useVmac ?? r.useIpvlan?.name),
    [true, 'vrrp.52', 'vrrp1.51'],
    'names shared with VMACs: a given one is avoided by generated ones, each VRID its own',
  );
  const v6 = read(instance('VI_6', 61, 'use_ipvlan\nvirtual_ipaddress {\nfe80::61\n2001:db8::61/64\n}'));
  t.same(v6.routers?.[0]?.useIpvlan, { name: 'vrrp.61' }, 'IPv6 needs no address (keepalived -t: 0)');
});

t.test('refused where keepalived -t fails (exit 5)', async (t) => {
  const errors = (body: string) => read(instance('VI_1', 51, body)).errors;
  t.match(
    errors(`use_ipvlan\n${VIP4}`),
    [/^4: use_ipvlan needs an address in an IPv4 instance/],
    '"IPv4 ipvlan requires a source ip address"',
  );
  t.match(
    errors(`use_ipvlan 192.0.2.9 vepa bridge\n${VIP4}`),
    ['4: use_ipvlan: the mode is already vepa; "bridge" is one too many'],
    '"ipvlan type already specified"',
  );
  t.match(
    errors(`use_ipvlan 192.0.2.9/24 192.0.2.10\n${VIP4}`),
    [/the address is already 192\.0\.2\.9\/24/],
    '"ipvlan address already specified"',
  );
  t.match(
    errors(`use_ipvlan a b 192.0.2.9\n${VIP4}`),
    [/the name is already a; "b" is one too many/],
    '"IPVLAN interface already specified"',
  );
  t.match(errors(`use_ipvlan averyveryverylongname 192.0.2.9\n${VIP4}`), [/longer than 15 characters/], '"too long"');
  t.match(
    errors(`use_ipvlan 2001:db8::9/64\n${VIP4}`),
    [/^4: use_ipvlan address 2001:db8::9\/64 is IPv6, the instance is IPv4/],
    'the other family',
  );
  t.match(errors(`use_ipvlan 192.0.2.9/33\n${VIP4}`), [/not ADDRESS\[\/LEN\]/]);
  t.match(
    errors(`use_ipvlan 192.0.2.9\nunicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}\n${VIP4}`),
    [/^4: use_ipvlan cannot be used with unicast_peer/],
    '"unicast with use_vmac requires vmac_xmit_base" then "only valid with a vmac"',
  );
});

t.test('warned where keepalived ignores something beside it', async (t) => {
  const body = (extra: string) => read(instance('VI_1', 51, `use_ipvlan 192.0.2.9/24\n${extra}\n${VIP4}`));
  const vmac = body('use_vmac');
  t.same(vmac.routers?.[0]?.useVmac, undefined, 'use_vmac with it: only the ipvlan (keepalived -t: 0)');
  t.match(vmac.warnings, [
    '5: use_vmac is ignored with use_ipvlan: keepalived 2.2.7 makes only the ipvlan (the router runs there)',
  ]);
  t.match(
    body('vmac_xmit_base').warnings,
    [/^5: vmac_xmit_base is only valid with use_vmac/],
    '"only valid with a vmac"',
  );
  const promote = body('promote_secondaries');
  t.equal(
    promote.routers?.[0]?.promoteSecondaries,
    undefined,
    '"promote_secondaries is automatically set for vmacs - ignoring"',
  );
});

const ROUTER: LinuxRouterInput = { name: 'VI_1', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.51'] };

t.test('the runtime plan: the router runs on the ipvlan, from its address', async (t) => {
  const checked = checkInput({
    routers: [
      { ...ROUTER, excludedAddresses: ['2001:db8::51'], useIpvlan: { address: '192.0.2.9/24', mode: 'private' } },
    ],
    vips: [{ interface: 'eth0', address: '192.0.2.51', prefixLength: 24 }],
  });
  const router = checked.routers[0]!;
  t.same(
    router.vmac,
    {
      router: 'VI_1',
      vrid: 51,
      family: 4,
      parent: 'eth0',
      name: 'vrrp.51',
      mac: '',
      ipvlan: { mode: 'private', address: '192.0.2.9', prefixLength: 24, ipv6: true },
    },
    'named vrrp.51; IPv6 left on for the IPv6 excluded address (keepalived: EVIP_OTHER_FAMILY)',
  );
  t.same(checked.vips, [{ interface: 'vrrp.51', address: '192.0.2.51', prefixLength: 24 }], 'the VIPs live on it');
  const client = new RtNetlinkClient();
  t.teardown(() => client.close());
  // With an address the interface is not read: the ipvlan's address is the source.
  const resolved = await resolveRouter(router, client);
  t.equal(resolved.config.interface, 'vrrp.51', 'adverts sent and received on the ipvlan');
  t.equal(
    resolved.config.primaryAddress,
    '192.0.2.9',
    'from its address (keepalived: "use this address as the source")',
  );
  t.equal(resolved.resolved, false, 'not followed on the parent');
  const own = checkInput({
    routers: [{ ...ROUTER, primaryAddress: '192.0.2.1', useIpvlan: { address: '192.0.2.9' } }],
  });
  t.equal(
    (await resolveRouter(own.routers[0]!, client)).config.primaryAddress,
    '192.0.2.1',
    'a source of its own wins',
  );
});

t.test('the JSON field: refused where it cannot run', async (t) => {
  const refused = (router: Partial<LinuxRouterInput> & Record<string, unknown>, field: RegExp, message: RegExp) =>
    t.throws(() => checkInput({ routers: [{ ...ROUTER, ...router } as LinuxRouterInput] }), { field, message });
  refused({ useIpvlan: {} }, /useIpvlan\.address$/, /required for an IPv4 router/);
  refused({ useIpvlan: { address: '192.0.2.9' }, useVmac: true }, /useIpvlan$/, /useVmac both/);
  refused({ useIpvlan: { address: '192.0.2.9' }, unicastPeers: ['192.0.2.2'] }, /useIpvlan$/, /unicastPeers/);
  refused({ useIpvlan: { address: '192.0.2.9', mode: 'l3' } as never }, /useIpvlan\.mode$/, /bridge, private, vepa/);
  refused({ useIpvlan: { address: '2001:db8::9' } }, /useIpvlan\.address$/, /is IPv6, the router is IPv4/);
  refused({ useIpvlan: { address: '192.0.2.9', flags: 1 } as never }, /useIpvlan\.flags$/, /is not one of/);
  refused({ useIpvlan: { name: 'eth0', address: '192.0.2.9' } }, /useIpvlan\.name$/, /name of its parent/);
  refused({ useIpvlan: 'yes' as never }, /useIpvlan$/, /must be an object/);
});
