// A stop signal before the runners' own handlers exist. As a container's PID 1 the program gets no
// default action for a signal it has no handler for: the kernel drops it. Without this, a SIGTERM in
// the first second or two (Node starting, the node's interfaces being read) would be lost, and
// `podman stop` or the kubelet would wait out the grace period and SIGKILL. Nothing on the node has
// changed before StopSignals takes over, so such a signal just ends the process, with status 0 as a
// stop after the start does. Node's own start, before any JavaScript runs, stays uncovered.

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Exits 0 on SIGTERM / SIGINT until the returned function is called (when StopSignals is in place). */
export function exitOnEarlyStopSignals(exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const onSignal = (): void => exit(0);
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
}
