// SyncGroupCoordinator as a table: members' reports in, group states and checks out, then the
// commands each check decides (keepalived 2.2.7 vrrp_sync.c semantics). No engine, no timers.
import t from 'tap';
import type { RouterState } from '../../src/core/types.js';
import { SyncGroupCoordinator, type SyncGroupReport } from '../../src/core/sync-group.js';

const GROUP = { name: 'G', routers: ['A', 'B', 'C'] };

function coordinator(states: Record<string, RouterState> = { A: 'Backup', B: 'Backup', C: 'Backup' }) {
  return new SyncGroupCoordinator([GROUP], new Map(Object.entries(states)));
}

const wants = (router: string): SyncGroupReport => ({ kind: 'notice', router, notice: 'sync-wants-master' });
const standsBy = (router: string): SyncGroupReport => ({ kind: 'notice', router, notice: 'sync-stands-by' });
const ownFault = (router: string): SyncGroupReport => ({ kind: 'notice', router, notice: 'sync-own-fault' });
const faultCleared = (router: string): SyncGroupReport => ({
  kind: 'notice',
  router,
  notice: 'sync-own-fault-cleared',
});
const change = (
  router: string,
  from: RouterState,
  to: RouterState,
  reason: 'sync-group' | 'higher-priority-advert' | 'startup-owner' | 'link-down' = 'sync-group',
): SyncGroupReport => ({ kind: 'stateChange', router, from, to, reason });

t.test('every member joins before its router starts', async (t) => {
  t.strictSame(coordinator().joins(), [
    { router: 'A', command: 'join' },
    { router: 'B', command: 'join' },
    { router: 'C', command: 'join' },
  ]);
});

t.test('the group goes Master only when every member is ready', async (t) => {
  const c = coordinator();
  const rows: [SyncGroupReport, number][] = [
    [wants('A'), 0],
    [wants('B'), 0],
    [wants('C'), 3],
  ];
  for (const [report, commands] of rows) {
    const { checks } = c.observe(report);
    t.strictSame(checks, [{ kind: 'considerMaster', group: 'G' }], `${report.router} ready: a check`);
    const decision = c.decide(checks[0]!);
    t.equal(decision.commands.length, commands, `${report.router} ready: ${commands} commands`);
  }
  t.strictSame(c.decide({ kind: 'considerMaster', group: 'G' }).commands.length, 3, 'checked again: same answer');
});

t.test('a member that stands by is no longer counted ready', async (t) => {
  const c = coordinator();
  c.observe(wants('A'));
  c.observe(wants('B'));
  c.observe(standsBy('A'));
  c.observe(wants('C'));
  t.strictSame(c.decide({ kind: 'considerMaster', group: 'G' }), { commands: [], log: undefined });
});

t.test('Master members count as ready: the rest follow an owner that took over alone', async (t) => {
  const c = coordinator();
  const owner = c.observe(change('A', 'Backup', 'Master', 'startup-owner'));
  t.strictSame(owner.checks, [{ kind: 'considerMaster', group: 'G' }]);
  t.strictSame(c.decide(owner.checks[0]!).commands, [], 'B and C not ready yet');
  c.observe(wants('B'));
  const decision = c.decide(c.observe(wants('C')).checks[0]!);
  t.strictSame(decision.commands, [
    { router: 'B', command: 'master' },
    { router: 'C', command: 'master' },
  ]);
  t.match(decision.log, { group: 'G', state: 'MASTER' });
});

t.test('a Master stepping down takes the group’s other Masters with it', async (t) => {
  const c = coordinator({ A: 'Master', B: 'Master', C: 'Master' });
  const { checks } = c.observe(change('B', 'Master', 'Backup', 'higher-priority-advert'));
  t.strictSame(checks, [{ kind: 'followBackup', group: 'G', cause: 'B' }]);
  const decision = c.decide(checks[0]!);
  t.strictSame(decision.commands, [
    { router: 'A', command: 'backup' },
    { router: 'C', command: 'backup' },
  ]);
  t.match(decision.log, { state: 'BACKUP', cause: 'B' });
  t.strictSame(c.observe(change('A', 'Master', 'Backup')).checks, [], "the group's own command starts no new check");
});

t.test('one member’s own fault takes the group to Fault; the last one clearing brings it back', async (t) => {
  const c = coordinator();
  const table: [SyncGroupReport, string[]][] = [
    [ownFault('A'), ['fault', 'fault', 'fault']],
    [ownFault('B'), []],
    [faultCleared('A'), []],
    [faultCleared('B'), ['fault-cleared', 'fault-cleared', 'fault-cleared']],
  ];
  for (const [report, commands] of table) {
    const decision = c.decide(c.observe(report).checks[0]!);
    t.strictSame(
      decision.commands.map((command) => command.command),
      commands,
      `${report.kind === 'notice' ? report.notice : report.kind} from ${report.router}`,
    );
  }
});

t.test('no takeover while the group holds a fault', async (t) => {
  const c = coordinator();
  c.decide(c.observe(ownFault('C')).checks[0]!);
  c.observe(wants('A'));
  c.observe(wants('B'));
  c.observe(change('C', 'Backup', 'Fault', 'link-down'));
  t.strictSame(c.decide({ kind: 'considerMaster', group: 'G' }).commands, []);
});

t.test('group states: BACKUP at the first start, FAULT if any, MASTER once all, STOP when all stop', async (t) => {
  const c = coordinator({});
  t.strictSame(c.memberStarting('A', 'Backup'), [{ group: 'G', state: 'BACKUP' }]);
  t.strictSame(c.memberStarting('B', 'Backup'), [], 'reported once');
  const table: [SyncGroupReport, string | undefined][] = [
    [change('A', 'Initialize', 'Backup'), undefined],
    [change('B', 'Initialize', 'Backup'), undefined],
    [change('C', 'Initialize', 'Backup'), undefined],
    [change('A', 'Backup', 'Master'), undefined],
    [change('B', 'Backup', 'Master'), undefined],
    [change('C', 'Backup', 'Master'), 'MASTER'],
    [change('C', 'Master', 'Fault', 'link-down'), 'FAULT'],
    [change('A', 'Master', 'Initialize'), undefined],
    [change('B', 'Master', 'Initialize'), undefined],
    [change('C', 'Fault', 'Initialize'), 'STOP'],
  ];
  for (const [report, state] of table) {
    const states = c.observe(report).states;
    t.strictSame(states, state === undefined ? [] : [{ group: 'G', state }], `${report.router} -> ${state ?? '-'}`);
  }
  t.equal(c.groupState('G'), 'STOP');
});

t.test('a router outside every group is ignored', async (t) => {
  const c = coordinator();
  t.strictSame(c.observe(wants('X')), { states: [], checks: [] });
  t.strictSame(c.memberStarting('X', 'Backup'), []);
  t.strictSame(c.decide({ kind: 'considerMaster', group: 'nope' }), { commands: [], log: undefined });
});
