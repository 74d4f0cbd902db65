// Same verdict as keepalived -t: one file per row of the keyword table (test/config/keyword-files.ts)
// and keepalived's shipped samples are judged by keepalived 2.2.7 -t, in a namespace that has the
// interfaces the files name (eth0..eth4, eth0.1, as veths), and by vrrp-engine as `vrrpd -t` judges
// them. No file keepalived accepts may be refused by us, except track_bfd (refused until BFD exists,
// naming the alternative) and the samples that hold no vrrp_instance (LVS only), which must say there
// is nothing for vrrp-engine to run. Where both refuse,
// our errors name file and line. The samples also go through bin/vrrpd -t itself; the keyword files
// are read in-process with loadConfig, the function vrrpd -t calls, to keep the run short.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigLoadError, loadConfig, type Diagnostic } from '../../src/cli/config-source.js';
import { TestNamespace, namespaceSkipReason } from '../linux/netns-harness.js';
import { KEYWORDS, SUPPORT_FILES, keywordFile, keywordFileName } from './keyword-files.js';

const SAMPLES = '/usr/share/doc/keepalived/samples';
const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));
/** The sample that is written for `keepalived -i high` (or low): judged as host "high" by both. */
const CONFIG_IDS: Readonly<Record<string, string>> = { 'keepalived.conf.conditional_conf': 'high' };
const PARALLEL = 4;

const skip =
  namespaceSkipReason() ?? (spawnSync('keepalived', ['--version']).error ? 'keepalived is not installed' : undefined);

interface Judged {
  readonly path: string;
  readonly configId?: string;
  keepalived?: { status: number | null; output: string };
}

/** A command's exit status and output (stdout and stderr together). */
function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000, env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** `work` on each item, PARALLEL at a time (the host has two cores shared with other tests). */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

function ours(file: Judged): { refused: boolean; diagnostics: readonly Diagnostic[] } {
  try {
    return { refused: false, diagnostics: loadConfig(file.path, file.configId).diagnostics };
  } catch (error) {
    if (!(error instanceof ConfigLoadError)) throw error;
    return { refused: true, diagnostics: error.diagnostics };
  }
}

/** keepalived's own complaints, for the failure message. */
function keepalivedSays(output: string): string {
  return output
    .split('\n')
    .filter((line) => /Line \d+|Unknown|rror|arning|not /.test(line))
    .slice(0, 8)
    .join('\n');
}

t.test('keepalived -t and vrrpd -t: nothing keepalived accepts is refused', { skip: skip ?? false }, async (t) => {
  const started = Date.now();
  const namespace = new TestNamespace('kv');
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-verdict-'));
  t.teardown(() => {
    namespace.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  // The interfaces the keyword files and the samples name (keepalived -t looks each one up).
  namespace.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
  namespace.ip('link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', 'eth3');
  namespace.ip('link', 'add', 'eth0.1', 'type', 'veth', 'peer', 'name', 'eth4');

  for (const [name, text] of Object.entries(SUPPORT_FILES)) writeFileSync(join(dir, name), text);
  const keywordFiles: Judged[] = KEYWORDS.map((row) => {
    const path = join(dir, keywordFileName(row));
    writeFileSync(path, keywordFile(row));
    return { path };
  });
  const samples: Judged[] = existsSync(SAMPLES)
    ? readdirSync(SAMPLES)
        .filter((name) => name.startsWith('keepalived.conf'))
        .sort()
        .map((name) => ({ path: join(SAMPLES, name), ...(CONFIG_IDS[name] ? { configId: CONFIG_IDS[name] } : {}) }))
    : [];
  await inParallel([...keywordFiles, ...samples], async (file) => {
    const id = file.configId ? ['-i', file.configId] : [];
    file.keepalived = await run('ip', [
      'netns',
      'exec',
      namespace.name,
      'keepalived',
      '-t',
      '-l',
      '-D',
      ...id,
      '-f',
      file.path,
    ]);
  });

  const acceptedByKeepalived = [...keywordFiles, ...samples].filter((file) => file.keepalived?.status === 0);
  t.ok(
    acceptedByKeepalived.length >= 230,
    `keepalived -t accepts ${acceptedByKeepalived.length} of the ${keywordFiles.length + samples.length} files`,
  );

  const refusedByUs: string[] = [];
  for (const file of [...keywordFiles, ...samples]) {
    const verdict = ours(file);
    const errors = verdict.diagnostics.filter((d) => d.severity === 'error');
    const text = readFileSync(file.path, 'utf8');
    const lvsOnly = !/^\s*vrrp_instance\s/m.test(text);
    if (file.keepalived?.status === 0 && verdict.refused) {
      if (lvsOnly) {
        t.match(
          errors,
          [
            {
              line: 1,
              message:
                /^no vrrp_instance: nothing for vrrp-engine to run \(this file configures only keepalived's LVS load balancer/,
            },
          ],
          `${file.path}: LVS only, and says there is nothing for vrrp-engine to run`,
        );
        t.equal(errors.length, 1, `${file.path}: that is the only error`);
      } else if (
        errors.every((d) =>
          /^track_bfd is not supported: BFD is not part of vrrp-engine: track the peer with a track_script/.test(
            d.message,
          ),
        )
      ) {
        // The one refusal the issue keeps until BFD exists: it names the alternative.
        t.pass(`${file.path}: track_bfd, refused on purpose with the alternative named`);
      } else {
        refusedByUs.push(`${file.path}:\n${errors.map((d) => `  ${d.line}: ${d.message}`).join('\n')}`);
      }
    } else if (verdict.refused) {
      t.ok(
        errors.every((d) => d.line > 0),
        `${file.path}: refused by both; each error names its line\n${errors.map((d) => `${d.line}: ${d.message}`).join('\n')}\nkeepalived: ${keepalivedSays(file.keepalived?.output ?? '')}`,
      );
    }
  }
  t.same(refusedByUs, [], 'no file keepalived -t accepts is refused by vrrp-engine');

  // bin/vrrpd -t itself on the samples: the exit code keepalived uses for the same verdict.
  const { NODE_OPTIONS: _loader, ...env } = process.env;
  await inParallel(samples, async (file) => {
    const vrrpd = await run(
      process.execPath,
      [VRRPD, '-t', ...(file.configId ? ['-i', file.configId] : []), '-f', file.path],
      env,
    );
    const expected = ours(file).refused ? 5 : 0;
    t.equal(
      vrrpd.status,
      expected,
      `bin/vrrpd -t ${file.path} exits ${expected} (keepalived -t: ${file.keepalived?.status})\n${vrrpd.output.split('\n').slice(-4).join('\n')}`,
    );
    if (expected === 5) t.match(vrrpd.output, /:\d+: error: /, 'and names the file and line');
  });
  t.ok(
    Date.now() - started < 120_000,
    `the whole comparison took ${((Date.now() - started) / 1000).toFixed(1)} s (bound 120 s)`,
  );
});
