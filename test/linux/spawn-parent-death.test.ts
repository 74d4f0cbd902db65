// A command the addon started (native/src/spawn.cc, spawnCommand) dies with the process that started
// it, even when that process is killed with SIGKILL and so runs no cleanup of its own: the child sets
// PR_SET_PDEATHSIG before its execve.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const nativeModule = fileURLToPath(new URL('../../src/linux/native.js', import.meta.url));

/** A Node process that starts `sleep 60` through spawnCommand and prints its pid. */
const parentSource = `
const { loadNative } = await import(${JSON.stringify(nativeModule)});
loadNative().spawnCommand({ argv: ['sleep', '60'] }, (error, pid) => {
  if (error !== null) { console.error(error.message); process.exit(2); }
  console.log(pid);
}, () => {});
setInterval(() => {}, 1000);
`;

function alive(pid: number): boolean {
  // A zombie is dead for our purpose (its reaper is init, now).
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

t.test('a started command dies when its starter is killed with SIGKILL', async (t) => {
  const parent = spawn(process.execPath, ['--input-type=module', '-e', parentSource], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let commandPid: number | undefined;
  t.teardown(() => {
    if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    if (commandPid !== undefined && alive(commandPid)) process.kill(commandPid, 'SIGKILL');
  });
  const lines = createInterface({ input: parent.stdout! });
  commandPid = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve(Number(line)));
    parent.once('exit', (code) => reject(new Error(`starter exited early (${code})`)));
  });
  t.ok(Number.isInteger(commandPid) && commandPid > 0, `command started, pid ${commandPid}`);
  t.ok(alive(commandPid), 'the command runs while its starter does');
  const exited = new Promise((resolve) => parent.once('exit', resolve));
  parent.kill('SIGKILL');
  await exited;
  const pid = commandPid;
  t.ok(await waitFor(() => !alive(pid), 5000), 'the command is gone once its starter was killed');
});
