// How the runners stop: SIGTERM / SIGINT ask for a graceful stop (priority-0 adverts, VIPs removed);
// a second one during that stop exits at once with status 1; a bug (an exception nothing caught)
// is logged and gets the same graceful stop, then status 1, so that it does not leave VIPs behind.
// A signal that comes while the runner is still starting is remembered and acted on once it has
// something to stop. Shared by bin/vrrp-engine and bin/vrrpd.

import { errorFields, type RuntimeLogger } from '../linux/event-log.js';

export interface StopSignalOptions {
  readonly logger: RuntimeLogger;
  /** The graceful stop; it must end the process with `code` (or 1 if the stop itself failed). */
  readonly stop: (code: number) => Promise<void>;
  /** Ends the process at once, for a second signal or a failure during the stop. */
  readonly exitNow: (code: number) => never;
}

export class StopSignals {
  private stopping = false;
  private ready = false;
  private requested = false;

  constructor(private readonly options: StopSignalOptions) {
    const onSignal = (signal: NodeJS.Signals) => this.onSignal(signal);
    const onFatal = (error: unknown) => this.onFatal(error);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('uncaughtException', onFatal);
    process.on('unhandledRejection', onFatal);
  }

  /** True once a stop was asked for: other signals (a reload) should then be ignored. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** The runner has started: a signal that came meanwhile now stops it. */
  started(): void {
    this.ready = true;
    if (this.requested) void this.options.stop(0);
  }

  private onSignal(signal: NodeJS.Signals): void {
    const { logger } = this.options;
    if (this.stopping) {
      logger.warn({ event: 'notice', notice: 'signal', signal }, `${signal} during stop: exiting at once`);
      this.options.exitNow(1);
    }
    this.stopping = true;
    this.requested = true;
    if (this.ready) void this.options.stop(0);
    // Written after the stop's first steps (they run as microtasks): the priority-0 adverts leave
    // before this line, not behind a synchronous log write.
    setImmediate(() => logger.info({ event: 'notice', notice: 'signal', signal }, `${signal}: stopping`));
  }

  /** Exported for the runners' own use: a failure they catch themselves stops the same way. */
  onFatal(error: unknown): void {
    this.options.logger.error({ event: 'error', operation: 'uncaught', error: errorFields(error) }, 'internal error; stopping');
    if (this.stopping) this.options.exitNow(1);
    this.stopping = true;
    void this.options.stop(1);
  }
}
