// A TypeScript consumer with only this package installed: `npm pack`, install the tarball into an
// empty project (from the npm cache; the native addon builds from its packed sources), compile a file importing
// every subpath of package.json "exports" with tsc (strict, NodeNext), then run documented examples:
// the simulator from a program (docs/simulator.md) and the installed vrrp-sim program.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(repoRoot, 'node_modules/typescript/bin/tsc');
/** npm's words when neither the cache nor the registry can supply a package. */
const UNREACHABLE = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|network request/;

/** The import specifiers the package offers: one per subpath of "exports" (patterns left out). */
export function exportSpecifiers(manifest: { name: string; exports: Record<string, unknown> }): string[] {
  return Object.keys(manifest.exports)
    .filter((subpath) => !subpath.includes('*') && subpath !== './package.json')
    .map((subpath) => (subpath === '.' ? manifest.name : `${manifest.name}/${subpath.replace(/^\.\//, '')}`));
}

t.test('a consumer project installs the packed tarball, compiles every export and runs the examples', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'vrrp-consumer-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    exports: Record<string, unknown>;
  };

  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  t.equal(pack.status, 0, pack.status === 0 ? 'npm pack' : pack.stderr);
  const tarball = join(work, `${manifest.name}-${manifest.version}.tgz`);
  t.ok(existsSync(tarball), 'npm pack wrote the tarball');

  const project = join(work, 'project');
  spawnSync('mkdir', [project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The dependencies' own native builds (raw-socket, netlink) are theirs and slow: left out; ours is
  // run through its install script by `npm rebuild` below, as an install runs it.
  const install = spawnSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    { cwd: project, encoding: 'utf8', timeout: 300_000 },
  );
  if (install.status !== 0 && UNREACHABLE.test(install.stderr)) {
    // Not a failure of the package: this machine cannot fetch what it depends on.
    const why = install.stderr.split('\n').find((l) => UNREACHABLE.test(l)) ?? '';
    t.pass('the consumer install', { skip: `the npm cache and registry cannot supply a dependency here: ${why}` });
    return;
  }
  t.equal(install.status, 0, install.status === 0 ? 'npm install of the tarball' : install.stderr);
  const rebuild = spawnSync('npm', ['rebuild', manifest.name], { cwd: project, encoding: 'utf8', timeout: 300_000 });
  t.equal(rebuild.status, 0, rebuild.status === 0 ? 'the install script (npm rebuild)' : rebuild.stderr);
  t.ok(
    existsSync(join(project, 'node_modules', manifest.name, 'native/build/Release/vrrp_native.node')),
    'the native addon builds from the packed sources',
  );

  const specifiers = exportSpecifiers(manifest);
  const lines = specifiers.map((specifier, i) => `import * as m${i} from '${specifier}';`);
  lines.push(
    "import { sim } from 'vrrp-engine';",
    // docs/simulator.md, "From a program", on the embedded scenario.
    'const result = sim.runSimulation(sim.defaultScenario(), { seed: 7, timeline: true, picture: false });',
    'if (!result.ok) console.error(result.violation, result.reproduce);',
    `const counts: Record<string, number> = { ${specifiers.map((s, i) => `${JSON.stringify(s)}: Object.keys(m${i}).length`).join(', ')} };`,
    'console.log(JSON.stringify({ ok: result.ok, transitions: result.transitions.length, counts }));',
  );
  writeFileSync(join(project, 'index.ts'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        outDir: 'out',
      },
      files: ['index.ts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], {
    cwd: project,
    encoding: 'utf8',
    timeout: 300_000,
  });
  t.equal(
    tsc.status,
    0,
    `tsc (strict, NodeNext) on ${specifiers.join(', ')}${tsc.status === 0 ? '' : `\n${tsc.stdout}${tsc.stderr}`}`,
  );

  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const example = spawnSync(process.execPath, ['out/index.js'], {
    cwd: project,
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  t.equal(example.status, 0, example.stderr);
  const printed = JSON.parse(example.stdout.trim()) as {
    ok: boolean;
    transitions: number;
    counts: Record<string, number>;
  };
  t.equal(printed.ok, true, 'the simulated failover held every invariant');
  t.ok(printed.transitions > 0);
  for (const specifier of specifiers)
    t.ok((printed.counts[specifier] ?? 0) > 0, `${specifier} exports something at run time`);

  // The installed program, as its #! line runs it (with this node, and without tap's NODE_OPTIONS).
  const bin = spawnSync(
    process.execPath,
    [join(project, 'node_modules/.bin/vrrp-sim'), '--quiet', '--out', join(work, 'run.svg')],
    { cwd: project, encoding: 'utf8', env, timeout: 120_000 },
  );
  t.equal(bin.status, 0, bin.stderr);
  t.match(bin.stdout, /all invariants held/);
});
