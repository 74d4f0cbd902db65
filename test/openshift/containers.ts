// IP failover pods as real containers of the image `npm run image` builds (scripts/image.sh): podman
// joins each to a LAN node's network namespace, as a pod with hostNetwork shares its node's, with only
// the capabilities and the read-only root the docs promise, configured only by OPENSHIFT_HA_*
// variables. The container is PID 1 of its own pid namespace. Names are unique per test process and
// every container is removed by its teardown, or by cleanup.ts if the teardown never ran.

import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { forgetContainer, rememberContainer } from '../netns/cleanup.js';
import { skipReason } from '../netns/harness.js';
import type { LanNode } from '../netns/lan.js';
import { NamespaceProcess } from '../netns/process.js';
import { JsonLogPod, type Env } from './pods.js';

const execFileAsync = promisify(execFile);

export const IMAGE = process.env.VRRP_IPFAILOVER_IMAGE ?? 'localhost/vrrp-engine-ipfailover:latest';
/** crun refuses this kind of machine's hybrid cgroups (scripts/image.sh). */
const RUNTIME = process.env.VRRP_OCI_RUNTIME ?? 'runc';

/** Why the container tests cannot run here, or undefined when they can. */
export function containerSkipReason(needs: readonly string[] = []): string | undefined {
  const base = skipReason(needs);
  if (base !== undefined) return base;
  try {
    execFileSync('podman', ['image', 'exists', IMAGE], { stdio: 'ignore' });
  } catch {
    return `the image ${IMAGE} is not built here (npm run image; needs podman, runc, mmdebstrap)`;
  }
  return undefined;
}

function podman(...args: string[]): string {
  return execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface ContainerOptions {
  /** Unique within the test file: becomes part of the container name. */
  readonly tag: string;
  /** host path -> container path, mounted read-only (the ConfigMap of the check script). */
  readonly volumes?: Readonly<Record<string, string>>;
}

let started = 0;

/** One IP failover pod: `podman run` in the foreground, its stdout the program's JSON log. */
export class ContainerPod extends JsonLogPod {
  readonly name: string;
  /** Date.now() just before `podman run` was started. */
  readonly startedAtMs: number;

  constructor(node: LanNode, env: Env, options: ContainerOptions) {
    const name = `vrrp-ipf-${options.tag}-${process.pid}-${++started}`;
    const args = [
      'run',
      '--rm',
      '--name',
      name,
      '--runtime',
      RUNTIME,
      '--network',
      `ns:/run/netns/${node.namespace}`,
      '--cap-drop',
      'all',
      '--cap-add',
      'NET_ADMIN,NET_RAW',
      '--read-only',
      ...Object.entries(options.volumes ?? {}).flatMap(([host, inside]) => ['--volume', `${host}:${inside}:ro`]),
      ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
      IMAGE,
    ];
    rememberContainer(name);
    const startedAtMs = Date.now();
    super(node, new NamespaceProcess(`container ${name}`, undefined, 'podman', args));
    this.name = name;
    this.startedAtMs = startedAtMs;
  }

  /** The host pid of the container's PID 1 (bin/ipfailover). */
  hostPid(): number {
    return Number(podman('inspect', '--format', '{{.State.Pid}}', this.name).trim());
  }

  /** `podman exec` in the container; resolves with its stdout and exit code (not rejecting on non-zero). */
  async exec(...command: string[]): Promise<{ code: number; stdout: string }> {
    try {
      const { stdout } = await execFileAsync('podman', ['exec', this.name, ...command], { encoding: 'utf8' });
      return { code: 0, stdout };
    } catch (error) {
      const e = error as { code?: number; stdout?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '' };
    }
  }

  /** `podman stop -t graceSeconds`: SIGTERM, then SIGKILL after the grace; resolves with the exit. */
  async stop(graceSeconds = 10): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.process.running) {
      try {
        await execFileAsync('podman', ['stop', '--time', String(graceSeconds), this.name]);
      } catch {
        // Already gone (--rm) between the check and the stop.
      }
    }
    return this.process.exited;
  }

  /** `podman kill` (SIGKILL): no priority-0 advert, nothing removed. */
  async kill(): Promise<void> {
    await execFileAsync('podman', ['kill', this.name]).catch(() => undefined);
    await this.process.exited;
  }

  /** Removes the container whatever its state; for teardowns. */
  async remove(): Promise<void> {
    await execFileAsync('podman', ['rm', '--force', '--time', '0', this.name]).catch(() => undefined);
    if (this.process.running) await this.process.kill();
    forgetContainer(this.name);
  }
}

interface ProcStatus {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  readonly name: string;
}

function procStatus(pid: string): ProcStatus | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (key: string) => new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(text)?.[1] ?? '';
    return { pid: Number(pid), ppid: Number(field('PPid')), state: field('State').charAt(0), name: field('Name') };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Every process (host view) in the pid namespace of host pid `pid`, with its command line. */
export function processesInPidNamespaceOf(pid: number): (ProcStatus & { readonly cmdline: string })[] {
  const ns = readlinkSync(`/proc/${pid}/ns/pid`);
  const found: (ProcStatus & { cmdline: string })[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
      const status = procStatus(entry);
      if (status === undefined) continue;
      found.push({
        ...status,
        cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '),
      });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
