// Which interface holds each of a router's addresses: its own, or the one its configuration names
// (keepalived `dev`); the core, the engine and the daemon all ask src/core/address-placement.ts.
import t from 'tap';
import {
  addressesByInterface,
  addressInterface,
  ownedAddresses,
  ownsAddress,
  placement,
} from '../../src/core/address-placement.js';
import { buildRouterConfig } from '../../src/model/router-config.js';

const plain = buildRouterConfig({
  name: 'r1',
  interface: 'veth0',
  vrid: 1,
  primaryAddress: '192.0.2.1',
  virtualAddresses: ['192.0.2.100', '192.0.2.101'],
});
const spread = buildRouterConfig({
  name: 'r2',
  interface: 'veth0',
  vrid: 2,
  primaryAddress: '192.0.2.1',
  virtualAddresses: ['192.0.2.100', '198.51.100.7'],
  excludedAddresses: ['2001:db8::1'],
  addressInterfaces: { '198.51.100.7': 'veth1', '2001:db8::1': 'veth2' },
});

t.test('owned addresses: the VIPs, then the excluded ones', async (t) => {
  t.same(ownedAddresses(plain), ['192.0.2.100', '192.0.2.101']);
  t.same(ownedAddresses(spread), ['192.0.2.100', '198.51.100.7', '2001:db8::1']);
  t.ok(ownsAddress(spread, '2001:db8::1'));
  t.notOk(ownsAddress(spread, '192.0.2.1'), 'the primary address is not a VIP');
});

t.test("an address's interface: its dev, else the router's; none for an address not the router's", async (t) => {
  t.equal(addressInterface(spread, '192.0.2.100'), 'veth0');
  t.equal(addressInterface(spread, '198.51.100.7'), 'veth1');
  t.equal(addressInterface(spread, '2001:db8::1'), 'veth2');
  t.equal(addressInterface(spread, '203.0.113.9'), undefined);
  t.equal(addressInterface(plain, 'constructor'), undefined, 'a name on Object.prototype is not an address');
  t.equal(placement(spread, '198.51.100.7'), 'veth1 198.51.100.7');
});

t.test("grouped by interface: the router's own first and always there", async (t) => {
  t.same([...addressesByInterface(plain)], [['veth0', ['192.0.2.100', '192.0.2.101']]]);
  t.same(
    [...addressesByInterface(spread)],
    [
      ['veth0', ['192.0.2.100']],
      ['veth1', ['198.51.100.7']],
      ['veth2', ['2001:db8::1']],
    ],
  );
  t.same(
    [...addressesByInterface(spread, ['198.51.100.7'])],
    [
      ['veth0', []],
      ['veth1', ['198.51.100.7']],
    ],
  );
});
