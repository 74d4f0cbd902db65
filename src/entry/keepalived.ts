// `vrrp-engine/keepalived`: the keepalived.conf reader (docs/keepalived-conf.md). It gives the input
// startLinuxEngine takes, and the health plan startHealth runs.

export {
  loadKeepalivedConfig,
  parseKeepalivedConfig,
  defaultConfigId,
  KeepalivedConfigError,
  formatDiagnostic,
  type ConfigDiagnostic,
  type LoadedKeepalivedConfig,
  type LoadOptions,
  type PendingInstanceFeatures,
  type VrrpScriptDefinition,
  type SyncGroupDefinition,
  type TrackFileDefinition,
  type TrackProcessDefinition,
} from '../config/keepalived/index.js';
export { healthPlanFromKeepalived } from '../config/keepalived/health-plan.js';
