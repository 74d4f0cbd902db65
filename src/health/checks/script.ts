// vrrp_script: exit status 0 is success; a run past its timeout is killed (SIGTERM to its process
// group, SIGKILL 2 s later) and counts as a failure. It is started by command-runner.ts, never by a fork of the daemon.

import type { CommandRunner } from '../command-runner.js';
import { describeOutcome, succeeded } from '../runner-protocol.js';
import type { ProbeResult } from '../check.js';
import type { RunAs } from '../users.js';

export async function probeScript(
  runner: CommandRunner,
  argv: readonly string[],
  timeoutMs: number,
  runAs: RunAs | undefined,
): Promise<ProbeResult> {
  const outcome = await runner.run({ argv, timeoutMs, ...(runAs ?? {}) });
  return { ok: succeeded(outcome), detail: describeOutcome(outcome) };
}
