// What every running check looks like to startHealth, whatever it watches.

import type { CheckKind } from '../model/health-plan.js';

/** A check's current verdict. `value` is set by file checks only (the number the file holds). */
export interface CheckVerdict {
  readonly up: boolean;
  readonly value?: number;
}

/** One check's status for `HealthHandle.status()` (and bin/vrrpd's status command). */
export interface CheckStatus {
  readonly name: string;
  readonly kind: CheckKind;
  readonly up: boolean;
  readonly value?: number;
  /** The last probe's result in words ("exit 0", "connect refused", "3 processes", ...), or "not run yet". */
  readonly lastResult: string;
  /** Consecutive failed probes (counts towards `fall`), and consecutive good ones (towards `rise`). */
  readonly failures: number;
  readonly successes: number;
  readonly runs: number;
}

export interface RunningCheck {
  readonly name: string;
  readonly kind: CheckKind;
  verdict(): CheckVerdict;
  status(): CheckStatus;
  /** Begins probing; `onChange` hears every change of verdict (never the initial one). */
  start(onChange: (verdict: CheckVerdict) => void): void;
  /** Stops probing; a probe in flight is abandoned (its result is ignored). */
  stop(): void;
}

/** A probe's outcome: success or not, and what to say about it. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}
