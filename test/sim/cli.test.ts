// bin/vrrp-sim end to end: the default run, a failing scenario's exit status, usage errors.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './load.js';

// The compiled CLI, which bin/vrrp-sim imports. (The extensionless shim itself cannot be spawned under
// tap: its process-info hook loads the main module through require(), which refuses an ES module.)
const cli = join(repoRoot, 'dist/src/cli/vrrp-sim.js');
const work = mkdtempSync(join(tmpdir(), 'vrrp-sim-'));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8' });

t.test('no arguments: the default scenario, timeline printed, picture written, exit 0', async (t) => {
  const out = run();
  t.equal(out.status, 0, out.stderr);
  t.match(out.stdout, /10\.000s\s+FAULT\s+crash r1/);
  t.match(out.stdout, /r2\/VI_51\s+Backup -> Master \(master-down-timer\)/);
  const path = join(work, 'vrrp-sim-timeline.svg');
  t.match(out.stdout, `picture: ${path}`);
  t.ok(existsSync(path));
  t.match(readFileSync(path, 'utf8'), /^<svg /);
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
  t.match(shim, /import '\.\.\/dist\/src\/cli\/vrrp-sim\.js';/);
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
});
