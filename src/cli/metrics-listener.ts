// The /metrics listener of bin/vrrpd and bin/vrrp-engine (bin/ipfailover has its status listener,
// OPENSHIFT_HA_STATUS_PORT, which serves the same text). Opt-in: `--metrics[=ADDR:PORT]` or the
// VRRP_METRICS_LISTEN environment variable; the default port is keepalived-exporter's, 2112, so a
// Prometheus job that scraped the exporter scrapes us. It is the hardened status listener
// (src/openshift/status-http.ts): /metrics, /healthz and /readyz, connections capped, slow clients cut off.

import type { ConflictSource } from '../metrics/conflict-metrics.js';
import type { Engine } from '../engine/engine.js';
import {
  createEngineMetrics,
  DEFAULT_METRICS_PORT,
  type EngineMetrics,
  type HealthStatusSource,
} from '../metrics/engine-metrics.js';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { DEFAULT_STATUS_LIMITS, startStatusServer, type StatusServer } from '../openshift/status-http.js';

export const METRICS_LISTEN_ENV = 'VRRP_METRICS_LISTEN';
/** keepalived-exporter's `:2112`: every address. */
export const DEFAULT_METRICS_ADDRESS = '0.0.0.0';

export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * `PORT`, `:PORT`, `ADDR:PORT`, `[V6ADDR]:PORT` or `ADDR` (port 2112); '' is the default, every address.
 * Returns a message for anything else.
 */
export function parseListenAddress(text: string): ListenAddress | string {
  const match = /^\d+$/.test(text)
    ? ['', undefined, '', text]
    : /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*))(?::(\d+))?$/.exec(text);
  if (match === null) return `not ADDR:PORT: ${JSON.stringify(text)}`;
  const address = match[1] ?? (match[2] === '' || match[2] === undefined ? DEFAULT_METRICS_ADDRESS : match[2]);
  const port = match[3] === undefined ? DEFAULT_METRICS_PORT : checkedPort(match[3]);
  if (Number.isNaN(port)) return `port out of range 0..65535: ${JSON.stringify(text)}`;
  return { address, port };
}

function checkedPort(text: string): number {
  const port = Number(text);
  return port <= 65535 ? port : Number.NaN;
}

/** Where to listen: the flag if given, else the environment variable, else nowhere. */
export function metricsListenFrom(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): ListenAddress | string | undefined {
  const text = flag ?? env[METRICS_LISTEN_ENV];
  return text === undefined ? undefined : parseListenAddress(text);
}

export interface MetricsListener {
  readonly metrics: EngineMetrics;
  readonly server: StatusServer;
  close(): Promise<void>;
}

/** Serves `engine`'s metrics on `listen` until close(); logs where, and each failure, through `logger`. */
export async function startMetricsListener(
  engine: Engine,
  listen: ListenAddress,
  context: {
    readonly logger: RuntimeLogger;
    readonly health?: HealthStatusSource;
    readonly conflicts?: ConflictSource;
  },
): Promise<MetricsListener> {
  const { logger, health, conflicts } = context;
  const metrics = createEngineMetrics(engine, {
    ...(health === undefined ? {} : { health }),
    ...(conflicts === undefined ? {} : { conflicts }),
  });
  const server = await startStatusServer(
    { snapshot: () => engine.snapshot(), metrics: () => metrics.bytes() },
    {
      ...listen,
      onError: (error) =>
        logger.error(
          { event: 'error', operation: 'metricsListener', error: errorFields(error) },
          `metrics listener: ${error.message}`,
        ),
      onRefused: (count) =>
        logger.warn(
          { event: 'metricsListener', action: 'refused', count },
          `metrics listener: ${count} connection(s) refused over the limit of ${DEFAULT_STATUS_LIMITS.maxConnections}`,
        ),
    },
  ).catch((error: unknown) => {
    metrics.close();
    throw error;
  });
  logger.info(
    { event: 'metricsListener', address: listen.address, port: server.port },
    `metrics on http://${listen.address.includes(':') ? `[${listen.address}]` : listen.address}:${server.port}/metrics`,
  );
  return {
    metrics,
    server,
    async close() {
      metrics.close();
      await server.close();
    },
  };
}
