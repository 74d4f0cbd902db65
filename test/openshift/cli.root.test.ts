// bin/ipfailover as a process: --dry-run prints the effective configuration and exits 0; a bad variable
// is one line on stderr naming it, exit 2, and nothing on the host changed. Runs in a namespace of its
// own so "nothing changed" can be read from the kernel.

import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { forgetNamespace, rememberNamespace } from '../netns/cleanup.js';
import { IPFAILOVER } from './pods.js';

const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' }).status === 0;

function skip(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  return undefined;
}

t.test('bin/ipfailover --dry-run and bad variables', { skip: skip() ?? false }, async (t) => {
  const ns = `vnipfcli${process.pid}`;
  rememberNamespace(ns);
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => {
    execFileSync('ip', ['netns', 'del', ns]);
    forgetNamespace(ns);
  });
  const ip = (...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
  ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth9');
  ip('addr', 'add', '192.0.2.12/24', 'dev', 'eth0');
  ip('link', 'set', 'eth0', 'up');
  ip('link', 'set', 'eth9', 'up');
  const runAs = (prefix: readonly string[], env: Record<string, string>, ...args: string[]) =>
    spawnSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        ...prefix,
        'env',
        '-u',
        'NODE_OPTIONS',
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        process.execPath,
        IPFAILOVER,
        ...args,
      ],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
  const run = (env: Record<string, string>, ...args: string[]) => runAs([], env, ...args);
  const addresses = () => ip('-br', 'addr', 'show', 'eth0');
  const before = addresses();

  await t.test('--dry-run: every instance with router id, VIPs, priority, preemption, peers, checks', async (t) => {
    const result = run(
      {
        OPENSHIFT_HA_CONFIG_NAME: 'ipf-ha-router',
        OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-102',
        OPENSHIFT_HA_VRRP_ID_OFFSET: '10',
        OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.12,192.0.2.13',
        OPENSHIFT_HA_MONITOR_PORT: '30060',
        OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
        OPENSHIFT_HA_RT_PRIORITY: '20',
        OPENSHIFT_HA_PREEMPTON: 'nopreempt',
      },
      '--dry-run',
    );
    t.equal(result.status, 0, result.stderr);
    t.match(result.stdout, /ipf_ha_router_VIP_1: router id 11, VRRPv2 PASS "ipf-ha-r", advert 1 s/);
    t.match(result.stdout, /ipf_ha_router_VIP_2: router id 12/);
    t.match(result.stdout, /VIPs: +192\.0\.2\.102/);
    // .12: ipslot 12, idx 1: both are candidates, the second a flip-flop.
    t.match(result.stdout, /priority: +243 \(master, starts as master candidate\)/);
    t.match(result.stdout, /priority: +13 \(flip-flop/);
    t.match(result.stdout, /peers: +unicast to 192\.0\.2\.13\n/);
    t.match(result.stdout, /preempt_delay 300/);
    t.match(result.stdout, /TCP connect to 192\.0\.2\.12:30060 every 2 s/);
    t.match(result.stdout, /accept 224\.0\.0\.18 .* in INPUT/);
    t.match(result.stdout, /scheduling: +SCHED_RR priority 20 .*OPENSHIFT_HA_RT_PRIORITY/);
    t.match(
      result.stdout,
      /warning: OPENSHIFT_HA_PREEMPTON is not a variable ipfailover reads: ignored \(did you mean OPENSHIFT_HA_PREEMPTION\?\)/,
    );
    t.equal(addresses(), before, 'nothing added');
    t.notMatch(
      execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-S', 'INPUT'], { encoding: 'utf8' }),
      /224\.0\.0\.18/,
      'no firewall rule',
    );
  });

  await t.test('a bad variable: one line naming it, exit 2, nothing touched', async (t) => {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /^ipfailover: OPENSHIFT_HA_VIRTUAL_IPS: not set: required/],
      [
        { OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.50,10.0.0.1/8' },
        /^ipfailover: OPENSHIFT_HA_VIRTUAL_IPS: "10\.0\.0\.1\/8" is not valid: a VIP takes no prefix length/,
      ],
      [
        { OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.50', OPENSHIFT_HA_PREEMPTION: 'preempt_delay 30\n}' },
        /^ipfailover: OPENSHIFT_HA_PREEMPTION: .*expected "nopreempt" or "preempt_delay N"/,
      ],
      [
        { OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.50', OPENSHIFT_HA_VRRP_ID_OFFSET: '255' },
        /^ipfailover: OPENSHIFT_HA_VRRP_ID_OFFSET: .*above 255/,
      ],
      [
        { OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.50', OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/missing.sh' },
        /^ipfailover: OPENSHIFT_HA_CHECK_SCRIPT: .*does not exist/,
      ],
      [
        {
          OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.50',
          OPENSHIFT_HA_CONFIG_NAME: 'x"; add table inet evil; #',
          OPENSHIFT_HA_FIREWALL: 'nftables',
        },
        /^ipfailover: OPENSHIFT_HA_CONFIG_NAME: /,
      ],
      // Named on purpose, so no fallback to another interface (the fallback list is for the default eth0).
      [
        { OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.50', OPENSHIFT_HA_NETWORK_INTERFACE: 'eth7' },
        /^ipfailover: OPENSHIFT_HA_NETWORK_INTERFACE: "eth7" is not valid: no such interface on this node; it has: .*eth0/,
      ],
    ];
    for (const [env, message] of cases) {
      const result = run({ OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT', ...env });
      t.equal(result.status, 2, JSON.stringify(env));
      t.match(result.stderr, message);
      t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
      t.equal(result.stdout, '', 'nothing logged: it stopped before starting');
    }
    t.equal(addresses(), before);
    t.notMatch(
      execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-S', 'INPUT'], { encoding: 'utf8' }),
      /224\.0\.0\.18/,
    );
  });

  await t.test(
    'without CAP_NET_RAW: exit 1 naming it before anything changes',
    { skip: hasSetpriv ? false : 'setpriv is not installed' },
    async (t) => {
      const env = {
        OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.50',
        OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
        OPENSHIFT_HA_MONITOR_PORT: '0',
      };
      const result = runAs(['setpriv', '--inh-caps=-net_raw', '--bounding-set=-net_raw', '--'], env);
      t.equal(result.status, 1, result.stderr);
      t.match(result.stderr, /^ipfailover: cannot start: missing CAP_NET_RAW \(the raw VRRP sockets/);
      t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
      t.equal(result.stdout, '', 'no log line: no firewall clean-up, no socket, no VIP step ran');
      t.equal(addresses(), before);
      t.notMatch(
        execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-S', 'INPUT'], { encoding: 'utf8' }),
        /224\.0\.0\.18/,
      );
    },
  );

  await t.test('--help, --version and a bad flag', async (t) => {
    t.match(run({}, '--help').stdout, /--dry-run/);
    t.match(run({}, '--version').stdout, /^ipfailover \(vrrp-engine\) \d+\.\d+\.\d+/);
    const bad = run({}, '--frobnicate');
    t.equal(bad.status, 2);
    t.match(bad.stderr, /^ipfailover: .*--frobnicate.*\n\(ipfailover --help for usage\)\n$/);
  });
});
