// The configuration read of a SIGHUP reload, off the event loop. A running daemon's adverts, timers and
// netlink events all wait while JavaScript runs on the main thread, and reading a keepalived.conf is
// as slow as its author makes it (its limits, src/config/keepalived/limits.ts, bound it to about a
// second on a slow host; a JSON file has none). So a reload reads in a worker thread with a time and a
// memory limit: past either the worker is stopped and the reload refused, and the running instances,
// which never stopped advertising, keep their configuration. Startup and -t read on the main thread:
// nothing runs yet that could starve. See docs/vrrpd.md, "Reload".

import { Worker } from 'node:worker_threads';
import { ConfigLoadError, type Diagnostic, type LoadedConfig } from './config-source.js';
import { hasCode } from '../errors.js';

/** A reload read that has not finished by then is stopped, and the reload refused. */
export const RELOAD_READ_TIMEOUT_MS = 10_000;
/** The reading worker's heap (V8's old generation); a read that needs more is stopped and refused. */
export const RELOAD_READ_HEAP_MB = 256;

export interface ReloadReadOptions {
  readonly timeoutMs?: number;
  readonly heapMb?: number;
  /** keepalived's -e: every include check on. */
  readonly allIncludeChecks?: boolean;
}

/** What the worker posts back: only plain data crosses (structured clone). */
export type ReloadReadReply =
  | { readonly ok: true; readonly loaded: LoadedConfig }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/**
 * Reads and checks `path` as loadConfig does, in a worker; throws ConfigLoadError when the file
 * cannot be run, when reading it takes longer than the time limit, or needs more than the memory limit.
 */
export function readConfigOffThread(
  path: string,
  configId: string | undefined,
  options: ReloadReadOptions = {},
): Promise<LoadedConfig> {
  const timeoutMs = options.timeoutMs ?? RELOAD_READ_TIMEOUT_MS;
  const heapMb = options.heapMb ?? RELOAD_READ_HEAP_MB;
  const refused = (message: string) => new ConfigLoadError([{ severity: 'error', file: path, line: 0, message }]);
  return new Promise<LoadedConfig>((resolve, reject) => {
    const worker = new Worker(new URL('./reload-read-worker.js', import.meta.url), {
      workerData: { path, configId, allIncludeChecks: options.allIncludeChecks },
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
      void worker.terminate();
    };
    const timer = setTimeout(() => {
      settle(() => reject(refused(`reading the configuration took longer than ${timeoutMs} ms; it was stopped`)));
    }, timeoutMs);
    worker.once('message', (reply: ReloadReadReply) => {
      settle(() => (reply.ok ? resolve(reply.loaded) : reject(new ConfigLoadError(reply.diagnostics))));
    });
    worker.once('error', (error: Error) => {
      const message = hasCode(error, 'ERR_WORKER_OUT_OF_MEMORY')
        ? `reading the configuration needed more than ${heapMb} MB of memory; it was stopped`
        : `reading the configuration failed: ${error.message}`;
      settle(() => reject(refused(message)));
    });
    worker.once('exit', (code) =>
      settle(() => reject(refused(`the configuration reader stopped (exit code ${code}) without an answer`))),
    );
  });
}

/**
 * Runs `task` one at a time: a request while it runs asks for one more run after it, however many
 * requests came (three SIGHUPs during a read give one more read, of the file as it is then, not three).
 */
export function oneAtATime(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  return () => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}
