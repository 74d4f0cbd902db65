// Runs inside a test network namespace (`ip netns exec NS node netlink-child.js`): Node cannot setns,
// so the parent test drives this process instead. Commands arrive as JSON lines on stdin
// ({id, op, args}); each gets one JSON line back ({id, result} or {id, error}); watcher events are
// written as {event, data} lines as they happen.

import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LinuxAddressPort, VipOperationError, type VipSpec } from '../../src/linux/addresses.js';
import { getInterfaceAddresses, getSourceAddresses, LinkWatcher } from '../../src/linux/links.js';
import { RtNetlinkClient, type AddressSpec } from '../../src/linux/netlink.js';

interface Command {
  readonly id: number;
  readonly op: string;
  readonly args: unknown[];
}

const client = new RtNetlinkClient();
const announced: unknown[] = [];
let port: LinuxAddressPort | undefined;
let watcher: LinkWatcher | undefined;

function write(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function describeError(error: unknown): Record<string, unknown> {
  const e = error as Error & { code?: string };
  return {
    name: e.name,
    code: e.code,
    message: e.message,
    failures:
      error instanceof VipOperationError
        ? error.failures.map((f) => ({ address: f.address, code: f.error.code }))
        : undefined,
  };
}

function addressPort(): LinuxAddressPort {
  if (!port) throw Object.assign(new Error('init first'), { code: 'EINVAL' });
  return port;
}

async function startWatcher(recvBufferSize?: number): Promise<string> {
  watcher?.close();
  watcher = await LinkWatcher.start(recvBufferSize === undefined ? {} : { recvBufferSize });
  watcher.on('link', (data) => write({ event: 'link', data }));
  watcher.on('linkRemoved', (data) => write({ event: 'linkRemoved', data }));
  watcher.on('addressAdded', (data) => write({ event: 'addressAdded', data }));
  watcher.on('addressRemoved', (data) => write({ event: 'addressRemoved', data }));
  watcher.on('error', (error) => write({ event: 'error', data: describeError(error) }));
  watcher.on('resynced', () => write({ event: 'resynced', data: {} }));
  return 'watching';
}

async function execute(op: string, args: unknown[]): Promise<unknown> {
  switch (op) {
    case 'init':
      port?.close();
      port = new LinuxAddressPort({
        client,
        vips: args[0] as VipSpec[],
        announce: (iface, addresses, count) => void announced.push({ iface, addresses, count }),
      });
      return 'ready';
    case 'addVips':
      return addressPort().addVips(args[0] as string, args[1] as string[], { acceptMode: true });
    case 'addVipsPresentAtReturn': {
      // Which of the addresses the kernel already holds when addVips returns, before its promise settles.
      const adding = addressPort().addVips(args[0] as string, args[1] as string[], { acceptMode: true });
      const shown = JSON.parse(
        execFileSync('ip', ['-j', 'addr', 'show', 'dev', args[0] as string], { encoding: 'utf8' }),
      ) as {
        addr_info: { local: string }[];
      }[];
      await adding;
      return (args[1] as string[]).filter((address) => shown[0]!.addr_info.some((info) => info.local === address));
    }
    case 'warmUpAdd':
      return addressPort().warmUpAdd(new Map([[args[0] as string, args[1] as string[]]]));
    case 'removeVips':
      return addressPort().removeVips(args[0] as string, args[1] as string[]);
    case 'removeLeftoverVips':
      return addressPort().removeLeftoverVips(args[0] as string, args[1] as string[]);
    case 'announceVips':
      await addressPort().announceVips(args[0] as string, args[1] as string[], args[2] as number);
      return announced;
    case 'listAddresses':
      return addressPort().listAddresses(args[0] as string);
    case 'getLink':
      return client.getLink(args[0] as string);
    case 'interfaceAddresses':
      return getInterfaceAddresses(client, args[0] as string);
    case 'listLinks':
      return client.listLinks();
    case 'addAddress':
      return client.addAddress(args[0] as AddressSpec);
    case 'deleteAddress':
      return client.deleteAddress(args[0] as AddressSpec);
    case 'sources':
      return getSourceAddresses(client, args[0] as string, new Set(args[1] as string[]));
    case 'watch':
      return startWatcher(args[0] as number | undefined);
    case 'watcherCounters':
      return watcher?.counters() ?? null;
    case 'block': {
      // Blocks this process's event loop (a busy loop) after saying so: nothing reads the sockets meanwhile.
      write({ event: 'blocking', data: {} });
      const until = Date.now() + (args[0] as number);
      while (Date.now() < until) {
        // busy
      }
      return 'unblocked';
    }
    case 'isUp':
      return watcher?.isUp(args[0] as string) ?? null;
    case 'exit':
      watcher?.close();
      port?.close();
      client.close();
      setImmediate(() => process.exit(0));
      return 'bye';
    default:
      throw Object.assign(new Error(`unknown op ${op}`), { code: 'EINVAL' });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as Command;
  execute(command.op, command.args).then(
    (result) => write({ id: command.id, result: result ?? null }),
    (error: unknown) => write({ id: command.id, error: describeError(error) }),
  );
});
// The parent closing our stdin (or dying) ends us, so no child outlives a failed test.
process.stdin.on('end', () => process.exit(0));
