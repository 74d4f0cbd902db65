// What a log line a sender can cause per packet costs the advert path: an Engine fed adverts from two
// sources taking turns with another address list (one `notice` per advert), with its notices logged
// through logEngineEvents (rate-limited: the JSON is built only for lines written) and, for
// comparison, with a pino line per notice as before the limit. pino writes into a destination that
// keeps nothing, so the figures are the process's own cost, not a reader's.

import pino from 'pino';
import { buildRouterConfig } from '../src/model/router-config.js';
import { Engine } from '../src/engine/engine.js';
import type { EnginePorts } from '../src/engine/ports.js';
import { logEngineEvents, RateLimitedLog } from '../src/daemon/event-log.js';
import { encodeAdvert } from '../src/wire/codec.js';
import { formatRate, measure, printTable, type Measurement } from './harness.js';

const BATCH = 10_000;

function engineWithNotices(): { engine: Engine; feed: (i: number) => void; advance: () => number } {
  let nowMs = 0;
  let onPacket: ((packet: never) => void) | undefined;
  const ports: EnginePorts = {
    time: { nowMs: () => nowMs, setTimer: () => {} },
    packets: { send: () => {}, listen: (listener) => void (onPacket = listener as never), close: () => {} },
    addresses: { addVips: () => {}, removeVips: () => {}, announceVips: () => {} },
  };
  const config = buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    priority: 100,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
  });
  const engine = new Engine([config], ports);
  engine.start();
  const adverts = ['192.0.2.9', '192.0.2.10'].map((source) => ({
    interface: 'eth0',
    payload: encodeAdvert(
      { version: 2, vrid: 51, priority: 200, advertIntervalCs: 100, addresses: ['192.0.2.200'], authType: 0 },
      { family: 4, sourceAddress: source, destinationAddress: '224.0.0.18' },
    ),
    meta: { family: 4 as const, sourceAddress: source, destinationAddress: '224.0.0.18', ttl: 255 },
  }));
  return { engine, feed: (i) => onPacket!(adverts[i % 2] as never), advance: () => (nowMs += 0.01) };
}

function nullPino(): pino.Logger {
  let lines = 0;
  return pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, { write: () => void lines++ });
}

export function runLogBench(): Measurement[] {
  const results: Measurement[] = [];
  {
    const { engine, feed, advance } = engineWithNotices();
    const log = logEngineEvents(engine, nullPino());
    results.push(
      measure('advert with a notice, rate-limited line', BATCH, () => {
        for (let i = 0; i < BATCH; i++) {
          advance();
          feed(i);
        }
      }),
    );
    log.close();
  }
  {
    const { engine, feed, advance } = engineWithNotices();
    const logger = nullPino();
    engine.on('notice', (e) =>
      logger.warn(
        { event: 'notice', router: e.router, interface: e.interface, notice: e.notice, detail: e.detail },
        `${e.router}: ${e.detail}`,
      ),
    );
    results.push(
      measure('advert with a notice, a line each (before)', BATCH, () => {
        for (let i = 0; i < BATCH; i++) {
          advance();
          feed(i);
        }
      }),
    );
  }
  {
    const log = new RateLimitedLog(nullPino(), { nowMs: () => 0 });
    log.write('k', 'warn', () => [{}, 'first']);
    results.push(
      measure('RateLimitedLog.write, held back', BATCH, () => {
        for (let i = 0; i < BATCH; i++) log.write('k', 'warn', () => [{}, 'held']);
      }),
    );
    log.close();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printTable(
    'Log lines on the advert path',
    runLogBench().map((m) => [m.name, formatRate(m.perSecond)]),
    ['operation', 'rate'],
  );
}
