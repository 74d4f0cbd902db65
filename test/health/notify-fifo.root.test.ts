// keepalived's notify FIFO, byte for byte: bin/vrrpd and keepalived 2.2.7 each run one instance in a
// sync group of its own (different VRIDs on one namespace LAN, so each is alone and becomes Master)
// with vrrp_notify_fifo and notify_fifo, and are stopped; what a reader of each FIFO got is compared.
// A reader written for keepalived's FIFO reads ours unchanged. vrrp_notify_fifo_script is started
// with the FIFO's path as its last argument.
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, skipReason, waitUntil, type RouterProcess } from '../netns/harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';

const skip = skipReason(['keepalived']) ?? false;

/** One instance `VI_<vrid>` in group `G<vrid>`, writing to `<dir>/<name>.vrrp.fifo` and `<dir>/<name>.all.fifo`. */
function conf(dir: string, name: string, vrid: number, script: string): string {
  return [
    'global_defs {',
    `  router_id ${name}`,
    '  enable_script_security',
    '  script_user root',
    `  vrrp_notify_fifo ${join(dir, `${name}.vrrp.fifo`)}`,
    `  vrrp_notify_fifo_script "${script} ${name}"`,
    `  notify_fifo ${join(dir, `${name}.all.fifo`)}`,
    '}',
    `vrrp_instance VI_${vrid} {`,
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    '  priority 150',
    '  advert_int 1',
    '  virtual_ipaddress {',
    `    192.0.2.${vrid}/32`,
    '  }',
    '}',
    `vrrp_sync_group G${vrid} {`,
    '  group {',
    `    VI_${vrid}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** What a reader of the FIFO gets until the writer closes it (cat, as a shell script reads it). */
function readFifo(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    reader.on('error', reject);
    reader.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

t.test('notify FIFOs: vrrpd writes what keepalived 2.2.7 writes, byte for byte', { skip }, async (t) => {
  // Not under /tmp: with enable_script_security vrrpd refuses a script under a directory anyone may
  // write to, sticky or not (keepalived lets a sticky /tmp pass).
  const dir = mkdtempSync('/run/vrrp-fifo-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The FIFO script records its arguments and ends (keepalived ends it with SIGTERM at stop otherwise).
  const script = join(dir, 'fifo-script.sh');
  writeFileSync(script, '#!/bin/sh\nprintf "%s\\n" "$@" > "$(dirname "$0")/$1.script-args"\n');
  chmodSync(script, 0o755);

  const h = await Harness.create(t, 'ififo', 2, { capture: false });
  const runs: Record<'keepalived' | 'vrrpd', { proc: RouterProcess; vrid: number }> = {
    keepalived: { proc: h.startKeepalived('r1', [], { confText: conf(dir, 'keepalived', 61, script) }), vrid: 61 },
    vrrpd: { proc: h.startVrrpd('r2', [], { confText: conf(dir, 'vrrpd', 62, script) }), vrid: 62 },
  };
  const reads: Record<string, Promise<Buffer>> = {};
  for (const name of ['keepalived', 'vrrpd'] as const) {
    for (const kind of ['vrrp', 'all']) {
      const path = join(dir, `${name}.${kind}.fifo`);
      await waitUntil(async () => existsSync(path) || undefined, STARTUP_MS, `${name} makes ${path}`);
      reads[`${name}.${kind}`] = readFifo(path);
    }
  }
  for (const name of ['keepalived', 'vrrpd'] as const) {
    await runs[name].proc.waitForState(
      `VI_${runs[name].vrid}`,
      'Master',
      masterDownMs(150, 100, 3) + STARTUP_MS + MARGIN_MS,
    );
  }
  // Let the group's MASTER line follow its member's.
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const name of ['keepalived', 'vrrpd'] as const) await runs[name].proc.stop(5000);

  const got = Object.fromEntries(
    await Promise.all(Object.entries(reads).map(async ([key, read]) => [key, await read] as const)),
  );
  const asKeepalived = (name: 'keepalived' | 'vrrpd', kind: string) =>
    got[`${name}.${kind}`]!.toString().replaceAll(String(runs[name].vrid), 'N');
  const expected = [
    'GROUP "GN" BACKUP 0',
    'INSTANCE "VI_N" BACKUP 150',
    'INSTANCE "VI_N" MASTER 150',
    'GROUP "GN" MASTER 0',
    'INSTANCE "VI_N" STOP 150',
    'GROUP "GN" STOP 0',
    '',
  ].join('\n');
  t.equal(asKeepalived('keepalived', 'vrrp'), expected, 'keepalived 2.2.7 writes these lines (its VRID read as N)');
  for (const kind of ['vrrp', 'all']) {
    t.equal(
      asKeepalived('vrrpd', kind),
      asKeepalived('keepalived', kind),
      `${kind === 'vrrp' ? 'vrrp_notify_fifo' : 'notify_fifo'}: the same bytes from vrrpd`,
    );
  }
  t.notOk(existsSync(join(dir, 'vrrpd.vrrp.fifo')), 'vrrpd removes the FIFO it made, as keepalived does');
  for (const name of ['keepalived', 'vrrpd'] as const) {
    const args = join(dir, `${name}.script-args`);
    const said = runs[name].proc.lines
      .filter((line) => /fifo|script/i.test(line.text))
      .map((line) => line.text)
      .join('\n');
    t.equal(
      existsSync(args) ? readFileSync(args, 'utf8') : '(no arguments written)',
      `${name}\n${join(dir, `${name}.vrrp.fifo`)}\n`,
      `${name}: the FIFO script got its own argument, then the FIFO's path\n${said}`,
    );
  }
});
