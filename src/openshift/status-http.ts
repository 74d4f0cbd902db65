// The status listener (OPENSHIFT_HA_STATUS_PORT): /healthz for the liveness probe (the process and its
// event loop answer), /readyz for readiness (every instance has settled in Master or Backup: none is
// starting or in Fault), /metrics in Prometheus text. GET (and HEAD) only; anything else is 404/405.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RouterSnapshot } from '../core/types.js';
import type { Registry } from 'prom-client';

export interface StatusSource {
  snapshot(): readonly RouterSnapshot[];
  readonly registry: Registry;
}

export interface StatusServer {
  readonly port: number;
  close(): Promise<void>;
}

function reply(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

/** Ready: at least one instance, and every one in Master or Backup. */
export function readiness(routers: readonly RouterSnapshot[]): { ready: boolean; body: string } {
  const lines = routers.map((r) => `${r.name} vrid ${r.vrid} ${r.state} priority ${r.effectivePriority}`);
  const ready = routers.length > 0 && routers.every((r) => r.state === 'Master' || r.state === 'Backup');
  return { ready, body: `${ready ? 'ready' : 'not ready'}\n${lines.join('\n')}\n` };
}

async function handle(source: StatusSource, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return reply(response, 405, 'GET only\n');
  const path = new URL(request.url ?? '/', 'http://status').pathname;
  switch (path) {
    case '/healthz':
      return reply(response, 200, 'ok\n');
    case '/readyz': {
      const { ready, body } = readiness(source.snapshot());
      return reply(response, ready ? 200 : 503, body);
    }
    case '/metrics':
      return reply(response, 200, await source.registry.metrics(), source.registry.contentType);
    default:
      return reply(response, 404, 'not found: /healthz, /readyz, /metrics\n');
  }
}

export function startStatusServer(source: StatusSource, port: number, address: string, onError: (error: Error) => void): Promise<StatusServer> {
  const server: Server = createServer((request, response) => {
    handle(source, request, response).catch((error: unknown) => {
      onError(error as Error);
      if (!response.headersSent) reply(response, 500, 'internal error\n');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      server.on('error', onError);
      const bound = server.address();
      resolve({
        port: typeof bound === 'object' && bound !== null ? bound.port : port,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
