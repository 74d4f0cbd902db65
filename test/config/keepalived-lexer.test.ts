// The keepalived.conf lexer and parser: quotes and escapes, comments, braces, $NAME definitions,
// includes with globs, and where each token came from.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiagnosticList } from '../../src/config/keepalived/diagnostics.js';
import { expandBraces, matchComponent } from '../../src/config/keepalived/glob.js';
import { conditional, lexKeepalivedConfig, type Token } from '../../src/config/keepalived/lexer.js';
import { parseStatements } from '../../src/config/keepalived/parser.js';
import {
  defaultConfigId,
  KeepalivedConfigError,
  loadKeepalivedConfig,
  parseKeepalivedConfig,
} from '../../src/config/keepalived/index.js';

function lex(text: string, defines?: Record<string, string>) {
  const diagnostics = new DiagnosticList();
  const { tokens } = lexKeepalivedConfig(text, 'k.conf', diagnostics, defines ? { defines } : {});
  return { tokens, diagnostics: diagnostics.items };
}

const words = (tokens: readonly Token[]) => tokens.filter((tk) => tk.kind === 'word').map((tk) => tk.text);

t.test('quoted strings are one word; a backslash is an ordinary character, as in keepalived 2.2.7', async (t) => {
  // keepalived -d shows `auth_pass "a\tb"` as the password a\tb, and reports `"a\"b"` as an unmatched quote.
  const { tokens, diagnostics } = lex('auth_pass "a\\tb" "x y" "C:\\dir" "" plain');
  t.same(words(tokens), ['auth_pass', 'a\\tb', 'x y', 'C:\\dir', '', 'plain']);
  t.same(
    tokens.filter((tk) => tk.kind === 'word').map((tk) => tk.quoted),
    [false, true, true, true, true, false],
  );
  t.same(diagnostics, []);
  t.match(lex('auth_pass "a\\"b"').diagnostics, [
    { severity: 'error', line: 1, message: 'a quoted string is not closed on this line' },
  ]);
});

t.test('the first word of a line carries the rest of the line as written, for commands', async (t) => {
  const { tokens } = lex('notify_master "/bin/n.sh" MASTER  "a b"   # comment\nscript /bin/true {');
  const firsts = tokens.filter((tk) => tk.rest !== undefined).map((tk) => [tk.text, tk.rest]);
  t.same(firsts, [
    ['notify_master', '"/bin/n.sh" MASTER  "a b"'],
    ['script', '/bin/true'],
  ]);
});

t.test('comments start at # or ! anywhere outside quotes', async (t) => {
  const { tokens } = lex('auth_pass "a#b!c" # trailing\n! whole line\n# another\npriority 100 !x');
  t.same(words(tokens), ['auth_pass', 'a#b!c', 'priority', '100']);
  t.same(
    tokens.filter((tk) => tk.kind === 'word').map((tk) => tk.line),
    [1, 1, 4, 4],
  );
});

t.test('an unclosed quote is an error naming the line', async (t) => {
  const { diagnostics } = lex('a\nauth_pass "open');
  t.same(diagnostics, [
    { severity: 'error', file: 'k.conf', line: 2, message: 'a quoted string is not closed on this line' },
  ]);
});

t.test('braces end statements on the same line or open a block on the next', async (t) => {
  const diagnostics = new DiagnosticList();
  const { tokens } = lexKeepalivedConfig(
    'vrrp_instance VI_1\n{\n  virtual_ipaddress { 192.0.2.1 }\n  nopreempt\n}',
    'k.conf',
    diagnostics,
  );
  const statements = parseStatements(tokens, diagnostics);
  t.same(diagnostics.items, []);
  t.equal(statements.length, 1);
  const instance = statements[0]!;
  t.equal(instance.keyword, 'vrrp_instance');
  t.same(
    instance.args.map((w) => w.text),
    ['VI_1'],
  );
  t.same(
    instance.block!.map((s) => [s.keyword, s.line]),
    [
      ['virtual_ipaddress', 3],
      ['nopreempt', 4],
    ],
  );
  t.same(
    instance.block![0]!.block!.map((s) => s.keyword),
    ['192.0.2.1'],
  );
});

t.test('brace mistakes are reported where they are', async (t) => {
  const diagnostics = new DiagnosticList();
  const { tokens } = lexKeepalivedConfig('global_defs {\n}\n}\nvrrp_instance X {\n', 'k.conf', diagnostics);
  parseStatements(tokens, diagnostics);
  t.same(
    diagnostics.items.map((d) => [d.line, d.message]),
    [
      [3, 'a `}` closes no block'],
      [4, 'this block is not closed: a `}` is missing'],
    ],
  );
});

t.test('$NAME definitions are substituted as $NAME and ${NAME}, later lines only', async (t) => {
  const { tokens, diagnostics } = lex(
    '$IF=eth0\n$VIP=192.0.2.$N\ninterface $IF ${IF}x\n$IF=eth1\ninterface $IF $VIP $NOPE',
    { N: '7' },
  );
  t.same(words(tokens), ['interface', 'eth0', 'eth0x', 'interface', 'eth1', '192.0.2.7', '$NOPE']);
  t.same(diagnostics, [
    { severity: 'warning', file: 'k.conf', line: 5, message: '$NOPE is not defined; kept as written' },
  ]);
});

t.test('definitions are not substituted inside quotes (keepalived -d shows "$P" as written)', async (t) => {
  const { tokens } = lex('$P=abc\nauth_pass "$P" $P "${P}"x');
  t.same(words(tokens), ['auth_pass', '$P', 'abc', '${P}', 'x']);
});

t.test('definitions are replaced when used, again and again, as keepalived 2.2.7 -d shows', async (t) => {
  // keepalived -d: VI_1 VRID 51 priority 130 VIP 10.2.0.1, VI_2 VRID 52 priority 130 VIP 10.2.10.2.
  const text = [
    '$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}',
    '$ADDRESS_BASE_SUB=0',
    '$INSTANCE= \\',
    'vrrp_instance VI_${NUM} { \\',
    '    interface eth0 \\',
    '    virtual_router_id ${VRID} \\',
    '    @high priority 130 \\',
    '    @low priority 120 \\',
    '    virtual_ipaddress { \\',
    '        ${ADDRESS_BASE}.${NUM}/32 \\',
    '    } \\',
    '}',
    '$NUM=1',
    '$VRID=51',
    '$INSTANCE',
    '$ADDRESS_BASE_SUB=10',
    '$NUM=2',
    '$VRID=52',
    '$INSTANCE',
  ].join('\n');
  const loaded = parseKeepalivedConfig(text, 'k.conf', { configId: 'high' });
  t.same(
    loaded.input.routers.map((r) => [r.name, r.vrid, r.priority, r.virtualAddresses]),
    [
      ['VI_1', 51, 130, ['10.2.0.1']],
      ['VI_2', 52, 130, ['10.2.10.2']],
    ],
  );
  t.same(loaded.diagnostics, []);
  const { tokens } = lexKeepalivedConfig(text, 'k.conf', new DiagnosticList(), { configId: 'high' });
  t.same(
    [...new Set(tokens.filter((tk) => tk.text === 'VI_2').map((tk) => tk.line))],
    [19],
    "a definition's lines are placed at the line that uses it",
  );
});

t.test(
  'a multi-line definition ends at the first line without a backslash, a blank one too (keepalived 2.2.7 -t)',
  async (t) => {
    const { tokens } = lex('$X= \\\nalpha \\\n\nbeta\n$X');
    t.same(words(tokens), ['beta', 'alpha'], 'beta is an ordinary line; $X holds alpha only');
  },
);

t.test('a bare $NAME is replaced only before whitespace or the end of the line; ${NAME} anywhere', async (t) => {
  // keepalived 2.2.7 -t: "VRRP parsed invalid IP 192.0.2.$N/32"; `virtual_router_id 30$N` is 305.
  const { tokens, diagnostics } = lex('$N=5\naddress 192.0.2.$N/32 192.0.2.${N}/32 30$N');
  t.same(words(tokens), ['address', '192.0.2.$N/32', '192.0.2.5/32', '305']);
  t.same(diagnostics, []);
});

t.test('predefined ${_PWD}, ${_INSTANCE}, ${_HASH}; a definition loop is an error, not a hang', async (t) => {
  const diagnostics = new DiagnosticList();
  const { tokens } = lexKeepalivedConfig(
    'x ${_PWD} ${_INSTANCE} a${_HASH}b\n$A=${B}\n$B=${A}\ny ${A}\nz',
    '/etc/keepalived/k.conf',
    diagnostics,
    { configId: 'node-a' },
  );
  // keepalived removes comments again after the replacement: the `#` starts one (keepalived -t reports
  // the keyword `n_` for `n_${_HASH}x`; test/config/random.test.ts compares with it).
  t.same(words(tokens), ['x', '/etc/keepalived', 'node-a', 'a', 'z']);
  t.match(diagnostics.items, [
    { severity: 'error', line: 4, message: '${A}: the definition uses itself ($A -> $B -> $A); the line is left out' },
  ]);
});

t.test('@id and @^id lines follow the config id, as keepalived 2.2.7 -i does', async (t) => {
  const text = 'priority 100\n@node1 priority 200\n  @^node1   priority 50  \n@node2 router_id "r 2"\n@node1\n';
  const as = (configId: string | undefined) => {
    const diagnostics = new DiagnosticList();
    const { tokens } = lexKeepalivedConfig(text, 'k.conf', diagnostics, configId === undefined ? {} : { configId });
    return {
      words: words(tokens),
      lines: tokens.filter((tk) => tk.kind === 'word').map((tk) => tk.line),
      diagnostics: diagnostics.items,
    };
  };
  t.same(
    as('node1'),
    { words: ['priority', '100', 'priority', '200'], lines: [1, 1, 2, 2], diagnostics: [] },
    'node1: its line kept, with its line number',
  );
  t.same(
    as('node2').words,
    ['priority', '100', 'priority', '50', 'router_id', 'r 2'],
    'node2: the @^node1 line and its own',
  );
  t.same(
    as(undefined).words,
    ['priority', '100', 'priority', '50'],
    'no config id: every @id line out, every @^id line in',
  );
  // keepalived -t -i main rejects `$IF_MAIN priority 300` after `$IF_MAIN=@main`; -i backup accepts it.
  const defined = (configId: string) => {
    const { tokens } = lexKeepalivedConfig(
      '$IF_MAIN=@main\n$IF_MAIN priority 240\n@main $P=7\nweight $P\n',
      'k.conf',
      new DiagnosticList(),
      { configId },
    );
    return words(tokens);
  };
  t.same(
    defined('main'),
    ['priority', '240', 'weight', '7'],
    'a definition can hold the @id, and an @id line can define',
  );
  t.same(defined('backup'), ['weight', '$P']);
  t.equal(conditional('no condition here', 'main'), 'no condition here');
});

t.test('the config id defaults to the host name up to its first dot', async (t) => {
  t.equal(defaultConfigId(), hostname().split('.')[0]);
  const text = `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n @${defaultConfigId()} priority 180\n @^${defaultConfigId()} priority 20\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n`;
  t.equal(parseKeepalivedConfig(text, 'k.conf').input.routers[0]!.priority, 180);
  t.equal(parseKeepalivedConfig(text, 'k.conf', { configId: 'elsewhere' }).input.routers[0]!.priority, 20);
});

t.test('glob pieces: braces expand in order, fnmatch per component', async (t) => {
  t.same(expandBraces('a/{x,y{1,2}}/*.conf'), ['a/x/*.conf', 'a/y1/*.conf', 'a/y2/*.conf']);
  t.same(expandBraces('plain.conf'), ['plain.conf']);
  t.ok(matchComponent('*.conf', '10-web.conf'));
  t.notOk(matchComponent('*.conf', '.hidden.conf'), 'a leading dot is matched only explicitly');
  t.ok(matchComponent('[0-9]?-*.conf', '1a-x.conf'));
  t.notOk(matchComponent('[!0-9]*', '1x'));
  t.notOk(matchComponent('*.conf', 'x.conf.bak'));
});

t.test('includes: relative to the including file, globbed, sorted, nested, every file listed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ka-include-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, 'extra'));
  const instance = (name: string, vrid: number) =>
    `vrrp_instance ${name} {\n interface $IF\n virtual_router_id ${vrid}\n virtual_ipaddress {\n  192.0.2.${vrid}\n }\n}\n`;
  writeFileSync(
    join(dir, 'keepalived.conf'),
    '$IF=eth9\ninclude conf.d/*.conf\ninclude {extra/one.conf,extra/two.conf}\n',
  );
  writeFileSync(join(dir, 'conf.d', '20-b.conf'), instance('B', 20));
  writeFileSync(join(dir, 'conf.d', '10-a.conf'), `${instance('A', 10)}include ../extra/nested.conf\n`);
  writeFileSync(join(dir, 'conf.d', '.hidden.conf'), 'garbage here');
  writeFileSync(join(dir, 'extra', 'nested.conf'), instance('N', 30));
  writeFileSync(join(dir, 'extra', 'one.conf'), instance('O', 40));
  writeFileSync(join(dir, 'extra', 'two.conf'), instance('T', 50));
  const loaded = loadKeepalivedConfig(join(dir, 'keepalived.conf'));
  t.same(
    loaded.input.routers.map((r) => [r.name, r.interface]),
    [
      ['A', 'eth9'],
      ['N', 'eth9'],
      ['B', 'eth9'],
      ['O', 'eth9'],
      ['T', 'eth9'],
    ],
  );
  t.same(
    loaded.files,
    [
      'keepalived.conf',
      'conf.d/10-a.conf',
      'extra/nested.conf',
      'conf.d/20-b.conf',
      'extra/one.conf',
      'extra/two.conf',
    ].map((f) => join(dir, f)),
  );
});

t.test('includes: a missing file and an empty wildcard are warnings (as keepalived), a loop an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ka-include-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const vrrp = 'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n';
  // Errors only with include_check or includem and the like: test/config/include-check.test.ts.
  writeFileSync(join(dir, 'missing.conf'), `${vrrp}include nothing-here.conf\n`);
  const missing = loadKeepalivedConfig(join(dir, 'missing.conf'));
  t.same(
    missing.diagnostics.map((d) => [d.severity, d.file, d.line]),
    [['warning', join(dir, 'missing.conf'), 8]],
  );
  t.match(missing.diagnostics[0]!.message, /nothing-here\.conf: no such file or directory/);

  writeFileSync(join(dir, 'wild.conf'), `${vrrp}include none/*.conf\n`);
  const loaded = loadKeepalivedConfig(join(dir, 'wild.conf'));
  t.same(
    loaded.diagnostics.map((d) => [d.severity, d.line]),
    [['warning', 8]],
  );

  writeFileSync(join(dir, 'loop.conf'), `${vrrp}include loop.conf\n`);
  const loop = t.throws(() => loadKeepalivedConfig(join(dir, 'loop.conf'))) as KeepalivedConfigError;
  t.match(loop.diagnostics.find((d) => d.severity === 'error')!.message, /includes itself/);
});

t.test('parseKeepalivedConfig reads no file: include is an error there', async (t) => {
  const error = t.throws(() => parseKeepalivedConfig('include /etc/passwd\n', 'text.conf')) as KeepalivedConfigError;
  t.same(
    error.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.file, d.line]),
    [
      ['text.conf', 1],
      ['text.conf', 1],
    ],
  );
  t.match(error.message, /text\.conf:1: error: include \/etc\/passwd: includes are not read here/);
});

t.test('a file that cannot be read is an error, not an exception of another kind', async (t) => {
  const error = t.throws(() => loadKeepalivedConfig('/nonexistent/keepalived.conf')) as KeepalivedConfigError;
  t.ok(error instanceof KeepalivedConfigError);
  t.match(error.diagnostics[0]!.message, /cannot read the configuration/);
});
