// One bin/vrrp-engine process in a network namespace, driven as a black box by the Linux runtime tests
// (test/linux/runtime.test.ts, test/linux/vmac.test.ts): its JSON log lines are kept in order and waited on.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ip } from './netns-harness.js';

const runner = fileURLToPath(new URL('../../../bin/vrrp-engine', import.meta.url));
export const WAIT_MS = 10_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails with `what` after WAIT_MS. */
export async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

export type LogLine = Record<string, unknown> & { event?: string; time?: string };

/** One bin/vrrp-engine process in a namespace; its stdout JSON lines are kept in order. */
export class Runner {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(namespace: string, configPath: string, logLevel = 'info') {
    // `ip netns exec` execs the command, so child.pid is the runner itself.
    this.child = spawn(
      'ip',
      ['netns', 'exec', namespace, process.execPath, runner, '--config', configPath, '--log-level', logLevel],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        // A clean environment, as a service manager would give it: tap's NODE_OPTIONS loader hooks
        // must not follow the runner into its process.
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ event: 'unparsable', line });
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  find(pred: (line: LogLine) => boolean, from = 0): LogLine | undefined {
    return this.lines.slice(from).find(pred);
  }

  async waitFor(what: string, pred: (line: LogLine) => boolean, from = 0): Promise<LogLine> {
    await eventually(
      `${what}; log so far:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${this.stderr}`,
      () => this.find(pred, from) !== undefined,
    );
    return this.find(pred, from)!;
  }

  waitForState(to: string, from = 0, router = 'VI_1'): Promise<LogLine> {
    return this.waitFor(
      `${router} stateChange to ${to}`,
      (l) => l.event === 'stateChange' && l.router === router && l.to === to,
      from,
    );
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** What a namespace test starts runners into; its teardown removes it all, passed or not. */
export interface RunnerScope {
  /** Push every runner here: each is SIGKILLed at teardown. */
  readonly runners: Runner[];
  /** A scratch directory for configuration files, removed at teardown. */
  readonly dir: string;
}

/**
 * A scratch directory and a runner list for `t`; at teardown the runners are SIGKILLed and the
 * namespaces deleted (one never created, or already gone, is no error), then the directory removed.
 */
export function runnerScope(
  t: { teardown(fn: () => void): void },
  namespaces: readonly string[],
  dirPrefix: string,
): RunnerScope {
  const scope: RunnerScope = { runners: [], dir: mkdtempSync(join(tmpdir(), dirPrefix)) };
  t.teardown(() => {
    for (const r of scope.runners) r.kill('SIGKILL');
    for (const name of namespaces) {
      try {
        ip('netns', 'del', name);
      } catch {
        // never created, or already gone
      }
    }
    rmSync(scope.dir, { recursive: true, force: true });
  });
  return scope;
}
