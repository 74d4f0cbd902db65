// `vrrp-engine/openshift`: the OpenShift ipfailover environment reader (docs/openshift.md). Pure: the
// node's interfaces and the random part of the priority formula are given, nothing is read here.

export {
  readOpenShiftEnv,
  scrubName,
  authPasswordOf,
  DEFAULT_CONFIG_NAME,
  DEFAULT_PREEMPT_DELAY_S,
  type Env,
  type EnvDeps,
  type OpenShiftPlan,
  type OpenShiftInstance,
  type Preemption,
  type StatusListener,
} from '../openshift/env.js';
export type { NodeNetwork, NodeInterface, NodeAddress } from '../openshift/node-network.js';
export { RANDOM_PRIORITY_SPAN } from '../openshift/priority.js';
