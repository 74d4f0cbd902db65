// Before a script or notify command first runs: the user it runs as (its own, else script_user), and,
// with enable_script_security, for one that runs as root, whether anyone but root could change the
// program (keepalived: "don't run scripts configured to be run as root if any part of the path is
// writable by a non-root user").
// Worked out once per (program, user, group) and remembered.

import type { ScriptSecurity } from '../model/health-plan.js';
import { scriptSecurityProblem } from './script-security.js';
import { resolveRunAs, type RunAs } from './users.js';

export interface PreparedCommand {
  readonly runAs: RunAs | undefined;
  /** Why the command must not run, if it must not. */
  readonly refused?: string;
}

export class CommandPreparation {
  private readonly cache = new Map<string, Promise<PreparedCommand>>();
  private readonly security: ScriptSecurity | undefined;

  constructor(security: ScriptSecurity | undefined) {
    this.security = security;
  }

  prepare(program: string, user?: string, group?: string): Promise<PreparedCommand> {
    const runUser = user ?? this.security?.defaultUser;
    const runGroup = user !== undefined ? group : (group ?? this.security?.defaultGroup);
    const key = JSON.stringify([program, runUser, runGroup]);
    let prepared = this.cache.get(key);
    if (prepared === undefined) {
      prepared = this.work(program, runUser, runGroup);
      this.cache.set(key, prepared);
    }
    return prepared;
  }

  private async work(program: string, user: string | undefined, group: string | undefined): Promise<PreparedCommand> {
    let runAs: RunAs | undefined;
    try {
      runAs = user !== undefined ? await resolveRunAs(user, group) : undefined;
    } catch (error) {
      return { runAs: undefined, refused: (error as Error).message };
    }
    const asRoot = runAs === undefined ? process.getuid?.() === 0 : runAs.uid === 0;
    if (this.security?.enabled && asRoot) {
      const problem = await scriptSecurityProblem(program);
      if (problem !== undefined) return { runAs, refused: `enable_script_security: ${problem}` };
    }
    return { runAs };
  }
}
