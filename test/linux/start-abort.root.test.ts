// startLinuxEngine({ signal }) aborted while it starts: it rejects with AbortError and undoes what it
// did. The witnesses: no VIP on the interface, and the child process exits by itself (nothing of the
// runtime left open: socket, link watcher process, timer). Needs root (a network namespace).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ip, namespaceSkipReason } from './netns-harness.js';

const child = fileURLToPath(new URL('./start-abort-child.js', import.meta.url));
const ns = `vrrpabort${process.pid}`;

t.test(
  'an abort while startLinuxEngine runs: AbortError, no VIP, nothing left open',
  { skip: namespaceSkipReason() ?? false },
  async (t) => {
    ip('netns', 'add', ns);
    t.teardown(() => void ip('netns', 'del', ns));
    ip('-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'va');
    ip('-n', ns, 'link', 'set', 'va', 'up');
    ip('-n', ns, 'link', 'set', 'vb', 'up');
    const run = spawnSync('ip', ['netns', 'exec', ns, process.execPath, child], { encoding: 'utf8', timeout: 30_000 });
    t.equal(run.signal, null, 'the child exited by itself (not killed by the timeout)');
    t.equal(run.status, 0, `exit 0 (stderr: ${run.stderr.trim()})`);
    t.match(JSON.parse(run.stdout.trim()), { outcome: 'rejected', name: 'AbortError' });
    const addresses = ip('-n', ns, '-4', '-o', 'addr', 'show', 'dev', 'va');
    t.notMatch(addresses, '192.0.2.100', 'the VIP was never added');
  },
);
