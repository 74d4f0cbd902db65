// The notify keywords beyond the state commands (issue 13), read as keepalived 2.2.7's vrrp_parser.c
// reads them; src/health/notify-events.ts runs them:
// - notify_master_rx_lower_pri COMMAND (instance): run each time the Master hears a lower priority;
// - notify_deleted [COMMAND] (instance): a reload that removes the instance notifies DELETED (running
//   COMMAND, if given) instead of keepalived's older FAULT;
// - notify_priority_changes [BOOL] (instance and vrrp_sync_group) and vrrp_notify_priority_changes
//   [BOOL] (global_defs): effective priority changes are written to the notify FIFOs. An instance's own
//   setting wins, then its sync group's, then the global one (vrrp.c vrrp_complete_instance).

import type { DiagnosticList } from './diagnostics.js';
import type { Statement } from './parser.js';
import { readNotifyCommand, type PendingCollector } from './tracking.js';
import { readFlag } from './values.js';

/** The instance keywords read here. */
export const INSTANCE_NOTIFY_EXTRAS: ReadonlySet<string> = new Set([
  'notify_master_rx_lower_pri',
  'notify_deleted',
  'notify_priority_changes',
]);

/** Reads one of INSTANCE_NOTIFY_EXTRAS (or a sync group's notify_priority_changes) into `pending`. */
export function readNotifyExtra(statement: Statement, pending: PendingCollector, diagnostics: DiagnosticList): void {
  switch (statement.keyword) {
    case 'notify_master_rx_lower_pri':
      if (pending.notify[statement.keyword] !== undefined)
        diagnostics.error(statement, 'notify_master_rx_lower_pri script already specified');
      else readNotifyCommand(statement, pending, diagnostics);
      return;
    case 'notify_deleted':
      if (pending.notifyDeleted === true) {
        diagnostics.error(statement, 'notify_deleted already specified');
        return;
      }
      pending.notifyDeleted = true;
      if (statement.args.length > 0) readNotifyCommand(statement, pending, diagnostics);
      return;
    case 'notify_priority_changes': {
      const on = readFlag(statement, diagnostics);
      if (on !== undefined) pending.notifyPriorityChanges = on;
      return;
    }
  }
}

/** Whether an instance's priority changes reach the FIFOs: its own setting, its group's, the global one. */
export function resolvePriorityChanges(
  own: boolean | undefined,
  group: boolean | undefined,
  global: boolean | undefined,
): boolean {
  return own ?? group ?? global ?? false;
}
