// Codec throughput: decode, decode + receive checks, and encode, on one core (Node runs this on one
// thread). Target from the foundation issue: decode + validate >= 5 million packets/s.

import { buildRouterConfig } from '../src/model/router-config.js';
import { receivedAdvert } from '../src/core/demux.js';
import { validateAdvert } from '../src/core/validate.js';
import { decodeAdvert, encodeAdvert } from '../src/wire/codec.js';
import type { PacketMeta } from '../src/wire/types.js';
import { formatRate, measure, printTable, type Measurement } from './harness.js';

const BATCH = 10_000;

interface Case {
  readonly label: string;
  readonly version: 2 | 3;
  readonly family: 4 | 6;
  readonly source: string;
  readonly group: string;
  readonly vip: string;
}

const cases: Case[] = [
  { label: 'v2 IPv4, 1 VIP', version: 2, family: 4, source: '192.0.2.1', group: '224.0.0.18', vip: '192.0.2.100' },
  { label: 'v3 IPv4, 1 VIP', version: 3, family: 4, source: '192.0.2.1', group: '224.0.0.18', vip: '192.0.2.100' },
  { label: 'v3 IPv6, 1 VIP', version: 3, family: 6, source: 'fe80::1', group: 'ff02::12', vip: '2001:db8::100' },
];

export function runCodecBench(): Measurement[] {
  const results: Measurement[] = [];
  for (const c of cases) {
    const config = buildRouterConfig({
      name: 'bench',
      interface: 'eth0',
      vrid: 51,
      version: c.version,
      primaryAddress: c.family === 4 ? '192.0.2.2' : 'fe80::2',
      virtualAddresses: [c.vip],
    });
    const meta: PacketMeta = { family: c.family, sourceAddress: c.source, destinationAddress: c.group, ttl: 255 };
    const bytes = encodeAdvert(
      { version: c.version, vrid: 51, priority: 150, advertIntervalCs: 100, addresses: [c.vip] },
      { family: c.family, sourceAddress: c.source, destinationAddress: c.group },
    );
    const out = new Uint8Array(bytes.length);
    let accepted = 0;

    results.push(
      measure(`decode ${c.label}`, BATCH, () => {
        for (let i = 0; i < BATCH; i++) if (decodeAdvert(bytes, meta).ok) accepted++;
      }),
    );
    results.push(
      measure(`decode + validate ${c.label}`, BATCH, () => {
        for (let i = 0; i < BATCH; i++) {
          const decoded = decodeAdvert(bytes, meta);
          if (!decoded.ok) continue;
          const received = receivedAdvert(decoded.advert, meta);
          if (validateAdvert(received, config) === undefined) accepted++;
        }
      }),
    );
    results.push(
      measure(`encode ${c.label}`, BATCH, () => {
        for (let i = 0; i < BATCH; i++) {
          encodeAdvert(
            { version: c.version, vrid: 51, priority: 150, advertIntervalCs: 100, addresses: [c.vip] },
            { family: c.family, sourceAddress: c.source, destinationAddress: c.group },
            out,
          );
        }
      }),
    );
    if (accepted === 0) throw new Error(`benchmark packets for ${c.label} were all rejected`);
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = runCodecBench().map((m) => [m.name, formatRate(m.perSecond)]);
  printTable('Codec (one core)', rows, ['operation', 'rate']);
}
