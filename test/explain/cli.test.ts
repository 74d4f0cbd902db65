// bin/vrrp-explain end to end: text as checked in, --json, --svg (the simulator's picture), --vrid, and
// clear errors with exit status 2 for bad usage and files that are not captures.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(import.meta.url), '../../../..');
// The compiled CLI, which bin/vrrp-explain imports (tap's hook cannot spawn the extensionless shim).
const cli = join(repoRoot, 'dist/src/cli/vrrp-explain.js');
const captures = join(repoRoot, 'test/explain/captures');
const work = mkdtempSync(join(tmpdir(), 'vrrp-explain-'));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8' });

t.test('a capture: the checked-in explanation on stdout, exit 0', async (t) => {
  const out = run(join(captures, 'split-brain.pcap'));
  t.equal(out.status, 0, out.stderr);
  t.equal(out.stdout, readFileSync(join(captures, 'split-brain.txt'), 'utf8'));
});

t.test('--json and --svg: the JSON of the golden file, and the timeline picture', async (t) => {
  const svg = join(work, 'split.svg');
  const out = run('--json', '--svg', svg, join(captures, 'split-brain.pcap'));
  t.equal(out.status, 0, out.stderr);
  t.same(JSON.parse(out.stdout), JSON.parse(readFileSync(join(captures, 'split-brain.json'), 'utf8')));
  const picture = readFileSync(svg, 'utf8');
  t.match(picture, /^<svg /);
  t.match(picture, /VRID 60 192\.0\.2\.2/, 'one band per router');
  t.match(
    picture,
    /VIOLATION at 10\.261s: VRID 60: two Masters, 192\.0\.2\.1 and 192\.0\.2\.2/,
    'the split brain as the red line',
  );
  t.match(picture, /192\.0\.2\.2 Master \(not-hearing-master\)/, 'elections as numbered markers');
});

t.test('--vrid keeps one virtual router', async (t) => {
  const none = run('--vrid', '7', join(captures, 'preemption.pcap'));
  t.equal(none.status, 0);
  t.match(none.stdout, /no VRRP adverts in this capture/);
  const one = run('--vrid', '40', join(captures, 'preemption.pcap'));
  t.match(one.stdout, /VRID 40 over IPv4/);
});

t.test('bad usage and files that are not captures: a clear message, exit 2', async (t) => {
  const text = join(work, 'notes.txt');
  writeFileSync(text, 'not a capture at all\n');
  for (const [args, message] of [
    [[], /which capture\?/],
    [['--bogus', 'x'], /unknown option --bogus/],
    [['--vrid', '300', 'x'], /--vrid wants 1\.\.255, got 300/],
    [[join(work, 'missing.pcap')], /cannot read .*missing\.pcap: ENOENT/],
    [[text], /not a pcap or pcapng file \(starts with 0x6e6f7420\)/],
  ] as const) {
    const out = run(...args);
    t.equal(out.status, 2, `${args.join(' ')}: exit 2`);
    t.match(out.stderr, message);
  }
});

t.test('a capture cut short: explained up to the cut, the damage named', async (t) => {
  const whole = readFileSync(join(captures, 'keepalived-failover.pcap'));
  const cut = join(work, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, whole.length - 20));
  const out = run(cut);
  t.equal(out.status, 0, out.stderr);
  t.match(out.stdout, /warning: the file is damaged or ends early \(frame 16: \d+ bytes announced, \d+ left\)/);
  t.match(out.stdout, /192\.0\.2\.2 takes over after its down timer/);
});
