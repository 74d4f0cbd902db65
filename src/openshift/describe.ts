// The effective configuration, as `--dry-run` prints it and as the first log line carries it: each
// instance with its router id, VIPs, priority (and why), preemption, peers and checks.

import type { CheckSpec } from '../model/health-plan.js';
import type { OpenShiftPlan } from './env.js';

function checkText(check: CheckSpec | undefined): string {
  if (check === undefined) return 'none (OPENSHIFT_HA_MONITOR_PORT=0): instances never go to Fault for a check';
  switch (check.kind) {
    case 'tcp':
      return `${check.name}: TCP connect to ${check.host}:${check.port} every ${check.intervalMs / 1000} s (timeout ${check.timeoutMs / 1000} s); failure = FAULT`;
    case 'script':
      return `${check.name}: ${check.command.join(' ')} every ${check.intervalMs / 1000} s (timeout ${check.timeoutMs / 1000} s); non-zero exit = FAULT`;
    default:
      return `${check.name}: ${check.kind}`;
  }
}

function preemptionText(plan: OpenShiftPlan): string {
  return plan.preemption.kind === 'nopreempt'
    ? 'nopreempt: a Backup never takes over from a lower-priority Master'
    : `preempt_delay ${plan.preemption.seconds}: a higher-priority Backup waits ${plan.preemption.seconds} s before taking over from a lower-priority Master (also when it starts as master candidate)`;
}

function schedulingText(plan: OpenShiftPlan): string {
  const priority = plan.scheduling?.realtimePriority;
  const text =
    priority === undefined
      ? 'as started, no real-time priority (OPENSHIFT_HA_RT_PRIORITY unset or 0)'
      : `SCHED_RR priority ${priority} for the thread that sends the adverts (OPENSHIFT_HA_RT_PRIORITY; needs CAP_SYS_NICE)`;
  return plan.scheduling?.lockMemory === true
    ? `${text}; advert path locked in memory (OPENSHIFT_HA_NO_SWAP; needs CAP_IPC_LOCK)`
    : text;
}

export function describePlan(plan: OpenShiftPlan): string {
  const lines = [
    `OpenShift IP failover ${JSON.stringify(plan.configName)}`,
    `  interface:    ${plan.interface} (${plan.interfaceSource === 'variable' ? 'OPENSHIFT_HA_NETWORK_INTERFACE' : plan.interfaceSource === 'fallback' ? 'fallback list' : 'default route'})`,
    `  node address: ${plan.nodeAddress} (ipslot ${plan.ipslot}, replica count ${plan.replicaCount})`,
    `  preemption:   ${preemptionText(plan)}`,
    `  check:        ${checkText(plan.check)}`,
    `  notify:       ${plan.notifyCommand ? `${plan.notifyCommand.join(' ')} INSTANCE <name> MASTER|BACKUP|FAULT|STOP <priority>` : 'none'}`,
    `  firewall:     ${plan.iptablesChain ? `accept 224.0.0.18 (ff02::12 for IPv6) in ${plan.iptablesChain} (${plan.firewallBackend ?? 'iptables, else nftables'})` : 'no rule (OPENSHIFT_HA_IPTABLES_CHAIN unset)'}`,
    `  scheduling:   ${schedulingText(plan)}`,
    `  status:       ${plan.status ? `http://${plan.status.address}:${plan.status.port}/healthz, /readyz, /metrics` : 'no listener (OPENSHIFT_HA_STATUS_PORT unset)'}`,
    `  instances:    ${plan.instances.length}`,
  ];
  for (const instance of plan.instances) {
    const peers =
      instance.unicastPeers.length > 0
        ? `unicast to ${instance.unicastPeers.join(', ')}`
        : instance.family === 4
          ? 'multicast 224.0.0.18'
          : 'multicast ff02::12';
    lines.push(
      `  ${instance.name}: router id ${instance.vrid}, VRRPv${instance.version}${instance.version === 2 ? ` PASS "${plan.authPassword}"` : ''}, advert 1 s`,
      `      VIPs:      ${instance.virtualAddresses.join(', ')}`,
      `      priority:  ${instance.priority} (${instance.role}${instance.initialState === 'Master' ? ', starts as master candidate' : ''})`,
      `      peers:     ${peers}`,
    );
  }
  for (const warning of plan.warnings) lines.push(`  warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}

/** The same as one structured log object. */
export function planSummary(plan: OpenShiftPlan): Record<string, unknown> {
  return {
    configName: plan.configName,
    interface: plan.interface,
    interfaceSource: plan.interfaceSource,
    nodeAddress: plan.nodeAddress,
    ipslot: plan.ipslot,
    replicaCount: plan.replicaCount,
    preemption: plan.preemption,
    check: plan.check ?? null,
    notify: plan.notifyCommand ?? null,
    iptablesChain: plan.iptablesChain ?? null,
    status: plan.status ?? null,
    realtimePriority: plan.scheduling?.realtimePriority ?? null,
    lockMemory: plan.scheduling?.lockMemory === true,
    instances: plan.instances,
    warnings: plan.warnings,
  };
}
