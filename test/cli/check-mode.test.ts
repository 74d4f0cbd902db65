// One check for vrrp-engine's JSON, run by every program that reads it: `vrrpd -t` on a .json file,
// `vrrp-engine --check` and the runner itself at start say the same thing about the same file, and an
// unknown key names its path and the nearest known key. Plus the helpers behind them: the nearest-key
// reader and the capability mask. Runs as any user (no network: the files name no interface of the host).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import t from 'tap';
import { ConfigError } from '../../src/model/config-error.js';
import { editDistance, nearestKey, unknownKeyMessage } from '../../src/model/known-keys.js';
import { effectiveCapabilities, missingCapabilities } from '../../src/cli/capabilities.js';
import { checkJsonConfig } from '../../src/cli/json-config.js';

const VRRPD = fileURLToPath(new URL('../../src/cli/vrrpd.js', import.meta.url));
const VRRP_ENGINE = fileURLToPath(new URL('../../src/cli/vrrp-engine.js', import.meta.url));

/** An interface no host has, so that even a check that wrongly passed could not start anything. */
const router = { name: 'VI_1', interface: 'vrrpchk0', vrid: 51, priority: 150, virtualAddresses: ['192.0.2.100'] };

const MISTAKES: [string, Record<string, unknown>, string][] = [
  [
    'a misspelt router field',
    { routers: [{ ...router, priorty: 200 }] },
    'routers[0].priorty: unknown field (did you mean "priority"?)',
  ],
  ['a misspelt top-level section', { routers: [router], helth: {} }, 'helth: unknown field (did you mean "health"?)'],
  [
    'a misspelt scheduling setting',
    { routers: [router], scheduling: { realtimePriorty: 5 } },
    'scheduling.realtimePriorty: unknown field (did you mean "realtimePriority"?)',
  ],
  [
    'a misspelt check field',
    {
      routers: [router],
      health: { checks: [{ kind: 'tcp', name: 'web', host: '127.0.0.1', port: 80, intervalMs: 1000, timout: 5 }] },
    },
    'health.checks[0].timout: unknown field (did you mean "timeoutMs"?)',
  ],
  [
    'a misspelt VIP field',
    { routers: [router], vips: [{ interface: 'vrrpchk0', address: '192.0.2.100', prefixlen: 24 }] },
    'vips[0].prefixlen: unknown field (did you mean "prefixLength"?)',
  ],
  [
    'a logger in the file',
    { routers: [router], logger: {} },
    'logger: unknown field (expected routers, vips, scheduling, splitBrain, receiveBuffers, netlinkBuffers, nftables, announceSpacing, linkDelays, polledLinks, routes, rules, staticAddresses, disableLocalIgmp, health)',
  ],
  [
    'a split-brain probe interval too short',
    { routers: [router], splitBrain: { probeIntervalMs: 5 } },
    'splitBrain.probeIntervalMs: must be an integer number of ms from 100 to 86400000 (or 0: off), got 5',
  ],
  [
    'a scheduling value out of range',
    { routers: [router], scheduling: { realtimePriority: 100 } },
    'scheduling.realtimePriority: must be an integer from 1 to 99, got 100',
  ],
  [
    'a health track naming no router',
    {
      routers: [router],
      health: {
        checks: [{ kind: 'interface', name: 'up', interface: 'vrrpchk0' }],
        tracks: [{ router: 'VI_2', check: 'up' }],
      },
    },
    'health.tracks[0].router',
  ],
];

t.test('vrrpd -t, vrrp-engine --check and the runner refuse the same files with the same words', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-check-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const node = (args: readonly string[]) =>
    spawnSync(process.execPath, args, {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
  for (const [title, config, message] of MISTAKES) {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    t.throws(() => checkJsonConfig(config), ConfigError, title);
    const test = node([VRRPD, '-t', '-f', file]);
    t.equal(test.status, 5, `vrrpd -t: ${title}`);
    t.ok(test.stderr.includes(`${file}: error: ${message}`), `vrrpd -t names it: ${test.stderr}`);
    t.match(test.stderr, `${file}: configuration has errors`);
    const check = node([VRRP_ENGINE, '--config', file, '--check']);
    t.equal(check.status, 2, `vrrp-engine --check: ${title}`);
    t.ok(check.stderr.startsWith(`vrrp-engine: configuration error: ${message}`), check.stderr);
    // The runner itself, which the check must not be kinder than: refused before it touches anything.
    const runner = node([VRRP_ENGINE, '--config', file]);
    t.equal(runner.status, 2, `the runner: ${title}`);
    t.equal(runner.stderr, check.stderr, 'the runner says what the check said');
    t.equal(runner.stdout, '', 'nothing logged: it never started');
  }
  const good = join(dir, 'good.json');
  writeFileSync(
    good,
    JSON.stringify({
      routers: [router],
      scheduling: { nice: 0 },
      health: {
        checks: [{ kind: 'interface', name: 'up', interface: 'vrrpchk0' }],
        tracks: [{ router: 'VI_1', check: 'up', weight: -10 }],
      },
    }),
  );
  const test = node([VRRPD, '-t', '-f', good]);
  t.equal(test.status, 0, test.stderr);
  t.match(test.stderr, `${good}: configuration is usable`);
  const check = node([VRRP_ENGINE, '--config', good, '--check']);
  t.equal(check.status, 0, check.stderr);
  t.equal(check.stdout, `${good}: configuration is usable\n`);
});

t.test('the four programs: --version and usage errors in one style', async (t) => {
  const node = (args: readonly string[]) =>
    spawnSync(process.execPath, args, {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
  const IPFAILOVER = fileURLToPath(new URL('../../src/cli/ipfailover.js', import.meta.url));
  const SIM = fileURLToPath(new URL('../../src/cli/vrrp-sim.js', import.meta.url));
  const programs: [string, string, number][] = [
    ['vrrpd', VRRPD, 1], // keepalived's status for bad usage
    ['vrrp-engine', VRRP_ENGINE, 2],
    ['ipfailover', IPFAILOVER, 2],
    ['vrrp-sim', SIM, 2],
  ];
  for (const [name, path, usage] of programs) {
    const version = node([path, '--version']);
    t.equal(version.status, 0, `${name} --version`);
    t.match(version.stdout, new RegExp(`^${name} \\(vrrp-engine\\) \\d+\\.\\d+\\.\\d+\\n$`));
    const help = node([path, '--help']);
    t.equal(help.status, 0);
    t.match(help.stdout, /--version/, `${name} --help lists --version`);
    t.match(help.stdout, /^exit status: /m, `${name} --help gives the exit statuses`);
    const bad = node([path, '--frobnicate']);
    t.equal(bad.status, usage, `${name}: bad usage`);
    t.match(bad.stderr, new RegExp(`^${name}: .*--frobnicate.*\\n\\(${name} --help for usage\\)\\n$`));
  }
  t.notMatch(
    node([VRRPD, '--help']).stdout,
    /ignored[^\n]*-i\b/,
    'vrrpd --help does not call -i ignored: it is honoured',
  );
});

t.test('keys nested in a router (auth, announce) are checked as well', async (t) => {
  const nested: [Record<string, unknown>, string][] = [
    [
      { ...router, version: 2, auth: { type: 'pass', password: 'x', pasword: 'y' } },
      'routers[0].auth.pasword: unknown field (did you mean "password"?)',
    ],
    [{ ...router, auth: { type: 'none', password: 'x' } }, 'routers[0].auth.password: unknown field (expected type)'],
    [{ ...router, announce: { repeats: 3 } }, 'routers[0].announce.repeats: unknown field (did you mean "repeat"?)'],
  ];
  for (const [bad, message] of nested)
    t.throws(() => checkJsonConfig({ routers: [bad] }), { name: 'ConfigError', message }, message);
  t.doesNotThrow(() =>
    checkJsonConfig({
      routers: [{ ...router, version: 2, auth: { type: 'pass', password: 'x' }, announce: { repeat: 3 } }],
    }),
  );
});

t.test('any value in any place: a ConfigError naming it, never another exception', async (t) => {
  // Found so: "excludedAddresses": {} was a TypeError from the runtime's check (an internal error).
  t.throws(() => checkJsonConfig({ routers: [{ ...router, excludedAddresses: {} }] }), {
    name: 'ConfigError',
    message: /^routers\[0\]\.excludedAddresses: must be a list/,
  });
  // And so (seed 551381347): an object whose toString is no function made a template literal throw.
  for (const key of ['family', 'version', 'preemptDelayMode', 'initialState']) {
    t.throws(() => checkJsonConfig({ routers: [{ ...router, [key]: { toString: false } }] }), {
      name: 'ConfigError',
      message: new RegExp(`^routers\\[0\\]\\.${key}: `),
    });
  }
  const keys = [
    'name',
    'interface',
    'vrid',
    'priority',
    'virtualAddresses',
    'excludedAddresses',
    'auth',
    'announce',
    'unicastPeers',
    'version',
    'family',
    'useVmac',
    'primaryAddress',
    'advertIntervalCs',
    'preempt',
  ];
  fc.assert(
    fc.property(fc.constantFrom(...keys), fc.anything(), (key, value) => {
      const inputs = [
        { routers: [{ ...router, [key]: value }] },
        { routers: [router], vips: value },
        { routers: [router], health: value },
        { routers: [router], scheduling: value },
        { routers: value },
        value,
      ];
      for (const input of inputs) {
        try {
          checkJsonConfig(input);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
        }
      }
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 draws, each a result or a ConfigError');
});

t.test('nearestKey: a likely typo, or nothing', async (t) => {
  t.equal(editDistance('priorty', 'priority'), 1);
  t.equal(editDistance('evnets', 'events'), 1, 'a swap of two letters is one edit');
  t.equal(nearestKey('evnets', ['name', 'events', 'nodes']), 'events');
  t.equal(nearestKey('Priority', ['priority']), 'priority', 'case does not count');
  t.equal(nearestKey('colour', ['routers', 'vips']), undefined, 'nothing close: no guess');
  t.equal(unknownKeyMessage('colour', ['routers', 'vips']), 'unknown field (expected routers, vips)');
});

t.test('capabilities: the CapEff mask of /proc/PID/status', async (t) => {
  const status = (mask: string) =>
    `Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t${mask}\nCapBnd:\t000001ffffffffff\n`;
  t.equal(effectiveCapabilities(status('000001ffffffffff')), 0x1ffffffffffn);
  t.equal(effectiveCapabilities('Name: x\n'), undefined);
  t.same(missingCapabilities(effectiveCapabilities(status('000001ffffffffff'))!), [], 'root: none missing');
  t.same(
    missingCapabilities(effectiveCapabilities(status('0000000000001000'))!).map((c) => c.name),
    ['CAP_NET_RAW'],
    'CAP_NET_ADMIN (bit 12) only',
  );
  t.same(
    missingCapabilities(0n).map((c) => c.name),
    ['CAP_NET_RAW', 'CAP_NET_ADMIN'],
  );
});
