// The VRRP sockets' receive buffers: vrrp_rx_bufs_policy, vrrp_rx_bufs_multiplier and
// kernel_rx_buf_size read as keepalived 2.2.7 reads them (its quirks included), the JSON settings
// checked, and the size each socket asks for (src/model/receive-buffers.ts).
import t from 'tap';
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { advertLength, checkReceiveBufferPolicy, socketReceiveBuffer } from '../../src/model/receive-buffers.js';
import { checkJsonConfig } from '../../src/cli/json-config.js';

function conf(globals: string, instance = ''): string {
  return `global_defs {\n${globals}\n}\nvrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\n${instance}\nvirtual_ipaddress {\n192.0.2.100\n}\n}\n`;
}
const load = (globals: string, instance = '') => parseKeepalivedConfig(conf(globals, instance), 'k.conf').input;
function errors(globals: string, instance = ''): string[] {
  try {
    parseKeepalivedConfig(conf(globals, instance), 'k.conf');
  } catch (error) {
    if (error instanceof KeepalivedConfigError)
      return error.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    throw error;
  }
  return [];
}

t.test('vrrp_rx_bufs_policy and vrrp_rx_bufs_multiplier as keepalived reads them', async (t) => {
  t.same(load('vrrp_rx_bufs_policy 100000').receiveBuffers, { policy: 'bytes', bytes: 100000 });
  t.same(load('vrrp_rx_bufs_policy mtu').receiveBuffers, { policy: 'mtu' }, 'case does not matter');
  t.same(load('vrrp_rx_bufs_policy ADVERT\nvrrp_rx_bufs_multiplier 7').receiveBuffers, {
    policy: 'advert',
    multiplier: 7,
  });
  t.equal(load('vrrp_rx_bufs_multiplier 7').receiveBuffers, undefined, 'a multiplier alone: the kernel default');
  t.equal(load('vrrp_rx_bufs_policy 0').receiveBuffers, undefined, 'size 0: the kernel default');
  t.equal(load('').receiveBuffers, undefined, 'nothing set: the kernel default');
  t.match(
    errors('vrrp_rx_bufs_policy MTU 1000'),
    [/invalid vrrp_rx_bufs_policy 1000/],
    'keepalived re-reads the first word',
  );
  t.match(errors('vrrp_rx_bufs_policy MTU ADVERT'), [/MTU and ADVERT cannot both be set/]);
  t.match(errors('vrrp_rx_bufs_policy 1000\nvrrp_rx_bufs_policy MTU'), [/a size and a policy cannot both be set/]);
  t.match(errors('vrrp_rx_bufs_policy'), [/vrrp_rx_bufs_policy missing/]);
  t.match(errors('vrrp_rx_bufs_policy lots'), [/invalid vrrp_rx_bufs_policy lots/]);
  t.match(errors('vrrp_rx_bufs_multiplier 0'), [/from 1 to/]);
  t.match(errors('vrrp_rx_bufs_multiplier 2 3'), [/takes one number/]);
});

t.test('kernel_rx_buf_size: the instance share; 0 is not set', async (t) => {
  t.equal(load('', 'kernel_rx_buf_size 50000').routers[0]!.receiveBufferBytes, 50000);
  t.equal(load('', 'kernel_rx_buf_size 0').routers[0]!.receiveBufferBytes, undefined);
  t.match(errors('', 'kernel_rx_buf_size -1'), [/kernel_rx_buf_size must be a whole number/]);
  t.match(errors('', 'kernel_rx_buf_size'), [/takes one value/]);
});

const router = (name: string, extra: Record<string, unknown> = {}) =>
  buildRouterConfig({
    name,
    interface: 'eth0',
    vrid: name === 'A' ? 1 : 2,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100', '192.0.2.101'],
    version: 3,
    ...extra,
  });

t.test('the size a socket asks for: the sum over its routers, as keepalived sums it', async (t) => {
  const mtu = () => 9000;
  const a = router('A');
  const b = router('B', { receiveBufferBytes: 50000 });
  t.equal(advertLength(a), 20 + 8 + 2 * 4, 'VRRPv3 IPv4 with two addresses, with its IP header');
  t.equal(advertLength(router('A', { version: 2 })), 20 + 8 + 2 * 4 + 8, 'VRRPv2 adds the authentication data');
  t.equal(socketReceiveBuffer([a, b], undefined, mtu), 50000, 'no policy: only the router share');
  t.equal(socketReceiveBuffer([a], undefined, mtu), undefined, 'nothing: the kernel default');
  t.equal(socketReceiveBuffer([a, b], { policy: 'bytes', bytes: 1000 }, mtu), 51000);
  t.equal(socketReceiveBuffer([a, b], { policy: 'advert' }, mtu), 3 * 36 + 50000, 'default multiplier 3');
  t.equal(socketReceiveBuffer([a, b], { policy: 'mtu', multiplier: 2 }, mtu), 18000 + 50000);
});

t.test('the JSON settings are checked, naming the field', async (t) => {
  const routers = [
    { name: 'A', interface: 'eth0', vrid: 1, primaryAddress: '192.0.2.1', virtualAddresses: ['192.0.2.100'] },
  ];
  t.same(checkJsonConfig({ routers, receiveBuffers: { policy: 'mtu', multiplier: 4 } }).engine.receiveBuffers, {
    policy: 'mtu',
    multiplier: 4,
  });
  t.throws(() => checkReceiveBufferPolicy({ policy: 'bytes' }), /receiveBuffers.bytes: must be a whole number/);
  t.throws(
    () => checkReceiveBufferPolicy({ policy: 'mtu', bytes: 5 }),
    /receiveBuffers.bytes: applies to the "bytes" policy only/,
  );
  t.throws(
    () => checkReceiveBufferPolicy({ policy: 'fast' }),
    /receiveBuffers.policy: must be "mtu", "advert" or "bytes"/,
  );
  t.throws(() => checkReceiveBufferPolicy({ policy: 'mtu', multipler: 2 }), /receiveBuffers.multipler/);
  t.throws(
    () => checkJsonConfig({ routers: [{ ...routers[0], receiveBufferBytes: 0 }] }),
    /routers\[0\].receiveBufferBytes: must be a whole number of bytes/,
  );
});
