// Child side of test/linux/runtime-apply.root.test.ts and test/linux/periodic-adverts.root.serial.test.ts:
// runs startLinuxEngine inside a network namespace and takes commands as JSON lines on stdin
// ({ op: 'start' | 'apply', input } | { op: 'isUp', name } | { op: 'stop' } | { op: 'block', ms } (a busy
// loop on the event loop) | { op: 'record' } (from now, the receive time of every advert accepted) |
// { op: 'receipts' } | { op: 'counters' } | { op: 'applyThenStop', input, holdMs } (an apply whose afterApply
// takes holdMs, and a stop asked for at once; replies with the order they finished in); start's `periodic: false` leaves the sender thread out); writes JSON lines: every log record ({ type: 'log', ... })
// and one reply per command ({ type: 'reply', op, ok, result | error }).

import { createInterface } from 'node:readline';
import type { RuntimeLogger } from '../../src/model/logger.js';
import { LinuxPacketPort } from '../../src/linux/packet-port.js';
import { startLinuxEngine, type LinuxEngineHandle, type LinuxEngineInput } from '../../src/daemon/runtime.js';

type Command =
  | { op: 'start' | 'apply'; input: LinuxEngineInput; periodic?: boolean }
  | { op: 'isUp'; name: string }
  | { op: 'block'; ms: number }
  | { op: 'applyThenStop'; input: LinuxEngineInput; holdMs: number }
  | { op: 'stop' | 'record' | 'receipts' | 'counters' };

const write = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
const log = (level: string) => (object: Record<string, unknown>, message?: string) =>
  write({ type: 'log', level, ...object, msg: message });
const logger: RuntimeLogger = {
  trace: log('trace'),
  debug: log('debug'),
  info: log('info'),
  warn: log('warn'),
  error: log('error'),
};

let handle: LinuxEngineHandle | undefined;
/** Receive times (ms, the engine's clock) of accepted adverts since 'record'. */
const receipts: number[] = [];

async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case 'start':
      // periodic: false, the runtime as before the addon's sender thread (for a benchmark's "before").
      if (command.periodic === false) delete (LinuxPacketPort.prototype as Partial<LinuxPacketPort>).setPeriodic;
      handle = await startLinuxEngine({ ...command.input, logger });
      return { routers: handle.routers.map((r) => r.name) };
    case 'apply': {
      const result = await handle!.apply(command.input);
      return { ...result, failed: result.failed.map((f) => ({ name: f.name, error: f.error.message })) };
    }
    case 'applyThenStop':
      return applyThenStop(handle!, command.input, command.holdMs);
    case 'isUp':
      return handle!.links.isUp(command.name) ?? null;
    case 'stop':
      await handle!.stop();
      return null;
    case 'block': {
      const until = performance.now() + command.ms;
      while (performance.now() < until) {
        // The event loop is blocked, as by a long GC pause or a synchronous call.
      }
      return null;
    }
    case 'record':
      handle!.engine.on('advertReceived', (event) => receipts.push(event.atMs));
      return null;
    case 'receipts':
      return receipts;
    case 'counters':
      return handle!.counters();
  }
}

/** A stop asked for while an apply is queued: it waits for the apply and its afterApply; a later apply is refused. */
async function applyThenStop(runtime: LinuxEngineHandle, input: LinuxEngineInput, holdMs: number): Promise<unknown> {
  const order: string[] = [];
  const applied = runtime.apply(input, {
    afterApply: async (result) => {
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      order.push(`afterApply (removed ${result.removed.join(', ')})`);
    },
  });
  const stopped = runtime.stop().then(() => order.push('stopped'));
  await Promise.all([applied, stopped]);
  const late = await runtime.apply(input).then(
    () => 'applied',
    (error: unknown) => (error as Error).message,
  );
  return { order, late };
}

// One command at a time, in order.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as Command;
  queue = queue.then(async () => {
    try {
      write({ type: 'reply', op: command.op, ok: true, result: await run(command) });
    } catch (error) {
      write({
        type: 'reply',
        op: command.op,
        ok: false,
        error: { name: (error as Error).name, message: (error as Error).message },
      });
    }
    if (command.op === 'stop' || command.op === 'applyThenStop') process.exit(0);
  });
});
