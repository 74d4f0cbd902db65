// native_ipv6 with keepalived 2.2.7's meaning: the instance is IPv6 and VRRPv3 from where the keyword
// is read. Each verdict below is keepalived 2.2.7's `keepalived -t` on the same instance (in a namespace
// with eth0): exit 0 where we accept, exit 5 where we refuse, with the message quoted.
import t from 'tap';
import { parseKeepalivedConfig, KeepalivedConfigError } from '../../src/config/keepalived/index.js';
import { buildRouterConfig } from '../../src/model/router-config.js';

function instance(body: string, globals = ''): string {
  return `${globals ? `global_defs {\n${globals}\n}\n` : ''}vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\n${body}\n}\n`;
}
const V6 = 'virtual_ipaddress {\nfe80::1\n2001:db8::1/64\n}';

/** The router, or the errors (line: message). */
function read(text: string): { family?: 4 | 6; version?: 2 | 3; warnings: string[] } | { errors: string[] } {
  try {
    const loaded = parseKeepalivedConfig(text, 'k.conf');
    const router = loaded.input.routers[0]!;
    return {
      ...(router.family !== undefined ? { family: router.family } : {}),
      ...(router.version !== undefined ? { version: router.version } : {}),
      warnings: loaded.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.line}: ${d.message}`),
    };
  } catch (error) {
    if (!(error instanceof KeepalivedConfigError)) throw error;
    return {
      errors: error.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`),
    };
  }
}

t.test('accepted as keepalived -t accepts it: IPv6, VRRPv3', async (t) => {
  t.same(read(instance(`native_ipv6\n${V6}`)), { family: 6, version: 3, warnings: [] }, 'first in the block');
  t.same(read(instance(`${V6}\nnative_ipv6`)), { family: 6, version: 3, warnings: [] }, 'after IPv6 addresses');
  t.same(
    read(instance(`native_ipv6\n${V6}\nvirtual_ipaddress_excluded {\n192.0.2.9\n}`)),
    { family: 6, version: 3, warnings: [] },
    'an IPv4 excluded address is no VIP: it does not conflict (keepalived -t: 0)',
  );
  t.same(
    read(instance(`version 2\nnative_ipv6\n${V6}`)),
    {
      family: 6,
      version: 3,
      warnings: ['4: version 2 is overwritten with 3 by native_ipv6 (line 5), as keepalived 2.2.7 does'],
    },
    'a version 2 written before it becomes 3 (keepalived -t: 0, silently)',
  );
});

t.test('refused as keepalived -t refuses it (exit 5)', async (t) => {
  t.same(
    read(instance(`virtual_ipaddress {\n192.0.2.1\n}\nnative_ipv6`)),
    {
      errors: [
        '7: native_ipv6 comes after virtual_ipaddress (line 4) made the instance IPv4: keepalived 2.2.7 ignores it ("Cannot specify native_ipv6 with IPv4 addresses") and its -t fails; put native_ipv6 first, or leave it out',
      ],
    },
    'after an IPv4 VIP: "Cannot specify native_ipv6 with IPv4 addresses"',
  );
  t.match(
    read(instance(`unicast_src_ip 192.0.2.1\nnative_ipv6\n${V6}`)),
    { errors: [/^5: native_ipv6 comes after unicast_src_ip \(line 4\) made the instance IPv4/] },
    'after an IPv4 unicast_src_ip: the same',
  );
  t.match(
    read(instance(`mcast_dst_ip 224.0.0.19\nnative_ipv6\n${V6}`)),
    {
      errors: [
        '4: mcast_dst_ip 224.0.0.19 is IPv4, the instance is IPv6',
        /^5: native_ipv6 comes after mcast_dst_ip \(line 4\)/,
      ],
    },
    'after an IPv4 mcast_dst_ip: the same',
  );
  t.same(
    read(instance(`native_ipv6\nvirtual_ipaddress {\n192.0.2.1\n}`)),
    {
      errors: [
        '6: 192.0.2.1 is IPv4, native_ipv6 (line 4) made the instance IPv6: every virtual_ipaddress must be of one family (put it in virtual_ipaddress_excluded)',
      ],
    },
    'an IPv4 VIP after it: "address family must match VRRP instance" (keepalived then finds no VIP)',
  );
  t.match(
    read(instance('native_ipv6')),
    { errors: ['1: vrrp_instance VI_1: virtual_ipaddress: at least one virtual address is required'] },
    'no VIP at all: VRRPv3 needs one ("No VIP specified; at least one is required")',
  );
  t.match(
    read(instance(`native_ipv6\nversion 2\n${V6}`)),
    { errors: [/^5: vrrp_instance VI_1: version: VRRPv2 is IPv4 only/] },
    'version 2 after it: "vrrp_version 2 conflicts with configured or deduced version 3"',
  );
  t.match(
    read(instance(`${V6}\nnative_ipv6\nunicast_peer {\n192.0.2.2\n}`)),
    { errors: [/unicast_peer\[0\]: 192\.0\.2\.2 is IPv4, the router is IPv6/] },
    'an IPv4 unicast peer: "MUST be of the same family"',
  );
});

t.test('without native_ipv6, an IPv6 instance is VRRPv3 whatever vrrp_version says', async (t) => {
  // keepalived 2.2.7 vrrp_complete_instance: an IPv6 instance with no version of its own gets 3; -t: 0.
  t.same(read(instance(V6, 'vrrp_version 2')), { family: 6, warnings: [] }, 'no version 2 passed on');
  const loaded = parseKeepalivedConfig(instance(V6, 'vrrp_version 2'), 'k.conf');
  const config = buildRouterConfig({ ...loaded.input.routers[0]!, primaryAddress: 'fe80::9' });
  t.equal(config.version, 3, 'the router runs VRRPv3 (keepalived -t: 0; before, vrrpd -t refused VRRPv2 over IPv6)');
  t.same(read(instance('virtual_ipaddress {\n192.0.2.1\n}', 'vrrp_version 3')), {
    family: 4,
    version: 3,
    warnings: [],
  });
});
