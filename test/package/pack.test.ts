// What `npm pack` ships (package.json "files"): the compiled library and programs, the bin shims, the
// native addon's sources and binding.gyp (it is built at install), the docs, README and LICENSE; no
// tests, benchmarks, CI files or source maps. Its size is held under a budget with room to grow.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Budgets with margin over what ships: 0.1.0 had 278 files, 430 kB packed, 1.45 MB unpacked (issue 15:
 * 1,055 files, 5.4 MB before). Metrics, split-brain detection, Router Advertisements, the takeover kit
 * and the flight recorder took it to 425 files, 636 kB packed, 2.15 MB unpacked (2026-12-07); receive
 * buffers, nftables, reload, VMACs, GARP groups, tracking, static routes and script options to 491 files,
 * 748 kB packed, 2.55 MB unpacked (2026-12-07, second session). Every file is compiled code, its types,
 * the addon's sources or a doc page: the budget moves, the files-list checks below do not.
 */
const MAX_FILES = 620;
const MAX_PACKED_BYTES = 950_000;
const MAX_UNPACKED_BYTES = 3_200_000;

interface PackResult {
  readonly entryCount: number;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string; readonly size: number }[];
}

t.test('npm pack: the files list, and the size held under its budget', async (t) => {
  // --ignore-scripts: prepare would rebuild dist/, which the test run has just built.
  const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  t.equal(run.status, 0, run.stderr);
  const [pack] = JSON.parse(run.stdout) as PackResult[];
  const paths = new Set(pack!.files.map((f) => f.path));
  t.comment(`npm pack: ${pack!.entryCount} files, ${pack!.size} bytes packed, ${pack!.unpackedSize} unpacked`);
  t.ok(pack!.entryCount <= MAX_FILES, `${pack!.entryCount} files (budget ${MAX_FILES})`);
  t.ok(pack!.size <= MAX_PACKED_BYTES, `${pack!.size} bytes packed (budget ${MAX_PACKED_BYTES})`);
  t.ok(pack!.unpackedSize <= MAX_UNPACKED_BYTES, `${pack!.unpackedSize} bytes unpacked (budget ${MAX_UNPACKED_BYTES})`);
  const required = [
    'package.json',
    'README.md',
    'LICENSE',
    'bin/vrrpd',
    'bin/vrrp-engine',
    'bin/ipfailover',
    'bin/vrrp-sim',
    'native/binding.gyp',
    'native/src/addon.cc',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/src/cli/vrrpd.js',
    'dist/src/cli/ipfailover.js',
    'dist/src/cli/vrrp-sim.js',
    'docs/operations.md',
    'docs/embedding.md',
  ];
  for (const path of required) t.ok(paths.has(path), `ships ${path}`);
  const leaked = [...paths].filter((path) =>
    /^(dist\/(test|bench)\/|test\/|bench\/|src\/|\.ci\/|Dockerfile|native\/build\/)|\.map$/.test(path),
  );
  t.same(leaked, [], 'no tests, benchmarks, TypeScript sources, CI files, build output or source maps');
  // Every export and bin the package names is in it.
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    exports: Record<string, Record<string, string> | string>;
    bin: Record<string, string>;
  };
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
      if (!file.includes('*')) t.ok(paths.has(file.replace(/^\.\//, '')), `exports["${subpath}"] -> ${file} is packed`);
    }
  }
  for (const [name, file] of Object.entries(manifest.bin)) t.ok(paths.has(file), `bin ${name} is packed`);
});
