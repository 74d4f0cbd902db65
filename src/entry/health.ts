// `vrrp-engine/health`: health checks, tracked objects, notify commands and sync groups beside an
// Engine (docs/health.md). Checks fork nothing in this process: scripts run in a runner process.

export { startHealth, replaceHealth, type HealthDeps, type HealthHandle, type CheckStatus, type LinkSource, type LinkChange } from '../health/index.js';
export * from '../health/plan.js';
export { readHealthPlan, checkHealthPlan } from '../health/validate.js';
export type { RuntimeLogger } from '../linux/event-log.js';
