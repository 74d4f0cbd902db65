// The docs' runnable examples, taken from the markdown itself (one source): every ```ts example block
// in docs/ is compiled, as a consumer's code, against the package's `exports` (types included, strict
// settings), then run; its output must be the ```text output block that follows it in the doc.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

interface DocExample {
  readonly file: string;
  readonly doc: string;
  readonly code: string;
  readonly output: string | undefined;
}

/** ```ts example blocks, each with the ```text output block right after it, if there is one. */
export function docExamples(doc: string, text: string): DocExample[] {
  const found: DocExample[] = [];
  const block = /^```ts example\n([\s\S]*?)^```\n(?:\s*^```text output\n([\s\S]*?)^```$)?/gm;
  for (const match of text.matchAll(block)) {
    found.push({ file: `${doc.replace(/\.md$/, '')}-${found.length + 1}.ts`, doc, code: match[1]!, output: match[2] });
  }
  return found;
}

const examples = readdirSync(join(root, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .sort()
  .flatMap((name) => docExamples(name, readFileSync(join(root, 'docs', name), 'utf8')));

t.test(
  "every runnable example in docs/ compiles against the package's exports and prints what the doc says",
  async (t) => {
    const exportsMap = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports as Record<string, unknown>;
    const entryPoints = Object.keys(exportsMap).map((key) =>
      key === '.' ? 'vrrp-engine' : `vrrp-engine/${key.slice(2)}`,
    );
    for (const entry of entryPoints) {
      t.ok(
        examples.some((e) => e.code.includes(`from '${entry}'`)),
        `a doc example imports ${entry}`,
      );
    }

    // A consumer project: the package under node_modules by its name, nothing else of ours in reach.
    const dir = mkdtempSync(join(tmpdir(), 'vrrp-doc-examples-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'vrrp-engine'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          outDir: 'out',
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        include: ['*.ts'],
      }),
    );
    for (const example of examples) writeFileSync(join(dir, example.file), example.code);

    const compiled = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
      cwd: dir,
    }).then(
      () => '',
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    t.equal(compiled, '', 'tsc reports nothing');
    if (compiled !== '') return;

    for (const example of examples) {
      const { stdout, stderr } = await run(process.execPath, [join(dir, 'out', example.file.replace(/\.ts$/, '.js'))], {
        cwd: dir,
        timeout: 60_000,
      });
      t.equal(stderr, '', `${example.doc}: ${example.file} writes nothing to stderr`);
      if (example.output !== undefined)
        t.equal(stdout, example.output, `${example.doc}: ${example.file} prints the doc's output`);
    }
  },
);
