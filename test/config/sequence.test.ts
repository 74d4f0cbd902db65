// keepalived's ~SEQ, ~SEQx and ~LST blocks (sequence.ts, lexer.ts): the man page's examples, the edge
// cases of keepalived 2.2.7's lib/parser.c (defaults, strtol numbers, the step's direction, hex,
// nesting, blocks in and around multi-line definitions), the budget that ends a block that would not
// end, and the same file read by `keepalived -t` and by the reader: every line a block produces is an
// unknown keyword in both reports, so the words and their order can be compared.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { DiagnosticList } from '../../src/config/keepalived/diagnostics.js';
import {
  KeepalivedConfigError,
  loadKeepalivedConfig,
  parseKeepalivedConfig,
} from '../../src/config/keepalived/index.js';
import { lexKeepalivedConfig } from '../../src/config/keepalived/lexer.js';
import { strtol } from '../../src/config/keepalived/sequence.js';

const KEEPALIVED_SKIP = spawnSync('keepalived', ['--version']).error ? 'keepalived is not installed' : false;

/** The lines the reader hands on (words joined by a space), with the diagnostics. */
function lines(text: string) {
  const diagnostics = new DiagnosticList();
  const { tokens, stopped } = lexKeepalivedConfig(text, 'k.conf', diagnostics);
  const out: string[] = [];
  let current: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'eol') {
      out.push(current.join(' '));
      current = [];
    } else current.push(token.text);
  }
  return { lines: out, diagnostics: diagnostics.items, stopped };
}

t.test("the man page's examples", async (t) => {
  t.same(
    lines('~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1').lines,
    [0, 1, 2, 3].map((n) => `ip_address 10.0.${n}.1`),
  );
  const hex = ['90', 'a0', 'b0', 'c0'].map((h) => `ip_address fe80::20:${h}:1`);
  t.same(lines('~SEQx(SUBNET, 144, 16, 192) ip_address fe80::20:${SUBNET}:1').lines, hex);
  t.same(lines('~SEQx(SUBNET, 0x90, 0x10, 0xc0) ip_address fe80::20:${SUBNET}:1').lines, hex);
  const nested = lines(
    'virtual_ipaddress {\n~SEQx(AD2, 0x90, 0x10, 0xc0) ~SEQx(AD1, 0x12, -1, 0x0c) fe81::10:${AD2}:${AD1}\n}',
  );
  const expected = ['90', 'a0', 'b0', 'c0'].flatMap((a) =>
    ['12', '11', '10', 'f', 'e', 'd', 'c'].map((b) => `fe81::10:${a}:${b}`),
  );
  t.same(nested.lines, ['virtual_ipaddress {', ...expected, '}']);
  t.same(lines('~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) 192.168.${IP}.${IP1}').lines, [
    '192.168.10.1',
    '192.168.20.4',
    '192.168.5.6',
    '192.168.12.8',
  ]);
  t.same(
    lines('~LST(IP, 1, 2, 3, 4) ~LST(IP1, 5,6,7) 192.169.${IP}.${IP1}').lines,
    [1, 2, 3, 4].flatMap((a) => [5, 6, 7].map((b) => `192.169.${a}.${b}`)),
  );
  t.same(
    lines('~LST({IP,   IP1},  {10,1},{20,4},{5,6},{12,8})  ~SEQ(IP2,168,2,172) 192.${IP2}.${IP}.${IP1}').lines,
    ['10.1', '20.4', '5.6', '12.8'].flatMap((ab) => [168, 170, 172].map((c) => `192.${c}.${ab}`)),
  );
});

t.test('defaults, directions and numbers', async (t) => {
  const seq = (spec: string) => lines(`~SEQ${spec} $v`).lines;
  t.same(seq('(v, 3)'), ['1', '2', '3'], 'START 1 and STEP 1 towards a positive END');
  t.same(seq('(v, 0)'), ['1', '0'], 'END 0: START 1, STEP -1');
  t.same(seq('(v, -2)'), ['-1', '-2'], 'a negative END: START -1');
  t.same(seq('(v, 5, 3)'), ['5', '4', '3'], 'STEP -1 when START is past END');
  t.same(seq('(v, 4, 4)'), ['4'], 'START = END: one line');
  t.same(seq('(v, 1, 3, 8)'), ['1', '4', '7'], 'the last value short of END');
  t.same(seq('(v, 10, -4, 1)'), ['10', '6', '2']);
  t.same(seq('(v, 0x10, 010, 0x20)'), ['16', '24', '32'], "strtol's 0x and leading-0 octal");
  t.same(seq('(v,,2)'), ['0', '1', '2'], 'an empty number is 0');
  t.same(seq('(v 1 2)'), ['1', '2'], 'the character after the name is passed over, whatever it is');
  t.same(seq(' (v, 2)'), ['1', '2'], 'blanks before (');
  t.same(lines('~SEQx(v, 9, 11) $v').lines, ['9', 'a', 'b'], 'lower-case hexadecimal without 0x');
  t.same(lines('$N=3\n$S=2\n~SEQ(v, $N, ${S}, 7) $v').lines, ['3', '5', '7'], 'definitions in the numbers');
  t.same(lines('~SEQ(v, 2) a $v\n b $v').lines, ['a 1', 'a 2', 'b 2'], 'the name stays defined after the block');
  t.same(lines('~SEQ(v, 2)').lines, [], 'no text: nothing');
  t.same(lines('@other ~SEQ(v, 2) a\n~SEQ(v, 2) @^other b$v').lines, ['b1', 'b2'], 'conditions before and inside');
  t.same(strtol(' -0x1f)', 0), { value: -31n, end: 6 });
  t.same(strtol('0xg', 0), { value: 0n, end: 1 }, '0x without a hex digit: 0, then x');
  t.same(strtol('99999999999999999999', 0).value, 2n ** 63n - 1n, 'clamped to LONG_MAX');
  t.same(strtol('-', 0), { value: 0n, end: 0 });
});

t.test('errors keepalived reports, with the line left out', async (t) => {
  const cases: [string, RegExp][] = [
    ['~SEQ(v, 1, 0, 3) x', /invalid ~SEQ values.*step is 0/],
    ['~SEQ(v, 3, 1, 1) x', /invalid ~SEQ values.*leads away/],
    ['~SEQ(v, 1, -1, 3) x', /invalid ~SEQ values/],
    ['~SEQx(v, -1, 2) x', /~SEQx is only valid for positive numbers/],
    ['~SEQ(v, a) x', /invalid ~SEQ specification/],
    ['~SEQ(v, 1, 2, 3, 4) x', /invalid ~SEQ specification/],
    ['~SEQ() x', /invalid ~SEQ specification/],
    ['~SEQ(v) x', /invalid ~SEQ specification/],
    ['~SEQ v, 3) x', /invalid ~SEQ specification/],
    ['~SEQUENCE x', /invalid ~SEQ specification/],
    ['~SEQ(v, 3 x', /no '\)' ends its numbers/],
    [`~SEQ(v, ${'0'.repeat(70)}1) x`, /longer than 62 characters/],
    ['$M= \\\n1 \\\n2\n\n~SEQ(v, $M) x', /multi-line definition is used in its numbers/],
    ['~LST(v) x', /invalid ~LST specification/],
    ['~LST({a, b}, {1, 2, 3}) x', /invalid ~LST specification/],
    ['~LST(v, 1 2) x', /invalid ~LST specification/],
    ['~LST(v, {1) x', /invalid ~LST specification/],
  ];
  for (const [text, message] of cases) {
    const read = lines(text);
    t.same(read.lines, [], `${text}: nothing read`);
    t.match(read.diagnostics, [{ severity: 'error', message }], text);
  }
  t.same(lines('~LST({a, b}, {1}, 2, {3, 4}) ${a}-${b}').lines, ['1-', '2-', '3-4'], 'values left out are empty');
});

t.test('blocks and multi-line definitions', async (t) => {
  const inside = lines('$BODY= \\\n~SEQ(i, 2) in $i \\\nafter\n\n$BODY');
  t.same(inside.lines, ['in 1', 'in 2', 'after'], 'a block on a line of a multi-line definition');
  const around = lines('$BODY= \\\na $i \\\nb $i\n\n~SEQ(i, 2) $BODY');
  t.same(around.lines, ['a 1', 'b 1', 'a 2', 'b 2'], 'a multi-line definition read once per value');
  const defined = lines('$EACH=~SEQ(i, 2)\n$EACH x$i\n$T=~foo\n$T $i');
  t.same(defined.lines, ['x1', 'x2', '~foo $i'], 'a block a definition supplies; another ~ line is taken as written');
  t.same(lines('~SEQ(i, 2) $D=v$i\n$D').lines, ['v2'], 'a definition made in a block');
  const started = lines('~SEQ(i, 1) $M= \\\nx');
  t.match(started.diagnostics, [{ severity: 'error', message: /multi-line definition cannot start inside/ }]);
  t.same(lines('$X=7\na_$X,y b_$X)y c_$X.y').lines, ['a_7,y b_7)y c_$X.y'], 'a bare $NAME before , or ) is replaced');
});

t.test('instances and addresses from blocks', async (t) => {
  const config = parseKeepalivedConfig(
    [
      '$INSTANCE= \\',
      'vrrp_instance VI_${N} { \\',
      '  interface eth0 \\',
      '  virtual_router_id ${N} \\',
      '  ~LST(P, 100, 150) priority ${P} \\',
      '  virtual_ipaddress { \\',
      '    ~SEQ(A, 1, 2) 192.0.2.${N}${A}/32 \\',
      '  } \\',
      '  virtual_ipaddress_excluded { \\',
      '    ~SEQx(H, 10, 11) 2001:db8::${N}:${H} \\',
      '  } \\',
      '}',
      '',
      '~SEQ(N, 1, 3) $INSTANCE',
    ].join('\n'),
    'k.conf',
  );
  t.same(
    config.input.routers.map((r) => [r.name, r.vrid, r.priority, r.virtualAddresses, r.excludedAddresses]),
    [1, 2, 3].map((n) => [
      `VI_${n}`,
      n,
      150,
      [`192.0.2.${n}1`, `192.0.2.${n}2`],
      [`2001:db8::${n}:a`, `2001:db8::${n}:b`],
    ]),
  );
});

t.test('corpus/seq-instances.conf, which keepalived -t accepts', async (t) => {
  const path = fileURLToPath(new URL('../../../test/config/corpus/seq-instances.conf', import.meta.url));
  const { input } = loadKeepalivedConfig(path);
  t.same(
    input.routers.map((r) => [r.name, r.vrid, r.virtualAddresses, r.excludedAddresses]),
    [253, 254, 255].map((n) => [
      `VI_${n}`,
      n,
      [`192.0.2.${n}`, `198.51.100.${n}`],
      [`2001:db8::${n}:fe`, `2001:db8::${n}:ff`],
    ]),
  );
});

t.test('a block that would not end stops at the budget, naming the file and line', async (t) => {
  for (const text of [
    'a\n~SEQ(i, 0, 1, 9223372036854775807) x',
    'a\n~SEQ(i, 0, 1, 9223372036854775807)',
    '$A=~SEQ(i, 2) $A\n$A',
    'a\n~SEQ(i, 1000) ~SEQ(j, 1000) ~SEQ(k, 1000) x $i $j $k',
  ]) {
    const started = Date.now();
    const read = lines(text);
    t.ok(Date.now() - started < 2000, `${JSON.stringify(text)} ends within 2 s`);
    t.ok(read.stopped, 'reading stopped');
    const fatal = read.diagnostics.find((d) => /\(limit (lines|expandedBytes|tokens): /.test(d.message));
    t.match(fatal, { severity: 'error', file: 'k.conf', line: 2 }, `the limit crossed, at line 2: ${fatal?.message}`);
  }
  const nested = lines(`${'~SEQ(i, 1) '.repeat(40)}x`);
  t.match(nested.diagnostics, [{ severity: 'error', message: /nested more than 32 deep/ }]);
});

/** Lines whose first word shows what a block produced (an unknown keyword in both readers). */
const COMPARED = [
  '~SEQ(i, 3) a_$i',
  '~SEQ(j, 5, 3) b_$j',
  '~SEQx(h, 0x90, 0x10, 0xc0) c_$h',
  '~SEQx(AD2, 0x90, 0x10, 0xa0) ~SEQx(AD1, 0x12, -1, 0x10) d_${AD2}_${AD1}',
  '~SEQ(z, 0) e_$z',
  '~SEQ(n, -2) f_$n',
  '~LST({IP, IP1}, {10,1},{20},{5,6}) g_${IP}_${IP1}',
  '~LST(IP, 1, 2) ~SEQ(k,1,2) h_${IP}_$k',
  '~SEQ(q, 1, 0, 3) i_$q',
  '~SEQ(q, 3, 1, 1) j_$q',
  '~SEQx(q, -1, 2) k_$q',
  '~SEQ(q,,2) l_$q',
  '~SEQ(q 1 2) m_$q',
  '~SEQ(s, $X, $E) n_$s',
  '$T o_$t',
  '~SEQ(i,1,2) ~SEQ(j,$i,2) p_${i}_$j',
  '~LST(v, 1, 2) ~SEQ(w, $v) q_${v}_$w',
  '~SEQ (u, 2)r_$u',
  's_$X,y',
  '~SEQ(v, 0x10, 010, 0x12) t_$v',
  '~SEQ(i, 2) $MULTI',
  '~SEQ(v, 9223372036854775805, 9223372036854775806) w_$v',
  // Last: keepalived 2.2.7 miscounts its blocks after an invalid ~LST (free_seq_lst on a block never
  // listed), so the next block of the file is put off until another invalid ~LST; `-t` refuses the file.
  '~LST({a, b}, {1, 2, 3}) u_$a',
];
const FILE = [
  '$X=7',
  '$E=3',
  '$T=~SEQ(t,1,2)',
  '$MULTI= \\',
  'x_a$i \\',
  'x_b$i',
  '',
  'global_defs {',
  ...COMPARED.map((l) => `  ${l}`),
  '}',
  '',
].join('\n');
/** keepalived reports an invalid block on its line; the reader too. */
const INVALID_BLOCK = /invalid ~(SEQx?|LST)|~SEQx is only valid/i;

function ourReport(): string[] {
  try {
    parseKeepalivedConfig(FILE, 'k.conf');
  } catch (error) {
    if (!(error instanceof KeepalivedConfigError)) throw error;
    return error.diagnostics.flatMap((d) => {
      const word = /^unknown keyword "([a-z]_[^"]*)"/.exec(d.message);
      if (word) return [`${d.line} ${word[1]}`];
      return INVALID_BLOCK.test(d.message) ? [`${d.line} invalid`] : [];
    });
  }
  throw new Error('the file was read without errors');
}

t.test('the same lines as keepalived 2.2.7 -t', { skip: KEEPALIVED_SKIP }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-seq-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'keepalived.conf');
  writeFileSync(path, FILE);
  const run = spawnSync('keepalived', ['-t', '-l', '-f', path], { encoding: 'utf8', timeout: 10_000 });
  t.equal(run.status, 5, 'keepalived -t finds errors (the unknown keywords)');
  // Only the first report of each line: keepalived -t repeats its invalid-block errors.
  const theirs: string[] = [];
  for (const m of `${run.stdout}${run.stderr}`.matchAll(/^\(Line (\d+)\) (.*)$/gm)) {
    const word = /^Unknown keyword '([a-z]_[^']*)'/.exec(m[2]!);
    const entry = word
      ? `${m[1]} ${word[1]}`
      : /^Invalid ~(SEQ|LST) specification/.test(m[2]!)
        ? `${m[1]} invalid`
        : '';
    if (entry !== '') theirs.push(entry);
  }
  t.ok(theirs.length > 50, `keepalived reported ${theirs.length} lines`);
  t.same(ourReport(), theirs, 'every produced line, in order, and every refused block');
});
