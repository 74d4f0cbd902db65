// A flight recording replays to the engine's own transitions: a real Engine on hand-driven ports goes
// through election, a higher-priority Master, its departure, a link loss, a tracked check and a
// reconfiguration; its recording, through JSON, is replayed through the core and must give the same
// state changes, in the same order, with the same causes, times and priorities.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildRouterConfig, type RouterConfigInput } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import type { StateChangeEvent } from '../../src/engine/events.js';
import { parseRecording, replayRecording, replayReport } from '../../src/sim/replay.js';
import { encodeAdvert } from '../../src/wire/codec.js';
import { fakePorts } from '../engine/fake-ports.js';
import { repoRoot } from './load.js';

function router(overrides: Partial<RouterConfigInput> = {}) {
  return buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    priority: 100,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
    ...overrides,
  });
}

function peerAdvert(priority: number, receivedAtMs?: number) {
  const meta = { family: 4, sourceAddress: '192.0.2.9', destinationAddress: '224.0.0.18', ttl: 255 } as const;
  const payload = encodeAdvert(
    { version: 2, vrid: 51, priority, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    meta,
  );
  return { interface: 'eth0', payload, meta, ...(receivedAtMs === undefined ? {} : { receivedAtMs }) };
}

/** A Backup hears a Master, loses it, takes over, meets a higher priority, loses its link, a check fails. */
function liveRun(bounds?: { entries: number; packetBytes: number }) {
  const { ports, clock, packets } = fakePorts();
  const engine = new Engine([router()], ports, bounds === undefined ? {} : { recorder: bounds });
  const seen: StateChangeEvent[] = [];
  engine.on('stateChange', (event) => seen.push(event));
  engine.start();
  for (let ms = 500; ms <= 3500; ms += 1000) {
    clock.advanceTo(ms);
    packets.onPacket!(peerAdvert(200, ms - 0.25));
  }
  clock.advanceTo(8000); // the Master fell silent: down timer
  clock.advanceTo(9000);
  packets.onPacket!(peerAdvert(250)); // a higher priority preempts us
  clock.advanceTo(9500);
  packets.onPacket!(peerAdvert(0)); // and leaves: Skew_Time
  clock.advanceTo(11000);
  engine.linkChange('eth0', false);
  clock.advanceTo(12000);
  engine.linkChange('eth0', true);
  engine.input('VI_1', { kind: 'track', name: 'chk', up: false, weight: 0 });
  clock.advanceTo(13000);
  engine.input('VI_1', { kind: 'track', name: 'chk', up: true, weight: 0 });
  void engine.reconfigureRouter('VI_1', router({ priority: 120 }));
  clock.advanceTo(20000);
  return { engine, seen };
}

const asRecorded = (e: StateChangeEvent) => ({
  atMs: e.atMs,
  router: e.router,
  from: e.from,
  to: e.to,
  reason: e.reason,
  priority: e.priority,
});

t.test('a recording replays to the same transitions, same order, same causes', async (t) => {
  const { engine, seen } = liveRun();
  const recording = parseRecording(JSON.stringify(engine.recorder.recording()));
  t.equal(recording.complete, true);
  const reasons = seen.map((e) => e.reason);
  t.ok(reasons.includes('master-down-timer') && reasons.includes('higher-priority-advert'), reasons.join(', '));
  t.ok(
    seen.some((e) => e.to === 'Fault'),
    'the run went through Fault',
  );
  t.same(recording.transitions, seen.map(asRecorded), "the recorder's list is the engine's stateChange events");
  const replayed = replayRecording(recording);
  t.same(replayed.skipped, []);
  t.same(replayed.transitions, recording.transitions, 'the replay gives the same transitions');
  const report = replayReport(recording);
  t.equal(report.matches, true);
  t.match(report.text, /same as the \d+ recorded transitions/);
});

t.test('a replay that differs is reported as different', async (t) => {
  const { engine } = liveRun();
  const recording = engine.recorder.recording();
  const tampered = { ...recording, inputs: recording.inputs.filter((entry) => entry.kind !== 'packet') };
  const report = replayReport(tampered);
  t.equal(report.matches, false);
  t.match(report.text, /DIFFERENT from the recorded transitions/);
});

t.test('a wrapped ring says so, and replay starts from the pinned configuration', async (t) => {
  const { engine } = liveRun({ entries: 6, packetBytes: 64 });
  const recording = engine.recorder.recording();
  t.equal(recording.complete, false);
  t.ok(recording.evicted > 0);
  t.equal(recording.inputs.length, 6);
  t.same(
    recording.routers.map((c) => c.name),
    ['VI_1'],
  );
  t.match(replayReport(recording).text, /the ring wrapped \(\d+ older inputs dropped\)/);
});

t.test('what is not a recording is refused with a reason', async (t) => {
  t.throws(() => parseRecording('{'), /not JSON/);
  t.throws(() => parseRecording('{"format":"x"}'), /"format" is not/);
  t.throws(() => parseRecording('{"format":"vrrp-engine flight recording","version":9}'), /version 9/);
  t.throws(
    () => parseRecording('{"format":"vrrp-engine flight recording","version":1,"routers":{}}'),
    /must be arrays/,
  );
});

t.test('vrrp-sim --replay FILE: the report, exit 0 same, 1 different, 2 unreadable', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'vrrp-replay-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const cli = join(repoRoot, 'dist/src/cli/vrrp-sim.js');
  const replay = (file: string) => spawnSync(process.execPath, [cli, '--replay', file], { encoding: 'utf8' });
  const recording = liveRun().engine.recorder.recording();
  const same = join(work, 'same.json');
  writeFileSync(same, JSON.stringify(recording));
  const ok = replay(same);
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /VI_1: Backup -> Master \(master-down-timer, priority 100\)/);
  t.match(ok.stdout, /same as the 9 recorded transitions/);
  const different = join(work, 'different.json');
  writeFileSync(different, JSON.stringify({ ...recording, transitions: recording.transitions.slice(1) }));
  t.equal(replay(different).status, 1);
  const garbage = join(work, 'garbage.json');
  writeFileSync(garbage, '[]');
  const bad = replay(garbage);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /not a flight recording/);
});

t.test('routers added and removed while running, and a refused reconfiguration, replay the same', async (t) => {
  const { ports, clock } = fakePorts();
  const engine = new Engine([router(), router({ name: 'VI_2', vrid: 52 })], ports);
  engine.start();
  clock.advanceTo(5000);
  await engine.removeRouter('VI_2', { release: true });
  engine.addRouter(router({ name: 'VI_3', vrid: 53, priority: 255 }));
  t.throws(() => engine.reconfigureRouter('VI_1', router({ vrid: 54 })), 'another VRID is another router');
  clock.advanceTo(9000);
  const recording = parseRecording(JSON.stringify(engine.recorder.recording()));
  t.notOk(
    recording.inputs.some((entry) => entry.kind === 'reconfigure'),
    'the refused reconfiguration is not recorded',
  );
  t.same(
    recording.inputs.filter((entry) => entry.kind === 'add' || entry.kind === 'remove').map((entry) => entry.kind),
    ['add', 'add', 'remove', 'add'],
  );
  const replayed = replayRecording(recording);
  t.same(replayed.skipped, []);
  t.ok(
    recording.transitions.some((x) => x.router === 'VI_3' && x.to === 'Master'),
    'VI_3, the owner, went Master',
  );
  t.same(replayed.transitions, recording.transitions);
});
