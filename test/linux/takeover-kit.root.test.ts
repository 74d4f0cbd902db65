// The takeover kit (native/src/takeover_kit.h, src/linux/takeover-kit.ts): a Backup's VIP add and its
// first gratuitous ARPs leave from the addon at its timer's expiry, right after the takeover advert,
// before any JavaScript runs; the engine's own addVips / announceVips then learn what was done and do
// not repeat it. The engine's deadline callback is wrapped so that it first blocks the event loop for
// SPIN_MS: the VIP is already on the interface when the wrapper starts, and tcpdump on the peer end
// sees the GARPs stamped before it. Races: the engine stopped, or the router removed, between the
// addon's firing and the engine's handling of it: the VIP is taken back before the callback ends,
// and reported. An add the kernel refuses reaches the engine as an error, as without the kit. A
// Backup that keeps hearing a Master never fires the kit. A veth pair in a namespace
// of its own; only documentation addresses.

import t from 'tap';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { namespaceSkipReason, TestNamespace } from './netns-harness.js';

const distRoot = new URL('../../src/', import.meta.url).href;
const SPIN_MS = 100;

const childScript = `
import { execFileSync, spawnSync } from 'node:child_process';
import { Engine } from '${distRoot}engine/engine.js';
import { LinuxPacketPort } from '${distRoot}linux/packet-port.js';
import { LinuxAddressPort } from '${distRoot}linux/addresses.js';
import { announceVips } from '${distRoot}linux/announce.js';
import { preciseTime } from '${distRoot}linux/precise-time.js';
import { takeoverKit } from '${distRoot}linux/takeover-kit.js';
import { VrrpRawSocket } from '${distRoot}linux/raw-socket.js';
import { buildRouterConfig } from '${distRoot}model/router-config.js';
import { encodeAdvert } from '${distRoot}wire/codec.js';

spawnSync('sysctl', ['-qw', 'net.ipv4.conf.va.accept_local=1', 'net.ipv4.conf.va.rp_filter=0']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
const epochMs = () => performance.timeOrigin + performance.now();
const hasVip = (vip) => execFileSync('ip', ['-o', 'addr', 'show', 'dev', 'va'], { encoding: 'utf8' }).includes(' ' + vip + '/');
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** One engine on va with one Backup router; onExpiry(engine, name) runs inside the wrapped deadline callback, before the engine's. */
async function scenario(name, vip, onExpiry, before, extra = {}) {
  const config = buildRouterConfig({ name, interface: 'va', vrid: 61, version: 3, priority: 100, advertIntervalCs: 10,
    primaryAddress: '192.0.2.1', virtualAddresses: [vip], ...extra });
  const portErrors = [];
  const packets = new LinuxPacketPort([config], { onError: (e) => portErrors.push(e.error.code) });
  packets.open();
  const addressPort = new LinuxAddressPort({ announce: announceVips });
  const time = preciseTime();
  packets.useTakeoverTimer(time.timerId);
  packets.useTakeoverKit((iface, list, acceptMode) => addressPort.takeoverRequests(iface, list, acceptMode));
  const seen = {};
  let engine;
  const wrapped = {
    nowMs: time.nowMs,
    get timerId() { return time.timerId; },
    setTimer: (atMs, onDeadline) => time.setTimer(atMs, (expiry) => {
      if (expiry?.takeoverSent && seen.wrapperStartEpochMs === undefined) {
        seen.wrapperStartEpochMs = epochMs();
        seen.vipBeforeEngine = hasVip(vip);
        seen.framesBeforeEngine = takeoverKit.counters().framesSent - base.framesSent;
        spin(${SPIN_MS});
        onExpiry?.(engine, name);
      }
      onDeadline(expiry);
    }),
  };
  const addCalls = [];
  const base = takeoverKit.counters();
  engine = new Engine([config], { time: wrapped, packets, addresses: {
    addVips: (i, l, o) => { addCalls.push(l.length); return addressPort.addVips(i, l, o); },
    removeVips: (i, l) => addressPort.removeVips(i, l),
    announceVips: (i, l, c) => addressPort.announceVips(i, l, c),
  }, headStart: packets }, { logger: quiet });
  const engineErrors = [];
  engine.on('error', (e) => engineErrors.push(e.error?.code ?? String(e.error)));
  let state = 'Initialize';
  engine.on('stateChange', (e) => { state = e.to; });
  engine.start();
  await before?.();
  await sleep(800);
  seen.vipAfter = hasVip(vip);
  seen.state = state;
  await engine.stop();
  seen.vipAfterStop = hasVip(vip);
  packets.close();
  addressPort.close();
  const now = takeoverKit.counters();
  seen.counters = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - base[k]]));
  seen.portErrors = portErrors;
  seen.engineErrors = engineErrors;
  seen.addCalls = addCalls;
  seen.repeat = config.announce.repeat;
  return seen;
}

const out = {};
out.takeover = await scenario('VI_kit', '198.51.100.10');
out.stopped = await scenario('VI_stop', '198.51.100.11', (engine) => { void engine.stop(); });
out.removed = await scenario('VI_gone', '198.51.100.12', (engine, name) => { void engine.removeRouter(name, { release: false }); });
// IPv6 off on va: the kit's add of the IPv6 excluded address is refused (EACCES); the engine's
// addVips reports it as without the kit, and the IPv4 VIP is still added and kept.
spawnSync('sysctl', ['-qw', 'net.ipv6.conf.va.disable_ipv6=1']);
out.refused = await scenario('VI_refused', '198.51.100.14', undefined, undefined, { excludedAddresses: ['2001:db8::14'] });
spawnSync('sysctl', ['-qw', 'net.ipv6.conf.va.disable_ipv6=0']);
// A Master on vb at priority 200 for the first 1.5 s: the Backup never fires; then it takes over.
const peer = VrrpRawSocket.open({ family: 4, interface: 'vb' });
const masterAdvert = {
  interface: 'vb', family: 4, sourceAddress: '192.0.2.2', destinationAddress: '224.0.0.18',
  payload: encodeAdvert({ version: 3, vrid: 61, priority: 200, advertIntervalCs: 10, addresses: ['198.51.100.13'], authType: 0 },
    { family: 4, sourceAddress: '192.0.2.2', destinationAddress: '224.0.0.18' }),
};
out.heard = await scenario('VI_heard', '198.51.100.13', undefined, async () => {
  const heardFiredBefore = takeoverKit.counters().fired;
  for (let i = 0; i < 15; i++) { peer.send([masterAdvert]); await sleep(100); }
  out.heardFiredWhileMaster = takeoverKit.counters().fired - heardFiredBefore;
  out.heardVipWhileMaster = hasVip('198.51.100.13');
});
peer.close();
console.log(JSON.stringify(out));
process.exit(0);
`;

interface Seen {
  wrapperStartEpochMs: number;
  vipBeforeEngine: boolean;
  framesBeforeEngine: number;
  vipAfter: boolean;
  vipAfterStop: boolean;
  state: string;
  counters: { fired: number; addsClaimed: number; framesSent: number; rolledBack: number };
  portErrors: string[];
  engineErrors: string[];
  addCalls: number[];
  repeat: number;
}

/** tcpdump on vb: epoch ms of each ARP announcement, by VIP. */
async function captureArp(ns: TestNamespace): Promise<{ stop: () => Promise<Map<string, number[]>> }> {
  const tcpdump = spawn('ip', ['netns', 'exec', ns.name, 'tcpdump', '-i', ns.b, '-n', '-l', '-tt', 'arp'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const byVip = new Map<string, number[]>();
  createInterface({ input: tcpdump.stdout! }).on('line', (line) => {
    const match = /^(\d+\.\d+) ARP, Request who-has (\S+) /.exec(line);
    if (match === null) return;
    const times = byVip.get(match[2]!) ?? [];
    times.push(Number(match[1]) * 1000);
    byVip.set(match[2]!, times);
  });
  await new Promise<void>((resolve, reject) => {
    tcpdump.once('error', reject);
    createInterface({ input: tcpdump.stderr! }).on('line', (line) => {
      if (line.includes('listening on')) resolve();
    });
  });
  return {
    stop: async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exited = new Promise((resolve) => tcpdump.once('exit', resolve));
      tcpdump.kill('SIGINT');
      await exited;
      return byVip;
    },
  };
}

const skip = namespaceSkipReason();
t.test(
  'takeover kit: VIP added and announced from the timer expiry, taken back when no Master follows',
  { skip: skip ?? false },
  async (t) => {
    const ns = new TestNamespace('kit');
    t.teardown(() => ns.remove());
    ns.addressPair();
    const capture = await captureArp(ns);
    const run = ns.runModule(childScript, 60_000);
    const arps = await capture.stop();
    t.equal(run.status, 0, run.stderr);
    const out = run.result as {
      takeover: Seen;
      stopped: Seen;
      removed: Seen;
      refused: Seen;
      heard: Seen;
      heardFiredWhileMaster: number;
      heardVipWhileMaster: boolean;
    };

    const taken = out.takeover;
    t.equal(taken.state, 'Master', 'the Backup took over');
    t.ok(taken.vipBeforeEngine, 'the VIP was on va before the engine saw the expiry');
    t.equal(taken.framesBeforeEngine, taken.repeat, 'its first announcement had left too');
    const garps = arps.get('198.51.100.10') ?? [];
    t.equal(garps.length, taken.repeat, 'on the wire: the first burst once, not repeated by the engine');
    t.ok(
      garps[0]! <= taken.wrapperStartEpochMs + 1,
      `the first GARP (${garps[0]}) was on the wire before the engine's callback began (${taken.wrapperStartEpochMs}), ${SPIN_MS} ms before its JavaScript ran`,
    );
    t.strictSame(taken.addCalls, [1], "the engine's addVips still ran (events and bookkeeping)");
    t.match(taken.counters, { fired: 1, addsClaimed: 1, framesSent: taken.repeat, rolledBack: 0 });
    t.strictSame(taken.engineErrors, [], 'no error');
    t.ok(taken.vipAfter, 'the VIP stays while Master');
    t.notOk(taken.vipAfterStop, 'and goes at stop');

    for (const [name, seen] of [
      ['stopped', out.stopped],
      ['removed', out.removed],
    ] as const) {
      t.ok(seen.vipBeforeEngine, `${name}: the kit had added the VIP`);
      t.notOk(seen.vipAfter, `${name}: not Master, so the VIP was taken back`);
      t.strictSame(seen.addCalls, [], `${name}: the engine never asked for it`);
      t.match(seen.counters, { fired: 1, addsClaimed: 0, rolledBack: 1 }, `${name}: counted`);
      t.strictSame(seen.portErrors, ['ETAKEOVERROLLBACK'], `${name}: reported`);
    }

    const refused = out.refused;
    t.equal(refused.state, 'Master', 'refused: the Backup took over all the same');
    t.ok(refused.vipAfter, 'refused: its IPv4 VIP was added and kept');
    t.strictSame(refused.engineErrors, ['EACCES'], "refused: the kernel's refusal reached the engine as an error");
    t.match(refused.counters, { fired: 1, addsClaimed: 1, rolledBack: 0 });
    t.equal(refused.framesBeforeEngine, refused.repeat, 'refused: only the added address was announced ahead');

    t.equal(out.heardFiredWhileMaster, 0, 'a Backup hearing its Master never fires the kit');
    t.notOk(out.heardVipWhileMaster, 'nor adds the VIP');
    t.equal(out.heard.state, 'Master', 'once the Master fell silent it took over');
    t.match(out.heard.counters, { fired: 1, addsClaimed: 1, rolledBack: 0 });
  },
);
