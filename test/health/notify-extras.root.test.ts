// startup_script, shutdown_script, notify_master_rx_lower_pri, notify_priority_changes and
// notify_deleted beside keepalived 2.2.7 on the same file (issue 13). keepalived (r1) and bin/vrrpd (r2)
// each run VI_A and VI_D (VRIDs of their own, so each is alone and Master), with a notify FIFO and a
// script that records its arguments. Then:
//   - r3 (keepalived at priority 100) runs VI_A's VRIDs; the bridge drops r1's and r2's VRRP, so r3
//     becomes Master too and advertises lower every second: r1 and r2 each hear a lower priority;
//   - VI_A tracks a file holding -5 at start (195), then -20 (180), then 0 (200);
//   - the file is reloaded (SIGHUP) without VI_D, which has notify_deleted;
//   - both are stopped.
// What each FIFO reader got is compared byte for byte per instance (a repeated MASTER_RX_LOWER_PRI line
// counted once: one per advert heard, and the adverts are not in step), and the recorded script
// arguments: the startup script first (no VIP on eth0 yet), the shutdown script last (none left).
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, skipReason, waitUntil, type RouterProcess } from '../netns/harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const skip = skipReason(['keepalived']) ?? false;
const DAEMONS = ['keepalived', 'vrrpd'] as const;
type Daemon = (typeof DAEMONS)[number];
/** VI_A's and VI_D's VRIDs on each daemon. */
const VRIDS: Record<Daemon, { a: number; d: number }> = { keepalived: { a: 71, d: 73 }, vrrpd: { a: 72, d: 74 } };

function instance(name: string, vrid: number, extra: readonly string[]): string[] {
  return [
    `vrrp_instance ${name} {`,
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    '  priority 200',
    '  advert_int 1',
    ...extra.map((line) => `  ${line}`),
    '  virtual_ipaddress {',
    `    192.0.2.${vrid}/32`,
    '  }',
    '}',
  ];
}

/** The instances of `who`, in their own file (rewritten without VI_D for the reload). */
function instances(dir: string, who: Daemon, withDeleted: boolean): string {
  const record = (what: string) => `"${join(dir, 'record.sh')} ${who} ${what}"`;
  return [
    `vrrp_track_file tf_${who} {`,
    `  file ${join(dir, `${who}.track`)}`,
    '}',
    ...instance('VI_A', VRIDS[who].a, [
      `notify ${record('notify')}`,
      `notify_master_rx_lower_pri ${record('lower')}`,
      'notify_priority_changes',
      'track_file {',
      `  tf_${who}`,
      '}',
    ]),
    ...(withDeleted
      ? instance('VI_D', VRIDS[who].d, [`notify ${record('notify')}`, `notify_deleted ${record('deleted')}`])
      : []),
    '',
  ].join('\n');
}

function conf(dir: string, who: Daemon): string {
  return [
    'global_defs {',
    `  router_id ${who}`,
    '  enable_script_security',
    '  script_user root',
    `  vrrp_notify_fifo ${join(dir, `${who}.fifo`)}`,
    `  startup_script "${join(dir, 'startstop.sh')} ${who} startup"`,
    '  startup_script_timeout 20',
    `  shutdown_script "${join(dir, 'startstop.sh')} ${who} shutdown"`,
    '}',
    `include ${join(dir, `${who}.instances.conf`)}`,
    '',
  ].join('\n');
}

/** r3: the lower router on VI_A's two VRIDs. */
const LOWER_CONF = [
  'global_defs {',
  '  router_id lower',
  '}',
  ...instance('VI_71', 71, ['priority 100']),
  ...instance('VI_72', 72, ['priority 100']),
  '',
].join('\n');

/**
 * Everything written to the FIFO while `writer` runs. A reload closes it (both programs close and open
 * their FIFOs again), so the reader opens it again each time it ends; once the writer has exited, a
 * reader still waiting for it to open the FIFO is ended.
 */
async function readFifo(path: string, writer: RouterProcess): Promise<string> {
  let text = '';
  while (writer.running) {
    if (!existsSync(path)) {
      await sleep(50);
      continue;
    }
    const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    void writer.exited.then(() => setTimeout(() => reader.kill(), 1000));
    await ended;
    text += Buffer.concat(chunks).toString();
  }
  return text;
}

/** The FIFO's lines per instance, a line repeated at once counted once. */
function perInstance(text: string): Record<string, string[]> {
  const lines: Record<string, string[]> = {};
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const name = /^INSTANCE "([^"]+)"/.exec(line)?.[1] ?? 'other';
    const list = (lines[name] ??= []);
    if (list.at(-1) !== line) list.push(line);
  }
  return lines;
}

t.test(
  'start/stop scripts and the notify extras: vrrpd does what keepalived 2.2.7 does on the same file',
  { skip },
  async (t) => {
    // Not under /tmp: with enable_script_security vrrpd refuses a script in a directory anyone may write to.
    const dir = mkdtempSync('/run/vrrp-extras-');
    chmodSync(dir, 0o755);
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'record.sh'), '#!/bin/sh\nwho=$1\nshift\necho "$*" >> "$(dirname "$0")/$who.log"\n', {
      mode: 0o755,
    });
    // The startup script takes a second: the instances must wait for it. Both record the VIPs on eth0.
    writeFileSync(
      join(dir, 'startstop.sh'),
      '#!/bin/sh\nwho=$1\nsleep 1\nvips=$(ip -o -4 addr show dev eth0 | grep -c "192\\.0\\.2\\.7")\necho "$2 vips=$vips" >> "$(dirname "$0")/$who.log"\n',
      { mode: 0o755 },
    );
    for (const who of DAEMONS) {
      writeFileSync(join(dir, `${who}.track`), '-5\n');
      writeFileSync(join(dir, `${who}.instances.conf`), instances(dir, who, true));
    }

    const h = await Harness.create(t, 'ixtr', 3, { capture: false });
    const procs: Record<Daemon, RouterProcess> = {
      keepalived: h.startKeepalived('r1', [], { confText: conf(dir, 'keepalived') }),
      vrrpd: h.startVrrpd('r2', [], { confText: conf(dir, 'vrrpd') }),
    };
    const reads = {} as Record<Daemon, Promise<string>>;
    for (const who of DAEMONS) {
      const path = join(dir, `${who}.fifo`);
      await waitUntil(async () => existsSync(path) || undefined, STARTUP_MS + 2000, `${who} makes ${path}`);
      reads[who] = readFifo(path, procs[who]);
    }
    const masterMs = masterDownMs(200, 100, 2) + STARTUP_MS + 1000 + MARGIN_MS;
    for (const who of DAEMONS) {
      for (const name of ['VI_A', 'VI_D']) await procs[who].waitForState(name, 'Master', masterMs);
    }

    // r1 and r2 unheard: r3 becomes Master at 100 and advertises to them every second.
    const nft = (...args: string[]) => execFileSync('ip', ['netns', 'exec', h.lan.bridgeNamespace, 'nft', ...args]);
    nft('add', 'table', 'bridge', 'extras');
    nft('add', 'chain', 'bridge', 'extras', 'forward', '{ type filter hook forward priority 0; }');
    for (const node of ['r1', 'r2']) {
      nft(
        'add',
        'rule',
        'bridge',
        'extras',
        'forward',
        'ether',
        'saddr',
        h.node(node).mac,
        'ip',
        'protocol',
        'vrrp',
        'drop',
      );
    }
    const lower = h.startKeepalived('r3', [], { confText: LOWER_CONF });
    for (const name of ['VI_71', 'VI_72'])
      await lower.waitForState(name, 'Master', masterDownMs(100, 100, 2) + STARTUP_MS + MARGIN_MS);
    await sleep(3000);

    // The tracked file moves VI_A's effective priority to 180 and back.
    for (const value of ['-20', '0']) {
      for (const who of DAEMONS) writeFileSync(join(dir, `${who}.track`), `${value}\n`);
      await sleep(3500);
    }

    // A reload without VI_D.
    for (const who of DAEMONS) {
      writeFileSync(join(dir, `${who}.instances.conf`), instances(dir, who, false));
      procs[who].signal('SIGHUP');
    }
    await sleep(3000);
    for (const who of DAEMONS) await procs[who].stop(15_000);
    await lower.stop(5000);

    const fifo: Record<Daemon, string> = { keepalived: await reads.keepalived, vrrpd: await reads.vrrpd };
    const log = (who: Daemon) =>
      existsSync(join(dir, `${who}.log`))
        ? readFileSync(join(dir, `${who}.log`), 'utf8')
            .split('\n')
            .filter(Boolean)
        : [];
    const logs: Record<Daemon, string[]> = { keepalived: log('keepalived'), vrrpd: log('vrrpd') };
    const said = `\nkeepalived FIFO:\n${fifo.keepalived}\nvrrpd FIFO:\n${fifo.vrrpd}\nkeepalived log:\n${logs.keepalived.join('\n')}\nvrrpd log:\n${logs.vrrpd.join('\n')}`;

    const expectedA = [
      // The file's -5 at start: a priority change before the first state, as keepalived writes it.
      'INSTANCE "VI_A" BACKUP_PRIORITY 195',
      'INSTANCE "VI_A" BACKUP 195',
      'INSTANCE "VI_A" MASTER 195',
      'INSTANCE "VI_A" MASTER_RX_LOWER_PRI 195',
      'INSTANCE "VI_A" MASTER_PRIORITY 180',
      'INSTANCE "VI_A" MASTER_RX_LOWER_PRI 180',
      'INSTANCE "VI_A" MASTER_PRIORITY 200',
      'INSTANCE "VI_A" MASTER_RX_LOWER_PRI 200',
      'INSTANCE "VI_A" STOP 200',
    ];
    const expectedD = ['INSTANCE "VI_D" BACKUP 200', 'INSTANCE "VI_D" MASTER 200', 'INSTANCE "VI_D" DELETED 200'];
    t.strictSame(
      perInstance(fifo.keepalived),
      { VI_A: expectedA, VI_D: expectedD },
      `keepalived 2.2.7 writes these${said}`,
    );
    t.strictSame(perInstance(fifo.vrrpd), perInstance(fifo.keepalived), 'vrrpd writes the same lines per instance');

    for (const who of DAEMONS) {
      const lines = logs[who];
      t.equal(lines[0], 'startup vips=0', `${who}: the startup script ran first, before any VIP was added`);
      t.equal(lines.at(-1), 'shutdown vips=0', `${who}: the shutdown script ran last, after every VIP was removed`);
      t.ok(
        lines.filter((l) => l === 'lower').length >= 2,
        `${who}: notify_master_rx_lower_pri ran for the lower adverts`,
      );
    }
    const distinct = (who: Daemon) => [...new Set(logs[who])].sort();
    t.strictSame(distinct('vrrpd'), distinct('keepalived'), `the scripts got the same arguments${said}`);
    t.ok(
      distinct('keepalived').includes('notify INSTANCE VI_D DELETED 200'),
      'notify: DELETED for the deleted instance',
    );
    t.ok(distinct('keepalived').includes('deleted'), 'notify_deleted ran');
  },
);
