// keepalived's interface_up_down_delays (keepalived_netlink.c update_interface_flags): a link change
// reaches the routers only once the link has held its new state for the interface's delay; a change
// back within the delay cancels it, so nothing moves. The first change after start is taken at once
// unless the link had been up (keepalived's seen_up): a link never seen up has no state to debounce.
// A link deleted moves the routers at once and cancels what was pending.

import type { LinkDelays } from '../model/link-delays.js';

/** A one-shot timer: returns its cancel. Injected so tests drive the clock by hand. */
export type StartTimer = (ms: number, fire: () => void) => () => void;

export const realTimer: StartTimer = (ms, fire) => {
  const timer = setTimeout(fire, ms);
  timer.unref?.();
  return () => clearTimeout(timer);
};

interface LinkState {
  /** What the routers were last told. */
  applied: boolean;
  seenUp: boolean;
  pending?: { readonly up: boolean; readonly cancel: () => void } | undefined;
}

export class LinkDebounce {
  private readonly links = new Map<string, LinkState>();

  constructor(
    private delays: LinkDelays,
    private readonly deliver: (iface: string, up: boolean) => void,
    private readonly startTimer: StartTimer = realTimer,
  ) {}

  /** A link's up state changed (the watcher reports changes only). */
  change(iface: string, up: boolean): void {
    const delay = this.delays[iface];
    if (!delay) {
      this.forget(iface); // a reload took its delay away
      this.deliver(iface, up);
      return;
    }
    // First news of this link: it was in the other state before, and had been up if it is now down.
    let state = this.links.get(iface);
    if (!state) {
      state = { applied: !up, seenUp: !up };
      this.links.set(iface, state);
    }
    if (state.pending) {
      if (state.pending.up === up) return;
      state.pending.cancel();
      state.pending = undefined;
    }
    if (state.applied === up) return;
    const ms = up ? delay.upMs : delay.downMs;
    if (state.seenUp && ms > 0) {
      const pending = {
        up,
        cancel: this.startTimer(ms, () => {
          if (state.pending !== pending) return;
          state.pending = undefined;
          this.apply(iface, state, up);
        }),
      };
      state.pending = pending;
      return;
    }
    this.apply(iface, state, up);
  }

  /** The link was deleted: the routers see it down now, whatever was pending. */
  removed(iface: string): void {
    const state = this.links.get(iface);
    state?.pending?.cancel();
    this.links.delete(iface);
    this.deliver(iface, false);
  }

  /** What the routers were last told of a delayed link (undefined: no delay, or no change seen yet). */
  applied(iface: string): boolean | undefined {
    return this.links.get(iface)?.applied;
  }

  /** New delays (a reload): changes from now on wait for them; one already pending keeps its deadline. */
  setDelays(delays: LinkDelays): void {
    this.delays = delays;
    for (const [iface, state] of this.links) if (!delays[iface] && !state.pending) this.links.delete(iface);
  }

  /** Drops what is known of a link and cancels its pending change (it is polled from now on). */
  forget(iface: string): void {
    this.links.get(iface)?.pending?.cancel();
    this.links.delete(iface);
  }

  /** Whether a change of this link waits out its delay now. */
  isPending(iface: string): boolean {
    return this.links.get(iface)?.pending !== undefined;
  }

  /** Cancels every pending change (the runtime is stopping). */
  close(): void {
    for (const state of this.links.values()) state.pending?.cancel();
    this.links.clear();
  }

  private apply(iface: string, state: LinkState, up: boolean): void {
    state.applied = up;
    if (up) state.seenUp = true;
    this.deliver(iface, up);
  }
}
