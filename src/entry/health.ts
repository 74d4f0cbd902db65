// `vrrp-engine/health`: health checks, tracked objects, notify commands and sync groups beside an
// Engine (docs/health.md). Scripts and notify commands are started by the addon without blocking the event loop.

export {
  startHealth,
  replaceHealth,
  type HealthDeps,
  type HealthHandle,
  type CheckStatus,
  type LinkSource,
  type LinkChange,
} from '../health/index.js';
export * from '../model/health-plan.js';
export { readHealthPlan, checkHealthPlan } from '../health/validate.js';
export type { RuntimeLogger } from '../model/logger.js';
