// The status listener on 127.0.0.1 against clients that misbehave: only GET/HEAD on its three paths,
// slow or silent senders cut off by the header timeout, idle keep-alive connections closed, connections
// over the cap refused and counted, oversized headers refused; a real engine behind it (test-double ports).

import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import { createEngineMetrics, METRICS_CONTENT_TYPE } from '../../src/metrics/engine-metrics.js';
import { startStatusServer, type StatusLimits, type StatusServer } from '../../src/openshift/status-http.js';
import { fakePorts } from '../engine/fake-ports.js';

async function listener(t: Test, limits: Partial<StatusLimits> = {}) {
  const { ports } = fakePorts();
  const engine = new Engine(
    [
      buildRouterConfig({
        name: 'VI_1',
        interface: 'eth0',
        vrid: 1,
        priority: 100,
        primaryAddress: '192.0.2.2',
        virtualAddresses: ['198.51.100.1'],
      }),
    ],
    ports,
  );
  engine.start();
  const metrics = createEngineMetrics(engine);
  const errors: Error[] = [];
  const refusals: number[] = [];
  const server: StatusServer = await startStatusServer(
    { snapshot: () => engine.snapshot(), metrics: () => metrics.bytes() },
    {
      port: 0,
      address: '127.0.0.1',
      limits,
      onError: (error) => errors.push(error),
      onRefused: (count) => refusals.push(count),
    },
  );
  t.teardown(async () => {
    await server.close();
    metrics.close();
  });
  return { server, errors, refusals };
}

function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw connection: what it receives, and when it was closed (ms after it opened). */
function raw(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const openedAt = Date.now();
    let data = '';
    const socket = connect(port, '127.0.0.1');
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - openedAt)));
    socket.once('error', () => {}); // a reset is a close too
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

t.test('GET and HEAD on the three paths; anything else 404 or 405 and the connection closed', async (t) => {
  const { server, errors } = await listener(t);
  t.match(await get(server.port, '/healthz'), { status: 200, body: 'ok\n' });
  t.match(await get(server.port, '/healthz?probe=1'), { status: 200 }, 'a query is ignored');
  t.match(await get(server.port, '/readyz'), { status: 200, body: 'ready\nVI_1 vrid 1 Backup priority 100\n' });
  const metrics = await get(server.port, '/metrics');
  t.equal(metrics.status, 200);
  t.equal(metrics.headers['content-type'], METRICS_CONTENT_TYPE);
  t.match(metrics.body, /vrrp_instances 1\n/);
  t.match(await get(server.port, '/metrics', 'HEAD'), { status: 200, body: '' }, 'HEAD: headers only');
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']) {
    t.match(
      await get(server.port, '/healthz', method),
      { status: 405, headers: { allow: 'GET, HEAD', connection: 'close' } },
      method,
    );
  }
  for (const path of [
    '/',
    '/healthz/',
    '/HEALTHZ',
    '/metrics/../healthz',
    '//healthz',
    '/%2e%2e/etc/passwd',
    'http://[',
    '*',
  ]) {
    t.match(await get(server.port, path), { status: 404, headers: { connection: 'close' } }, JSON.stringify(path));
  }
  t.same(errors, [], 'no handler error');
});

t.test('a silent or slow sender is cut off by the header timeout', async (t) => {
  const { server } = await listener(t, { headersTimeoutMs: 300, requestTimeoutMs: 300 });
  const silent = await raw(server.port);
  const slow = await raw(server.port);
  slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  const dripping = setInterval(() => slow.socket.write('X-Drip: 1\r\n'), 100);
  t.teardown(() => clearInterval(dripping));
  // The sweep runs every second: closed within the timeout plus one sweep, with a margin.
  t.ok((await silent.closed) < 3_000, 'the silent connection is closed');
  t.ok((await slow.closed) < 3_000, 'the dripping connection is closed');
  t.match(slow.received(), /^HTTP\/1\.1 408 /, 'the slow one is told 408 Request Timeout');
  t.match(await get(server.port, '/healthz'), { status: 200 }, 'the listener still answers');
});

t.test('an idle keep-alive connection is closed after keepAliveTimeoutMs', async (t) => {
  const { server } = await listener(t, { keepAliveTimeoutMs: 200 });
  const client = await raw(server.port);
  client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  const closedAfterMs = await client.closed;
  t.match(client.received(), /^HTTP\/1\.1 200 /);
  t.ok(closedAfterMs < 2_000, `closed after ${closedAfterMs} ms`);
});

t.test('connections over the cap are refused, counted and reported; the listener answers again after', async (t) => {
  const { server, refusals } = await listener(t, {
    maxConnections: 2,
    headersTimeoutMs: 60_000,
    requestTimeoutMs: 60_000,
  });
  const held = [await raw(server.port), await raw(server.port)];
  const over = await Promise.all([raw(server.port), raw(server.port), raw(server.port)]);
  for (const connection of over) t.ok((await connection.closed) < 1_000, 'closed at once');
  t.equal(server.refused, 3);
  t.same(refusals, [1], 'the first refusal is reported at once, the rest in the next report');
  for (const connection of held) connection.socket.destroy();
  await Promise.all(held.map((c) => c.closed));
  // The server sees the close a moment after the client does.
  let answer;
  for (let i = 0; i < 50 && answer?.status !== 200; i++)
    answer = await get(server.port, '/healthz').catch(() => undefined);
  t.match(answer, { status: 200 });
});

t.test('headers over 8 KiB are refused with 431', async (t) => {
  const { server } = await listener(t);
  const client = await raw(server.port);
  client.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`);
  await client.closed;
  t.match(client.received(), /^HTTP\/1\.1 431 /);
});
