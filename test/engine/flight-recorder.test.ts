// The flight recorder's ring: bounded in entries and packet bytes, the oldest dropped first, and the
// configurations pinned at the ring's start follow what was dropped.
import t from 'tap';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { FlightRecorder, RECORDING_FORMAT, RECORDING_VERSION } from '../../src/engine/flight-recorder.js';
import type { PacketMeta } from '../../src/wire/types.js';

const config = (name: string, priority = 100) =>
  buildRouterConfig({
    name,
    interface: 'eth0',
    vrid: name === 'A' ? 1 : 2,
    priority,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
  });
const meta: PacketMeta = { family: 4, sourceAddress: '192.0.2.9', destinationAddress: '224.0.0.18', ttl: 255 };

t.test('until it wraps: every input in order, complete, configurations as added', async (t) => {
  const recorder = new FlightRecorder({ entries: 8, packetBytes: 4 });
  recorder.added(config('A'), 0);
  recorder.input('A', { kind: 'startup' }, 0);
  recorder.packet('eth0', Uint8Array.of(1, 2, 3), meta, 5);
  recorder.input('A', { kind: 'timeout' }, 10);
  const recording = recorder.recording();
  t.equal(recording.format, RECORDING_FORMAT);
  t.equal(recording.version, RECORDING_VERSION);
  t.equal(recording.complete, true);
  t.equal(recording.evicted, 0);
  t.same(recording.routers, [], 'no configuration pinned: the add is still in the ring');
  t.same(
    recording.inputs.map((entry) => [entry.kind, entry.atMs]),
    [
      ['add', 0],
      ['input', 0],
      ['packet', 5],
      ['input', 10],
    ],
  );
  t.match(recording.inputs[2], { kind: 'packet', interface: 'eth0', payload: '010203', length: 3, meta });
});

t.test('wrapping: at most `entries` kept, the oldest dropped, the file says so', async (t) => {
  const recorder = new FlightRecorder({ entries: 3, packetBytes: 4 });
  recorder.added(config('A'), 0);
  recorder.added(config('B'), 0);
  for (let i = 1; i <= 5; i++) recorder.packet('eth0', Uint8Array.of(i, i), meta, i);
  t.equal(recorder.size, 3);
  const recording = recorder.recording();
  t.equal(recording.complete, false);
  t.equal(recording.evicted, 4);
  t.same(
    recording.inputs.map((entry) => (entry.kind === 'packet' ? entry.payload : entry.kind)),
    ['0303', '0404', '0505'],
    'the packet bytes of each slot are its own, not a later packet written over them',
  );
  t.same(
    recording.routers.map((c) => c.name),
    ['A', 'B'],
    'the dropped adds are pinned: replay starts from them',
  );
});

t.test('a dropped reconfigure replaces the pinned configuration; a dropped remove forgets it', async (t) => {
  const recorder = new FlightRecorder({ entries: 2, packetBytes: 0 });
  recorder.added(config('A'), 0);
  recorder.added(config('B'), 0);
  recorder.reconfigured(config('A', 150), 1);
  recorder.removed('B', 2);
  recorder.input('A', { kind: 'timeout' }, 3);
  recorder.input('A', { kind: 'timeout' }, 4);
  const recording = recorder.recording();
  t.same(
    recording.routers.map((c) => [c.name, c.priority]),
    [['A', 150]],
  );
});

t.test('a packet longer than the byte bound is kept as its length only', async (t) => {
  const recorder = new FlightRecorder({ entries: 2, packetBytes: 2 });
  recorder.packet('eth0', Uint8Array.of(1, 2, 3), meta, 1);
  const [entry] = recorder.recording().inputs;
  t.same(entry, { kind: 'packet', atMs: 1, interface: 'eth0', meta, length: 3 });
});

t.test('transitions are bounded too, and those before the oldest input are left out', async (t) => {
  const recorder = new FlightRecorder({ entries: 2, packetBytes: 0 });
  const at = (atMs: number) =>
    ({ atMs, router: 'A', from: 'Backup', to: 'Master', reason: 'master-down-timer', priority: 100 }) as const;
  recorder.input('A', { kind: 'timeout' }, 1);
  recorder.transition(at(1));
  recorder.input('A', { kind: 'timeout' }, 2);
  recorder.transition(at(2));
  recorder.input('A', { kind: 'timeout' }, 3);
  recorder.transition(at(3));
  t.same(
    recorder.recording().transitions.map((x) => x.atMs),
    [2, 3],
  );
});

t.test('bad bounds are refused', async (t) => {
  t.throws(() => new FlightRecorder({ entries: 0, packetBytes: 1 }), RangeError);
  t.throws(() => new FlightRecorder({ entries: 1.5, packetBytes: 1 }), RangeError);
  t.throws(() => new FlightRecorder({ entries: 1, packetBytes: -1 }), RangeError);
});

t.test('the transition ring keeps the latest ones in order after wrapping several times', async (t) => {
  const recorder = new FlightRecorder({ entries: 3, packetBytes: 0 });
  recorder.input('A', { kind: 'timeout' }, 0);
  for (let atMs = 1; atMs <= 8; atMs++)
    recorder.transition({ atMs, router: 'A', from: 'Backup', to: 'Master', reason: 'master-down-timer', priority: 1 });
  t.same(
    recorder.recording().transitions.map((x) => x.atMs),
    [6, 7, 8],
  );
});
