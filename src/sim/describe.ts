// Human-readable text for faults and the command line that replays a run.

import type { FaultEvent } from './scenario.js';

export function reproduceCommand(scenarioName: string, seed: number, scenarioPath?: string, checkArp = false): string {
  const file = scenarioPath === undefined ? '' : ` --scenario ${scenarioPath}`;
  return `vrrp-sim${file} --seed ${seed}${checkArp ? ' --check-arp' : ''}   (scenario "${scenarioName}")`;
}

export function describeFault(fault: FaultEvent): string {
  switch (fault.kind) {
    case 'crash':
    case 'stop':
    case 'restart':
      return `${fault.kind} ${fault.node}`;
    case 'linkDown':
    case 'linkUp':
      return `${fault.kind} ${fault.node}/${fault.interface}`;
    case 'partition':
      return `partition ${fault.lan} ${fault.groups.map((g) => `[${g.join(' ')}]`).join(' ')}${fault.vrrpOnly === true ? ' (VRRP only)' : ''}`;
    case 'oneWay':
      return `oneWay ${fault.lan}: ${fault.from} no longer reaches ${fault.to}`;
    case 'heal':
      return `heal ${fault.lan}`;
    case 'setPriority':
      return `setPriority ${fault.node}/${fault.router} ${fault.priority}`;
    case 'network': {
      const parts = (['loss', 'duplicate', 'reorder', 'corrupt', 'latencyMs', 'jitterMs'] as const)
        .filter((k) => fault[k] !== undefined)
        .map((k) => `${k}=${fault[k]}`);
      return `network ${fault.lan} ${parts.join(' ')}`;
    }
    case 'healAll':
      return 'healAll: restart, heal, links up, no more loss (liveness phase begins)';
    default: {
      const unreachable: never = fault;
      return String(unreachable);
    }
  }
}
