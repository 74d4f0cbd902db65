// Last-resort cleanup: if a test process exits without its teardown having run (an uncaught error, a
// tap timeout's SIGTERM, Ctrl-C), kill every process it started, by PID, and delete every namespace it
// made.
// Normal teardown goes through Harness.destroy(); this only catches what that missed.

import { execFileSync } from 'node:child_process';

const livePids = new Set<number>();
const liveNamespaces = new Set<string>();
const liveContainers = new Set<string>();
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanUpNow);
  // tap stops a test that runs past its timeout with SIGTERM, which ends node without 'exit'.
  for (const [signal, number] of [
    ['SIGTERM', 15],
    ['SIGINT', 2],
  ] as const) {
    process.once(signal, () => {
      cleanUpNow();
      process.exit(128 + number);
    });
  }
}

function cleanUpNow(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  // Containers before their namespaces; killing the podman client alone would leave them running.
  for (const name of liveContainers) {
    try {
      execFileSync('podman', ['rm', '--force', '--time', '0', name], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
  for (const ns of liveNamespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
  livePids.clear();
  liveContainers.clear();
  liveNamespaces.clear();
}

export function rememberPid(pid: number): void {
  hook();
  livePids.add(pid);
}

export function forgetPid(pid: number): void {
  livePids.delete(pid);
}

export function rememberNamespace(name: string): void {
  hook();
  liveNamespaces.add(name);
}

export function forgetNamespace(name: string): void {
  liveNamespaces.delete(name);
}

/** A podman container (by the name this test gave it) to remove if the teardown does not. */
export function rememberContainer(name: string): void {
  hook();
  liveContainers.add(name);
}

export function forgetContainer(name: string): void {
  liveContainers.delete(name);
}
