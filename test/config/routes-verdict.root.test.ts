// Route and rule lines (virtual_routes, virtual_rules, static_routes, static_rules, static_ipaddress,
// track_group, default_interface) judged by keepalived 2.2.7 -t and by vrrp-engine's reader, one
// file per line, in a namespace that has eth0 and eth1: the verdicts must agree both ways, except
// the words vrrp-engine refuses by name because it cannot apply them (UNSUPPORTED below), and where
// both refuse our error names the line.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigLoadError, loadConfig, type Diagnostic } from '../../src/cli/config-source.js';
import { TestNamespace, namespaceSkipReason } from '../linux/netns-harness.js';

const skip =
  namespaceSkipReason() ?? (spawnSync('keepalived', ['--version']).error ? 'keepalived is not installed' : undefined);

type Place = 'virtual_routes' | 'virtual_rules' | 'static_routes' | 'static_rules' | 'static_ipaddress';

/** [where, line, keepalived accepts]: the expectation is written down, and checked against keepalived too. */
const CASES: readonly (readonly [Place, string, boolean])[] = [
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254 dev eth0', true],
  ['virtual_routes', 'src 192.0.2.51 to 198.51.100.0/24 via 192.0.2.254 dev eth0', true],
  ['virtual_routes', '198.51.100.0/24 dev eth0 table 100 metric 5 scope link', true],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254 dev eth0 table main protocol keepalived', true],
  ['virtual_routes', 'blackhole 198.51.100.0/24 no_track', true],
  ['virtual_routes', 'unreachable 198.51.100.0/24 dev eth0', true],
  ['virtual_routes', 'prohibit 198.51.101.0/24 dev eth0 table 101', true],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254 dev eth0 onlink mtu lock 1400 hoplimit 20 advmss 1300', true],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254 dev eth0 append', true],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254 dev eth0 add', true],
  ['virtual_routes', '0.0.0.0/0 via 192.0.2.1 dev eth0 table 100', true],
  ['virtual_routes', 'default via 192.0.2.1 dev eth0 table 100', true],
  ['virtual_routes', '2001:db8:1::/64 via 2001:db8::1 dev eth0', true],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254 dev eth0 tos 0x10', true],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254 dev eth0 features ecn initcwnd 10 window 1000', true],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254 no_track', true],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254', false],
  ['virtual_routes', '198.51.100.0/24 gw 192.0.2.254 dev eth0', false],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254 or 192.0.2.253 dev eth0', false],
  ['virtual_routes', '198.51.100.0/24 dev eth0 protocol bird', false],
  ['virtual_routes', '198.51.100.0/24 dev eth0 protocol bird no_track', true],
  ['virtual_routes', 'inet6 2001:db8:1::/64 dev eth0', false],
  ['virtual_routes', 'foo', false],
  ['virtual_routes', '198.51.100.0/24 via 192.0.2.254/24 dev eth0', false],
  ['virtual_routes', '198.51.100.0/24 via 2001:db8::1 dev eth0', false],
  ['virtual_routes', '198.51.100.0/24 dev eth0 table nosuchtable', false],
  ['virtual_routes', '198.51.100.0/24 dev eth0 features foo', false],
  ['virtual_routes', '198.51.100.0/24 dev eth0 track_group G1', false],
  ['virtual_routes', 'dev eth0', false],
  ['virtual_routes', '198.51.100.0/33 dev eth0', false],
  ['virtual_routes', '198.51.100.0/24 dev eth0 from 2001:db8::/64', false],
  ['virtual_rules', 'from 192.0.2.51 table 100 preference 100', true],
  ['virtual_rules', 'to 198.51.100.0/24 lookup main priority 200', true],
  ['virtual_rules', 'from 192.0.2.51 table 100', false],
  ['virtual_rules', 'from 192.0.2.51 preference 100', false],
  ['virtual_rules', 'from all fwmark 0x10/0xff table 100 preference 100', true],
  ['virtual_rules', 'not from 192.0.2.0/24 table 100 preference 100', true],
  ['virtual_rules', 'from 192.0.2.51 goto 500 preference 100', true],
  ['virtual_rules', 'from 192.0.2.51 goto 50 preference 100', false],
  ['virtual_rules', 'from 192.0.2.51 blackhole preference 100', true],
  ['virtual_rules', 'from 192.0.2.51 type prohibit preference 100', true],
  ['virtual_rules', 'from 192.0.2.51 nop preference 100', true],
  ['virtual_rules', 'from 192.0.2.51 table 100 blackhole preference 100', false],
  ['virtual_rules', 'from 192.0.2.51 table 0 preference 100', false],
  ['virtual_rules', 'iif eth0 table 100 preference 100', true],
  ['virtual_rules', 'oif eth0 table 100 preference 100', true],
  ['virtual_rules', 'from 192.0.2.51 table 100 preference 100 uidrange 1000-2000', true],
  ['virtual_rules', 'from 192.0.2.51 table 100 preference 100 ipproto tcp dport 80-90', true],
  ['virtual_rules', 'from 192.0.2.51 table 100 preference 100 sport 80', false],
  ['virtual_rules', 'from 192.0.2.51 table 100 preference 100 suppress_prefixlength 0', true],
  ['virtual_rules', 'from 192.0.2.51 table 100 preference 100 protocol 4', false],
  ['virtual_rules', 'from 192.0.2.51 table 100 preference 100 protocol 4 no_track', true],
  ['virtual_rules', 'from 192.0.2.51 to 2001:db8::/64 table 100 preference 100', false],
  ['virtual_rules', 'from 2001:db8::51 table 100 preference 100', true],
  ['virtual_rules', 'from 192.0.2.51 table 100 preference 100 bogus', false],
  ['virtual_rules', 'from 192.0.2.51 unicast preference 100', false],
  ['static_routes', '203.0.113.0/24 via 192.0.2.1 dev eth0', true],
  ['static_routes', '203.0.113.0/24 via 192.0.2.1 dev eth0 track_group G1', true],
  ['static_routes', '203.0.113.0/24 via 192.0.2.1 dev eth0 track_group G2', false],
  ['static_routes', '203.0.113.0/24 via 192.0.2.1 no_track track_group G1', false],
  ['static_rules', 'from 203.0.113.0/24 table 100 preference 100', true],
  ['static_rules', 'from 203.0.113.0/24 table 100 preference 100 iif eth0 track_group G1', true],
  ['static_rules', 'from 203.0.113.0/24 table 100 preference 100 track_group G1', false],
  ['static_ipaddress', '203.0.113.7/24 dev eth0', true],
  ['static_ipaddress', '203.0.113.7/24', true],
  ['static_ipaddress', '203.0.113.7/24 dev eth1 track_group G1', true],
  ['static_ipaddress', '203.0.113.7/24 dev eth0 label eth0:st', true],
  ['static_ipaddress', '203.0.113.7/24 dev eth0 track_group G2', false],
  ['static_ipaddress', '2001:db8:7::7/64 dev eth0', true],
];

function file(place: Place, line: string): string {
  const statics = place.startsWith('static_') ? `${place} {\n${line}\n}\n` : '';
  const inInstance = place.startsWith('virtual_') ? `${place} {\n${line}\n}\n` : '';
  return [
    'global_defs {\nenable_script_security\nscript_user root\n}',
    'track_group G1 {\ngroup {\nVI_1\n}\n}',
    statics,
    `vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.51/24\n}\n${inInstance}}\n`,
  ].join('\n');
}

function run(command: string, args: readonly string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

function ours(path: string): { refused: boolean; diagnostics: readonly Diagnostic[] } {
  try {
    return { refused: false, diagnostics: loadConfig(path).diagnostics };
  } catch (error) {
    if (!(error instanceof ConfigLoadError)) throw error;
    return { refused: true, diagnostics: error.diagnostics };
  }
}

t.test('route and rule lines: keepalived -t and vrrpd -t give the same verdict', { skip: skip ?? false }, async (t) => {
  const namespace = new TestNamespace('rv');
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-routes-verdict-'));
  t.teardown(() => {
    namespace.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  namespace.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
  let index = 0;
  for (const [place, line, accepted] of CASES) {
    const path = join(dir, `case${index++}.conf`);
    writeFileSync(path, file(place, line));
    const keepalived = await run('ip', ['netns', 'exec', namespace.name, 'keepalived', '-t', '-l', '-D', '-f', path]);
    const verdict = ours(path);
    const errors = verdict.diagnostics.filter((d) => d.severity === 'error');
    const says = keepalived.output
      .split('\n')
      .filter((l) => /Line \d+/.test(l))
      .join(' | ');
    t.equal(
      keepalived.status === 0,
      accepted,
      `${place} "${line}": keepalived -t ${accepted ? 'accepts' : 'refuses'} it (${says})`,
    );
    t.equal(
      !verdict.refused,
      accepted,
      `${place} "${line}": vrrpd -t ${accepted ? 'accepts' : 'refuses'} it too${errors.map((d) => `\n  ${d.line}: ${d.message}`).join('')}`,
    );
    if (verdict.refused) {
      const lineNumber = file(place, line).split('\n').indexOf(line) + 1;
      t.ok(
        errors.some((d) => d.line === lineNumber),
        `${place} "${line}": an error at its line ${lineNumber}`,
      );
    }
  }
});
