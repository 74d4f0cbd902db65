// Every keepalived.conf in test/config/corpus is read by loadKeepalivedConfig and checked by
// `bin/vrrpd -t -f FILE` (which also makes the checks across instances that the daemon makes before
// starting), and our verdict (accept or reject) is compared with `keepalived -t -f FILE` from
// keepalived 2.2.7. Each file says what it expects in its first lines:
//   # expect: accept|reject
//   # keepalived: accept|reject -- why keepalived differs (only where it does, on purpose)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeepalivedConfigError, loadKeepalivedConfig } from '../../src/config/keepalived/index.js';

const corpus = join(fileURLToPath(import.meta.url), '../../../../test/config/corpus');
const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));
/** keepalived 2.2.7's -t exit codes, which vrrpd -t keeps: 0 usable, 5 errors found. */
const TEST_EXIT: Record<Verdict, number> = { accept: 0, reject: 5 };
const files = [
  ...readdirSync(corpus).filter((name) => name.endsWith('.conf')),
  ...readdirSync(corpus, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(corpus, entry.name, 'keepalived.conf')))
    .map((entry) => join(entry.name, 'keepalived.conf')),
].sort();

type Verdict = 'accept' | 'reject';

function header(text: string): { expect: Verdict; keepalived: Verdict; why?: string } {
  const expect = /^# expect: (accept|reject)$/m.exec(text)?.[1] as Verdict | undefined;
  if (!expect) throw new Error('corpus file without "# expect:" line');
  const differs = /^# keepalived: (accept|reject) -- (.+)$/m.exec(text);
  return differs ? { expect, keepalived: differs[1] as Verdict, why: differs[2]! } : { expect, keepalived: expect };
}

function ourVerdict(path: string): { verdict: Verdict; errors: string[] } {
  try {
    const loaded = loadKeepalivedConfig(path);
    if (loaded.input.routers.length === 0) throw new Error('accepted with no routers');
    return { verdict: 'accept', errors: [] };
  } catch (error) {
    if (!(error instanceof KeepalivedConfigError)) throw error;
    return {
      verdict: 'reject',
      errors: error.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}: ${d.message}`),
    };
  }
}

// keepalived -t looks the interfaces up, and the corpus is written for eth0.
// Run by another user, keepalived -t judges the scripts in the files differently (it refuses one as root would not).
const keepalivedSkip = spawnSync('keepalived', ['--version']).error
  ? 'keepalived is not installed'
  : process.getuid?.() !== 0
    ? 'needs root: keepalived -t run by another user judges the scripts differently'
    : !existsSync('/sys/class/net/eth0')
      ? 'no eth0 here, and keepalived -t checks that the interface exists'
      : false;

t.ok(files.length >= 20, `the corpus has ${files.length} files`);

for (const name of files) {
  const path = join(corpus, name);
  const expected = header(readFileSync(path, 'utf8'));
  t.test(name, async (t) => {
    const ours = ourVerdict(path);
    t.equal(
      ours.verdict,
      expected.expect,
      `vrrp-engine: ${expected.expect}${ours.errors.length ? `\n${ours.errors.join('\n')}` : ''}`,
    );
    if (ours.verdict === 'reject') {
      t.ok(
        ours.errors.every((e) => /:\d+: /.test(e) && !/:0: /.test(e)),
        'every error names its file and line',
      );
    }
    t.test("bin/vrrpd -t gives the same verdict, with keepalived -t's exit code", async (t) => {
      // Without NODE_OPTIONS: tap's loader breaks the extensionless bin shim (see test/netns/process.ts).
      const { NODE_OPTIONS: _loader, ...env } = process.env;
      const run = spawnSync(process.execPath, [VRRPD, '-t', '-f', path], {
        cwd: corpus,
        encoding: 'utf8',
        timeout: 20_000,
        env,
      });
      t.equal(run.status, TEST_EXIT[expected.expect], `vrrpd -t exits ${TEST_EXIT[expected.expect]}\n${run.stderr}`);
      if (expected.expect === 'reject') t.match(run.stderr, /:\d+: error: /, 'and names the file and line of an error');
    });
    t.test('keepalived -t agrees (or differs as documented)', { skip: keepalivedSkip }, async (t) => {
      const run = spawnSync('keepalived', ['-t', '-f', path], { cwd: corpus, encoding: 'utf8', timeout: 10_000 });
      const verdict: Verdict = run.status === 0 ? 'accept' : 'reject';
      t.equal(
        verdict,
        expected.keepalived,
        `keepalived 2.2.7 -t: exit ${run.status}${expected.why ? ` (differs on purpose: ${expected.why})` : ''}\n${run.stderr}`,
      );
    });
  });
}

// keepalived -i ID: the same file read as another host would read it. conditional-lines.conf holds
// `@node-a priority 300` and `$ON_NODE_A advert_int 0.5` (VRRPv2), which keepalived -t -i node-a refuses (exit 5).
t.test('-i node-a reads the @node-a lines (keepalived -t -i node-a: exit 5)', async (t) => {
  const path = join(corpus, 'conditional-lines.conf');
  const asNodeA = (() => {
    try {
      loadKeepalivedConfig(path, { configId: 'node-a' });
      return 'accept';
    } catch (error) {
      if (!(error instanceof KeepalivedConfigError)) throw error;
      return error.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `${d.line}: ${d.message}`)
        .join('\n');
    }
  })();
  t.match(
    asNodeA,
    /^16: .*"300"\n19: advert_int 0\.5/,
    'the reader with configId node-a refuses the @node-a priority 300 line and the $ON_NODE_A advert_int 0.5 one',
  );
  t.test('bin/vrrpd -t -i node-a', async (t) => {
    const { NODE_OPTIONS: _loader, ...env } = process.env;
    const run = spawnSync(process.execPath, [VRRPD, '-t', '-i', 'node-a', '-f', path], {
      encoding: 'utf8',
      timeout: 20_000,
      env,
    });
    t.equal(run.status, 5, `vrrpd -t -i node-a exits 5 as keepalived does\n${run.stderr}`);
  });
  t.test('keepalived -t -i node-a', { skip: keepalivedSkip }, async (t) => {
    const run = spawnSync('keepalived', ['-t', '-i', 'node-a', '-f', path], { encoding: 'utf8', timeout: 10_000 });
    t.equal(run.status, 5, 'keepalived 2.2.7 -t -i node-a exits 5');
  });
});
