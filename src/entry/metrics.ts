// `vrrp-engine/metrics`: an Engine's state and counters in the Prometheus text exposition format
// (docs/operations.md lists the series).

export {
  createEngineMetrics,
  METRICS_CONTENT_TYPE,
  DEFAULT_METRICS_MAX_AGE_MS,
  type EngineMetrics,
  type EngineMetricsOptions,
  type HealthStatusSource,
} from '../openshift/metrics.js';
