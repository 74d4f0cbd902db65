// Holds the architecture's line: the protocol core and the codec do no I/O, read no clock and draw no
// random numbers, so that the same code runs under the Linux adapters, the simulator and the tests.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(import.meta.url), '../../../..');
const pureFolders = ['src/core', 'src/wire'];
const forbidden: Array<[RegExp, string]> = [
  [/from\s+['"](node:)?(net|dgram|child_process|fs|fs\/promises|os|timers)['"]/, 'an I/O module'],
  [/from\s+['"][./]*\/(linux|sim|engine|health|cli|config)\//, 'an outer layer'],
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

for (const folder of pureFolders) {
  const files = sourceFiles(join(repoRoot, folder));
  t.test(`${folder} stays pure`, async (t) => {
    t.ok(files.length > 0, `${folder} has source files`);
    for (const file of files) {
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
