// keepalived-exporter's names and labels (exporter-contract.ts) on the /metrics of each of the three
// programs, run as an operator would in a namespace (a veth pair, documentation addresses): bin/vrrpd
// --metrics, bin/vrrp-engine --metrics and bin/ipfailover's status listener. Each scrape is valid
// exposition text, and the instance is Master (2) in keepalived_vrrp_state. Needs root (raw sockets).

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { namespaceSkipReason, TestNamespace } from '../linux/netns-harness.js';
import { eventually, runnerScope } from '../linux/runner-process.js';
import { EXPORTER_STATE_VALUES, exporterProblems, parseExposition } from './exporter-contract.js';

const bin = (name: string) => fileURLToPath(new URL(`../../../bin/${name}`, import.meta.url));
const PORT = 2112;

/** GET /metrics from inside the namespace (the listener is there): the body, or '' while refused. */
function scrape(netns: TestNamespace, port: number): string {
  const run = netns.runModule(
    `const r = await fetch('http://127.0.0.1:${port}/metrics').catch(() => undefined);\nconsole.log(JSON.stringify(r === undefined ? '' : await r.text()));`,
  );
  return typeof run.result === 'string' ? run.result : '';
}

const KEEPALIVED_CONF = `vrrp_script chk_true {
  script "/bin/true"
  interval 1
}
vrrp_instance VI_1 {
  interface va
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/32
  }
  track_script {
    chk_true
  }
}
`;

/** SIGTERM: exit 0; the output only when not. */
function stopped(t: Test, code: unknown, output: string): void {
  t.equal(code, 0, 'SIGTERM: exit 0');
  if (code !== 0) t.comment(output.slice(-2000));
}

t.test('the exporter names on all three programs', { skip: namespaceSkipReason() ?? false }, async (t) => {
  const netns = new TestNamespace('mx');
  const scope = runnerScope(t, [netns.name], 'vrrp-metrics-');
  const children: ReturnType<typeof spawn>[] = [];
  t.teardown(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  netns.addressPair();
  netns.ip('link', 'set', 'lo', 'up'); // the listeners are on 127.0.0.1
  const start = (env: readonly string[], argv: readonly string[]) => {
    const child = spawn('ip', ['netns', 'exec', netns.name, 'env', ...env, process.execPath, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    children.push(child);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    return { child, exited, output: () => output };
  };
  /** Scrapes until the instance is Master, then holds the text to the exporter's table. */
  const check = async (t: Test, what: string, port: number, present: { excluded: boolean; scripts: boolean }) => {
    let text = '';
    const master = (s: string) => /keepalived_vrrp_state\{[^}]*\} 2\n/.test(s);
    await eventually(`${what}: Master in /metrics`, () => master((text = scrape(netns, port))));
    const families = parseExposition(text);
    t.same(exporterProblems(families, present), [], `${what}: the exporter's families and labels`);
    const state = families.get('keepalived_vrrp_state')?.samples[0];
    t.equal(state?.value, EXPORTER_STATE_VALUES.MASTER, `${what}: Master is 2`);
    t.equal(state?.labels.intf, 'va');
    t.ok(
      (families.get('keepalived_advertisements_sent_total')?.samples[0]?.value ?? 0) > 0,
      `${what}: adverts counted`,
    );
    // Master on its down timer (no peer): one takeover, its overshoot well under a second.
    const overshoot = families.get('vrrp_takeover_overshoot_seconds')?.samples;
    t.equal(overshoot?.find((s) => s.name.endsWith('_count'))?.value, 1, `${what}: one takeover timed`);
    t.ok((overshoot?.find((s) => s.name.endsWith('_sum'))?.value ?? 1) < 0.5, `${what}: overshoot under 0.5 s`);
    t.equal(families.get('vrrp_event_loop_delay_seconds')?.type, 'summary', `${what}: event-loop delay served`);
  };

  await t.test('vrrpd --metrics', async (t) => {
    const conf = join(scope.dir, 'keepalived.conf');
    writeFileSync(conf, KEEPALIVED_CONF);
    const files = ['-p', join(scope.dir, 'k.pid'), '-r', join(scope.dir, 'v.pid'), '--socket', 'none'];
    const vrrpd = start([], [bin('vrrpd'), '-n', '-f', conf, ...files, `--metrics=127.0.0.1:${PORT}`]);
    await check(t, 'vrrpd', PORT, { excluded: false, scripts: true });
    stopped(t, vrrpd.child.kill('SIGTERM') && (await vrrpd.exited), vrrpd.output());
  });

  await t.test('vrrp-engine with VRRP_METRICS_LISTEN', async (t) => {
    const json = join(scope.dir, 'engine.json');
    const router = { name: 'VI_1', interface: 'va', vrid: 52, priority: 150, virtualAddresses: ['192.0.2.101'] };
    writeFileSync(json, JSON.stringify({ routers: [{ ...router, excludedAddresses: ['192.0.2.102'] }] }));
    const engine = start([`VRRP_METRICS_LISTEN=127.0.0.1:${PORT + 1}`], [bin('vrrp-engine'), '--config', json]);
    await check(t, 'vrrp-engine', PORT + 1, { excluded: true, scripts: false });
    stopped(t, engine.child.kill('SIGTERM') && (await engine.exited), engine.output());
  });

  await t.test('ipfailover OPENSHIFT_HA_STATUS_PORT', async (t) => {
    const pod = start(
      [
        'OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.50',
        'OPENSHIFT_HA_NETWORK_INTERFACE=va',
        'OPENSHIFT_HA_MONITOR_PORT=0',
        `OPENSHIFT_HA_STATUS_PORT=${PORT + 2}`,
        'OPENSHIFT_HA_STATUS_ADDRESS=127.0.0.1',
      ],
      [bin('ipfailover')],
    );
    await check(t, 'ipfailover', PORT + 2, { excluded: false, scripts: false });
    stopped(t, pod.child.kill('SIGTERM') && (await pod.exited), pod.output());
  });
});
