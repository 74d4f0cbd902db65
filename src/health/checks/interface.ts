// track_interface: a named interface's link (IFF_UP and IFF_RUNNING), from the runtime's link watcher.
// An interface the watcher has never seen counts as down.

import type { InterfaceCheckSpec } from '../../model/health-plan.js';
import type { CheckStatus, CheckVerdict, RunningCheck } from '../check.js';

export interface LinkChange {
  readonly interface: string;
  readonly up: boolean;
}

/** What startHealth needs of a link watcher (src/linux/links.ts LinkWatcher has this shape). */
export interface LinkSource {
  isUp(name: string): boolean | undefined;
  on(event: 'link', listener: (event: LinkChange) => void): unknown;
  off(event: 'link', listener: (event: LinkChange) => void): unknown;
}

export class InterfaceCheck implements RunningCheck {
  readonly name: string;
  readonly kind = 'interface' as const;
  private readonly spec: InterfaceCheckSpec;
  private readonly links: LinkSource;
  private up: boolean;
  private changes = 0;
  private readonly listener = (event: LinkChange): void => {
    if (event.interface !== this.spec.interface || event.up === this.up) return;
    this.up = event.up;
    this.changes++;
    this.onChange?.({ up: event.up });
  };
  private onChange: ((verdict: CheckVerdict) => void) | undefined;

  constructor(spec: InterfaceCheckSpec, links: LinkSource) {
    this.name = spec.name;
    this.spec = spec;
    this.links = links;
    this.up = links.isUp(spec.interface) ?? false;
  }

  verdict(): CheckVerdict {
    return { up: this.up };
  }

  status(): CheckStatus {
    const known = this.links.isUp(this.spec.interface) !== undefined;
    const lastResult = known
      ? `${this.spec.interface} link ${this.up ? 'up' : 'down'}`
      : `no interface ${this.spec.interface}`;
    return {
      name: this.name,
      kind: this.kind,
      up: this.up,
      lastResult,
      failures: this.up ? 0 : 1,
      successes: this.up ? 1 : 0,
      runs: this.changes,
    };
  }

  start(onChange: (verdict: CheckVerdict) => void): void {
    this.onChange = onChange;
    this.links.on('link', this.listener);
    // A change between construction and start is not lost.
    this.listener({ interface: this.spec.interface, up: this.links.isUp(this.spec.interface) ?? false });
  }

  stop(): void {
    this.links.off('link', this.listener);
  }
}
