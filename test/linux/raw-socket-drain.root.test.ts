// LinuxPacketPort.drain is bounded by time as well as by count: a flood that refills the socket as
// fast as it is read cannot hold a Backup's deadline back. Two ports on vb each get their own copy of
// 1,000 adverts sent from va while the child does not return to its event loop (so nothing is read
// behind the test's back): the port with a zero budget reads one batch per drain and leaves the rest
// queued; the one with a budget to spare reads everything in one drain. A veth pair in a namespace
// of its own; no timing is asserted.

import t from 'tap';
import { namespaceSkipReason, TestNamespace, vethSocketsModule } from './netns-harness.js';

const childScript = `${vethSocketsModule(53, ["import { LinuxPacketPort } from './linux/packet-port.js';", "import { buildRouterConfig } from './model/router-config.js';"])}
const config = buildRouterConfig({ name: 'VI_53', interface: 'vb', vrid: 53, version: 3, primaryAddress: '192.0.2.2', virtualAddresses: ['192.0.2.100'] });
const ports = { tight: new LinuxPacketPort([config], { drainBudgetMs: 0 }), ample: new LinuxPacketPort([config], { drainBudgetMs: 60_000 }) };
const delivered = { tight: 0, ample: 0 };
for (const [name, port] of Object.entries(ports)) {
  port.open();
  port.listen(() => delivered[name]++);
}
for (let i = 0; i < 10; i++) sender.send(Array.from({ length: 100 }, () => advert(100)));
// Blocks this thread (no event loop turn) while the veth pair delivers.
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
const steps = [];
for (const name of ['tight', 'tight', 'ample']) {
  ports[name].drain();
  steps.push({ name, delivered: delivered[name] });
}
console.log(JSON.stringify({ steps }));
process.exit(0);
`;

const skip = namespaceSkipReason();
t.test(
  'packet port drain: at least one batch per socket, then stops at its time budget',
  { skip: skip ?? false },
  async (t) => {
    const ns = new TestNamespace('drn');
    t.teardown(() => ns.remove());
    ns.addressPair();
    const run = ns.runModule(childScript);
    t.equal(run.status, 0, run.stderr);
    const out = run.result as { steps: { name: string; delivered: number }[] };
    t.strictSame(
      out.steps,
      [
        { name: 'tight', delivered: 256 },
        { name: 'tight', delivered: 512 },
        { name: 'ample', delivered: 1000 },
      ],
      'a zero budget reads one wake-up (256) per drain; an ample one reads all 1,000 in one drain',
    );
  },
);
