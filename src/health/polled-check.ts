// A check that probes on a timer with keepalived's rise and fall: `fall` failures in a row take an up
// check down, `rise` successes in a row bring a down one up. Runs never overlap: the next starts one
// interval after the previous one started, or at once if that one took longer. Everything is
// asynchronous; the probe itself enforces the timeout.

import type { CheckKind, CheckTiming } from '../model/health-plan.js';
import type { CheckStatus, CheckVerdict, ProbeResult, RunningCheck } from './check.js';

export type Probe = () => Promise<ProbeResult>;

export class PolledCheck implements RunningCheck {
  readonly name: string;
  readonly kind: CheckKind;
  private readonly timing: CheckTiming;
  private readonly probe: Probe;
  private up: boolean;
  private failures = 0;
  private successes = 0;
  private runs = 0;
  private lastResult = 'not run yet';
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private onChange: ((verdict: CheckVerdict) => void) | undefined;
  private readonly firstRunDelayMs: number;

  /**
   * `phase` (0..1) delays the first run by that fraction of the interval, so that many checks with
   * the same interval spread their runs instead of all probing in the same event-loop turn.
   */
  constructor(name: string, kind: CheckKind, timing: CheckTiming, initiallyUp: boolean, probe: Probe, phase = 0) {
    this.name = name;
    this.kind = kind;
    this.timing = timing;
    this.probe = probe;
    this.up = initiallyUp;
    this.firstRunDelayMs = Math.max(0, Math.min(1, phase)) * timing.intervalMs;
  }

  verdict(): CheckVerdict {
    return { up: this.up };
  }

  status(): CheckStatus {
    return {
      name: this.name,
      kind: this.kind,
      up: this.up,
      lastResult: this.lastResult,
      failures: this.failures,
      successes: this.successes,
      runs: this.runs,
    };
  }

  start(onChange: (verdict: CheckVerdict) => void): void {
    this.onChange = onChange;
    this.schedule(this.firstRunDelayMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.runOnce(), delayMs);
  }

  private async runOnce(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    const startedAt = performance.now();
    let result: ProbeResult;
    try {
      result = await this.probe();
    } catch (error) {
      result = { ok: false, detail: `probe failed: ${(error as Error).message}` };
    }
    this.running = false;
    if (this.stopped) return;
    this.record(result);
    this.schedule(Math.max(0, this.timing.intervalMs - (performance.now() - startedAt)));
  }

  private record(result: ProbeResult): void {
    this.runs++;
    this.lastResult = result.detail;
    if (result.ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const next = this.up ? this.failures < this.timing.fall : this.successes >= this.timing.rise;
    if (next === this.up) return;
    this.up = next;
    this.onChange?.({ up: next });
  }
}
