// A SIGHUP reload must not freeze a running Master (issue 10, point 7). Two vrrpd on a namespace LAN,
// VRRPv3 at 100 ms (r2, priority 100, takes over 360 ms after r1's last advert); r1's file is replaced
// by hostile ones (a multi-line definition that doubles at every level, 100,000 lines of unknown
// keywords) and r1 gets SIGHUP after SIGHUP. Each reload is refused with a line that says why, and
// r1's adverts, captured on the bridge, never stop for as long as r2's Master_Down_Timer: r2 never
// becomes Master. Before the reload read moved to a worker (src/cli/reload-read.ts) the main thread
// spent each read's time with no adverts. Needs root, tcpdump and tshark.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { Capture } from '../netns/capture.js';
import { Lan, type LanNode } from '../netns/lan.js';
import { sleep, waitUntil } from '../netns/observe.js';
import { NamespaceProcess } from '../netns/process.js';

const execFileAsync = promisify(execFile);
const VRRPD = fileURLToPath(new URL('../../../bin/vrrpd', import.meta.url));
const VRID = 61;
const VIP = '192.0.2.161';
const INTERVAL_MS = 100;
/** r2's Master_Down_Timer at priority 100, VRRPv3 at 100 ms: 3 x 100 + (256 - 100) x 100 / 256. */
const BACKUP_DOWN_MS = 3 * INTERVAL_MS + Math.floor(((256 - 100) * INTERVAL_MS) / 256);

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces and raw sockets';
  for (const tool of ['tcpdump', 'tshark']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `needs ${tool}`;
    }
  }
  return undefined;
}

function conf(node: LanNode, priority: number): string {
  return [
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    `  interface ${node.interface}`,
    '  version 3',
    `  virtual_router_id ${VRID}`,
    `  priority ${priority}`,
    `  advert_int ${INTERVAL_MS / 1000}`,
    '  virtual_ipaddress {',
    `    ${VIP}/32`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Multi-line definitions that double at every level: 2^24 lines if nothing stopped them. */
function definitionBomb(): string {
  const lines = ['$M0=\\', 'bogus 1 \\', 'bogus 2', ''];
  for (let i = 1; i <= 24; i++) lines.push(`$M${i}=\\`, `$M${i - 1} \\`, `$M${i - 1}`, '');
  return `${lines.join('\n')}$M24\n`;
}

/** Within the reader's line limit, but every line read, mapped and refused. */
const unknownKeywords = (): string => 'bogus_keyword 1\n'.repeat(99_000);

class Vrrpd extends NamespaceProcess {
  readonly confPath: string;
  readonly socket: string;

  constructor(
    label: string,
    node: LanNode,
    readonly dir: string,
    priority: number,
  ) {
    const confPath = join(dir, 'keepalived.conf');
    writeFileSync(confPath, conf(node, priority));
    const socket = join(dir, 'vrrpd.sock');
    super(label, node.namespace, VRRPD, [
      '-n',
      '-f',
      confPath,
      '-p',
      join(dir, 'k.pid'),
      '-r',
      join(dir, 'v.pid'),
      '--socket',
      socket,
      '--dump-dir',
      dir,
      '--log-format',
      'json',
    ]);
    this.confPath = confPath;
    this.socket = socket;
  }

  async state(): Promise<string | undefined> {
    try {
      const { NODE_OPTIONS: _loader, ...env } = process.env;
      const { stdout } = await execFileAsync(process.execPath, [VRRPD, 'status', '--json', '--socket', this.socket], {
        env,
      });
      return (JSON.parse(stdout) as { instances: { state: string }[] }).instances[0]?.state;
    } catch {
      return undefined; // not listening yet
    }
  }
}

t.test(
  'SIGHUP with hostile files: refused, and the Master never stops advertising',
  { skip: skipReason() ?? false },
  async (t) => {
    const lan = Lan.create('rl', 2);
    const dirs: string[] = [];
    const daemons: Vrrpd[] = [];
    let capture: Capture | undefined;
    t.teardown(async () => {
      for (const d of daemons) {
        try {
          process.kill(d.pid, 'SIGKILL');
        } catch {
          // gone
        }
        await d.exited;
      }
      if (capture !== undefined) {
        try {
          process.kill(capture.pid, 'SIGKILL');
        } catch {
          // gone
        }
        capture.remove();
      }
      lan.destroy();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      if (!t.passing()) for (const d of daemons) t.comment(`--- ${d.label}\n${d.tail(40)}`);
    });
    const start = (label: string, node: LanNode, priority: number) => {
      const dir = mkdtempSync(join(tmpdir(), `vrrpd-reload-${label}-`));
      dirs.push(dir);
      const daemon = new Vrrpd(label, node, dir, priority);
      daemons.push(daemon);
      return daemon;
    };
    const [n1, n2] = lan.routers as [LanNode, LanNode];
    capture = await Capture.start(lan.bridgeNamespace);
    const r1 = start('r1', n1, 150);
    const r2 = start('r2', n2, 100);
    await waitUntil(
      async () => ((await r1.state()) === 'Master' && (await r2.state()) === 'Backup' ? true : undefined),
      20_000,
      'r1 Master, r2 Backup',
    );

    const r2LinesBefore = r2.lines.length;
    const windowStartMs = Date.now();
    const hostile = [definitionBomb(), unknownKeywords(), definitionBomb(), unknownKeywords()];
    for (const [round, text] of hostile.entries()) {
      const since = r1.lines.length;
      writeFileSync(r1.confPath, text);
      process.kill(r1.pid, 'SIGHUP');
      const refusedLine = await r1.waitForLine(
        (l) => l.text.includes('reload refused'),
        30_000,
        `refusal ${round + 1}`,
        since,
      );
      t.match(refusedLine.text, /"phase":"refused"/, `reload ${round + 1} refused`);
      t.ok(
        r1.lines.slice(since).some((l) => /keepalived\.conf:\d+: error: /.test(l.text)),
        `reload ${round + 1}: the error is logged with file:line`,
      );
    }
    await sleep(3 * INTERVAL_MS);
    const windowEndMs = Date.now();
    await capture.stop();

    const adverts = capture
      .vrrp()
      .filter((f) => f.vrid === VRID && f.source === n1.ipv4 && f.timeMs >= windowStartMs && f.timeMs <= windowEndMs);
    const gaps = adverts.slice(1).map((f, i) => f.timeMs - adverts[i]!.timeMs);
    const maxGapMs = Math.max(...gaps);
    t.ok(
      adverts.length > (windowEndMs - windowStartMs) / INTERVAL_MS / 2,
      `${adverts.length} adverts from r1 in ${windowEndMs - windowStartMs} ms`,
    );
    t.ok(
      maxGapMs < BACKUP_DOWN_MS,
      `the longest gap between r1's adverts was ${maxGapMs.toFixed(0)} ms (r2 takes over after ${BACKUP_DOWN_MS} ms)`,
    );
    t.equal(await r1.state(), 'Master', 'r1 is still Master');
    t.equal(await r2.state(), 'Backup', 'r2 is still Backup');
    t.notOk(
      r2.lines.slice(r2LinesBefore).some((l) => l.text.includes('"event":"stateChange"')),
      'r2 had no transition',
    );
    t.ok(r1.running, 'r1 still runs');
  },
);
