// Health checks at scale: r1 Master of 255 VRRPv3 IPv4 virtual routers (priority 200) with, on each,
// a TCP connect check every 2 s (to a listener in r1's namespace, weight -150, fall 2), beside the same
// setup without checks; r2 Backup of all (priority 100, no checks). Ours only: the question is what
// the checks cost our own runner.
//
// Per variant, after every router is in place and a settling time: CPU of r1's runner (utime + stime
// from /proc over the window), the gaps between r1's adverts per VRID from a bridge capture (jitter:
// |gap - interval|; a gap of 2 intervals or more is a missed advert), state changes during the window
// (false failovers), and how many TCP probes the checks made (from the runner's status line).
// Run as root: node dist/bench/lan/health-checks.js [--vrids 255] [--interval-cs 10] [--check-ms 2000] [--window 30] [--settle 5]

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NamespaceProcess } from '../../test/netns/process.js';
import { RUNNER } from '../../test/netns/routers.js';
import {
  BridgeTap,
  cpuSeconds,
  gapsOf,
  machineNote,
  ms,
  parseFlags,
  printTable,
  progress,
  requireLab,
  rssMiB,
  sleep,
  summarize,
  v3Spec,
  withLan,
  type Harness,
  type RouterSpec,
  type Scope,
} from './common.js';
import type { HealthPlan } from '../../src/model/health-plan.js';

const flags = parseFlags('CPU and advert jitter of 255 VRIDs with a TCP check each, beside none (needs root)', {
  vrids: { default: '255', help: 'virtual routers (1..255)' },
  'interval-cs': { default: '10', help: 'advert interval in centiseconds (VRRPv3)' },
  'check-ms': { default: '2000', help: 'TCP check interval per router, ms' },
  window: { default: '30', help: 'measuring window, seconds' },
  settle: { default: '5', help: 'seconds after every router is in place before measuring' },
});
requireLab();
console.log(machineNote());

const vipFor = (vrid: number) => (vrid <= 200 ? `198.51.100.${vrid}` : `203.0.113.${vrid - 200}`);
const PORT_BASE = 9000;

/** Our runner with an optional health plan, logging to a file (a pipe could stall it). */
class LoggedRunner {
  readonly process: NamespaceProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'vrrp-bench-health-'));
  readonly logFile = join(this.dir, 'log');

  constructor(scope: Scope, h: Harness, node: string, specs: readonly RouterSpec[], health?: HealthPlan) {
    const where = h.node(node);
    const config = join(this.dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        routers: specs.map((s) => ({ ...s, interface: where.interface })),
        ...(health ? { health } : {}),
      }),
    );
    this.process = new NamespaceProcess(node, where.namespace, 'sh', [
      '-c',
      'exec "$@" >"$0" 2>&1',
      this.logFile,
      process.execPath,
      RUNNER,
      '--config',
      config,
    ]);
    scope.defer(async () => {
      await this.process.stop(3000);
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  private events(): Record<string, unknown>[] {
    let text: string;
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return []; // the shell has not created it yet
    }
    return text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  states(): number {
    return this.events().filter((e) => e.event === 'stateChange').length;
  }

  countIn(state: string): number {
    const latest = new Map<string, unknown>();
    for (const e of this.events()) if (e.event === 'stateChange') latest.set(String(e.router), e.to);
    return [...latest.values()].filter((s) => s === state).length;
  }

  async waitFor(state: string, count: number, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.countIn(state) < count) {
      if (!this.process.running)
        throw new Error(`${this.process.label} exited:\n${readFileSync(this.logFile, 'utf8').slice(-2000)}`);
      if (Date.now() > until)
        throw new Error(`${this.process.label}: ${this.countIn(state)} of ${count} in ${state} after ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  /** Total TCP probes so far, from the SIGUSR2 status line. */
  async probes(): Promise<number> {
    const before = this.events().length;
    this.process.signal('SIGUSR2');
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      const status = this.events()
        .slice(before)
        .find((e) => e.event === 'status');
      if (status) return ((status.checks as { runs: number }[] | undefined) ?? []).reduce((sum, c) => sum + c.runs, 0);
    }
    return NaN;
  }
}

interface Reading {
  readonly variant: string;
  readonly cpuPct: number;
  readonly rssMiB: number;
  readonly adverts: number;
  readonly jitter: ReturnType<typeof summarize>;
  readonly missed: number;
  /** Seconds into the window of the missed adverts, rounded to 0.1 s, each with its count. */
  readonly missedAt: string;
  readonly transitions: number;
  readonly probesPerSecond: number;
  readonly load: string;
}

async function measure(withChecks: boolean): Promise<Reading> {
  const vrids = Number(flags.vrids);
  const intervalCs = Number(flags['interval-cs']);
  const windowS = Number(flags.window);
  return withLan('hc', 2, async (h, scope) => {
    const listener = new NamespaceProcess('listeners', h.node('r1').namespace, process.execPath, [
      '-e',
      `const net = require('net'); let n = 0; for (let p = ${PORT_BASE + 1}; p <= ${PORT_BASE + vrids}; p++) net.createServer((s) => s.destroy()).listen(p, '127.0.0.1', () => { if (++n === ${vrids}) console.log('listening'); });`,
    ]);
    scope.defer(() => listener.stop(1000));
    await listener.waitForLine((l) => l.text === 'listening', 20_000, 'listeners');
    const specs = (priority: number) =>
      Array.from({ length: vrids }, (_, i) => v3Spec(i + 1, priority, intervalCs, vipFor(i + 1)));
    const checkMs = Number(flags['check-ms']);
    const health: HealthPlan | undefined = withChecks
      ? {
          checks: Array.from({ length: vrids }, (_, i) => ({
            kind: 'tcp' as const,
            name: `port${i + 1}`,
            host: '127.0.0.1',
            port: PORT_BASE + i + 1,
            intervalMs: checkMs,
            timeoutMs: 1000,
            rise: 1,
            fall: 2,
          })),
          tracks: Array.from({ length: vrids }, (_, i) => ({
            router: `VI_${i + 1}`,
            check: `port${i + 1}`,
            weight: -150,
          })),
          notify: [],
          syncGroups: [],
        }
      : undefined;
    const variant = withChecks ? `${vrids} TCP checks / ${checkMs / 1000} s` : 'no checks';
    progress(`${variant}: starting ${vrids} VRIDs on r1 (200) and r2 (100) at ${intervalCs * 10} ms`);
    const r1 = new LoggedRunner(scope, h, 'r1', specs(200), health);
    const r2 = new LoggedRunner(scope, h, 'r2', specs(100));
    await r1.waitFor('Master', vrids, 120_000);
    await r2.waitFor('Backup', vrids, 60_000);
    progress(`in place; settling ${flags.settle} s, then measuring ${windowS} s`);
    await sleep(Number(flags.settle) * 1000);
    const tap = await BridgeTap.start(h, scope, 'ip proto 112');
    const states0 = r1.states() + r2.states();
    const probes0 = withChecks ? await r1.probes() : 0;
    const cpu0 = cpuSeconds(r1.process.pid);
    const t0 = Date.now();
    await sleep(windowS * 1000);
    const elapsedS = (Date.now() - t0) / 1000;
    const cpu1 = cpuSeconds(r1.process.pid);
    const t1 = Date.now();
    const probes1 = withChecks ? await r1.probes() : 0;
    const transitions = r1.states() + r2.states() - states0;
    const rss = rssMiB(r1.process.pid);
    await tap.stop();
    const adverts = tap.adverts();
    const mac = h.node('r1').mac;
    const intervalMs = intervalCs * 10;
    const gaps = Array.from({ length: vrids }, (_, i) => gapsOf(adverts, mac, i + 1, t0, t1)).flat();
    const late = new Map<string, number>();
    for (let vrid = 1; vrid <= vrids; vrid++) {
      const times = adverts
        .filter((a) => a.mac === mac && a.vrid === vrid && a.timeMs >= t0 && a.timeMs <= t1)
        .map((a) => a.timeMs);
      times.slice(1).forEach((time, i) => {
        if (time - times[i]! < 2 * intervalCs * 10) return;
        const key = ((time - t0) / 1000).toFixed(1);
        late.set(key, (late.get(key) ?? 0) + 1);
      });
    }
    return {
      variant,
      cpuPct: (100 * (cpu1 - cpu0)) / elapsedS,
      rssMiB: rss,
      adverts: gaps.length + vrids,
      jitter: summarize(gaps.map((g) => Math.abs(g - intervalMs))),
      missed: gaps.filter((g) => g >= 2 * intervalMs).length,
      missedAt: [...late].map(([at, n]) => `${n} at ${at} s`).join(', ') || 'none',
      transitions,
      probesPerSecond: (probes1 - probes0) / elapsedS,
      load: machineNote()
        .split('\n')
        .at(-1)!
        .replace(/.*load average: /, ''),
    };
  });
}

const readings = [await measure(false), await measure(true)];
printTable(
  `r1 Master of ${flags.vrids} VRIDs at ${Number(flags['interval-cs']) * 10} ms, ${flags.window} s window: CPU % of one core (utime+stime of r1's runner), advert jitter |gap - interval|`,
  readings.map((r) => [
    r.variant,
    `${r.cpuPct.toFixed(1)} %`,
    `${r.rssMiB.toFixed(1)} MiB`,
    r.probesPerSecond.toFixed(0),
    String(r.adverts),
    ms(r.jitter.median),
    ms(r.jitter.p99),
    ms(r.jitter.max),
    String(r.missed),
    String(r.transitions),
    r.load,
  ]),
  [
    'variant',
    'CPU',
    'RSS',
    'probes/s',
    'adverts',
    'jitter median',
    'jitter p99',
    'jitter max',
    'missed (gap >= 2 intervals)',
    'state changes',
    'load avg at end',
  ],
);
for (const r of readings) console.log(`${r.variant}: missed adverts by time in the window: ${r.missedAt}`);
