// checkRoutesInput: the JSON configuration's routes, rules and staticAddresses, each mistake named by
// its field, as the keepalived.conf reader would refuse the same entry.
import t from 'tap';
import { ConfigError } from '../../src/model/config-error.js';
import { checkRoutesInput, routeFamily, ruleFamily } from '../../src/model/routes.js';

const routers = [{ name: 'VI_1' }];

function fieldOf(input: Record<string, unknown>): string | undefined {
  try {
    checkRoutesInput({ routers, ...input });
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.field;
  }
}

t.test('good entries pass', async (t) => {
  t.equal(
    fieldOf({
      routes: [
        { router: 'VI_1', to: '198.51.100.0/24', via: '192.0.2.254', dev: 'eth0', table: 100, metrics: { mtu: 1400 } },
        { to: 'default', type: 'blackhole', family: 6 },
      ],
      rules: [
        { router: 'VI_1', from: '192.0.2.51', table: 100, priority: 100 },
        { action: 'goto', goto: 300, priority: 200, fwmark: 1, sport: [1, 2] },
      ],
      staticAddresses: [{ interface: 'eth0', address: '203.0.113.7', prefixLength: 24, label: 'eth0:s' }],
    }),
    undefined,
  );
});

t.test('each mistake names its field', async (t) => {
  const cases: readonly [Record<string, unknown>, string][] = [
    [{ routes: {} }, 'routes'],
    [{ routes: [{ to: '198.51.100.0/24', colour: 1 }] }, 'routes[0].colour'],
    [{ routes: [{ router: 'VI_9', to: '198.51.100.0/24' }] }, 'routes[0].router'],
    [{ routes: [{ to: '198.51.100.0/33' }] }, 'routes[0].to'],
    [{ routes: [{ to: '198.51.100.0/24', via: '2001:db8::1' }] }, 'routes[0].via'],
    [{ routes: [{ to: '198.51.100.0/24', from: '192.0.2.0/24' }] }, 'routes[0].from'],
    [{ routes: [{ to: '198.51.100.0/24', dev: 'a-very-long-interface' }] }, 'routes[0].dev'],
    [{ routes: [{ to: '198.51.100.0/24', table: 0 }] }, 'routes[0].table'],
    [{ routes: [{ to: '198.51.100.0/24', type: 'teleport' }] }, 'routes[0].type'],
    [{ routes: [{ to: '198.51.100.0/24', metrics: { warp: 1 } }] }, 'routes[0].metrics.warp'],
    [{ routes: [{ to: '198.51.100.0/24', mode: 'replace' }] }, 'routes[0].mode'],
    [{ rules: [{ table: 100 }] }, 'rules[0].priority'],
    [{ rules: [{ priority: 1 }] }, 'rules[0].action'],
    [{ rules: [{ priority: 5, action: 'goto', goto: 5 }] }, 'rules[0].goto'],
    [{ rules: [{ priority: 5, action: 'nop', table: 5 }] }, 'rules[0].table'],
    [{ rules: [{ priority: 5, table: 5, fwmask: 1 }] }, 'rules[0].fwmask'],
    [{ rules: [{ priority: 5, table: 5, sport: [9, 1] }] }, 'rules[0].sport'],
    [{ rules: [{ priority: 5, table: 5, from: '192.0.2.0/24', to: '2001:db8::/32' }] }, 'rules[0].to'],
    [{ staticAddresses: [{ interface: 'eth0', address: '203.0.113.7/24' }] }, 'staticAddresses[0].address'],
    [{ staticAddresses: [{ interface: 'eth0', address: '203.0.113.7', label: 'eth1:x' }] }, 'staticAddresses[0].label'],
    [
      { staticAddresses: [{ interface: 'eth0', address: '203.0.113.7', preferredLifetime: 0 }] },
      'staticAddresses[0].preferredLifetime',
    ],
  ];
  for (const [input, field] of cases) t.equal(fieldOf(input), field, `${JSON.stringify(input)}: ${field}`);
});

t.test('families: told from the addresses, 4 when none says', async (t) => {
  t.equal(routeFamily({ to: 'default' }), 4);
  t.equal(routeFamily({ to: 'default', via: 'fe80::1' }), 6);
  t.equal(routeFamily({ to: 'default', family: 6 }), 6);
  t.equal(ruleFamily({ priority: 1, table: 1 }), 4);
  t.equal(ruleFamily({ priority: 1, table: 1, to: '2001:db8::/32' }), 6);
});

t.test('bin/vrrp-engine JSON: routes, rules and staticAddresses are keys of the file', async (t) => {
  const { checkJsonConfig } = await import('../../src/cli/json-config.js');
  const config = checkJsonConfig({
    routers: [{ name: 'VI_1', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.51'] }],
    routes: [{ router: 'VI_1', to: '198.51.100.0/24', via: '192.0.2.254', dev: 'eth0' }],
    rules: [{ router: 'VI_1', from: '192.0.2.51', table: 100, priority: 100 }],
    staticAddresses: [{ interface: 'eth0', address: '203.0.113.1' }],
  });
  t.equal(config.engine.routes?.length, 1);
  t.equal(config.engine.rules?.length, 1);
  t.equal(config.engine.staticAddresses?.length, 1);
  let field: string | undefined;
  try {
    checkJsonConfig({
      routers: [{ name: 'VI_1', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.51'] }],
      routes: [{ router: 'VI_2', to: '198.51.100.0/24' }],
    });
  } catch (error) {
    if (error instanceof ConfigError) field = error.field;
  }
  t.equal(field, 'routes[0].router', 'a route naming no router is refused by the runner as by vrrpd -t');
});
