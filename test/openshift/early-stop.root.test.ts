// exitOnEarlyStopSignals (src/openshift/early-stop.ts) as PID 1 of a new pid namespace, where the
// kernel drops a signal that has no handler: with it a SIGTERM ends the process with 0; without it the
// same SIGTERM is lost.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../src/openshift/early-stop.js', import.meta.url));
const skip = process.getuid?.() !== 0 ? 'needs root for a new pid namespace (unshare --pid)' : false;

/** node as PID 1 of a new pid namespace; `arm` decides whether it installs the early handlers. */
async function pid1(arm: boolean) {
  const script = `if (process.pid !== 1) throw new Error('not pid 1');
    ${arm ? `(await import(${JSON.stringify(MODULE)})).exitOnEarlyStopSignals();` : ''}
    console.log('ready'); setInterval(() => {}, 1000);`;
  const child = spawn(
    'unshare',
    ['--pid', '--fork', 'env', '-u', 'NODE_OPTIONS', process.execPath, '--input-type=module', '-e', script],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => data.toString().includes('ready') && resolve());
    child.once('exit', () => reject(new Error('exited before ready')));
  });
  // unshare --fork waits for its one child: node, PID 1 inside.
  const node = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim());
  return { child, node, exited };
}

/** SIGKILL by host pid (reaches a namespace's PID 1 too); the namespace ends with it. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

t.test(
  'PID 1: SIGTERM before StopSignals ends the process with 0; without the handler it is lost',
  { skip },
  async (t) => {
    const armed = await pid1(true);
    t.teardown(() => killQuietly(armed.node));
    process.kill(armed.node, 'SIGTERM');
    const code = await Promise.race([armed.exited, new Promise((r) => setTimeout(() => r('still running'), 5000))]);
    t.equal(code, 0, 'exit 0');

    const bare = await pid1(false);
    t.teardown(() => killQuietly(bare.node));
    process.kill(bare.node, 'SIGTERM');
    const outcome = await Promise.race([bare.exited, new Promise((r) => setTimeout(() => r('still running'), 1500))]);
    t.equal(outcome, 'still running', 'without a handler PID 1 ignores SIGTERM');
    killQuietly(bare.node);
    await bare.exited;
  },
);
