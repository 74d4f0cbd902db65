// Holds the architecture's lines. Every folder of src/ imports only the folders docs/architecture.md
// lists beside it (the table between the folder-table markers is the one source), no two folders and
// no two files import each other round a cycle, and the protocol core, the codec and the model do no
// I/O, read no clock and draw no random numbers, so that the same code runs under the Linux adapters,
// the simulator and the tests. Every import counts, `import type` too: a folder that needs another's
// types sits above it.
import t from 'tap';
import ts from 'typescript';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(import.meta.url), '../../../..');
const srcRoot = join(repoRoot, 'src');
const pureFolders = ['src/core', 'src/wire', 'src/model'];
const forbidden: Array<[RegExp, string]> = [
  [/from\s+['"](node:)?(net|dgram|child_process|fs|fs\/promises|os|timers)['"]/, 'an I/O module'],
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew\s+Date\s*\(/, 'new Date()'],
  [/\bperformance\.now\s*\(/, 'performance.now()'],
  [/\bprocess\.hrtime/, 'process.hrtime'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'a timer'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** A unit of the table: a folder of src/ (`core`) or a file at its top (`errors.ts`). */
function unitOf(file: string): string {
  return relative(srcRoot, file).split('/')[0]!;
}

/** The table in docs/architecture.md: unit -> the units it may import. */
export function readFolderTable(markdown: string): Map<string, Set<string>> {
  const start = markdown.indexOf('<!-- folder-table:start -->');
  const end = markdown.indexOf('<!-- folder-table:end -->');
  if (start === -1 || end < start) throw new Error('docs/architecture.md has no folder-table markers');
  const table = new Map<string, Set<string>>();
  for (const line of markdown.slice(start, end).split('\n')) {
    const row = /^\|\s*`src\/([^`]+)`\s*\|([^|]*)\|/.exec(line);
    if (row === null) continue;
    const allowed = row[2]!.trim();
    const units = allowed === 'nothing' ? [] : allowed.split(',').map((unit) => unit.trim());
    table.set(row[1]!, new Set(units));
  }
  return table;
}

/**
 * Every module a file names: `import` (type-only too), `export ... from` (`export * as x` too), an
 * `import('...')` type or call. Read from the syntax tree, so layout (one import over many lines) and
 * comments do not matter.
 */
export function moduleNames(path: string, text: string): string[] {
  const names: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      names.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      names.push(node.argument.literal.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      names.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  return names;
}

/** Every relative import of a file, resolved to a source file. */
function importsOf(file: string): string[] {
  return moduleNames(file, readFileSync(file, 'utf8'))
    .filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')));
}

/** The cycles (strongly connected components of more than one node) of a graph. */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

const files = sourceFiles(srcRoot);
const table = readFolderTable(readFileSync(join(repoRoot, 'docs/architecture.md'), 'utf8'));
const fileGraph = new Map(
  files.map((file) => [relative(srcRoot, file), importsOf(file).map((target) => relative(srcRoot, target))]),
);

t.test('the folder table covers every folder of src/ and names only real ones', async (t) => {
  const units = new Set(files.map(unitOf));
  for (const unit of units) t.ok(table.has(unit), `src/${unit} has a row in docs/architecture.md's folder table`);
  for (const [unit, allowed] of table) {
    t.ok(units.has(unit), `the table's src/${unit} exists`);
    for (const neighbour of allowed) t.ok(units.has(neighbour), `src/${unit}'s neighbour ${neighbour} exists`);
  }
});

t.test('the folder table has no cycle', async (t) => {
  const graph = new Map([...table].map(([unit, allowed]) => [unit, [...allowed]]));
  t.same(cyclesOf(graph), [], 'no folder may reach itself through the folders it may import');
});

t.test("every import stays within its folder's neighbours", async (t) => {
  const used = new Map<string, Set<string>>();
  for (const [file, targets] of fileGraph) {
    const from = unitOf(join(srcRoot, file));
    for (const target of targets) {
      t.ok(
        statSync(join(srcRoot, target), { throwIfNoEntry: false })?.isFile(),
        `${file} imports ${target}, which exists`,
      );
      const to = unitOf(join(srcRoot, target));
      if (to === from) continue;
      (used.get(from) ?? used.set(from, new Set()).get(from)!).add(to);
      if (table.get(from)?.has(to) !== true)
        t.fail(
          `src/${file} imports src/${target}: src/${from} may not import ${to} (docs/architecture.md, folder table)`,
        );
    }
  }
  // An allowance nothing uses is not an error (a folder may lose its last import of another), but say so.
  for (const [unit, allowed] of table) {
    const unused = [...allowed].filter((neighbour) => used.get(unit)?.has(neighbour) !== true);
    if (unused.length > 0) t.comment(`src/${unit} may import ${unused.join(', ')} but does not`);
  }
});

t.test('no import cycle between the folders of src/', async (t) => {
  const graph = new Map<string, string[]>();
  for (const [file, targets] of fileGraph) {
    const from = unitOf(join(srcRoot, file));
    const list = graph.get(from) ?? [];
    for (const target of targets) list.push(unitOf(join(srcRoot, target)));
    graph.set(
      from,
      list.filter((to) => to !== from),
    );
  }
  t.same(cyclesOf(graph), []);
});

t.test('no import cycle between the files of src/', async (t) => {
  t.same(cyclesOf(fileGraph), []);
});

t.test('the cycle finder finds a cycle', async (t) => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a', 'd']],
    ['d', []],
  ]);
  t.same(cyclesOf(graph), [['a', 'b', 'c']]);
});

t.test('imports are read across lines and include type-only ones', async (t) => {
  const text = [
    "import {\n  a,\n  b,\n} from './x.js';",
    "import type { C } from '../y.js';",
    "export { d } from './z.js';",
    "export * as v from './v.js';",
    "type E = import('./w.js').E;",
    "const f = await import('./u.js');",
    "// import { g } from './not-an-import.js';",
  ].join('\n');
  t.same(moduleNames('example.ts', text).sort(), ['../y.js', './u.js', './v.js', './w.js', './x.js', './z.js']);
});

for (const folder of pureFolders) {
  const pure = sourceFiles(join(repoRoot, folder));
  t.test(`${folder} stays pure`, async (t) => {
    t.ok(pure.length > 0, `${folder} has source files`);
    for (const file of pure) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, index) => {
        if (line.trimStart().startsWith('//') || line.trimStart().startsWith('*')) return;
        for (const [pattern, what] of forbidden) {
          if (pattern.test(line)) {
            t.fail(`${relative(repoRoot, file)}:${index + 1} uses ${what}: ${line.trim()}`);
          }
        }
      });
    }
  });
}
