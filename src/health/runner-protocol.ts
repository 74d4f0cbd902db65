// What running a check script or notify command came to (command-runner.ts).

export type RunOutcome =
  /** The command ended by itself: exit code, or the signal that ended it. */
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: string | null }
  /** It ran past its timeout and was killed. */
  | { readonly kind: 'timeout' }
  /** It could not be started (no such file, permission, bad user). */
  | { readonly kind: 'error'; readonly message: string };

export function succeeded(outcome: RunOutcome): boolean {
  return outcome.kind === 'exited' && outcome.code === 0;
}

export function describeOutcome(outcome: RunOutcome): string {
  switch (outcome.kind) {
    case 'exited':
      return outcome.signal !== null ? `killed by ${outcome.signal}` : `exit ${outcome.code}`;
    case 'timeout':
      return 'timed out (killed)';
    case 'error':
      return `could not run: ${outcome.message}`;
  }
}
