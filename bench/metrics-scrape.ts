// What a /metrics scrape costs the event loop that runs the routers (the "advert thread": timers, adverts
// and state changes all wait while a scrape is being rendered), with 255 routers. The status listener
// runs in this process on 127.0.0.1; the HTTP clients run in a worker thread, so their own work is not
// counted. Event-loop busy time comes from performance.eventLoopUtilization() over each run.
//
//   npx tsc -p . && node dist/bench/metrics-scrape.js [--requests 2000] [--concurrency 1,32]
//
// Printed per scenario: event-loop busy µs per request (the figure that matters: time no advert can be
// sent), requests per second, the size of the /metrics body, and how many renders the run caused with
// the time spent getting the metrics per render (rendering and encoding; the rest is HTTP). /metrics runs twice: rendered for
// every request (cache 0 ms: the cost of one scrape) and as served (cache 1000 ms: a scrape flood).

import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { buildRouterConfig } from '../src/model/router-config.js';
import { Engine } from '../src/engine/engine.js';
import { createEngineMetrics, DEFAULT_METRICS_MAX_AGE_MS } from '../src/metrics/engine-metrics.js';
import { startStatusServer } from '../src/openshift/status-http.js';
import { encodeAdvert } from '../src/wire/codec.js';
import { fakePorts } from '../test/engine/fake-ports.js';
import { printTable } from './harness.js';

const VRIDS = 255;

/** 255 routers that have run a while: all Master after their down timers, some drops counted. */
function busyEngine(): Engine {
  const { ports, clock, packets } = fakePorts();
  const routers = Array.from({ length: VRIDS }, (_, i) =>
    buildRouterConfig({
      name: `ipfailover_VIP_${i + 1}`,
      interface: 'eth0',
      vrid: i + 1,
      priority: 100 + (i % 100),
      primaryAddress: '192.0.2.2',
      virtualAddresses: [`198.51.100.${i + 1}`],
    }),
  );
  const engine = new Engine(routers, ports);
  engine.start();
  clock.advanceTo(4_000);
  // A wrong-version advert for every VRID and a few bytes of garbage: drop counters with labels.
  const meta = { family: 4 as const, sourceAddress: '192.0.2.9', destinationAddress: '224.0.0.18', ttl: 64 };
  for (let vrid = 1; vrid <= VRIDS; vrid++) {
    const payload = encodeAdvert(
      { version: 2, vrid, priority: 50, advertIntervalCs: 100, addresses: [`198.51.100.${vrid}`] },
      meta,
    );
    packets.onPacket?.({ interface: 'eth0', payload, meta, receivedAtMs: clock.nowMs() });
  }
  packets.onPacket?.({ interface: 'eth0', payload: Buffer.from([1, 2, 3]), meta, receivedAtMs: clock.nowMs() });
  return engine;
}

// The clients: `concurrency` keep-alive connections, `requests` GETs in all; posts when done.
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { port, path, requests, concurrency } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let started = 0, done = 0, failed = 0;
function one() {
  if (started >= requests) return;
  started++;
  http.get({ host: '127.0.0.1', port, path, agent }, (response) => {
    if (response.statusCode !== 200) failed++;
    response.resume();
    response.on('end', () => { done++; if (done === requests) { agent.destroy(); parentPort.postMessage({ failed }); } else one(); });
  }).on('error', () => { failed++; done++; if (done === requests) parentPort.postMessage({ failed }); else one(); });
}
for (let i = 0; i < concurrency; i++) one();
`;

function runClients(port: number, path: string, requests: number, concurrency: number): Promise<{ failed: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT, { eval: true, workerData: { port, path, requests, concurrency } });
    worker.once('message', (message: { failed: number }) => {
      void worker.terminate();
      resolve(message);
    });
    worker.once('error', reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { requests: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '1,32' } },
  });
  const requests = Number(values.requests);
  const concurrencies = values.concurrency.split(',').map(Number);
  const engine = busyEngine();
  const rows: string[][] = [];
  let bodyBytes = 0;
  for (const [path, maxAgeMs] of [
    ['/healthz', DEFAULT_METRICS_MAX_AGE_MS],
    ['/metrics', 0],
    ['/metrics', DEFAULT_METRICS_MAX_AGE_MS],
  ] as const) {
    const metrics = createEngineMetrics(engine, { maxAgeMs });
    bodyBytes = Buffer.byteLength(metrics.text());
    let inMetricsMs = 0;
    const timedBytes = () => {
      const startMs = performance.now();
      const bytes = metrics.bytes();
      inMetricsMs += performance.now() - startMs;
      return bytes;
    };
    const server = await startStatusServer(
      { snapshot: () => engine.snapshot(), metrics: timedBytes },
      { port: 0, address: '127.0.0.1', limits: { maxConnections: 1_000 }, onError: (error) => console.error(error) },
    );
    for (const concurrency of concurrencies) {
      await runClients(server.port, path, Math.min(200, requests), concurrency); // warm-up
      const rendersBefore = metrics.renders;
      inMetricsMs = 0;
      const before = performance.eventLoopUtilization();
      const startMs = performance.now();
      const { failed } = await runClients(server.port, path, requests, concurrency);
      const elapsedMs = performance.now() - startMs;
      const busyMs = performance.eventLoopUtilization(before).active;
      const renders = metrics.renders - rendersBefore;
      const perRender =
        path === '/metrics' ? [String(renders), ((inMetricsMs * 1000) / renders).toFixed(0)] : ['-', '-'];
      rows.push([
        path,
        `${maxAgeMs} ms`,
        String(concurrency),
        String(requests),
        String(failed),
        ...perRender,
        ((busyMs * 1000) / requests).toFixed(1),
        ((requests * 1000) / elapsedMs).toFixed(0),
      ]);
    }
    await server.close();
    metrics.close();
  }
  printTable(`status listener, ${VRIDS} routers, /metrics body ${bodyBytes} bytes`, rows, [
    'path',
    'metrics cache',
    'connections',
    'requests',
    'failed',
    'renders',
    'µs in metrics per render',
    'loop busy µs/request',
    'requests/s',
  ]);
}

await main();
