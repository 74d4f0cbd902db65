// FollowedLinks (interface_up_down_delays and linkbeat together) driving the real engine and a real
// track_interface check on one virtual timeline: a flap within the down delay leaves a Master
// advertising, a down held past it puts it in Fault at the delay's end and not before, a polled link
// ignores rtnetlink and moves on what a poll finds, a deletion is down at once, a reload's settings
// take over.
import t from 'tap';
import { FollowedLinks, type LinkSettings } from '../../src/daemon/followed-links.js';
import type { StartTimer } from '../../src/daemon/link-debounce.js';
import { Engine } from '../../src/engine/engine.js';
import type { StateChangeEvent } from '../../src/engine/events.js';
import type { TimePort } from '../../src/engine/ports.js';
import { InterfaceCheck } from '../../src/health/checks/interface.js';
import { LinkbeatReader } from '../../src/linux/linkbeat.js';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { fakePorts } from '../engine/fake-ports.js';

/** One virtual timeline for the engine's timer and the delays' timers. */
class Timeline implements TimePort {
  now = 0;
  private engineTimer: { at: number; fire: () => void } | undefined;
  private timers: { at: number; fire: () => void; live: boolean }[] = [];
  nowMs(): number {
    return this.now;
  }
  setTimer(atMs: number | undefined, onDeadline: () => void): void {
    this.engineTimer = atMs === undefined ? undefined : { at: atMs, fire: onDeadline };
  }
  readonly start: StartTimer = (ms, fire) => {
    const timer = { at: this.now + ms, fire, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  };
  advanceTo(until: number): void {
    for (;;) {
      const own = this.timers.filter((x) => x.live && x.at <= until).sort((a, b) => a.at - b.at)[0];
      const engine = this.engineTimer && this.engineTimer.at <= until ? this.engineTimer : undefined;
      if (!own && !engine) break;
      if (engine && (!own || engine.at <= own.at)) {
        this.now = Math.max(this.now, engine.at);
        this.engineTimer = undefined;
        engine.fire();
      } else if (own) {
        this.now = own.at;
        own.live = false;
        own.fire();
      }
    }
    this.now = until;
  }
}

function setUp(
  settings: LinkSettings,
  current = new Map<string, boolean>([['eth0', true]]),
  kernel: ReadonlyMap<string, boolean> = current,
) {
  const timeline = new Timeline();
  const { ports, packets } = fakePorts();
  const config = buildRouterConfig({
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    priority: 255,
    primaryAddress: '192.0.2.1',
    virtualAddresses: ['192.0.2.100'],
  });
  const engine = new Engine([config], { ...ports, time: timeline });
  const changes: StateChangeEvent[] = [];
  engine.on('stateChange', (event) => changes.push(event));
  const polls: (() => void)[] = [];
  const reads = new Map<string, boolean>(kernel);
  const links = new FollowedLinks({
    current: (iface) => current.get(iface),
    // The kernel's answers: ETHTOOL GLINK and the flags follow `reads`; no MII; ENODEV once gone.
    reader: new LinkbeatReader({ eth0: 'auto' }, (iface, kind) => {
      const up = reads.get(iface);
      if (kind === 'mii') return -1;
      if (up === undefined) return -1;
      return up ? 1 : 0;
    }),
    active: () => true,
    settings,
    startTimer: timeline.start,
    setTimer: (fire) => {
      polls.push(fire);
      return {};
    },
  });
  links.on('link', (event) => engine.linkChange(event.interface, event.up));
  engine.start();
  /** Fires the pending poll and lets its reads settle. */
  const poll = async () => {
    polls.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  const states = () => changes.map((c) => `${c.atMs} ${c.to}`);
  return { timeline, engine, packets, links, states, current, reads, poll };
}

const DELAYED: LinkSettings = { linkDelays: { eth0: { downMs: 1500, upMs: 0 } } };

t.test('a flap within the down delay: the Master keeps advertising, nothing moves', async (t) => {
  const { timeline, packets, links, states } = setUp(DELAYED);
  timeline.advanceTo(10_000);
  const before = packets.sent.length;
  links.change('eth0', false);
  t.equal(links.isUp('eth0'), true, 'the routers still see it up');
  timeline.advanceTo(10_300);
  links.change('eth0', true);
  timeline.advanceTo(20_000);
  t.same(states(), ['0 Master'], 'no Fault');
  t.equal(packets.sent.length - before, 10, 'an advert every second all along (10 001 ms .. 20 000 ms)');
});

t.test('a down held past the delay: Fault at its end, not before; up again (no up delay) at once', async (t) => {
  const { timeline, links, states, engine } = setUp(DELAYED);
  timeline.advanceTo(20_000);
  links.change('eth0', false);
  timeline.advanceTo(21_499);
  t.same(states(), ['0 Master']);
  t.equal(links.isUp('eth0'), true);
  timeline.advanceTo(21_500);
  t.same(states(), ['0 Master', '21500 Fault']);
  t.equal(links.isUp('eth0'), false);
  timeline.advanceTo(30_000);
  links.change('eth0', true);
  t.same(states(), ['0 Master', '21500 Fault', '30000 Master'], 'once seen up, an up delay of 0 is at once');
  t.equal(engine.snapshot()[0]?.state, 'Master');
});

t.test('a track_interface check sees the delayed state too', async (t) => {
  const { timeline, links } = setUp(DELAYED);
  const check = new InterfaceCheck({ kind: 'interface', name: 'interface:eth0', interface: 'eth0' }, links);
  const verdicts: boolean[] = [];
  check.start((verdict) => verdicts.push(verdict.up));
  timeline.advanceTo(1000);
  links.change('eth0', false);
  timeline.advanceTo(2000);
  t.same(verdicts, [], 'within the delay: still up');
  t.equal(check.verdict().up, true);
  timeline.advanceTo(2500);
  t.same(verdicts, [false], 'down at the delay');
  check.stop();
});

t.test('a polled link: rtnetlink ignored, a poll moves the routers at once; deleted: down', async (t) => {
  const { links, states, reads, poll, timeline } = setUp({ polledLinks: { eth0: 'auto' } });
  t.ok(links.isPolled('eth0'));
  timeline.advanceTo(5000);
  links.change('eth0', false);
  t.same(states(), ['0 Master'], 'an rtnetlink change of a polled link moves nothing');
  await poll();
  t.same(states(), ['0 Master'], 'the poll reads it up');
  reads.set('eth0', false);
  await poll();
  t.same(states(), ['0 Master', '5000 Fault'], 'the poll finds it down');
  t.equal(links.isUp('eth0'), false);
  reads.set('eth0', true);
  await poll();
  t.same(states(), ['0 Master', '5000 Fault', '5000 Master']);
  const removed: string[] = [];
  links.on('linkRemoved', (event) => removed.push(event.interface));
  links.removed('eth0');
  t.same(removed, ['eth0']);
  t.same(states(), ['0 Master', '5000 Fault', '5000 Master', '5000 Fault'], 'deleted: down at once');
  reads.delete('eth0');
  await poll();
  t.equal(states().length, 4, 'the unreadable link stays down, no repeat');
});

t.test('at start a polled link is read the polling way, not taken from rtnetlink', async (t) => {
  // rtnetlink says up; the probes (ETHTOOL GLINK, the flags) say down.
  const { links } = setUp({ polledLinks: { eth0: 'auto' } }, new Map([['eth0', true]]), new Map([['eth0', false]]));
  t.equal(links.isUp('eth0'), false);
  const gone = setUp({ polledLinks: { eth0: 'auto' } }, new Map());
  t.equal(gone.links.isUp('eth0'), undefined, 'no such interface: not known, as rtnetlink has it');
});

t.test('a reload: polling and delays follow the new settings', async (t) => {
  const { links, states, reads, poll, timeline, current } = setUp({ polledLinks: { eth0: 'auto' } });
  reads.set('eth0', false);
  await poll();
  t.same(states(), ['0 Master', '0 Fault']);
  // rtnetlink says up (it was never polled there); no longer polled, the link follows it again.
  current.set('eth0', true);
  links.update(DELAYED);
  t.notOk(links.isPolled('eth0'));
  t.same(states(), ['0 Master', '0 Fault', '0 Master'], 'the watcher state, emitted at once');
  timeline.advanceTo(1000);
  links.change('eth0', false);
  timeline.advanceTo(2499);
  t.equal(states().length, 3, 'the new down delay applies');
  timeline.advanceTo(2500);
  t.same(states().at(-1), '2500 Fault');
  links.change('eth0', true);
  links.update({ polledLinks: { eth0: 'ethtool' } });
  t.ok(links.isPolled('eth0'), 'polled again: starts from what the routers have');
  t.equal(links.isUp('eth0'), true);
  links.update(undefined);
  timeline.advanceTo(3000);
  links.change('eth0', false);
  t.same(states().at(-1), '3000 Fault', 'no delay left: at once');
});
