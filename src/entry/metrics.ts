// `vrrp-engine/metrics`: an Engine's state and counters in the Prometheus text exposition format, under
// keepalived-exporter's names and ours (docs/operations.md lists the series).

export {
  createEngineMetrics,
  METRICS_CONTENT_TYPE,
  DEFAULT_METRICS_MAX_AGE_MS,
  DEFAULT_METRICS_PORT,
  family,
  labelValue,
  type EngineMetrics,
  type EngineMetricsOptions,
  type HealthStatusSource,
} from '../metrics/engine-metrics.js';
export { KEEPALIVED_FAMILIES, KEEPALIVED_STATE_VALUE } from '../metrics/keepalived-exporter.js';
