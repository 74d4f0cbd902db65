// The sans-IO VRRP core: state machine, timer formulas, receive checks and the per-interface demux.
export * from './types.js';
export { VirtualRouter } from './virtual-router.js';
export { skewMs, masterDownIntervalMs, advertIntervalMs } from './timers.js';
export { validateAdvert, checkAdvert, compileReceiveChecks, receiveChecksFor, addressListMatches } from './validate.js';
export type { ReceiveChecks } from './validate.js';
export { InterfaceDemux } from './demux.js';
export { SyncGroupCoordinator } from './sync-group.js';
export type {
  SyncGroupCheck,
  SyncGroupDecision,
  SyncGroupDefinition,
  SyncGroupObservation,
  SyncGroupReport,
  SyncGroupState,
} from './sync-group.js';
export type { DemuxResult } from './demux.js';
