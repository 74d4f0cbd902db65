// vrrpd's settings that belong to no instance reach the runtime on start and reload: runtimeSettings
// picks them (and only the static routes, rules and addresses) from a loaded input, and engineInput
// puts them beside the instances' routers, VIPs, routes and rules.
import t from 'tap';
import { engineInput, runtimeSettings, type InstanceInput } from '../../src/cli/instances.js';
import type { LinuxEngineInput } from '../../src/model/runtime-input.js';

const router = { name: 'VI_1', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100'] };
const ownRoute = { router: 'VI_1', destination: '198.51.100.0/24', gateway: '192.0.2.1' };
const staticRoute = { destination: '203.0.113.0/24', gateway: '192.0.2.1' };

t.test('runtimeSettings keeps every process-wide setting and only the static entries', async (t) => {
  const input = {
    routers: [router],
    scheduling: { realtimePriority: 50 },
    receiveBuffers: { policy: 'mtu', multiplier: 4 },
    nftables: { table: 'keepalived' },
    splitBrain: { detect: false },
    announceSpacing: { arpIntervalMs: 50 },
    routes: [ownRoute, staticRoute],
  } as unknown as LinuxEngineInput;
  const settings = runtimeSettings(input);
  t.same(settings.splitBrain, { detect: false }, 'splitBrain (a vrrpd .json file) is kept');
  t.same(settings.receiveBuffers, { policy: 'mtu', multiplier: 4 });
  t.same(settings.nftables, { table: 'keepalived' });
  t.same(settings.scheduling, { realtimePriority: 50 });
  t.same(settings.routes, [staticRoute], 'the static route only: the instance brings its own');
  const instances = [{ router, vips: [], routes: [ownRoute] }] as unknown as InstanceInput[];
  const built = engineInput(instances, settings);
  t.same(built.routes, [ownRoute, staticRoute], 'each route once');
  t.same(built.splitBrain, { detect: false });
  t.same(built.receiveBuffers, { policy: 'mtu', multiplier: 4 });
});
