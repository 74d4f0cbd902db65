// startHealth beside a real Engine on hand-driven ports, with real checks: TCP listeners that stop and
// start, scripts, files, processes; the router's priority and state follow.
import t from 'tap';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { masterDownIntervalMs } from '../../src/core/timers.js';
import { startHealth, type HealthPlan, type LinkSource } from '../../src/health/index.js';
import { engineWith, eventually, recordingLogger, scratchDir } from './helpers.js';

const plan = (partial: Partial<HealthPlan>): HealthPlan => ({
  checks: [],
  tracks: [],
  notify: [],
  syncGroups: [],
  ...partial,
});
const fast = { intervalMs: 50, timeoutMs: 200, rise: 2, fall: 2 };

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

t.test('tcp: a weight +20 check adds while the port answers; rise and fall count consecutive probes', async (t) => {
  const { engine } = engineWith([{ priority: 100 }]);
  let server = await listen();
  const port = (server.address() as { port: number }).port;
  const health = startHealth(
    plan({
      checks: [{ kind: 'tcp', name: 'web', host: '127.0.0.1', port, ...fast }],
      tracks: [{ router: 'VI_1', check: 'web', weight: 20 }],
    }),
    { engine, logger: recordingLogger() },
  );
  t.teardown(() => health.stop());
  engine.start();
  t.equal(engine.snapshot()[0]!.effectivePriority, 120, 'up from the start (no init_fail)');
  await close(server);
  await eventually(
    'priority falls when the port stops answering',
    () => engine.snapshot()[0]!.effectivePriority === 100,
  );
  t.match(health.status()[0], { name: 'web', kind: 'tcp', up: false, lastResult: /ECONNREFUSED/ });
  t.ok(health.status()[0]!.failures >= 2, 'fall 2: two failures in a row');
  server = await listen(port);
  t.teardown(() => close(server));
  await eventually('priority comes back with the port', () => engine.snapshot()[0]!.effectivePriority === 120);
  t.ok(health.status()[0]!.successes >= 2, 'rise 2');
});

t.test('script weight 0: failing puts the router in Fault; recovery is Backup with a full down timer', async (t) => {
  const dir = await scratchDir(t);
  const flag = join(dir, 'healthy');
  await writeFile(flag, '');
  const { engine, clock } = engineWith([{ priority: 100 }]);
  const health = startHealth(
    plan({
      checks: [
        {
          kind: 'script',
          name: 'chk',
          command: ['/usr/bin/test', '-e', flag],
          ...fast,
          rise: 1,
          fall: 1,
          initFail: false,
        },
      ],
      tracks: [{ router: 'VI_1', check: 'chk', weight: 0 }],
    }),
    { engine, logger: recordingLogger() },
  );
  t.teardown(() => health.stop());
  engine.start();
  t.equal(engine.snapshot()[0]!.state, 'Backup');
  await rm(flag);
  await eventually('Fault when the script fails', () => engine.snapshot()[0]!.state === 'Fault');
  t.match(engine.snapshot()[0]!.lastTransition, { reason: 'track-failed' });
  clock.advanceTo(10_000);
  await writeFile(flag, '');
  await eventually('Backup when it succeeds again', () => engine.snapshot()[0]!.state === 'Backup');
  const snapshot = engine.snapshot()[0]!;
  t.match(snapshot.lastTransition, { reason: 'track-recovered', atMs: 10_000 });
  t.equal(snapshot.nextDeadlineMs, 10_000 + masterDownIntervalMs(2, 100, 100), 'a full Master_Down_Interval');
});

t.test('init_fail: a router tracking a failing-at-start script starts in Fault', async (t) => {
  const { engine } = engineWith([{ priority: 100 }]);
  const health = startHealth(
    plan({
      checks: [{ kind: 'script', name: 'chk', command: ['/bin/true'], ...fast, rise: 3, initFail: true }],
      tracks: [{ router: 'VI_1', check: 'chk', weight: 0 }],
    }),
    {
      engine,
      logger: recordingLogger(),
    },
  );
  t.teardown(() => health.stop());
  engine.start();
  t.equal(engine.snapshot()[0]!.state, 'Fault');
  await eventually('Backup after 3 good runs', () => engine.snapshot()[0]!.state === 'Backup');
});

t.test('reverse and negative weights', async (t) => {
  const { engine } = engineWith([{ priority: 100 }]);
  const health = startHealth(
    plan({
      checks: [
        { kind: 'script', name: 'ok', command: ['/bin/true'], ...fast, rise: 1, fall: 1, initFail: false },
        { kind: 'script', name: 'bad', command: ['/bin/false'], ...fast, rise: 1, fall: 1, initFail: false },
      ],
      tracks: [
        { router: 'VI_1', check: 'ok', weight: 10, reverse: true }, // up: -10
        { router: 'VI_1', check: 'bad', weight: -30 }, // down: -30
      ],
    }),
    { engine, logger: recordingLogger() },
  );
  t.teardown(() => health.stop());
  engine.start();
  await eventually('100 - 10 - 30', () => engine.snapshot()[0]!.effectivePriority === 60);
  t.match(health.status(), [
    { name: 'ok', up: true },
    { name: 'bad', up: false },
  ]);
});

t.test('file: the number times the weight; weight 0 faults on non-zero; below -253 faults', async (t) => {
  const dir = await scratchDir(t);
  const file = join(dir, 'prio');
  await writeFile(file, '5\n');
  const { engine } = engineWith([
    { name: 'A', priority: 100 },
    { name: 'B', vrid: 52, priority: 100 },
  ]);
  const health = startHealth(
    plan({
      checks: [{ kind: 'file', name: 'f', path: file, intervalMs: 50 }],
      tracks: [
        { router: 'A', check: 'f', weight: 10 },
        { router: 'B', check: 'f', weight: 0 },
      ],
    }),
    { engine, logger: recordingLogger() },
  );
  t.teardown(() => health.stop());
  engine.start();
  const a = () => engine.snapshot().find((s) => s.name === 'A')!;
  const b = () => engine.snapshot().find((s) => s.name === 'B')!;
  t.equal(a().effectivePriority, 150, 'read at start: 100 + 5 * 10');
  t.equal(b().state, 'Fault', 'weight 0: non-zero is Fault');
  await writeFile(file, '-3\n');
  await eventually('100 - 30', () => a().effectivePriority === 70);
  await writeFile(file, '0');
  await eventually('B leaves Fault at 0', () => b().state === 'Backup' && a().effectivePriority === 100);
  await writeFile(file, '-26');
  await eventually('-260 is Fault', () => a().state === 'Fault');
  await rm(file);
  await eventually('a missing file reads 0', () => a().state === 'Backup' && a().effectivePriority === 100);
  t.match(health.status()[0], { kind: 'file', value: 0, lastResult: /ENOENT/ });
});

t.test('process: up while enough processes match; down when they end', async (t) => {
  const marker = `${process.pid}.${Date.now() % 100000}`;
  const sleeper = spawn('/bin/sleep', ['300', marker], { stdio: 'ignore' });
  t.teardown(() => sleeper.kill('SIGKILL'));
  const { engine } = engineWith([{ priority: 100 }]);
  const health = startHealth(
    plan({
      checks: [{ kind: 'process', name: 'p', process: '/bin/sleep', parameters: ['300', marker], intervalMs: 50 }],
      tracks: [{ router: 'VI_1', check: 'p', weight: -40 }],
    }),
    { engine, logger: recordingLogger() },
  );
  t.teardown(() => health.stop());
  engine.start();
  await eventually('scanned', () => health.status()[0]!.runs > 0);
  t.equal(engine.snapshot()[0]!.effectivePriority, 100);
  t.match(health.status()[0], { up: true, lastResult: '1 matching process' });
  sleeper.kill('SIGKILL');
  await eventually('priority falls when the process ends', () => engine.snapshot()[0]!.effectivePriority === 60);
});

t.test('interface: follows the link source; an unknown interface is down', async (t) => {
  class Links extends EventEmitter implements LinkSource {
    readonly up = new Map<string, boolean>([['eth1', true]]);
    isUp(name: string) {
      return this.up.get(name);
    }
    set(name: string, up: boolean) {
      this.up.set(name, up);
      this.emit('link', { interface: name, up });
    }
  }
  const links = new Links();
  const { engine } = engineWith([{ name: 'A' }, { name: 'B', vrid: 52 }]);
  const health = startHealth(
    plan({
      checks: [
        { kind: 'interface', name: 'if:eth1', interface: 'eth1' },
        { kind: 'interface', name: 'if:eth9', interface: 'eth9' },
      ],
      tracks: [
        { router: 'A', check: 'if:eth1', weight: 0 },
        { router: 'B', check: 'if:eth9', weight: -50 },
      ],
    }),
    { engine, links, logger: recordingLogger() },
  );
  t.teardown(() => health.stop());
  engine.start();
  const state = (name: string) => engine.snapshot().find((s) => s.name === name)!;
  t.equal(state('A').state, 'Backup');
  t.equal(state('B').effectivePriority, 50, 'eth9 does not exist: down');
  links.set('eth1', false);
  t.equal(state('A').state, 'Fault');
  links.set('eth1', true);
  t.equal(state('A').state, 'Backup');
  t.throws(
    () =>
      startHealth(plan({ checks: [{ kind: 'interface', name: 'x', interface: 'eth1' }] }), {
        engine,
        logger: recordingLogger(),
      }),
    /link watcher/,
  );
});

t.test('a plan naming an unknown router or check is refused before anything runs', async (t) => {
  const { engine } = engineWith([{}]);
  t.throws(
    () =>
      startHealth(plan({ tracks: [{ router: 'VI_1', check: 'nope', weight: 1 }] }), {
        engine,
        logger: recordingLogger(),
      }),
    /no check named "nope"/,
  );
  t.throws(
    () =>
      startHealth(
        plan({
          checks: [{ kind: 'file', name: 'f', path: '/x' }],
          tracks: [{ router: 'VI_9', check: 'f', weight: 1 }],
        }),
        { engine, logger: recordingLogger() },
      ),
    /no router named "VI_9"/,
  );
});

const notRoot = process.getuid?.() !== 0 ? 'needs root to run scripts as another user' : false;

t.test(
  'user / group and script_user: scripts run as the user named; enable_script_security refuses an unsafe one',
  { skip: notRoot },
  async (t) => {
    const dir = await scratchDir(t);
    const { chmod } = await import('node:fs/promises');
    const unsafe = join(dir, 'check.sh');
    await writeFile(unsafe, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    await chmod(dir, 0o777); // anyone could replace the script
    const { engine } = engineWith([{ name: 'A' }, { name: 'B', vrid: 52 }, { name: 'C', vrid: 53 }]);
    const isNobody = ['/bin/sh', '-c', 'test "$(id -u)" = 65534'];
    const logger = recordingLogger();
    const health = startHealth(
      plan({
        scriptSecurity: { enabled: true, defaultUser: 'nobody' },
        checks: [
          { kind: 'script', name: 'default-user', command: isNobody, ...fast, rise: 1, fall: 1, initFail: true },
          {
            kind: 'script',
            name: 'as-root',
            command: isNobody,
            user: 'root',
            ...fast,
            rise: 1,
            fall: 1,
            initFail: false,
          },
          {
            kind: 'script',
            name: 'unsafe',
            command: [unsafe],
            user: 'root',
            ...fast,
            rise: 1,
            fall: 1,
            initFail: false,
          },
        ],
        tracks: [
          { router: 'A', check: 'default-user', weight: 0 },
          { router: 'B', check: 'as-root', weight: 0 },
          { router: 'C', check: 'unsafe', weight: 0 },
        ],
      }),
      { engine, logger },
    );
    t.teardown(() => health.stop());
    engine.start();
    const state = (name: string) => engine.snapshot().find((s) => s.name === name)!.state;
    await eventually('every check ran', () => health.status().every((s) => s.runs > 0));
    await eventually('verdicts in', () => state('A') === 'Backup' && state('B') === 'Fault' && state('C') === 'Fault');
    t.match(health.status(), [
      { name: 'default-user', up: true },
      { name: 'as-root', up: false, lastResult: 'exit 1' },
      { name: 'unsafe', up: false, lastResult: /not run: enable_script_security: .* writable by everyone/ },
    ]);
    t.match(
      logger.records.filter((r) => r.level === 'error'),
      [{ object: { event: 'healthCheck', check: 'unsafe' } }],
      'the refusal is logged once',
    );
  },
);
