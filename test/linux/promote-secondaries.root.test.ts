// PromoteSecondaries against a real kernel: net.ipv4.conf.eth0.promote_secondaries in a namespace of
// its own, read and written by a child run there (/proc/sys/net is per namespace). keepalived 2.2.7's
// rule: on at the first router if it was off, off again after the last; left alone if it was on.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ns = `vrrpps${process.pid}`;
const distRoot = fileURLToPath(new URL('../..', import.meta.url));

const child = `
import { readFileSync, writeFileSync } from 'node:fs';
import { PromoteSecondaries } from ${JSON.stringify(`${distRoot}/src/linux/promote-secondaries.js`)};
const path = '/proc/sys/net/ipv4/conf/eth0/promote_secondaries';
const value = () => readFileSync(path, 'utf8').trim();
const errorOf = (f) => { try { f(); return null; } catch (e) { return e.code; } };
const p = new PromoteSecondaries();
const out = { start: value() };
out.acquireA = p.acquire('A', 'eth0');
out.acquireB = p.acquire('B', 'eth0');
out.running = value();
out.releaseA = p.release('A');
out.afterA = value();
out.releaseB = p.release('B');
out.afterB = value();
writeFileSync(path, '1');
out.acquireC = p.acquire('C', 'eth0');
out.releaseC = p.release('C');
out.leftOn = value();
out.noSuch = errorOf(() => p.acquire('D', 'nosuch0'));
out.traversal = errorOf(() => p.acquire('E', '..'));
console.log(JSON.stringify(out));
`;

if (process.getuid?.() !== 0) {
  t.plan(0, 'skipped: needs root (a network namespace)');
} else {
  t.teardown(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  });
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
  t.test('on at the first router if off, off after the last; an interface already on is left alone', async (t) => {
    const out = JSON.parse(
      execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', child], {
        encoding: 'utf8',
      }),
    );
    t.same(out, {
      start: '0',
      acquireA: true,
      acquireB: false,
      running: '1',
      releaseA: [],
      afterA: '1',
      releaseB: ['eth0'],
      afterB: '0',
      acquireC: false,
      releaseC: [],
      leftOn: '1',
      noSuch: 'ENOENT',
      traversal: 'EINVAL',
    });
  });
}
