// RFC 9568 6.4.3: a Master "MUST accept packets addressed to the IPvX address(es) associated with the
// virtual router if it is the IPvX address owner or if Accept_Mode is True". The owner's VIPs are its
// own addresses: they take traffic with Accept_Mode off too (keepalived exempts the owner as well).
import t from 'tap';
import { acceptModeInEffect } from '../../src/core/virtual-router.js';
import { Scenario, ofKind, startup, timeout, v2Config, v6Config } from './scenario.js';

t.test(
  'the address owner adds its VIPs accepting traffic even with Accept_Mode off; others follow Accept_Mode',
  async (t) => {
    for (const [name, config] of [
      ['IPv4', v2Config({ priority: 255, acceptMode: false })],
      ['IPv6', v6Config({ priority: 255, acceptMode: false })],
    ] as const) {
      const s = new Scenario(config);
      t.match(ofKind(s.at(0, startup), 'addVips'), [{ acceptMode: true }], `${name} owner: accept mode in effect`);
    }
    const backup = new Scenario(v2Config({ priority: 254, acceptMode: false }));
    backup.at(0, startup);
    t.match(
      ofKind(backup.at(3609.375, timeout), 'addVips'),
      [{ acceptMode: false }],
      'priority 254 with Accept_Mode off: its VIPs drop traffic',
    );
    t.equal(acceptModeInEffect(v2Config({ priority: 100, acceptMode: true })), true, 'Accept_Mode on: accepted');
  },
);

t.test('an owner reconfigured with new VIPs adds them accepting traffic', async (t) => {
  const config = v2Config({ priority: 255, acceptMode: false });
  const s = new Scenario(config);
  s.at(0, startup);
  const actions = s.router.reconfigure({ ...config, virtualAddresses: ['192.0.2.100', '192.0.2.101'] }, 10);
  t.match(ofKind(actions, 'addVips'), [{ addresses: ['192.0.2.101'], acceptMode: true }]);
});
