// Keeps error handling in one shape: a thrown value's `code` is read through hasCode/errorCode (src/errors.ts),
// never by a cast that assumes the property is there, and coded errors come from the one codedError.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(import.meta.url), '../../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const habits: Array<[RegExp, string]> = [
  [
    /\bas\s+(NodeJS\.ErrnoException|SystemError|NetlinkError)\)\.code\b/,
    'a cast to read .code (use hasCode or errorCode)',
  ],
  [/\bas\s+(Error\s*&\s*)?\{\s*code\?/, 'a cast to an optional code (use hasCode or errorCode)'],
  [/^\s*(export\s+)?function\s+codedError\b/, 'another codedError (import it from src/errors.ts)'],
];

t.test('src reads error codes through src/errors.ts', async (t) => {
  const files = sourceFiles(join(repoRoot, 'src')).filter((file) => !file.endsWith(join('src', 'errors.ts')));
  t.ok(files.length > 0, 'src has source files');
  let found = 0;
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        for (const [pattern, what] of habits) {
          if (!pattern.test(line)) continue;
          found++;
          t.fail(`${relative(repoRoot, file)}:${index + 1} has ${what}: ${line.trim()}`);
        }
      });
  }
  t.equal(found, 0, 'no cast reads .code and no second codedError');
});
