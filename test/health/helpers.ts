// Shared pieces of the health tests: an engine on hand-driven ports, a logger that keeps its lines,
// a scratch directory removed afterwards.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRouterConfig, type RouterConfigInput } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import type { RuntimeLogger } from '../../src/model/logger.js';
import { encodeAdvert } from '../../src/wire/codec.js';
import { fakePorts } from '../engine/fake-ports.js';

export { eventually, sleep } from '../linux/runner-process.js';

export function routerConfig(overrides: Partial<RouterConfigInput> = {}) {
  return buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
    ...overrides,
  });
}

export function engineWith(routers: readonly Partial<RouterConfigInput>[]) {
  const ports = fakePorts();
  const engine = new Engine(
    routers.map((overrides) => routerConfig(overrides)),
    ports.ports,
  );
  return { engine, ...ports };
}

/** An advert from another router on eth0, through the real codec. */
export function peerAdvert(priority: number, vrid = 51, source = '192.0.2.9', vip = '192.0.2.100') {
  const payload = encodeAdvert(
    { version: 2, vrid, priority, advertIntervalCs: 100, addresses: [vip], authType: 0 },
    { family: 4, sourceAddress: source, destinationAddress: '224.0.0.18' },
  );
  return {
    interface: 'eth0',
    payload,
    meta: { family: 4 as const, sourceAddress: source, destinationAddress: '224.0.0.18', ttl: 255 },
  };
}

export interface LogRecord {
  readonly level: string;
  readonly object: Record<string, unknown>;
  readonly message: string | undefined;
}

export function recordingLogger(): RuntimeLogger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at = (level: string) => (object: Record<string, unknown>, message?: string) =>
    void records.push({ level, object, message });
  return { records, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A fresh directory, removed when the test ends. */
export async function scratchDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vrrp-health-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
