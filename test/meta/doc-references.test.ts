// Holds the docs to citations that cannot drift silently: a doc names code by file and symbol, and a
// test by file and title, never by line number, and every such name must still exist. The form is
// described in docs/architecture.md ("How docs cite code").
import t from 'tap';
import ts from 'typescript';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the checker may look at: repository paths relative to its root. */
export interface SourceTree {
  exists(path: string): boolean;
  read(path: string): string | undefined;
}

const pathRoots = '(?:src|test|bench|native|bin|docs|examples)';
// `src/core/validate.ts` `checkAdvert`, or `Class.member`; the two may be split by a line break.
const symbolCitation = new RegExp(
  `\`(${pathRoots}/[^\`\\s]+\\.(?:ts|cc|c|h))\`[ \\t]*\\n?[ \\t]*\`([A-Za-z_$][\\w$]*(?:\\.[A-Za-z_$][\\w$]*)?)\``,
  'g',
);
// `test/core/validate.test.ts` "title", "title" and "title" (inside "enclosing title")
const quoted = '"[^"]+"';
const testCitation = new RegExp(
  '`(test/[^`\\s]+\\.ts)`\\s+(' +
    quoted +
    '(?:(?:,\\s*(?:and\\s+)?|\\s+and\\s+)' +
    quoted +
    ')*)' +
    '(?:\\s*\\(inside\\s+(' +
    quoted +
    ')\\))?',
  'g',
);
// `test/x.test.ts`: "title" or `test/x.test.ts` ("title"): near misses the form above would not check.
const looseTestCitation = /`(test\/[^`\s]+\.ts)`(?:[:;,]\s*|\s*\()"/g;
const citedPath = new RegExp(`\`(${pathRoots}/[^\`\\s*]+)\``, 'g');
// file:12, file:12-40, file#L12, "file.ts line 12": all drift as soon as the file changes.
const lineCitations = [
  /[\w./-]+\.(?:ts|js|mjs|cjs|cc|cpp|c|h|hpp|json|sh|py|conf):L?\d+/g,
  /[\w./-]+#L\d+/g,
  /[\w./-]+\.(?:ts|cc|c|h),? lines? \d+/g,
];

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

function titlesIn(list: string): string[] {
  return [...list.matchAll(/"([^"]+)"/g)].map((match) => match[1]!.replace(/\s+/g, ' '));
}

/** Names a TypeScript file declares at top level, and `Owner.member` for the members of its classes,
 *  interfaces, enums and object-type aliases, and of object literals assigned to a top-level const. */
function typescriptDeclarations(path: string, text: string): Set<string> {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const memberName = (member: ts.Node): string | undefined => {
    const name = (member as { name?: ts.Node }).name;
    if (name && (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name))) return name.text;
    return ts.isConstructorDeclaration(member) ? 'constructor' : undefined;
  };
  const addMembers = (owner: string, members: ts.NodeArray<ts.Node>): void => {
    for (const member of members) {
      const name = memberName(member);
      if (name !== undefined) names.add(`${owner}.${name}`);
    }
  };
  const addBindings = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) addBindings(element.name);
  };
  // Top-level statements only: a name local to a function body is not something a doc can point at.
  for (const node of source.statements) {
    if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name) names.add(node.name.text);
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isEnumDeclaration(node)) {
      names.add(node.name.text);
    }
    if (ts.isModuleDeclaration(node) && ts.isIdentifier(node.name)) names.add(node.name.text);
    if (ts.isClassDeclaration(node) && node.name) addMembers(node.name.text, node.members);
    if (ts.isInterfaceDeclaration(node)) addMembers(node.name.text, node.members);
    if (ts.isEnumDeclaration(node)) addMembers(node.name.text, node.members);
    if (ts.isTypeAliasDeclaration(node) && ts.isTypeLiteralNode(node.type))
      addMembers(node.name.text, node.type.members);
    if (ts.isVariableStatement(node)) {
      for (const declaration of node.declarationList.declarations) {
        addBindings(declaration.name);
        if (
          ts.isIdentifier(declaration.name) &&
          declaration.initializer &&
          ts.isObjectLiteralExpression(declaration.initializer)
        ) {
          addMembers(declaration.name.text, declaration.initializer.properties);
        }
      }
    }
  }
  return names;
}

/** C and C++ (the addon): a definition or declaration `type name(` or `type Class::name(`. */
function declaresInC(text: string, symbol: string): boolean {
  const [owner, member] = symbol.includes('.') ? symbol.split('.') : [undefined, symbol];
  const qualified = owner ? `${owner}::${member}` : `(?:\\w+::)?${member}`;
  // A call such as `return Deliver(x);` also has a word before the name: not a declaration.
  return new RegExp(`^[ \\t]*(?!return\\b)(?:[\\w:<>*&]+[ \\t]+)+[*&]?${qualified}[ \\t]*\\(`, 'm').test(text);
}

/** What a test file can title a test with: its string literals (unescaped), and its template
 *  literals as pieces, since titles such as `${golden.name}: ${golden.why}` are built from them. */
interface TitleSources {
  literals: Set<string>;
  templates: string[][];
}

function titleSources(path: string, text: string): TitleSources {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const sources: TitleSources = { literals: new Set(), templates: [] };
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isNumericLiteral(node)) {
      sources.literals.add(node.text);
    }
    if (ts.isTemplateExpression(node)) {
      sources.templates.push([node.head.text, ...node.templateSpans.map((span) => span.literal.text)]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sources;
}

/** A title is held when it is a literal of the file, or a template of the file whose every
 *  substitution is filled by another literal of the file (a case name, a constant). */
function holdsTitle(sources: TitleSources, title: string): boolean {
  if (sources.literals.has(title)) return true;
  const fills = (pieces: string[], from: number): boolean => {
    const [piece, ...rest] = pieces;
    if (!title.startsWith(piece!, from)) return false;
    const at = from + piece!.length;
    if (rest.length === 0) return at === title.length;
    return [...sources.literals].some(
      (literal) => literal !== '' && title.startsWith(literal, at) && fills(rest, at + literal.length),
    );
  };
  return sources.templates.some((pieces) => fills(pieces, 0));
}

/** Every problem with the citations in one Markdown text, each as "doc:line: what". */
export function checkCitations(docName: string, markdown: string, tree: SourceTree): string[] {
  const problems: string[] = [];
  const report = (index: number, what: string): void => {
    problems.push(`${docName}:${lineOf(markdown, index)}: ${what}`);
  };
  for (const pattern of lineCitations) {
    for (const match of markdown.matchAll(pattern)) {
      report(match.index, `cites a line number (${match[0]}); cite the symbol or test title instead`);
    }
  }
  for (const match of markdown.matchAll(looseTestCitation)) {
    report(match.index, `cites ${match[1]} in a form that is not checked; write \`file\` "title"`);
  }
  for (const match of markdown.matchAll(citedPath)) {
    const path = match[1]!.replace(/\/$/, '');
    if (!tree.exists(path)) report(match.index, `${path} does not exist`);
  }
  const declarations = new Map<string, Set<string>>();
  for (const match of markdown.matchAll(symbolCitation)) {
    const [, path, symbol] = match as unknown as [string, string, string];
    const text = tree.read(path);
    if (text === undefined) continue; // reported above as a missing path
    let found: boolean;
    if (path.endsWith('.ts')) {
      if (!declarations.has(path)) declarations.set(path, typescriptDeclarations(path, text));
      found = declarations.get(path)!.has(symbol);
    } else {
      found = declaresInC(text, symbol);
    }
    if (!found) report(match.index, `${path} declares no ${symbol}`);
  }
  const titles = new Map<string, TitleSources>();
  for (const match of markdown.matchAll(testCitation)) {
    const [, path, titleList, enclosing] = match as unknown as [string, string, string, string | undefined];
    const text = tree.read(path);
    if (text === undefined) continue;
    if (!titles.has(path)) titles.set(path, titleSources(path, text));
    for (const title of [...titlesIn(titleList), ...(enclosing ? titlesIn(enclosing) : [])]) {
      if (!holdsTitle(titles.get(path)!, title)) {
        report(match.index, `${path} has no test titled "${title}"`);
      }
    }
  }
  return problems;
}

function memoryTree(files: Record<string, string>): SourceTree {
  return {
    exists: (path) => path in files || Object.keys(files).some((file) => file.startsWith(`${path}/`)),
    read: (path) => files[path],
  };
}

const sample = memoryTree({
  'src/core/validate.ts': [
    'export function checkAdvert(packet: Packet): boolean { const floor = 1; return packet.priority >= floor; }',
    'export const dropReasons = ["too-short"] as const;',
    'export interface Packet { priority: number }',
    'export class VirtualRouter {',
    '  handle(event: unknown): void {}',
    '  private get isOwner(): boolean { return false; }',
    '}',
  ].join('\n'),
  'native/src/socket.cc':
    'static void ReadAndDeliver(uv_poll_t* handle, int status, int events) {\n  return Deliver(handle);\n}\n',
  'test/core/validate.test.ts': [
    "t.test('drop too-short', async () => {});",
    't.test("the owner\'s advert is kept", async () => {',
    "  t.test('inside it', async () => {});",
    '});',
    "const cases = [{ name: 'v2-ipv4', why: 'two VIPs' }];",
    'for (const c of cases) t.test(`${c.name}: ${c.why}`, async () => {});',
  ].join('\n'),
});

t.test('the checker accepts correct citations', async (t) => {
  const good = [
    'Checked by `src/core/validate.ts` `checkAdvert` and `src/core/validate.ts` `VirtualRouter.handle`,',
    'with `src/core/validate.ts` `VirtualRouter.isOwner`, `src/core/validate.ts` `Packet.priority` and',
    '`src/core/validate.ts`\n  `dropReasons`; the addon reads in `native/src/socket.cc` `ReadAndDeliver`.',
    'Tested by `test/core/validate.test.ts` "drop too-short", "the owner\'s advert\n  is kept" and',
    '`test/core/validate.test.ts` "inside it" (inside "the owner\'s advert is kept").',
    'A case: `test/core/validate.test.ts` "v2-ipv4: two VIPs". See `src/core/`.',
    'A time such as 12:30 or a ratio 2:1 is not a citation.',
  ].join('\n');
  t.same(checkCitations('good.md', good, sample), []);
});

t.test('the checker names each wrong citation', async (t) => {
  const bad = [
    'See src/core/validate.ts:69-74 and `src/core/validate.ts:88`, or validate.ts#L12.',
    'Dropped by `src/core/validate.ts` `checkAdvertisement` in `src/core/validation.ts` `checkAdvert`;',
    'the method `src/core/validate.ts` `VirtualRouter.receive`; the addon `native/src/socket.cc` `Deliver`;',
    'a local of a function is no citation: `src/core/validate.ts` `floor`.',
    'Tested by `test/core/validate.test.ts` "drop too-short", "drop too-long" (inside "no such group").',
    'A case: `test/core/validate.test.ts` "v2-ipv4: three VIPs".',
    'Loosely: `test/core/validate.test.ts`: "drop too-short", `test/core/validate.test.ts` ("drop too-short").',
  ].join('\n');
  t.same(checkCitations('bad.md', bad, sample), [
    'bad.md:1: cites a line number (src/core/validate.ts:69); cite the symbol or test title instead',
    'bad.md:1: cites a line number (src/core/validate.ts:88); cite the symbol or test title instead',
    'bad.md:1: cites a line number (validate.ts#L12); cite the symbol or test title instead',
    'bad.md:7: cites test/core/validate.test.ts in a form that is not checked; write `file` "title"',
    'bad.md:7: cites test/core/validate.test.ts in a form that is not checked; write `file` "title"',
    'bad.md:1: src/core/validate.ts:88 does not exist',
    'bad.md:2: src/core/validation.ts does not exist',
    'bad.md:2: src/core/validate.ts declares no checkAdvertisement',
    'bad.md:3: src/core/validate.ts declares no VirtualRouter.receive',
    'bad.md:3: native/src/socket.cc declares no Deliver',
    'bad.md:4: src/core/validate.ts declares no floor',
    'bad.md:5: test/core/validate.test.ts has no test titled "drop too-long"',
    'bad.md:5: test/core/validate.test.ts has no test titled "no such group"',
    'bad.md:6: test/core/validate.test.ts has no test titled "v2-ipv4: three VIPs"',
  ]);
});

const repoRoot = join(fileURLToPath(import.meta.url), '../../../..');
const repoTree: SourceTree = {
  exists: (path) => existsSync(join(repoRoot, path)),
  read: (path) => {
    const full = join(repoRoot, path);
    return existsSync(full) && statSync(full).isFile() ? readFileSync(full, 'utf8') : undefined;
  },
};
const docs = [
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  'README.md',
  'bench/README.md',
];

t.test('every symbol and test the docs cite exists, and none is cited by line', async (t) => {
  t.ok(docs.length > 3, `found the docs (${docs.join(', ')})`);
  let symbols = 0;
  let tests = 0;
  const problems = docs.flatMap((doc) => {
    const markdown = readFileSync(join(repoRoot, doc), 'utf8');
    symbols += [...markdown.matchAll(symbolCitation)].length;
    tests += [...markdown.matchAll(testCitation)].length;
    return checkCitations(doc, markdown, repoTree);
  });
  t.ok(symbols > 0 && tests > 0, `the docs cite ${symbols} symbols and ${tests} test lists`);
  t.same(problems, [], 'no stale or line-number citation');
});
