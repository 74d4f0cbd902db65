// The interop story every test/interop file tells, for several virtual routers at once (each its own
// VRID and VIP, all in one keepalived and one runner): keepalived 2.2.7 on r1, our runner on r2.
//   1. keepalived Master (200), ours Backup (100);
//   2. SIGTERM keepalived: ours takes over (keepalived's priority-0 advert understood);
//   3. keepalived back (200): it preempts ours (ours understands a higher-priority keepalived advert);
//   4. ours restarted at 250: it preempts keepalived (keepalived accepts our adverts);
//   5. SIGTERM ours: keepalived takes over (keepalived understands our priority-0 advert).
// After every step both sides' own words (logs) and the kernel (`ip -json addr`, the client's
// neighbour table) must agree on one Master. Finally tshark judges every advert we sent, and
// keepalived's log must hold no complaint about them.

import type { Test } from 'tap';
import {
  Harness,
  holdersOf,
  judgeAdverts,
  neighbourOf,
  waitUntil,
  type KeepalivedProcess,
  type OursProcess,
  type RouterSpec,
} from '../netns/harness.js';
import { MARGIN_MS, masterDownMs, STARTUP_MS } from '../netns/timing.js';
import type { LanNode } from '../netns/lan.js';

export interface InteropRouter {
  /** The instance as configured on `node` with `priority` (unicast peers depend on the node). */
  readonly spec: (node: LanNode, peer: LanNode, priority: number) => RouterSpec;
  readonly vip: string;
  /** What tshark should see in our adverts. */
  readonly expect: { readonly version: 2 | 3; readonly intervalCs: number; readonly authString?: string };
}

/** keepalived lines that mean it rejected or doubted an advert. */
export const KEEPALIVED_COMPLAINT = /Invalid|bogus|ignoring|auth|checksum|mismatch|wrong|error/i;

const KEEPALIVED_PRIORITY = 200;
const OUR_LOW = 100;
const OUR_HIGH = 250;

export async function interopStory(t: Test, tag: string, routers: readonly InteropRouter[]): Promise<void> {
  const h = await Harness.create(t, tag, 2);
  const r1 = h.node('r1');
  const r2 = h.node('r2');
  const names = routers.map((r) => r.spec(r1, r2, 1).name);
  const ownerOf = (vip: string) => routers.find((r) => r.vip === vip)!.spec(r1, r2, 1).name;
  h.watchVips(routers.map((r) => r.vip));
  const keepalivedSpecs = routers.map((r) => r.spec(r1, r2, KEEPALIVED_PRIORITY));
  const ourSpecs = (priority: number) => routers.map((r) => r.spec(r2, r1, priority));
  const slowest =
    Math.max(...routers.map((r) => masterDownMs(OUR_LOW, r.expect.intervalCs, r.expect.version))) + MARGIN_MS;
  const keepalivedLogs: KeepalivedProcess[] = [];

  /** Every VIP on `holder` only, and the client's neighbour entries pointing at it. */
  async function vipsOn(t: Test, holder: LanNode): Promise<void> {
    for (const r of routers) {
      const holders = await waitUntil(
        async () => {
          const hs = await holdersOf(h.lan, r.vip);
          return hs.length === 1 && hs[0] === holder.name ? hs : undefined;
        },
        4000,
        `${r.vip} on ${holder.name} only`,
      ).catch(async () => holdersOf(h.lan, r.vip));
      t.same(holders, [holder.name], `ip addr: ${r.vip} on ${holder.name} only`);
      // With an entry already there (from the previous step), only the new Master's GARP / NA can
      // move it this soon; the first time, our ping makes the client resolve the VIP.
      const moved = neighbourOf(h.lan, r.vip) !== undefined;
      const ping = () =>
        h.lan
          .execAsync(h.lan.client, 'ping', ...(r.vip.includes(':') ? ['-6'] : []), '-c', '1', '-W', '1', r.vip)
          .catch(() => '');
      if (!moved) await ping();
      const entry = await waitUntil(
        () => (neighbourOf(h.lan, r.vip)?.lladdr === holder.mac ? true : undefined),
        4000,
        `client's entry for ${r.vip}`,
      ).catch(() => false);
      t.ok(
        entry,
        `client's neighbour entry for ${r.vip} is ${holder.name}'s MAC (${neighbourOf(h.lan, r.vip)?.lladdr ?? 'none'})${moved ? ', moved by the announcement' : ''}`,
      );
      if (moved) await ping();
    }
  }

  let keepalived: KeepalivedProcess = h.startKeepalived('r1', keepalivedSpecs);
  keepalivedLogs.push(keepalived);
  let ours: OursProcess | undefined;

  await t.test('1. keepalived Master, ours Backup', async (t) => {
    for (const name of names) await keepalived.waitForState(name, 'Master', slowest + STARTUP_MS);
    ours = h.startOurs('r2', ourSpecs(OUR_LOW));
    for (const name of names) await ours.waitForState(name, 'Backup', STARTUP_MS);
    // Three of keepalived's intervals later ours must still be Backup: it accepted every advert.
    await new Promise((r) => setTimeout(r, slowest));
    for (const name of names) {
      t.equal(ours.stateOf(name), 'Backup', `${name}: ours stays Backup under keepalived`);
      t.equal(keepalived.stateOf(name), 'Master', `${name}: keepalived still Master`);
    }
    await vipsOn(t, r1);
  });

  await t.test('2. SIGTERM keepalived: ours takes over', async (t) => {
    const since = ours!.mark();
    await keepalived.stop(5000);
    for (const name of names) {
      const master = await ours!.waitForState(name, 'Master', slowest, since);
      t.equal(master.reason, 'master-down-timer', `${name}: ours Master`);
    }
    await vipsOn(t, r2);
  });

  await t.test('3. keepalived returns with a higher priority and preempts', async (t) => {
    const since = ours!.mark();
    keepalived = h.startKeepalived('r1', keepalivedSpecs);
    keepalivedLogs.push(keepalived);
    for (const name of names) {
      await keepalived.waitForState(name, 'Master', slowest + STARTUP_MS);
      const backup = await ours!.waitForState(name, 'Backup', 5000, since);
      t.equal(backup.reason, 'higher-priority-advert', `${name}: ours stepped down for keepalived`);
    }
    await vipsOn(t, r1);
  });

  await t.test('4. ours returns with a higher priority and preempts keepalived', async (t) => {
    await ours!.stop(5000);
    const since = keepalived.mark();
    ours = h.startOurs('r2', ourSpecs(OUR_HIGH));
    for (const name of names) {
      await ours.waitForState(name, 'Master', slowest + STARTUP_MS);
      await keepalived.waitForState(name, 'Backup', 5000, since);
      t.pass(`${name}: ours Master, keepalived Backup`);
    }
    await vipsOn(t, r2);
  });

  await t.test('5. SIGTERM ours: keepalived takes over', async (t) => {
    const since = keepalived.mark();
    t.same(await ours!.stop(5000), { code: 0, signal: null }, 'ours exits 0');
    for (const name of names) {
      await keepalived.waitForState(name, 'Master', slowest, since);
      t.pass(`${name}: keepalived Master`);
    }
    await vipsOn(t, r1);
  });

  await h.stopWatching();
  t.same(h.vipViolations(ownerOf), [], `VIPs only ever on a Master (${h.vipSamples} samples of ip -json addr)`);

  const capture = await h.stopCapture();
  const frames = capture.vrrp();
  t.comment(capture.tcpdumpOutput, `last frame ${new Date(frames.at(-1)?.timeMs ?? 0).toISOString()}`);
  for (const r of routers) {
    const spec = r.spec(r2, r1, OUR_LOW);
    const verdict = judgeAdverts(frames, {
      macs: [r2.mac],
      vrid: spec.vrid,
      priorities: [OUR_LOW, OUR_HIGH],
      addresses: spec.virtualAddresses,
      ...r.expect,
    });
    t.ok(verdict.count > 2, `${spec.name}: ${verdict.count} adverts of ours`);
    t.same(
      verdict.problems,
      [],
      `${spec.name}: tshark finds each of our adverts valid (version, checksum, TTL 255, fields)`,
    );
    const ourFrames = frames.filter((f) => f.ethSource === r2.mac && f.vrid === spec.vrid);
    t.equal(ourFrames.at(-1)?.priority, 0, `${spec.name}: our last advert is the priority-0 one`, {
      ourAdverts: ourFrames.map((f) => `frame ${f.frame} ${new Date(f.timeMs).toISOString()} priority ${f.priority}`),
    });
  }
  const complaints = keepalivedLogs.flatMap((k) =>
    k.lines.filter((l) => KEEPALIVED_COMPLAINT.test(l.text)).map((l) => l.text),
  );
  t.same(
    complaints.filter((c) => !/auth_pass|NOTICE/.test(c)),
    [],
    'keepalived logged no complaint about our adverts',
  );
}
