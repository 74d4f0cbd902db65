// The keepalived.conf reader's limits (src/config/keepalived/limits.ts): each hostile input found in
// issue 10 ends quickly in a KeepalivedConfigError whose errors name the file and line, never a stack
// overflow, a raw SyntaxError or minutes of work; and real files well past anything in use still pass.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatDiagnostic, KeepalivedConfigError, loadKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { READER_LIMITS } from '../../src/config/keepalived/limits.js';

/**
 * Every pathological input must end within this: a guard against a reader that runs away (the inputs
 * grow exponentially, so a missing limit takes minutes), not a speed figure. Quiet, each ends in
 * 0-467 ms; a CI run beside other sessions took one of them to 2003 ms against the old 2000 ms bound.
 */
const BOUND_MS = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'ka-limits-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const VRRP = 'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n';

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Loads `path`, which must be refused in time; returns its errors as `file:line: error: message`. */
function refused(t: Test, path: string): string[] {
  const started = performance.now();
  let thrown: unknown;
  try {
    loadKeepalivedConfig(path);
  } catch (error) {
    thrown = error;
  }
  const ms = performance.now() - started;
  t.ok(ms < BOUND_MS, `ended in ${ms.toFixed(0)} ms`);
  if (!(thrown instanceof KeepalivedConfigError)) {
    t.fail(`expected a KeepalivedConfigError, got ${thrown === undefined ? 'no error' : String(thrown)}`);
    return [];
  }
  const errors = thrown.diagnostics.filter((d) => d.severity === 'error');
  t.ok(errors.length > 0 && errors.every((d) => d.file !== '' && d.line > 0), 'every error names a file and a line');
  return errors.map(formatDiagnostic);
}

t.test('5,000 nested braces: blocks nested too deep, at the line of the first one too deep', async (t) => {
  const path = write('braces.conf', `${VRRP}x {\n`.repeat(1) + 'y {\n'.repeat(5000) + '}\n'.repeat(5001));
  const errors = refused(t, path);
  t.ok(
    errors.includes(
      `${path}:${8 + READER_LIMITS.blockDepth}: error: blocks nested more than ${READER_LIMITS.blockDepth} deep; this one is skipped`,
    ),
    errors.join('\n'),
  );
});

t.test('one line of 5,000 `{`: the same error, one line', async (t) => {
  const path = write('braces-line.conf', `${VRRP}x ${'{ '.repeat(5000)}\n`);
  const errors = refused(t, path);
  t.ok(
    errors.some((e) => e.startsWith(`${path}:8: error: blocks nested more than ${READER_LIMITS.blockDepth} deep`)),
    errors.join('\n'),
  );
});

t.test('include with 15,000 nested glob braces: the pattern is too long', async (t) => {
  const path = write('glob-long.conf', `${VRRP}include ${'{a,'.repeat(15000)}${'}'.repeat(15000)}\n`);
  t.match(refused(t, path), [
    new RegExp(`^${path}:8: error: include .*the pattern is longer than ${READER_LIMITS.patternBytes} characters`),
  ]);
});

t.test('include with glob braces nested deeper than the limit', async (t) => {
  const path = write('glob-deep.conf', `${VRRP}include ${'{a,'.repeat(40)}${'}'.repeat(40)}\n`);
  t.match(refused(t, path), [
    new RegExp(`^${path}:8: error: include .*nested more than ${READER_LIMITS.braceDepth} deep`),
  ]);
});

t.test('include `{a,b}` x 24: too many alternatives, before any directory is read', async (t) => {
  const path = write('glob-wide.conf', `${VRRP}include ${'{a,b}'.repeat(24)}.conf\n`);
  t.match(refused(t, path), [
    new RegExp(`^${path}:8: error: include .*expand to more than ${READER_LIMITS.braceAlternatives} patterns`),
  ]);
});

t.test('include /etc/[z-a]*: an inverted range is an error at its line, not a raw SyntaxError', async (t) => {
  const path = write('range.conf', `${VRRP}include /etc/[z-a]*\n`);
  t.same(refused(t, path), [
    `${path}:8: error: include /etc/[z-a]*: [z-a] is a range from a higher character to a lower one`,
  ]);
  const klass = write('class.conf', `${VRRP}include /etc/[[:nope:]]*\n`);
  t.same(refused(t, klass), [`${klass}:8: error: include /etc/[[:nope:]]*: [:nope:] is not a character class`]);
});

t.test('include patterns that look at more paths than the limit, matching only directories', async (t) => {
  // 100 directories, which a pattern ending in `/` matches but never reads: no file is counted as read.
  for (let i = 0; i < 100; i++) mkdirSync(join(dir, 'tree', `d${i}`), { recursive: true });
  const lines = Math.ceil(READER_LIMITS.globPaths / 100) + 1;
  const path = write('walk.conf', `${VRRP}${'include tree/*/\n'.repeat(lines)}`);
  const errors = refused(t, path);
  t.match(
    errors.at(-1),
    new RegExp(`^${path}:\\d+: error: more than ${READER_LIMITS.globPaths} paths looked at by include patterns`),
  );
});

t.test('include diamonds: every inclusion counts, and the count is limited', async (t) => {
  // d0 includes d1 twice, d1 includes d2 twice, ...: 2^13 inclusions of d13.
  const layers = 13;
  for (let i = 0; i < layers; i++) write(`diamond/d${i}.inc`, `include d${i + 1}.inc\ninclude d${i + 1}.inc\n`);
  write(`diamond/d${layers}.inc`, '! the bottom\n');
  const path = write('diamond/keepalived.conf', `${VRRP}include d0.inc\n`);
  const errors = refused(t, path);
  t.match(errors, [
    new RegExp(`^${dir}/diamond/d\\d+\\.inc:[12]: error: more than ${READER_LIMITS.filesRead} files read`),
  ]);
});

t.test('`include *.inc` in every included file: ends at the file count, each self-inclusion an error', async (t) => {
  for (let i = 0; i < 8; i++) write(`star/f${i}.inc`, 'include *.inc\n');
  const path = write('star/keepalived.conf', `${VRRP}include *.inc\n`);
  const errors = refused(t, path);
  t.ok(
    errors.some((e) => /more than \d+ files read/.test(e)),
    `the file count ends it:\n${errors.slice(0, 5).join('\n')}`,
  );
});

t.test('include chains deeper than the limit', async (t) => {
  for (let i = 0; i < READER_LIMITS.includeDepth + 5; i++) write(`chain/c${i}.inc`, `include c${i + 1}.inc\n`);
  write(`chain/c${READER_LIMITS.includeDepth + 5}.inc`, '');
  const path = write('chain/keepalived.conf', `${VRRP}include c0.inc\n`);
  t.match(refused(t, path), [
    new RegExp(
      `^${dir}/chain/c\\d+\\.inc:1: error: include c\\d+\\.inc: nested more than ${READER_LIMITS.includeDepth} deep`,
    ),
  ]);
});

t.test('a file larger than the limit is refused before it is read', async (t) => {
  write('big.inc', `! ${'x'.repeat(READER_LIMITS.fileBytes)}\n`);
  const path = write('big.conf', `${VRRP}include big.inc\n`);
  t.match(refused(t, path), [
    new RegExp(
      `^${path}:8: error: include big\\.inc: .*big\\.inc holds \\d+ bytes, more than ${READER_LIMITS.fileBytes}`,
    ),
  ]);
});

t.test('a FIFO (or any file that is not a regular one) is refused without blocking', async (t) => {
  const fifo = join(dir, 'fifo.conf');
  execFileSync('mkfifo', [fifo]);
  const started = performance.now();
  const error = t.throws(() => loadKeepalivedConfig(fifo)) as KeepalivedConfigError;
  t.ok(performance.now() - started < BOUND_MS, 'without waiting for a writer');
  t.match(error.diagnostics, [{ severity: 'error', file: fifo, message: /is not a regular file/ }]);
});

t.test(
  'a definition that uses itself is an error at the line that uses it (keepalived 2.2.7 loops for ever)',
  async (t) => {
    const path = write('self.conf', `$X=\${X}\${X}\n${VRRP}priority \${X}\n`);
    t.same(refused(t, path), [`${path}:9: error: \${X}: the definition uses itself ($X -> $X); the line is left out`]);
    const multi = write('self-multi.conf', `$M=\\\npriority 1 \\\n$M\n\n${VRRP}$M\n`);
    const errors = refused(t, multi);
    t.ok(
      errors.some((e) => e.startsWith(`${multi}:12: error: $M: the definition uses itself ($M -> $M)`)),
      errors.join('\n'),
    );
  },
);

t.test('definitions that double at each level: the line length limit ends it', async (t) => {
  const lines = ['$A0=xxxxxxxx'];
  for (let i = 1; i <= 40; i++) lines.push(`$A${i}=\${A${i - 1}}\${A${i - 1}}`);
  const path = write('double.conf', `${lines.join('\n')}\n${VRRP}priority \${A40}\n`);
  t.match(refused(t, path), [
    new RegExp(
      `^${path}:49: error: .*(grows beyond ${READER_LIMITS.lineBytes} bytes|more than ${READER_LIMITS.replacementsPerLine} definitions replaced)`,
    ),
  ]);
});

t.test('more replacements in one line than the limit', async (t) => {
  const path = write('many.conf', `$A=1\n${VRRP}x ${'${A}'.repeat(READER_LIMITS.replacementsPerLine + 1)}\n`);
  t.match(refused(t, path), [
    new RegExp(
      `^${path}:9: error: \\$\\{A\\}: more than ${READER_LIMITS.replacementsPerLine} definitions replaced in one line`,
    ),
  ]);
});

t.test('multi-line definitions that double at each level: the line count limit ends it', async (t) => {
  const lines = ['$M0=\\', 'x \\', 'y', ''];
  for (let i = 1; i <= 24; i++) lines.push(`$M${i}=\\`, `$M${i - 1} \\`, `$M${i - 1}`, '');
  const path = write('multi-double.conf', `${lines.join('\n')}\n${VRRP}$M24\n`);
  t.match(refused(t, path), [new RegExp(`:\\d+: error: more than ${READER_LIMITS.lines} lines read`)]);
});

t.test('long definitions used on many lines: the expanded size limit ends it', async (t) => {
  const value = 'v'.repeat(60_000);
  const path = write('expanded.conf', `$A=${value}\n${VRRP}${'${A}\n'.repeat(200)}`);
  t.match(refused(t, path), [
    new RegExp(`^${path}:\\d+: error: more than ${READER_LIMITS.expandedBytes} bytes after definitions are replaced`),
  ]);
});

t.test('more words than the token limit', async (t) => {
  const line = `${'a '.repeat(10_000)}\n`;
  for (let i = 0; i < 3; i++) write(`words/w${i}.inc`, line.repeat(10));
  const path = write('words/keepalived.conf', `${VRRP}include w*.inc\n`);
  t.match(refused(t, path), [
    new RegExp(`^${dir}/words/w1\\.inc:10: error: more than ${READER_LIMITS.tokens} words and braces`),
  ]);
});

t.test('a line longer than the limit', async (t) => {
  const path = write('long-line.conf', `${VRRP}x ${'$UNDEF '.repeat(500_000)}\n`);
  t.same(refused(t, path), [
    `${path}:8: error: the line is longer than ${READER_LIMITS.lineBytes} bytes (limit lineBytes: ${READER_LIMITS.lineBytes}); the configuration is not read further`,
  ]);
});

t.test('`$UNDEF` 9,000 times on each of 20 lines is read in linear time (warned once a line)', async (t) => {
  const path = write('undef.conf', `${VRRP}${`x ${'$UNDEF '.repeat(9000)}\n`.repeat(20)}`);
  const started = performance.now();
  const error = t.throws(() => loadKeepalivedConfig(path)) as KeepalivedConfigError;
  const ms = performance.now() - started;
  t.ok(ms < BOUND_MS, `ended in ${ms.toFixed(0)} ms`);
  t.equal(
    error.diagnostics.filter((d) => d.message.startsWith('$UNDEF is not defined')).length,
    20,
    'one warning a line',
  );
  t.ok(
    error.diagnostics.some((d) => d.severity === 'error' && d.line === 8),
    'the unknown keyword is an error at its line',
  );
});

t.test('errors past the diagnostics limit are counted, not kept', async (t) => {
  const path = write('errors.conf', `${VRRP}${'bogus_keyword 1\n'.repeat(5000)}`);
  const errors = refused(t, path);
  t.equal(errors.length, READER_LIMITS.diagnostics + 1);
  t.equal(
    errors.at(-1),
    `${path}:${8 + READER_LIMITS.diagnostics}: error: ${5000 - READER_LIMITS.diagnostics} more error(s) and warning(s) not shown (limit diagnostics: ${READER_LIMITS.diagnostics})`,
  );
});

t.test('255 instances over includes pass unchanged', async (t) => {
  let main = 'global_defs {\n  router_id big\n}\n$IF=eth0\n';
  for (let vrid = 1; vrid <= 255; vrid++) {
    write(
      `many/conf.d/vi${String(vrid).padStart(3, '0')}.conf`,
      [
        `vrrp_instance VI_${vrid} {`,
        '  state BACKUP',
        '  interface $IF',
        `  virtual_router_id ${vrid}`,
        `  priority ${100 + (vrid % 100)}`,
        '  advert_int 1',
        '  authentication {',
        '    auth_type PASS',
        `    auth_pass p${vrid}`,
        '  }',
        '  virtual_ipaddress {',
        `    192.0.2.${vrid}/32`,
        `    198.51.100.${vrid}/32 dev eth0 label eth0:${vrid}`,
        '  }',
        '  track_interface {',
        '    eth0',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  }
  main += 'include conf.d/*.conf\n';
  const path = write('many/keepalived.conf', main);
  const started = performance.now();
  const loaded = loadKeepalivedConfig(path);
  t.comment(`255 instances read in ${(performance.now() - started).toFixed(0)} ms`);
  t.equal(loaded.input.routers.length, 255);
  t.equal(loaded.files.length, 256);
});
