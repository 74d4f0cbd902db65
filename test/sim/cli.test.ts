// bin/vrrp-sim end to end: the default run, a failing scenario's exit status, usage errors.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from './load.js';

// The compiled CLI, which bin/vrrp-sim imports. (The extensionless shim itself cannot be spawned under
// tap: its process-info hook loads the main module through require(), which refuses an ES module.)
const cli = join(repoRoot, 'dist/src/cli/vrrp-sim.js');
const work = mkdtempSync(join(tmpdir(), 'vrrp-sim-cwd-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8' });

t.test('no arguments: the default scenario, timeline printed, picture written, exit 0', async (t) => {
  const out = run();
  t.equal(out.status, 0, out.stderr);
  t.match(out.stdout, /10\.000s\s+FAULT\s+crash r1/);
  t.match(out.stdout, /r2\/VI_51\s+Backup -> Master \(master-down-timer\)/);
  const path = /^picture: (.+)$/m.exec(out.stdout)?.[1] ?? '';
  t.ok(path.startsWith(join(tmpdir(), 'vrrp-sim-')), `a new temporary directory, not the current one: ${path}`);
  t.ok(existsSync(path));
  t.match(readFileSync(path, 'utf8'), /^<svg /);
  t.same(readdirSync(work), [], 'nothing written into the current directory');
  rmSync(dirname(path), { recursive: true, force: true });
});

t.test('--out: the format from the extension, anything else refused before running', async (t) => {
  const png = run('--out', 'x.png');
  t.equal(png.status, 2);
  t.equal(
    png.stderr,
    'vrrp-sim: --out x.png: cannot tell the format from ".png"; use .svg, .html, .json\n(vrrp-sim --help for usage)\n',
  );
  t.equal(png.stdout, '', 'nothing ran');
  t.notOk(existsSync(join(work, 'x.png')));
  t.equal(run('--out', 'noextension').status, 2);
  const json = run('--quiet', '--out', 'run.json');
  t.equal(json.status, 0, json.stderr);
  t.match(json.stdout, `result: ${join(work, 'run.json')}`);
  const result = JSON.parse(readFileSync(join(work, 'run.json'), 'utf8'));
  t.equal(result.ok, true);
  t.equal(result.seed, 1);
  t.ok(result.transitions.length > 0 && result.timeline.length > 0);
  t.equal(result.svg, undefined, 'the picture is not inside the JSON');
  t.match(
    readFileSync(join(work, (run('--quiet', '--out', 'pic.SVG'), 'pic.SVG')), 'utf8'),
    /^<svg /,
    'the extension in any case',
  );
});

t.test('a reader that goes away early: quiet, no stack trace', async (t) => {
  const scenario = join(repoRoot, 'test/scenarios/random-faults.json');
  const out = spawnSync(
    'sh',
    ['-c', `"${process.execPath}" "${cli}" --scenario "${scenario}" --seeds 1..200 --out run.svg | head -n 1`],
    { cwd: work, encoding: 'utf8' },
  );
  t.equal(out.status, 0);
  t.match(out.stdout, /^seed 1: ok/);
  t.equal(out.stderr, '', 'no EPIPE error');
});

t.test('an unknown scenario key: exit 2 naming its path and the nearest known key', async (t) => {
  const scenario = JSON.parse(readFileSync(join(repoRoot, 'test/scenarios/unicast.json'), 'utf8'));
  const cases: [(s: Record<string, any>) => void, string][] = [
    [(s) => ((s.evnets = s.events ?? []), delete s.events), 'scenario evnets: unknown field (did you mean "events"?)'],
    [
      (s) => (s.nodes[0].routers[0].priorty = 200),
      'scenario nodes[0].routers[0].priorty: unknown field (did you mean "priority"?)',
    ],
    [(s) => (s.lans[0].latency = 1), 'scenario lans[0].latency: unknown field (did you mean "latencyMs"?)'],
    [
      (s) => (s.events = [{ atS: 1, kind: 'crash', node: s.nodes[0].name, interface: 'eth0' }]),
      'scenario events[0].interface: unknown field (expected atS, kind, node)',
    ],
  ];
  for (const [change, message] of cases) {
    const copy = structuredClone(scenario);
    change(copy);
    const file = join(work, 'typo.json');
    writeFileSync(file, JSON.stringify(copy));
    const out = run('--quiet', '--scenario', file, '--out', 'typo.svg');
    rmSync(file);
    t.equal(out.status, 2, message);
    t.equal(out.stderr, `vrrp-sim: ${message}\n`);
  }
});

t.test('--out page.html writes an HTML page', async (t) => {
  const out = run('--quiet', '--out', 'page.html');
  t.equal(out.status, 0);
  t.match(readFileSync(join(work, 'page.html'), 'utf8'), /^<!DOCTYPE html>[\s\S]*<svg /);
});

t.test('a violated invariant: exit 1 and the reproduce line', async (t) => {
  const out = run('--quiet', '--scenario', join(repoRoot, 'test/scenarios/blocked-multicast.json'), '--seed', '3');
  t.equal(out.status, 1);
  t.match(out.stdout, /VIOLATION liveness/);
  t.match(out.stdout, /reproduce with: vrrp-sim --scenario \S+blocked-multicast\.json --seed 3/);
});

t.test('--seeds runs a range and summarises', async (t) => {
  const out = run('--quiet', '--scenario', join(repoRoot, 'test/scenarios/random-faults.json'), '--seeds', '1..5');
  t.equal(out.status, 0, out.stdout);
  t.match(out.stdout, /5 seeds, 5 ok, 0 violated/);
});

t.test('bin/vrrp-sim is an executable shim onto the compiled CLI', async (t) => {
  const shim = readFileSync(join(repoRoot, 'bin/vrrp-sim'), 'utf8');
  t.match(shim, /^#!\/usr\/bin\/env node\n/);
  t.match(shim, /import\('\.\.\/dist\/src\/cli\/vrrp-sim\.js'\)/);
  t.ok((statSync(join(repoRoot, 'bin/vrrp-sim')).mode & 0o111) !== 0, 'executable');
});

t.test('two separate processes, same seed: byte-identical timeline and picture', async (t) => {
  const scenario = join(repoRoot, 'test/scenarios/random-faults.json');
  const a = run('--scenario', scenario, '--seed', '9', '--out', 'a.svg');
  const b = run('--scenario', scenario, '--seed', '9', '--out', 'b.svg');
  t.equal(a.status, 0);
  t.equal(a.stdout.replace('a.svg', 'X'), b.stdout.replace('b.svg', 'X'));
  t.ok(readFileSync(join(work, 'a.svg')).equals(readFileSync(join(work, 'b.svg'))));
});

t.test('usage errors exit 2', async (t) => {
  const bad = join(work, 'bad.json');
  const scenario = JSON.parse(readFileSync(join(repoRoot, 'test/scenarios/unicast.json'), 'utf8'));
  scenario.nodes[0].routers[0].password = 'secret'; // v3 has no authentication
  writeFileSync(bad, JSON.stringify(scenario));
  const out = run('--scenario', bad);
  t.equal(out.status, 2);
  t.match(out.stderr, /auth: VRRPv3 has no authentication/);
  t.equal(run('--seeds', '5..1').status, 2);
  t.equal(run('--frobnicate').status, 2);
  t.match(run('--help').stdout, /usage: vrrp-sim/);
  t.match(run('--version').stdout, /^vrrp-sim \(vrrp-engine\) \d+\.\d+\.\d+\n$/);
  t.match(run('--frobnicate').stderr, /^vrrp-sim: unknown argument --frobnicate\n\(vrrp-sim --help for usage\)\n$/);
});
