// Engine throughput on one core: how many inputs per second the sans-IO core takes, end to end from
// bytes (decode, demux by VRID, receive checks, state machine) and for timer inputs alone.

import { buildRouterConfig } from '../src/model/router-config.js';
import { InterfaceDemux } from '../src/core/demux.js';
import { VirtualRouter } from '../src/core/virtual-router.js';
import { encodeAdvert } from '../src/wire/codec.js';
import type { PacketMeta } from '../src/wire/types.js';
import { formatRate, measure, printTable, type Measurement } from './harness.js';

const BATCH = 10_000;
const VRIDS = 255;

function backupRouters(version: 2 | 3): VirtualRouter[] {
  const routers: VirtualRouter[] = [];
  for (let vrid = 1; vrid <= VRIDS; vrid++) {
    const router = new VirtualRouter(
      buildRouterConfig({
        name: `VI_${vrid}`,
        interface: 'eth0',
        vrid,
        version,
        priority: 100,
        primaryAddress: '192.0.2.2',
        virtualAddresses: [`198.51.100.${vrid}`],
      }),
    );
    router.handle({ kind: 'startup' }, 0);
    routers.push(router);
  }
  return routers;
}

export function runEngineBench(): Measurement[] {
  const results: Measurement[] = [];
  for (const version of [2, 3] as const) {
    const routers = backupRouters(version);
    const demux = new InterfaceDemux('eth0', routers);
    const meta: PacketMeta = { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18', ttl: 255 };
    // A higher-priority master advertising every VRID: each packet resets one backup's down timer.
    const packets = Array.from({ length: VRIDS }, (_, i) =>
      encodeAdvert(
        { version, vrid: i + 1, priority: 200, advertIntervalCs: 100, addresses: [`198.51.100.${i + 1}`] },
        { family: 4, sourceAddress: meta.sourceAddress, destinationAddress: meta.destinationAddress },
      ),
    );
    let nowMs = 1;
    results.push(
      measure(`v${version} advert in -> backup (decode, demux, checks, state machine)`, BATCH, () => {
        for (let i = 0; i < BATCH; i++) {
          nowMs += 0.004;
          demux.receive(packets[i % VRIDS]!, meta, nowMs);
        }
      }),
    );
    const timerNowMs = nowMs;
    results.push(
      measure(`v${version} timeout input (no deadline due)`, BATCH, () => {
        for (let i = 0; i < BATCH; i++) routers[i % VRIDS]!.handle({ kind: 'timeout' }, timerNowMs);
      }),
    );
    for (const router of routers) {
      if (router.state !== 'Backup') throw new Error(`${router.config.name} left Backup during the benchmark`);
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = runEngineBench().map((m) => [m.name, formatRate(m.perSecond)]);
  printTable('Engine inputs (one core)', rows, ['input', 'rate']);
}
