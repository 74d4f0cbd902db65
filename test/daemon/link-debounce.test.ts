// keepalived's interface_up_down_delays as LinkDebounce applies them, with a clock driven by hand:
// a flap shorter than the delay moves nothing, a change held past it moves the routers once, the first
// change of a link never seen up is at once, a deletion is at once, an interface without a delay is
// untouched.
import t from 'tap';
import { LinkDebounce, type StartTimer } from '../../src/daemon/link-debounce.js';
import type { LinkDelays } from '../../src/model/link-delays.js';

class HandClock {
  now = 0;
  private timers: { at: number; fire: () => void; live: boolean }[] = [];
  readonly start: StartTimer = (ms, fire) => {
    const timer = { at: this.now + ms, fire, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  };
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.now = next.at;
      next.live = false;
      next.fire();
    }
    this.now = until;
  }
  get pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}

function setUp(delays: LinkDelays) {
  const clock = new HandClock();
  const seen: string[] = [];
  const debounce = new LinkDebounce(
    delays,
    (iface, up) => seen.push(`${clock.now} ${iface} ${up ? 'up' : 'down'}`),
    clock.start,
  );
  return { clock, seen, debounce };
}

const DELAYS: LinkDelays = { eth0: { downMs: 1000, upMs: 500 } };

t.test('a flap down and up within the down delay moves nothing', async (t) => {
  const { clock, seen, debounce } = setUp(DELAYS);
  debounce.change('eth0', false);
  t.ok(debounce.isPending('eth0'));
  clock.advance(400);
  debounce.change('eth0', true);
  t.notOk(debounce.isPending('eth0'), 'the pending down is cancelled');
  clock.advance(5000);
  t.same(seen, []);
  t.equal(clock.pending, 0);
});

t.test('down held past the delay moves the routers once; up then waits for the up delay', async (t) => {
  const { clock, seen, debounce } = setUp(DELAYS);
  debounce.change('eth0', false);
  clock.advance(999);
  t.same(seen, []);
  clock.advance(1);
  t.same(seen, ['1000 eth0 down']);
  debounce.change('eth0', true);
  clock.advance(499);
  t.same(seen, ['1000 eth0 down']);
  clock.advance(1);
  t.same(seen, ['1000 eth0 down', '1500 eth0 up']);
});

t.test('a repeated report of the pending state keeps the first deadline', async (t) => {
  const { clock, seen, debounce } = setUp(DELAYS);
  debounce.change('eth0', false);
  clock.advance(600);
  debounce.change('eth0', false);
  clock.advance(400);
  t.same(seen, ['1000 eth0 down']);
});

t.test('a link first seen coming up (never up before) moves the routers at once', async (t) => {
  const { clock, seen, debounce } = setUp(DELAYS);
  debounce.change('eth0', true);
  t.same(seen, ['0 eth0 up']);
  debounce.change('eth0', false);
  clock.advance(1000);
  t.same(seen, ['0 eth0 up', '1000 eth0 down'], 'once seen up, the down delay applies');
});

t.test('a zero delay is at once; an interface without a delay is untouched', async (t) => {
  const { seen, debounce } = setUp({ eth0: { downMs: 0, upMs: 500 } });
  debounce.change('eth0', false);
  debounce.change('eth1', false);
  debounce.change('eth1', true);
  t.same(seen, ['0 eth0 down', '0 eth1 down', '0 eth1 up']);
});

t.test('a deletion moves the routers at once and cancels the pending change', async (t) => {
  const { clock, seen, debounce } = setUp(DELAYS);
  debounce.change('eth0', false);
  clock.advance(100);
  debounce.removed('eth0');
  clock.advance(5000);
  t.same(seen, ['100 eth0 down']);
  debounce.change('eth0', true);
  t.same(seen, ['100 eth0 down', '5100 eth0 up'], 'the recreated link is new: at once');
});

t.test('close cancels every pending change', async (t) => {
  const { clock, seen, debounce } = setUp(DELAYS);
  debounce.change('eth0', false);
  debounce.close();
  clock.advance(5000);
  t.same(seen, []);
  t.equal(clock.pending, 0);
});
