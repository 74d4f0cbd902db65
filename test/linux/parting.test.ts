// Parting adverts through the addon: a socket armed with setParting sends them from a SIGTERM
// watcher's own wake-up (watchSignal with sendPartingFirst) before the JavaScript listener runs; the
// listener's send of the same packet is then skipped once, even if it disarmed first; re-armed, or
// on a second signal, it is not sent again; a disarmed socket sends nothing. A veth pair in a namespace of its own, the far end listening.

import { spawnSync } from 'node:child_process';
import t from 'tap';
import { namespaceSkipReason, TestNamespace } from './netns-harness.js';

const distRoot = new URL('../../src/', import.meta.url).href;

/** Sender on va, receiver on vb; prints one JSON line of what each step saw. */
const childScript = `
import { VrrpRawSocket } from '${distRoot}linux/raw-socket.js';
import { watchSignal } from '${distRoot}linux/rt-signals.js';
import { encodeAdvert } from '${distRoot}wire/codec.js';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const receiver = VrrpRawSocket.open({ family: 4, interface: 'vb' });
receiver.joinGroup();
const received = [];
receiver.onPackets((packets) => { for (const p of packets) received.push(p.payload[2]); });
const sender = VrrpRawSocket.open({ family: 4, interface: 'va' });
const advert = (priority) => ({
  interface: 'va', family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18',
  payload: encodeAdvert({ version: 3, vrid: 51, priority, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    { family: 4, sourceAddress: '192.0.2.1', destinationAddress: '224.0.0.18' }),
});
let phase = 'armed';
const steps = [];
watchSignal(15, () => {
  const sentBeforeListener = sender.counters().sent;
  // What the engine's stop does: the priority-0 advert (already sent by the signal), then another.
  const first = steps.length === 0;
  // The runner may disarm between the signal and the stop's own send: the repeat is still skipped.
  if (first) sender.setParting([]);
  const reported = first ? sender.send([advert(0), advert(7)]) : 0;
  steps.push({ phase, sentBeforeListener, reported });
}, { sendPartingFirst: true });
sender.setParting([advert(0)]);
process.kill(process.pid, 'SIGTERM');
await sleep(300);
phase = 'again';
sender.setParting([advert(0)]); // re-armed after it was sent and skipped: not sent again
process.kill(process.pid, 'SIGTERM');
await sleep(300);
sender.setParting([advert(0)]);
sender.setParting([]);
phase = 'disarmed';
process.kill(process.pid, 'SIGTERM');
await sleep(300);
console.log(JSON.stringify({ steps, received, sent: sender.counters().sent }));
process.exit(0);
`;

const skip = namespaceSkipReason();
t.test('parting adverts: sent by the signal before JavaScript, not twice, not when disarmed', { skip: skip ?? false }, async (t) => {
  const ns = new TestNamespace('part');
  t.teardown(() => ns.remove());
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', ns.a);
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', ns.b);
  // Both ends live in one namespace: let vb take packets from an address of its own namespace.
  spawnSync('ip', ['netns', 'exec', ns.name, 'sysctl', '-qw', 'net.ipv4.conf.vb.accept_local=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.vb.rp_filter=0']);
  // tap's process tracking follows the child in and re-raises a SIGTERM it sees no process.on()
  // listener for (signal-exit): the listener may run more than once per kill, hence the phases.
  const run = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '--input-type=module', '-e', childScript], { encoding: 'utf8', timeout: 20_000 });
  t.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    steps: { phase: string; sentBeforeListener: number; reported: number }[];
    received: number[];
    sent: number;
  };
  t.strictSame(out.steps[0], { phase: 'armed', sentBeforeListener: 1, reported: 2 }, 'the priority-0 advert was out before the listener ran; its send of it counts as sent');
  const later = out.steps.slice(1);
  t.ok(later.some((s) => s.phase === 'again') && later.some((s) => s.phase === 'disarmed'), 'the later signals reached the listener');
  t.ok(later.every((s) => s.sentBeforeListener === 2), 'a second signal, and one after disarming, send nothing');
  t.strictSame(out.received, [0, 7], 'on the wire: the priority-0 advert once, then the other one');
  t.equal(out.sent, 2);
});
