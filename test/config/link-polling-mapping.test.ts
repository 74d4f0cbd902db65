// linkbeat_interfaces and linkbeat_use_polling (top level and in an instance) as the keepalived.conf
// reader maps them to the runtime's polledLinks, interface -> type (src/config/keepalived/link-polling.ts); the JSON
// form's checks (checkPolledLinks).
import t from 'tap';
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { checkPolledLinks } from '../../src/model/link-polling.js';

const INSTANCE = (name: string, vrid: number, iface: string, extra = '') =>
  `vrrp_instance ${name} {\ninterface ${iface}\nvirtual_router_id ${vrid}\nvirtual_ipaddress {\n192.0.2.${vrid}/24\n}\n${extra}}\n`;

function read(text: string) {
  const { input, diagnostics } = parseKeepalivedConfig(text, 'k.conf');
  const warnings = diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.line}: ${d.message}`);
  return { polled: input.polledLinks, warnings };
}

t.test('linkbeat_interfaces: each interface polled with its type; a bad type warned, auto', async (t) => {
  const { polled, warnings } = read(
    `linkbeat_interfaces {\neth1 MII\neth2 ETHTOOL\neth3 IOCTL\neth4\neth5 FOO\neth6 MII x\n}\n${INSTANCE('VI_1', 1, 'eth0')}`,
  );
  t.same(polled, { eth1: 'mii', eth2: 'ethtool', eth3: 'ioctl', eth4: 'auto', eth5: 'auto', eth6: 'mii' });
  t.same(warnings.length, 2);
  t.match(warnings[0], /^6: linkbeat_interfaces: eth5: the type is MII, ETHTOOL or IOCTL; "FOO" is ignored/);
  t.match(warnings[1], /^7: linkbeat_interfaces: eth6: .*the words after it are ignored/);
});

t.test('a later line wins; linkbeat_use_polling keeps a listed type', async (t) => {
  const { polled } = read(
    `linkbeat_interfaces {\neth0 MII\neth0 ETHTOOL\n}\nlinkbeat_use_polling\n${INSTANCE('VI_1', 1, 'eth0')}${INSTANCE('VI_2', 2, 'eth1')}`,
  );
  t.same(polled, { eth0: 'ethtool', eth1: 'auto' });
});

t.test('absent: no polledLinks (rtnetlink only, as before)', async (t) => {
  t.equal(read(INSTANCE('VI_1', 1, 'eth0')).polled, undefined);
});

t.test('linkbeat_use_polling at the top level: every instance interface but a VMAC one', async (t) => {
  const { polled } = read(
    `linkbeat_use_polling\n${INSTANCE('VI_1', 1, 'eth0')}${INSTANCE('VI_2', 2, 'eth1', 'use_vmac\n')}${INSTANCE('VI_3', 3, 'eth2')}`,
  );
  t.same(polled, { eth0: 'auto', eth2: 'auto' });
});

t.test('linkbeat_use_polling in an instance: deprecated (warned), its interface polled unless a VMAC', async (t) => {
  const { polled, warnings } = read(
    `${INSTANCE('VI_1', 1, 'eth0', 'linkbeat_use_polling\n')}${INSTANCE('VI_2', 2, 'eth1', 'use_vmac\nlinkbeat_use_polling\n')}`,
  );
  t.same(polled, { eth0: 'auto' });
  t.match(warnings, [/^7: linkbeat_use_polling in a vrrp_instance is deprecated/, /^16: .*deprecated/]);
});

t.test('a bad interface name is an error', async (t) => {
  t.throws(
    () => parseKeepalivedConfig(`linkbeat_interfaces {\na/b\n}\n${INSTANCE('VI_1', 1, 'eth0')}`, 'k.conf'),
    KeepalivedConfigError,
  );
});

t.test('JSON polledLinks: interface name -> how it is read', async (t) => {
  checkPolledLinks({ eth0: 'auto', 'bond0.100': 'mii', eth1: 'ethtool', eth2: 'ioctl' });
  t.throws(() => checkPolledLinks(['eth0']), /polledLinks: must be an object/);
  t.throws(() => checkPolledLinks({ eth0: 'MII' }), /polledLinks\.eth0: must be "auto", "mii"/);
  t.throws(() => checkPolledLinks({ eth0: true }), /polledLinks\.eth0/);
  t.throws(() => checkPolledLinks({ 'a b': 'auto' }), /not an interface name/);
});
