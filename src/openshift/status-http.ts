// The status listener (OPENSHIFT_HA_STATUS_PORT): /healthz for the liveness probe (the process and its
// event loop answer), /readyz for readiness (every instance has settled in Master or Backup: none is
// starting or in Fault), /metrics in Prometheus text. GET and HEAD on those three paths only: another
// path is 404, another method 405, and either closes the connection.
//
// It shares the event loop with the routers and, the pod using the host network, listens on the node:
// so whoever reaches the port must not be able to hold it or the loop. Connections are capped (one
// over the cap is closed as soon as it is accepted, counted and logged), a request must arrive whole within
// requestTimeoutMs (headers within headersTimeoutMs, checked every second), an idle keep-alive
// connection is closed after keepAliveTimeoutMs, headers are limited to 8 KiB, and /metrics serves text
// rendered at most once a second (metrics.ts).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RouterSnapshot } from '../core/types.js';
import { METRICS_CONTENT_TYPE } from '../metrics/engine-metrics.js';

export interface StatusSource {
  snapshot(): readonly RouterSnapshot[];
  /** The Prometheus exposition text, as bytes. */
  metrics(): Buffer;
}

export interface StatusLimits {
  /** Open connections at once; more are closed as they arrive (a probe or scrape needs one or two). */
  readonly maxConnections: number;
  /** The whole request, from its first byte. */
  readonly requestTimeoutMs: number;
  /** The request's headers, from the connection's first byte (a slow sender is cut off). */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection between requests. */
  readonly keepAliveTimeoutMs: number;
  readonly maxHeaderBytes: number;
}

export const DEFAULT_STATUS_LIMITS: StatusLimits = {
  maxConnections: 32,
  requestTimeoutMs: 5_000,
  headersTimeoutMs: 5_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 8_192,
};

/** How often refused connections are reported (a flood gives one line per period, with its count). */
const REFUSED_REPORT_PERIOD_MS = 10_000;

export interface StatusServerOptions {
  readonly port: number;
  readonly address: string;
  readonly limits?: Partial<StatusLimits>;
  readonly onError: (error: Error) => void;
  /** Connections refused over maxConnections since the last report; called at most every 10 s. */
  readonly onRefused?: (count: number) => void;
}

export interface StatusServer {
  readonly port: number;
  /** Connections refused over maxConnections since the start. */
  readonly refused: number;
  close(): Promise<void>;
}

const PATHS = ['/healthz', '/readyz', '/metrics'] as const;

function reply(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  type = 'text/plain; charset=utf-8',
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  response.end(body);
}

/** Ready: at least one instance, and every one in Master or Backup. */
export function readiness(routers: readonly RouterSnapshot[]): { ready: boolean; body: string } {
  const lines = routers.map((r) => `${r.name} vrid ${r.vrid} ${r.state} priority ${r.effectivePriority}`);
  const ready = routers.length > 0 && routers.every((r) => r.state === 'Master' || r.state === 'Backup');
  return { ready, body: `${ready ? 'ready' : 'not ready'}\n${lines.join('\n')}\n` };
}

function handle(source: StatusSource, request: IncomingMessage, response: ServerResponse): void {
  // The path as sent, up to a query: no URL parsing of what a client wrote.
  const path = (request.url ?? '').split('?', 1)[0];
  if (!PATHS.some((known) => known === path)) {
    return reply(response, 404, `not found: ${PATHS.join(', ')}\n`, undefined, { connection: 'close' });
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return reply(response, 405, 'GET or HEAD only\n', undefined, { allow: 'GET, HEAD', connection: 'close' });
  }
  switch (path) {
    case '/healthz':
      return reply(response, 200, 'ok\n');
    case '/readyz': {
      const { ready, body } = readiness(source.snapshot());
      return reply(response, ready ? 200 : 503, body);
    }
    default:
      return reply(response, 200, source.metrics(), METRICS_CONTENT_TYPE);
  }
}

export function startStatusServer(source: StatusSource, options: StatusServerOptions): Promise<StatusServer> {
  const limits = { ...DEFAULT_STATUS_LIMITS, ...options.limits };
  const server: Server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // The timeouts above are enforced by a sweep every this often (Node's default: 30 s).
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => {
      try {
        handle(source, request, response);
      } catch (error) {
        options.onError(error as Error);
        if (!response.headersSent) reply(response, 500, 'internal error\n');
      }
    },
  );
  server.maxConnections = limits.maxConnections;
  let refused = 0;
  let unreported = 0;
  let reportTimer: NodeJS.Timeout | undefined;
  const report = () => {
    reportTimer = undefined;
    if (unreported === 0 || options.onRefused === undefined) return;
    options.onRefused(unreported);
    unreported = 0;
    reportTimer = setTimeout(report, REFUSED_REPORT_PERIOD_MS).unref();
  };
  server.on('drop', () => {
    refused++;
    unreported++;
    if (reportTimer === undefined) report();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => {
      server.off('error', reject);
      server.on('error', options.onError);
      const bound = server.address();
      resolve({
        port: typeof bound === 'object' && bound !== null ? bound.port : options.port,
        get refused() {
          return refused;
        },
        close: () =>
          new Promise<void>((done) => {
            clearTimeout(reportTimer);
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
