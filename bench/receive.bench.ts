// Receive path cost per packet (InterfaceDemux.receive: decode, VRID lookup, receive checks), on one
// core, for the packets a hostile sender chooses: well-formed adverts with 255 random IPv4 addresses
// (or 128 IPv6) and a valid checksum that fail a check (VRID not in use, TTL 64, wrong password), next
// to the valid advert of a LAN. The random addresses come from a pool of 4,096 packets, so no cache
// keeps up with them; what a rejected packet costs must not depend on them (issue 10).
// Run: node dist/bench/receive.bench.js

import { buildRouterConfig } from '../src/model/router-config.js';
import { InterfaceDemux } from '../src/core/demux.js';
import { VirtualRouter } from '../src/core/virtual-router.js';
import { encodeAdvert, passwordToAuthData } from '../src/wire/codec.js';
import type { PacketMeta } from '../src/wire/types.js';
import { measure, printTable } from './harness.js';

const POOL = 4096;
const VRID = 51;

/** A deterministic generator, so every run floods with the same addresses. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

function randomIpv4(next: () => number): string {
  const n = next();
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function randomIpv6(next: () => number): string {
  const words: string[] = ['2001', 'db8'];
  for (let i = 0; i < 6; i++) words.push((next() & 0xffff).toString(16));
  return words.join(':');
}

interface Case {
  readonly label: string;
  readonly family: 4 | 6;
  readonly version: 2 | 3;
  readonly vrid: number;
  readonly ttl: number;
  readonly addressCount: number;
  readonly password?: string;
}

const cases: Case[] = [
  { label: 'valid v3 IPv4 advert, 1 VIP', family: 4, version: 3, vrid: VRID, ttl: 255, addressCount: 1 },
  {
    label: 'v3 IPv4, 255 random addresses, VRID not in use',
    family: 4,
    version: 3,
    vrid: 200,
    ttl: 255,
    addressCount: 255,
  },
  {
    label: 'v3 IPv4, 255 random addresses, VRID in use, TTL 64',
    family: 4,
    version: 3,
    vrid: VRID,
    ttl: 64,
    addressCount: 255,
  },
  {
    label: 'v3 IPv4, 255 random addresses, VRID in use, TTL 255 (decoded)',
    family: 4,
    version: 3,
    vrid: VRID,
    ttl: 255,
    addressCount: 255,
  },
  {
    label: 'v2 IPv4, 255 random addresses, wrong password',
    family: 4,
    version: 2,
    vrid: VRID,
    ttl: 255,
    addressCount: 255,
    password: 'intruder',
  },
  {
    label: 'v3 IPv6, 128 random addresses, VRID not in use',
    family: 6,
    version: 3,
    vrid: 200,
    ttl: 255,
    addressCount: 128,
  },
  {
    label: 'v3 IPv6, 128 random addresses, VRID in use, hop limit 64',
    family: 6,
    version: 3,
    vrid: VRID,
    ttl: 64,
    addressCount: 128,
  },
];

function demuxFor(c: Case): { demux: InterfaceDemux; router: VirtualRouter } {
  const config = buildRouterConfig({
    name: 'bench',
    interface: 'eth0',
    vrid: VRID,
    version: c.version,
    priority: 200,
    advertIntervalCs: c.version === 2 ? 100 : 10,
    primaryAddress: c.family === 4 ? '192.0.2.2' : 'fe80::2',
    virtualAddresses: [c.family === 4 ? '198.51.100.51' : '2001:db8::51'],
    ...(c.version === 2 ? { auth: { type: 'pass' as const, password: 'secret' } } : {}),
  });
  const router = new VirtualRouter(config);
  router.handle({ kind: 'startup' }, 0);
  return { demux: new InterfaceDemux('eth0', [router]), router };
}

export function runReceiveBench(): string[][] {
  const rows: string[][] = [];
  for (const c of cases) {
    const next = generator(0x5eed + c.addressCount + c.ttl + c.vrid);
    const meta: PacketMeta = {
      family: c.family,
      sourceAddress: c.family === 4 ? '192.0.2.66' : 'fe80::66',
      destinationAddress: c.family === 4 ? '224.0.0.18' : 'ff02::12',
      ttl: c.ttl,
    };
    const pool: Uint8Array[] = [];
    for (let i = 0; i < (c.addressCount === 1 ? 1 : POOL); i++) {
      const addresses =
        c.addressCount === 1
          ? [c.family === 4 ? '198.51.100.51' : '2001:db8::51']
          : Array.from({ length: c.addressCount }, () => (c.family === 4 ? randomIpv4(next) : randomIpv6(next)));
      pool.push(
        encodeAdvert(
          {
            version: c.version,
            vrid: c.vrid,
            priority: 100,
            advertIntervalCs: c.version === 2 ? 100 : 10,
            addresses,
            ...(c.password !== undefined ? { authType: 1, authData: passwordToAuthData(c.password) } : {}),
          },
          { family: c.family, sourceAddress: meta.sourceAddress, destinationAddress: meta.destinationAddress },
        ),
      );
    }
    const { demux, router } = demuxFor(c);
    let index = 0;
    let nowMs = 0;
    const batch = 1000;
    const result = measure(c.label, batch, () => {
      for (let i = 0; i < batch; i++) {
        demux.receive(pool[index]!, meta, nowMs);
        index = (index + 1) % pool.length;
        nowMs += 0.001;
      }
    });
    const reasons = [...demux.dropCounts].map(([reason, count]) => `${reason} ${count}`);
    const routerReasons = [...router.dropCounts].map(([reason, count]) => `${reason} ${count}`);
    rows.push([c.label, (1e6 / result.perSecond).toFixed(2), [...reasons, ...routerReasons].join(', ') || 'accepted']);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printTable('Receive path per packet (InterfaceDemux.receive, one core)', runReceiveBench(), [
    'packet',
    'µs per packet',
    'counted as',
  ]);
}
