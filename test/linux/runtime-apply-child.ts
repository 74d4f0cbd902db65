// Child side of test/linux/runtime-apply.root.test.ts: runs startLinuxEngine inside a network namespace and
// takes commands as JSON lines on stdin ({ op: 'start' | 'apply', input } | { op: 'isUp', name } |
// { op: 'stop' }); writes JSON lines: every log record ({ type: 'log', ... }) and one reply per
// command ({ type: 'reply', op, ok, result | error }).

import { createInterface } from 'node:readline';
import type { RuntimeLogger } from '../../src/model/logger.js';
import { startLinuxEngine, type LinuxEngineHandle, type LinuxEngineInput } from '../../src/daemon/runtime.js';

type Command = { op: 'start' | 'apply'; input: LinuxEngineInput } | { op: 'isUp'; name: string } | { op: 'stop' };

const write = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
const log = (level: string) => (object: Record<string, unknown>, message?: string) => write({ type: 'log', level, ...object, msg: message });
const logger: RuntimeLogger = { trace: log('trace'), debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };

let handle: LinuxEngineHandle | undefined;

async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case 'start':
      handle = await startLinuxEngine({ ...command.input, logger });
      return { routers: handle.routers.map((r) => r.name) };
    case 'apply': {
      const result = await handle!.apply(command.input);
      return { ...result, failed: result.failed.map((f) => ({ name: f.name, error: f.error.message })) };
    }
    case 'isUp':
      return handle!.links.isUp(command.name) ?? null;
    case 'stop':
      await handle!.stop();
      return null;
  }
}

// One command at a time, in order.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as Command;
  queue = queue.then(async () => {
    try {
      write({ type: 'reply', op: command.op, ok: true, result: await run(command) });
    } catch (error) {
      write({ type: 'reply', op: command.op, ok: false, error: { name: (error as Error).name, message: (error as Error).message } });
    }
    if (command.op === 'stop') process.exit(0);
  });
});
