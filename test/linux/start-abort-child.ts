// Child side of test/linux/start-abort.root.test.ts, run inside a network namespace: starts an address
// owner (it would be Master at once) and aborts the start straight after calling it. Prints one JSON
// line saying how the start ended, then returns: the process exits by itself only if the aborted
// start left no socket, link watcher or timer open.
import { startLinuxEngine } from '../../src/daemon/runtime.js';

const controller = new AbortController();
const starting = startLinuxEngine(
  { routers: [{ name: 'VI_1', interface: 'va', vrid: 51, priority: 255, virtualAddresses: ['192.0.2.100'] }] },
  { signal: controller.signal },
);
controller.abort(); // after the call's synchronous part: the start is under way
starting.then(
  async (handle) => {
    console.log(JSON.stringify({ outcome: 'started' }));
    await handle.stop();
  },
  (error: Error) => console.log(JSON.stringify({ outcome: 'rejected', name: error.name, message: error.message })),
);
