// The repeated failover scenario behind takeover.ts (kill -9) and handover.ts (SIGTERM): two routers
// on a LAN, r1 priority 200 (Master), r2 priority 100 (Backup), one VRRPv3 IPv4 virtual router. Each
// repetition starts both routers afresh, lets r1 become Master, waits a random part of an interval
// more (so the stop lands at any phase of the advert cycle), stops r1 and waits for r2 to take over.
// All times come from the bridge capture (tcpdump, ns timestamps), except the moment of the signal.

import {
  BridgeTap,
  killHard,
  masterDownMs,
  removeLeftovers,
  skewMs,
  sleep,
  startRouter,
  v3Spec,
  wallNowAtEdgeMs,
  wallNowMs,
  withLan,
  type Advert,
  type Garp,
  type Impl,
} from './common.js';

export const VRID = 51;
export const VIP = '198.51.100.51';
export const PRIORITY = { master: 200, backup: 100 } as const;

export interface Repetition {
  /** Wall-clock time the signal was sent. */
  readonly signalAtMs: number;
  /** r1's last advert with its own priority before r2's first one. */
  readonly oldLastMs: number;
  /** r1's priority-0 advert (SIGTERM only). */
  readonly priorityZeroMs: number | undefined;
  readonly newFirstMs: number;
  /** r2's first gratuitous ARP for the VIP after the signal. */
  readonly garpMs: number | undefined;
}

export interface FailoverRun {
  readonly impl: Impl;
  readonly intervalCs: number;
  readonly reps: Repetition[];
  /** Repetitions that produced no takeover in the capture (with why). */
  readonly failures: string[];
  readonly tcpdumpDrops: number;
}

/** Runs `reps` failovers of one implementation at one advert interval; stop = 'kill' (SIGKILL) or 'term' (SIGTERM). */
export async function runFailovers(
  impl: Impl,
  intervalCs: number,
  reps: number,
  stop: 'kill' | 'term',
): Promise<FailoverRun> {
  return withLan(stop === 'kill' ? 'tk' : 'ho', 2, async (h, scope) => {
    const tap = await BridgeTap.start(h, scope);
    const macs = { r1: h.node('r1').mac, r2: h.node('r2').mac };
    const intervalMs = intervalCs * 10;
    const windows: { signalAtMs: number; endMs: number }[] = [];
    const failures: string[] = [];
    for (let i = 0; i < reps; i++) {
      removeLeftovers(h, 'r1', [VIP]);
      removeLeftovers(h, 'r2', [VIP]);
      const r1 = startRouter(h, impl, 'r1', [v3Spec(VRID, PRIORITY.master, intervalCs, VIP, 'VI_1')]);
      const r2 = startRouter(h, impl, 'r2', [v3Spec(VRID, PRIORITY.backup, intervalCs, VIP, 'VI_1')]);
      try {
        await r1.waitForState('VI_1', 'Master', masterDownMs(PRIORITY.master, intervalCs, 3) + 10_000);
        // r2 may have been Master for a moment before r1 started: wait for it to be Backup now.
        await r2.waitForLine(() => r2.stateOf('VI_1') === 'Backup', 10_000, 'VI_1 in Backup');
        // A few adverts as Master, then a random phase of the cycle.
        await sleep(Math.max(3 * intervalMs, 300) + Math.random() * intervalMs);
        const since = r2.mark();
        let signalAtMs: number;
        if (stop === 'kill') {
          signalAtMs = await killHard(h, r1);
        } else {
          signalAtMs = wallNowAtEdgeMs();
          r1.signal('SIGTERM'); // keepalived: its parent, as systemctl stop does
        }
        await r2.waitForState('VI_1', 'Master', masterDownMs(PRIORITY.backup, intervalCs, 3) + 10_000, since);
        // Room for the first adverts and gratuitous ARPs to reach the capture.
        await sleep(Math.max(2 * intervalMs, 200));
        windows.push({ signalAtMs, endMs: wallNowMs() });
      } catch (error) {
        failures.push(`rep ${i + 1}: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        await Promise.all([r1.stop(3000), r2.stop(3000)]);
      }
    }
    const tcpdumpDrops = await tap.stop();
    const adverts = tap.adverts();
    const garps = tap.garps();
    const out: Repetition[] = [];
    for (const [i, w] of windows.entries()) {
      const rep = analyse(adverts, garps, macs, w.signalAtMs, w.endMs, intervalMs);
      if (typeof rep === 'string') failures.push(`rep ${i + 1}: ${rep}`);
      else out.push(rep);
    }
    return { impl, intervalCs, reps: out, failures, tcpdumpDrops };
  });
}

function analyse(
  adverts: readonly Advert[],
  garps: readonly Garp[],
  macs: { r1: string; r2: string },
  signalAtMs: number,
  endMs: number,
  intervalMs: number,
): Repetition | string {
  // The signal time is Date.now() (1 ms resolution): look a little before it.
  const from = signalAtMs - 2;
  const newFirst = adverts.find(
    (a) =>
      a.mac === macs.r2 && a.vrid === VRID && a.priority === PRIORITY.backup && a.timeMs >= from && a.timeMs <= endMs,
  );
  if (newFirst === undefined) {
    const seen = adverts
      .filter((a) => a.timeMs >= from - 1000 && a.timeMs <= endMs + 1000)
      .map((a) => `${(a.timeMs - signalAtMs).toFixed(1)}:${a.mac.slice(-2)}/${a.priority}`);
    return `no advert from r2 after the signal in the capture (window ${(endMs - signalAtMs).toFixed(0)} ms; around it: ${seen.slice(0, 40).join(' ')})`;
  }
  const beforeNew = adverts.filter(
    (a) =>
      a.mac === macs.r1 && a.vrid === VRID && a.timeMs < newFirst.timeMs && a.timeMs >= from - 10 * intervalMs - 1000,
  );
  const oldLast = beforeNew.filter((a) => a.priority === PRIORITY.master).at(-1);
  if (oldLast === undefined) return 'no advert from r1 before the takeover in the capture';
  const priorityZero = beforeNew.find((a) => a.priority === 0 && a.timeMs >= from);
  const garp = garps.find((g) => g.mac === macs.r2 && g.address === VIP && g.timeMs >= from && g.timeMs <= endMs);
  return {
    signalAtMs,
    oldLastMs: oldLast.timeMs,
    priorityZeroMs: priorityZero?.timeMs,
    newFirstMs: newFirst.timeMs,
    garpMs: garp?.timeMs,
  };
}

/** RFC 5798 Master_Down_Interval and Skew_Time of the Backup (priority 100) at this interval, in ms. */
export function backupTimers(intervalCs: number): { masterDownMs: number; skewMs: number } {
  return { masterDownMs: masterDownMs(PRIORITY.backup, intervalCs, 3), skewMs: skewMs(PRIORITY.backup, intervalCs, 3) };
}
