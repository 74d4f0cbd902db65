// What a reload of vrrpd reads but cannot change in a running process: each such change is logged as
// a notice that it takes effect at the next restart, and the rest of the reload goes on.

import type { LinuxEngineInput } from '../model/runtime-input.js';
import { sameScheduling } from '../model/scheduling.js';

export interface RestartNotice {
  readonly notice: string;
  readonly message: string;
}

/** The notices for what differs between the running input and the reloaded one. */
export function restartNotices(started: LinuxEngineInput, next: LinuxEngineInput): RestartNotice[] {
  const notices: RestartNotice[] = [];
  if (!sameScheduling(started.scheduling, next.scheduling)) {
    // Applied once at start (keepalived re-applies them on reload; we do not, yet).
    notices.push({
      notice: 'scheduling-needs-restart',
      message:
        'vrrp_rt_priority / vrrp_priority / vrrp_cpu_affinity / vrrp_rlimit_rttime / vrrp_no_swap / max_auto_priority / min_auto_priority_delay changed: they take effect at the next restart',
    });
  }
  if (JSON.stringify(started.receiveBuffers) !== JSON.stringify(next.receiveBuffers)) {
    // The packet port keeps the policy it started with (an instance's kernel_rx_buf_size does follow).
    notices.push({
      notice: 'receive-buffers-need-restart',
      message: 'vrrp_rx_bufs_policy / vrrp_rx_bufs_multiplier changed: they take effect at the next restart',
    });
  }
  if ((started.disableLocalIgmp ?? false) !== (next.disableLocalIgmp ?? false)) {
    // keepalived: "Cannot change disable_local_igmp at a reload - please restart".
    notices.push({
      notice: 'local-igmp-needs-restart',
      message: 'disable_local_igmp changed: it cannot change at a reload, it takes effect at the next restart',
    });
  }
  return notices;
}
