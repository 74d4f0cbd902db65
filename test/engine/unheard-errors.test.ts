// An 'error' nobody listens for is logged, never lost: an addVips EPERM while the engine reports
// Master must be visible.
import t from 'tap';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { Engine, type EngineLogger } from '../../src/engine/engine.js';
import type { EngineErrorEvent } from '../../src/engine/events.js';
import { fakePorts } from './fake-ports.js';

const owner = buildRouterConfig({
  name: 'VI_1',
  interface: 'eth0',
  vrid: 51,
  priority: 255,
  primaryAddress: '192.0.2.1',
  virtualAddresses: ['192.0.2.100'],
});

function eperm(): Error {
  return Object.assign(new Error('EPERM: operation not permitted, RTM_NEWADDR'), { code: 'EPERM' });
}

function failingAdd(ports: ReturnType<typeof fakePorts>['ports'], how: 'throw' | 'reject') {
  ports.addresses.addVips = () => {
    if (how === 'throw') throw eperm();
    return Promise.reject(eperm());
  };
}

for (const how of ['throw', 'reject'] as const) {
  t.test(
    `no 'error' listener: a ${how === 'throw' ? 'thrown' : 'rejected'} addVips EPERM goes to the logger`,
    async (t) => {
      const { ports } = fakePorts();
      failingAdd(ports, how);
      const lines: { object: Record<string, unknown>; message: string | undefined }[] = [];
      const logger: EngineLogger = { error: (object, message) => void lines.push({ object, message }) };
      const engine = new Engine([owner], ports, { logger });
      engine.start();
      await engine.reconfigureRouter('VI_1', owner); // settles after the port work in flight
      await new Promise((resolve) => setImmediate(resolve));
      t.equal(engine.snapshot()[0]!.state, 'Master', 'the engine reports Master');
      t.equal(lines.length, 1, 'one line');
      t.match(lines[0], {
        object: { event: 'error', operation: 'addVips', router: 'VI_1', interface: 'eth0', error: { code: 'EPERM' } },
        message: /^addVips failed \(router VI_1 on eth0\): EPERM/,
      });
      await engine.stop();
    },
  );
}

t.test("with an 'error' listener the event goes there and the logger stays quiet", async (t) => {
  const { ports } = fakePorts();
  failingAdd(ports, 'throw');
  const lines: unknown[] = [];
  const engine = new Engine([owner], ports, { logger: { error: (object) => void lines.push(object) } });
  const errors: EngineErrorEvent[] = [];
  engine.on('error', (event) => errors.push(event));
  engine.start();
  t.match(errors, [{ operation: 'addVips', router: 'VI_1', error: { code: 'EPERM' } }]);
  t.same(lines, []);
  await engine.stop();
});

t.test('without a logger the line goes to console.error', async (t) => {
  const { ports } = fakePorts();
  failingAdd(ports, 'throw');
  const printed: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void printed.push(args);
  t.teardown(() => {
    console.error = original;
  });
  const engine = new Engine([owner], ports);
  engine.start();
  console.error = original;
  t.equal(printed.length, 1);
  t.match(String(printed[0]![0]), /^vrrp-engine: addVips failed \(router VI_1 on eth0\): EPERM/);
  await engine.stop();
});

t.test('start({ signal }): aborting stops the engine; an aborted signal starts nothing', async (t) => {
  const { ports, packets, addresses } = fakePorts();
  const engine = new Engine([owner], ports);
  const controller = new AbortController();
  engine.start({ signal: controller.signal });
  t.equal(engine.running, true);
  controller.abort();
  await engine.stop(); // the same shutdown the abort began
  t.equal(engine.running, false);
  t.match(addresses.calls.at(-1), { op: 'remove', addresses: ['192.0.2.100'] }, 'the abort released the VIP');
  t.equal(packets.closed, true);

  const never = new Engine([owner], fakePorts().ports);
  t.throws(() => never.start({ signal: AbortSignal.abort() }), { name: 'AbortError' });
  t.equal(never.running, false);
});
