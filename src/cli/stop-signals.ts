// How the runners stop: SIGTERM / SIGINT ask for a graceful stop (priority-0 adverts, VIPs removed);
// a second one during that stop exits at once with status 1; a bug (an exception nothing caught)
// is logged and gets the same graceful stop, then status 1, so that it does not leave VIPs behind.
// A signal that comes while the runner is still starting is remembered and acted on once it has
// something to stop. Shared by bin/vrrp-engine, bin/vrrpd and bin/ipfailover.
//
// SIGTERM and SIGINT are watched by the addon (watchSignal with sendPartingFirst), not process.on():
// the moment one arrives, every Master's priority-0 advert (armed by the engine through
// HeadStartPort.setParting) leaves from the signal's own wake-up, before this JavaScript runs, as
// keepalived's do; the engine's stop then skips those adverts. Measured in bench/lan/handover.ts.

import { constants } from 'node:os';
import { errorFields, type RuntimeLogger } from '../model/logger.js';
import { watchSignal } from '../linux/rt-signals.js';

export interface StopSignalOptions {
  readonly logger: RuntimeLogger;
  /** The graceful stop; it must end the process with `code` (or 1 if the stop itself failed). */
  readonly stop: (code: number) => Promise<void>;
  /** Ends the process at once, for a second signal or a failure during the stop. */
  readonly exitNow: (code: number) => never;
}

const { SIGTERM, SIGINT } = constants.signals;
const ignore = (): void => {};

export class StopSignals {
  private stopping = false;
  private ready = false;
  private requested = false;

  constructor(private readonly options: StopSignalOptions) {
    const onFatal = (error: unknown) => this.onFatal(error);
    watchSignal(SIGTERM, () => this.onSignal('SIGTERM'), { sendPartingFirst: true });
    watchSignal(SIGINT, () => this.onSignal('SIGINT'), { sendPartingFirst: true });
    // Listeners that do nothing, so that code watching process.listeners() sees the signals handled:
    // signal-exit (which tap's process tracking preloads) would otherwise raise them a second time.
    process.on('SIGTERM', ignore);
    process.on('SIGINT', ignore);
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
    this.options.logger.error(
      { event: 'error', operation: 'uncaught', error: errorFields(error) },
      'internal error; stopping',
    );
    if (this.stopping) this.options.exitNow(1);
    this.stopping = true;
    void this.options.stop(1);
  }
}
