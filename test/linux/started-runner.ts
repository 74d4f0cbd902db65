// A runner (bin/vrrpd, bin/vrrp-engine, bin/ipfailover) started in a test namespace, optionally under a
// prefix that execs it (setpriv, prlimit, env), so that child.pid is node itself: what /proc is read for.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { TestNamespace } from './netns-harness.js';
import { eventually } from './runner-process.js';

export class StartedRunner {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(namespace: string, prefix: readonly string[], command: readonly string[]) {
    this.child = spawn('ip', ['netns', 'exec', namespace, ...prefix, process.execPath, ...command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // tap's NODE_OPTIONS loader must not follow the runner.
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Waits until the output matches `what` (or the runner exits); throws with the output if it never does. */
  async logged(what: RegExp): Promise<void> {
    await eventually(String(what), () => what.test(this.output) || this.child.exitCode !== null);
    if (!what.test(this.output)) throw new Error(`never logged ${what}; output:\n${this.output}`);
  }
}

/** A test namespace with a veth pair and a private directory, and a start() whose runners are killed at teardown. */
export function runnerLan(
  t: Test,
  tag: string,
): {
  netns: TestNamespace;
  dir: string;
  start: (prefix: readonly string[], command: readonly string[]) => StartedRunner;
} {
  const netns = new TestNamespace(tag);
  const dir = mkdtempSync(join(tmpdir(), `vrrp-${tag}-`));
  const started: StartedRunner[] = [];
  t.teardown(() => {
    for (const s of started) s.kill();
    netns.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  netns.addressPair();
  const start = (prefix: readonly string[], command: readonly string[]) => {
    const s = new StartedRunner(netns.name, prefix, command);
    started.push(s);
    return s;
  };
  return { netns, dir, start };
}
