// keepalived's net_namespace for bin/vrrpd (keepalived 2.2.7 core/namespaces.c, main.c): the daemon
// runs in the network namespace /run/netns/NAME, with /run/keepalived/NAME bound on /run/keepalived
// in a mount namespace of its own, so its pid and reload files are the namespace's.
//
// keepalived calls setns() before it forks its VRRP process or opens any socket. setns(CLONE_NEWNET)
// and unshare(CLONE_NEWNS) move only the calling thread, and a Node process has threads from its
// start (libuv's pool, which runs DNS look-ups and fs calls; V8's), so a setns() in place would
// leave whatever those threads open in the old namespace. bin/vrrpd therefore does it as
// `ip netns exec` does: on the main thread, before any socket, netlink handle or child exists, it
// enters the namespace, makes the mount, and execve()s its own command line. execve ends every
// other thread; the program starts again in the namespaces of the thread that called it, so every
// socket it ever opens (VRRP, AF_PACKET, rtnetlink, the claim watch, the metrics listener, health
// check connections) and every command it starts is in the namespace. The new process knows it from
// ENTERED_ENV and checks it against the kernel's view (the namespace file's inode).

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadNative } from '../linux/native.js';
import type { DaemonNaming, Diagnostic } from './config-source.js';
import { makePidDirectory, PID_DIR, removeDirectoryIfEmpty } from './daemon-files.js';

/** keepalived's netns_dir, as `ip netns add` makes it. */
export const NETNS_DIR = '/run/netns';
/** Set for the execve'd process: the namespace it was started in. */
export const ENTERED_ENV = 'VRRPD_NET_NAMESPACE';
/** Set for the execve'd process: '' when the run mount was made, else why it was not. */
export const RUN_MOUNT_ENV = 'VRRPD_RUN_MOUNT';

export function netNamespacePath(name: string): string {
  return join(NETNS_DIR, name);
}

/** Whether this process's network namespace is /run/netns/NAME (the same inode as /proc/self/ns/net). */
export function inNetNamespace(name: string): boolean {
  try {
    const ours = statSync('/proc/self/ns/net');
    const theirs = statSync(netNamespacePath(name));
    return ours.ino === theirs.ino && ours.dev === theirs.dev;
  } catch {
    return false;
  }
}

/** What the execve'd process learns from its environment (the variables are then removed). */
export interface EnteredNamespace {
  readonly name: string;
  /** The run mount was made: it is undone at exit. */
  readonly runMount: boolean;
  /** Why the run mount could not be made (keepalived logs it and runs on). */
  readonly runMountProblem?: string;
}

/** The namespace this process was execve'd into by enterAndExec, or undefined; clears the variables. */
export function takeEnteredNamespace(env: NodeJS.ProcessEnv = process.env): EnteredNamespace | undefined {
  const name = env[ENTERED_ENV];
  const runMount = env[RUN_MOUNT_ENV];
  delete env[ENTERED_ENV];
  delete env[RUN_MOUNT_ENV];
  if (name === undefined || !inNetNamespace(name)) return undefined;
  return {
    name,
    runMount: runMount === '',
    ...(runMount !== '' ? { runMountProblem: runMount ?? 'not made' } : {}),
  };
}

/**
 * Enters /run/netns/NAME on this thread, makes the run mount (a failure is passed on, as keepalived
 * logs it and runs on) and execve()s this process's own command line. Returns only by throwing: the
 * namespace cannot be entered (ENOENT: no such namespace) or the execve failed.
 */
export function enterAndExec(name: string): never {
  const native = loadNative();
  let problem = '';
  try {
    // keepalived makes /run/keepalived before it enters the namespace, then /run/keepalived/NAME.
    makePidDirectory();
  } catch (error) {
    problem = (error as Error).message || 'failed';
  }
  native.enterNetNamespace(netNamespacePath(name));
  try {
    const own = join(PID_DIR, name);
    makePidDirectory(own);
    if (problem === '') native.privateRunMount(own, PID_DIR);
  } catch (error) {
    problem = (error as Error).message || 'failed';
  }
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const env = { ...process.env, [ENTERED_ENV]: name, [RUN_MOUNT_ENV]: problem };
  const envList = Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${value}`);
  return native.execProcess(process.execPath, argv, envList);
}

/** At exit, as keepalived's clear_namespaces: the run mount undone, the namespace's directory removed if empty. */
export function leaveRunMount(entered: EnteredNamespace): void {
  if (!entered.runMount) return;
  try {
    loadNative().unmount(PID_DIR);
    removeDirectoryIfEmpty(join(PID_DIR, entered.name));
  } catch {
    // keepalived logs and goes on: the exit is not held up by a directory.
  }
}

/**
 * -t: a net_namespace that does not exist yet. keepalived -t stops there and says nothing (exit 0);
 * a start fails, so -t warns.
 */
export function namespaceCheck(file: string, naming: DaemonNaming): Diagnostic[] {
  const name = naming.netNamespace;
  if (name === undefined || existsSync(netNamespacePath(name))) return [];
  const message = `net_namespace ${name}: ${netNamespacePath(name)} does not exist (ip netns add ${name} makes it); a start would fail`;
  return [{ severity: 'warning', file, line: 0, message }];
}
