// Notify commands (keepalived notify_master / notify_backup / notify_fault / notify_stop / notify) run on
// state changes, asynchronously, one at a time and in order per instance (and per sync group), so a
// slow command delays only the commands queued behind it, never the engine. State changes that pile
// up behind a running one are merged into the latest (NotifyQueues). One still running at the
// timeout is killed (SIGTERM to its process group, SIGKILL 2 s later) and logged.

import type { RouterState } from '../core/types.js';
import { RateLimitedLog } from '../daemon/event-log.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { CommandRunner } from './command-runner.js';
import type { NotifyCommands } from '../model/health-plan.js';
import { describeOutcome, succeeded } from './runner-protocol.js';
import type { CommandPreparation } from './command-prep.js';

/** DELETED: a reload removed the instance and it has notify_deleted (src/health/notify-events.ts). */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';
export type NotifySubject = 'INSTANCE' | 'GROUP';

export const DEFAULT_NOTIFY_TIMEOUT_MS = 30_000;

/** The keepalived word for a state we enter, or undefined (Initialize is only entered when stopping). */
export function notifyStateOf(to: RouterState): NotifyState {
  switch (to) {
    case 'Master':
      return 'MASTER';
    case 'Backup':
      return 'BACKUP';
    case 'Fault':
      return 'FAULT';
    case 'Initialize':
      return 'STOP';
  }
}

/** The argvs keepalived runs for one change, in its order: the state's own command, then `notify` with 4 more arguments. */
export function notifyCommandsFor(
  commands: NotifyCommands & { readonly deleted?: readonly string[] },
  subject: NotifySubject,
  name: string,
  state: NotifyState,
  priority: number,
): string[][] {
  const own = {
    MASTER: commands.master,
    BACKUP: commands.backup,
    FAULT: commands.fault,
    STOP: commands.stop,
    DELETED: commands.deleted,
  }[state];
  const argvs: string[][] = [];
  if (own !== undefined) argvs.push([...own]);
  if (commands.notify !== undefined) argvs.push([...commands.notify, subject, name, state, String(priority)]);
  return argvs;
}

/** Notifications (the commands of one state change) waiting across all subjects, beyond which new ones are dropped. */
export const MAX_WAITING_NOTIFICATIONS = 1024;
/** Failure lines per subject a second: a command failing at once, run for every flap, is rate-limited with counts. */
const FAILURE_LINES_PER_SECOND = 5;

interface Subject {
  /** The commands of the newest state change not yet started; older ones it superseded are gone. */
  waiting: readonly (readonly string[])[] | undefined;
  /** How many waiting state changes the one in `waiting` stands for. */
  merged: number;
  running: Promise<void> | undefined;
}

/**
 * One ordered queue per subject (an instance or a sync group), merged: a subject has at most one
 * state change running and one waiting. A newer state change replaces the waiting one, since only
 * the latest state is still true when the running command ends, so a flapping router leaves at
 * most one notification behind it instead of one per transition. The one that has started always
 * finishes (its own command, then `notify`), and the latest state is never dropped. Subjects do
 * not wait for each other.
 */
export class NotifyQueues {
  private readonly subjects = new Map<string, Subject>();
  private queued = 0;
  private waitingCount = 0;
  /** State changes replaced by a newer one before they ran. */
  superseded = 0;
  /** State changes dropped because MAX_WAITING_NOTIFICATIONS subjects were already waiting. */
  dropped = 0;
  private readonly runner: CommandRunner;
  private readonly logger: RuntimeLogger;
  /** Failures and refusals, which can come once per state change. */
  private readonly failures: RateLimitedLog;
  private readonly timeoutMs: number;
  private readonly preparation: CommandPreparation;
  private readonly maxWaiting: number;
  /** Commands wait for this first: the previous plan's queue, when a plan replaces another. */
  private readonly after: Promise<void>;

  constructor(
    runner: CommandRunner,
    logger: RuntimeLogger,
    timeoutMs: number,
    preparation: CommandPreparation,
    after: Promise<void> = Promise.resolve(),
    maxWaiting = MAX_WAITING_NOTIFICATIONS,
  ) {
    this.runner = runner;
    this.logger = logger;
    this.failures = new RateLimitedLog(logger, { burst: FAILURE_LINES_PER_SECOND });
    this.timeoutMs = timeoutMs;
    this.preparation = preparation;
    this.maxWaiting = maxWaiting;
    this.after = after.catch(() => undefined);
  }

  /** Commands waiting or running. */
  get pending(): number {
    return this.queued;
  }

  /** Queues one state change's commands for `key`, replacing a state change of `key` still waiting. */
  enqueue(key: string, argvs: readonly (readonly string[])[]): void {
    if (argvs.length === 0) return;
    let subject = this.subjects.get(key);
    if (subject?.waiting !== undefined) {
      this.queued += argvs.length - subject.waiting.length;
      subject.waiting = argvs;
      subject.merged++;
      this.superseded++;
      return;
    }
    if (this.waitingCount >= this.maxWaiting) {
      this.dropped++;
      this.failures.write('dropped', 'error', () => [
        { event: 'notify', subject: key, dropped: this.dropped, command: argvs[0] },
        `notify ${key}: not run, ${this.waitingCount} notifications are already waiting (${this.dropped} dropped so far)`,
      ]);
      return;
    }
    if (subject === undefined) {
      subject = { waiting: undefined, merged: 0, running: undefined };
      this.subjects.set(key, subject);
    }
    subject.waiting = argvs;
    subject.merged = 1;
    this.waitingCount++;
    this.queued += argvs.length;
    subject.running ??= this.runSubject(key, subject);
  }

  /** Resolves when every queued command has finished (or was killed), and held-back failure lines are summed up. */
  async drain(): Promise<void> {
    for (;;) {
      const running = [...this.subjects.values()].map((subject) => subject.running).filter((p) => p !== undefined);
      if (running.length === 0) break;
      await Promise.allSettled(running);
    }
    this.failures.close();
  }

  private async runSubject(key: string, subject: Subject): Promise<void> {
    await this.after;
    while (subject.waiting !== undefined) {
      const argvs = subject.waiting;
      const merged = subject.merged;
      subject.waiting = undefined;
      this.waitingCount--;
      for (const argv of argvs) {
        try {
          await this.runOne(key, argv, merged);
        } finally {
          this.queued--;
        }
      }
    }
    subject.running = undefined;
    this.subjects.delete(key);
  }

  private async runOne(key: string, argv: readonly string[], merged: number): Promise<void> {
    // How many waiting state changes this one stands for, when it replaced any.
    const mergedField = merged > 1 ? { merged } : {};
    const { runAs, refused } = await this.preparation.prepare(argv[0]!);
    if (refused !== undefined) {
      this.failures.write(`${key}\u0000refused`, 'error', () => [
        { event: 'notify', subject: key, command: argv, refused, ...mergedField },
        `notify ${key}: ${argv[0]} is not run: ${refused}`,
      ]);
      return;
    }
    const outcome = await this.runner.run({ argv, timeoutMs: this.timeoutMs, ...(runAs ?? {}) });
    const record = { event: 'notify', subject: key, command: argv, result: describeOutcome(outcome), ...mergedField };
    if (succeeded(outcome)) this.logger.debug(record, `notify ${key}: ${argv.join(' ')}`);
    else
      this.failures.write(`${key}\u0000${outcome.kind}`, 'warn', () => [
        record,
        `notify ${key}: ${argv.join(' ')}: ${describeOutcome(outcome)}`,
      ]);
  }
}
