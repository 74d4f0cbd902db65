// startLinuxEngine({ signal }): an already aborted signal rejects with its reason before anything is
// opened (no socket, no netlink, no helper process), so this needs no root.
import t from 'tap';
import { startLinuxEngine } from '../../src/index.js';

t.test("startLinuxEngine with an aborted signal rejects with the signal's reason", async (t) => {
  const controller = new AbortController();
  const reason = new Error('shutting down before start');
  controller.abort(reason);
  const input = {
    routers: [
      { name: 'VI_1', interface: 'eth0', vrid: 51, primaryAddress: '192.0.2.1', virtualAddresses: ['192.0.2.100'] },
    ],
  };
  await t.rejects(startLinuxEngine(input, { signal: controller.signal }), reason);
  await t.rejects(startLinuxEngine(input, { signal: AbortSignal.abort() }), { name: 'AbortError' });
});
