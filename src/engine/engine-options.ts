// What an embedding program may give the engine beyond its ports, and where an engine error goes when
// nobody listens for it: a line through the logger, never silence (Node's EventEmitter would throw
// instead, which would cut a router's actions in half or become an unhandled rejection).

import type { EngineErrorEvent } from './events.js';

/** Where an 'error' goes when nobody listens for it (pino's `error(object, message)` fits). */
export interface EngineLogger {
  error(object: Record<string, unknown>, message?: string): void;
}
import type { FlightRecorderBounds } from './flight-recorder.js';

export interface EngineOptions {
  /** Receives port failures while the engine has no 'error' listener; default: console.error. */
  readonly logger?: EngineLogger | undefined;
  /** The flight recorder's bounds (flight-recorder.ts); default DEFAULT_RECORDER_BOUNDS. */
  readonly recorder?: FlightRecorderBounds | undefined;
}

export interface StartEngineOptions {
  /** Aborting it stops the engine, as engine.stop() does; already aborted: start() throws its reason. */
  readonly signal?: AbortSignal | undefined;
}

export const consoleLogger: EngineLogger = {
  error: (object, message) => console.error(`vrrp-engine: ${message ?? 'error'}`, object),
};

/** The line an 'error' event becomes when the engine has no 'error' listener. */
export function logUnheardError(logger: EngineLogger, event: EngineErrorEvent): void {
  const where = event.router === undefined ? '' : ` (router ${event.router} on ${event.interface})`;
  const reason = event.error instanceof Error ? event.error.message : String(event.error);
  logger.error({ event: 'error', ...event }, `${event.operation} failed${where}: ${reason}`);
}

/** Stops the engine when `signal` aborts; returns what withdraws that (called once the engine stops). */
export function stopOnAbort(signal: AbortSignal, stop: () => Promise<void>, logger: EngineLogger): () => void {
  // A listener that throws during the shutdown rejects stop(): logged, not an unhandled rejection.
  const onAbort = (): void =>
    void stop().catch((error: unknown) =>
      logger.error({ event: 'error', operation: 'stop', error }, `stop on abort: ${String(error)}`),
    );
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
