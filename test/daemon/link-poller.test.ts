// keepalived's linkbeat as LinkPoller does it, with hand-driven timers and link reads: a change found
// by a poll is delivered once and at once, an unreadable link is down, nothing is read before the
// interval, and polling ends once it is no longer active.
import t from 'tap';
import { LinkPoller } from '../../src/daemon/link-poller.js';

function setUp(initial: boolean | undefined, interfaces = ['eth0']) {
  const links = new Map<string, boolean | Error>(interfaces.map((i) => [i, true]));
  const timers: { fire: () => void; ms: number }[] = [];
  const seen: string[] = [];
  let active = true;
  const poller = new LinkPoller({
    interfaces,
    readLink: async (iface) => {
      const state = links.get(iface);
      if (state instanceof Error || state === undefined) throw state ?? new Error('no such link');
      return state;
    },
    initial: () => initial,
    deliver: (iface, up) => seen.push(`${iface} ${up ? 'up' : 'down'}`),
    active: () => active,
    setTimer: (fire, ms) => {
      timers.push({ fire, ms });
      return {};
    },
  });
  /** Fires the pending timer and waits for its round (and the next schedule). */
  const tick = async () => {
    const timer = timers.shift();
    if (!timer) return false;
    timer.fire();
    await new Promise((resolve) => setImmediate(resolve));
    return true;
  };
  return { poller, links, timers, seen, tick, stop: () => (active = false) };
}

t.test('one poll a second; a change is delivered once', async (t) => {
  const { links, timers, seen, tick, poller } = setUp(true);
  t.ok(poller.polls('eth0'));
  t.notOk(poller.polls('eth1'));
  t.same(
    timers.map((x) => x.ms),
    [1000],
    "keepalived's POLLING_DELAY",
  );
  await tick();
  t.same(seen, [], 'no change: nothing');
  links.set('eth0', false);
  await tick();
  await tick();
  t.same(seen, ['eth0 down'], 'down, once');
  links.set('eth0', true);
  await tick();
  t.same(seen, ['eth0 down', 'eth0 up']);
});

t.test('an unknown start state is settled by the first poll; an unreadable link is down', async (t) => {
  const { links, seen, tick } = setUp(undefined);
  await tick();
  t.same(seen, ['eth0 up']);
  links.set('eth0', new Error('ENODEV'));
  await tick();
  t.same(seen, ['eth0 up', 'eth0 down']);
});

t.test('polling ends once inactive, or closed', async (t) => {
  const a = setUp(true);
  a.links.set('eth0', false);
  a.stop();
  t.equal(await a.tick(), true);
  t.same(a.seen, [], 'nothing delivered once inactive');
  t.equal(a.timers.length, 0, 'no next poll');
  const b = setUp(true);
  b.poller.close();
  b.links.set('eth0', false);
  await b.tick();
  t.same(b.seen, []);
  t.equal(b.timers.length, 0);
});

t.test('no interface: no timer', async (t) => {
  const { timers } = setUp(true, []);
  t.equal(timers.length, 0);
});
