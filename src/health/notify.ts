// Notify commands (keepalived notify_master / notify_backup / notify_fault / notify_stop / notify) run on
// state changes, asynchronously, one at a time and in order per instance (and per sync group), so a
// slow command delays only the commands queued behind it, never the engine. One still running at the
// timeout is killed (SIGTERM to its process group, SIGKILL 2 s later) and logged.

import type { RouterState } from '../core/types.js';
import type { RuntimeLogger } from '../linux/event-log.js';
import type { CommandRunner } from './command-runner.js';
import type { NotifyCommands } from './plan.js';
import { describeOutcome, succeeded } from './runner-protocol.js';
import type { CommandPreparation } from './command-prep.js';

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';
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
export function notifyCommandsFor(commands: NotifyCommands, subject: NotifySubject, name: string, state: NotifyState, priority: number): string[][] {
  const own = { MASTER: commands.master, BACKUP: commands.backup, FAULT: commands.fault, STOP: commands.stop }[state];
  const argvs: string[][] = [];
  if (own !== undefined) argvs.push([...own]);
  if (commands.notify !== undefined) argvs.push([...commands.notify, subject, name, state, String(priority)]);
  return argvs;
}

/** One ordered queue of commands per subject (an instance or a sync group). */
export class NotifyQueues {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private queued = 0;
  private readonly runner: CommandRunner;
  private readonly logger: RuntimeLogger;
  private readonly timeoutMs: number;
  private readonly preparation: CommandPreparation;
  /** Commands wait for this first: the previous plan's queue, when a plan replaces another. */
  private readonly after: Promise<void>;

  constructor(runner: CommandRunner, logger: RuntimeLogger, timeoutMs: number, preparation: CommandPreparation, after: Promise<void> = Promise.resolve()) {
    this.runner = runner;
    this.logger = logger;
    this.timeoutMs = timeoutMs;
    this.preparation = preparation;
    this.after = after.catch(() => undefined);
  }

  /** Commands waiting or running. */
  get pending(): number {
    return this.queued;
  }

  enqueue(key: string, argvs: readonly (readonly string[])[]): void {
    for (const argv of argvs) {
      this.queued++;
      const previous = this.tails.get(key) ?? this.after;
      const next = previous.then(() => this.runOne(key, argv));
      this.tails.set(key, next);
      this.inFlight.add(next);
      void next.finally(() => {
        this.queued--;
        this.inFlight.delete(next);
        if (this.tails.get(key) === next) this.tails.delete(key);
      });
    }
  }

  /** Resolves when every queued command has finished (or was killed). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async runOne(key: string, argv: readonly string[]): Promise<void> {
    const { runAs, refused } = await this.preparation.prepare(argv[0]!);
    if (refused !== undefined) {
      this.logger.error({ event: 'notify', subject: key, command: argv, refused }, `notify ${key}: ${argv[0]} is not run: ${refused}`);
      return;
    }
    const outcome = await this.runner.run({ argv, timeoutMs: this.timeoutMs, ...(runAs ?? {}) });
    const record = { event: 'notify', subject: key, command: argv, result: describeOutcome(outcome) };
    if (succeeded(outcome)) this.logger.debug(record, `notify ${key}: ${argv.join(' ')}`);
    else this.logger.warn(record, `notify ${key}: ${argv.join(' ')}: ${describeOutcome(outcome)}`);
  }
}
