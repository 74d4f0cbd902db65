// keepalived's startup_script and shutdown_script (keepalived 2.2.7 core/main.c): the startup script
// runs once, before any instance starts, and the instances start when it has ended; the shutdown
// script runs once, after every instance has stopped (priority-0 adverts sent, VIPs removed), and the
// process ends when it has ended. Neither runs on a reload. A script still running at its timeout is
// killed (SIGTERM to its process group, SIGKILL 2 s later) and then waited for no longer; its exit
// status only goes to the log. It runs as notify commands do: its own user, else script_user, refused
// under enable_script_security when someone other than root could change it, no shell.

import type { RuntimeLogger } from '../model/logger.js';
import type { HealthPlan, ScriptSecurity, StartStopScript } from '../model/health-plan.js';
import { CommandPreparation } from './command-prep.js';
import { CommandRunner, KILL_GRACE_MS } from './command-runner.js';
import { describeOutcome, succeeded, type RunOutcome } from './runner-protocol.js';

export type StartStopKind = 'startup' | 'shutdown';

/**
 * Runs the script and resolves once it has ended, was killed at its timeout (after the SIGKILL that
 * follows), or could not run. Never rejects: every outcome is a log line.
 */
export async function runStartStopScript(
  kind: StartStopKind,
  script: StartStopScript,
  security: ScriptSecurity | undefined,
  logger: RuntimeLogger,
): Promise<RunOutcome | undefined> {
  const event = `${kind}Script`;
  const argv = script.command;
  const { runAs, refused } = await new CommandPreparation(security).prepare(argv[0]!, script.user, script.group);
  if (refused !== undefined) {
    logger.error({ event, command: argv, refused }, `${kind} script ${argv[0]} is not run: ${refused}`);
    return undefined;
  }
  logger.info({ event, command: argv, timeoutMs: script.timeoutMs }, `running ${kind} script ${argv.join(' ')}`);
  const runner = new CommandRunner();
  try {
    const outcome = await runner.run({ argv, timeoutMs: script.timeoutMs, ...(runAs ?? {}) });
    const fields = { event, command: argv, result: describeOutcome(outcome) };
    if (succeeded(outcome)) logger.info(fields, `${kind} script ${argv[0]} succeeded`);
    else logger.warn(fields, `${kind} script ${argv[0]}: ${describeOutcome(outcome)}`);
    // keepalived goes on once a killed script is gone: give the SIGTERM its grace, then SIGKILL.
    if (outcome.kind === 'timeout') await new Promise((resolve) => setTimeout(resolve, KILL_GRACE_MS));
    return outcome;
  } finally {
    runner.close();
  }
}

/**
 * A program's two scripts over its life: `configure` with each plan put in force (at start, after each
 * reload); `startup` runs the startup script of the plan in force at most once, `shutdown` the
 * shutdown script of the plan in force at most once.
 */
export class StartStopScripts {
  private plan: Pick<HealthPlan, 'startupScript' | 'shutdownScript' | 'scriptSecurity'> | undefined;
  private readonly ran = new Set<StartStopKind>();

  configure(plan: Pick<HealthPlan, 'startupScript' | 'shutdownScript' | 'scriptSecurity'> | undefined): void {
    this.plan = plan;
  }

  startup(logger: RuntimeLogger): Promise<void> {
    return this.runOnce('startup', this.plan?.startupScript, logger);
  }

  shutdown(logger: RuntimeLogger): Promise<void> {
    return this.runOnce('shutdown', this.plan?.shutdownScript, logger);
  }

  private async runOnce(
    kind: StartStopKind,
    script: StartStopScript | undefined,
    logger: RuntimeLogger,
  ): Promise<void> {
    if (this.ran.has(kind) || script === undefined) return;
    this.ran.add(kind);
    await runStartStopScript(kind, script, this.plan?.scriptSecurity, logger);
  }
}
