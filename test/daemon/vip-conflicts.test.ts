// VipConflictWatch on a real engine (fake ports, a recording claim port): what it watches follows the
// routers' states; a claim as Master is logged, re-announced at once and while it lasts; with
// faultAfterClaims the Master steps down to Fault and comes back after quietMs.
import t from 'tap';
import { CONFLICT_TRACK, VipConflictWatch } from '../../src/daemon/vip-conflicts.js';
import { Engine } from '../../src/engine/engine.js';
import type { ClaimWatchPort, LinkClaim } from '../../src/linux/claim-watch.js';
import type { RuntimeLogger } from '../../src/model/logger.js';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { fakePorts } from '../engine/fake-ports.js';

const VIP = '192.0.2.100';
const OTHER = '02:00:00:00:00:0b';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class RecordingClaims implements ClaimWatchPort {
  readonly watched = new Map<string, readonly string[]>();
  readonly probed: string[][] = [];
  closed = false;
  watch(iface: string, addresses: readonly string[]): void {
    this.watched.set(iface, addresses);
  }
  probe(_iface: string, addresses: readonly string[]): number {
    this.probed.push([...addresses]);
    return addresses.length;
  }
  close(): void {
    this.closed = true;
  }
}

function recordingLogger(): {
  logger: RuntimeLogger;
  lines: { level: string; fields: Record<string, unknown>; text: string }[];
} {
  const lines: { level: string; fields: Record<string, unknown>; text: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, text?: string) =>
    lines.push({ level, fields, text: text ?? '' });
  return {
    logger: { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    lines,
  };
}

const claim = (): LinkClaim => ({
  interface: 'eth0',
  family: 4,
  reply: false,
  address: VIP,
  mac: OTHER,
  sender: '192.0.2.2',
});

function setUp(settings: ConstructorParameters<typeof VipConflictWatch>[0]['settings']) {
  const { ports, addresses } = fakePorts();
  // Priority 255: the address owner, Master at start.
  const config = buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    priority: 255,
    primaryAddress: '192.0.2.1',
    virtualAddresses: [VIP],
  });
  const engine = new Engine([config], ports);
  const claims = new RecordingClaims();
  const { logger, lines } = recordingLogger();
  const watch = new VipConflictWatch({ engine, claims, addresses, logger, settings });
  engine.start();
  const announced = () => addresses.calls.filter((c) => c.op === 'announce' && c.count === 1).length;
  return { engine, claims, lines, watch, announced };
}

t.test(
  'vip conflict watch: a Master watches its VIPs, logs a claim, re-announces at once and while it lasts',
  async (t) => {
    const { engine, claims, lines, watch, announced } = setUp({
      quietMs: 1500,
      resistIntervalMs: 100,
      probeIntervalMs: 100,
    });
    t.teardown(() => watch.close());
    t.same(claims.watched.get('eth0'), [VIP], 'watching the Master VIP on its interface');
    watch.heard([claim()]);
    await sleep(100);
    t.equal(watch.snapshot().active.length, 0, 'within CLAIM_GRACE_MS: not yet a conflict');
    await sleep(800);
    t.match(
      lines.find((l) => l.fields.event === 'vip-conflict'),
      {
        level: 'warn',
        fields: { state: 'start', address: VIP, macs: [OTHER], sender: '192.0.2.2', role: 'master' },
        text: /VI_1: VIP 192\.0\.2\.100 is also claimed by 02:00:00:00:00:0b \(192\.0\.2\.2\)/,
      },
    );
    t.ok(announced() >= 1, 're-announced at once');
    t.equal(watch.snapshot().active.length, 1);
    const first = announced();
    await sleep(500);
    t.ok(announced() > first, `re-announced while the conflict lasts (${announced()} in all)`);
    t.ok(claims.probed.length >= 2, 'probes sent at probeIntervalMs');
    await sleep(900);
    t.equal(watch.snapshot().active.length, 0, 'ended after quietMs without a claim');
    t.match(lines.at(-1), { level: 'info', fields: { state: 'end', why: 'quiet', claims: 1 } });
    const after = announced();
    await sleep(300);
    t.equal(announced(), after, 'no re-announcement once it ended');
    t.equal(engine.snapshot()[0]!.state, 'Master');
    watch.close();
    t.ok(claims.closed, 'close closes the claim watch');
  },
);

t.test('vip conflict watch: faultAfterClaims steps the Master down to Fault for quietMs', async (t) => {
  const { engine, claims, lines, watch } = setUp({ quietMs: 1000, resistIntervalMs: 0, faultAfterClaims: 3 });
  t.teardown(() => watch.close());
  watch.heard([claim(), claim()]);
  await sleep(900);
  t.equal(watch.snapshot().active[0]?.claims, 2, 'the conflict opened after the grace, counting both');
  t.equal(engine.snapshot()[0]!.state, 'Master', 'two claims: still Master');
  watch.heard([claim()]);
  t.equal(engine.snapshot()[0]!.state, 'Fault', `the third: Fault (track ${CONFLICT_TRACK})`);
  t.match(
    lines.find((l) => l.fields.state === 'fault'),
    { level: 'warn', fields: { router: 'VI_1', claims: 3 } },
  );
  t.match(
    lines.find((l) => l.fields.state === 'end'),
    { fields: { why: 'released' } },
    'the conflict ends: no longer held',
  );
  t.same(claims.watched.get('eth0'), [], 'a router in Fault watches nothing');
  await sleep(1500);
  t.equal(engine.snapshot()[0]!.state, 'Master', 'back after quietMs (the owner takes over at once)');
});

t.test(
  'vip conflict watch: a state change re-places only its router; the claim port hears only list changes',
  async (t) => {
    const { ports, clock } = fakePorts();
    const vipOf = (i: number) => `192.0.2.${100 + i}`;
    const configs = Array.from({ length: 20 }, (_, i) =>
      buildRouterConfig({
        name: `VI_${i}`,
        interface: 'eth0',
        vrid: i + 1,
        priority: 100,
        primaryAddress: '192.0.2.1',
        virtualAddresses: [vipOf(i)],
      }),
    );
    const engine = new Engine(configs, ports);
    let calls = 0;
    const claims = new (class extends RecordingClaims {
      override watch(iface: string, addresses: readonly string[]): void {
        calls++;
        super.watch(iface, addresses);
      }
    })();
    const { logger } = recordingLogger();
    const watch = new VipConflictWatch({ engine, claims, addresses: fakePorts().addresses, logger });
    t.teardown(() => watch.close());
    engine.start();
    t.equal(claims.watched.get('eth0')?.length, 20, 'every Backup watches its VIP');
    const afterStart = calls;
    clock.advanceTo(5000);
    t.ok(
      engine.snapshot().every((s) => s.state === 'Master'),
      'no adverts heard: every router took over',
    );
    t.equal(calls, afterStart, 'Backup -> Master keeps the list: the claim port is not called again');
    watch.heard([{ ...claim(), address: vipOf(7) }]);
    t.equal(watch.snapshot().claims, 1, 'a claim for a Master VIP counts');
    engine.input('VI_7', { kind: 'track', name: 'test', up: false, weight: 0 });
    t.equal(engine.snapshot()[7]!.state, 'Fault');
    t.equal(calls, afterStart + 1, 'Fault drops one address: one call');
    t.notOk(claims.watched.get('eth0')?.includes(vipOf(7)), 'the Fault router is not watched');
    watch.heard([{ ...claim(), address: vipOf(7) }]);
    t.equal(watch.snapshot().claims, 1, 'a claim for an address no router places is ignored');
  },
);
