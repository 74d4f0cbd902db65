// Child side of test/linux/ipvlan.root.test.ts: inside a network namespace, makes the ipvlan of the
// plan given as JSON in argv[2] with the runtime's VmacManager (as a use_ipvlan router's start does),
// reports the outcome as one JSON line ({ ok, code?, message?, logs }), and with `remove` in argv[3]
// removes it again (as the router's stop does).
import type { RuntimeLogger } from '../../src/model/logger.js';
import { MacvlanClient } from '../../src/linux/macvlan.js';
import { RtNetlinkClient } from '../../src/linux/netlink.js';
import { VmacManager, type VmacPlan } from '../../src/linux/vmac.js';
import { errorCode } from '../../src/errors.js';

const logs: string[] = [];
const log = (object: Record<string, unknown>, message?: string) => logs.push(`${String(object.event)}: ${message}`);
const logger: RuntimeLogger = { trace: log, debug: log, info: log, warn: log, error: log };

const plan = JSON.parse(process.argv[2]!) as VmacPlan;
const links = new MacvlanClient();
const addresses = new RtNetlinkClient();
const manager = new VmacManager(links, logger, addresses);
let result: Record<string, unknown>;
try {
  await manager.create(plan);
  if (process.argv[3] === 'remove') await manager.remove(plan);
  result = { ok: true };
} catch (error) {
  result = { ok: false, code: errorCode(error), message: (error as Error).message };
}
links.close();
addresses.close();
process.stdout.write(`${JSON.stringify({ ...result, logs })}\n`);
