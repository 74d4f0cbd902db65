// The keyword table (src/config/keepalived/keywords.ts) is what the reader does: one file per row
// (test/config/keyword-files.ts) is read as `vrrpd -t` reads it (loadConfig), and its class shows in
// the verdict and the warnings. docs/keepalived-conf.md holds the table as renderKeywordTables()
// renders it (KEYWORDS_DOC_WRITE=1 rewrites the doc's section from the table).
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigLoadError, loadConfig, type Diagnostic } from '../../src/cli/config-source.js';
import {
  KEYWORDS,
  KEYWORD_BLOCKS,
  keywordRow,
  renderKeywordTables,
  type KeywordRow,
} from '../../src/config/keepalived/keywords.js';
import { parseKeepalivedConfig, KeepalivedConfigError } from '../../src/config/keepalived/index.js';
import { SUPPORT_FILES, keywordFile, keywordFileName } from './keyword-files.js';

const DOC = fileURLToPath(new URL('../../../docs/keepalived-conf.md', import.meta.url));
const BEGIN = '<!-- keyword table: rendered from KEYWORDS by renderKeywordTables() -->';
const END = '<!-- end of keyword table -->';

/** The reader's verdict on a file: its diagnostics, and whether it was refused. */
function read(path: string): { refused: boolean; diagnostics: readonly Diagnostic[] } {
  try {
    return { refused: false, diagnostics: loadConfig(path).diagnostics };
  } catch (error) {
    if (!(error instanceof ConfigLoadError)) throw error;
    return { refused: true, diagnostics: error.diagnostics };
  }
}

/** The line the row's keyword is written on (the last line starting with it: the context comes first). */
function keywordLine(text: string, row: KeywordRow): number {
  const lines = text.split('\n');
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!.trim();
    if (line === row.keyword || line.startsWith(`${row.keyword} `)) return index + 1;
  }
  throw new Error(`${row.keyword} is not in its file`);
}

const CLASS_WORDS = /has no effect|is not supported: |unknown keyword|was not read/;

t.test('the table: each keyword once per block, a note for each', async (t) => {
  const seen = new Set<string>();
  for (const row of KEYWORDS) {
    const key = `${row.block} ${row.keyword}`;
    t.notOk(seen.has(key), `${key} is listed once`);
    seen.add(key);
    t.ok(row.note.length > 0, `${key} says what it does`);
    t.equal(keywordRow(row.block, row.keyword), row);
  }
  t.same(new Set(KEYWORDS.map((row) => row.block)), new Set(KEYWORD_BLOCKS), 'every block has rows');
  t.ok(KEYWORDS.length >= 240, `${KEYWORDS.length} rows`);
  t.same(
    KEYWORDS.filter((row) => row.class === 'refused').map((row) => `${row.block} ${row.keyword}`),
    ['vrrp_instance track_bfd', 'vrrp_sync_group track_bfd'],
    'only track_bfd is refused',
  );
});

t.test('one file per keyword, read as vrrpd -t reads it: the class decides', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-keywords-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(SUPPORT_FILES)) writeFileSync(join(dir, name), text);
  for (const row of KEYWORDS) {
    const text = keywordFile(row);
    const path = join(dir, keywordFileName(row));
    writeFileSync(path, text);
    const { refused, diagnostics } = read(path);
    const line = keywordLine(text, row);
    const about = diagnostics.filter((d) => d.line === line && CLASS_WORDS.test(d.message));
    const shown = diagnostics.map((d) => `${d.line}: ${d.severity}: ${d.message}`).join('\n');
    const name = `${row.block} ${row.keyword} (${row.class})`;
    switch (row.class) {
      case 'implemented':
        t.notOk(refused, `${name}: accepted\n${shown}`);
        t.same(
          diagnostics.filter((d) => CLASS_WORDS.test(d.message)),
          [],
          `${name}: read by the reader itself`,
        );
        break;
      case 'not-ours':
        t.notOk(refused, `${name}: accepted\n${shown}`);
        t.match(
          about,
          [
            {
              severity: 'warning',
              message: new RegExp(`^${row.keyword} is accepted and has no effect: `),
            },
          ],
          `${name}: one warning at its line`,
        );
        t.equal(about.length, 1, `${name}: only one`);
        break;
      case 'refused':
        t.ok(refused, `${name}: refused`);
        t.match(
          about,
          [{ severity: 'error', message: new RegExp(`^${row.keyword} is not supported: `) }],
          `${name}: the error names the alternative, at its line`,
        );
        break;
    }
  }
});

t.test('a word that is no keepalived keyword: unknown keyword, with the closest real one', async (t) => {
  const errors = (text: string): string[] => {
    try {
      parseKeepalivedConfig(text, 'k.conf');
      return [];
    } catch (error) {
      if (!(error instanceof KeepalivedConfigError)) throw error;
      return error.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`);
    }
  };
  const instance = (extra: string) =>
    `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.1\n}\n${extra}\n}\n`;
  t.same(errors(`global_defs {\nvrrp_nftables\n}\n${instance('')}`), [
    '2: unknown keyword "vrrp_nftables" in global_defs (did you mean "nftables"?)',
  ]);
  t.same(errors(`global_defs {\nvrrp_garp_master_dleay 5\n}\n${instance('')}`), [
    '2: unknown keyword "vrrp_garp_master_dleay" in global_defs (did you mean "vrrp_garp_master_delay"?)',
  ]);
  t.same(errors(instance('advert_intt 1')), [
    '7: unknown keyword "advert_intt" in vrrp_instance VI_1 (did you mean "advert_int"?)',
  ]);
  t.same(
    errors(instance('vrrp_strict')),
    ['7: unknown keyword "vrrp_strict" in vrrp_instance VI_1 (it is a keyword of global_defs)'],
    'a keyword of another block says where it belongs',
  );
  t.same(errors(`vrrp_instnace VI_2 {\n}\n${instance('')}`), [
    '1: unknown keyword "vrrp_instnace" (did you mean "vrrp_instance"?)',
  ]);
  t.same(errors(instance('zzzz')), ['7: unknown keyword "zzzz" in vrrp_instance VI_1'], 'nothing close: no guess');
});

t.test('docs/keepalived-conf.md holds the table as rendered from KEYWORDS', async (t) => {
  const doc = readFileSync(DOC, 'utf8');
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  t.ok(begin >= 0 && end > begin, 'the doc has the keyword table section');
  const expected = `${BEGIN}\n\n${renderKeywordTables()}\n${END}`;
  if (process.env.KEYWORDS_DOC_WRITE === '1')
    writeFileSync(DOC, doc.slice(0, begin) + expected + doc.slice(end + END.length));
  t.equal(
    doc.slice(begin, end + END.length),
    expected,
    'the same rows, classes and notes (KEYWORDS_DOC_WRITE=1 npx tap dist/test/config/keepalived-keywords.test.js rewrites it)',
  );
});
