// include_check, the include directives (includer, includem, includew, includeb, includea) and -e:
// which include problems refuse the file. Each case is a keepalived.conf in a directory of known files;
// our reader's verdict is compared with the expected one, and, where keepalived 2.2.7 is installed
// (and eth0 exists, which keepalived -t checks), with `keepalived -t` on the same file.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeepalivedConfigError, loadKeepalivedConfig } from '../../src/config/keepalived/index.js';
import {
  applyIncludeCheck,
  hasBrace,
  INCLUDE_ALL,
  INCLUDE_BRACE,
  INCLUDE_MATCH,
  INCLUDE_READ,
  INCLUDE_WILDCARD,
} from '../../src/config/keepalived/include-check.js';

const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));
const keepalivedSkip = spawnSync('keepalived', ['--version']).error
  ? 'keepalived is not installed'
  : process.getuid?.() !== 0
    ? 'needs root: keepalived -t run by another user judges files differently'
    : !existsSync('/sys/class/net/eth0')
      ? 'no eth0 here, and keepalived -t checks that the interface exists'
      : false;

t.test('include_check options, as keepalived 2.2.7 reads them', async (t) => {
  const none = 0;
  t.same(applyIncludeCheck(none, []), { checks: INCLUDE_ALL, errors: [] }, 'no option: every check');
  t.same(applyIncludeCheck(none, ['read']).checks, INCLUDE_READ);
  t.same(applyIncludeCheck(none, ['match']).checks, INCLUDE_READ | INCLUDE_MATCH, 'a check includes read');
  t.same(
    applyIncludeCheck(INCLUDE_ALL, ['wildcard_match']).checks,
    INCLUDE_READ | INCLUDE_WILDCARD,
    'a bare word sets',
  );
  t.same(applyIncludeCheck(INCLUDE_READ, ['+brace_match']).checks, INCLUDE_READ | INCLUDE_BRACE, '+ adds');
  t.same(
    applyIncludeCheck(INCLUDE_ALL, ['-match', '-brace_match']).checks,
    INCLUDE_READ | INCLUDE_WILDCARD,
    '- removes',
  );
  t.same(applyIncludeCheck(none, ['read', '+match', '-wildcard_match']).checks, INCLUDE_READ | INCLUDE_MATCH);
  const unknown = applyIncludeCheck(INCLUDE_ALL, ['bogus']);
  t.equal(unknown.checks, 0, 'a bare unknown word still clears the setting first, as keepalived does');
  t.match(unknown.errors, [/unknown option "bogus"/]);
  const duplicate = applyIncludeCheck(none, ['read', 'match']);
  t.equal(duplicate.checks, INCLUDE_READ, 'the second bare word is ignored');
  t.match(duplicate.errors, [/duplicate option "match"/]);
  t.ok(hasBrace('a/{b,c}.conf'));
  t.notOk(hasBrace('a/\\{b.conf'), 'an escaped brace is not a group');
});

/** The files every case's configuration may include. */
function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ka-include-check-'));
  writeFileSync(join(dir, 'a.conf'), '! an empty include\n');
  mkdirSync(join(dir, 'empty'));
  mkdirSync(join(dir, 'dd'));
  // keepalived never reads an executable: if it were read, its text would be an error.
  writeFileSync(join(dir, 'exec.conf'), 'this is not a keyword\n');
  chmodSync(join(dir, 'exec.conf'), 0o755);
  writeFileSync(join(dir, 'scoped.conf'), 'global_defs {\n  include_check\n}\n');
  return dir;
}

const VRRP =
  'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.100\n  }\n}\n';
const globalDefs = (line: string) => `global_defs {\n  ${line}\n}\n`;

const CASES: readonly { name: string; text: string; verdict: 'accept' | 'reject' }[] = [
  { name: 'include of a missing file', text: 'include nope.conf\n', verdict: 'accept' },
  { name: 'include of a wildcard under a missing directory', text: 'include nodir/*.conf\n', verdict: 'accept' },
  { name: 'include_check, missing file', text: `${globalDefs('include_check')}include nope.conf\n`, verdict: 'reject' },
  {
    name: 'include_check, empty wildcard',
    text: `${globalDefs('include_check')}include empty/*.conf\n`,
    verdict: 'reject',
  },
  {
    name: 'include_check wildcard_match, missing named file (not its check)',
    text: `${globalDefs('include_check wildcard_match')}include nope.conf\n`,
    verdict: 'accept',
  },
  {
    name: 'include_check wildcard_match, empty wildcard',
    text: `${globalDefs('include_check wildcard_match')}include empty/*.conf\n`,
    verdict: 'reject',
  },
  {
    name: 'include_check match, empty wildcard (not its check)',
    text: `${globalDefs('include_check match')}include empty/*.conf\n`,
    verdict: 'accept',
  },
  {
    name: 'include_check match, wildcard under a missing directory',
    text: `${globalDefs('include_check match')}include nodir/*.conf\n`,
    verdict: 'reject',
  },
  {
    name: 'include_check +match -match',
    text: `${globalDefs('include_check read +match -match')}include nope.conf\n`,
    verdict: 'accept',
  },
  { name: 'include_check with an unknown option', text: globalDefs('include_check bogus'), verdict: 'reject' },
  { name: 'include_check at the top level (not global_defs)', text: 'include_check\n', verdict: 'reject' },
  {
    name: 'include_check set in an included file ends with that file',
    text: 'include scoped.conf\ninclude nope.conf\n',
    verdict: 'accept',
  },
  {
    name: 'include of one present and one missing brace alternative',
    text: 'include {a,nope}.conf\n',
    verdict: 'accept',
  },
  { name: 'includeb of one present and one missing alternative', text: 'includeb {a,nope}.conf\n', verdict: 'reject' },
  { name: 'includer of a missing file (not its check)', text: 'includer nope.conf\n', verdict: 'accept' },
  { name: 'includem of a missing file', text: 'includem nope.conf\n', verdict: 'reject' },
  { name: 'includew of an empty wildcard', text: 'includew empty/*.conf\n', verdict: 'reject' },
  { name: 'includea of an empty wildcard', text: 'includea empty/*.conf\n', verdict: 'reject' },
  { name: 'include of a directory: skipped', text: 'include dd\n', verdict: 'accept' },
  { name: 'includer of a directory', text: 'includer dd\n', verdict: 'reject' },
  { name: 'include of an executable file: skipped, not read', text: 'include exec.conf\n', verdict: 'accept' },
  { name: 'includer of an executable file', text: 'includer exec.conf\n', verdict: 'reject' },
];

function ourVerdict(path: string): { verdict: 'accept' | 'reject'; messages: string[] } {
  try {
    const loaded = loadKeepalivedConfig(path);
    return { verdict: 'accept', messages: loaded.diagnostics.map((d) => `${d.severity}: ${d.message}`) };
  } catch (error) {
    if (!(error instanceof KeepalivedConfigError)) throw error;
    return { verdict: 'reject', messages: error.diagnostics.map((d) => `${d.severity}: ${d.message}`) };
  }
}

t.test('include problems: our verdict and keepalived -t on the same files', async (t) => {
  const dir = fixture();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  CASES.forEach((c, index) => {
    const path = join(dir, `case-${index}.conf`);
    writeFileSync(path, `${c.text}${VRRP}`);
    const ours = ourVerdict(path);
    t.equal(ours.verdict, c.verdict, `${c.name}: ours\n${ours.messages.join('\n')}`);
    if (keepalivedSkip) return;
    const run = spawnSync('keepalived', ['-t', '-f', path], { encoding: 'utf8', timeout: 10_000 });
    t.equal(run.status === 0 ? 'accept' : 'reject', c.verdict, `${c.name}: keepalived -t exit ${run.status}`);
  });
  if (keepalivedSkip) t.comment(`keepalived -t not compared: ${keepalivedSkip}`);
});

t.test('a warning names the problem and the check that would refuse it', async (t) => {
  const dir = fixture();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'warned.conf');
  writeFileSync(path, `include nope.conf\ninclude empty/*.conf\ninclude dd\ninclude exec.conf\n${VRRP}`);
  t.same(
    loadKeepalivedConfig(path).diagnostics.map((d) => [d.line, d.severity, d.message]),
    [
      [1, 'warning', 'include nope.conf: no such file or directory (include_check would make this an error)'],
      [2, 'warning', 'include empty/*.conf: no file matches (include_check would make this an error)'],
      [3, 'warning', `include dd: ${join(dir, 'dd')} is a directory; skipped (include_check would make this an error)`],
      [
        4,
        'warning',
        `include exec.conf: ${join(dir, 'exec.conf')} is executable (keepalived reads no executable file); skipped (include_check would make this an error)`,
      ],
    ],
  );
});

t.test('vrrpd -e (--all-config): every check on, as keepalived -e', async (t) => {
  const dir = fixture();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'all.conf');
  writeFileSync(path, `include nope.conf\n${VRRP}`);
  // Without NODE_OPTIONS: tap's loader breaks the extensionless bin shim (see test/netns/process.ts).
  const { NODE_OPTIONS: _loader, ...env } = process.env;
  const plain = spawnSync(process.execPath, [VRRPD, '-t', '-f', path], { encoding: 'utf8', timeout: 20_000, env });
  t.equal(plain.status, 0, `without -e the file is usable\n${plain.stderr}`);
  const all = spawnSync(process.execPath, [VRRPD, '-t', '-e', '-f', path], { encoding: 'utf8', timeout: 20_000, env });
  t.equal(all.status, 5, `with -e it is refused\n${all.stderr}`);
  t.match(all.stderr, /all\.conf:1: error: include nope\.conf: no such file or directory/);
  if (keepalivedSkip) return;
  const keepalived = spawnSync('keepalived', ['-t', '-e', '-f', path], { encoding: 'utf8', timeout: 10_000 });
  t.not(keepalived.status, 0, `keepalived -t -e refuses it too (exit ${keepalived.status})`);
});
