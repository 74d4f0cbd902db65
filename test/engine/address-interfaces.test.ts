// The engine sends each address's add / remove / announce to the interface it lives on (keepalived
// `dev`, addressInterfaces), the router's own first, and puts excluded addresses
// (virtual_ipaddress_excluded) through the address port but never into an advert.
import t from 'tap';
import { buildRouterConfig, type RouterConfigInput } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import type { VipsEvent } from '../../src/engine/events.js';
import type { VipOptions } from '../../src/engine/ports.js';
import { fakePorts, RecordingAddresses } from './fake-ports.js';

function owner(overrides: Partial<RouterConfigInput> = {}) {
  return buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    priority: 255,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100', '192.0.2.101'],
    excludedAddresses: ['2001:db8::200', '198.51.100.7'],
    addressInterfaces: { '192.0.2.101': 'eth1', '198.51.100.7': 'eth1' },
    ...overrides,
  });
}

t.test(
  'a Master adds, announces and removes each address on its own interface; the advert lists the VIPs only',
  async (t) => {
    const { ports, packets, addresses } = fakePorts();
    const engine = new Engine([owner()], ports);
    const added: VipsEvent[] = [];
    engine.on('vipsAdded', (event) => added.push(event));
    engine.start();
    t.match(addresses.calls, [
      { op: 'add', iface: 'eth0', addresses: ['192.0.2.100', '2001:db8::200'] },
      { op: 'add', iface: 'eth1', addresses: ['192.0.2.101', '198.51.100.7'] },
      { op: 'announce', iface: 'eth0', addresses: ['192.0.2.100', '2001:db8::200'], count: 5 },
      { op: 'announce', iface: 'eth1', addresses: ['192.0.2.101', '198.51.100.7'], count: 5 },
    ]);
    t.match(added, [
      { interface: 'eth0', addresses: ['192.0.2.100', '2001:db8::200'] },
      { interface: 'eth1', addresses: ['192.0.2.101', '198.51.100.7'] },
    ]);
    t.equal(packets.sent.length, 1);
    const advert = packets.sent[0]!;
    t.equal(advert.interface, 'eth0', 'adverts go out on the router interface only');
    t.equal(advert.payload[3], 2, 'address count: the two VIPs');
    t.same(
      [...advert.payload.subarray(8, 16)],
      [192, 0, 2, 100, 192, 0, 2, 101],
      'the VIPs, wherever they live; no excluded address',
    );
    addresses.calls.length = 0;
    await engine.stop();
    t.match(addresses.calls, [
      { op: 'remove', iface: 'eth0', addresses: ['192.0.2.100', '2001:db8::200'] },
      { op: 'remove', iface: 'eth1', addresses: ['192.0.2.101', '198.51.100.7'] },
    ]);
  },
);

t.test('without addresses elsewhere there is one call per operation, on the router interface', async (t) => {
  const { ports, addresses } = fakePorts();
  const engine = new Engine([owner({ addressInterfaces: {} })], ports);
  engine.start();
  t.match(addresses.calls, [
    { op: 'add', iface: 'eth0', addresses: ['192.0.2.100', '192.0.2.101', '2001:db8::200', '198.51.100.7'] },
    { op: 'announce', iface: 'eth0', addresses: ['192.0.2.100', '192.0.2.101', '2001:db8::200', '198.51.100.7'] },
  ]);
  t.equal(addresses.calls.length, 2);
  await engine.stop();
});

t.test(
  'reconfigure: an address moved to another interface is removed where it was and added where it goes',
  async (t) => {
    const { ports, addresses } = fakePorts();
    const engine = new Engine([owner()], ports);
    engine.start();
    addresses.calls.length = 0;
    await engine.reconfigureRouter(
      'VI_1',
      owner({ addressInterfaces: { '192.0.2.101': 'eth2', '198.51.100.7': 'eth1' } }),
    );
    t.match(addresses.calls, [
      { op: 'remove', iface: 'eth1', addresses: ['192.0.2.101'] },
      { op: 'add', iface: 'eth2', addresses: ['192.0.2.101'] },
      { op: 'announce', iface: 'eth2', addresses: ['192.0.2.101'] },
    ]);
    t.equal(addresses.calls.length, 3);
    await engine.stop();
  },
);

/** Adds that finish only when the test says so; announcements are recorded as they are made. */
class SlowAddresses extends RecordingAddresses {
  readonly finish: (() => void)[] = [];
  override addVips(iface: string, list: readonly string[], options: VipOptions): Promise<void> {
    super.addVips(iface, list, options);
    return new Promise((resolve) => this.finish.push(resolve));
  }
}

t.test('the announcements wait until the adds on every interface are done', async (t) => {
  const { ports } = fakePorts();
  const addresses = new SlowAddresses();
  const engine = new Engine([owner()], { ...ports, addresses });
  engine.start();
  t.equal(addresses.finish.length, 2, 'one add per interface');
  addresses.finish[0]!();
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(
    addresses.calls.some((c) => c.op === 'announce'),
    'eth1 still adding: nothing announced',
  );
  addresses.finish[1]!();
  await new Promise((resolve) => setImmediate(resolve));
  t.match(
    addresses.calls.filter((c) => c.op === 'announce'),
    [{ iface: 'eth0' }, { iface: 'eth1' }],
  );
  await engine.stop();
});
