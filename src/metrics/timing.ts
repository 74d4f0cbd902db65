// Our timing series, from the engine's events: how late a Master's adverts leave against their
// schedule, how far past its down timer a Backup takes over, how long a received advert waits before
// the engine decides on it, and the event loop's own delay (perf_hooks.monitorEventLoopDelay).

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Engine } from '../engine/engine.js';
import type { AdvertReceivedEvent, StateChangeEvent, TimerExpiredEvent } from '../engine/events.js';
import { header, Histogram } from './exposition.js';

const MS_PER_S = 1000;
const NS_PER_S = 1e9;

export class TimingSeries {
  readonly advertLateness = new Histogram(
    'vrrp_advert_lateness_seconds',
    "A Master's periodic advert: sent after its scheduled time by this much (the engine's timer)",
  );
  readonly takeoverOvershoot = new Histogram(
    'vrrp_takeover_overshoot_seconds',
    'A Backup taking over on its down timer: this long after Master_Down_Interval ran out',
  );
  readonly receiveToDecision = new Histogram(
    'vrrp_receive_to_decision_seconds',
    "An accepted advert: from its receive time to the engine's decision on it",
  );
  /** Per router: the deadline of the timer that fired last, while its timeout is being handled. */
  private readonly lastDue = new Map<string, number>();
  private readonly loopDelay: IntervalHistogram | undefined;
  private readonly detach: () => void;

  constructor(engine: Engine, eventLoop: boolean) {
    const onTimer = (e: TimerExpiredEvent) => {
      if (e.state === 'Master') this.advertLateness.observe((e.atMs - e.dueAtMs) / MS_PER_S);
      else this.lastDue.set(e.router, e.dueAtMs);
    };
    const onState = (e: StateChangeEvent) => {
      const dueAtMs = this.lastDue.get(e.router);
      this.lastDue.delete(e.router);
      if (e.reason === 'master-down-timer' && dueAtMs !== undefined)
        this.takeoverOvershoot.observe((e.atMs - dueAtMs) / MS_PER_S);
    };
    const onAdvert = (e: AdvertReceivedEvent) => this.receiveToDecision.observe((e.handledAtMs - e.atMs) / MS_PER_S);
    engine.on('timerExpired', onTimer);
    engine.on('stateChange', onState);
    engine.on('advertReceived', onAdvert);
    if (eventLoop) {
      this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
      this.loopDelay.enable();
    }
    this.detach = () => {
      engine.off('timerExpired', onTimer);
      engine.off('stateChange', onState);
      engine.off('advertReceived', onAdvert);
      this.loopDelay?.disable();
    };
  }

  text(): string {
    return this.advertLateness.text() + this.takeoverOvershoot.text() + this.receiveToDecision.text() + this.loopText();
  }

  private loopText(): string {
    const h = this.loopDelay;
    if (h === undefined || h.count === 0) return '';
    const name = 'vrrp_event_loop_delay_seconds';
    let text = header(
      name,
      'summary',
      'Event-loop delay since the start (perf_hooks.monitorEventLoopDelay, 10 ms resolution)',
    );
    for (const q of [0.5, 0.9, 0.99, 1])
      text += `${name}{quantile="${q}"} ${(q === 1 ? h.max : h.percentile(q * 100)) / NS_PER_S}\n`;
    return `${text}${name}_sum ${(h.mean * h.count) / NS_PER_S}\n${name}_count ${h.count}\n`;
  }

  close(): void {
    this.detach();
  }
}
