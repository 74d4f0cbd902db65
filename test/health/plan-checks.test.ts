// The plan's JSON reader (bin/vrrp-engine's "health"), and keepalived's weight arithmetic (tracks.ts).
import t from 'tap';
import { readHealthPlan } from '../../src/health/validate.js';
import { trackInput } from '../../src/health/tracks.js';

const routers = ['VI_1', 'VI_2'];
const tcp = { kind: 'tcp', name: 'web', host: '127.0.0.1', port: 80, intervalMs: 1000 };

t.test('defaults: timeout = interval, rise = fall = 1, lists may be left out', async (t) => {
  t.strictSame(readHealthPlan({ checks: [tcp] }, routers), {
    checks: [
      { kind: 'tcp', name: 'web', host: '127.0.0.1', port: 80, intervalMs: 1000, timeoutMs: 1000, rise: 1, fall: 1 },
    ],
    tracks: [],
    notify: [],
    syncGroups: [],
  });
  t.match(
    readHealthPlan({ checks: [{ kind: 'script', name: 's', command: ['/bin/true'], intervalMs: 500 }] }, routers)
      .checks[0],
    { initFail: false, timeoutMs: 500 },
  );
});

t.test('every mistake names its field', async (t) => {
  const cases: [unknown, RegExp][] = [
    [[], /^health: must be an object/],
    [
      { checks: [{ ...tcp, kind: 'http' }] },
      /health.checks\[0\].kind: must be one of script, tcp, icmp, file, process, interface/,
    ],
    [{ checks: [{ ...tcp, port: 70000 }] }, /health.checks\[0\].port: must be a whole number from 1 to 65535/],
    [{ checks: [{ ...tcp, intervalMs: 0 }] }, /health.checks\[0\].intervalMs/],
    [{ checks: [{ ...tcp, extra: 1 }] }, /health.checks\[0\].extra: unknown field/],
    [
      { checks: [{ kind: 'script', name: 's', command: [], intervalMs: 500 }] },
      /health.checks\[0\].command: must hold the program/,
    ],
    [
      { checks: [{ kind: 'script', name: 's', command: ['/bin/x', 3], intervalMs: 500 }] },
      /health.checks\[0\].command\[1\]/,
    ],
    [{ checks: [tcp, tcp] }, /health.checks\[1\].name: a second check named "web"/],
    [
      { checks: [tcp], tracks: [{ router: 'VI_1', check: 'web', weight: 254 }] },
      /health.tracks\[0\].weight: must be a whole number from -253 to 253/,
    ],
    [
      { checks: [tcp], tracks: [{ router: 'VI_9', check: 'web', weight: 1 }] },
      /health.tracks\[0\].router: no router named "VI_9"/,
    ],
    [{ notify: [{ router: 'VI_1', master: '/bin/x' }] }, /health.notify\[0\].master: must be a list/],
    [
      {
        syncGroups: [
          { name: 'G', routers: ['VI_1'] },
          { name: 'H', routers: ['VI_1'] },
        ],
      },
      /health.syncGroups\[1\].routers\[0\]: VI_1 is already in sync group G/,
    ],
    [
      { checks: [{ kind: 'process', name: 'p', process: 'x', paramMatch: 'fuzzy' }] },
      /paramMatch: must be exact, partial or initial/,
    ],
    [{ scriptSecurity: { enabled: 'yes' } }, /health.scriptSecurity.enabled: must be true or false/],
  ];
  for (const [input, message] of cases)
    t.throws(() => readHealthPlan(input, routers), { name: 'ConfigError', message }, String(message));
});

t.test('weights as keepalived applies them', async (t) => {
  const track = (weight: number, reverse = false) => ({ router: 'VI_1', check: 'c', weight, reverse });
  t.strictSame(trackInput(track(10), { up: true }), { kind: 'track', name: 'c', up: true, weight: 10 });
  t.strictSame(
    trackInput(track(10, true), { up: true }),
    { kind: 'track', name: 'c', up: false, weight: -10 },
    'reverse +10: -10 while up',
  );
  t.strictSame(
    trackInput(track(-10, true), { up: false }),
    { kind: 'track', name: 'c', up: true, weight: 10 },
    'reverse -10: +10 while down',
  );
  t.strictSame(
    trackInput(track(0, true), { up: true }),
    { kind: 'track', name: 'c', up: false, weight: 0 },
    'reverse 0: Fault while up',
  );
  // Files: the number times the weight.
  t.strictSame(trackInput(track(10), { up: true, value: 5 }), { kind: 'track', name: 'c', up: true, weight: 50 });
  t.strictSame(trackInput(track(10), { up: true, value: -5 }), { kind: 'track', name: 'c', up: false, weight: -50 });
  t.strictSame(trackInput(track(10, true), { up: true, value: 5 }), {
    kind: 'track',
    name: 'c',
    up: false,
    weight: -50,
  });
  t.strictSame(
    trackInput(track(254), { up: true, value: -1 }),
    { kind: 'track', name: 'c', up: false, weight: 0 },
    '-254 is below -253: Fault',
  );
  t.strictSame(
    trackInput(track(0), { up: true, value: 3 }),
    { kind: 'track', name: 'c', up: false, weight: 0 },
    'weight 0: non-zero is Fault',
  );
  t.strictSame(trackInput(track(0), { up: true, value: 0 }), { kind: 'track', name: 'c', up: true, weight: 0 });
});

t.test("process matching as keepalived's manual says", async (t) => {
  const { processMatches } = await import('../../src/health/checks/process.js');
  const entry = { pid: 1, ppid: 0, comm: 'haproxy', argv: ['/usr/sbin/haproxy', '-f', '/etc/haproxy.cfg', '-D'] };
  const spec = (extra: object) => ({ kind: 'process' as const, name: 'p', process: '/usr/sbin/haproxy', ...extra });
  t.ok(processMatches({ kind: 'process', name: 'p', process: 'haproxy' }, entry), 'by name (comm) when no parameters');
  t.notOk(processMatches({ kind: 'process', name: 'p', process: 'haprox' }, entry), 'exact, not a regular expression');
  t.ok(
    processMatches(
      { kind: 'process', name: 'p', process: 'haproxy-long-name-x' },
      { ...entry, comm: 'haproxy-long-na' },
    ),
    'comm holds 15 characters',
  );
  t.ok(processMatches(spec({ parameters: ['-f', '/etc/haproxy.cfg', '-D'] }), entry), 'exact parameters');
  t.notOk(processMatches(spec({ parameters: ['-f', '/etc/haproxy.cfg'] }), entry), 'exact: no more arguments');
  t.ok(
    processMatches(spec({ parameters: ['-f', '/etc/haproxy.cfg'], paramMatch: 'partial' }), entry),
    'partial: the first ones',
  );
  t.notOk(processMatches(spec({ parameters: ['-f', '/etc/hap'], paramMatch: 'partial' }), entry));
  t.ok(
    processMatches(spec({ parameters: ['-f', '/etc/hap'], paramMatch: 'initial' }), entry),
    'initial: the last one a prefix',
  );
  t.notOk(processMatches(spec({ parameters: [] }), entry), 'no parameters at all');
  t.ok(processMatches(spec({ fullCommand: true }), entry), 'full_command: argv[0]');
});
