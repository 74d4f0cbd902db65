// ${_RANDOM [MIN [MAX]]}, ${_BANG} and global_defs random_seed, as keepalived 2.2.7 reads them: glibc's
// random() (compared with libc's own through python3's ctypes), the forms of the reference, and the
// same file read by `keepalived -t` and by the reader seeded with the second keepalived read it in: every
// replaced word is the same (unknown keywords make the words visible in both reports).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DiagnosticList } from '../../src/config/keepalived/diagnostics.js';
import { GlibcRandom } from '../../src/config/keepalived/glibc-random.js';
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { lexKeepalivedConfig } from '../../src/config/keepalived/lexer.js';
import { globalsErrors } from './global-defs.js';

const SEEDS = [0, 1, 42, 1796643026, 2 ** 31 + 5, 4294967295];

const PYTHON_SKIP =
  spawnSync('python3', ['-c', 'import ctypes']).status === 0 ? false : 'python3 with ctypes is needed';
const KEEPALIVED_SKIP = spawnSync('keepalived', ['--version']).error ? 'keepalived is not installed' : false;

t.test("GlibcRandom gives libc's random() after srandom(seed)", { skip: PYTHON_SKIP }, async (t) => {
  const script =
    'import ctypes, sys\nl = ctypes.CDLL(None)\nl.srandom.argtypes = [ctypes.c_uint]\n' +
    'for s in sys.argv[1:]:\n    l.srandom(int(s))\n    print(" ".join(str(l.random()) for _ in range(400)))\n';
  const python = spawnSync('python3', ['-c', script, ...SEEDS.map(String)], { encoding: 'utf8' });
  t.equal(python.status, 0, python.stderr);
  const libc = python.stdout.trim().split('\n');
  SEEDS.forEach((seed, i) => {
    const ours = new GlibcRandom(seed);
    const numbers = Array.from({ length: 400 }, () => ours.next()).join(' ');
    t.equal(numbers, libc[i], `seed ${seed}: the first 400 numbers`);
  });
});

/** The words of one line, lexed with `seed`, with the diagnostics. */
function lexed(text: string, seed: number) {
  const diagnostics = new DiagnosticList();
  const { tokens } = lexKeepalivedConfig(text, 'k.conf', diagnostics, { randomSeed: seed });
  return { words: tokens.filter((tk) => tk.kind === 'word').map((tk) => tk.text), diagnostics: diagnostics.items };
}

t.test('the forms: defaults, MIN, MIN MAX, a new number at each use', async (t) => {
  const seed = 1234;
  const generator = new GlibcRandom(seed);
  const draws = Array.from({ length: 6 }, () => generator.next());
  const { words, diagnostics } = lexed(
    '$X=${_RANDOM 1 100}\na ${_RANDOM} ${_RANDOM 5} ${_RANDOM 1  6} $X $X $_RANDOM',
    seed,
  );
  t.same(words, [
    'a',
    String(draws[0]! % 32768),
    String((draws[1]! % 32763) + 5),
    String((draws[2]! % 6) + 1),
    String((draws[3]! % 100) + 1),
    String((draws[4]! % 100) + 1),
    String(draws[5]! % 32768),
  ]);
  t.same(diagnostics, []);
});

t.test('what is not a reference, or not a usable one', async (t) => {
  const kept = lexed('a ${_HASH 3} ${_RANDOM 1 3 } ${_RANDOM5}', 1);
  // Kept as written, then split at the braces (as keepalived splits them).
  t.same(kept.words, ['a', '$', '_HASH', '3', '$', '_RANDOM', '1', '3', '$', '_RANDOM5'], 'kept as written');
  t.same(
    kept.diagnostics.map((d) => d.message),
    ['${_RANDOM5} is not defined; kept as written'],
    'numbers after a name make no reference (no warning); _RANDOM5 is a name of its own',
  );
  const extra = lexed('a ${_RANDOM 1 2 3}', 1);
  t.match(extra.diagnostics, [{ severity: 'warning', message: /only MIN and MAX are read/ }]);
  const zero = lexed('a ${_RANDOM 1 0}', 1);
  t.match(zero.diagnostics, [{ severity: 'error', message: /MAX is MIN - 1.*divides by zero/ }]);
});

t.test('${_HASH} and ${_BANG} start a comment once replaced, as keepalived -t shows', async (t) => {
  t.same(lexed('a x${_HASH}y z\nb x${_BANG}y z\nc "${_BANG}"', 1).words, ['a', 'x', 'b', 'x', 'c', '${_BANG}']);
});

t.test('random_seed: checked, then no seed (as keepalived 2.2.7)', async (t) => {
  const read = (seed: number) =>
    parseKeepalivedConfig(
      'global_defs {\n  random_seed 7\n}\nvrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id ${_RANDOM 1 255}\nvirtual_ipaddress {\n192.0.2.100\n}\n}\n',
      'k.conf',
      { randomSeed: seed },
    );
  const first = read(100);
  t.match(first.diagnostics, [
    { severity: 'warning', line: 2, message: /random_seed does not make \$\{_RANDOM\} repeatable/ },
  ]);
  t.equal(first.input.routers[0]?.vrid, (new GlibcRandom(100).next() % 255) + 1, "the read's seed, not random_seed's");
  t.equal(read(101).input.routers[0]?.vrid, (new GlibcRandom(101).next() % 255) + 1);
  t.match(globalsErrors('random_seed -1'), [/random_seed -1 invalid/]);
  t.match(globalsErrors('random_seed 4294967296'), [/random_seed 4294967296 invalid/]);
  t.match(globalsErrors('random_seed x'), [/random_seed x invalid/]);
  t.same(globalsErrors('random_seed 4294967295'), []);
});

/** Lines whose first word shows what replaced the references (unknown keywords in both readers). */
const COMPARED = [
  'random_seed 42',
  'k01_${_RANDOM}',
  'k02_${_RANDOM 5}',
  'k03_${_RANDOM 1 10}',
  'k04_${_RANDOM  7   9}',
  'k05_${_RANDOM 1 2 3}',
  'k06_${_RANDOM 10 5}',
  'k07_$_RANDOM',
  'k08_$X',
  'k09_$X',
  'k10_${_RANDOM 4294967296 4294967300}',
  'k11_${_RANDOM 0 0}',
  'k12_${_RANDOM 99999999999999999999999 3}',
  'k13_${_HASH}x',
  'k14_${_BANG}x',
];
const FILE = `$X=\${_RANDOM 1 100}\nglobal_defs {\n${COMPARED.map((l) => `  ${l}`).join('\n')}\n}\n`;

/** Line number -> the unknown keyword reported there. */
function unknownWords(lines: Iterable<[number, string]>): Record<number, string> {
  return Object.fromEntries([...lines].sort((a, b) => a[0] - b[0]));
}

function ourWords(seed: number): Record<number, string> {
  try {
    parseKeepalivedConfig(FILE, 'k.conf', { randomSeed: seed });
  } catch (error) {
    if (!(error instanceof KeepalivedConfigError)) throw error;
    return unknownWords(
      error.diagnostics.flatMap((d) => {
        const m = /^unknown keyword "(k\d\d_[^"]*)"/.exec(d.message);
        return m ? [[d.line, m[1]!] as [number, string]] : [];
      }),
    );
  }
  throw new Error('the file was read without errors');
}

t.test('the same words as keepalived 2.2.7 -t in the same second', { skip: KEEPALIVED_SKIP }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-random-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'keepalived.conf');
  writeFileSync(path, FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = Math.floor(Date.now() / 1000);
    const run = spawnSync('keepalived', ['-t', '-l', '-f', path], { encoding: 'utf8' });
    const after = Math.floor(Date.now() / 1000);
    if (before !== after) continue; // the read may have begun in either second: ask again
    const theirs = unknownWords(
      [...`${run.stdout}${run.stderr}`.matchAll(/^\(Line (\d+)\) Unknown keyword '(k\d\d_[^']*)'/gm)].map(
        (m) => [Number(m[1]), m[2]!] as [number, string],
      ),
    );
    t.equal(Object.keys(theirs).length, COMPARED.length - 1, `keepalived reported every k line:\n${run.stderr}`);
    t.same(ourWords(before), theirs, `seeded with ${before}: ${JSON.stringify(theirs)}`);
    t.notSame(ourWords(42), theirs, 'random_seed 42 is not the seed, in keepalived either');
    return;
  }
  t.fail('keepalived -t straddled a second boundary three times');
});
